//! AdamW with PyTorch semantics (decoupled weight decay, bias correction), no decay on biases
//! and LayerNorm weights, and clipping by global norm. The update rule here is the reference
//! the CPU backend applies and the WebGPU backend's fused kernel reproduces.

use serde::{Deserialize, Serialize};

/// AdamW hyper-parameters, with transformers' `TrainingArguments` defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Clip gradients to this global L2 norm; 0 turns clipping off.
    pub max_grad_norm: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            max_grad_norm: 1.0,
        }
    }
}
