//! A service reload.

use super::{Draw, Operation, Space};
use crate::program::execute::Run;
use crate::program::model::Proc;
use serde::{Deserialize, Serialize};
use store::Platform;

/// A service reload: a new process starts, the current one is told to shut down.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reload;

impl Operation for Reload {
    const NAME: &'static str = "reload";
    /// The generator places the reload itself (in a share of the programs, opening its
    /// thread), never as a further operation.
    const WEIGHT: u64 = 0;

    /// None: a reload belongs to every process.
    fn proc(&self) -> Option<Proc> {
        None
    }

    fn in_proc(&self, _proc: Proc) -> Option<Self> {
        None
    }

    fn draw(_: &mut Draw<'_>) -> Self {
        Reload
    }

    /// None: the enumerator places the reload itself, opening a thread.
    fn every(_space: &Space) -> Vec<Self> {
        Vec::new()
    }

    fn run<P: Platform>(&self, run: &Run<P>, _thread: usize) {
        run.reload();
    }

    fn render(&self) -> String {
        "reload".to_string()
    }
}
