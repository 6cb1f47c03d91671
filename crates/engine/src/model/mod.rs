//! The models: config parsing (BERT family, DistilBERT), sequence classifiers on candle with
//! dropout and a fresh seeded head, checkpoint loading with a load report, the CPU backend.

pub mod config;
pub use config::{ModelConfig, ModelType};
