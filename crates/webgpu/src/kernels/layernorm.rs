//! LayerNorm forward (saving mean and 1/std per row) and backward (input and parameters).

use crate::buf::Buf;
use crate::recorder::{grid, Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("layernorm.wgsl");
static FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "layernorm_forward",
    bindings: &[R, R, R, W, W, W],
};
static BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "layernorm_backward",
    bindings: &[R, R, R, R, R, W],
};
static PARAM_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "layernorm_param_backward",
    bindings: &[R, R, R, R, W, W],
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    c: u32,
    eps: f32,
    _pad: u32,
}

fn params(rows: usize, c: usize, eps: f64) -> Params {
    Params {
        rows: rows as u32,
        c: c as u32,
        eps: eps as f32,
        _pad: 0,
    }
}

// out [R, C] = LN(x) * w + b; mean, rstd [R]
#[allow(clippy::too_many_arguments)]
pub fn layernorm_forward(
    rec: &mut Recorder,
    out: &Buf,
    mean: &Buf,
    rstd: &Buf,
    x: &Buf,
    w: &Buf,
    b: &Buf,
    rows: usize,
    c: usize,
    eps: f64,
) {
    rec.dispatch(
        &FORWARD,
        &params(rows, c, eps),
        &[x, w, b, out, mean, rstd],
        grid(rows),
    );
}

// dx [R, C] = LN backward of dy [R, C]; dw, db [C] += parameter gradients
#[allow(clippy::too_many_arguments)]
pub fn layernorm_backward(
    rec: &mut Recorder,
    dx: &Buf,
    dw: &Buf,
    db: &Buf,
    dy: &Buf,
    x: &Buf,
    mean: &Buf,
    rstd: &Buf,
    w: &Buf,
    rows: usize,
    c: usize,
) {
    let p = params(rows, c, 0.0);
    rec.dispatch(&BACKWARD, &p, &[dy, x, w, mean, rstd, dx], grid(rows));
    rec.dispatch(
        &PARAM_BACKWARD,
        &p,
        &[dy, x, mean, rstd, dw, db],
        [c.div_ceil(64) as u32, 1, 1],
    );
}
