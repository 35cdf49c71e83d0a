//! Model-based test of the chunk store with `proptest-state-machine`, on the std platform.
//!
//! A reference model predicts, step by step, what the store does for random sequences over
//! the program vocabulary: every registered operation ([`harness::program::ops`]: backup
//! sessions run whole, GC, reload, read, verify, prune, clock steps, and whatever is
//! registered next) drawn through the registry and run by the program executor, between
//! the machine's own step-by-step backup sessions (start, upload, pull-style re-use,
//! publish an index, finish, abort), over small alphabets (the program pool's 6 chunks, 3
//! backup groups) so that collisions happen: the same chunk uploaded by several sessions,
//! re-used after it went old, referenced by a pruned and a live snapshot, evicted from a
//! 2-chunk S3 cache. A backup-like operation is predicted as the backup session it stands
//! for (`Operation::as_backup`); an operation the model has no rule for fails the test.
//!
//! The model keeps which snapshots exist with which indexes, the active sessions (process,
//! start time, previous snapshot, session chunks), each chunk's atime as the store stamps it
//! (and, for S3, whether its local file has content, and each process's LRU), and the clock.
//! Refusals are modelled rather than avoided: a second backup of a busy group (`Locked`), a
//! backup in a process a reload told to stop (`ShuttingDown`), a backup time not newer than
//! the group's last, GC while a writer of another process is active (`Locked`), prune of a
//! snapshot a session writes or re-uses (`Locked`), an append of a chunk the session does
//! not know, reading a chunk that is gone (`MissingChunk`).
//!
//! After every step the test checks:
//! 1. the index files are exactly the model's, and every chunk a snapshot references exists
//!    (filesystem: the chunk file with its content; S3: the bucket object with its content);
//! 2. every chunk an active session uploaded, re-used or registered exists, and the session's
//!    known chunks are the model's;
//! 3. the model is exact: every chunk is present or gone as predicted, with the predicted
//!    atime (and, on S3, local content or marker, bucket object, LRU membership per process);
//!    a GC returns exactly the predicted [`GcStatus`] (cutoff `min_atime`, marked, removed,
//!    pending and in-use counts and bytes). Since the model removes exactly the chunks that
//!    are unreferenced, unused by any session and older than the cutoff, this checks both
//!    safety (referenced chunks stay) and progress (garbage goes).
//!
//! The harness's [`Oracle`] is the datastore's observer, so P1–P4, harm, LRU content,
//! cache/bucket, lock order, single GC and progress are also checked at every store event.
//!
//! Tests:
//! - `filesystem_store_follows_model`, `s3_store_follows_model`: the machine, one per backend
//!   (`prop_state_machine!`, sequential);
//! - `clean_machine_reaches_the_interesting_states`: the same budget reaches every refusal,
//!   removals while sessions run, evictions, ... (the main tests are not vacuous);
//! - `seeded_*`: the same machine with a seeded bug switched on, through a manual
//!   [`TestRunner`]: it must fail with a safety violation, and shrinking must find a short
//!   sequence;
//! - `read_after_reload_with_stale_lru_entry`: the replay of a finding about per-process
//!   LRUs over one cache directory.

mod alphabet;
mod coverage;
mod model;
mod sut;
mod transitions;

use coverage::{Tally, TALLY};
use harness::execution::ExecutionLog;
use harness::oracle::Property;
use harness::program::ops::{Clock, Gc, Read, Reload};
use harness::program::{Chunk, ClockStep, Op, OpKind, Proc};
use model::ModelState;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestError, TestRng, TestRunner};
use proptest_state_machine::strategy::Sequential;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use std::collections::BTreeSet;
use store::{Backend, Bugs, SeededBug};
use sut::StoreTest;
use transitions::{Flavor, Fs, Model, Transition, S3};

// Budget: 1,024 cases of 1..40 transitions (about 20 on average) per backend. Every step runs
// in memory (model storage, logical clock) and costs microseconds, so each test takes well
// under a second in the test profile (opt-level 3) and the whole target a few seconds
// including compilation-free reruns; `clean_machine_reaches_the_interesting_states` shows
// what this budget covers (hundreds of GCs, dozens of removals while sessions run, every
// kind of refusal). The count is explicit, so PROPTEST_CASES does not change it. Failures
// are persisted next to this file (`mod.proptest-regressions`) and replayed first.
const CASES: u32 = 1024;

