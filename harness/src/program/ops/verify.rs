//! Verification of one chunk's local copy.

use super::{Draw, Operation, Space};
use crate::program::execute::{settle, Run};
use crate::program::model::{BackendKind, Chunk, Proc};
use serde::{Deserialize, Serialize};
use store::{Platform, VerifyOutcome};

/// Verify a chunk's local copy, renaming it aside if corrupt.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Verify {
    /// Its process.
    pub proc: Proc,
    /// The chunk.
    pub chunk: Chunk,
}

impl Operation for Verify {
    const NAME: &'static str = "verify";
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
        Verify { proc, chunk }
    }

    fn every(space: &Space) -> Vec<Self> {
        (space.procs.iter())
            .flat_map(|&proc| space.chunks.iter().map(move |&chunk| Verify { proc, chunk }))
            .collect()
    }

    /// On the filesystem a chunk's file is its only copy: verify finds it good or renames
    /// it aside, never a marker to skip or a copy to empty (the S3 cache's answers).
    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let verified = run.acting(self.proc).verify_chunk(&self.chunk.digest());
        let outcome = settle(thread, "verify", verified);
        if run.knobs.backend == BackendKind::Filesystem {
            assert!(
                matches!(
                    outcome,
                    None | Some(VerifyOutcome::Good | VerifyOutcome::Quarantined(_))
                ),
                "t{}: verify of {} on the filesystem answered {outcome:?}",
                thread + 1,
                self.chunk.name()
            );
        }
    }

    fn render(&self) -> String {
        super::on_chunk(Self::NAME, self.proc, self.chunk)
    }
}
