//! `Buf`: a view of 4-byte words (f32 or u32) in a storage buffer. Cheap to clone; the id
//! identifies the underlying buffer so bind groups can be cached by (buffer, offset, size).

use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Binding offsets must be multiples of this (WebGPU's `minStorageBufferOffsetAlignment`).
pub const ALIGN_BYTES: u64 = 256;
/// The same in 4-byte words.
pub const ALIGN_WORDS: usize = (ALIGN_BYTES / 4) as usize;

#[derive(Clone, Debug)]
pub struct Buf {
    pub buffer: wgpu::Buffer,
    /// Identity of `buffer` (shared by every view of it).
    pub id: u64,
    /// Byte offset of the view (a multiple of `ALIGN_BYTES`).
    pub offset: u64,
    /// Length in 4-byte words.
    pub len: usize,
}

impl Buf {
    pub fn new(buffer: wgpu::Buffer, offset: u64, len: usize) -> Buf {
        Buf {
            buffer,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            offset,
            len,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.len as u64 * 4
    }

    /// Words `[start, start + len)` of this view. `start` must keep the binding aligned.
    pub fn slice(&self, start: usize, len: usize) -> Buf {
        assert!(
            start * 4 % ALIGN_BYTES as usize == 0,
            "unaligned view at word {start}"
        );
        assert!(
            start + len <= self.len,
            "view [{start}, +{len}) past the end ({})",
            self.len
        );
        Buf {
            buffer: self.buffer.clone(),
            id: self.id,
            offset: self.offset + start as u64 * 4,
            len,
        }
    }
}
