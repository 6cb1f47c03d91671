//! Counter-based random numbers, the same on every backend.
//!
//! Dropout masks and head initialisation must be identical on the CPU (candle) and the WebGPU
//! backend, natively and in the browser, so neither uses a stateful generator: every number is
//! a pure hash of (seed, stream, index). The WGSL kernels in `crates/webgpu` implement exactly
//! `hash32` and `uniform` below; change both together.

/// "lowbias32" integer hash (Chris Wellons): good avalanche, cheap in a shader.
#[inline]
pub fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// Uniform in [0, 1) with 24 bits: `hash32(hash32(hash32(seed) ^ stream) ^ index)`.
#[inline]
pub fn uniform(seed: u32, stream: u32, index: u32) -> f32 {
    let h = hash32(hash32(hash32(seed) ^ stream) ^ index);
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Standard normal by Box-Muller from two uniforms at indices `2i` and `2i + 1`.
pub fn normal(seed: u32, stream: u32, index: u32) -> f32 {
    let u1 = uniform(seed, stream, index.wrapping_mul(2)).max(f32::MIN_POSITIVE);
    let u2 = uniform(seed, stream, index.wrapping_mul(2).wrapping_add(1));
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// The seed of one training step's dropout masks: differs per step, fixed by the run's seed.
pub fn step_seed(seed: u64, step: u64) -> u32 {
    hash32((seed as u32) ^ hash32(step as u32 ^ 0x9e37_79b9))
}

/// Dropout streams: one per dropout site, so masks never repeat across sites.
/// Layer `l` of `n` has attention probabilities, attention output and FFN output sites.
pub mod stream {
    pub const EMBEDDINGS: u32 = 0;
    pub fn attention_probs(layer: usize) -> u32 {
        1 + 3 * layer as u32
    }
    pub fn attention_output(layer: usize) -> u32 {
        2 + 3 * layer as u32
    }
    pub fn ffn_output(layer: usize) -> u32 {
        3 + 3 * layer as u32
    }
    /// Before the classifier (after the pooler, or DistilBERT's pre-classifier).
    pub fn classifier(num_layers: usize) -> u32 {
        1 + 3 * num_layers as u32
    }
    /// Head initialisation (not dropout): classifier weight, then pre-classifier weight.
    pub const INIT_CLASSIFIER: u32 = 0xC1A5_0001;
    pub const INIT_PRE_CLASSIFIER: u32 = 0xC1A5_0002;
    /// BERT's pooler weight, when the checkpoint has none (plain encoder exports).
    pub const INIT_POOLER: u32 = 0xC1A5_0003;
}

/// Keep element `index` of a dropout site with probability `1 - p` (then scaled by 1/(1-p)).
#[inline]
pub fn keep(seed: u32, stream: u32, index: u32, p: f32) -> bool {
    uniform(seed, stream, index) >= p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_uniform_and_keep_rate_matches() {
        let n = 100_000u32;
        let mean: f64 = (0..n).map(|i| uniform(7, 3, i) as f64).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        let kept = (0..n).filter(|&i| keep(7, 3, i, 0.1)).count() as f64 / n as f64;
        assert!((kept - 0.9).abs() < 0.01, "kept {kept}");
    }

    #[test]
    fn normal_has_unit_variance() {
        let n = 100_000u32;
        let xs: Vec<f64> = (0..n).map(|i| normal(42, 1, i) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "mean {mean} var {var}"
        );
    }

    #[test]
    fn streams_and_steps_differ() {
        assert_ne!(uniform(1, 0, 0), uniform(1, 1, 0));
        assert_ne!(step_seed(42, 1), step_seed(42, 2));
    }
}
