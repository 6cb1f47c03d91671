//! Dropout, GELU, tanh and ReLU, forward and backward.

use crate::buf::Buf;
use crate::recorder::{grid, Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};
use wick_engine::rng;

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("elementwise.wgsl");
static DROPOUT: Kernel = Kernel {
    source: SRC,
    entry: "dropout",
    bindings: &[R, W],
};
static DROPOUT_INPLACE: Kernel = Kernel {
    source: SRC,
    entry: "dropout_inplace",
    bindings: &[W],
};
static DROPOUT_ADD: Kernel = Kernel {
    source: SRC,
    entry: "dropout_add",
    bindings: &[R, R, W],
};
static GELU_FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "gelu_forward",
    bindings: &[R, W],
};
static GELU_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "gelu_backward",
    bindings: &[R, W],
};
static TANH_FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "tanh_forward",
    bindings: &[W],
};
static TANH_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "tanh_backward",
    bindings: &[R, W],
};
static RELU_FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "relu_forward",
    bindings: &[W],
};
static RELU_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "relu_backward",
    bindings: &[R, W],
};

/// One dropout site of one step: the same numbers as `wick_engine::rng::keep(seed, stream, i, p)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// `hash32(hash32(seed) ^ stream)`: the part of `rng::uniform` that is the same for a site.
    pub key: u32,
    pub p: f32,
    pub scale: f32,
}

impl Dropout {
    pub const OFF: Dropout = Dropout {
        key: 0,
        p: 0.0,
        scale: 1.0,
    };

    /// Dropout with probability `p` at site `stream`; off without a seed or with `p == 0`.
    pub fn new(seed: Option<u32>, stream: u32, p: f64) -> Dropout {
        match seed {
            Some(seed) if p > 0.0 => {
                let p = p as f32;
                Dropout {
                    key: rng::hash32(rng::hash32(seed) ^ stream),
                    p,
                    scale: 1.0 / (1.0 - p),
                }
            }
            _ => Dropout::OFF,
        }
    }

    pub fn is_on(&self) -> bool {
        self.p > 0.0
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    key: u32,
    p: f32,
    scale: f32,
}

fn params(n: usize, d: Dropout) -> Params {
    Params {
        n: n as u32,
        key: d.key,
        p: d.p,
        scale: d.scale,
    }
}

fn groups(n: usize) -> [u32; 3] {
    grid(n.div_ceil(256))
}

// out [n] = dropout(x [n]); also the backward (on gradients, same site and indices)
pub fn dropout(rec: &mut Recorder, out: &Buf, x: &Buf, n: usize, d: Dropout) {
    rec.dispatch(&DROPOUT, &params(n, d), &[x, out], groups(n));
}

// x [n] = dropout(x), in place; nothing to do when off
pub fn dropout_inplace(rec: &mut Recorder, x: &Buf, n: usize, d: Dropout) {
    if d.is_on() {
        rec.dispatch(&DROPOUT_INPLACE, &params(n, d), &[x], groups(n));
    }
}

// out [n] = dropout(x [n]) + r [n]
pub fn dropout_add(rec: &mut Recorder, out: &Buf, x: &Buf, r: &Buf, n: usize, d: Dropout) {
    rec.dispatch(&DROPOUT_ADD, &params(n, d), &[x, r, out], groups(n));
}

// out [n] = gelu(x [n])
pub fn gelu_forward(rec: &mut Recorder, out: &Buf, x: &Buf, n: usize) {
    rec.dispatch(
        &GELU_FORWARD,
        &params(n, Dropout::OFF),
        &[x, out],
        groups(n),
    );
}

// dy [n] *= gelu'(x [n]), in place
pub fn gelu_backward(rec: &mut Recorder, dy: &Buf, x: &Buf, n: usize) {
    rec.dispatch(
        &GELU_BACKWARD,
        &params(n, Dropout::OFF),
        &[x, dy],
        groups(n),
    );
}

// x [n] = tanh(x), in place
pub fn tanh_forward(rec: &mut Recorder, x: &Buf, n: usize) {
    rec.dispatch(&TANH_FORWARD, &params(n, Dropout::OFF), &[x], groups(n));
}

// dy [n] *= 1 - y^2, y = tanh output [n]
pub fn tanh_backward(rec: &mut Recorder, dy: &Buf, y: &Buf, n: usize) {
    rec.dispatch(
        &TANH_BACKWARD,
        &params(n, Dropout::OFF),
        &[y, dy],
        groups(n),
    );
}

// x [n] = relu(x), in place
pub fn relu_forward(rec: &mut Recorder, x: &Buf, n: usize) {
    rec.dispatch(&RELU_FORWARD, &params(n, Dropout::OFF), &[x], groups(n));
}

// dy [n] *= (y > 0), y = relu output [n]
pub fn relu_backward(rec: &mut Recorder, dy: &Buf, y: &Buf, n: usize) {
    rec.dispatch(
        &RELU_BACKWARD,
        &params(n, Dropout::OFF),
        &[y, dy],
        groups(n),
    );
}
