//! `WebGpuBackend`: the `Backend` the trainer drives, with the arithmetic on the GPU.
//!
//! `accumulate` uploads one batch and records forward + backward into one command encoder;
//! `step` records clipping + AdamW; neither reads back. `take_stats`, `logits` and `weights`
//! read back asynchronously.

pub mod acts;
pub mod bert;
pub mod params;

use crate::backend_error;
use crate::buf::Buf;
use crate::gpu::{Gpu, GpuOptions};
use crate::kernels::embedding::Grouping;
use crate::kernels::optim::{adamw, grad_norm, OptChunk, NORM_PARTS};
use crate::recorder::Recorder;
use acts::{Acts, Capacity};
use bert::{Dropouts, Segments, Shape, Weights};
use params::{param_specs, ParamStore, Which};
use wick_engine::backend::{Backend, NamedTensor, OptimizerState, TrainStats};
use wick_engine::collate::Batch;
use wick_engine::model::ModelConfig;
use wick_engine::optim::AdamWConfig;
use wick_engine::{Error, Result};

/// Sequence lengths are rounded up to this when buffers grow, so a run reallocates rarely.
const T_ROUND: usize = 32;

pub struct WebGpuBackend {
    gpu: Gpu,
    cfg: ModelConfig,
    store: ParamStore,
    weights: Weights,
    grads: Weights,
    acts: Option<Acts>,
    /// [loss sum, grad norm at the last step, -, -]
    stats: Buf,
    partials: Buf,
    batches: u32,
    /// Micro-batches accumulated since the last step (a step without any does nothing, as
    /// torch after `zero_grad(set_to_none=True)`).
    pending: usize,
    /// AdamW steps taken (bias correction).
    t: u64,
}

impl WebGpuBackend {
    /// Open a device and load the model: `weights` by transformers' names (e.g. the CPU
    /// backend's `weights()`, so both start from the same seeded head).
    pub async fn create(
        cfg: &ModelConfig,
        weights: &[NamedTensor],
        opts: &GpuOptions,
    ) -> Result<Self> {
        let gpu = Gpu::new(opts).await?;
        Self::new(gpu, cfg, weights)
    }

