//! Per-kernel parity: each WGSL kernel against a plain-loop CPU reference in f64, on small
//! shapes (not multiples of the tile sizes, to reach the edges). fp32 within 1e-4 relative.
//! Needs a WebGPU adapter (lavapipe in CI); `WICK_SKIP_GPU=1` skips.

use wick_engine::rng;
use wick_webgpu::kernels::attention::{attention_backward, attention_forward, AttnShape};
use wick_webgpu::kernels::elementwise::*;
use wick_webgpu::kernels::embedding::{embedding_backward, embedding_forward, Grouping};
use wick_webgpu::kernels::layernorm::{layernorm_backward, layernorm_forward};
use wick_webgpu::kernels::loss::loss_forward_backward;
use wick_webgpu::kernels::matmul::{linear_backward, linear_forward};
use wick_webgpu::kernels::optim::{adamw, grad_norm, OptChunk, NORM_PARTS};
use wick_webgpu::testing::{assert_close, run, test_gpu, test_gpu_with};
use wick_webgpu::{Buf, Gpu, GpuOptions};

const TOL: f64 = 1e-4;

/// Deterministic values in [-scale, scale).
fn rand(n: usize, stream: u32, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|i| (rng::uniform(1234, stream, i as u32) * 2.0 - 1.0) * scale)
        .collect()
}

