//! The backend on its own: gradients of a whole step against central finite differences of
//! the loss (f32, so a loose 2e-2), training lowers the loss, weights round-trip, bad batches
//! are errors. Parity with the CPU backend is `tests/step.rs`.

use wick_engine::backend::{Backend, NamedTensor};
use wick_engine::collate::Batch;
use wick_engine::model::{ModelConfig, ModelType};
use wick_engine::optim::AdamWConfig;
use wick_engine::rng;
use wick_webgpu::model::params::param_specs;
use wick_webgpu::testing::test_gpu;
use wick_webgpu::WebGpuBackend;

fn tiny(model_type: ModelType) -> ModelConfig {
    ModelConfig {
        model_type,
        vocab_size: 30,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 24,
        max_position_embeddings: 12,
        type_vocab_size: if model_type == ModelType::Bert { 2 } else { 0 },
        layer_norm_eps: 1e-12,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        classifier_dropout: 0.1,
        initializer_range: 0.02,
        pad_token_id: 0,
        num_labels: 3,
        id2label: vec!["a".into(), "b".into(), "c".into()],
        label_notes: Vec::new(),
    }
}

fn weights(cfg: &ModelConfig) -> Vec<NamedTensor> {
    param_specs(cfg)
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let ln_w = (s.name.contains("LayerNorm") || s.name.contains("layer_norm"))
                && s.name.ends_with("weight");
            let data = (0..s.len())
                .map(|j| {
                    let r = rng::normal(3, i as u32, j as u32);
                    if ln_w {
                        1.0 + 0.1 * r
                    } else {
                        0.3 * r
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

fn batch(cfg: &ModelConfig) -> Batch {
    let (b, t) = (3, 7);
    let lens = [7, 5, 3];
    let mut bt = Batch {
        batch_size: b,
        seq_len: t,
        input_ids: vec![0; b * t],
        token_type_ids: vec![0; b * t],
        attention_mask: vec![0; b * t],
        labels: vec![0.0, 2.0, 1.0],
    };
    for r in 0..b {
        for i in 0..lens[r] {
            bt.input_ids[r * t + i] =
                1 + rng::hash32((r * t + i) as u32) % (cfg.vocab_size as u32 - 1);
            bt.token_type_ids[r * t + i] = if cfg.type_vocab_size > 0 {
                (i > 2) as u32
            } else {
                0
            };
            bt.attention_mask[r * t + i] = 1;
        }
    }
    bt
}

fn loss(cfg: &ModelConfig, w: &[NamedTensor], b: &Batch) -> Option<f64> {
    let gpu = test_gpu()?;
    let mut m = WebGpuBackend::new(gpu, cfg, w).expect("backend");
    m.accumulate(b, 1, None).expect("accumulate");
    Some(pollster::block_on(m.take_stats()).expect("stats").loss as f64)
}

fn finite_differences(model_type: ModelType) {
    let cfg = tiny(model_type);
    let w = weights(&cfg);
    let b = batch(&cfg);
    let Some(gpu) = test_gpu() else { return };
    let mut m = WebGpuBackend::new(gpu, &cfg, &w).expect("backend");
    m.accumulate(&b, 1, None).unwrap();
    let grads = pollster::block_on(m.gradients()).unwrap();
    // A few elements of tensors across the model: embeddings, attention, FFN, LayerNorm, head.
    let picks: Vec<(usize, usize)> = [0usize, 1, 3, 5, 6, 9, 12, 15, 20, w.len() - 4, w.len() - 2]
        .iter()
        .map(|&i| (i, (7 * i + 3) % w[i].data.len()))
        .collect();
    let h = 3e-3f32;
    for (i, j) in picks {
        let (mut wp, mut wm) = (w.clone(), w.clone());
        wp[i].data[j] += h;
        wm[i].data[j] -= h;
        let fd = (loss(&cfg, &wp, &b).unwrap() - loss(&cfg, &wm, &b).unwrap()) / (2.0 * h as f64);
        let g = grads.iter().find(|g| g.name == w[i].name).unwrap().data[j] as f64;
        let err = (g - fd).abs() / fd.abs().max(1e-2);
        eprintln!("{model_type:?} d loss / d {}[{j}]: backward {g:.6}, finite differences {fd:.6}, err {err:.1e}", w[i].name);
        assert!(
            err < 2e-2,
            "{}[{j}]: backward {g} vs finite differences {fd}",
            w[i].name
        );
    }
}

#[test]
fn bert_gradients_match_finite_differences() {
    finite_differences(ModelType::Bert);
}

#[test]
fn distilbert_gradients_match_finite_differences() {
    finite_differences(ModelType::DistilBert);
}

#[test]
fn training_lowers_the_loss_and_weights_round_trip() {
    let cfg = tiny(ModelType::Bert);
    let w = weights(&cfg);
    let b = batch(&cfg);
    let Some(gpu) = test_gpu() else { return };
    let mut m = WebGpuBackend::new(gpu, &cfg, &w).expect("backend");
    assert_eq!(
        pollster::block_on(m.weights()).unwrap(),
        w,
        "weights must read back as loaded"
    );
    let logits = pollster::block_on(m.logits(&b)).unwrap();
    assert_eq!(logits.len(), 3 * cfg.num_labels);
    let adam = AdamWConfig::default();
    let mut losses = Vec::new();
    for step in 0..8 {
        m.accumulate(&b, 1, Some(rng::step_seed(1, step))).unwrap();
        m.step(1e-2, &adam).unwrap();
        let s = pollster::block_on(m.take_stats()).unwrap();
        assert_eq!(s.batches, 1);
        assert!(s.loss.is_finite() && s.grad_norm.is_finite() && s.grad_norm > 0.0);
        losses.push(s.loss);
    }
    eprintln!("losses: {losses:?}");
    assert!(
        losses[7] < 0.5 * losses[0],
        "training did not lower the loss: {losses:?}"
    );
    // A shorter and a longer batch reuse (or grow) the buffers.
    let mut short = b.clone();
    short.seq_len = 3;
    for k in [
        &mut short.input_ids,
        &mut short.token_type_ids,
        &mut short.attention_mask,
    ] {
        *k = k.chunks(7).flat_map(|r| r[..3].to_vec()).collect();
    }
    assert_eq!(pollster::block_on(m.logits(&short)).unwrap().len(), 9);
}

#[test]
fn bad_batches_are_errors() {
    let cfg = tiny(ModelType::Bert);
    let Some(gpu) = test_gpu() else { return };
    let mut m = WebGpuBackend::new(gpu, &cfg, &weights(&cfg)).expect("backend");
    let mut b = batch(&cfg);
    b.input_ids[0] = 99;
    let e = m.accumulate(&b, 1, None).unwrap_err().to_string();
    assert!(e.contains("vocabulary"), "{e}");
    let mut b = batch(&cfg);
    b.labels[1] = 7.0;
    assert!(m
        .accumulate(&b, 1, None)
        .unwrap_err()
        .to_string()
        .contains("label"));
    let mut b = batch(&cfg);
    b.seq_len = 13;
    assert!(pollster::block_on(m.logits(&b)).is_err());
    let mut w = weights(&cfg);
    w.pop();
    let gpu = test_gpu().unwrap();
    let e = WebGpuBackend::new(gpu, &cfg, &w)
        .err()
        .expect("missing tensor")
        .to_string();
    assert!(e.contains("classifier.bias"), "{e}");
}

#[test]
fn optimizer_state_round_trips_and_is_checked() {
    let cfg = tiny(ModelType::DistilBert);
    let w = weights(&cfg);
    let b = batch(&cfg);
    let Some(gpu) = test_gpu() else { return };
    let mut m = WebGpuBackend::new(gpu, &cfg, &w).expect("backend");
    let fresh = pollster::block_on(m.optimizer_state()).unwrap();
    assert_eq!(fresh.step, 0);
    assert!(fresh
        .m
        .iter()
        .chain(&fresh.v)
        .all(|t| t.data.iter().all(|&x| x == 0.0)));
    let adam = AdamWConfig::default();
    for step in 0..2 {
        m.accumulate(&b, 1, Some(rng::step_seed(1, step))).unwrap();
        m.step(1e-2, &adam).unwrap();
    }
    let state = pollster::block_on(m.optimizer_state()).unwrap();
    assert_eq!(state.step, 2);
    assert_eq!(
        state.m.iter().map(|t| &t.name).collect::<Vec<_>>(),
        w.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "moments in the parameters' order"
    );
    assert!(state.v.iter().all(|t| t.data.iter().any(|&x| x > 0.0)));
    let gpu = test_gpu().unwrap();
    let mut other = WebGpuBackend::new(gpu, &cfg, &w).expect("backend");
    other.load_optimizer_state(&state).unwrap();
    assert_eq!(pollster::block_on(other.optimizer_state()).unwrap(), state);

    let mut wrong = state.clone();
    wrong.m[3].data.pop();
    let e = other.load_optimizer_state(&wrong).unwrap_err().to_string();
    assert!(e.contains(&state.m[3].name) && e.contains("exp_avg"), "{e}");
    let mut missing = state.clone();
    missing.v.retain(|t| t.name != "classifier.weight");
    let e = other
        .load_optimizer_state(&missing)
        .unwrap_err()
        .to_string();
    assert!(e.contains("classifier.weight"), "{e}");
    // Nothing was changed by the refused loads.
    assert_eq!(pollster::block_on(other.optimizer_state()).unwrap(), state);
}
