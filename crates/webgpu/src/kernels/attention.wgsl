// Attention softmax with the padding mask, and its backward through dropout (mask recomputed).
// The products around it (Q K^T, P V and their transposes) are strided `matmul`s.

struct SoftmaxParams {
    rows: u32,  // B * H * T
    T: u32,
    HT: u32,    // H * T: rows per sequence
    key: u32,   // dropout key (see common.wgsl)
    p: f32,     // dropout probability (0: off)
    scale: f32, // 1 / (1 - p)
    _pad0: u32, _pad1: u32,
}
@group(0) @binding(0) var<uniform> ps: SoftmaxParams;

@group(0) @binding(1) var<storage, read> f_mask: array<u32>;
@group(0) @binding(2) var<storage, read_write> f_att: array<f32>;

// att [B, H, T, T] (scores in, probabilities out, in place); mask [B, T] (1 keep, 0 pad)
// P[b,h,i,j] = exp(S - max) / sum over unmasked j; masked keys get exactly 0 (as torch,
// whose additive finfo.min mask underflows to 0). One workgroup per row. Grid: grid(B*H*T).
@compute @workgroup_size(256)
fn softmax_forward(@builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
    let row = group_index(wid, nwg);
    if (row >= ps.rows) {
        return;
    }
    let base = row * ps.T;
    let mbase = (row / ps.HT) * ps.T;
    var mx = -3.0e38;
    for (var j = lid; j < ps.T; j += 256u) {
        if (f_mask[mbase + j] != 0u) {
            mx = max(mx, f_att[base + j]);
        }
    }
    mx = wg_max(mx, lid);
    var s = 0.0;
    for (var j = lid; j < ps.T; j += 256u) {
        var e = 0.0;
        if (f_mask[mbase + j] != 0u) {
            e = exp(f_att[base + j] - mx);
        }
        f_att[base + j] = e;
        s += e;
    }
    let inv = 1.0 / wg_sum(s, lid);
    for (var j = lid; j < ps.T; j += 256u) {
        f_att[base + j] *= inv;
    }
}

@group(0) @binding(1) var<storage, read> g_att: array<f32>;
@group(0) @binding(2) var<storage, read_write> g_datt: array<f32>;

// datt [B, H, T, T]: d(dropped P) in, d(scores) out (in place); att [B, H, T, T]: P
// g = dPd * dropout multiplier (the forward's mask, recomputed from the counter RNG at the
// flat index of P), dS = P * (g - sum_j P g). The 1/sqrt(d) scale is applied by the dQ, dK
// matmuls. One workgroup per row. Grid: grid(B*H*T).
@compute @workgroup_size(256)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>,
                    @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
    let row = group_index(wid, nwg);
    if (row >= ps.rows) {
        return;
    }
    let base = row * ps.T;
    var s = 0.0;
    for (var j = lid; j < ps.T; j += 256u) {
        let g = g_datt[base + j] * dropout_mul(ps.key, base + j, ps.p, ps.scale);
        s += g * g_att[base + j];
    }
    let pg = wg_sum(s, lid);
    for (var j = lid; j < ps.T; j += 256u) {
        let g = g_datt[base + j] * dropout_mul(ps.key, base + j, ps.p, ps.scale);
        g_datt[base + j] = g_att[base + j] * (g - pg);
    }
}
