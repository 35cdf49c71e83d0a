//! A tiny declared scope, run exhaustively: every program of it under loom's whole search at
//! preemption bound 2. The clean store passes every one (a proof within the scope and
//! bound), and a seeded bug inside the scope is caught, so the proof is one that can fail.

use harness::check::{Budget, Cause, Checker, RunOptions, DEFAULT_MAX_BRANCHES};
use harness::program::enumerate::{counts, programs};
use harness::program::{check_program, Scope};
use harness::world::Setup;
use store::SeededBug;

/// Two threads of one operation (a backup session or a GC) over one chunk on S3: 112
/// programs (196 before symmetry).
const TINY: &str = "threads=2,ops=1,kinds=backup+gc,chunks=1,reload=no,backends=s3,\
                    history=snapshot+garbage+object";

fn loom(bound: usize) -> Budget {
    Budget {
        preemption_bound: bound,
        max_branches: DEFAULT_MAX_BRANCHES,
        schedules: 1,
        pct_depth: 3,
        seed: 0,
    }
}

/// The first program of `scope` that fails under `setup`, with its cause.
fn first_failure(scope: &Scope, setup: Setup) -> Option<(usize, Cause)> {
    programs(scope, |_| true)
        .into_iter()
        .find_map(|(at, program)| {
            let report = check_program(
                &program,
                setup,
                Checker::Loom,
                &loom(2),
                &RunOptions::default(),
            );
            report.report.failure.map(|f| (at, f.cause))
        })
}

#[test]
fn the_clean_store_passes_every_program_of_a_tiny_scope() {
    let scope: Scope = TINY.parse().unwrap();
    let counts = counts(&scope);
    assert_eq!((counts.reduced, counts.raw), (112, 196));
    assert_eq!(first_failure(&scope, Setup::default()), None);
}

#[test]
fn a_seeded_bug_inside_the_tiny_scope_is_caught() {
    let scope: Scope = TINY.parse().unwrap();
    let (at, cause) = first_failure(&scope, Setup::with_bug(SeededBug::LruHitSkipsTouch))
        .expect("some program of the scope breaks the store with the bug on");
    assert!(cause.property().is_some(), "program {at}: {cause}");
}
