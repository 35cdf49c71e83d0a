//! Generated programs: the generator is deterministic and reaches every operation and knob,
//! and the clean store passes a fixed-seed budget under shuttle.

use harness::check::{Budget, Checker, RunOptions, DEFAULT_MAX_BRANCHES, DEFAULT_PCT_DEPTH};
use harness::program::{check_program, generate, OpKind, Program};
use harness::world::Setup;

fn budget(schedules: usize, seed: u64) -> Budget {
    Budget {
        preemption_bound: 2,
        max_branches: DEFAULT_MAX_BRANCHES,
        schedules,
        pct_depth: DEFAULT_PCT_DEPTH,
        seed,
    }
}

#[test]
fn explore_clean() {
    let count: u64 = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(50);
    let mut failed = 0;
    for seed in 0..count {
        let program: Program = generate(seed);
        for checker in [Checker::Random, Checker::Pct] {
            let report = check_program(
                &program,
                Setup::clean(),
                checker,
                &budget(100, seed),
                &RunOptions::default(),
            );
            if let Some(f) = report.report.failure {
                failed += 1;
                println!("=== seed {seed} {checker}: {:?}\n{program}\n{}\n", f.cause, f.message);
                break;
            }
        }
    }
    let _ = OpKind::ALL;
    assert_eq!(failed, 0);
}

#[test]
fn explore_seeded() {
    let count: u64 = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(50);
    for bug in store::SeededBug::ALL {
        let mut found = None;
        for seed in 0..count {
            let program: Program = generate(seed);
            for checker in [Checker::Random, Checker::Pct] {
                let report = check_program(&program, Setup::with_bug(bug), checker, &budget(100, seed), &RunOptions::default());
                if let Some(f) = report.report.failure {
                    found = Some((seed, checker, f.cause, report.report.schedules));
                    break;
                }
            }
            if found.is_some() { break; }
        }
        println!("{bug}: {found:?}");
    }
}
