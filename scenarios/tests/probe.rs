//! Probe.
use harness::check::{run, Budget, Checker};
use harness::world::Setup;
use store::{Bugs, SeededBug};

#[test]
fn probe() {
    let checkers: Vec<Checker> = std::env::var("PROBE_CHECKERS")
        .unwrap_or("shuttle-random,shuttle-pct,loom".into())
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    for s in scenarios::ALL
        .iter()
        .filter(|s| std::env::var("PROBE_SCENARIO").map_or(true, |n| n == s.name))
    {
        let mut sets = vec![Bugs::none()];
        sets.extend(SeededBug::ALL.iter().map(|b| Bugs::only(*b)));
        for bugs in sets {
            for &checker in &checkers {
                let f = match checker {
                    Checker::Loom => s.loom,
                    _ => s.shuttle,
                };
                let setup = Setup { bugs };
                let r = run(checker, &Budget::from_env(s.loom_bound), move || f(setup));
                eprintln!(
                    "PROBE {} {bugs:?} {checker}: {} schedules {:?} {:?}",
                    s.name,
                    r.schedules,
                    r.elapsed,
                    r.failure
                        .as_ref()
                        .map(|f| f.headline().chars().take(150).collect::<String>())
                );
            }
        }
    }
}