fn read(gpu: &Gpu, b: &Buf, n: usize) -> Vec<f32> {
    let mut v = pollster::block_on(gpu.read(b)).expect("readback");
    v.truncate(n);
    v
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

#[test]
fn linear_forward_and_backward() {
    let Some(gpu) = test_gpu() else { return };
    check_linear(&gpu, TOL);
}

/// The shader-f16 option (matmul tiles in f16) where the adapter has it (lavapipe does):
/// operands rounded to f16 (2^-11 relative) put the worst element, near zero, within a few
/// percent of the tensor's scale; and it is measurably less exact than fp32, so f16 did run.
#[test]
fn linear_with_f16_tiles() {
    let opts = GpuOptions {
        allow_f16: true,
        ..GpuOptions::default()
    };
    let Some(gpu) = test_gpu_with(&opts) else {
        return;
    };
    if !gpu.info.shader_f16 {
        eprintln!("{}: no shader-f16, nothing to check", gpu.info.name);
        return;
    }
    let err = check_linear(&gpu, 5e-2);
    assert!(err > 1e-5, "f16 tiles should round: error {err:.1e}");
}

/// A linear layer's forward and backward against f64 loops; returns the largest error.
fn check_linear(gpu: &Gpu, tol: f64) -> f64 {
    let (m, n, k) = (70, 50, 67);
    let x = rand(m * k, 1, 1.0);
    let w = rand(n * k, 2, 0.5);
    let b = rand(n, 3, 0.5);
    let dy = rand(m * n, 4, 1.0);
    let dx0 = rand(m * k, 5, 1.0); // dx accumulates onto this
    let dw0 = rand(n * k, 6, 1.0);
    let db0 = rand(n, 7, 1.0);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (xb, wb, bb, dyb) = (up("x", &x), up("w", &w), up("b", &b), up("dy", &dy));
    let (dxb, dwb, dbb) = (up("dx", &dx0), up("dw", &dw0), up("db", &db0));
    let yb = gpu.zeros("y", m * n).unwrap();
    run(gpu, |rec| {
        linear_forward(rec, &yb, &xb, k, &wb, Some(&bb), m, n, k);
        linear_backward(
            rec,
            &dxb,
            &dwb,
            Some(&dbb),
            &dyb,
            &xb,
            k,
            &wb,
            m,
            n,
            k,
            true,
        );
    });
    let mut y = vec![0.0f64; m * n];
    let mut dx = f64s(&dx0);
    let mut dw = f64s(&dw0);
    let mut db = f64s(&db0);
    for i in 0..m {
        for j in 0..n {
            let mut s = b[j] as f64;
            for p in 0..k {
                s += x[i * k + p] as f64 * w[j * k + p] as f64;
            }
            y[i * n + j] = s;
            let g = dy[i * n + j] as f64;
            db[j] += g;
            for p in 0..k {
                dx[i * k + p] += g * w[j * k + p] as f64;
                dw[j * k + p] += g * x[i * k + p] as f64;
            }
        }
    }
    [
        assert_close("linear y", &read(gpu, &yb, m * n), &y, tol),
        assert_close("linear dx", &read(gpu, &dxb, m * k), &dx, tol),
        assert_close("linear dW", &read(gpu, &dwb, n * k), &dw, tol),
        assert_close("linear db", &read(gpu, &dbb, n), &db, tol),
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

#[test]
fn layernorm_forward_and_backward() {
    let Some(gpu) = test_gpu() else { return };
    let (rows, c, eps) = (13, 300, 1e-12);
    let x: Vec<f32> = rand(rows * c, 1, 2.0).iter().map(|v| v + 0.5).collect();
    let w = rand(c, 2, 1.0);
    let b = rand(c, 3, 1.0);
    let dy = rand(rows * c, 4, 1.0);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (xb, wb, bb, dyb) = (up("x", &x), up("w", &w), up("b", &b), up("dy", &dy));
    let z = |l: &str, n: usize| gpu.zeros(l, n).unwrap();
    let (out, mean, rstd, dx, dw, db) = (
        z("o", rows * c),
        z("m", rows),
        z("r", rows),
        z("dx", rows * c),
        z("dw", c),
        z("db", c),
    );
    run(&gpu, |rec| {
        layernorm_forward(rec, &out, &mean, &rstd, &xb, &wb, &bb, rows, c, eps);
        layernorm_backward(rec, &dx, &dw, &db, &dyb, &xb, &mean, &rstd, &wb, rows, c);
    });
    let (mut o, mut gx, mut gw, mut gb) = (
        vec![0.0; rows * c],
        vec![0.0; rows * c],
        vec![0.0; c],
        vec![0.0; c],
    );
    for r in 0..rows {
        let xs = &x[r * c..(r + 1) * c];
        let mu = xs.iter().map(|&v| v as f64).sum::<f64>() / c as f64;
        let var = xs.iter().map(|&v| (v as f64 - mu).powi(2)).sum::<f64>() / c as f64;
        let rs = 1.0 / (var + eps).sqrt();
        let xhat: Vec<f64> = xs.iter().map(|&v| (v as f64 - mu) * rs).collect();
        let g: Vec<f64> = (0..c).map(|j| dy[r * c + j] as f64 * w[j] as f64).collect();
        let mg = g.iter().sum::<f64>() / c as f64;
        let mgx = g.iter().zip(&xhat).map(|(a, b)| a * b).sum::<f64>() / c as f64;
        for j in 0..c {
            o[r * c + j] = xhat[j] * w[j] as f64 + b[j] as f64;
            gx[r * c + j] = rs * (g[j] - mg - xhat[j] * mgx);
            gw[j] += dy[r * c + j] as f64 * xhat[j];
            gb[j] += dy[r * c + j] as f64;
        }
    }
    assert_close("layernorm out", &read(&gpu, &out, rows * c), &o, TOL);
    assert_close("layernorm dx", &read(&gpu, &dx, rows * c), &gx, TOL);
    assert_close("layernorm dw", &read(&gpu, &dw, c), &gw, TOL);
    assert_close("layernorm db", &read(&gpu, &db, c), &gb, TOL);
}

/// CPU attention over qkv [B, T, 3C] with mask and dropout; returns (P, ctx, dqkv).
#[allow(clippy::type_complexity)]
fn attention_reference(
    qkv: &[f32],
    mask: &[u32],
    dctx: &[f32],
    s: AttnShape,
    seed: u32,
    stream: u32,
    p: f32,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (b, t, h, d) = (s.b, s.t, s.heads, s.head_dim);
    let c = h * d;
    let at = |bb: usize, i: usize, part: usize, hh: usize, j: usize| {
        qkv[(bb * t + i) * 3 * c + part * c + hh * d + j] as f64
    };
    let scale = 1.0 / (1.0 - p as f64);
    let mut probs = vec![0.0; b * h * t * t];
    let mut ctx = vec![0.0; b * t * c];
    let mut dqkv = vec![0.0; b * t * 3 * c];
    for bb in 0..b {
        for hh in 0..h {
            for i in 0..t {
                let row = ((bb * h + hh) * t + i) * t;
                let sc: Vec<f64> = (0..t)
                    .map(|j| {
                        (0..d)
                            .map(|k| at(bb, i, 0, hh, k) * at(bb, j, 1, hh, k))
                            .sum::<f64>()
                            / (d as f64).sqrt()
                    })
                    .collect();
                let mx = (0..t)
                    .filter(|&j| mask[bb * t + j] != 0)
                    .map(|j| sc[j])
                    .fold(f64::MIN, f64::max);
                let e: Vec<f64> = (0..t)
                    .map(|j| {
                        if mask[bb * t + j] != 0 {
                            (sc[j] - mx).exp()
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let sum: f64 = e.iter().sum();
                let pr: Vec<f64> = e.iter().map(|v| v / sum).collect();
                let keep: Vec<f64> = (0..t)
                    .map(|j| {
                        if p == 0.0 || rng::keep(seed, stream, (row + j) as u32, p) {
                            scale
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let pd: Vec<f64> = (0..t).map(|j| pr[j] * keep[j]).collect();
                for k in 0..d {
                    ctx[(bb * t + i) * c + hh * d + k] =
                        (0..t).map(|j| pd[j] * at(bb, j, 2, hh, k)).sum();
                }
                // Backward of this row.
                let dc = |k: usize| dctx[(bb * t + i) * c + hh * d + k] as f64;
                let dpd: Vec<f64> = (0..t)
                    .map(|j| (0..d).map(|k| dc(k) * at(bb, j, 2, hh, k)).sum())
                    .collect();
                for j in 0..t {
                    for k in 0..d {
                        dqkv[(bb * t + j) * 3 * c + 2 * c + hh * d + k] += pd[j] * dc(k);
                    }
                }
                let g: Vec<f64> = (0..t).map(|j| dpd[j] * keep[j]).collect();
                let dot: f64 = (0..t).map(|j| g[j] * pr[j]).sum();
                let ds: Vec<f64> = (0..t)
                    .map(|j| pr[j] * (g[j] - dot) / (d as f64).sqrt())
                    .collect();
                for j in 0..t {
                    for k in 0..d {
                        dqkv[(bb * t + i) * 3 * c + hh * d + k] += ds[j] * at(bb, j, 1, hh, k);
                        dqkv[(bb * t + j) * 3 * c + c + hh * d + k] += ds[j] * at(bb, i, 0, hh, k);
                    }
                }
                probs[row..row + t].copy_from_slice(&pr);
            }
        }
    }
    (probs, ctx, dqkv)
}

fn check_attention(dropout_p: f32) {
    let Some(gpu) = test_gpu() else { return };
    let s = AttnShape {
        b: 2,
        t: 7,
        heads: 3,
        head_dim: 5,
    };
    let c = s.heads * s.head_dim;
    let bt = s.b * s.t;
    let qkv = rand(bt * 3 * c, 1, 1.5);
    let dctx = rand(bt * c, 2, 1.0);
    let mask: Vec<u32> = (0..bt)
        .map(|i| (i % s.t < if i < s.t { 7 } else { 4 }) as u32)
        .collect();
    let (seed, stream) = (99, rng::stream::attention_probs(1));
    let drop = Dropout::new(Some(seed), stream, dropout_p as f64);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (qkvb, dctxb) = (up("qkv", &qkv), up("dctx", &dctx));
    let maskb = gpu.upload("mask", &mask).unwrap();
    let z = |l: &str, n: usize| gpu.zeros(l, n).unwrap();
    let (ctx, att, att_drop, datt, dqkv) = (
        z("ctx", bt * c),
        z("att", s.att_len()),
        z("ad", s.att_len()),
        z("datt", s.att_len()),
        z("dqkv", bt * 3 * c),
    );
    run(&gpu, |rec| {
        attention_forward(rec, &ctx, &att, &att_drop, &qkvb, &maskb, s, drop);
        attention_backward(rec, &dqkv, &datt, &att_drop, &dctxb, &qkvb, &att, s, drop);
    });
    let (p, cx, dq) = attention_reference(&qkv, &mask, &dctx, s, seed, stream, dropout_p);
    let tag = format!("attention (dropout {dropout_p})");
    assert_close(
        &format!("{tag} probs"),
        &read(&gpu, &att, s.att_len()),
        &p,
        TOL,
    );
    assert_close(&format!("{tag} ctx"), &read(&gpu, &ctx, bt * c), &cx, TOL);
    assert_close(
        &format!("{tag} dqkv"),
        &read(&gpu, &dqkv, bt * 3 * c),
        &dq,
        TOL,
    );
}

#[test]
fn attention_forward_and_backward() {
    check_attention(0.0);
}

#[test]
fn attention_with_dropout() {
    check_attention(0.25);
}

/// erfc(a) for a >= 0 in f64: 1 - (Taylor series of erf) below 2.5 (erfc > 4e-4 there, so
/// little is lost), the continued fraction beyond (accurate where erfc is tiny).
fn erfc64(a: f64) -> f64 {
    if a < 2.5 {
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -a * a / n;
            sum += term / (2.0 * n + 1.0);
        }
        1.0 - sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc(a) = exp(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...))))
        let mut f = a;
        for k in (1..60).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        (-a * a).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// 1 + erf(x) without cancellation in the negative tail.
fn one_plus_erf64(x: f64) -> f64 {
    if x >= 0.0 {
        2.0 - erfc64(x)
    } else {
        erfc64(-x)
    }
}

#[test]
fn gelu_tanh_relu() {
    let Some(gpu) = test_gpu() else { return };
    let n = 1000;
    let x: Vec<f32> = (0..n)
        .map(|i| -8.0 + 16.0 * i as f32 / n as f32 + 0.003)
        .collect();
    let dy = rand(n, 2, 1.0);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (xb, g, dg) = (up("x", &x), gpu.zeros("g", n).unwrap(), up("dg", &dy));
    let (t, dt) = (up("t", &x), up("dt", &dy));
    let (r, dr) = (up("r", &x), up("dr", &dy));
    run(&gpu, |rec| {
        gelu_forward(rec, &g, &xb, n);
        gelu_backward(rec, &dg, &xb, n);
        tanh_forward(rec, &t, n);
        tanh_backward(rec, &dt, &t, n);
        relu_forward(rec, &r, n);
        relu_backward(rec, &dr, &r, n);
    });
    let s2 = std::f64::consts::SQRT_2;
    let gw: Vec<f64> = x
        .iter()
        .map(|&v| 0.5 * v as f64 * one_plus_erf64(v as f64 / s2))
        .collect();
    let dgw: Vec<f64> = x
        .iter()
        .zip(&dy)
        .map(|(&v, &d)| {
            let v = v as f64;
            d as f64
                * (0.5 * one_plus_erf64(v / s2)
                    + v * (-0.5 * v * v).exp() / (2.0 * std::f64::consts::PI).sqrt())
        })
        .collect();
    let got = read(&gpu, &g, n);
    assert_close("gelu", &got, &gw, TOL);
    // The erf approximation is accurate to fp32 in the tail too (element-wise relative).
    let (tail, at) = got
        .iter()
        .zip(&gw)
        .zip(&x)
        .filter(|((_, w), _)| w.abs() > 1e-30)
        .map(|((g, w), x)| (((*g as f64 - w) / w).abs(), *x))
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
    eprintln!("gelu element-wise max rel err (tail included): {tail:.2e} at x = {at}");
    assert!(tail < 1e-5, "gelu tail relative error {tail}");
    assert_close("gelu backward", &read(&gpu, &dg, n), &dgw, TOL);
    let tw: Vec<f64> = x.iter().map(|&v| (v as f64).tanh()).collect();
    let dtw: Vec<f64> = x
        .iter()
        .zip(&dy)
        .map(|(&v, &d)| d as f64 * (1.0 - (v as f64).tanh().powi(2)))
        .collect();
    assert_close("tanh", &read(&gpu, &t, n), &tw, TOL);
    assert_close("tanh backward", &read(&gpu, &dt, n), &dtw, TOL);
    let rw: Vec<f64> = x.iter().map(|&v| (v as f64).max(0.0)).collect();
    let drw: Vec<f64> = x
        .iter()
        .zip(&dy)
        .map(|(&v, &d)| if v > 0.0 { d as f64 } else { 0.0 })
        .collect();
    assert_close("relu", &read(&gpu, &r, n), &rw, TOL);
    assert_close("relu backward", &read(&gpu, &dr, n), &drw, TOL);
}

#[test]
fn dropout_matches_the_counter_rng() {
    let Some(gpu) = test_gpu() else { return };
    let n = 5000;
    let (seed, stream, p) = (rng::step_seed(42, 3), rng::stream::ffn_output(2), 0.1f32);
    let x = rand(n, 1, 1.0);
    let r = rand(n, 2, 1.0);
    let d = Dropout::new(Some(seed), stream, p as f64);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (xb, rb, inplace) = (up("x", &x), up("r", &r), up("i", &x));
    let (out, sum) = (gpu.zeros("o", n).unwrap(), gpu.zeros("s", n).unwrap());
    run(&gpu, |rec| {
        dropout(rec, &out, &xb, n, d);
        dropout_inplace(rec, &inplace, n, d);
        dropout_add(rec, &sum, &xb, &rb, n, d);
    });
    let scale = 1.0 / (1.0 - p);
    let want: Vec<f32> = (0..n)
        .map(|i| {
            if rng::keep(seed, stream, i as u32, p) {
                x[i] * scale
            } else {
                0.0
            }
        })
        .collect();
    let got = read(&gpu, &out, n);
    let dropped = want.iter().filter(|v| **v == 0.0).count();
    assert!(
        dropped > n / 20 && dropped < n / 5,
        "dropped {dropped} of {n}"
    );
    // The same elements are dropped (bit-exact RNG), with the same scale.
    assert_eq!(got, want, "dropout mask or scale differs from rng::keep");
    assert_eq!(read(&gpu, &inplace, n), want);
    let sw: Vec<f64> = want.iter().zip(&r).map(|(a, b)| (*a + *b) as f64).collect();
    assert_close("dropout_add", &read(&gpu, &sum, n), &sw, 1e-6);
}

#[test]
fn embeddings_forward_and_backward() {
    let Some(gpu) = test_gpu() else { return };
    let (b, t, c, vocab, npos) = (3, 6, 40, 11, 9);
    let ids: Vec<u32> = (0..b * t)
        .map(|i| ((i * 7) % 5 + (i % 3) * 3) as u32 % vocab as u32)
        .collect();
    let types: Vec<u32> = (0..b * t).map(|i| (i % t >= 3) as u32).collect();
    let word = rand(vocab * c, 1, 1.0);
    let pos = rand(npos * c, 2, 1.0);
    let typ = rand(2 * c, 3, 1.0);
    let dout = rand(b * t * c, 4, 1.0);
    let up = |l: &str, v: &[f32]| gpu.upload(l, v).unwrap();
    let (wb, pb, tb, db) = (up("w", &word), up("p", &pos), up("t", &typ), up("d", &dout));
    let (idb, tyb) = (
        gpu.upload("ids", &ids).unwrap(),
        gpu.upload("types", &types).unwrap(),
    );
    let out = gpu.zeros("out", b * t * c).unwrap();
    let (dw, dp, dt) = (
        gpu.zeros("dw", vocab * c).unwrap(),
        gpu.zeros("dp", npos * c).unwrap(),
        gpu.zeros("dt", 2 * c).unwrap(),
    );
    let positions: Vec<u32> = (0..b * t).map(|i| (i % t) as u32).collect();
    let groups: Vec<(Grouping, Buf, Buf)> = [&ids, &positions, &types]
        .iter()
        .map(|v| {
            let g = Grouping::of(v);
            let (o, s) = (
                gpu.upload("o", &g.order).unwrap(),
                gpu.upload("s", &g.segs).unwrap(),
            );
            (g, o, s)
        })
        .collect();
    run(&gpu, |rec| {
        embedding_forward(rec, &out, &idb, &tyb, &wb, &pb, Some(&tb), b * t, t, c);
        for ((g, o, s), table) in groups.iter().zip([&dw, &dp, &dt]) {
            embedding_backward(rec, table, &db, o, s, g.segments(), c);
        }
    });
    let mut o = vec![0.0; b * t * c];
    let (mut gw, mut gp, mut gt) = (vec![0.0; vocab * c], vec![0.0; npos * c], vec![0.0; 2 * c]);
    for i in 0..b * t {
        let (id, tt, ps) = (ids[i] as usize, types[i] as usize, i % t);
        for j in 0..c {
            o[i * c + j] =
                word[id * c + j] as f64 + pos[ps * c + j] as f64 + typ[tt * c + j] as f64;
            let g = dout[i * c + j] as f64;
            gw[id * c + j] += g;
            gp[ps * c + j] += g;
            gt[tt * c + j] += g;
        }
    }
    assert_close("embedding out", &read(&gpu, &out, b * t * c), &o, TOL);
    assert_close("embedding dword", &read(&gpu, &dw, vocab * c), &gw, TOL);
    assert_close("embedding dpos", &read(&gpu, &dp, npos * c), &gp, TOL);
    assert_close("embedding dtype", &read(&gpu, &dt, 2 * c), &gt, TOL);
}

#[test]
fn cross_entropy_and_mse() {
    let Some(gpu) = test_gpu() else { return };
    let (b, l, accum) = (5, 3, 2);
    let logits = rand(b * l, 1, 3.0);
    let labels: Vec<f32> = (0..b).map(|i| (i % l) as f32).collect();
    let up = |n: &str, v: &[f32]| gpu.upload(n, v).unwrap();
    let (lb, yb, stats) = (
        up("l", &logits),
        up("y", &labels),
        gpu.zeros("s", 4).unwrap(),
    );
    let dl = gpu.zeros("dl", b * l).unwrap();
    let targets = rand(b, 2, 2.0);
    let (rl, rt, rd, rstats) = (
        up("rl", &logits[..b]),
        up("rt", &targets),
        gpu.zeros("rd", b).unwrap(),
        gpu.zeros("rs", 4).unwrap(),
    );
    run(&gpu, |rec| {
        loss_forward_backward(rec, &dl, &stats, &lb, &yb, b, l, accum);
        loss_forward_backward(rec, &rd, &rstats, &rl, &rt, b, 1, accum);
    });
    let mut loss = 0.0;
    let mut d = vec![0.0; b * l];
    for i in 0..b {
        let row: Vec<f64> = logits[i * l..(i + 1) * l]
            .iter()
            .map(|&v| v as f64)
            .collect();
        let lse = row.iter().map(|v| v.exp()).sum::<f64>().ln();
        let y = labels[i] as usize;
        loss += (lse - row[y]) / b as f64;
        for j in 0..l {
            d[i * l + j] = ((row[j] - lse).exp() - (j == y) as u8 as f64) / (b * accum) as f64;
        }
    }
    assert_close("cross-entropy loss", &read(&gpu, &stats, 1), &[loss], TOL);
    assert_close("cross-entropy dlogits", &read(&gpu, &dl, b * l), &d, TOL);
    let mse: f64 = (0..b)
        .map(|i| (logits[i] as f64 - targets[i] as f64).powi(2))
        .sum::<f64>()
        / b as f64;
    let dm: Vec<f64> = (0..b)
        .map(|i| 2.0 * (logits[i] as f64 - targets[i] as f64) / (b * accum) as f64)
        .collect();
    assert_close("mse loss", &read(&gpu, &rstats, 1), &[mse], TOL);
    assert_close("mse dlogits", &read(&gpu, &rd, b), &dm, TOL);
}

#[test]
fn grad_norm_clipping_and_adamw() {
    use wick_engine::optim::AdamWConfig;
    let Some(gpu) = test_gpu() else { return };
    let sizes = [1000, 77];
    let cfg = AdamWConfig {
        weight_decay: 0.01,
        max_grad_norm: 1.0,
        ..Default::default()
    };
    let lr = 1e-2;
    let params: Vec<Vec<f32>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| rand(n, 10 + i as u32, 1.0))
        .collect();
    let up = |n: &str, v: &[f32]| gpu.upload(n, v).unwrap();
    let pb: Vec<Buf> = params.iter().map(|p| up("p", p)).collect();
    let gb: Vec<Buf> = sizes.iter().map(|&n| gpu.zeros("g", n).unwrap()).collect();
    let mb: Vec<Buf> = sizes.iter().map(|&n| gpu.zeros("m", n).unwrap()).collect();
    let vb: Vec<Buf> = sizes.iter().map(|&n| gpu.zeros("v", n).unwrap()).collect();
    let stats = gpu.zeros("stats", 4).unwrap();
    let partials = gpu.zeros("partials", sizes.len() * NORM_PARTS).unwrap();
    // Reference: torch semantics in f64.
    let mut p64: Vec<Vec<f64>> = params.iter().map(|p| f64s(p)).collect();
    let mut m64: Vec<Vec<f64>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
    let mut v64 = m64.clone();
    let mut norms = Vec::new();
    for step in 1..=3u64 {
        // Step 1 has a large gradient (clipped), later ones small (not clipped).
        let scale = if step == 1 { 0.5 } else { 0.001 };
        let grads: Vec<Vec<f32>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| rand(n, 20 + 2 * step as u32 + i as u32, scale))
            .collect();
        for (b, g) in gb.iter().zip(&grads) {
            gpu.write(b, g);
        }
        run(&gpu, |rec| {
            grad_norm(rec, &stats, &partials, &gb.iter().collect::<Vec<_>>());
            for i in 0..sizes.len() {
                let chunk = OptChunk {
                    param: &pb[i],
                    grad: &gb[i],
                    m: &mb[i],
                    v: &vb[i],
                    decay: i == 0,
                };
                adamw(rec, &stats, &chunk, lr, step, &cfg);
            }
        });
        let norm = grads
            .iter()
            .flatten()
            .map(|&g| (g as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        norms.push((read(&gpu, &stats, 2)[1], norm));
        let clip = (cfg.max_grad_norm / (norm + 1e-6)).min(1.0);
        for i in 0..sizes.len() {
            let wd = if i == 0 { cfg.weight_decay } else { 0.0 };
            for j in 0..sizes[i] {
                let g = grads[i][j] as f64 * clip;
                p64[i][j] *= 1.0 - lr * wd;
                m64[i][j] = cfg.beta1 * m64[i][j] + (1.0 - cfg.beta1) * g;
                v64[i][j] = cfg.beta2 * v64[i][j] + (1.0 - cfg.beta2) * g * g;
                let mh = m64[i][j] / (1.0 - cfg.beta1.powi(step as i32));
                let vh = v64[i][j] / (1.0 - cfg.beta2.powi(step as i32));
                p64[i][j] -= lr * mh / (vh.sqrt() + cfg.eps);
            }
        }
    }
    for (got, want) in &norms {
        assert_close("grad norm", &[*got], &[*want], TOL);
    }
    assert!(
        norms[0].1 > 1.0 && norms[1].1 < 1.0,
        "the test must clip once and not after"
    );
    for i in 0..sizes.len() {
        assert_close(
            &format!("adamw params {i}"),
            &read(&gpu, &pb[i], sizes[i]),
            &p64[i],
            TOL,
        );
        assert!(
            read(&gpu, &gb[i], sizes[i]).iter().all(|&g| g == 0.0),
            "gradients not zeroed"
        );
    }
}
