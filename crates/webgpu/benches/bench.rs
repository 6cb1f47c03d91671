//! `cargo bench -p wick-webgpu`: time and GFLOP/s per kernel and for a whole training step
//! (forward + backward + AdamW) at BERT-base and MiniLM shapes (batch 8 x 128 tokens), on
//! whatever adapter wgpu picks (a real GPU, or lavapipe where the numbers show overheads only).
//!
//! Environment: `WICK_BENCH_LAYERS=n` limits the whole-step models to n layers (lavapipe runs
//! BERT-base at a few GFLOP/s), `WICK_BENCH_ITERS=n` sets repetitions (default 5),
//! `WICK_BENCH_CPU=0` skips the CPU backend comparison, `WICK_BENCH_F16=1` stages the matmul
//! tiles in f16 where the adapter has `shader-f16` (`GpuOptions::allow_f16`).

use std::time::Instant;
use wick_engine::backend::{Backend, NamedTensor};
use wick_engine::collate::Batch;
use wick_engine::model::{CpuBackend, ModelConfig, ModelType};
use wick_engine::optim::AdamWConfig;
use wick_engine::rng;
use wick_webgpu::kernels::attention::{attention_backward, attention_forward, AttnShape};
use wick_webgpu::kernels::elementwise::{gelu_backward, gelu_forward, Dropout};
use wick_webgpu::kernels::layernorm::{layernorm_backward, layernorm_forward};
use wick_webgpu::kernels::matmul::{linear_backward, linear_forward};
use wick_webgpu::model::params::param_specs;
use wick_webgpu::testing::test_gpu_with;
use wick_webgpu::{Gpu, Recorder, WebGpuBackend};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seconds per iteration of `f` recorded `iters` times into one submission.
fn time(gpu: &Gpu, iters: usize, f: &dyn Fn(&mut Recorder)) -> f64 {
    let once = |n: usize| {
        let mut rec = Recorder::new(gpu);
        for _ in 0..n {
            f(&mut rec);
        }
        rec.submit();
        pollster::block_on(gpu.finish()).expect("GPU error");
    };
    once(1); // pipelines, bind groups, warm caches
    let t0 = Instant::now();
    once(iters);
    t0.elapsed().as_secs_f64() / iters as f64
}

fn report(what: &str, secs: f64, flops: f64) {
    let gflops = if flops > 0.0 {
        format!("{:9.1} GFLOP/s", flops / secs / 1e9)
    } else {
        " ".repeat(17)
    };
    println!("  {what:<44} {:10.3} ms {gflops}", secs * 1e3);
}

fn config(name: &str, hidden: usize, ffn: usize, layers: usize) -> ModelConfig {
    let _ = name;
    ModelConfig {
        model_type: ModelType::Bert,
        vocab_size: 30522,
        hidden_size: hidden,
        num_hidden_layers: layers,
        num_attention_heads: 12,
        intermediate_size: ffn,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        classifier_dropout: 0.1,
        initializer_range: 0.02,
        pad_token_id: 0,
        num_labels: 2,
        id2label: vec!["LABEL_0".into(), "LABEL_1".into()],
        label_notes: Vec::new(),
    }
}

/// Random weights (normal * 0.02; LayerNorm weight 1, biases 0) in transformers' names.
fn random_weights(cfg: &ModelConfig) -> Vec<NamedTensor> {
    param_specs(cfg)
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let n = s.len();
            let data = if s.name.ends_with("bias") {
                vec![0.0; n]
            } else if s.name.contains("LayerNorm") {
                vec![1.0; n]
            } else {
                (0..n)
                    .map(|j| 0.02 * rng::normal(7, i as u32, j as u32))
                    .collect()
            };
            NamedTensor {
                name: s.name,
                shape: s.shape,
                data,
            }
        })
        .collect()
}

