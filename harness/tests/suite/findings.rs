//! Regression tests for what the harness found and the store fixed without keeping the old
//! behaviour as a seeded bug (README, "What the harness found"): each is a small program the
//! clean store passes under loom, exhaustively within its bound, and each failed before its
//! fix (checked by reverting the fix).

use super::faults::{budget, gc, run, s3, A1, B, C};
use harness::check::{Checker, Report};
use harness::program::ops::{Backup, Read, Reload, Verify};
use harness::program::{Age, Chunk, Granularity, Op, Past, Proc, Program, Step};
use harness::world::Setup;
use store::LockGranularity;

/// The clean store passes `program` under loom at `bound` (with `faults`).
fn passes(program: &Program, bound: usize, faults: u8) -> Report {
    let setup = Setup::clean().with_faults(faults);
    let report = run(program, setup, Checker::Loom, &budget(1, bound));
    if let Some(failure) = &report.failure {
        panic!("{}\n{program}\n{}", failure.cause, failure.message);
    }
    assert!(report.schedules > 1, "loom explored: {report:?}");
    report
}

fn backup(group: u8, time: i64, steps: Vec<Step>) -> Op {
    Backup::finished(group, time, steps).into()
}

/// A failed S3 re-use (the chunk has no local file) reported the chunk used before finding
/// it absent: a GC deleting the unmarked object before the upload that follows looked like
/// harm to an active writer. The use is reported only once the touch found the chunk.
#[test]
fn a_failed_reuse_is_not_a_use() {
    let program = Program {
        knobs: s3(1),
        history: vec![Past::Object {
            chunk: C,
            marker: None,
        }],
        threads: vec![
            vec![gc()],
            vec![backup(
                0,
                1,
                vec![
                    Step::Reuse(C),
                    Step::Create(0),
                    Step::Append(0, C),
                    Step::Close(0),
                ],
            )],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    passes(&program, 2, 0);
}

/// Verify on S3 with the sharded mutex emptied a rotten cached copy before dropping its LRU
/// entry: a read of a chunk in another shard, taking the LRU mutex in between, found an
/// entry without content. Verify now drops the entry first.
#[test]
fn verify_drops_the_lru_entry_before_emptying_the_copy() {
    let sharded = LockGranularity::sharded();
    let (x, y) = (A1, B);
    assert_ne!(
        sharded.shard_of(&x.digest()),
        sharded.shard_of(&y.digest()),
        "the two chunks live in different shards"
    );
    let program = Program {
        knobs: harness::program::Knobs {
            granularity: Granularity::Sharded,
            ..s3(1)
        },
        history: vec![
            Past::Garbage {
                chunks: vec![x, y],
                age: Age::Fresh,
            },
            Past::Corrupt {
                chunk: x,
                same_size: true,
            },
        ],
        threads: vec![
            vec![Op::Verify(Verify {
                proc: Proc::Current,
                chunk: x,
            })],
            vec![Op::Read(Read {
                proc: Proc::Current,
                chunk: y,
            })],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    passes(&program, 2, 0);
}

/// A failed upload (here: the touch of a chunk already present fails) kept counting as the
/// writer's use of the chunk, so an index listing it, known from the previous snapshot and
/// never re-stamped, looked unprotected (P3). The store reports the failure
/// (`ChunkUploadFailed`) under the lock that protected the upload.
#[test]
fn a_failed_upload_is_not_a_use() {
    let known = Chunk(3);
    let program = Program {
        knobs: harness::program::Knobs {
            backend: harness::program::BackendKind::Filesystem,
            ..s3(1)
        },
        history: vec![Past::Snapshot {
            group: 0,
            indexes: vec![vec![known]],
            age: Age::Old,
        }],
        threads: vec![
            vec![backup(
                0,
                2,
                vec![
                    Step::Upload(known),
                    Step::Create(0),
                    Step::Append(0, known),
                    Step::Close(0),
                ],
            )],
            vec![Op::Clock(harness::program::ops::Clock(
                harness::program::ClockStep::Zero,
            ))],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    passes(&program, 1, 1);
}

/// The executor hands the new process after a reload to other threads: through a std mutex
/// loom could not see the hand-over and reported the other thread's first read of the new
/// process's atomics as a causality violation. It goes through a platform mutex now.
#[test]
fn the_new_process_is_handed_over_through_a_platform_mutex() {
    let program = Program {
        knobs: s3(1),
        history: vec![Past::Garbage {
            chunks: vec![C],
            age: Age::Fresh,
        }],
        threads: vec![
            vec![Op::Reload(Reload)],
            vec![
                backup(
                    0,
                    1,
                    vec![
                        Step::Upload(C),
                        Step::Create(0),
                        Step::Append(0, C),
                        Step::Close(0),
                    ],
                ),
                gc(),
            ],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    passes(&program, 2, 0);
}

/// The cache reported an LRU insert only after the eviction it triggered, and an eviction
/// can fail (here: an injected fault on the evicted chunk's file): the LRU then listed a
/// chunk nobody had reported. The insert is reported at the push.
#[test]
fn an_lru_insert_is_reported_when_its_eviction_fails() {
    let program = Program {
        knobs: harness::program::Knobs {
            cache_capacity: 1,
            ..s3(1)
        },
        history: vec![Past::Garbage {
            chunks: vec![C],
            age: Age::Fresh,
        }],
        threads: vec![
            vec![backup(0, 1, vec![Step::Upload(B)])],
            vec![Op::Read(Read {
                proc: Proc::Current,
                chunk: C,
            })],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    passes(&program, 1, 1);
}
