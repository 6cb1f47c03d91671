//! The CPU backend: the candle model, its parameters as `Var`s, gradients from candle's
//! autograd, and the reference AdamW of `optim` applied on plain slices.

use super::config::ModelConfig;
use super::weights::{self, LoadReport};
use super::{ops, Inputs, Model, Params};
use crate::backend::{Backend, NamedTensor, OptimizerState, TrainStats};
use crate::collate::Batch;
use crate::optim::{self, AdamWConfig, AdamWState};
use crate::parallel;
use crate::{Error, Result};
use candle_core::{Device, Tensor, Var};
use std::collections::HashMap;

/// One trainable parameter with its accumulated gradient and AdamW moments.
struct Param {
    name: String,
    var: Var,
    decays: bool,
    grad: Option<Tensor>,
    state: AdamWState,
}

/// `Backend` on candle (CPU, f32).
pub struct CpuBackend {
    config: ModelConfig,
    model: Model,
    params: Vec<Param>,
    /// Optimizer steps taken (AdamW's `t` is `steps + 1` in the next step).
    steps: u64,
    /// Micro-batches accumulated since the last `step` (no gradients when 0).
    pending: usize,
    loss_sum: f64,
    batches: u32,
    grad_norm: f32,
}

impl CpuBackend {
    /// From a checkpoint's files: `config.json`'s text and `model.safetensors`' bytes. The task
    /// sets the labels (`num_labels`, optional names); `seed` (the run's seed) draws the new head.
    pub fn load(
        config_json: &str,
        safetensors: &[u8],
        num_labels: usize,
        id2label: Option<Vec<String>>,
        seed: u64,
    ) -> Result<(CpuBackend, LoadReport)> {
        let config = ModelConfig::from_json(config_json, "config.json")?
            .with_labels(num_labels, id2label)?;
        Self::from_checkpoint(config, safetensors, seed)
    }

    /// From a parsed config (labels already set) and `model.safetensors` bytes.
    pub fn from_checkpoint(
        config: ModelConfig,
        safetensors: &[u8],
        seed: u64,
    ) -> Result<(CpuBackend, LoadReport)> {
        let (params, report) = weights::load_checkpoint(&config, safetensors, seed as u32, false)?;
        Ok((Self::new(config, params)?, report))
    }

