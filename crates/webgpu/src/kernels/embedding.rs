//! Embeddings (word + position + token type) and their backward, grouped by id on the host.

use crate::buf::Buf;
use crate::recorder::{grid, Access, Kernel, Recorder};
use bytemuck::{Pod, Zeroable};

use Access::{Read as R, ReadWrite as W};

const SRC: &str = include_str!("embedding.wgsl");
static FORWARD: Kernel = Kernel {
    source: SRC,
    entry: "embedding_forward",
    bindings: &[R, R, R, R, R, W],
};
static BACKWARD: Kernel = Kernel {
    source: SRC,
    entry: "embedding_backward",
    bindings: &[R, R, R, W],
};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    tokens: u32,
    t: u32,
    c: u32,
    has_type: u32,
}

/// The positions of a batch grouped by id, for a backward without atomics: `order` lists
/// positions sorted by (id, position); `segs` holds `(id, start, end)` per distinct id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grouping {
    pub order: Vec<u32>,
    pub segs: Vec<u32>,
}

impl Grouping {
    pub fn of(ids: &[u32]) -> Grouping {
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.sort_by_key(|&i| (ids[i as usize], i));
        let mut segs = Vec::new();
        let mut start = 0;
        for k in 1..=order.len() {
            if k == order.len() || ids[order[k] as usize] != ids[order[start] as usize] {
                segs.extend_from_slice(&[ids[order[start] as usize], start as u32, k as u32]);
                start = k;
            }
        }
        Grouping { order, segs }
    }
    pub fn segments(&self) -> usize {
        self.segs.len() / 3
    }
}

// out [B*T, C] = word[ids] + pos[t] + type[types]      ids, types [B*T]
#[allow(clippy::too_many_arguments)]
pub fn embedding_forward(
    rec: &mut Recorder,
    out: &Buf,
    ids: &Buf,
    types: &Buf,
    word: &Buf,
    pos: &Buf,
    typ: Option<&Buf>,
    tokens: usize,
    t: usize,
    c: usize,
) {
    let dummy = rec.gpu().dummy.clone();
    let p = Params {
        tokens: tokens as u32,
        t: t as u32,
        c: c as u32,
        has_type: typ.is_some() as u32,
    };
    let typ = typ.unwrap_or(&dummy);
    rec.dispatch(
        &FORWARD,
        &p,
        &[ids, types, word, pos, typ, out],
        grid((tokens * c).div_ceil(256)),
    );
}

// dtable [rows, C] += dout [B*T, C] summed per id; `order`, `segs`: a `Grouping` uploaded
pub fn embedding_backward(
    rec: &mut Recorder,
    dtable: &Buf,
    dout: &Buf,
    order: &Buf,
    segs: &Buf,
    segments: usize,
    c: usize,
) {
    let p = Params {
        tokens: segments as u32,
        t: 0,
        c: c as u32,
        has_type: 0,
    };
    rec.dispatch(&BACKWARD, &p, &[dout, order, segs, dtable], grid(segments));
}
