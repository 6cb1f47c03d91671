//! A small harness for kernel tests and benchmarks: a device (or a loud failure), buffers from
//! host data, one recorded submission, readback, and a relative-error measure.

use crate::gpu::{Gpu, GpuOptions};
use crate::recorder::Recorder;

/// The device for tests. Without an adapter this panics with how to get one, unless
/// `WICK_SKIP_GPU=1` is set, in which case it returns `None` and the test passes vacuously.
pub fn test_gpu() -> Option<Gpu> {
    test_gpu_with(&GpuOptions::default())
}

/// `test_gpu` with other options (e.g. `allow_f16`).
pub fn test_gpu_with(opts: &GpuOptions) -> Option<Gpu> {
    if std::env::var("WICK_SKIP_GPU").is_ok_and(|v| v == "1") {
        eprintln!("WICK_SKIP_GPU=1: skipping a GPU test");
        return None;
    }
    match pollster::block_on(Gpu::new(opts)) {
        Ok(gpu) => Some(gpu),
        Err(e) => panic!(
            "{e}\nGPU tests need a WebGPU adapter: on Debian `apt-get install mesa-vulkan-drivers \
             libvulkan1` (lavapipe), or set WICK_SKIP_GPU=1 to skip them"
        ),
    }
}

/// Record with `f`, submit, and wait.
pub fn run(gpu: &Gpu, f: impl FnOnce(&mut Recorder)) {
    let mut rec = Recorder::new(gpu);
    f(&mut rec);
    rec.submit();
    pollster::block_on(gpu.finish()).expect("GPU error");
}

/// Largest relative error of `got` against `want`: |g - w| / max(|w|, 1e-2 * max|w|, 1e-30)
/// (elements far below the tensor's scale are compared at 1% of that scale).
pub fn max_rel_err(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "length mismatch");
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let floor = (1e-2 * scale).max(1e-30);
    got.iter()
        .zip(want)
        .map(|(&g, &w)| {
            if !g.is_finite() {
                return f64::INFINITY;
            }
            (g as f64 - w).abs() / w.abs().max(floor)
        })
        .fold(0.0, f64::max)
}

/// Assert `got` matches `want` within `tol` relative error (see `max_rel_err`); returns it.
pub fn assert_close(name: &str, got: &[f32], want: &[f64], tol: f64) -> f64 {
    let e = max_rel_err(got, want);
    eprintln!("{name}: max rel err {e:.2e}");
    assert!(e <= tol, "{name}: max relative error {e:.3e} > {tol:.1e}");
    e
}