fn batch(cfg: &ModelConfig, b: usize, t: usize) -> Batch {
    let n = b * t;
    Batch {
        batch_size: b,
        seq_len: t,
        input_ids: (0..n)
            .map(|i| rng::hash32(i as u32) % cfg.vocab_size as u32)
            .collect(),
        token_type_ids: (0..n).map(|i| ((i % t) >= t / 2) as u32).collect(),
        attention_mask: vec![1; n],
        labels: (0..b).map(|i| (i % 2) as f32).collect(),
    }
}

fn kernels(gpu: &Gpu, name: &str, c: usize, f: usize, iters: usize) {
    let (b, t, heads) = (8, 128, 12);
    let bt = b * t;
    println!("{name} kernels (hidden {c}, ffn {f}, heads {heads}, batch {b} x {t}):");
    let z = |n: usize| gpu.zeros("bench", n).expect("buffer");
    let x = z(bt * f.max(3 * c));
    let y = z(bt * f.max(3 * c));
    let w = z(f.max(3 * c) * c);
    let bias = z(f.max(3 * c));
    for (what, n, k) in [
        ("qkv", 3 * c, c),
        ("attention output", c, c),
        ("ffn in", f, c),
        ("ffn out", c, f),
    ] {
        let flops = 2.0 * (bt * n * k) as f64;
        let s = time(gpu, iters, &|rec| {
            linear_forward(rec, &y, &x, k, &w, Some(&bias), bt, n, k)
        });
        report(
            &format!("linear forward {what} [{bt}x{k}]x[{k}x{n}]"),
            s,
            flops,
        );
        let s = time(gpu, iters, &|rec| {
            linear_backward(rec, &x, &w, Some(&bias), &y, &x, k, &w, bt, n, k, false)
        });
        report(
            &format!("linear backward {what} (dx, dW, db)"),
            s,
            2.0 * flops,
        );
    }
    let shape = AttnShape {
        b,
        t,
        heads,
        head_dim: c / heads,
    };
    let (att, att2, att3) = (z(shape.att_len()), z(shape.att_len()), z(shape.att_len()));
    let mask = gpu.upload("mask", &vec![1u32; bt]).expect("mask");
    let drop = Dropout::new(Some(1), 1, 0.1);
    let s = time(gpu, iters, &|rec| {
        attention_forward(rec, &y, &att, &att2, &x, &mask, shape, drop)
    });
    report(
        "attention forward (scores, softmax, dropout, PV)",
        s,
        shape.flops_forward(),
    );
    let s = time(gpu, iters, &|rec| {
        attention_backward(rec, &y, &att3, &att2, &x, &x, &att, shape, drop)
    });
    report("attention backward", s, 2.0 * shape.flops_forward());
    let (mean, rstd) = (z(bt), z(bt));
    let s = time(gpu, iters, &|rec| {
        layernorm_forward(rec, &y, &mean, &rstd, &x, &w, &bias, bt, c, 1e-12)
    });
    report(&format!("layernorm forward [{bt}x{c}]"), s, 0.0);
    let s = time(gpu, iters, &|rec| {
        layernorm_backward(rec, &y, &w, &bias, &x, &x, &mean, &rstd, &w, bt, c)
    });
    report("layernorm backward (dx, dw, db)", s, 0.0);
    let s = time(gpu, iters, &|rec| gelu_forward(rec, &y, &x, bt * f));
    report(&format!("gelu forward [{bt}x{f}]"), s, 0.0);
    let s = time(gpu, iters, &|rec| gelu_backward(rec, &y, &x, bt * f));
    report("gelu backward", s, 0.0);
}

