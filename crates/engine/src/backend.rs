//! The line between the trainer and the arithmetic. The CPU backend (candle + autograd,
//! `model::cpu`) and the WebGPU backend (`crates/webgpu`) implement `Backend`; the trainer,
//! sampler, schedule, metrics and events are shared, so both behave the same from outside.

use crate::collate::Batch;
use crate::optim::AdamWConfig;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A named f32 tensor in transformers' naming (`bert.encoder.layer.0...`, `classifier.weight`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// AdamW's state, as `torch.optim.AdamW` keeps it per parameter (`exp_avg`, `exp_avg_sq`,
/// `step`): what a checkpoint needs so that a run goes on, on the same backend or another, as
/// if it had never stopped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState {
    /// Optimizer steps taken (AdamW's bias correction uses `step + 1` next); the same for
    /// every parameter.
    pub step: u64,
    /// First moments (`exp_avg`), one per trainable parameter, under the parameter's
    /// transformers name and with its shape, in `weights()` order.
    pub m: Vec<NamedTensor>,
    /// Second moments (`exp_avg_sq`), as `m`.
    pub v: Vec<NamedTensor>,
}

impl OptimizerState {
    /// The moments `(m, v)` of every parameter in `params` (name, shape), in that order: what
    /// `load_optimizer_state` checks before it changes anything. Errors name the tensor: one
    /// missing, of another shape, or one the model does not have.
    pub fn moments_for<'s, 'p>(
        &'s self,
        params: impl IntoIterator<Item = (&'p str, &'p [usize])>,
    ) -> Result<Vec<(&'s [f32], &'s [f32])>> {
        fn find<'s>(
            list: &'s [NamedTensor],
            which: &str,
            name: &str,
            shape: &[usize],
        ) -> Result<&'s [f32]> {
            let t = list
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| Error::Model(format!("optimizer state: no {which} for {name}")))?;
            if t.shape != shape || t.data.len() != shape.iter().product::<usize>() {
                return Err(Error::Model(format!(
                    "optimizer state: {which} of {name} has shape {:?} ({} values), the model's is {shape:?}",
                    t.shape,
                    t.data.len()
                )));
            }
            Ok(t.data.as_slice())
        }
        let mut out = Vec::new();
        let mut names = std::collections::HashSet::new();
        for (name, shape) in params {
            names.insert(name);
            out.push((
                find(&self.m, "exp_avg", name, shape)?,
                find(&self.v, "exp_avg_sq", name, shape)?,
            ));
        }
        if let Some(extra) = self
            .m
            .iter()
            .chain(&self.v)
            .find(|t| !names.contains(t.name.as_str()))
        {
            return Err(Error::Model(format!(
                "optimizer state: {} is not a parameter of the model",
                extra.name
            )));
        }
        if self.m.len() != out.len() || self.v.len() != out.len() {
            return Err(Error::Model(format!(
                "optimizer state: {} exp_avg and {} exp_avg_sq tensors for {} parameters",
                self.m.len(),
                self.v.len(),
                out.len()
            )));
        }
        Ok(out)
    }
}

/// Statistics of the steps since the last `take_stats` (read back from the device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainStats {
    /// Mean training loss over the micro-batches accumulated since the last call.
    pub loss: f32,
    /// Global L2 norm of the gradients at the last optimizer step, before clipping.
    pub grad_norm: f32,
    /// Number of micro-batches the loss is averaged over.
    pub batches: u32,
}

/// What a training backend does. Work may stay on a device: only `logits` and `take_stats`
/// read back, and they are async because in the browser a readback is a promise.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// "cpu" or "webgpu": for logs and errors.
    fn name(&self) -> &'static str;

    /// Forward and backward of one micro-batch, adding to the accumulated gradients.
    /// The loss is the mean over the batch divided by `accumulation` (as transformers does
    /// with gradient accumulation). `dropout_seed`: `Some(rng::step_seed(..))` in training,
    /// `None` for deterministic (dropout off) steps.
    fn accumulate(
        &mut self,
        batch: &Batch,
        accumulation: usize,
        dropout_seed: Option<u32>,
    ) -> Result<()>;

    /// Clip the accumulated gradients by global norm (`cfg.max_grad_norm`, when > 0), apply one
    /// AdamW step at learning rate `lr`, and zero the gradients.
    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()>;

    /// Logits `[batch_size, num_labels]` row-major, dropout off.
    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>>;

    /// Loss and grad norm since the last call.
    async fn take_stats(&mut self) -> Result<TrainStats>;

    /// Wait until the device has run the work submitted so far. The trainer calls it at the end
    /// of every step, inside the step's timing, so the speeds it logs count the device's work
    /// (not the encoding of it) and the queue never runs ahead of the progress shown. The CPU
    /// computes in `accumulate` and `step` themselves: nothing to wait for.
    async fn wait_idle(&mut self) -> Result<()> {
        Ok(())
    }

    /// Every trainable parameter, with transformers' names for the model's architecture.
    async fn weights(&mut self) -> Result<Vec<NamedTensor>>;

    /// AdamW's moments and step count (read back from the device).
    async fn optimizer_state(&mut self) -> Result<OptimizerState>;

    /// Replace AdamW's moments and step count, e.g. with a checkpoint's. Errors (naming the
    /// tensor) unless `state` has exactly one `m` and one `v` per parameter, of its shape.
    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()>;
}
