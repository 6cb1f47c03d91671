//! The CPU backend against Python transformers (tests/reference/make_model_refs.py): logits,
//! loss, every gradient after one backward, and the parameters after three AdamW steps with
//! warmup, linear decay, weight decay and clipping, for MiniLM, a tiny BERT saved with the old
//! naming (classifier and regressor) and a tiny DistilBERT. fp32 throughout.

mod model_common;

use model_common::*;
use std::collections::{BTreeMap, BTreeSet};
use wick_engine::backend::Backend;
use wick_engine::model::CpuBackend;
use wick_engine::optim::{self, AdamWConfig};
use wick_engine::testing::minilm_dir;

/// Logits within 1e-4 (absolute); gradients and parameters within 1e-4 of their tensor's norm.
const LOGITS_TOL: f64 = 1e-4;
const REL_TOL: f64 = 1e-4;

/// The attention key bias adds `q . b` to every score of a query row, and softmax ignores a
/// constant shift: its gradient is exactly zero, and what both implementations compute is
/// rounding noise (~1e-10). Adam turns noise into steps of +-lr with random signs, so for these
/// tensors the check is that the gradient is negligible and each step moved at most lr.
fn zero_gradient_by_symmetry(name: &str) -> bool {
    name.ends_with("attention.self.key.bias") || name.ends_with("attention.k_lin.bias")
}

