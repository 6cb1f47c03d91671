// The optimizer step: global gradient norm (two-stage reduction), then fused clipping + AdamW
// + zeroing of the gradient, reading the norm on the device (no readback).

struct OptParams {
    n: u32,          // elements in this chunk
    out_off: u32,    // grad_norm_partial: where this chunk's partial sums go
    decay: f32,      // 1 - lr * weight_decay (1 where no decay)
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    step_size: f32,  // lr / (1 - beta1^t)
    bc2_sqrt: f32,   // sqrt(1 - beta2^t)
    eps: f32,
    max_norm: f32,   // 0: no clipping
    _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> po: OptParams;

@group(0) @binding(1) var<storage, read> n_grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> n_partials: array<f32>;

// partials[out_off + w] = sum of grad[i]^2 over the i of workgroup w (grid-stride)
// grad [n]. Grid: (256, 1, 1).
@compute @workgroup_size(256)
fn grad_norm_partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = wid.x * 256u + lid; i < po.n; i += nwg.x * 256u) {
        let g = n_grad[i];
        s += g * g;
    }
    s = wg_sum(s, lid);
    if (lid == 0u) {
        n_partials[po.out_off + wid.x] = s;
    }
}

@group(0) @binding(1) var<storage, read> r_partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> r_stats: array<f32>;

// stats[1] = sqrt(sum of partials [n]). One workgroup.
@compute @workgroup_size(256)
fn grad_norm_final(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = lid; i < po.n; i += 256u) {
        s += r_partials[i];
    }
    s = wg_sum(s, lid);
    if (lid == 0u) {
        r_stats[1] = sqrt(s);
    }
}

@group(0) @binding(1) var<storage, read> a_stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> a_param: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(5) var<storage, read_write> a_v: array<f32>;

// AdamW as torch.optim.AdamW (and wick_engine::optim::adamw_update, operation for
// operation), on param, grad, m, v [n], after clipping by the norm in stats[1]
// (coef = min(1, max_norm / (norm + 1e-6)), as clip_grad_norm_); zeroes grad.
// Grid: grid(ceil(n / 256)).
@compute @workgroup_size(256)
fn adamw(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) lid: u32) {
    let i = group_index(wid, nwg) * 256u + lid;
    if (i >= po.n) {
        return;
    }
    var clip = 1.0;
    if (po.max_norm > 0.0) {
        clip = min(1.0, po.max_norm / (a_stats[1] + 1e-6));
    }
    let g = a_grad[i] * clip;
    let m = a_m[i] + (g - a_m[i]) * po.one_minus_beta1;
    let v = a_v[i] * po.beta2 + po.one_minus_beta2 * g * g;
    let denom = sqrt(v) / po.bc2_sqrt + po.eps;
    a_param[i] = a_param[i] * po.decay - po.step_size * (m / denom);
    a_m[i] = m;
    a_v[i] = v;
    a_grad[i] = 0.0;
}
