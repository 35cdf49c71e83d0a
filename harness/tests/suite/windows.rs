//! Conflict windows over a whole execution: the clock moves the executor makes outside the
//! program's clock steps (the history's ages, the move to now after it) reach them too.

use super::faults::{budget, run, A1};
use harness::check::Checker;
use harness::oracle::conflicts::Act;
use harness::program::ops::{Backup, Gc};
use harness::program::{Age, BackendKind, Granularity, Knobs, Op, Past, Proc, Program, Step};
use harness::world::Setup;

/// The filesystem, an old snapshot of A1, and no clock step in any thread: a backup that
/// uploads A1 again and a GC. The history writes A1 (the execution's main thread), the
/// clock moves to now, the backup stats or touches A1, and the end check's GC touches it on
/// the main thread again (its mark): `write|later touch|touch`, `later` only because the
/// history's move of the clock reached the windows.
#[test]
fn the_history_s_clock_moves_reach_the_conflict_windows() {
    let backup = Backup::finished(
        1,
        1,
        vec![
            Step::Upload(A1),
            Step::Create(0),
            Step::Append(0, A1),
            Step::Close(0),
        ],
    );
    let program = Program {
        knobs: Knobs {
            backend: BackendKind::Filesystem,
            cache_capacity: 2,
            delete_batch: 1,
            granularity: Granularity::Single,
            grace: 100,
            margin: 5,
        },
        history: vec![Past::Snapshot {
            group: 0,
            indexes: vec![vec![A1]],
            age: Age::Old,
        }],
        threads: vec![
            vec![backup.into()],
            vec![Op::Gc(Gc {
                proc: Proc::Current,
            })],
        ],
        expect: Vec::new(),
        faults: Vec::new(),
    };
    let report = run(&program, Setup::clean(), Checker::Random, &budget(50, 1));
    assert!(report.failure.is_none(), "{:?}", report.failure);
    let conflicts = &report.coverage.conflicts;
    assert!(
        conflicts.keys().any(|c| c.later && c.first == Act::Write),
        "{:?}",
        conflicts
            .keys()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
}
