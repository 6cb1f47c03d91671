//! AdamW with PyTorch semantics (decoupled weight decay, bias correction), no decay on biases
//! and LayerNorm weights, and clipping by global norm. The update rule here is the reference
//! the CPU backend applies and the WebGPU backend's fused kernel reproduces.

use serde::{Deserialize, Serialize};

/// AdamW hyper-parameters, with transformers' `TrainingArguments` defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// Clip gradients to this global L2 norm; 0 turns clipping off.
    pub max_grad_norm: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            max_grad_norm: 1.0,
        }
    }
}

/// Whether weight decay applies to a parameter, by its transformers name: never to biases nor
/// to LayerNorm weights (transformers' `get_decay_parameter_names`: `LayerNorm.weight`,
/// DistilBERT's `sa_layer_norm.weight` / `output_layer_norm.weight`); embeddings and every
/// other weight matrix decay.
pub fn decays(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !(name.contains("bias") || name.contains("layernorm") || name.contains("layer_norm"))
}

/// One parameter's AdamW state: the first and second moments, like `torch.optim.AdamW`'s
/// `exp_avg` / `exp_avg_sq`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdamWState {
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

impl AdamWState {
    pub fn zeros(len: usize) -> Self {
        AdamWState {
            m: vec![0.0; len],
            v: vec![0.0; len],
        }
    }
}

/// One AdamW step on one parameter, exactly `torch.optim.AdamW` (single-tensor path,
/// `amsgrad=False`); this is the reference rule every backend implements:
///
/// ```text
/// p  = p * (1 - lr * wd)                      (decoupled decay; wd = 0 when !decays(name))
/// m  = m + (g - m) * (1 - beta1)              (torch's lerp)
/// v  = v * beta2 + (1 - beta2) * g * g
/// p  = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
///
/// `t` is the 1-based step count. The scalar factors are computed in f64 and applied in f32,
/// as torch does with Python float hyper-parameters on f32 tensors.
pub fn adamw_update(
    param: &mut [f32],
    grad: &[f32],
    state: &mut AdamWState,
    t: u64,
    lr: f64,
    weight_decay: f64,
    cfg: &AdamWConfig,
) {
    assert_eq!(
        param.len(),
        grad.len(),
        "adamw_update: parameter and gradient lengths"
    );
    assert_eq!(
        param.len(),
        state.m.len(),
        "adamw_update: parameter and state lengths"
    );
    let t = t.max(1) as i32;
    let decay = (1.0 - lr * weight_decay) as f32;
    let one_minus_beta1 = (1.0 - cfg.beta1) as f32;
    let beta2 = cfg.beta2 as f32;
    let one_minus_beta2 = (1.0 - cfg.beta2) as f32;
    let step_size = (lr / (1.0 - cfg.beta1.powi(t))) as f32;
    let bias_correction2_sqrt = (1.0 - cfg.beta2.powi(t)).sqrt() as f32;
    let eps = cfg.eps as f32;
    let (m, v) = (&mut state.m, &mut state.v);
    for i in 0..param.len() {
        let g = grad[i];
        let mut p = param[i];
        if weight_decay != 0.0 {
            p *= decay;
        }
        m[i] += (g - m[i]) * one_minus_beta1;
        v[i] = v[i] * beta2 + one_minus_beta2 * g * g;
        let denom = v[i].sqrt() / bias_correction2_sqrt + eps;
        param[i] = p - step_size * (m[i] / denom);
    }
}

/// The factor `torch.nn.utils.clip_grad_norm_` multiplies every gradient by:
/// `min(1, max_norm / (total_norm + 1e-6))`, where `total_norm` is the L2 norm of all
/// gradients together. `max_norm <= 0` turns clipping off (factor 1).
pub fn clip_coefficient(total_norm: f64, max_norm: f64) -> f64 {
    if max_norm <= 0.0 {
        return 1.0;
    }
    (max_norm / (total_norm + 1e-6)).min(1.0)
}

/// Sum of squares of a gradient, in f64 (its square root over all tensors is the global norm).
pub fn sum_of_squares(grad: &[f32]) -> f64 {
    grad.iter().map(|&g| (g as f64) * (g as f64)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_skips_biases_and_layer_norms() {
        assert!(decays("bert.encoder.layer.0.attention.self.query.weight"));
        assert!(decays("bert.embeddings.word_embeddings.weight"));
        assert!(decays("classifier.weight"));
        assert!(!decays("classifier.bias"));
        assert!(!decays("bert.embeddings.LayerNorm.weight"));
        assert!(!decays(
            "distilbert.transformer.layer.1.sa_layer_norm.weight"
        ));
        assert!(!decays(
            "distilbert.transformer.layer.1.output_layer_norm.bias"
        ));
    }

    /// The first step of Adam moves every element by about `lr` against the gradient's sign,
    /// whatever the gradient's size (m / sqrt(v) = g / |g| after bias correction).
    #[test]
    fn first_step_moves_by_lr() {
        let cfg = AdamWConfig::default();
        let mut p = vec![1.0f32, 1.0, 1.0];
        let mut s = AdamWState::zeros(3);
        adamw_update(&mut p, &[0.5, -2.0, 1e-3], &mut s, 1, 1e-3, 0.0, &cfg);
        for (x, want) in p.iter().zip([0.999f32, 1.001, 0.999]) {
            assert!((x - want).abs() < 1e-5, "{x} vs {want}");
        }
    }

    /// Decoupled decay shrinks the parameter by lr * wd even with a zero gradient.
    #[test]
    fn decay_is_decoupled() {
        let cfg = AdamWConfig {
            weight_decay: 0.1,
            ..AdamWConfig::default()
        };
        let mut p = vec![2.0f32];
        let mut s = AdamWState::zeros(1);
        adamw_update(&mut p, &[0.0], &mut s, 1, 0.01, cfg.weight_decay, &cfg);
        assert!((p[0] - 2.0 * (1.0 - 0.01 * 0.1)).abs() < 1e-7, "{}", p[0]);
    }

    /// Several steps against a hand-rolled f64 Adam with bias correction.
    #[test]
    fn matches_f64_adamw() {
        let cfg = AdamWConfig::default();
        let (lr, wd) = (0.01, 0.05);
        let grads = [[0.3f32, -0.1], [0.2, 0.4], [-0.5, 0.05]];
        let mut p = vec![0.5f32, -1.0];
        let mut s = AdamWState::zeros(2);
        let (mut pr, mut m, mut v) = ([0.5f64, -1.0], [0.0f64; 2], [0.0f64; 2]);
        for (t, g) in grads.iter().enumerate() {
            let t = t as i32 + 1;
            adamw_update(&mut p, g, &mut s, t as u64, lr, wd, &cfg);
            for i in 0..2 {
                let g = g[i] as f64;
                pr[i] *= 1.0 - lr * wd;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                let mh = m[i] / (1.0 - 0.9f64.powi(t));
                let vh = v[i] / (1.0 - 0.999f64.powi(t));
                pr[i] -= lr * mh / (vh.sqrt() + 1e-8);
            }
        }
        for i in 0..2 {
            assert!((p[i] as f64 - pr[i]).abs() < 1e-6, "{} vs {}", p[i], pr[i]);
        }
    }

    #[test]
    fn clipping_like_torch() {
        assert_eq!(clip_coefficient(0.5, 1.0), 1.0);
        assert!((clip_coefficient(4.0, 1.0) - 1.0 / (4.0 + 1e-6)).abs() < 1e-15);
        assert_eq!(clip_coefficient(100.0, 0.0), 1.0);
        assert_eq!(sum_of_squares(&[3.0, 4.0]), 25.0);
    }
}