fn whole_step(name: &str, c: usize, f: usize, layers: usize, iters: usize, cpu: bool) {
    let cfg = config(name, c, f, layers);
    let weights = random_weights(&cfg);
    let params: usize = weights.iter().map(|w| w.data.len()).sum();
    let batch = batch(&cfg, 8, 128);
    let tokens = (batch.batch_size * batch.seq_len) as f64;
    // Training FLOPs: 6 per parameter per token in the matmuls (embeddings excluded) + attention.
    let dense = params - cfg.vocab_size * c - cfg.max_position_embeddings * c - 2 * c;
    let attn = AttnShape {
        b: 8,
        t: 128,
        heads: 12,
        head_dim: c / 12,
    };
    let flops = 6.0 * dense as f64 * tokens + 3.0 * attn.flops_forward() * layers as f64;
    println!(
        "{name} whole training step ({layers} layers, {:.1} M parameters, batch 8 x 128):",
        params as f64 / 1e6
    );
    let opts = gpu_options();
    let mut gpu_backend =
        pollster::block_on(WebGpuBackend::create(&cfg, &weights, &opts)).expect("webgpu backend");
    let adam = AdamWConfig::default();
    let run_gpu = |b: &mut WebGpuBackend| {
        b.accumulate(&batch, 1, Some(rng::step_seed(42, 0)))
            .expect("accumulate");
        b.step(2e-5, &adam).expect("step");
    };
    run_gpu(&mut gpu_backend);
    pollster::block_on(gpu_backend.take_stats()).expect("stats");
    let t0 = Instant::now();
    for _ in 0..iters {
        run_gpu(&mut gpu_backend);
    }
    let stats = pollster::block_on(gpu_backend.take_stats()).expect("stats");
    let s = t0.elapsed().as_secs_f64() / iters as f64;
    report(
        &format!(
            "webgpu ({}), loss {:.4}",
            gpu_backend.gpu().info.name,
            stats.loss
        ),
        s,
        flops,
    );
    if cpu {
        cpu_step(&cfg, weights, &batch, iters, flops);
    }
}

/// The CPU backend (candle) on the same step, for the ratio.
fn cpu_step(cfg: &ModelConfig, weights: Vec<NamedTensor>, batch: &Batch, iters: usize, flops: f64) {
    let mut cpu = CpuBackend::new(cfg.clone(), weights).expect("cpu backend");
    let adam = AdamWConfig::default();
    let run = |cpu: &mut CpuBackend| {
        cpu.accumulate(batch, 1, Some(rng::step_seed(42, 0)))
            .expect("accumulate");
        cpu.step(2e-5, &adam).expect("step");
    };
    run(&mut cpu);
    pollster::block_on(cpu.take_stats()).expect("stats"); // the loss of the timed steps only
    let t0 = Instant::now();
    for _ in 0..iters {
        run(&mut cpu);
    }
    let s = t0.elapsed().as_secs_f64() / iters as f64;
    let stats = pollster::block_on(cpu.take_stats()).expect("stats");
    report(&format!("cpu (candle), loss {:.4}", stats.loss), s, flops);
}

fn gpu_options() -> wick_webgpu::GpuOptions {
    wick_webgpu::GpuOptions {
        allow_f16: env("WICK_BENCH_F16", 0) == 1,
        ..Default::default()
    }
}

fn main() {
    let Some(gpu) = test_gpu_with(&gpu_options()) else {
        return;
    };
    println!(
        "adapter: {} ({}, {}), shader-f16: {}",
        gpu.info.name, gpu.info.backend, gpu.info.device_type, gpu.info.shader_f16
    );
    let iters = env("WICK_BENCH_ITERS", 5);
    let cpu = env("WICK_BENCH_CPU", 1) == 1;
    kernels(&gpu, "BERT-base", 768, 3072, iters);
    kernels(&gpu, "MiniLM-L6", 384, 1536, iters);
    drop(gpu);
    whole_step(
        "BERT-base",
        768,
        3072,
        env("WICK_BENCH_LAYERS", 12),
        iters,
        cpu,
    );
    whole_step(
        "MiniLM-L6",
        384,
        1536,
        env("WICK_BENCH_LAYERS", 6),
        iters,
        cpu,
    );
}
