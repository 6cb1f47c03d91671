//! The page: mounts the Leptos app (wasm32 only; natively this does nothing).
fn main() {
    #[cfg(target_arch = "wasm32")]
    wick::app::start();
}
