//! Multi-head self-attention over a fused QKV buffer: scores, masked softmax, dropout, the
//! weighted sum, and the backward of each. Heads are strided views: no transposing copies.

use super::elementwise::{dropout, Dropout};
use super::matmul::{matmul, Dims, Layout, Operand};
use crate::buf::Buf;
use crate::recorder::{grid, Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("attention.wgsl");
static SOFTMAX_FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "softmax_forward",
    bindings: &[R, W],
};
static SOFTMAX_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "softmax_backward",
    bindings: &[R, W],
};

/// Shapes of one attention call.
#[derive(Clone, Copy, Debug)]
pub struct AttnShape {
    pub b: usize,
    pub t: usize,
    pub heads: usize,
    pub head_dim: usize,
}

impl AttnShape {
    fn c(&self) -> usize {
        self.heads * self.head_dim
    }
    fn alpha(&self) -> f32 {
        1.0 / (self.head_dim as f32).sqrt()
    }
    // qkv [B, T, 3C]: Q, K or V (part 0, 1, 2) of head h as a [T, d] matrix
    fn qkv(&self, part: usize) -> Layout {
        let c3 = 3 * self.c();
        Layout::rows(part * self.c(), c3).batched(self.t * c3, self.head_dim)
    }
    // the same, transposed: [d, T]
    fn qkv_t(&self, part: usize) -> Layout {
        let c3 = 3 * self.c();
        Layout::cols(part * self.c(), c3).batched(self.t * c3, self.head_dim)
    }
    // att [B, H, T, T]: head (b, h) as a [T, T] matrix
    fn att(&self) -> Layout {
        Layout::rows(0, self.t).batched(self.heads * self.t * self.t, self.t * self.t)
    }
    fn att_t(&self) -> Layout {
        Layout::cols(0, self.t).batched(self.heads * self.t * self.t, self.t * self.t)
    }
    // ctx [B, T, C]: head h as a [T, d] matrix
    fn ctx(&self) -> Layout {
        Layout::rows(0, self.c()).batched(self.t * self.c(), self.head_dim)
    }
    fn dims(&self, m: usize, n: usize, k: usize) -> Dims {
        Dims::new(m, n, k).batched(self.b, self.heads)
    }
    pub fn att_len(&self) -> usize {
        self.b * self.heads * self.t * self.t
    }
    pub fn flops_forward(&self) -> f64 {
        4.0 * (self.b * self.heads * self.t * self.t * self.head_dim) as f64
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    t: u32,
    ht: u32,
    key: u32,
    p: f32,
    scale: f32,
    _pad: [u32; 2],
}

fn params(s: &AttnShape, d: Dropout) -> Params {
    Params {
        rows: (s.b * s.heads * s.t) as u32,
        t: s.t as u32,
        ht: (s.heads * s.t) as u32,
        key: d.key,
        p: d.p,
        scale: d.scale,
        _pad: [0; 2],
    }
}

// att [B, H, T, T] = softmax(Q K^T / sqrt(d), keys masked by mask [B, T])  (saved: P)
// att_drop [B, H, T, T] = dropout(P)                                       (when on)
// ctx [B, T, C] = dropout(P) V, heads merged        qkv [B, T, 3C] = [Q | K | V]
#[allow(clippy::too_many_arguments)]
pub fn attention_forward(
    rec: &mut Recorder,
    ctx: &Buf,
    att: &Buf,
    att_drop: &Buf,
    qkv: &Buf,
    mask: &Buf,
    s: AttnShape,
    drop: Dropout,
) {
    let (t, d) = (s.t, s.head_dim);
    matmul(
        rec,
        Operand(att, s.att()),
        Operand(qkv, s.qkv(0)),
        Operand(qkv, s.qkv_t(1)),
        None,
        s.dims(t, t, d),
        s.alpha(),
        0.0,
    );
    rec.dispatch(
        &SOFTMAX_FORWARD,
        &params(&s, drop),
        &[mask, att],
        grid(s.b * s.heads * t),
    );
    let p = if drop.is_on() {
        dropout(rec, att_drop, att, s.att_len(), drop);
        att_drop
    } else {
        att
    };
    matmul(
        rec,
        Operand(ctx, s.ctx()),
        Operand(p, s.att()),
        Operand(qkv, s.qkv(2)),
        None,
        s.dims(t, d, t),
        1.0,
        0.0,
    );
}

// dqkv [B, T, 3C] = [dQ | dK | dV] from dctx [B, T, C]
// Uses att (P, saved), and as scratch att_drop (dropout(P), recomputed) and datt [B, H, T, T].
#[allow(clippy::too_many_arguments)]
pub fn attention_backward(
    rec: &mut Recorder,
    dqkv: &Buf,
    datt: &Buf,
    att_drop: &Buf,
    dctx: &Buf,
    qkv: &Buf,
    att: &Buf,
    s: AttnShape,
    drop: Dropout,
) {
    let (t, d) = (s.t, s.head_dim);
    let p = if drop.is_on() {
        dropout(rec, att_drop, att, s.att_len(), drop);
        att_drop
    } else {
        att
    };
    // d(dropped P) = dctx V^T;  dV = dropped P^T dctx
    matmul(
        rec,
        Operand(datt, s.att()),
        Operand(dctx, s.ctx()),
        Operand(qkv, s.qkv_t(2)),
        None,
        s.dims(t, t, d),
        1.0,
        0.0,
    );
    matmul(
        rec,
        Operand(dqkv, s.qkv(2)),
        Operand(p, s.att_t()),
        Operand(dctx, s.ctx()),
        None,
        s.dims(t, d, t),
        1.0,
        0.0,
    );
    // d(scores), through dropout and softmax, in place
    rec.dispatch(
        &SOFTMAX_BACKWARD,
        &params(&s, drop),
        &[att, datt],
        grid(s.b * s.heads * t),
    );
    // dQ = dS K / sqrt(d);  dK = dS^T Q / sqrt(d)
    matmul(
        rec,
        Operand(dqkv, s.qkv(0)),
        Operand(datt, s.att()),
        Operand(qkv, s.qkv(1)),
        None,
        s.dims(t, d, t),
        s.alpha(),
        0.0,
    );
    matmul(
        rec,
        Operand(dqkv, s.qkv(1)),
        Operand(datt, s.att_t()),
        Operand(qkv, s.qkv(0)),
        None,
        s.dims(t, d, t),
        s.alpha(),
        0.0,
    );
}