fn check(name: &str, dir: std::path::PathBuf) {
    let r = reference(name);
    let (config, weights) = checkpoint(&dir);
    let (mut be, report) =
        CpuBackend::load(&config, &weights, r.num_labels, None, r.seed).expect("load checkpoint");
    let batch = r.batch.batch();

    // The load report says what transformers says.
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        set(&report.newly_initialized),
        set(&r.transformers_report.newly_initialized),
        "{name}: newly initialised"
    );
    // (Wick lists unused keys as the file names them; transformers after renaming gamma/beta.)
    let renamed: Vec<String> = report
        .unused
        .iter()
        .map(|k| {
            k.replace("LayerNorm.gamma", "LayerNorm.weight")
                .replace("LayerNorm.beta", "LayerNorm.bias")
        })
        .collect();
    assert_eq!(
        set(&renamed),
        set(&r.transformers_report.unused),
        "{name}: unused"
    );
    assert!(
        report.missing.is_empty(),
        "{name}: missing {:?}",
        report.missing
    );

    // The seeded head is the one the script drew with its port of rng.rs.
    let before: BTreeMap<String, Vec<f32>> = be
        .named_parameters()
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.data))
        .collect();
    for (param, want) in &r.head {
        let err = max_abs(&before[param], want);
        assert!(
            err < 1e-6,
            "{name}: head {param} differs from the script's draw by {err}"
        );
    }

    // Weight decay applies to exactly the parameters transformers' Trainer decays.
    let decayed: BTreeSet<String> = before
        .keys()
        .filter(|n| optim::decays(n))
        .cloned()
        .collect();
    assert_eq!(decayed, set(&r.decay), "{name}: decayed parameters");

    let logits = be.eval_logits(&batch).unwrap();
    let logits_err = max_abs(&logits, &r.logits);

    // Step 1: one backward, dropout off; the gradients before clipping.
    be.accumulate(&batch, 1, None).unwrap();
    let stats = pollster::block_on(be.take_stats()).unwrap();
    let loss_err = (stats.loss as f64 - r.loss as f64).abs() / (r.loss as f64).abs().max(1.0);
    let (mut grad_err, mut grad_norm_err) = (0.0f64, 0.0f64);
    let mut grads_seen = BTreeSet::new();
    let global_norm = r.train.grad_norms[0] as f64;
    for g in be.gradients().unwrap() {
        let want = r
            .grads
            .get(&g.name)
            .unwrap_or_else(|| panic!("{name}: no reference gradient for {}", g.name));
        assert_eq!(g.shape, want.shape, "{name}: {} shape", g.name);
        grads_seen.insert(g.name.clone());
        if zero_gradient_by_symmetry(&g.name) {
            let (ours, theirs) = (norm(&g.data) / global_norm, want.norm / global_norm);
            assert!(
                ours < 1e-6 && theirs < 1e-6,
                "{name}: {} gradient {ours:e} / {theirs:e} of the total",
                g.name
            );
            continue;
        }
        let (e, n) = relative_error(&g.data, want);
        if e > REL_TOL {
            eprintln!(
                "{name}: gradient {} off by {e:.2e} of its norm {:.3e}",
                g.name, want.norm
            );
        }
        grad_err = grad_err.max(e);
        grad_norm_err = grad_norm_err.max(n);
    }
    assert_eq!(
        grads_seen,
        r.grads.keys().cloned().collect(),
        "{name}: parameter names"
    );

    // Three AdamW steps at the reference's learning rates (warmup 1, then linear decay).
    let cfg = AdamWConfig {
        weight_decay: r.train.weight_decay,
        max_grad_norm: r.train.max_grad_norm,
        ..AdamWConfig::default()
    };
    let (mut step_loss_err, mut step_norm_err) = (0.0f64, 0.0f64);
    for (s, &lr) in r.train.lr.iter().enumerate() {
        if s > 0 {
            be.accumulate(&batch, 1, None).unwrap();
        }
        be.step(lr, &cfg).unwrap();
        let stats = pollster::block_on(be.take_stats()).unwrap();
        let want_loss = r.train.losses[s] as f64;
        if s > 0 {
            step_loss_err =
                step_loss_err.max((stats.loss as f64 - want_loss).abs() / want_loss.abs().max(1.0));
        }
        let want_norm = r.train.grad_norms[s] as f64;
        step_norm_err = step_norm_err.max((stats.grad_norm as f64 - want_norm).abs() / want_norm);
    }
    let (mut param_err, mut delta_err) = (0.0f64, 0.0f64);
    let lr_sum: f64 = r.train.lr.iter().sum();
    for p in be.named_parameters().unwrap() {
        let want = &r.train.params[&p.name];
        if zero_gradient_by_symmetry(&p.name) {
            let moved = max_abs(&p.data, &before[&p.name]);
            assert!(
                moved <= lr_sum * 1.001,
                "{name}: {} moved {moved} in steps of lr",
                p.name
            );
            continue;
        }
        let (e, _) = relative_error(&p.data, want);
        if e > REL_TOL {
            eprintln!(
                "{name}: parameter {} off by {e:.2e} of its norm {:.3e}",
                p.name, want.norm
            );
        }
        param_err = param_err.max(e);
        // The update itself (after - before) against the reference's, relative to its size:
        // proves the steps moved the parameters as torch did, not merely stayed close.
        let idx: Vec<usize> = match &want.index {
            None => (0..p.data.len()).collect(),
            Some(i) => i.clone(),
        };
        let got: Vec<f32> = idx
            .iter()
            .map(|&i| p.data[i] - before[&p.name][i])
            .collect();
        let exp: Vec<f32> = idx
            .iter()
            .zip(&want.values)
            .map(|(&i, v)| v - before[&p.name][i])
            .collect();
        let scale = norm(&exp).max(1e-12);
        delta_err = delta_err
            .max(norm(&got.iter().zip(&exp).map(|(a, b)| a - b).collect::<Vec<_>>()) / scale);
    }

    eprintln!(
        "{name}: logits max abs {logits_err:.2e}; loss rel {loss_err:.2e}; grads max rel {grad_err:.2e} \
         (norms {grad_norm_err:.2e}); step losses {step_loss_err:.2e}; grad norms {step_norm_err:.2e}; \
         params after 3 steps max rel {param_err:.2e}; updates rel {delta_err:.2e}"
    );
    assert!(
        logits_err < LOGITS_TOL,
        "{name}: logits off by {logits_err}"
    );
    assert!(loss_err < REL_TOL, "{name}: loss off by {loss_err}");
    assert!(
        grad_err < REL_TOL && grad_norm_err < REL_TOL,
        "{name}: gradients off by {grad_err} / {grad_norm_err}"
    );
    assert!(
        step_loss_err < REL_TOL,
        "{name}: losses after steps off by {step_loss_err}"
    );
    assert!(
        step_norm_err < REL_TOL,
        "{name}: grad norms off by {step_norm_err}"
    );
    assert!(
        param_err < REL_TOL,
        "{name}: parameters after 3 steps off by {param_err}"
    );
    assert!(delta_err < 1e-2, "{name}: updates off by {delta_err}");
}

#[test]
fn tiny_bert_old_naming_matches_transformers() {
    check("tiny_bert", reference_dir().join("tiny_bert"));
}

#[test]
fn tiny_bert_regression_matches_transformers() {
    check("tiny_bert_regression", reference_dir().join("tiny_bert"));
}

#[test]
fn tiny_distilbert_matches_transformers() {
    check("tiny_distilbert", reference_dir().join("tiny_distilbert"));
}

#[test]
fn minilm_matches_transformers() {
    check("minilm", minilm_dir());
}
