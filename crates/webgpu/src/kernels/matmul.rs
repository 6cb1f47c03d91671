//! Linear layers as tiled matmuls: forward with bias, the two transposed products of the
//! backward, the bias gradient; and the strided batched form attention uses.

use crate::buf::Buf;
use crate::recorder::{Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};

const SRC: &str = include_str!("matmul.wgsl");

static MATMUL: Kernel = Kernel {
    source: SRC,
    entry: "matmul",
    bindings: &[Access::Read, Access::Read, Access::Read, Access::ReadWrite],
};
/// `matmul` with f16 tiles, made from the same source (`tile_t`), for adapters with
/// `shader-f16` when `GpuOptions::allow_f16` asks for it.
fn matmul_f16() -> &'static Kernel {
    static K: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let source = SRC
            .replace("alias tile_t = f32;", "alias tile_t = f16;")
            .replace("fn matmul(", "fn matmul_f16(");
        Kernel {
            // Made once per process: leaking it gives the `&'static str` a kernel holds.
            source: Box::leak(format!("enable f16;\n{source}").into_boxed_str()),
            entry: "matmul_f16",
            bindings: MATMUL.bindings,
        }
    })
}
static BIAS_BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "bias_backward",
    bindings: &[Access::Read, Access::ReadWrite],
};

/// How an operand is laid out: element (zo, zi, r, c) is at
/// `off + zo * so + zi * si + r * sr + c * sc` (in words, within its bound buffer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Layout {
    pub off: u32,
    pub so: u32,
    pub si: u32,
    pub sr: u32,
    pub sc: u32,
}

impl Layout {
    /// Row-major rows of length `ld` apart: X[r][c] = x[off + r * ld + c].
    pub fn rows(off: usize, ld: usize) -> Layout {
        Layout {
            off: off as u32,
            sr: ld as u32,
            sc: 1,
            ..Default::default()
        }
    }
    /// The transpose of row-major rows `ld` apart: X[r][c] = x[off + c * ld + r].
    pub fn cols(off: usize, ld: usize) -> Layout {
        Layout {
            off: off as u32,
            sr: 1,
            sc: ld as u32,
            ..Default::default()
        }
    }
    /// Batch strides: outer index `zo` (e.g. the sequence) and inner `zi` (e.g. the head).
    pub fn batched(self, so: usize, si: usize) -> Layout {
        Layout {
            so: so as u32,
            si: si as u32,
            ..self
        }
    }
}

/// Sizes of a (batched) product: C[z] (M x N) = A[z] (M x K) B[z] (K x N), z < z_outer * z_inner.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub z_outer: usize,
    pub z_inner: usize,
}

impl Dims {
    pub fn new(m: usize, n: usize, k: usize) -> Dims {
        Dims {
            m,
            n,
            k,
            z_outer: 1,
            z_inner: 1,
        }
    }
    pub fn batched(self, z_outer: usize, z_inner: usize) -> Dims {
        Dims {
            z_outer,
            z_inner,
            ..self
        }
    }
    pub fn flops(&self) -> f64 {
        2.0 * (self.m * self.n * self.k * self.z_outer * self.z_inner) as f64
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct MatmulParams {
    m: u32,
    n: u32,
    k: u32,
    z_inner: u32,
    a: Layout,
    b: Layout,
    c: Layout,
    alpha: f32,
    beta: f32,
    has_bias: u32,
    bias_off: u32,
}

/// One operand: a buffer and how to read it.
pub struct Operand<'a>(pub &'a Buf, pub Layout);

/// C = alpha * A B (+ bias[n] broadcast over rows) (+ beta * C).
/// `bias`: the buffer and the word offset of the bias vector in it.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    rec: &mut Recorder,
    c: Operand,
    a: Operand,
    b: Operand,
    bias: Option<(&Buf, usize)>,
    d: Dims,
    alpha: f32,
    beta: f32,
) {
    let dummy = rec.gpu().dummy.clone();
    let (bias_buf, bias_off) = bias.unwrap_or((&dummy, 0));
    let p = MatmulParams {
        m: d.m as u32,
        n: d.n as u32,
        k: d.k as u32,
        z_inner: d.z_inner as u32,
        a: a.1,
        b: b.1,
        c: c.1,
        alpha,
        beta,
        has_bias: bias.is_some() as u32,
        bias_off: bias_off as u32,
    };
    let grid = [
        d.n.div_ceil(64) as u32,
        d.m.div_ceil(64) as u32,
        (d.z_outer * d.z_inner) as u32,
    ];
    let kernel = if rec.gpu().info.shader_f16 {
        matmul_f16()
    } else {
        &MATMUL
    };
    rec.dispatch(kernel, &p, &[a.0, b.0, bias_buf, c.0], grid);
}

// y [M, N] = x [M, K] (rows `x_ld` apart) W^T + b      W [N, K] (PyTorch Linear), b [N]
#[allow(clippy::too_many_arguments)]
pub fn linear_forward(
    rec: &mut Recorder,
    y: &Buf,
    x: &Buf,
    x_ld: usize,
    w: &Buf,
    b: Option<&Buf>,
    m: usize,
    n: usize,
    k: usize,
) {
    matmul(
        rec,
        Operand(y, Layout::rows(0, n)),
        Operand(x, Layout::rows(0, x_ld)),
        Operand(w, Layout::cols(0, k)),
        b.map(|b| (b, 0)),
        Dims::new(m, n, k),
        1.0,
        0.0,
    );
}

// dx [M, K] (rows `x_ld` apart) (+)= dy [M, N] W      W [N, K]
// dW [N, K] += dy^T x                                  x [M, K] (rows `x_ld` apart)
// db [N] += sum_m dy[m, :]
/// `accumulate_dx`: add to dx (a residual stream that already holds a gradient).
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    rec: &mut Recorder,
    dx: &Buf,
    dw: &Buf,
    db: Option<&Buf>,
    dy: &Buf,
    x: &Buf,
    x_ld: usize,
    w: &Buf,
    m: usize,
    n: usize,
    k: usize,
    accumulate_dx: bool,
) {
    matmul(
        rec,
        Operand(dx, Layout::rows(0, x_ld)),
        Operand(dy, Layout::rows(0, n)),
        Operand(w, Layout::rows(0, k)),
        None,
        Dims::new(m, k, n),
        1.0,
        if accumulate_dx { 1.0 } else { 0.0 },
    );
    matmul(
        rec,
        Operand(dw, Layout::rows(0, k)),
        Operand(dy, Layout::cols(0, n)),
        Operand(x, Layout::rows(0, x_ld)),
        None,
        Dims::new(n, k, m),
        1.0,
        1.0,
    );
    if let Some(db) = db {
        bias_backward(rec, db, dy, m, n);
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BiasParams {
    m: u32,
    n: u32,
}

// db [N] += sum_m dy [M, N]
pub fn bias_backward(rec: &mut Recorder, db: &Buf, dy: &Buf, m: usize, n: usize) {
    let p = BiasParams {
        m: m as u32,
        n: n as u32,
    };
    rec.dispatch(&BIAS_BACKWARD, &p, &[dy, db], [n.div_ceil(64) as u32, 1, 1]);
}
