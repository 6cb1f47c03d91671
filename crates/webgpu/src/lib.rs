//! Wick's WebGPU training backend: BERT and DistilBERT sequence classifiers trained by explicit
//! WGSL kernels run through `wgpu` (Vulkan, Metal or DX12 natively; WebGPU in the browser).
//!
//! In the manner of llm.c: one forward and one backward kernel per layer (`kernels/*.wgsl`,
//! shapes in a comment above each), called in order by `model::forward` / `model::backward`.
//! Work stays on the device: one command encoder per step, pipelines and bind groups made once,
//! buffers sized for the longest batch seen and reused, and readbacks are async (`map_async`).
//!
//! - `gpu`: adapter and device, limits, clear errors, async readback.
//! - `buf`: `Buf`, a typed view of (part of) a storage buffer.
//! - `recorder`: pipelines, the bind-group cache, per-dispatch parameters, one encoder per step.
//! - `kernels`: the Rust wrapper of each WGSL kernel.
//! - `model`: `WebGpuBackend`, implementing `wick_engine::backend::Backend`.
//! - `any`: `AnyBackend`, the CPU or this backend chosen at run time.

pub mod any;
pub mod buf;
pub mod gpu;
pub mod kernels;
pub mod model;
pub mod recorder;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use any::{AnyBackend, BackendKind};
pub use buf::Buf;
pub use gpu::{Gpu, GpuOptions};
pub use model::WebGpuBackend;
pub use recorder::Recorder;

/// The engine's error for a failure in this backend.
pub(crate) fn backend_error(msg: impl Into<String>) -> wick_engine::Error {
    wick_engine::Error::Backend {
        backend: "webgpu".into(),
        msg: msg.into(),
    }
}
