//! `AnyBackend`: the CPU backend (candle) or the WebGPU backend behind one type, so the CLI's
//! `--backend` and the browser worker choose at run time while the trainer stays the same.

use crate::gpu::GpuOptions;
use crate::model::WebGpuBackend;
use wick_engine::backend::{Backend, NamedTensor, OptimizerState, TrainStats};
use wick_engine::collate::Batch;
use wick_engine::model::{load_checkpoint, CpuBackend, LoadReport, ModelConfig};
use wick_engine::optim::AdamWConfig;
use wick_engine::Result;

/// Which backend to train on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendKind {
    #[default]
    Cpu,
    WebGpu,
}

pub enum AnyBackend {
    Cpu(CpuBackend),
    WebGpu(WebGpuBackend),
}

impl AnyBackend {
    /// Load a checkpoint (config with its labels set, `model.safetensors` bytes) on `kind`.
    /// The weights are read, and a missing head drawn from `seed`, once by the engine's loader,
    /// so the same seed gives the same starting point on either backend.
    /// `ignore_mismatched_sizes`: see `wick_engine::model::load_checkpoint`.
    pub async fn from_checkpoint(
        kind: BackendKind,
        gpu: &GpuOptions,
        config: ModelConfig,
        safetensors: &[u8],
        seed: u64,
        ignore_mismatched_sizes: bool,
    ) -> Result<(AnyBackend, LoadReport)> {
        let (weights, report) =
            load_checkpoint(&config, safetensors, seed as u32, ignore_mismatched_sizes)?;
        Ok((Self::new(kind, gpu, config, weights).await?, report))
    }

    /// From parameters by transformers' names (e.g. another backend's `weights()`).
    pub async fn new(
        kind: BackendKind,
        gpu: &GpuOptions,
        config: ModelConfig,
        weights: Vec<NamedTensor>,
    ) -> Result<AnyBackend> {
        Ok(match kind {
            BackendKind::Cpu => AnyBackend::Cpu(CpuBackend::new(config, weights)?),
            BackendKind::WebGpu => {
                AnyBackend::WebGpu(WebGpuBackend::create(&config, &weights, gpu).await?)
            }
        })
    }

    pub fn config(&self) -> &ModelConfig {
        match self {
            AnyBackend::Cpu(b) => b.config(),
            AnyBackend::WebGpu(b) => b.config(),
        }
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            AnyBackend::Cpu(_) => BackendKind::Cpu,
            AnyBackend::WebGpu(_) => BackendKind::WebGpu,
        }
    }

    /// What does the arithmetic, for logs and the page: the adapter's name on WebGPU.
    pub fn describe(&self) -> String {
        match self {
            AnyBackend::Cpu(_) => "CPU (candle)".into(),
            AnyBackend::WebGpu(b) => {
                let i = &b.gpu().info;
                // Browsers may hide the adapter's name.
                let name = if i.name.is_empty() {
                    "adapter"
                } else {
                    &i.name
                };
                format!("WebGPU: {name} ({}, {})", i.backend, i.device_type)
            }
        }
    }

    /// Destroy the GPU device, as a driver reset or a crash of the GPU process would: the
    /// browser's test of the fall back to the CPU. Nothing on the CPU backend.
    pub fn lose_device(&self) {
        if let AnyBackend::WebGpu(b) = self {
            b.gpu().device.destroy();
        }
    }
}

impl Backend for AnyBackend {
    fn name(&self) -> &'static str {
        match self {
            AnyBackend::Cpu(b) => b.name(),
            AnyBackend::WebGpu(b) => b.name(),
        }
    }

    fn accumulate(
        &mut self,
        batch: &Batch,
        accumulation: usize,
        dropout_seed: Option<u32>,
    ) -> Result<()> {
        match self {
            AnyBackend::Cpu(b) => b.accumulate(batch, accumulation, dropout_seed),
            AnyBackend::WebGpu(b) => b.accumulate(batch, accumulation, dropout_seed),
        }
    }

    fn step(&mut self, lr: f64, cfg: &AdamWConfig) -> Result<()> {
        match self {
            AnyBackend::Cpu(b) => b.step(lr, cfg),
            AnyBackend::WebGpu(b) => b.step(lr, cfg),
        }
    }

    async fn logits(&mut self, batch: &Batch) -> Result<Vec<f32>> {
        match self {
            AnyBackend::Cpu(b) => b.logits(batch).await,
            AnyBackend::WebGpu(b) => b.logits(batch).await,
        }
    }

    async fn take_stats(&mut self) -> Result<TrainStats> {
        match self {
            AnyBackend::Cpu(b) => b.take_stats().await,
            AnyBackend::WebGpu(b) => b.take_stats().await,
        }
    }

    async fn weights(&mut self) -> Result<Vec<NamedTensor>> {
        match self {
            AnyBackend::Cpu(b) => b.weights().await,
            AnyBackend::WebGpu(b) => b.weights().await,
        }
    }

    async fn wait_idle(&mut self) -> Result<()> {
        match self {
            AnyBackend::Cpu(b) => b.wait_idle().await,
            AnyBackend::WebGpu(b) => b.wait_idle().await,
        }
    }

    async fn optimizer_state(&mut self) -> Result<OptimizerState> {
        match self {
            AnyBackend::Cpu(b) => b.optimizer_state().await,
            AnyBackend::WebGpu(b) => b.optimizer_state().await,
        }
    }

    fn load_optimizer_state(&mut self, state: &OptimizerState) -> Result<()> {
        match self {
            AnyBackend::Cpu(b) => b.load_optimizer_state(state),
            AnyBackend::WebGpu(b) => b.load_optimizer_state(state),
        }
    }
}
