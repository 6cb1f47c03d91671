//! The differentiable building blocks of the models, on candle tensors (f32, CPU).
//!
//! Every block is composed of candle ops that have a backward (matmul, broadcast arithmetic,
//! exp, log, sqrt, erf-GELU, tanh, relu, index_select, narrow): candle_nn's fused
//! `softmax_last_dim` and `layer_norm` have no backward, so softmax and LayerNorm are written
//! out here. The math is spelled out above each function: the WebGPU backend's kernels
//! implement exactly these formulas.

use super::matmul::matmul;
use crate::rng;
use candle_core::{DType, Device, Tensor, D};

type Result<T> = candle_core::Result<T>;

/// A linear layer as torch stores it: `weight [out, in]`, `bias [out]`.
#[derive(Clone, Debug)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Linear {
    /// y = x @ W^T + b.   x: [..., in] -> y: [..., out]
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let (rows, inp) = (
            dims[..dims.len() - 1].iter().product::<usize>(),
            dims[dims.len() - 1],
        );
        // On all the backend's threads (candle's matmul has one in the browser).
        let y = matmul(&x.reshape((rows, inp))?, &self.weight.t()?)?.broadcast_add(&self.bias)?;
        let mut out = dims;
        *out.last_mut().expect("rank >= 1") = self.bias.dim(0)?;
        y.reshape(out)
    }
}

/// LayerNorm over the last dimension, torch's definition (biased variance, eps inside sqrt).
#[derive(Clone, Debug)]
pub struct LayerNorm {
    pub weight: Tensor,
    pub bias: Tensor,
    pub eps: f64,
}

impl LayerNorm {
    /// mean = sum(x) / n;  var = sum((x - mean)^2) / n
    /// y = (x - mean) / sqrt(var + eps) * weight + bias.        x, y: [..., n]
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let n = x.dim(D::Minus1)? as f64;
        let mean = (x.sum_keepdim(D::Minus1)? / n)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = (centered.sqr()?.sum_keepdim(D::Minus1)? / n)?;
        let inv_std = (var + self.eps)?.sqrt()?.recip()?;
        centered
            .broadcast_mul(&inv_std)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// Softmax over the last dimension: p = exp(x - max) / sum(exp(x - max)).
/// The max is a constant shift (softmax does not depend on it), so it carries no gradient.
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

/// log-softmax over the last dimension: z - max - log(sum(exp(z - max))).
pub fn log_softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let shifted = x.broadcast_sub(&max)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    shifted.broadcast_sub(&lse)
}

/// GELU, erf form (transformers' "gelu"): 0.5 * x * (1 + erf(x / sqrt(2))).
/// Its derivative is Phi(x) + x * phi(x) = 0.5 * (1 + erf(x / sqrt(2))) + x * exp(-x^2/2) / sqrt(2 pi).
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    x.gelu_erf()
}

/// The additive attention mask as transformers builds it: `(1 - mask) * f32::MIN`, shape
/// `[batch, 1, 1, seq]`, added to the scores of every head and query row. After the softmax's
/// max shift, padded keys get exp(f32::MIN - max) = 0 exactly.
pub fn additive_mask(mask: &[u32], batch: usize, seq: usize, device: &Device) -> Result<Tensor> {
    let add: Vec<f32> = mask
        .iter()
        .map(|&m| if m == 0 { f32::MIN } else { 0.0 })
        .collect();
    Tensor::from_vec(add, (batch, 1, 1, seq), device)
}

/// Dropout with the counter-based RNG, identical on every backend:
///
/// ```text
/// y[i] = x[i] * (rng::keep(seed, stream, i, p) ? 1 / (1 - p) : 0)
/// ```
///
/// `i` is the row-major index of the element in `x` (e.g. `[batch, heads, seq, seq]` for the
/// attention probabilities, `[batch, seq, hidden]` for hidden states); `p` and `1 / (1 - p)`
/// are f32. `seed` is `None` in evaluation (and for deterministic steps): identity.
pub fn dropout(x: &Tensor, seed: Option<u32>, stream: u32, p: f64) -> Result<Tensor> {
    let Some(seed) = seed else {
        return Ok(x.clone());
    };
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let mask = dropout_mask(x.elem_count(), seed, stream, p as f32);
    x.mul(&Tensor::from_vec(mask, x.shape(), x.device())?)
}

