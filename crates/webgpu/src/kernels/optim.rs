//! Global gradient norm and fused clipping + AdamW + zeroing, chunk by chunk of the
//! parameter store (each chunk one storage binding).

use crate::buf::Buf;
use crate::recorder::{grid, Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};
use wick_engine::optim::AdamWConfig;

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("optim.wgsl");
static NORM_PARTIAL: Kernel = Kernel {
    source: SRC,
    entry: "grad_norm_partial",
    bindings: &[R, W],
};
static NORM_FINAL: Kernel = Kernel {
    source: SRC,
    entry: "grad_norm_final",
    bindings: &[R, W],
};
static ADAMW: Kernel = Kernel {
    source: SRC,
    entry: "adamw",
    bindings: &[R, W, W, W, W],
};

/// Workgroups (and partial sums) per chunk in the first stage of the norm.
pub const NORM_PARTS: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
struct Params {
    n: u32,
    out_off: u32,
    decay: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    step_size: f32,
    bc2_sqrt: f32,
    eps: f32,
    max_norm: f32,
    _pad: [u32; 2],
}

/// One chunk of parameters with its gradient and moments (all the same length).
pub struct OptChunk<'a> {
    pub param: &'a Buf,
    pub grad: &'a Buf,
    pub m: &'a Buf,
    pub v: &'a Buf,
    /// Apply weight decay (not for biases and LayerNorm weights).
    pub decay: bool,
}

// stats[1] = || grads ||_2 over all chunks;  partials [chunks * NORM_PARTS] scratch
pub fn grad_norm(rec: &mut Recorder, stats: &Buf, partials: &Buf, grads: &[&Buf]) {
    for (i, g) in grads.iter().enumerate() {
        let p = Params {
            n: g.len as u32,
            out_off: (i * NORM_PARTS) as u32,
            ..Default::default()
        };
        rec.dispatch(&NORM_PARTIAL, &p, &[g, partials], [NORM_PARTS as u32, 1, 1]);
    }
    let p = Params {
        n: (grads.len() * NORM_PARTS) as u32,
        ..Default::default()
    };
    rec.dispatch(&NORM_FINAL, &p, &[partials, stats], [1, 1, 1]);
}

// param, m, v [n] updated by AdamW step `t` (1-based) from grad [n] clipped by stats[1],
// as wick_engine::optim::adamw_update; grad zeroed.
pub fn adamw(
    rec: &mut Recorder,
    stats: &Buf,
    chunk: &OptChunk,
    lr: f64,
    t: u64,
    cfg: &AdamWConfig,
) {
    let p = Params {
        n: chunk.param.len as u32,
        out_off: 0,
        decay: if chunk.decay {
            (1.0 - lr * cfg.weight_decay) as f32
        } else {
            1.0
        },
        one_minus_beta1: (1.0 - cfg.beta1) as f32,
        beta2: cfg.beta2 as f32,
        one_minus_beta2: (1.0 - cfg.beta2) as f32,
        step_size: (lr / (1.0 - cfg.beta1.powi(t as i32))) as f32,
        bc2_sqrt: (1.0 - cfg.beta2.powi(t as i32)).sqrt() as f32,
        eps: cfg.eps as f32,
        max_norm: cfg.max_grad_norm as f32,
        _pad: [0; 2],
    };
    let groups = grid(chunk.param.len.div_ceil(256));
    rec.dispatch(
        &ADAMW,
        &p,
        &[stats, chunk.param, chunk.grad, chunk.m, chunk.v],
        groups,
    );
}
