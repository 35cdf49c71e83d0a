//! A sync (pull) job: a snapshot of a second datastore (another host) copied into the
//! program's datastore, chunk by chunk.

use super::backup::{Backup, Step};
use super::{proc_suffix, Draw, Operation, Space};
use crate::program::execute::{settle, write_snapshot, Run};
use crate::program::model::group_name;
use crate::program::model::{Chunk, Proc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{
    Backend, Clock, Datastore, NoopObserver, Platform, Process, SnapshotId, Std, Storage,
    StoreConfig,
};

/// A sync job pulling a snapshot of group `group` whose indexes hold `indexes`, from a
/// second datastore, into a snapshot of the same group at backup time `time`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncJob {
    /// Its process.
    pub proc: Proc,
    /// Group number.
    pub group: u8,
    /// Backup time of the copy (refused unless newer than the group's last snapshot).
    pub time: i64,
    /// The source snapshot's indexes (`idx0`, `idx1`), each a list of chunks.
    pub indexes: Vec<Vec<Chunk>>,
}

impl SyncJob {
    /// The source: a datastore of its own on real threads' primitives (its steps are no
    /// scheduling points), holding the snapshot to pull, written as it is built.
    fn source(&self) -> (Arc<Process<Std>>, SnapshotId) {
        let ds = Datastore::<Std>::new(
            StoreConfig::new(Backend::Filesystem),
            Storage::model::<Std>(),
            Clock::manual(0),
            Arc::new(NoopObserver),
        );
        let process = ds.start_process();
        write_snapshot(&process, self.group, 1, &self.indexes);
        let group = group_name(self.group);
        (process, SnapshotId { group, time: 1 })
    }
}

impl Operation for SyncJob {
    const NAME: &'static str = "sync";
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

    fn size(&self) -> usize {
        1 + self.indexes.iter().map(Vec::len).sum::<usize>()
    }

    fn draw(draw: &mut Draw<'_>) -> Self {
        let group = draw.group();
        let time = draw.last_time(group) + draw.rng.range(1, 2) as i64;
        draw.backed_up(group, time);
        let indexes = (0..draw.rng.range(1, 2))
            .map(|_| (0..draw.rng.range(1, 3)).map(|_| draw.chunk()).collect())
            .collect();
        SyncJob {
            proc: draw.proc(),
            group,
            time,
            indexes,
        }
    }

    /// A copy of a one-chunk snapshot into each group, at a time the enumerator numbers.
    fn every(space: &Space) -> Vec<Self> {
        let mut every = Vec::new();
        for &proc in &space.procs {
            for &group in &space.session_groups {
                for &chunk in &space.chunks {
                    every.push(SyncJob {
                        proc,
                        group,
                        time: 0,
                        indexes: vec![vec![chunk]],
                    });
                }
            }
        }
        every
    }

    fn timed(&self, time: i64) -> Option<Self> {
        Some(Self {
            time,
            ..self.clone()
        })
    }

    /// The source never fails (a source error is no refusal, so it fails the run), and a
    /// pull that succeeds copied every chunk of every index.
    fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
        let (source, snapshot) = self.source();
        let process = run.acting(self.proc);
        let pulled = process.pull_snapshot(&source, &snapshot, self.time);
        if let Some(stats) = settle(thread, "sync", pulled) {
            let chunks = self.indexes.iter().map(Vec::len).sum::<usize>();
            assert_eq!(
                (stats.present + stats.fetched, stats.indexes),
                (chunks, self.indexes.len()),
                "t{}: {} copied (chunks, indexes)",
                thread + 1,
                self.render()
            );
        }
    }

    fn render(&self) -> String {
        let indexes: Vec<String> = (self.indexes.iter().enumerate())
            .map(|(i, chunks)| {
                let names: Vec<_> = chunks.iter().map(|c| c.name()).collect();
                format!("idx{i}[{}]", names.join(" "))
            })
            .collect();
        format!(
            "sync{} {}@{}: {}",
            proc_suffix(self.proc),
            group_name(self.group),
            self.time,
            indexes.join(" ")
        )
    }

    /// An index dropped, or a chunk of one (each index keeps one).
    fn smaller(&self) -> Vec<Self> {
        let mut out = Vec::new();
        for i in 0..self.indexes.len() {
            if self.indexes.len() > 1 {
                let mut smaller = self.clone();
                smaller.indexes.remove(i);
                out.push(smaller);
            }
            for c in 0..self.indexes[i].len() {
                if self.indexes[i].len() > 1 {
                    let mut smaller = self.clone();
                    smaller.indexes[i].remove(c);
                    out.push(smaller);
                }
            }
        }
        out
    }

    /// A finished backup session that re-uses or uploads each chunk, index by index.
    fn as_backup(&self) -> Option<Backup> {
        let mut steps = Vec::new();
        for (i, chunks) in self.indexes.iter().enumerate() {
            let i = i as u8;
            steps.push(Step::Create(i));
            for &chunk in chunks {
                steps.extend([Step::Reuse(chunk), Step::Append(i, chunk)]);
            }
            steps.push(Step::Close(i));
        }
        Some(Backup {
            proc: self.proc,
            group: self.group,
            time: self.time,
            steps,
            finish: true,
            begun: None,
        })
    }
}
