// Losses of the classification head: cross-entropy (mean) and MSE (regression), with the
// gradient of the logits and the loss added to the statistics, all without a readback.

struct LossParams {
    B: u32,
    L: u32,
    grad_scale: f32, // 1 / (B * accumulation): d(mean loss / accumulation) / d(row loss)
    _pad: u32,
}
@group(0) @binding(0) var<uniform> pl: LossParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

// loss = mean_b (logsumexp(logits[b]) - logits[b, labels[b]]);  stats[0] += loss
// dlogits [B, L] = (softmax(logits[b]) - onehot(labels[b])) * grad_scale
// logits [B, L], labels [B] (class ids as f32, checked on the host). One workgroup.
@compute @workgroup_size(256)
fn cross_entropy(@builtin(local_invocation_index) lid: u32) {
    var total = 0.0;
    for (var b = lid; b < pl.B; b += 256u) {
        let base = b * pl.L;
        var mx = -3.0e38;
        for (var j = 0u; j < pl.L; j++) {
            mx = max(mx, logits[base + j]);
        }
        var s = 0.0;
        for (var j = 0u; j < pl.L; j++) {
            s += exp(logits[base + j] - mx);
        }
        let label = u32(labels[b]);
        total += log(s) + mx - logits[base + label];
        for (var j = 0u; j < pl.L; j++) {
            let prob = exp(logits[base + j] - mx) / s;
            dlogits[base + j] = (prob - select(0.0, 1.0, j == label)) * pl.grad_scale;
        }
    }
    total = wg_sum(total, lid);
    if (lid == 0u) {
        stats[0] += total / f32(pl.B);
    }
}

// loss = mean_b (logits[b] - labels[b])^2;  stats[0] += loss
// dlogits [B, 1] = 2 (logits - labels) * grad_scale.  One workgroup.
@compute @workgroup_size(256)
fn mse(@builtin(local_invocation_index) lid: u32) {
    var total = 0.0;
    for (var b = lid; b < pl.B; b += 256u) {
        let d = logits[b] - labels[b];
        total += d * d;
        dlogits[b] = 2.0 * d * pl.grad_scale;
    }
    total = wg_sum(total, lid);
    if (lid == 0u) {
        stats[0] += total / f32(pl.B);
    }
}
