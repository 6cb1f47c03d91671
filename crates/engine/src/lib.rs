//! Wick's engine: everything that is not UI. The browser worker and the native `wick` CLI
//! drive this same crate; I/O comes in through small traits (`hub::Fetch`, `hub::Store`).
//!
//! The flow follows the course's chapter 3:
//! `hub` -> `data` -> `tokenize` -> `collate` -> `model` (a `backend::Backend`) -> `train`
//! -> `metrics` -> `export` (and `project`: the run as a transformers + accelerate folder).

pub mod backend;
pub mod collate;
pub mod data;
pub mod error;
pub mod export;
pub mod hub;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod parallel;
pub mod project;
pub mod rng;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod tokenize;
pub mod train;

pub use error::{Error, Result};