    pub fn new(gpu: Gpu, cfg: &ModelConfig, weights: &[NamedTensor]) -> Result<Self> {
        if cfg.num_attention_heads == 0 || cfg.hidden_size % cfg.num_attention_heads != 0 {
            return Err(Error::Model(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                cfg.hidden_size, cfg.num_attention_heads
            )));
        }
        if cfg.num_labels == 0 {
            return Err(Error::Model("num_labels must be at least 1".into()));
        }
        let store = ParamStore::new(&gpu, param_specs(cfg), weights)?;
        let weights = Weights::new(&store, cfg, Which::Param)?;
        let grads = Weights::new(&store, cfg, Which::Grad)?;
        let stats = gpu.zeros("stats", 4)?;
        let partials = gpu.zeros("norm partials", store.chunks.len() * NORM_PARTS)?;
        gpu.check()?;
        Ok(WebGpuBackend {
            gpu,
            cfg: cfg.clone(),
            store,
            weights,
            grads,
            acts: None,
            stats,
            partials,
            batches: 0,
            pending: 0,
            t: 0,
        })
    }

    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// The accumulated gradients (for tests), by transformers' names.
    pub async fn gradients(&mut self) -> Result<Vec<NamedTensor>> {
        self.store.read(&self.gpu, Which::Grad).await
    }

    /// Check the batch against the model, grow the buffers if needed and upload it.
    /// Returns the embedding-backward segment counts.
    fn upload(&mut self, batch: &Batch, with_labels: bool) -> Result<Segments> {
        let (b, t) = (batch.batch_size, batch.seq_len);
        let cfg = &self.cfg;
        let bt = b * t;
        let bad = |msg: String| Err(Error::Invalid(format!("batch: {msg}")));
        if b == 0 || t == 0 {
            return bad(format!("empty batch ({b} x {t})"));
        }
        if batch.input_ids.len() != bt
            || batch.attention_mask.len() != bt
            || batch.token_type_ids.len() != bt
        {
            return bad(format!(
                "expected {bt} ids, mask and token types for {b} x {t}, got {}, {}, {}",
                batch.input_ids.len(),
                batch.attention_mask.len(),
                batch.token_type_ids.len()
            ));
        }
        if t > cfg.max_position_embeddings {
            return bad(format!(
                "sequence length {t} exceeds max_position_embeddings {}",
                cfg.max_position_embeddings
            ));
        }
        if let Some(id) = batch
            .input_ids
            .iter()
            .find(|&&id| id as usize >= cfg.vocab_size)
        {
            return bad(format!(
                "token id {id} is outside the vocabulary ({})",
                cfg.vocab_size
            ));
        }
        if batch.attention_mask.iter().any(|&m| m > 1) {
            return bad("attention_mask values must be 0 or 1".into());
        }
        let has_types = cfg.type_vocab_size > 0;
        if has_types {
            if let Some(tt) = batch
                .token_type_ids
                .iter()
                .find(|&&tt| tt as usize >= cfg.type_vocab_size)
            {
                return bad(format!(
                    "token type {tt} is outside type_vocab_size {}",
                    cfg.type_vocab_size
                ));
            }
        }
        if with_labels {
            if batch.labels.len() != b {
                return bad(format!("expected {b} labels, got {}", batch.labels.len()));
            }
            let l = cfg.num_labels;
            for &y in &batch.labels {
                let ok = if l == 1 {
                    y.is_finite()
                } else {
                    y >= 0.0 && (y as usize) < l && y.fract() == 0.0
                };
                if !ok {
                    return bad(format!("label {y} is not valid for {l} labels"));
                }
            }
        }

        self.ensure_capacity(b, t)?;
        let a = self
            .acts
            .as_ref()
            .ok_or_else(|| backend_error("no buffers"))?;
        let gpu = &self.gpu;
        gpu.write(&a.ids, &batch.input_ids);
        gpu.write(
            &a.types,
            if has_types {
                &batch.token_type_ids[..]
            } else {
                &[]
            },
        );
        gpu.write(&a.mask, &batch.attention_mask);
        if with_labels {
            gpu.write(&a.labels, &batch.labels);
            let positions: Vec<u32> = (0..bt).map(|i| (i % t) as u32).collect();
            let mut segments = [0; 3];
            let types = if has_types {
                &batch.token_type_ids[..]
            } else {
                &[]
            };
            for (i, ids) in [&batch.input_ids[..], &positions[..], types]
                .into_iter()
                .enumerate()
            {
                let g = Grouping::of(ids);
                gpu.write(&a.groups[i].0, &g.order);
                gpu.write(&a.groups[i].1, &g.segs);
                segments[i] = g.segments();
            }
            return Ok(segments);
        }
        Ok([0; 3])
    }

    fn ensure_capacity(&mut self, b: usize, t: usize) -> Result<()> {
        let cap = match &self.acts {
            Some(a) if a.cap.b >= b && a.cap.t >= t => return Ok(()),
            Some(a) => Capacity {
                b: b.max(a.cap.b),
                t: t.max(a.cap.t),
            },
            None => Capacity { b, t },
        };
        let cap = Capacity {
            b: cap.b,
            t: cap
                .t
                .next_multiple_of(T_ROUND)
                .min(self.cfg.max_position_embeddings)
                .max(t),
        };
        self.acts = None; // free the old buffers first
        self.gpu.clear_bind_groups();
        self.acts = Some(Acts::new(&self.gpu, &self.cfg, cap)?);
        Ok(())
    }

    fn record_forward(
        &self,
        rec: &mut Recorder,
        batch: &Batch,
        dropout_seed: Option<u32>,
    ) -> Result<Dropouts> {
        let a = self
            .acts
            .as_ref()
            .ok_or_else(|| backend_error("no buffers"))?;
        let d = Dropouts::new(&self.cfg, dropout_seed);
        let s = Shape {
            b: batch.batch_size,
            t: batch.seq_len,
        };
        bert::forward(rec, &self.cfg, &self.weights, a, s, &d);
        Ok(d)
    }
}