/// The scaled keep mask of `dropout`: `1 / (1 - p)` where kept, 0 where dropped.
pub fn dropout_mask(len: usize, seed: u32, stream: u32, p: f32) -> Vec<f32> {
    let scale = 1.0 / (1.0 - p);
    (0..len)
        .map(|i| {
            if rng::keep(seed, stream, i as u32, p) {
                scale
            } else {
                0.0
            }
        })
        .collect()
}

/// Mean cross-entropy of `logits [batch, labels]` against class ids, or mean squared error
/// when there is one label (regression, transformers' `num_labels == 1`):
///
/// ```text
/// classification: loss = -mean_b( log_softmax(logits_b)[label_b] )
/// regression:     loss = mean_b( (logits_b - label_b)^2 )
/// ```
///
/// `labels` must be checked by the caller (integers in range for classification).
pub fn loss(logits: &Tensor, labels: &[f32]) -> Result<Tensor> {
    let (batch, num_labels) = logits.dims2()?;
    let device = logits.device();
    if num_labels == 1 {
        let target = Tensor::from_slice(labels, (batch, 1), device)?;
        return (logits - target)?.sqr()?.mean_all();
    }
    let mut one_hot = vec![0f32; batch * num_labels];
    for (row, &label) in labels.iter().enumerate() {
        one_hot[row * num_labels + label as usize] = 1.0;
    }
    let one_hot = Tensor::from_vec(one_hot, (batch, num_labels), device)?;
    let picked = log_softmax_last_dim(logits)?.mul(&one_hot)?.sum_all()?;
    picked.neg()? / batch as f64
}

/// Multi-head self-attention of both models (transformers' `eager_attention_forward`):
///
/// ```text
/// scores = Q K^T * (1 / sqrt(head_dim)) + mask       [batch, heads, seq, seq]
/// probs  = dropout(softmax(scores))                  (stream: rng::stream::attention_probs(l))
/// out    = probs V, heads merged                     [batch, seq, hidden]
/// ```
///
/// q, k, v: [batch, seq, hidden] (after their linear layers); mask: [batch, 1, 1, seq].
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: &Tensor,
    heads: usize,
    dropout_p: f64,
    seed: Option<u32>,
    stream: u32,
) -> Result<Tensor> {
    let (q, k, v) = (
        split_heads(q, heads)?,
        split_heads(k, heads)?,
        split_heads(v, heads)?,
    );
    let scale = 1.0 / (q.dim(3)? as f64).sqrt();
    let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(mask)?;
    let probs = dropout(&softmax_last_dim(&scores)?, seed, stream, dropout_p)?;
    merge_heads(&probs.matmul(&v)?)
}

/// Row 0 of every sequence (the `[CLS]` token).   x: [batch, seq, hidden] -> [batch, hidden]
pub fn first_token(x: &Tensor) -> Result<Tensor> {
    x.narrow(1, 0, 1)?.squeeze(1)
}

/// Split heads.   x: [batch, seq, heads * head_dim] -> [batch, heads, seq, head_dim]
pub fn split_heads(x: &Tensor, heads: usize) -> Result<Tensor> {
    let (b, s, h) = x.dims3()?;
    x.reshape((b, s, heads, h / heads))?
        .transpose(1, 2)?
        .contiguous()
}

/// Merge heads.   x: [batch, heads, seq, head_dim] -> [batch, seq, heads * head_dim]
pub fn merge_heads(x: &Tensor) -> Result<Tensor> {
    let (b, nh, s, hd) = x.dims4()?;
    x.transpose(1, 2)?.contiguous()?.reshape((b, s, nh * hd))
}

/// A u32 id tensor `[n]` for `index_select`.
pub fn ids(values: &[u32], device: &Device) -> Result<Tensor> {
    Tensor::from_slice(values, values.len(), device)
}

