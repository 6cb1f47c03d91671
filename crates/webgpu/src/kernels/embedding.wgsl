// Embeddings: word + position + token type, and the backward without float atomics.

struct EmbParams {
    tokens: u32, // B * T (forward) or the number of id segments (backward)
    T: u32,
    C: u32,
    has_type: u32,
}
@group(0) @binding(0) var<uniform> pe: EmbParams;

@group(0) @binding(1) var<storage, read> f_ids: array<u32>;
@group(0) @binding(2) var<storage, read> f_types: array<u32>;
@group(0) @binding(3) var<storage, read> f_word: array<f32>;
@group(0) @binding(4) var<storage, read> f_pos: array<f32>;
@group(0) @binding(5) var<storage, read> f_type: array<f32>;
@group(0) @binding(6) var<storage, read_write> f_out: array<f32>;

// out [B*T, C] = word[ids[i]] + pos[i % T] + type[types[i]]  (type only when has_type)
// ids, types [B*T]; word [V, C], pos [P, C], type [2, C]. Grid: grid(ceil(B*T*C / 256)).
@compute @workgroup_size(256)
fn embedding_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                     @builtin(local_invocation_index) lid: u32) {
    let i = group_index(wid, nwg) * 256u + lid;
    if (i >= pe.tokens * pe.C) {
        return;
    }
    let tok = i / pe.C;
    let c = i % pe.C;
    var v = f_word[f_ids[tok] * pe.C + c] + f_pos[(tok % pe.T) * pe.C + c];
    if (pe.has_type != 0u) {
        v += f_type[f_types[tok] * pe.C + c];
    }
    f_out[i] = v;
}

@group(0) @binding(1) var<storage, read> g_dout: array<f32>;
@group(0) @binding(2) var<storage, read> g_order: array<u32>;
@group(0) @binding(3) var<storage, read> g_segs: array<u32>;
@group(0) @binding(4) var<storage, read_write> g_dtable: array<f32>;

// dtable [rows, C] += for each segment s = (id, start, end) in segs [S, 3]:
//   dtable[id, :] += sum over k in [start, end) of dout[order[k], :]     dout [B*T, C]
// The host groups the batch's token positions by id (`Grouping`), so each table row is
// written by one workgroup: deterministic, no atomics. One workgroup per segment.
// Grid: grid(S).
@compute @workgroup_size(256)
fn embedding_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
    let s = group_index(wid, nwg);
    if (s >= pe.tokens) {
        return;
    }
    let id = g_segs[3u * s];
    let start = g_segs[3u * s + 1u];
    let end = g_segs[3u * s + 2u];
    for (var c = lid; c < pe.C; c += 256u) {
        var acc = 0.0;
        for (var k = start; k < end; k++) {
            acc += g_dout[g_order[k] * pe.C + c];
        }
        g_dtable[id * pe.C + c] += acc;
    }
}
