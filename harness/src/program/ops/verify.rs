//! Verification of one chunk's local copy.

use super::{Draw, Operation};
use crate::program::execute::{settle, Run};
use crate::program::model::{Chunk, Proc};
use serde::{Deserialize, Serialize};
use store::Platform;

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

    fn draw(draw: &mut Draw<'_>) -> Self {
        let (proc, chunk) = draw.proc_and_chunk();
        Verify { proc, chunk }
    }

    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let verified = run.acting(self.proc).verify_chunk(&self.chunk.digest());
        settle(thread, "verify", verified);
    }

    fn render(&self) -> String {
        super::on_chunk(Self::NAME, self.proc, self.chunk)
    }
}
