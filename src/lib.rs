//! The Wick web app: chapter 3 of the Hugging Face course as one page.
//!
//! Two wasm binaries share this library (see `www/index.html`):
//! - `wick-app` (`src/main.rs`): the page, Leptos on the main thread (`app`, `panels`);
//! - `wick-worker` (`src/bin/worker.rs`): the engine in a dedicated Web Worker (`worker`).
//!
//! They talk through `protocol` (serde enums). `web` holds the browser's I/O: `fetch` with
//! progress and the Cache API store. Natively this crate is empty, so `cargo test --workspace`
//! does not build the UI.
#![cfg(target_arch = "wasm32")]

pub mod app;
pub mod panels;
pub mod protocol;
pub mod web;
pub mod worker;
