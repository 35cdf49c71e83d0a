//! Incremental backup: chunks known from the previous snapshot, prune and GC.

use crate::build::{backup, gc, publish, world};
use crate::{Scenario, SeededRace};
use harness::program::ops::Prune;
use harness::program::{Age, BackendKind, Chunk, Past, Proc, Program, Step};

/// The scenarios of this module, in report order.
pub const SCENARIOS: &[Scenario] = &[scenario!(
    incremental_vs_prune,
    "incremental-vs-prune",
    3,
    "incremental backup with known chunks vs prune vs GC"
)];

/// The seeded bugs these scenarios expose (none of their own).
pub const SEEDED: &[SeededRace] = &[];

/// Incremental backup with known chunks from the previous snapshot vs prune vs GC.
///
/// History: snapshot vm/100/1 references A1 and A2, written long ago; B is old garbage.
/// Threads: t1 backs up vm/100 at time 2: A1 is known from the previous snapshot (it
/// references it without uploading; while prune holds the snapshot the backup is refused,
/// and once prune removed it the session does not know A1 and the append is refused),
/// uploads D, publishes `[A1, D]`; t2 prunes vm/100/1 (refused while the backup holds it);
/// t3 runs a GC, whose phase 1 must list the group again when its newest snapshot vanishes
/// mid-walk.
/// Races: prune vs the previous-snapshot lock (P2/P3 on A1), and GC's walk vs prune vs a
/// new snapshot. Progress: B must be gone.
pub fn incremental_vs_prune() -> Program {
    let steps = [
        vec![Step::Upload(Chunk::D)],
        publish(&[Chunk::A1, Chunk::D]),
    ];
    let prune = Prune {
        proc: Proc::Current,
        group: 0,
        newest: false,
    };
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![
            Past::Snapshot {
                group: 0,
                indexes: vec![vec![Chunk::A1, Chunk::A2]],
                age: Age::Old,
            },
            Past::Garbage {
                chunks: vec![Chunk::B],
                age: Age::Old,
            },
        ],
        threads: vec![
            vec![backup(0, 2, steps.concat()).into()],
            vec![prune.into()],
            vec![gc(Proc::Current)],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}
