//! Faults under the checkers: every fault kind (crashes included) lands under shuttle and
//! under loom and the clean store survives it, and every fault-handling seeded bug is caught
//! by both.

use harness::check::{Budget, Cause, Checker, Report, RunOptions, DEFAULT_MAX_BRANCHES};
use harness::oracle::Property;
use harness::program::ops::{Backup, Clock, Gc, Read, Verify};
use harness::program::{
    check_program, generate, Age, BackendKind, Chunk, ClockStep, Granularity, Knobs, Op, Past,
    PlannedFault, Proc, Program, Step,
};
use harness::world::Setup;
use std::collections::BTreeSet;
use store::storage::{Errno, Fault};
use store::SeededBug;

// The pool's chunks by name (`Chunk(0)` is the empty chunk, E).
pub(super) const A1: Chunk = Chunk(1);
const A2: Chunk = Chunk(2);
pub(super) const B: Chunk = Chunk(3);
pub(super) const C: Chunk = Chunk(4);
const D: Chunk = Chunk(5);

pub(super) fn budget(schedules: usize, preemption_bound: usize) -> Budget {
    Budget {
        preemption_bound,
        max_branches: DEFAULT_MAX_BRANCHES,
        schedules,
        pct_depth: 3,
        seed: 0x5eed,
    }
}

pub(super) fn run(program: &Program, setup: Setup, checker: Checker, budget: &Budget) -> Report {
    let options = RunOptions {
        faults: setup.faults > 0,
        ..RunOptions::default()
    };
    check_program(program, setup, checker, budget, &options).report
}

pub(super) fn s3(delete_batch: u8) -> Knobs {
    Knobs {
        backend: BackendKind::S3,
        cache_capacity: 2,
        delete_batch,
        granularity: Granularity::Single,
        grace: 100,
        margin: 5,
    }
}

/// A backup of group `group` at time 1 that uploads `chunk`, publishes it in one index and
/// finishes.
fn backup_of(group: u8, chunk: Chunk) -> Op {
    let steps = vec![
        Step::Upload(chunk),
        Step::Create(0),
        Step::Append(0, chunk),
        Step::Close(0),
    ];
    Backup::finished(group, 1, steps).into()
}

pub(super) fn gc() -> Op {
    Op::Gc(Gc {
        proc: Proc::Current,
    })
}

/// An old snapshot of group 0 whose one index lists `chunk`.
fn old_snapshot_of(chunk: Chunk) -> Past {
    Past::Snapshot {
        group: 0,
        indexes: vec![vec![chunk]],
        age: Age::Old,
    }
}

