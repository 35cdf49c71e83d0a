//! Probe.
use harness::check::{run, Budget, Checker};
use harness::world::Setup;
use store::{Bugs, SeededBug};

#[test]
fn probe() {
    let s = scenarios::find("fs-insert-vs-sweep").unwrap();
    let checkers: Vec<Checker> = std::env::var("PROBE_CHECKERS")
        .unwrap_or("shuttle-random,shuttle-pct,loom".into())
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    for bugs in [
        Bugs::none(),
        Bugs::only(SeededBug::SweepStatOutsideMutex),
        Bugs::only(SeededBug::InsertSkipsTouch),
        Bugs::only(SeededBug::CutoffIgnoresOldestWriter),
    ] {
        for &checker in &checkers {
            let f = match checker {
                Checker::Loom => s.loom,
                _ => s.shuttle,
            };
            let setup = Setup { bugs };
            let r = run(checker, &Budget::from_env(s.loom_bound), move || f(setup));
            eprintln!(
                "PROBE {bugs:?} {checker}: {} schedules {:?} {:?}",
                r.schedules,
                r.elapsed,
                r.failure.as_ref().map(|f| f.headline().to_string())
            );
        }
    }
}

#[test]
fn probe_std() {
    let s = scenarios::find("fs-insert-vs-sweep").unwrap();
    let t = std::time::Instant::now();
    (s.std)(Setup::default());
    eprintln!("PROBE std {:?}", t.elapsed());
}
