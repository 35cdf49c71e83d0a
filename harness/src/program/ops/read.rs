//! A restore read of one chunk.

use super::{Draw, Operation, Space};
use crate::program::execute::{settle, Run};
use crate::faults::injected;
use crate::program::model::{BackendKind, Chunk, Proc};
use serde::{Deserialize, Serialize};
use store::{Platform, StoreError};

/// A restore read of a chunk (through the cache on S3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Read {
    /// Its process.
    pub proc: Proc,
    /// The chunk.
    pub chunk: Chunk,
}

impl Operation for Read {
    const NAME: &'static str = "read";
    const WEIGHT: u64 = 2;

    fn proc(&self) -> Option<Proc> {
        Some(self.proc)
    }

    fn in_proc(&self, proc: Proc) -> Option<Self> {
        Some(Self {
            proc,
            ..self.clone()
        })
    }

    fn draw(draw: &mut Draw<'_>) -> Self {
        let (proc, chunk) = draw.proc_and_chunk();
        Read { proc, chunk }
    }

    fn every(space: &Space) -> Vec<Self> {
        (space.procs.iter())
            .flat_map(|&proc| space.chunks.iter().map(move |&chunk| Read { proc, chunk }))
            .collect()
    }

    /// A read that succeeds returns the chunk's content (the store verifies it). On S3 a
    /// corrupt local copy is no excuse to fail: the bucket object, which nothing rots, is
    /// the chunk's home, and the cache must fetch it again.
    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let read = run.acting(self.proc).read_chunk(&self.chunk.digest());
        let mismatch = |err: &anyhow::Error| {
            !injected(err)
                && matches!(
                    StoreError::of(err),
                    Some(StoreError::DigestMismatch { .. })
                )
        };
        match read {
            Err(err) if run.knobs.backend == BackendKind::S3 && mismatch(&err) => panic!(
                "t{}: read of {} through the cache failed, but its object is good: {err:#}",
                thread + 1,
                self.chunk.name()
            ),
            read => {
                let data = settle(thread, "read", read);
                assert!(
                    data.as_deref().is_none_or(|d| d == self.chunk.data()),
                    "t{}: read of {} returned other content",
                    thread + 1,
                    self.chunk.name()
                );
            }
        }
    }

    fn render(&self) -> String {
        super::on_chunk(Self::NAME, self.proc, self.chunk)
    }
}