/// S3: a referenced snapshot and old garbage; a GC against a backup that uploads, indexes
/// and finishes. It reaches every storage operation a fault can land on: chunk stat, write,
/// touch, read and remove, every index operation, and bucket put, head, get, list and a
/// batched delete of two.
pub(super) fn busy_s3() -> Program {
    Program {
        knobs: s3(2),
        history: vec![
            old_snapshot_of(A1),
            Past::Garbage {
                chunks: vec![D, A2],
                age: Age::Old,
            },
            Past::Object {
                chunk: C,
                marker: None,
            },
        ],
        threads: vec![
            vec![gc()],
            vec![
                backup_of(1, B),
                Op::Read(Read {
                    proc: Proc::Current,
                    chunk: C,
                }),
            ],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

fn kinds(report: &Report) -> BTreeSet<Fault> {
    report.faults.keys().map(|(_, fault)| *fault).collect()
}

fn all_kinds() -> BTreeSet<Fault> {
    Fault::ALL.into_iter().collect()
}

/// loom enumerates the fault choice: one exhaustive search per (operation, fault kind), so
/// every kind lands at every operation it fits, and the clean store survives them all.
#[test]
fn loom_lands_every_fault_kind_and_the_clean_store_survives() {
    let program = busy_s3();
    let setup = Setup::clean().with_faults(1);
    let report = run(&program, setup, Checker::Loom, &budget(1, 0));
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(kinds(&report), all_kinds(), "{:?}", report.faults);
    let sites: BTreeSet<_> = report.faults.keys().map(|(site, _)| *site).collect();
    assert!(sites.len() >= 10, "faults landed at {sites:?}");
    let plain = run(&program, Setup::clean(), Checker::Loom, &budget(1, 0));
    assert!(
        report.schedules > plain.schedules * 10,
        "one search per choice: {} vs {}",
        report.schedules,
        plain.schedules
    );
}

/// shuttle chooses where faults land at random (and records the choice with the schedule):
/// over generated programs every kind lands, and the clean store survives them.
#[test]
fn shuttle_lands_every_fault_kind_on_generated_programs_and_the_clean_store_survives() {
    let setup = Setup::clean().with_faults(2);
    let mut seen = BTreeSet::new();
    for seed in 0..60 {
        let program = generate(seed);
        for checker in [Checker::Random, Checker::Pct] {
            let report = run(&program, setup, checker, &budget(40, 1));
            assert!(
                report.failure.is_none(),
                "program {seed} under {checker}:\n{program}\n{:?}",
                report.failure
            );
            seen.extend(kinds(&report));
        }
        if seen == all_kinds() {
            return;
        }
    }
    panic!(
        "fault kinds never injected: {:?}",
        all_kinds().difference(&seen)
    );
}

/// Without a fault budget nothing fails, and the fault-handling bugs are invisible: they
/// change only how the store reacts to a failure.
#[test]
fn without_faults_nothing_is_injected_and_fault_handling_bugs_are_silent() {
    let program = busy_s3();
    for bug in SeededBug::FAULT_HANDLING {
        let report = run(
            &program,
            Setup::with_bug(bug),
            Checker::Random,
            &budget(200, 1),
        );
        assert!(report.faults.is_empty());
        assert!(report.failure.is_none(), "{bug}: {:?}", report.failure);
    }
}

/// S3: an old snapshot and a GC alone. A failed touch in phase 1 or a failed stat in
/// phase 2 is the whole story.
fn lone_gc() -> Program {
    Program {
        knobs: s3(2),
        history: vec![Past::Snapshot {
            group: 0,
            indexes: vec![vec![A1, C, B], vec![D]],
            age: Age::Old,
        }],
        // The clock step gives shuttle's PCT a second thread to schedule.
        threads: vec![vec![gc()], vec![Op::Clock(Clock(ClockStep::Zero))]],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// S3: old garbage deleted in one batch of two while a backup starts and finishes.
fn batch_delete() -> Program {
    Program {
        knobs: s3(3),
        history: vec![Past::Garbage {
            chunks: vec![D, A2],
            age: Age::Old,
        }],
        threads: vec![vec![gc()], vec![Backup::finished(1, 1, vec![]).into()]],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// S3: a GC against verify of a chunk whose cached copy rotted.
fn verify_against_gc() -> Program {
    Program {
        knobs: s3(1),
        history: vec![
            Past::Snapshot {
                group: 0,
                indexes: vec![vec![A1, D]],
                age: Age::Old,
            },
            Past::Corrupt {
                chunk: D,
                same_size: true,
            },
        ],
        threads: vec![
            vec![gc()],
            vec![Op::Verify(Verify {
                proc: Proc::Current,
                chunk: D,
            })],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

/// `bug` on, faults on: caught with a property it breaks, under loom and under shuttle;
/// the clean store passes the same program with the same faults.
fn assert_caught(bug: SeededBug, program: &Program, expect: &[Property]) {
    assert_caught_by(
        bug,
        program,
        expect,
        &[Checker::Loom, Checker::Random, Checker::Pct],
    );
}

fn assert_caught_by(bug: SeededBug, program: &Program, expect: &[Property], by: &[Checker]) {
    // A program that plans its faults needs a budget for each of them.
    let budget_of_faults = program.faults.len().max(1) as u8;
    let faulty = Setup::with_bug(bug).with_faults(budget_of_faults);
    for &checker in by {
        let budget = match checker {
            Checker::Loom => budget(1, 1),
            _ => budget(2_000, 1),
        };
        let report = run(program, faulty, checker, &budget);
        let failure = report.failure.unwrap_or_else(|| {
            panic!(
                "{checker} missed {bug} after {} schedules:\n{program}",
                report.schedules
            )
        });
        let broke = failure.cause.property();
        assert!(
            broke.is_some_and(|p| expect.contains(&p)),
            "{checker} caught {bug} as {:?}, expected one of {expect:?}:\n{}",
            failure.cause,
            failure.message
        );
        assert!(
            failure.message.contains("FAULT"),
            "the trail shows the fault"
        );
        let clean_setup = Setup::clean().with_faults(budget_of_faults);
        let clean = run(program, clean_setup, checker, &budget);
        assert_eq!(
            clean.failure.map(|f| f.cause),
            None::<Cause>,
            "{checker}: the clean store survives the same faults"
        );
    }
}

#[test]
fn touch_error_as_success_is_caught() {
    assert_caught(
        SeededBug::TouchErrorAsSuccess,
        &lone_gc(),
        &[Property::P2, Property::Harm],
    );
}

#[test]
fn failed_stat_as_absent_is_caught() {
    assert_caught(
        SeededBug::FailedStatAsAbsent,
        &lone_gc(),
        &[Property::P2, Property::Harm],
    );
}

#[test]
fn failed_delete_as_done_is_caught() {
    assert_caught(
        SeededBug::FailedDeleteAsDone,
        &batch_delete(),
        &[Property::Progress],
    );
}

/// Verify must run whole between GC's mark of the chunk and its sweep, and the fault land
/// on verify's marker write: PCT's priority changes find that window, shuttle's random walk
/// (switching threads at every step) did not within 20,000 schedules.
#[test]
fn verify_unmarks_object_is_caught() {
    // The unmarked object is deleted under its index (P2, harm), or, listed by a GC before
    // it lost its mark, left behind as garbage without one (progress).
    assert_caught_by(
        SeededBug::VerifyUnmarksObject,
        &verify_against_gc(),
        &[Property::P2, Property::Harm, Property::Progress],
        &[Checker::Loom, Checker::Pct],
    );
}

/// Filesystem: a backup that publishes one index, and a clock step (a second thread for
/// PCT). A crash at the publication leaves the index as `.tmp_didx`; the restarted process's
/// GC must not read it as visible.
fn crash_before_publication() -> Program {
    Program {
        knobs: Knobs {
            backend: BackendKind::Filesystem,
            ..s3(1)
        },
        history: vec![],
        threads: vec![
            vec![backup_of(0, A1)],
            vec![Op::Clock(Clock(ClockStep::Zero))],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

#[test]
fn gc_reads_temp_index_is_caught() {
    assert_caught(
        SeededBug::GcReadsTempIndex,
        &crash_before_publication(),
        &[Property::Progress],
    );
}

/// A crash stops the process: the executor restarts a fresh one, whose GC completes at the
/// end check and collects what the crashed writer left, and the trail shows the crash.
#[test]
fn a_crash_restarts_the_process_and_its_garbage_is_collected() {
    let program = crash_before_publication();
    let report = run(
        &program,
        Setup::clean().with_faults(1),
        Checker::Loom,
        &budget(1, 1),
    );
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let crashes: u64 = report
        .faults
        .iter()
        .filter(|((_, fault), _)| *fault == Fault::Crash)
        .map(|(_, n)| n)
        .sum();
    assert!(crashes > 0, "{:?}", report.faults);
}

/// S3, a cache of 2: an old snapshot of three chunks, so the first is only a marker by now;
/// a read of it (and a clock step, a second thread for PCT). The object lost at the read's
/// bucket get leaves the marker claiming it.
fn read_of_evicted_chunk() -> Program {
    Program {
        knobs: s3(2),
        history: vec![Past::Snapshot {
            group: 0,
            indexes: vec![vec![A1, B, C]],
            age: Age::Old,
        }],
        threads: vec![
            vec![Op::Read(Read {
                proc: Proc::Current,
                chunk: A1,
            })],
            vec![Op::Clock(Clock(ClockStep::Zero))],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

#[test]
fn gc_trusts_marker_is_caught() {
    assert_caught(
        SeededBug::GcTrustsMarker,
        &read_of_evicted_chunk(),
        &[Property::Recovery],
    );
}

/// [`read_of_evicted_chunk`], then a backup in the same thread that uploads the chunk read:
/// the marker the lost object left must not make the upload skip the put.
fn read_then_upload_of_evicted_chunk() -> Program {
    let mut program = read_of_evicted_chunk();
    program.threads[0].push(backup_of(1, A1));
    program
}

#[test]
fn upload_trusts_marker_is_caught() {
    assert_caught(
        SeededBug::UploadTrustsMarker,
        &read_then_upload_of_evicted_chunk(),
        &[Property::CacheBucket, Property::Harm],
    );
}

/// The backup's storage operations before its cache write: list the group's snapshots,
/// create the snapshot, stat the chunk for re-use (none, so no HEAD and no touch), put the
/// object.
const FAILED_CACHE_WRITE_OP: u16 = 4;

/// S3: a snapshot references a chunk whose local file was lost (its object is in the
/// bucket), and a GC runs against a backup that uploads the same chunk. Two planned faults:
/// the object is lost at GC phase 1's HEAD (so phase 1 reports it missing), and the upload
/// that puts it back fails to write its cache copy (so no local file marks it). Phase 2
/// must not judge that object.
fn lost_then_put_back_without_cache() -> Program {
    Program {
        knobs: s3(2),
        history: vec![old_snapshot_of(A1), Past::LostLocal { chunk: A1 }],
        threads: vec![vec![gc()], vec![backup_of(1, A1)]],
        expect: Vec::new(),
        faults: vec![
            PlannedFault {
                thread: 0,
                op: 0,
                fault: Fault::LostObject,
            },
            PlannedFault {
                thread: 1,
                op: FAILED_CACHE_WRITE_OP,
                fault: Fault::Io(Errno::Enospc),
            },
        ],
    }
}

#[test]
fn sweep_judges_missing_is_caught() {
    let program = lost_then_put_back_without_cache();
    assert_caught(
        SeededBug::SweepJudgesMissing,
        &program,
        &[Property::P2, Property::Harm],
    );
    // The plan chose the faults, so loom ran one search and names no choice of its own.
    let setup = Setup::with_bug(SeededBug::SweepJudgesMissing).with_faults(2);
    let failure =
        (run(&program, setup, Checker::Loom, &budget(1, 1)).failure).expect("caught under loom");
    assert!(
        !failure.message.contains("loom fault choice"),
        "{}",
        failure.message
    );
}
