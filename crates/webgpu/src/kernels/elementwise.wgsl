// Elementwise layers: dropout (counter RNG, so the backward recomputes the mask), GELU (erf
// form), tanh (BERT pooler), ReLU (DistilBERT pre-classifier). Grid: grid(ceil(n / 256)).

struct EwParams {
    n: u32,
    key: u32,   // dropout key (see common.wgsl)
    p: f32,     // dropout probability (0: off)
    scale: f32, // 1 / (1 - p)
}
@group(0) @binding(0) var<uniform> pe: EwParams;

@group(0) @binding(1) var<storage, read> e_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> e_out: array<f32>;

@group(0) @binding(1) var<storage, read_write> i_x: array<f32>;

@group(0) @binding(1) var<storage, read> a_x: array<f32>;
@group(0) @binding(2) var<storage, read> a_r: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_out: array<f32>;

fn element(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return group_index(wid, nwg) * 256u + lid;
}

// out [n] = x * m / (1 - p), m = keep(seed, stream, i) (the flat row-major index i).
// The backward is the same kernel applied to the gradient.
@compute @workgroup_size(256)
fn dropout(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        e_out[i] = e_x[i] * dropout_mul(pe.key, i, pe.p, pe.scale);
    }
}

// x [n] *= m / (1 - p), in place.
@compute @workgroup_size(256)
fn dropout_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        i_x[i] *= dropout_mul(pe.key, i, pe.p, pe.scale);
    }
}

// out [n] = x * m / (1 - p) + r   (dropout, then the residual connection)
@compute @workgroup_size(256)
fn dropout_add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        a_out[i] = a_x[i] * dropout_mul(pe.key, i, pe.p, pe.scale) + a_r[i];
    }
}

// out [n] = x * (1 + erf(x / sqrt 2)) / 2
@compute @workgroup_size(256)
fn gelu_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        let x = e_x[i];
        e_out[i] = 0.5 * x * one_plus_erf(x * 0.70710678118654752);
    }
}

// dy [n] *= (1 + erf(x / sqrt 2)) / 2 + x * exp(-x^2 / 2) / sqrt(2 pi), in place; x [n]
@compute @workgroup_size(256)
fn gelu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        let x = e_x[i];
        let d = 0.5 * one_plus_erf(x * 0.70710678118654752)
            + x * exp(-0.5 * x * x) * 0.39894228040143268;
        e_out[i] *= d;
    }
}

// x [n] = tanh(x), in place (clamped: tanh(+-10) is +-1 in fp32)
@compute @workgroup_size(256)
fn tanh_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        i_x[i] = tanh(clamp(i_x[i], -10.0, 10.0));
    }
}

// dy [n] *= 1 - y^2, in place; y = tanh(x) [n]
@compute @workgroup_size(256)
fn tanh_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        let y = e_x[i];
        e_out[i] *= 1.0 - y * y;
    }
}

// x [n] = max(x, 0), in place
@compute @workgroup_size(256)
fn relu_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        i_x[i] = max(i_x[i], 0.0);
    }
}

// dy [n] *= (y > 0), in place; y = relu(x) [n]
@compute @workgroup_size(256)
fn relu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let i = element(wid, nwg, lid);
    if (i < pe.n) {
        e_out[i] = select(0.0, e_out[i], e_x[i] > 0.0);
    }
}
