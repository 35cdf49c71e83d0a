//! Filesystem backend: writers inserting and re-using chunks while GC sweeps.

use crate::build::{backup, begun, gc, publish, upload, world};
use crate::seeded::LEFT_UNTOUCHED;
use crate::{Scenario, SeededRace};
use harness::oracle::Property;
use harness::program::ops::SyncJob;
use harness::program::{Age, BackendKind, Begun, Chunk, Past, Proc, Program, Step};
use store::SeededBug;

/// The scenarios of this module, in report order.
pub const SCENARIOS: &[Scenario] = &[
    scenario!(
        insert_vs_sweep,
        "fs-insert-vs-sweep",
        4,
        "filesystem: writer inserts new and existing chunks vs GC phase 2"
    ),
    scenario!(
        pull_reuse_vs_sweep,
        "pull-reuse-vs-sweep",
        4,
        "pull-style touch-and-reuse vs sweep"
    ),
    scenario!(
        sync_vs_sweep,
        "sync-vs-sweep",
        4,
        "sync job pulling a snapshot from another datastore vs sweep"
    ),
];

/// The seeded bugs these scenarios expose, and what a report of each must name.
pub const SEEDED: &[SeededRace] = &[
    // Caught at the faulty step: the sweep's stat outside the chunk store mutex.
    SeededRace {
        bug: SeededBug::SweepStatOutsideMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: &[Property::P1],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::InsertSkipsTouch,
        scenario: "fs-insert-vs-sweep",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
    // Caught at the faulty step: the re-use's touch outside the chunk store mutex.
    SeededRace {
        bug: SeededBug::TouchWithoutMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: &[Property::P1],
        deadlock: false,
    },
    // Caught at the faulty step: the cutoff the GC computes as it starts.
    SeededRace {
        bug: SeededBug::CutoffIgnoresOldestWriter,
        scenario: "fs-insert-vs-sweep",
        expect: &[Property::Cutoff],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::PullChecksWithoutTouch,
        scenario: "sync-vs-sweep",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
];

/// Writer inserting new and existing chunks vs GC phase 2.
///
/// History: chunks A1 and B were written long ago (ancient) and nothing references them;
/// writer W of vm/100 started three grace periods ago and inserted C, so it is older than
/// the grace period when the threads start.
/// Threads: t1 runs a full GC in the same process; t2 goes on with W: inserts A1 (present:
/// must be touched) and D, publishes `[C, A1, D]` and finishes.
/// Races: GC stats A1 as old, W touches A1, GC unlinks A1 (`sweep-stat-outside-mutex`); W's
/// insert of A1 skips the touch and GC sweeps it (`insert-skips-touch`); the cutoff ignores
/// W, older than the grace period, and C is swept (`cutoff-ignores-oldest-writer`).
/// Progress: the GC must collect B (older than W's start minus the margin).
pub fn insert_vs_sweep() -> Program {
    let steps = [
        upload(&[Chunk::A1, Chunk::D]),
        publish(&[Chunk::C, Chunk::A1, Chunk::D]),
    ];
    let writer = begun(
        backup(0, 1, steps.concat()),
        Begun {
            age: Age::Old,
            steps: vec![Step::Upload(Chunk::C)],
        },
    );
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::A1, Chunk::B],
            age: Age::Ancient,
        }],
        threads: vec![vec![gc(Proc::Current)], vec![writer.into()]],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// Pull-style touch-and-reuse vs sweep.
///
/// History: chunks A1, A2, B and C were written long ago and nothing references them.
/// Threads: t1 runs a GC; t2 (a pull) starts a backup and, for each of A1, A2 and B, finds
/// it present, touches it and re-uses it without uploading (or uploads it when GC already
/// removed it), then publishes `[A1, A2, B]` and finishes.
/// Race: GC stats a chunk as old under the mutex, the pull touches it without the mutex and
/// decides to re-use it, GC unlinks it (`touch-without-mutex`). Progress: C must be gone.
pub fn pull_reuse_vs_sweep() -> Program {
    let pulled = [Chunk::A1, Chunk::A2, Chunk::B];
    let reuse = pulled.iter().map(|&c| Step::Reuse(c)).collect::<Vec<_>>();
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::A1, Chunk::A2, Chunk::B, Chunk::C],
            age: Age::Old,
        }],
        threads: vec![
            vec![gc(Proc::Current)],
            vec![backup(0, 1, [reuse, publish(&pulled)].concat()).into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// A sync job pulling a snapshot from another datastore vs sweep.
///
/// History: chunks A1 and B were written long ago and nothing references them.
/// Threads: t1 runs a GC; t2 runs a sync job that pulls snapshot vm/100/1 of a second
/// datastore, whose index `idx0` holds A1 and D, into a snapshot vm/100/1 here: it finds A1
/// present (touched and re-used; fetched again if GC removed it first), fetches D and
/// inserts it, publishes `idx0` and finishes.
/// Race: the job takes A1 for present without touching it (`pull-checks-without-touch`):
/// A1 keeps its old atime while the new snapshot references it, and GC may remove it under
/// the session (P3). Progress: B must be gone.
pub fn sync_vs_sweep() -> Program {
    let pull = SyncJob {
        proc: Proc::Current,
        group: 0,
        time: 1,
        indexes: vec![vec![Chunk::A1, Chunk::D]],
    };
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![Past::Garbage {
            chunks: vec![Chunk::A1, Chunk::B],
            age: Age::Old,
        }],
        threads: vec![vec![gc(Proc::Current)], vec![pull.into()]],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}
