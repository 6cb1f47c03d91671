// Tiled matmul with register blocking, and the bias gradient.

struct MatmulParams {
    M: u32, N: u32, K: u32, z_inner: u32,
    // Operand X is read as X[zo, zi, r, c] = x[off + zo*so + zi*si + r*sr + c*sc].
    a_off: u32, a_so: u32, a_si: u32, a_sr: u32, a_sc: u32,
    b_off: u32, b_so: u32, b_si: u32, b_sr: u32, b_sc: u32,
    c_off: u32, c_so: u32, c_si: u32, c_sr: u32, c_sc: u32,
    alpha: f32, beta: f32, has_bias: u32, bias_off: u32,
}

@group(0) @binding(0) var<uniform> pm: MatmulParams;
@group(0) @binding(1) var<storage, read> mm_a: array<f32>;
@group(0) @binding(2) var<storage, read> mm_b: array<f32>;
@group(0) @binding(3) var<storage, read> mm_bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> mm_c: array<f32>;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
const LDS: u32 = 65u; // padded row of a shared tile: no bank conflicts on transposed stores
// The staged tiles' element type: f16 in `matmul_f16` (the shader-f16 option, matmul.rs), which
// rounds the operands to f16 as they are staged; products and sums stay f32 either way.
alias tile_t = f32;
var<workgroup> tile_a: array<tile_t, 1040>; // [BK][LDS]: A[m0 + m][k0 + k] at k * LDS + m
var<workgroup> tile_b: array<tile_t, 1040>; // [BK][LDS]: B[k0 + k][n0 + n] at k * LDS + n

// C[z, m, n] = alpha * sum_k A[z, m, k] * B[z, k, n] (+ bias[n]) (+ beta * C[z, m, n])
// A [Z, M, K], B [Z, K, N], C [Z, M, N], bias [N]; z = zo * z_inner + zi, all strided.
// One workgroup (16 x 16 invocations) computes a 64 x 64 tile of C, each invocation 4 x 4
// outputs at rows ty + 16i, columns tx + 16j (coalesced stores). Tiles of A and B are
// staged through workgroup memory 16-deep; each load picks the thread mapping that is
// contiguous in memory (k-major or m/n-major), so transposed operands load coalesced too.
// Grid: (ceil(N / 64), ceil(M / 64), Z).
@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>,
          @builtin(local_invocation_id) lid3: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let zo = wid.z / pm.z_inner;
    let zi = wid.z % pm.z_inner;
    let a_base = pm.a_off + zo * pm.a_so + zi * pm.a_si;
    let b_base = pm.b_off + zo * pm.b_so + zi * pm.b_si;
    let c_base = pm.c_off + zo * pm.c_so + zi * pm.c_si;
    let m0 = wid.y * BM;
    let n0 = wid.x * BN;
    let tx = lid3.x;
    let ty = lid3.y;

    // Accumulators in registers: four named vectors (an array indexed at run time would be
    // spilled to memory).
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var k0 = 0u; k0 < pm.K; k0 += BK) {
        for (var r = 0u; r < 4u; r++) {
            var m: u32;
            var k: u32;
            if (pm.a_sc == 1u) { // k contiguous: 16 threads read 16 consecutive k
                k = lid % BK;
                m = lid / BK + 16u * r;
            } else {             // m contiguous (A transposed): 64 consecutive m
                m = lid % BM;
                k = lid / BM + 4u * r;
            }
            var v = 0.0;
            if (m0 + m < pm.M && k0 + k < pm.K) {
                v = mm_a[a_base + (m0 + m) * pm.a_sr + (k0 + k) * pm.a_sc];
            }
            tile_a[k * LDS + m] = tile_t(v);
        }
        for (var r = 0u; r < 4u; r++) {
            var n: u32;
            var k: u32;
            if (pm.b_sc == 1u) { // n contiguous
                n = lid % BN;
                k = lid / BN + 4u * r;
            } else {             // k contiguous (B transposed, e.g. a Linear weight)
                k = lid % BK;
                n = lid / BK + 16u * r;
            }
            var v = 0.0;
            if (n0 + n < pm.N && k0 + k < pm.K) {
                v = mm_b[b_base + (k0 + k) * pm.b_sr + (n0 + n) * pm.b_sc];
            }
            tile_b[k * LDS + n] = tile_t(v);
        }
        workgroupBarrier();
        for (var k = 0u; k < BK; k++) {
            let row = k * LDS;
            let bv = vec4<f32>(f32(tile_b[row + tx]), f32(tile_b[row + tx + 16u]),
                               f32(tile_b[row + tx + 32u]), f32(tile_b[row + tx + 48u]));
            acc0 += f32(tile_a[row + ty]) * bv;
            acc1 += f32(tile_a[row + ty + 16u]) * bv;
            acc2 += f32(tile_a[row + ty + 32u]) * bv;
            acc3 += f32(tile_a[row + ty + 48u]) * bv;
        }
        workgroupBarrier();
    }

    let m = m0 + ty;
    let n = n0 + tx;
    store_row(c_base, m, n, acc0);
    store_row(c_base, m + 16u, n, acc1);
    store_row(c_base, m + 32u, n, acc2);
    store_row(c_base, m + 48u, n, acc3);
}

// C[m, n + 16j] = alpha * v[j] (+ bias) (+ beta * C), j < 4, inside the bounds.
fn store_row(c_base: u32, m: u32, n: u32, v: vec4<f32>) {
    if (m >= pm.M) {
        return;
    }
    store_one(c_base, m, n, v.x);
    store_one(c_base, m, n + 16u, v.y);
    store_one(c_base, m, n + 32u, v.z);
    store_one(c_base, m, n + 48u, v.w);
}

fn store_one(c_base: u32, m: u32, n: u32, acc: f32) {
    if (n >= pm.N) {
        return;
    }
    let idx = c_base + m * pm.c_sr + n * pm.c_sc;
    var v = pm.alpha * acc;
    if (pm.has_bias != 0u) {
        v += mm_bias[pm.bias_off + n];
    }
    if (pm.beta != 0.0) {
        v += pm.beta * mm_c[idx];
    }
    mm_c[idx] = v;
}

struct BiasParams {
    M: u32, N: u32,
}

@group(0) @binding(0) var<uniform> pb: BiasParams;
@group(0) @binding(1) var<storage, read> bb_dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> bb_db: array<f32>;

var<workgroup> bb_part: array<f32, 256>;

// db[n] += sum_m dy[m, n]      dy [M, N], db [N]
// 64 columns per workgroup (coalesced reads), 4 row lanes reduced in workgroup memory.
// Grid: (ceil(N / 64), 1, 1).
@compute @workgroup_size(64, 4)
fn bias_backward(@builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_id) lid3: vec3<u32>) {
    let n = wid.x * 64u + lid3.x;
    var s = 0.0;
    if (n < pb.N) {
        for (var m = lid3.y; m < pb.M; m += 4u) {
            s += bb_dy[m * pb.N + n];
        }
    }
    bb_part[lid3.y * 64u + lid3.x] = s;
    workgroupBarrier();
    if (lid3.y == 0u && n < pb.N) {
        bb_db[n] += bb_part[lid3.x] + bb_part[64u + lid3.x] + bb_part[128u + lid3.x]
            + bb_part[192u + lid3.x];
    }
}
