//! The Wick web app (wasm32 only).
