//! Wick's engine: everything that is not UI. The browser worker and the native `wick` CLI
//! drive this same crate; I/O comes in through small traits (`hub::Fetch`, `hub::Store`).
