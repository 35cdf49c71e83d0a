//! Deterministic chunk contents: every chunk is derived from a 64-bit tag, so runs repeat.

use store::Digest;

/// 1 KiB.
pub const KIB: usize = 1024;
/// 1 MiB.
pub const MIB: usize = 1024 * KIB;

/// splitmix64: a fixed-seed generator for chunk bytes (no `rand`, same bytes every run).
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The chunk of `size` bytes for `tag`: distinct tags give distinct contents.
pub fn chunk(tag: u64, size: usize) -> Vec<u8> {
    let mut state = tag;
    let mut data = Vec::with_capacity(size + 8);
    while data.len() < size {
        data.extend_from_slice(&splitmix(&mut state).to_le_bytes());
    }
    data.truncate(size);
    data
}

/// Chunks with their digests, hashed once up front so timed loops only hash inside the
/// store.
pub struct Pool {
    /// `(digest, content)` pairs.
    pub chunks: Vec<(Digest, Vec<u8>)>,
}

impl Pool {
    /// `count` chunks of `size` bytes whose tags start at `salt << 32` (use distinct salts
    /// for pools that must not share chunks, e.g. one per thread).
    pub fn new(salt: u64, count: usize, size: usize) -> Self {
        let chunks = (0..count as u64)
            .map(|i| {
                let data = chunk((salt << 32) | i, size);
                (Digest::of(&data), data)
            })
            .collect();
        Self { chunks }
    }

    /// One pool per thread, disjoint.
    pub fn per_thread(salt: u64, threads: usize, count: usize, size: usize) -> Vec<Self> {
        (0..threads as u64)
            .map(|t| Self::new((salt << 8) | t, count, size))
            .collect()
    }

    /// The digests.
    pub fn digests(&self) -> impl Iterator<Item = &Digest> {
        self.chunks.iter().map(|(d, _)| d)
    }

    /// Number of chunks.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// A human label for a chunk size: `4KiB`, `64KiB`, `4MiB`.
pub fn size_label(size: usize) -> String {
    if size >= MIB && size % MIB == 0 {
        format!("{}MiB", size / MIB)
    } else if size >= KIB && size % KIB == 0 {
        format!("{}KiB", size / KIB)
    } else {
        format!("{size}B")
    }
}
