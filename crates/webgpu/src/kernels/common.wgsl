// Helpers shared by every kernel module (prepended to each source by `recorder.rs`).

// wick_engine::rng::hash32 ("lowbias32"), bit for bit. u32 arithmetic wraps in WGSL.
fn hash32(x0: u32) -> u32 {
    var x = x0;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// Dropout multiplier of element `index` of a site. `key` = hash32(hash32(seed) ^ stream),
// computed on the host, so that uniform(seed, stream, index) = (hash32(key ^ index) >> 8) / 2^24
// as in rng.rs. Kept (uniform >= p): 1 / (1 - p); dropped: 0. p == 0: always 1.
fn dropout_mul(key: u32, index: u32, p: f32, scale: f32) -> f32 {
    if (p <= 0.0) {
        return 1.0;
    }
    let u = f32(hash32(key ^ index) >> 8u) * (1.0 / 16777216.0);
    return select(0.0, scale, u >= p);
}

// erfc(z) for z >= 0: Numerical Recipes' erfcc (Chebyshev fit), fractional error < 1.2e-7
// everywhere, so 1 + erf(x) keeps fp32 accuracy even in the far negative tail.
fn erfc_pos(z: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    return t * exp(-z * z + poly);
}

// 1 + erf(x), without cancellation for x < 0.
fn one_plus_erf(x: f32) -> f32 {
    if (x >= 0.0) {
        return 2.0 - erfc_pos(x);
    }
    return erfc_pos(-x);
}

// The index of a workgroup in a 2D grid made by `recorder::grid` (x <= 32768).
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// Reductions over a workgroup of 256 invocations (call from uniform control flow).
var<workgroup> wg_red: array<f32, 256>;

fn wg_sum(v: f32, lid: u32) -> f32 {
    wg_red[lid] = v;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            wg_red[lid] += wg_red[lid + s];
        }
        workgroupBarrier();
    }
    let r = wg_red[0];
    workgroupBarrier();
    return r;
}

fn wg_max(v: f32, lid: u32) -> f32 {
    wg_red[lid] = v;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (lid < s) {
            wg_red[lid] = max(wg_red[lid], wg_red[lid + s]);
        }
        workgroupBarrier();
    }
    let r = wg_red[0];
    workgroupBarrier();
    return r;
}
