//! Which backend a run trains on, and the fall back to the CPU when the GPU fails.
//!
//! On WebGPU the weights live in GPU memory, which a lost device takes with it. So the run
//! keeps a copy on the CPU, with the trainer's state, refreshed at every log (an async
//! readback, off the step path). A failed GPU step hands the trainer a CPU backend built from
//! that copy and takes it back to that state: the steps since the last log run again on the
//! CPU, with the same batches, dropout seeds and schedule. Only AdamW's moments start afresh
//! (they stay on the GPU).

use super::session::{Model, Snapshot};
use wick_engine::backend::{Backend, NamedTensor};
use wick_engine::model::{CpuBackend, ModelConfig};
use wick_engine::train::Event as TrainEvent;
use wick_engine::Error;
use wick_webgpu::{AnyBackend, BackendKind, GpuOptions, WebGpuBackend};

/// The backend the form asks for ("auto", "cpu" or "webgpu") with `weights` loaded, a line
/// saying what it is (and why not WebGPU, under "auto"), and the snapshot to keep.
pub async fn choose(
    choice: &str,
    gpu: &GpuOptions,
    config: ModelConfig,
    weights: Vec<NamedTensor>,
) -> Result<(AnyBackend, String, Option<Snapshot>), String> {
    let cpu = |config, weights, why: String| -> Result<_, String> {
        let b = AnyBackend::Cpu(CpuBackend::new(config, weights).map_err(|e| e.to_string())?);
        let detail = format!("{} on one wasm thread with SIMD{why}", b.describe());
        Ok((b, detail, None))
    };
    match choice {
        "cpu" => cpu(config, weights, String::new()),
        "webgpu" | "auto" => match WebGpuBackend::create(&config, &weights, gpu).await {
            Ok(gpu) => {
                let b = AnyBackend::WebGpu(gpu);
                let detail = b.describe();
                let state = Default::default();
                Ok((b, detail, Some(Snapshot { state, weights })))
            }
            Err(e) if choice == "auto" => cpu(config, weights, format!(" (no WebGPU: {e})")),
            Err(e) => Err(format!("WebGPU could not start: {e}; choose auto or cpu")),
        },
        other => Err(format!("backend `{other}`: expected auto, cpu or webgpu")),
    }
}

/// One optimizer step; on WebGPU, also wait for the device (so progress counts steps done,
/// not steps queued) and, at a log, refresh the snapshot.
pub async fn step(model: &mut Model) -> Result<Option<Vec<TrainEvent>>, Error> {
    let Some(events) = model.trainer.step().await? else {
        return Ok(None);
    };
    let backend = &mut model.trainer.backend;
    // The trainer waited for the device at the end of the step (`Backend::wait_idle`), so the
    // progress counts steps done, not queued.
    if backend.kind() == BackendKind::WebGpu {
        if events.iter().any(|e| matches!(e, TrainEvent::Log(_))) {
            let weights = backend.weights().await?;
            let state = model.trainer.state().clone();
            model.snapshot = Some(Snapshot { state, weights });
        }
    }
    Ok(Some(events))
}

/// After a failed step on WebGPU: continue on the CPU from the snapshot. Returns what to tell
/// the user, or the error itself where there is nothing to fall back to.
pub fn fall_back(model: &mut Model, error: &Error) -> Result<String, String> {
    let (BackendKind::WebGpu, Some(snapshot)) =
        (model.trainer.backend.kind(), model.snapshot.take())
    else {
        return Err(error.to_string());
    };
    let config = model.trainer.backend.config().clone();
    let cpu = CpuBackend::new(config, snapshot.weights).map_err(|e| e.to_string())?;
    let resumed = snapshot.state.global_step;
    model.trainer.backend = AnyBackend::Cpu(cpu);
    model.trainer.restore(snapshot.state);
    Ok(format!(
        "WebGPU failed ({error}). Training goes on on the CPU from step \
         {resumed}, the last log (AdamW's moments start again)."
    ))
}
