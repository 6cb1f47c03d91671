//! The models: config parsing (BERT family, DistilBERT), sequence classifiers on candle with
//! dropout and a fresh seeded head, checkpoint loading with a load report, the CPU backend.
//!
//! - `config`: `config.json` -> `ModelConfig`.
//! - `weights`: parameter names and shapes, checkpoint loading, the load report, head init.
//! - `matmul`: `a @ b` on all the backend's threads (`crate::parallel`), with its backward.
//! - `ops`: differentiable blocks (linear, LayerNorm, softmax, GELU, dropout, loss).
//! - `bert`, `distilbert`: the two classifiers' forward passes.
//! - `cpu`: `CpuBackend`, the `Backend` on candle with autograd and AdamW.

pub mod bert;
pub mod config;
pub mod cpu;
pub mod distilbert;
mod labels;
pub mod matmul;
pub mod ops;
pub mod weights;

pub use config::{ModelConfig, ModelType};
pub use cpu::CpuBackend;
pub use weights::{load_checkpoint, parameter_specs, LoadReport, Mismatch};

use candle_core::{Device, Tensor};
use std::collections::HashMap;

/// The parameters by transformers name, as candle tensors (the backend's `Var`s share storage
/// with them, so an optimizer step is seen by the model).
pub struct Params(pub HashMap<String, Tensor>);

impl Params {
    pub fn get(&self, name: &str) -> candle_core::Result<Tensor> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| candle_core::Error::Msg(format!("missing parameter {name}")))
    }
    pub fn linear(&self, name: &str) -> candle_core::Result<ops::Linear> {
        Ok(ops::Linear {
            weight: self.get(&format!("{name}.weight"))?,
            bias: self.get(&format!("{name}.bias"))?,
        })
    }
    pub fn layer_norm(&self, name: &str, eps: f64) -> candle_core::Result<ops::LayerNorm> {
        Ok(ops::LayerNorm {
            weight: self.get(&format!("{name}.weight"))?,
            bias: self.get(&format!("{name}.bias"))?,
            eps,
        })
    }
}

/// One batch on the device: ids `[batch * seq]` (u32), the additive mask `[batch, 1, 1, seq]`.
pub struct Inputs {
    pub batch: usize,
    pub seq: usize,
    pub input_ids: Tensor,
    pub token_type_ids: Tensor,
    pub mask: Tensor,
}

impl Inputs {
    pub fn new(
        batch: usize,
        seq: usize,
        input_ids: &[u32],
        token_type_ids: &[u32],
        attention_mask: &[u32],
        device: &Device,
    ) -> candle_core::Result<Self> {
        Ok(Inputs {
            batch,
            seq,
            input_ids: ops::ids(input_ids, device)?,
            token_type_ids: ops::ids(token_type_ids, device)?,
            mask: ops::additive_mask(attention_mask, batch, seq, device)?,
        })
    }
}

/// A sequence classifier of either architecture.
pub enum Model {
    Bert(bert::Bert),
    DistilBert(distilbert::DistilBert),
}

impl Model {
    pub fn new(config: &ModelConfig, params: &Params) -> candle_core::Result<Self> {
        Ok(match config.model_type {
            ModelType::Bert => Model::Bert(bert::Bert::new(config, params)?),
            ModelType::DistilBert => {
                Model::DistilBert(distilbert::DistilBert::new(config, params)?)
            }
        })
    }

    /// Logits `[batch, num_labels]`; dropout on with `Some(seed)`, off with `None`.
    pub fn forward(
        &self,
        inputs: &Inputs,
        dropout_seed: Option<u32>,
    ) -> candle_core::Result<Tensor> {
        match self {
            Model::Bert(m) => m.forward(inputs, dropout_seed),
            Model::DistilBert(m) => m.forward(inputs, dropout_seed),
        }
    }
}