fn main_config() -> Config {
    Config {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(main_config())]

    /// Filesystem backend: the store follows the model and the oracle stays quiet.
    #[test]
    fn filesystem_store_follows_model(sequential 1..40 => StoreTest<Fs>);

    /// S3 backend with a 2-chunk cache: the store follows the model and the oracle stays quiet.
    #[test]
    fn s3_store_follows_model(sequential 1..40 => StoreTest<S3>);
}

/// Runs the clean machine's cases (same count and sequence lengths as the main tests, from
/// proptest's fixed deterministic seed) and returns what they reached.
fn clean_run_tally<F: Flavor>() -> Tally {
    TALLY.with(|t| t.take());
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(config.rng_algorithm),
    );
    runner
        .run(
            &Model::<F>::sequential_strategy(1..40),
            |(state, transitions, seen)| {
                StoreTest::<F>::test_sequential(config.clone(), state, transitions, seen);
                Ok(())
            },
        )
        .expect("the clean store follows the model");
    TALLY.with(|t| t.take())
}

/// The main tests are not vacuous: their sequences reach every kind of refusal, GCs that
/// remove chunks while sessions run and while the cutoff is bounded by an old session,
/// re-use hits, evictions to markers and reads of missing chunks (S3).
#[test]
fn clean_machine_reaches_the_interesting_states() {
    for (backend, t) in [
        (Backend::Filesystem, clean_run_tally::<Fs>()),
        (Backend::S3, clean_run_tally::<S3>()),
    ] {
        println!("{backend:?}: {t:#?}");
        let reached = [
            ("GC", t.gcs),
            ("GC while a session runs", t.gcs_with_session),
            (
                "GC cutoff bounded by an old session",
                t.gcs_bounded_by_writer,
            ),
            ("chunk removed", t.chunks_removed),
            ("start refused: group busy", t.start_refused_busy_group),
            ("refused: shutting down", t.refused_shutting_down),
            (
                "GC refused: session of another process",
                t.gc_refused_other_process,
            ),
            ("prune refused: snapshot in use", t.prune_refused_locked),
            ("snapshot pruned", t.pruned),
            ("re-use of a present chunk", t.reuse_hits),
            (
                "remove while a session runs",
                t.oracle_removes_with_active_writer,
            ),
            (
                "remove while an index is visible",
                t.oracle_removes_with_visible_index,
            ),
        ];
        let s3_only = [
            ("chunk evicted to a marker", t.marker_states),
            ("read of a missing chunk", t.reads_missing),
            ("bucket object deleted", t.oracle_objects_deleted),
        ];
        let s3 = backend == Backend::S3;
        let kinds: BTreeSet<OpKind> = OpKind::ALL.iter().copied().collect();
        assert_eq!(t.kinds, kinds, "{backend:?}: registered operations drawn");
        for (what, count) in reached
            .into_iter()
            .chain(s3_only.into_iter().filter(|_| s3))
        {
            assert!(count > 0, "{backend:?}: never reached: {what}");
        }
    }
}

/// How a replayed sequence failed, as data: the property the oracle found broken (from the
/// execution log), whether the machine's own check found a chunk gone, and the message.
struct CaseFailure {
    property: Option<Property>,
    data_lost: bool,
    message: String,
}

impl CaseFailure {
    /// Whether it reports lost or endangered data (not a model disagreement).
    fn is_safety_violation(&self) -> bool {
        self.data_lost
            || matches!(
                self.property,
                Some(
                    Property::P2 | Property::P3 | Property::P4 | Property::Harm | Property::Cutoff
                )
            )
    }

    fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }
}

