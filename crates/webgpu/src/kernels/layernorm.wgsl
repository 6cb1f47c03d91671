// LayerNorm over the last dimension (biased variance, eps inside the square root, as torch).

struct LnParams {
    rows: u32, C: u32, eps: f32, _pad: u32,
}
@group(0) @binding(0) var<uniform> pl: LnParams;

@group(0) @binding(1) var<storage, read> f_x: array<f32>;
@group(0) @binding(2) var<storage, read> f_w: array<f32>;
@group(0) @binding(3) var<storage, read> f_b: array<f32>;
@group(0) @binding(4) var<storage, read_write> f_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> f_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> f_rstd: array<f32>;

// out [R, C] = (x - mean) * rstd * w + b      x [R, C], w, b [C]; mean, rstd [R] (saved)
// One workgroup per row. Grid: grid(R).
@compute @workgroup_size(256)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3<u32>,
                     @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    let row = group_index(wid, nwg);
    if (row >= pl.rows) {
        return;
    }
    let base = row * pl.C;
    let n = f32(pl.C);
    var s = 0.0;
    for (var c = lid; c < pl.C; c += 256u) {
        s += f_x[base + c];
    }
    let mean = wg_sum(s, lid) / n;
    var v = 0.0;
    for (var c = lid; c < pl.C; c += 256u) {
        let d = f_x[base + c] - mean;
        v += d * d;
    }
    let rstd = 1.0 / sqrt(wg_sum(v, lid) / n + pl.eps);
    for (var c = lid; c < pl.C; c += 256u) {
        f_out[base + c] = (f_x[base + c] - mean) * rstd * f_w[c] + f_b[c];
    }
    if (lid == 0u) {
        f_mean[row] = mean;
        f_rstd[row] = rstd;
    }
}

@group(0) @binding(1) var<storage, read> g_dy: array<f32>;
@group(0) @binding(2) var<storage, read> g_x: array<f32>;
@group(0) @binding(3) var<storage, read> g_w: array<f32>;
@group(0) @binding(4) var<storage, read> g_mean: array<f32>;
@group(0) @binding(5) var<storage, read> g_rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> g_dx: array<f32>;

// dx [R, C] = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  g = dy * w,
// xhat = (x - mean) * rstd.      dy, x [R, C]; w [C]; mean, rstd [R]
// One workgroup per row. Grid: grid(R).
@compute @workgroup_size(256)
fn layernorm_backward(@builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
    let row = group_index(wid, nwg);
    if (row >= pl.rows) {
        return;
    }
    let base = row * pl.C;
    let mean = g_mean[row];
    let rstd = g_rstd[row];
    var sg = 0.0;
    var sgx = 0.0;
    for (var c = lid; c < pl.C; c += 256u) {
        let g = g_dy[base + c] * g_w[c];
        sg += g;
        sgx += g * (g_x[base + c] - mean) * rstd;
    }
    let n = f32(pl.C);
    let mg = wg_sum(sg, lid) / n;
    let mgx = wg_sum(sgx, lid) / n;
    for (var c = lid; c < pl.C; c += 256u) {
        let xhat = (g_x[base + c] - mean) * rstd;
        let g = g_dy[base + c] * g_w[c];
        g_dx[base + c] = rstd * (g - mg - xhat * mgx);
    }
}

@group(0) @binding(1) var<storage, read> h_dy: array<f32>;
@group(0) @binding(2) var<storage, read> h_x: array<f32>;
@group(0) @binding(3) var<storage, read> h_mean: array<f32>;
@group(0) @binding(4) var<storage, read> h_rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> h_dw: array<f32>;
@group(0) @binding(6) var<storage, read_write> h_db: array<f32>;

var<workgroup> h_part: array<f32, 512>;

// dw [C] += sum_r dy[r, c] * xhat[r, c],  db [C] += sum_r dy[r, c]
// 64 columns per workgroup (coalesced), 4 row lanes. Grid: (ceil(C / 64), 1, 1).
@compute @workgroup_size(64, 4)
fn layernorm_param_backward(@builtin(workgroup_id) wid: vec3<u32>,
                            @builtin(local_invocation_id) lid3: vec3<u32>) {
    let c = wid.x * 64u + lid3.x;
    var sw = 0.0;
    var sb = 0.0;
    if (c < pl.C) {
        for (var r = lid3.y; r < pl.rows; r += 4u) {
            let dy = h_dy[r * pl.C + c];
            sw += dy * (h_x[r * pl.C + c] - h_mean[r]) * h_rstd[r];
            sb += dy;
        }
    }
    let slot = lid3.y * 64u + lid3.x;
    h_part[slot] = sw;
    h_part[256u + slot] = sb;
    workgroupBarrier();
    if (lid3.y == 0u && c < pl.C) {
        let x = lid3.x;
        h_dw[c] += h_part[x] + h_part[64u + x] + h_part[128u + x] + h_part[192u + x];
        h_db[c] += h_part[256u + x] + h_part[320u + x] + h_part[384u + x] + h_part[448u + x];
    }
}
