//! A garbage collection.

use super::{proc_suffix, Draw, Operation, Space};
use crate::program::execute::{settle, Run};
use crate::program::model::Proc;
use serde::{Deserialize, Serialize};
use store::Platform;

/// A garbage collection in `proc`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gc {
    /// Its process.
    pub proc: Proc,
}

impl Operation for Gc {
    const NAME: &'static str = "gc";
    const WEIGHT: u64 = 3;

    fn proc(&self) -> Option<Proc> {
        Some(self.proc)
    }

    fn in_proc(&self, proc: Proc) -> Option<Self> {
        Some(Gc { proc })
    }

    fn draw(draw: &mut Draw<'_>) -> Self {
        Gc { proc: draw.proc() }
    }

    fn every(space: &Space) -> Vec<Self> {
        space.procs.iter().map(|&proc| Gc { proc }).collect()
    }

    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        settle(thread, "gc", run.acting(self.proc).garbage_collect());
    }

    fn render(&self) -> String {
        format!("gc{}", proc_suffix(self.proc))
    }
}