impl Backend for WebGpuBackend {
    fn name(&self) -> &'static str {
        "webgpu"
    }

    fn accumulate(
        &mut self,
        batch: &Batch,
        accumulation: usize,
        dropout_seed: Option<u32>,
    ) -> Result<()> {
        self.gpu.check()?;
        if accumulation == 0 {
            return Err(Error::Invalid(
                "gradient_accumulation_steps must be at least 1".into(),
            ));
        }
        let segments = self.upload(batch, true)?;
        let mut rec = Recorder::new(&self.gpu);
        let d = self.record_forward(&mut rec, batch, dropout_seed)?;
        let a = self
            .acts
            .as_ref()
            .ok_or_else(|| backend_error("no buffers"))?;
        let s = Shape {
            b: batch.batch_size,
            t: batch.seq_len,
        };
        bert::backward(
            &mut rec,
            &self.cfg,
            &self.weights,
            &self.grads,
            a,
            &self.stats,
            s,
            &d,
            segments,
            accumulation,
        );
        rec.submit();
        self.batches += 1;
        self.pending += 1;
        Ok(())
    }

    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()> {
        self.gpu.check()?;
        if self.pending == 0 {
            return Ok(());
        }
        self.pending = 0;
        self.t += 1;
        let mut rec = Recorder::new(&self.gpu);
        let grads: Vec<&Buf> = self.store.chunks.iter().map(|c| &c.grad).collect();
        grad_norm(&mut rec, &self.stats, &self.partials, &grads);
        for c in &self.store.chunks {
            let chunk = OptChunk {
                param: &c.param,
                grad: &c.grad,
                m: &c.m,
                v: &c.v,
                decay: c.decay,
            };
            adamw(&mut rec, &self.stats, &chunk, lr, self.t, cfg);
        }
        rec.submit();
        Ok(())
    }

    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>> {
        self.gpu.check()?;
        self.upload(batch, false)?;
        let mut rec = Recorder::new(&self.gpu);
        self.record_forward(&mut rec, batch, None)?;
        rec.submit();
        let a = self
            .acts
            .as_ref()
            .ok_or_else(|| backend_error("no buffers"))?;
        let n = batch.batch_size * self.cfg.num_labels;
        let logits = a.logits.slice(0, n);
        self.gpu.read(&logits).await
    }

    async fn take_stats(&mut self) -> Result<TrainStats> {
        let s = self.gpu.read(&self.stats).await?;
        self.gpu.write(&self.stats, &[0.0f32]);
        let batches = std::mem::take(&mut self.batches);
        let loss = if batches > 0 {
            s[0] / batches as f32
        } else {
            0.0
        };
        Ok(TrainStats {
            loss,
            grad_norm: s[1],
            batches,
        })
    }

    async fn weights(&mut self) -> Result<Vec<NamedTensor>> {
        self.store.read(&self.gpu, Which::Param).await
    }

    async fn wait_idle(&mut self) -> Result<()> {
        self.gpu.finish().await
    }

    async fn optimizer_state(&mut self) -> Result<OptimizerState> {
        Ok(OptimizerState {
            step: self.t,
            m: self.store.read(&self.gpu, Which::M).await?,
            v: self.store.read(&self.gpu, Which::V).await?,
        })
    }

    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()> {
        self.gpu.check()?;
        let specs = &self.store.specs;
        let moments =
            state.moments_for(specs.iter().map(|s| (s.name.as_str(), s.shape.as_slice())))?;
        let (m, v): (Vec<&[f32]>, Vec<&[f32]>) = moments.into_iter().unzip();
        self.store.write(&self.gpu, Which::M, &m)?;
        self.store.write(&self.gpu, Which::V, &v)?;
        self.t = state.step;
        Ok(())
    }
}
