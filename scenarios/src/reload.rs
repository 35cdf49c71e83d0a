//! Service reload: an old process's writer outlives the reload; the new process's GC must
//! wait for it.

use crate::build::{
    backup, begun, begun_fresh, gc, old_garbage, publish, upload, upload_and_publish, world,
};
use crate::seeded::ROLLED_BACK;
use crate::{Scenario, SeededRace};
use harness::oracle::Property;
use harness::program::ops::{Backup, Clock, Reload, Verify};
use harness::program::{Age, BackendKind, Begun, Chunk, ClockStep, Past, Proc, Program, Step};
use store::SeededBug;

/// The scenarios of this module, in report order.
pub const SCENARIOS: &[Scenario] = &[
    scenario!(
        reload_during_backup,
        "reload-during-backup",
        3,
        "reload: old-process writer, reload with a GC in the new process, a writer in the newest"
    ),
    scenario!(
        gc_during_reload,
        "gc-during-reload",
        3,
        "reload while the old process's GC runs: old GC aborts, new GC waits for old writers"
    ),
    scenario!(
        eviction_vs_touch_across_reload,
        "eviction-vs-touch-across-reload",
        3,
        "S3 reload: old-process cache eviction vs a new-process writer touching the chunk"
    ),
    scenario!(
        old_verify_vs_new_writer,
        "old-verify-vs-new-writer",
        3,
        "reload: an old-process verify renames aside a rotten copy a new-process writer replaces"
    ),
    scenario!(
        old_touch_vs_new_writer,
        "old-touch-vs-new-writer",
        3,
        "reload: an old-process writer's touch lands after a newer writer stamped the chunk"
    ),
];

/// The seeded bugs these scenarios expose, and what a report of each must name.
pub const SEEDED: &[SeededRace] = &[
    // Caught at the faulty step: the GC that starts while an old-process writer is active.
    SeededRace {
        bug: SeededBug::LockForgetsOtherProcesses,
        scenario: "reload-during-backup",
        expect: &[Property::P4],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::EvictionRollsBackAtime,
        scenario: "eviction-vs-touch-across-reload",
        expect: ROLLED_BACK,
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::StaleStamp,
        scenario: "old-touch-vs-new-writer",
        expect: ROLLED_BACK,
        deadlock: false,
    },
];

