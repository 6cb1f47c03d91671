//! The worker: runs the engine off the main thread (wasm32 only; natively this does nothing).
fn main() {
    #[cfg(target_arch = "wasm32")]
    wick::worker::start();
}
