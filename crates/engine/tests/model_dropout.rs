//! Dropout in training: masks from the counter RNG (not torch's), so the check is on the
//! distribution: over many seeds, the training loss has the mean and spread that transformers'
//! dropout gives (tests/reference/make_model_refs.py records torch's over 1000 seeds), and
//! it is reproducible per seed.

mod model_common;

use model_common::*;
use wick_engine::backend::Backend;
use wick_engine::model::CpuBackend;
use wick_engine::rng;

fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[derive(serde::Deserialize)]
struct DropoutRef {
    samples: usize,
    mean: f64,
    std: f64,
}

fn check(name: &str) {
    let r = reference(name);
    let dir = reference_dir().join(name);
    let (config, weights) = checkpoint(&dir);
    let (be, _) = CpuBackend::load(&config, &weights, r.num_labels, None, r.seed).unwrap();
    let batch = r.batch.batch();
    let want: DropoutRef = {
        let path = reference_dir().join(format!("model_ref_{name}.json"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(v["dropout"].clone()).unwrap()
    };
    let deterministic = be.loss(&batch, None).unwrap() as f64;
    assert!(
        (deterministic - r.loss as f64).abs() < 1e-4,
        "{name}: dropout-off loss {deterministic}"
    );
    // Fewer seeds than torch's 1000 keep the test quick; the standard error accounts for it.
    let losses: Vec<f64> = (0..300u64)
        .map(|s| be.loss(&batch, Some(rng::step_seed(r.seed, s))).unwrap() as f64)
        .collect();
    let (mean, std) = mean_std(&losses);
    // Two independent estimates of the same mean: their difference is ~N(0, se^2).
    let se = (std.powi(2) / losses.len() as f64 + want.std.powi(2) / want.samples as f64).sqrt();
    eprintln!(
        "{name}: dropout-off loss {deterministic:.4}; with dropout: wick mean {mean:.4} std {std:.4}, \
         torch mean {:.4} std {:.4} ({} and {} seeds; difference {:.1} standard errors)",
        want.mean,
        want.std,
        losses.len(),
        want.samples,
        (mean - want.mean).abs() / se
    );
    assert!(std > 0.0, "{name}: dropout changes nothing");
    assert!(
        (mean - want.mean).abs() < 4.0 * se,
        "{name}: mean loss {mean} vs torch's {}",
        want.mean
    );
    assert!(
        (std / want.std - 1.0).abs() < 0.15,
        "{name}: loss std {std} vs torch's {}",
        want.std
    );
}

#[test]
fn tiny_bert_dropout_loss_is_distributed_like_torch() {
    check("tiny_bert");
}

#[test]
fn tiny_distilbert_dropout_loss_is_distributed_like_torch() {
    check("tiny_distilbert");
}

/// The same seed gives the same masks (and gradients); another seed, others.
#[test]
fn dropout_is_reproducible_per_seed() {
    let r = reference("tiny_bert");
    let (config, weights) = checkpoint(&reference_dir().join("tiny_bert"));
    let batch = r.batch.batch();
    let grads = |seed: u32| {
        let (mut be, _) = CpuBackend::load(&config, &weights, 2, None, r.seed).unwrap();
        be.accumulate(&batch, 1, Some(seed)).unwrap();
        be.gradients().unwrap()
    };
    let (a, b, c) = (grads(7), grads(7), grads(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}