/// An old-process writer still running, a reload with a GC in the new process, and a
/// writer in the newest process.
///
/// History: B was written long ago (ancient) and nothing references it; writer W1 of vm/100
/// in process 1 started three grace periods ago and inserted C.
/// Threads: t1 goes on with W1: inserts A1, publishes `[C, A1]` and finishes; t2 reloads
/// (process 2 starts, process 1 is told to shut down) and runs a GC in process 2, which
/// must be refused while W1 runs; t3 backs up vm/101 in the newest process (process 2 once
/// the reload happened): inserts A2, publishes, finishes.
/// The end check's GC in the newest process, once every writer is done, must succeed and
/// collect B.
/// Race: the process lock forgets process 1's shared lock, so process 2's GC runs while W1
/// is active and sweeps C, which only W1 knows about (`lock-forgets-other-processes`, P4).
pub fn reload_during_backup() -> Program {
    let second = backup(1, 1, upload_and_publish(&[Chunk::A2]));
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: old_history(),
        threads: vec![
            vec![old_writer().into()],
            vec![Reload.into(), gc(Proc::Current)],
            vec![second.into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// A reload while the old process's GC runs: the old GC aborts at its next check, the new
/// process's GC waits for the old process's writer.
///
/// History: as [`reload_during_backup`]'s.
/// Threads: t1 goes on with W1 (inserts A1, publishes `[C, A1]`, finishes); t2 runs a GC in
/// process 1, which completes, aborts (shutting down) or is refused (the new process's GC
/// runs); t3 reloads and runs a GC in process 2, refused while W1 runs or while the old GC
/// holds the exclusive lock. The end check's GC must then succeed and collect B.
/// Races: the old GC removing chunks after the reload (P4 for the old writer holds through
/// the shared process lock), two GCs across processes (single GC).
pub fn gc_during_reload() -> Program {
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: old_history(),
        threads: vec![
            vec![old_writer().into()],
            vec![gc(Proc::Old)],
            vec![Reload.into(), gc(Proc::Current)],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// The history both reload stories share: B is ancient garbage.
fn old_history() -> Vec<Past> {
    vec![Past::Garbage {
        chunks: vec![Chunk::B],
        age: Age::Ancient,
    }]
}

/// W1: begun in process 1 three grace periods ago with C inserted; its thread inserts A1,
/// publishes `[C, A1]` and finishes.
fn old_writer() -> Backup {
    let steps = [upload(&[Chunk::A1]), publish(&[Chunk::C, Chunk::A1])].concat();
    let started = Begun {
        age: Age::Old,
        steps: vec![Step::Upload(Chunk::C)],
    };
    Backup {
        proc: Proc::Old,
        ..begun(backup(0, 1, steps), started)
    }
}

/// Cache eviction in the old process vs a touch by a writer of the new process: both share
/// the cache directory after a reload, but not the chunk store mutex.
///
/// History (cache of 1): C was uploaded long ago and is cached, unreferenced; a backup of
/// vm/100 began in the first process; then a reload started the second process, where a
/// backup of vm/101 began.
/// Threads: t1 goes on with the old backup: uploads A1, whose cache insert evicts C to a
/// marker in the old process, and aborts; t2 goes on with the new backup: uploads C (the
/// object exists: a touch), publishes `[C]` and finishes.
/// Race: the eviction reads C's old atime, the new writer touches C, the eviction writes a
/// marker with the old atime (`eviction-rolls-back-atime`): C looks older than the writer
/// that uses it. Emptying the file in place keeps the touch. Found by the generated phase.
pub fn eviction_vs_touch_across_reload() -> Program {
    let old = Backup {
        proc: Proc::Old,
        finish: false,
        ..begun_fresh(backup(0, 1, upload(&[Chunk::A1])))
    };
    let new = begun_fresh(backup(1, 1, upload_and_publish(&[Chunk::C])));
    Program {
        knobs: world(BackendKind::S3, 1),
        history: vec![old_garbage(&[Chunk::C]), Past::Reload],
        threads: vec![vec![old.into()], vec![new.into()]],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// A touch by an old-process writer vs a newer stamp by a new-process writer: both share
/// the chunk directory after a reload, but not the chunk store mutex.
///
/// History: C was written long ago, unreferenced; a backup of vm/100 began in the first
/// process; then a reload started the second, where a backup of vm/101 began.
/// Threads: t1 goes on with the old backup: re-uses C (the pull path: present, a touch under
/// its chunk store mutex only) and aborts; t2 moves the clock one second, then goes on with
/// the new backup: re-uses C (a touch), publishes `[C]` and finishes.
/// Race: t1 reads the clock, t2 moves it and touches C, then t1's touch lands with the time
/// it read (`stale-stamp`): C's mark moves back (atime order), behind the stamp the new
/// writer relies on. A touch stamped with the time of its own step keeps the newer stamp.
/// Found by the guided search.
pub fn old_touch_vs_new_writer() -> Program {
    let old = Backup {
        proc: Proc::Old,
        finish: false,
        ..begun_fresh(backup(0, 1, vec![Step::Reuse(Chunk::C)]))
    };
    let steps = [vec![Step::Reuse(Chunk::C)], publish(&[Chunk::C])].concat();
    let new = begun_fresh(backup(1, 1, steps));
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![old_garbage(&[Chunk::C]), Past::Reload],
        threads: vec![
            vec![old.into()],
            vec![Clock(ClockStep::One).into(), new.into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// Verify in the old process vs a writer of the new process replacing the rotten copy it
/// read: both share the chunk directory after a reload, but not the chunk store mutex.
///
/// History: C was written long ago, unreferenced, and bit rot truncated its file; a reload
/// started the second process, where a backup of vm/101 began.
/// Threads: t1 verifies C in the old process (corrupt: renamed aside); t2 goes on with the
/// new backup: uploads C (a file of another size: written over), publishes `[C]` and
/// finishes.
/// Race: verify reads the rotten copy, the writer writes a good one over it, verify renames
/// that good file aside, and the writer's index names a chunk that is gone (harm). An
/// insert under the per-chunk lock, which verify holds from its read to its rename, waits
/// and writes the chunk again after it. Found by the guided search; a regression story
/// (shuttle random catches an insert without the lock within 10 schedules, loom does not
/// reach the interleaving: see the README).
pub fn old_verify_vs_new_writer() -> Program {
    let new = begun_fresh(backup(1, 1, upload_and_publish(&[Chunk::C])));
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: vec![
            old_garbage(&[Chunk::C]),
            Past::Corrupt {
                chunk: Chunk::C,
                same_size: false,
            },
            Past::Reload,
        ],
        threads: vec![
            vec![Verify {
                proc: Proc::Old,
                chunk: Chunk::C,
            }
            .into()],
            vec![new.into()],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}
