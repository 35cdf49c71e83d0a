//! Pruning one snapshot of a group.

use super::{proc_suffix, Draw, Operation, Space};
use crate::program::execute::{settle, Run};
use crate::program::model::group_name;
use crate::program::model::Proc;
use serde::{Deserialize, Serialize};
use store::{Platform, SnapshotId};

/// Prune the oldest or newest snapshot of a group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Prune {
    /// Its process.
    pub proc: Proc,
    /// Group number.
    pub group: u8,
    /// Newest instead of oldest.
    pub newest: bool,
}

impl Operation for Prune {
    const NAME: &'static str = "prune";
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
        Prune {
            proc: draw.proc(),
            group: draw.group(),
            newest: draw.rng.chance(30),
        }
    }

    /// The oldest snapshot of the history's group.
    fn every(space: &Space) -> Vec<Self> {
        (space.procs.iter())
            .map(|&proc| Prune {
                proc,
                group: space.history_group,
                newest: false,
            })
            .collect()
    }

    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let group = group_name(self.group);
        let process = run.acting(self.proc);
        let listed = run.ds.storage().indexes.snapshots(&group);
        let times = settle(thread, "listing snapshots", listed).unwrap_or_default();
        let pick = match self.newest {
            true => times.last(),
            false => times.first(),
        };
        if let Some(&time) = pick {
            let snapshot = SnapshotId { group, time };
            settle(thread, "prune", process.prune(&snapshot));
        }
    }

    fn render(&self) -> String {
        let which = if self.newest { "newest" } else { "oldest" };
        let group = group_name(self.group);
        format!("prune{} {which} of {group}", proc_suffix(self.proc))
    }
}
