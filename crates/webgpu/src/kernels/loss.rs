//! Cross-entropy and MSE: logits gradient and the loss added to the device-side statistics.

use crate::buf::Buf;
use crate::recorder::{Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("loss.wgsl");
static CROSS_ENTROPY: Kernel = Kernel {
    source: SRC,
    entry: "cross_entropy",
    bindings: &[R, R, W, W],
};
static MSE: Kernel = Kernel {
    source: SRC,
    entry: "mse",
    bindings: &[R, R, W, W],
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    b: u32,
    l: u32,
    grad_scale: f32,
    _pad: u32,
}

// dlogits [B, L] = d(mean loss / accumulation) / d logits; stats[0] += mean loss
// logits [B, L], labels [B]. L == 1: MSE (regression); else cross-entropy.
pub fn loss_forward_backward(
    rec: &mut Recorder,
    dlogits: &Buf,
    stats: &Buf,
    logits: &Buf,
    labels: &Buf,
    b: usize,
    l: usize,
    accumulation: usize,
) {
    let p = Params {
        b: b as u32,
        l: l as u32,
        grad_scale: 1.0 / (b * accumulation) as f32,
        _pad: 0,
    };
    let kernel = if l == 1 { &MSE } else { &CROSS_ENTROPY };
    rec.dispatch(kernel, &p, &[logits, labels, dlogits, stats], [1, 1, 1]);
}
