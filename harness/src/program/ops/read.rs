//! A restore read of one chunk.

use super::{Draw, Operation};
use crate::program::execute::{settle, Run};
use crate::program::model::{Chunk, Proc};
use serde::{Deserialize, Serialize};
use store::Platform;

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

    fn draw(draw: &mut Draw<'_>) -> Self {
        let (proc, chunk) = draw.proc_and_chunk();
        Read { proc, chunk }
    }

    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let read = run.acting(self.proc).read_chunk(&self.chunk.digest());
        settle(thread, "read", read);
    }

    fn render(&self) -> String {
        super::on_chunk(Self::NAME, self.proc, self.chunk)
    }
}