/// f32 zeros, for tests and empty gradients.
pub fn zeros(shape: &[usize], device: &Device) -> Result<Tensor> {
    Tensor::zeros(shape, DType::F32, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_slice(v, shape, &Device::Cpu).unwrap()
    }

    #[test]
    fn softmax_and_mask() {
        let x = t(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 1, 4]);
        let m = additive_mask(&[1, 1, 0, 1], 1, 4, &Device::Cpu).unwrap();
        let p = softmax_last_dim(&x.broadcast_add(&m).unwrap()).unwrap();
        let p = p.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let z = 1f32.exp() + 2f32.exp() + 4f32.exp();
        let want = [1f32.exp() / z, 2f32.exp() / z, 0.0, 4f32.exp() / z];
        for (a, b) in p.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn layer_norm_matches_definition() {
        let x = t(&[1.0, 2.0, 4.0, -1.0], &[1, 4]);
        let ln = LayerNorm {
            weight: t(&[1.0, 2.0, 1.0, 1.0], &[4]),
            bias: t(&[0.0, 0.0, 1.0, 0.0], &[4]),
            eps: 1e-5,
        };
        let y = ln
            .forward(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mean = 1.5f32;
        let var = [1.0f32, 2.0, 4.0, -1.0]
            .iter()
            .map(|v| (v - mean).powi(2))
            .sum::<f32>()
            / 4.0;
        let s = (var + 1e-5).sqrt();
        let want = [
            (1.0 - mean) / s,
            2.0 * (2.0 - mean) / s,
            (4.0 - mean) / s + 1.0,
            (-1.0 - mean) / s,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{y:?} vs {want:?}");
        }
    }

    /// Softmax and LayerNorm have gradients (the fused candle_nn ops would fail here).
    #[test]
    fn composed_ops_have_gradients() {
        let x = candle_core::Var::from_tensor(&t(&[0.5, -1.0, 2.0, 0.0], &[1, 4])).unwrap();
        let ln = LayerNorm {
            weight: t(&[1.0; 4], &[4]),
            bias: t(&[0.0; 4], &[4]),
            eps: 1e-12,
        };
        let y = softmax_last_dim(&ln.forward(&x).unwrap()).unwrap();
        let w = t(&[1.0, 0.0, 0.0, 0.0], &[1, 4]);
        let grads = (y * w).unwrap().sum_all().unwrap().backward().unwrap();
        let g = grads
            .get(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert!(g.iter().any(|v| v.abs() > 1e-3), "{g:?}");
        // LayerNorm's output does not change when x shifts: the gradient sums to zero.
        assert!(g.iter().sum::<f32>().abs() < 1e-5, "{g:?}");
    }

    #[test]
    fn cross_entropy_and_mse() {
        let logits = t(&[1.0, 2.0, 0.5, -0.5], &[2, 2]);
        let l = loss(&logits, &[1.0, 0.0])
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let ce = |a: f32, b: f32| -(a - (a.exp() + b.exp()).ln());
        let want = (ce(2.0, 1.0) + ce(0.5, -0.5)) / 2.0;
        assert!((l - want).abs() < 1e-6, "{l} vs {want}");
        let reg = t(&[1.0, 3.0], &[2, 1]);
        let l = loss(&reg, &[0.5, 1.0]).unwrap().to_scalar::<f32>().unwrap();
        assert!((l - (0.25 + 4.0) / 2.0).abs() < 1e-6, "{l}");
    }

    #[test]
    fn dropout_keeps_and_scales() {
        let mask = dropout_mask(100_000, 3, 5, 0.1);
        let kept = mask.iter().filter(|&&m| m > 0.0).count() as f64 / 1e5;
        assert!((kept - 0.9).abs() < 0.01, "{kept}");
        assert!(mask.iter().all(|&m| m == 0.0 || m == 1.0 / 0.9));
        let x = t(&[1.0; 8], &[2, 4]);
        let same = dropout(&x, None, 5, 0.1).unwrap();
        assert_eq!(
            same.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            vec![1.0; 8]
        );
    }
}