    /// From parameters in `weights::parameter_specs` naming (e.g. another backend's `weights`).
    pub fn new(config: ModelConfig, weights: Vec<NamedTensor>) -> Result<CpuBackend> {
        let device = Device::Cpu;
        let mut by_name = HashMap::new();
        let mut params = Vec::with_capacity(weights.len());
        let given: HashMap<String, NamedTensor> =
            weights.into_iter().map(|w| (w.name.clone(), w)).collect();
        for spec in weights::parameter_specs(&config) {
            let w = given
                .get(&spec.name)
                .ok_or_else(|| Error::Model(format!("no weights given for {}", spec.name)))?;
            if w.shape != spec.shape || w.data.len() != spec.shape.iter().product::<usize>() {
                return Err(Error::Model(format!(
                    "{} has shape {:?} ({} values), expected {:?}",
                    w.name,
                    w.shape,
                    w.data.len(),
                    spec.shape
                )));
            }
            let var = Var::from_tensor(&Tensor::from_slice(&w.data, w.shape.as_slice(), &device)?)?;
            by_name.insert(spec.name.clone(), var.as_tensor().clone());
            params.push(Param {
                decays: optim::decays(&spec.name),
                state: AdamWState::zeros(w.data.len()),
                name: spec.name,
                var,
                grad: None,
            });
        }
        let model = Model::new(&config, &Params(by_name))?;
        Ok(CpuBackend {
            config,
            model,
            params,
            steps: 0,
            pending: 0,
            loss_sum: 0.0,
            batches: 0,
            grad_norm: 0.0,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The batch's tensors, after checking it fits the model (ids in the vocabulary, ...).
    fn inputs(&self, batch: &Batch) -> Result<Inputs> {
        let c = &self.config;
        let (b, s) = (batch.batch_size, batch.seq_len);
        let n = b * s;
        if b == 0 || s == 0 {
            return Err(Error::Invalid(format!("empty batch ({b} x {s})")));
        }
        for (field, len) in [
            ("input_ids", batch.input_ids.len()),
            ("token_type_ids", batch.token_type_ids.len()),
            ("attention_mask", batch.attention_mask.len()),
        ] {
            if len != n {
                return Err(Error::Invalid(format!(
                    "batch {field} has {len} values, expected {b} x {s}"
                )));
            }
        }
        if s > c.max_position_embeddings {
            return Err(Error::Invalid(format!(
                "sequence length {s} exceeds the model's max_position_embeddings {}",
                c.max_position_embeddings
            )));
        }
        if let Some(id) = batch
            .input_ids
            .iter()
            .find(|&&id| id as usize >= c.vocab_size)
        {
            return Err(Error::Invalid(format!(
                "token id {id} is outside the vocabulary ({})",
                c.vocab_size
            )));
        }
        if c.type_vocab_size > 0 {
            if let Some(t) = batch
                .token_type_ids
                .iter()
                .find(|&&t| t as usize >= c.type_vocab_size)
            {
                return Err(Error::Invalid(format!(
                    "token type {t} >= type_vocab_size {}",
                    c.type_vocab_size
                )));
            }
        }
        if batch.attention_mask.iter().any(|&m| m > 1) {
            return Err(Error::Invalid(
                "attention_mask values must be 0 or 1".into(),
            ));
        }
        let types = if c.type_vocab_size > 0 {
            batch.token_type_ids.clone()
        } else {
            vec![0; n]
        };
        Ok(Inputs::new(
            b,
            s,
            &batch.input_ids,
            &types,
            &batch.attention_mask,
            &Device::Cpu,
        )?)
    }

    fn check_labels(&self, batch: &Batch) -> Result<()> {
        let nl = self.config.num_labels;
        if batch.labels.len() != batch.batch_size {
            return Err(Error::Invalid(format!(
                "training needs one label per row: {} labels for {} rows",
                batch.labels.len(),
                batch.batch_size
            )));
        }
        if nl > 1 {
            if let Some(l) = batch
                .labels
                .iter()
                .find(|&&l| l.fract() != 0.0 || l < 0.0 || l >= nl as f32)
            {
                return Err(Error::Invalid(format!(
                    "label {l} is not a class id in 0..{nl}"
                )));
            }
        } else if let Some(l) = batch.labels.iter().find(|l| !l.is_finite()) {
            return Err(Error::Invalid(format!(
                "regression target {l} is not finite"
            )));
        }
        Ok(())
    }

    /// The mean loss of a labelled batch (no gradients); dropout on with `Some(seed)`.
    pub fn loss(&self, batch: &Batch, dropout_seed: Option<u32>) -> Result<f32> {
        self.check_labels(batch)?;
        let logits = self.model.forward(&self.inputs(batch)?, dropout_seed)?;
        Ok(ops::loss(&logits, &batch.labels)?.to_scalar::<f32>()?)
    }

    /// Logits `[batch, num_labels]` row-major, dropout off (the synchronous `Backend::logits`).
    pub fn eval_logits(&self, batch: &Batch) -> Result<Vec<f32>> {
        let inputs = self.inputs(batch)?;
        // On the browser worker's threads, where it has them (`parallel`).
        let logits = parallel::run(|| self.model.forward(&inputs, None))?;
        Ok(logits.flatten_all()?.to_vec1()?)
    }

    /// Every parameter with transformers' names (the synchronous `Backend::weights`).
    pub fn named_parameters(&self) -> Result<Vec<NamedTensor>> {
        self.params
            .iter()
            .map(|p| named(&p.name, p.var.as_tensor()))
            .collect()
    }

    /// The gradients accumulated since the last step (zeros before any), parameter order.
    pub fn gradients(&self) -> Result<Vec<NamedTensor>> {
        self.params
            .iter()
            .map(|p| match &p.grad {
                Some(g) => named(&p.name, g),
                None => named(&p.name, &p.var.zeros_like()?),
            })
            .collect()
    }
}

fn named(name: &str, t: &Tensor) -> Result<NamedTensor> {
    Ok(NamedTensor {
        name: name.to_string(),
        shape: t.dims().to_vec(),
        data: t.flatten_all()?.to_vec1()?,
    })
}

impl Backend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn accumulate(
        &mut self,
        batch: &Batch,
        accumulation: usize,
        dropout_seed: Option<u32>,
    ) -> Result<()> {
        if accumulation == 0 {
            return Err(Error::Invalid(
                "gradient accumulation steps must be at least 1".into(),
            ));
        }
        self.check_labels(batch)?;
        let inputs = self.inputs(batch)?;
        // As transformers: each micro-batch's mean loss / accumulation, gradients summed.
        // On the browser worker's threads, where it has them (`parallel`).
        let (loss, grads) = parallel::run(|| -> Result<_> {
            let logits = self.model.forward(&inputs, dropout_seed)?;
            let loss = ops::loss(&logits, &batch.labels)?;
            let grads = (&loss / accumulation as f64)?.backward()?;
            Ok((loss, grads))
        })?;
        self.loss_sum += loss.to_scalar::<f32>()? as f64;
        self.batches += 1;
        for p in &mut self.params {
            if let Some(g) = grads.get(p.var.as_tensor()) {
                p.grad = Some(match p.grad.take() {
                    Some(sum) => (sum + g)?,
                    None => g.detach(),
                });
            }
        }
        self.pending += 1;
        Ok(())
    }

    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()> {
        // As torch after zero_grad(set_to_none=True): no gradients, nothing to do.
        if self.pending == 0 {
            return Ok(());
        }
        let mut grads = Vec::with_capacity(self.params.len());
        for p in &mut self.params {
            let g: Vec<f32> = match p.grad.take() {
                Some(g) => g.flatten_all()?.to_vec1()?,
                None => vec![0.0; p.state.m.len()],
            };
            grads.push(g);
        }
        // clip_grad_norm_: one global L2 norm over all gradients, then scale them all.
        let total_norm = grads
            .iter()
            .map(|g| optim::sum_of_squares(g))
            .sum::<f64>()
            .sqrt();
        self.grad_norm = total_norm as f32;
        let coef = optim::clip_coefficient(total_norm, cfg.max_grad_norm) as f32;
        self.steps += 1;
        for (p, mut g) in self.params.iter_mut().zip(grads) {
            if coef < 1.0 {
                g.iter_mut().for_each(|x| *x *= coef);
            }
            let mut data: Vec<f32> = p.var.as_tensor().flatten_all()?.to_vec1()?;
            let wd = if p.decays { cfg.weight_decay } else { 0.0 };
            optim::adamw_update(&mut data, &g, &mut p.state, self.steps, lr, wd, cfg);
            p.var
                .set(&Tensor::from_vec(data, p.var.shape(), &Device::Cpu)?)?;
        }
        self.pending = 0;
        Ok(())
    }

    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>> {
        self.eval_logits(batch)
    }

    async fn take_stats(&mut self) -> Result<TrainStats> {
        let loss = if self.batches > 0 {
            (self.loss_sum / self.batches as f64) as f32
        } else {
            0.0
        };
        let stats = TrainStats {
            loss,
            grad_norm: self.grad_norm,
            batches: self.batches,
        };
        self.loss_sum = 0.0;
        self.batches = 0;
        Ok(stats)
    }

    async fn weights(&mut self) -> Result<Vec<NamedTensor>> {
        self.named_parameters()
    }

    async fn optimizer_state(&mut self) -> Result<OptimizerState> {
        let moment = |p: &Param, data: &[f32]| NamedTensor {
            name: p.name.clone(),
            shape: p.var.dims().to_vec(),
            data: data.to_vec(),
        };
        Ok(OptimizerState {
            step: self.steps,
            m: self.params.iter().map(|p| moment(p, &p.state.m)).collect(),
            v: self.params.iter().map(|p| moment(p, &p.state.v)).collect(),
        })
    }

    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()> {
        let shapes: Vec<Vec<usize>> = self.params.iter().map(|p| p.var.dims().to_vec()).collect();
        let moments = state.moments_for(
            self.params
                .iter()
                .zip(&shapes)
                .map(|(p, s)| (p.name.as_str(), s.as_slice())),
        )?;
        let moments: Vec<AdamWState> = moments
            .into_iter()
            .map(|(m, v)| AdamWState {
                m: m.to_vec(),
                v: v.to_vec(),
            })
            .collect();
        for (p, s) in self.params.iter_mut().zip(moments) {
            p.state = s;
        }
        self.steps = state.step;
        Ok(())
    }
}