/// Replays `transitions` from `state` once (no shrinking); how it failed, if it did.
fn replay(state: &ModelState, transitions: &[Transition]) -> Option<CaseFailure> {
    let log = ExecutionLog::new();
    let _installed = log.install();
    log.begin_execution();
    sut::data_lost();
    let config = Config {
        cases: 1,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let case = Just((state.clone(), transitions.to_vec()));
    // The store under test takes its backend, bugs and read policy from the model state;
    // the flavor parameter only names the machine type.
    match runner.run(&case, |(state, transitions)| {
        StoreTest::<Fs>::test_sequential(config.clone(), state, transitions, None);
        Ok(())
    }) {
        Err(TestError::Fail(reason, _)) => Some(CaseFailure {
            property: log.violation(),
            data_lost: sut::data_lost(),
            message: reason.message().to_string(),
        }),
        _ => None,
    }
}

fn print_sequence(title: &str, transitions: &[Transition]) {
    println!("{title} ({} transitions):", transitions.len());
    for (i, t) in transitions.iter().enumerate() {
        println!("  {:2}. {t:?}", i + 1);
    }
}

/// Runs the machine with `bug` seeded on `backend` until it fails (up to 2,000 cases from
/// proptest's fixed deterministic seed) and lets proptest shrink the failure; checks that
/// the shrunk sequence has at most `max_shrunk` transitions and breaks a safety property.
///
/// proptest-state-machine 0.9 deletes transitions in one pass from the back, before it
/// shrinks the transitions themselves, so a transition that was needed early in that pass
/// (say a read that kept a chunk cached while later-deleted uploads would have evicted it)
/// stays. A second greedy deletion pass over the shrunk sequence removes those; the result
/// must have at most `max_minimal` transitions and still break a safety property.
fn assert_seeded_bug_caught(
    backend: Backend,
    bug: SeededBug,
    max_shrunk: usize,
    max_minimal: usize,
) {
    let initial = ModelState::new(backend, Bugs::only(bug));
    let init = initial.clone();
    let strategy = Sequential::new(
        (1..40usize).into(),
        move || Just(init.clone()).boxed(),
        Model::<Fs>::preconditions,
        Model::<Fs>::transitions,
        Model::<Fs>::apply,
    );
    let config = Config {
        cases: 2_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(config.rng_algorithm),
    );
    let result = runner.run(&strategy, |(state, transitions, seen)| {
        StoreTest::<Fs>::test_sequential(config.clone(), state, transitions, seen);
        Ok(())
    });
    let (reason, shrunk) = match result {
        Err(TestError::Fail(reason, (_, transitions, _))) => (reason, transitions),
        Err(other) => panic!("seeded bug {bug}: the runner stopped without a failure: {other}"),
        Ok(()) => panic!("seeded bug {bug} ({backend:?}) was not caught in 2,000 cases"),
    };
    println!("seeded bug {bug} ({backend:?}):");
    print_sequence("shrunk by proptest", &shrunk);
    // Replayed once more to read how it failed as data, not from proptest's message.
    let failure = replay(&initial, &shrunk).unwrap_or_else(|| {
        panic!(
            "seeded bug {bug}: the shrunk sequence passes on replay; proptest said: {}",
            reason.message()
        )
    });
    println!("  failure: {}", failure.headline());
    assert!(
        failure.is_safety_violation(),
        "seeded bug {bug}: the failure is not a safety violation: {}",
        failure.message
    );
    assert!(
        shrunk.len() <= max_shrunk,
        "seeded bug {bug}: proptest shrank to {} transitions (> {max_shrunk}): {shrunk:?}",
        shrunk.len()
    );

    let mut minimal = shrunk;
    let mut failure = failure;
    loop {
        let before = minimal.len();
        let mut i = 0;
        while i < minimal.len() {
            let mut candidate = minimal.clone();
            candidate.remove(i);
            match replay(&initial, &candidate) {
                Some(f) if f.is_safety_violation() => {
                    minimal = candidate;
                    failure = f;
                }
                _ => i += 1,
            }
        }
        if minimal.len() == before {
            break;
        }
    }
    print_sequence("after a second deletion pass", &minimal);
    println!("  failure: {}", failure.headline());
    assert!(
        minimal.len() <= max_minimal,
        "seeded bug {bug}: minimal sequence has {} transitions (> {max_minimal}): {minimal:?}",
        minimal.len()
    );
}

/// GC's cutoff ignores the oldest writer: a session older than the grace period loses the
/// chunk it uploaded first (start, upload, clock jump, GC: four steps).
#[test]
fn seeded_cutoff_ignores_oldest_writer_is_caught_and_shrunk() {
    assert_seeded_bug_caught(
        Backend::Filesystem,
        SeededBug::CutoffIgnoresOldestWriter,
        6,
        4,
    );
}

/// Inserting an existing chunk skips the touch: a session re-uploads an old unreferenced
/// chunk, which keeps its old atime and is swept while the session uses it (start, upload,
/// finish, clock jump, start, upload, GC: seven steps).
#[test]
fn seeded_insert_skips_touch_is_caught_and_shrunk() {
    assert_seeded_bug_caught(Backend::Filesystem, SeededBug::InsertSkipsTouch, 10, 7);
}

/// S3: an upload or re-use that hits the LRU skips the touch; same story, seven steps.
#[test]
fn seeded_lru_hit_skips_touch_is_caught_and_shrunk() {
    assert_seeded_bug_caught(Backend::S3, SeededBug::LruHitSkipsTouch, 10, 7);
}

/// A finding of this test (no seeded bug): after a reload, a read in the new process caches
/// a chunk that the old process's LRU also lists; the old process's session then uploads two
/// chunks, its LRU evicts that chunk and turns the shared local file into a marker, while the
/// new process's LRU still lists it. "An LRU entry implies full local content" therefore
/// holds per process only: the store's read path refetches on an empty hit, and the oracle
/// drops the other processes' stale entries when one process evicts or removes a chunk.
/// This replay must pass without a violation.
#[test]
fn read_after_reload_with_stale_lru_entry() {
    let initial = ModelState::new(Backend::S3, Bugs::none());
    let transitions = [
        Transition::StartBackup {
            group: 1,
            old_process: false,
        },
        Transition::Op(Op::Reload(Reload)),
        Transition::Upload { slot: 1, chunk: 5 },
        Transition::Op(Op::Read(Read {
            proc: Proc::Current,
            chunk: Chunk(5),
        })),
        Transition::Upload { slot: 1, chunk: 2 },
        Transition::Upload { slot: 1, chunk: 3 },
    ];
    if let Some(failure) = replay(&initial, &transitions) {
        panic!("{}", failure.message);
    }
}

/// The other cases this machine once failed on and persisted (before it drew the registered
/// operations, so their recorded seeds no longer replay them), as explicit sequences that
/// must pass: a GC past the grace period after a reload and an emptied session; reads of
/// the empty chunk (whose marker is its content) after an upload, before and after a
/// reload with an old-process session.
#[test]
fn persisted_cases_replay_clean() {
    let start = |group| Transition::StartBackup {
        group,
        old_process: false,
    };
    let read = |chunk| {
        Transition::Op(Op::Read(Read {
            proc: Proc::Current,
            chunk: Chunk(chunk),
        }))
    };
    let clock = |step| Transition::Op(Op::Clock(Clock(step)));
    let cases = [
        vec![
            start(0),
            Transition::Upload { slot: 0, chunk: 0 },
            Transition::Finish { slot: 0 },
            Transition::Op(Op::Reload(Reload)),
            start(0),
            Transition::Finish { slot: 0 },
            clock(ClockStep::PastGrace),
            Transition::Op(Op::Gc(Gc {
                proc: Proc::Current,
            })),
        ],
        vec![
            start(2),
            Transition::Upload { slot: 2, chunk: 0 },
            clock(ClockStep::One),
            read(0),
        ],
        vec![
            start(2),
            Transition::Upload { slot: 2, chunk: 0 },
            start(1),
            Transition::Op(Op::Reload(Reload)),
            read(0),
            Transition::Reuse { slot: 1, chunk: 1 },
            clock(ClockStep::One),
            Transition::Upload { slot: 1, chunk: 2 },
            read(0),
        ],
    ];
    for transitions in cases {
        let initial = ModelState::new(Backend::S3, Bugs::none());
        if let Some(failure) = replay(&initial, &transitions) {
            panic!("{}", failure.message);
        }
    }
}
