//! The scenarios: short actor mixes from `docs/design.md`, each a fixed
//! [`harness::program::Program`] in the vocabulary of the generated ones (the same
//! operations, history items and executor), so loom, shuttle and real threads run the same
//! code, and a new operation is usable in a scenario as soon as it is registered.
//!
//! A scenario's history is written from the main thread (backup sessions it begins there
//! are continued by their threads); then its threads run and are joined, and the generic
//! end check runs. The oracle checks every event; a scenario adds only the expectations
//! specific to its story ([`harness::program::Expect`]).

/// A catalogue entry: the story `function` (a fixed program, in scope) run on each platform.
macro_rules! scenario {
    ($f:ident, $name:literal, $bound:literal, $summary:literal) => {
        Scenario {
            name: $name,
            summary: $summary,
            program: $f,
            loom_bound: $bound,
            loom: |setup| harness::program::execute_fixed::<harness::platform::Loom>(&$f(), setup),
            shuttle: |setup| {
                harness::program::execute_fixed::<harness::platform::Shuttle>(&$f(), setup)
            },
            std: |setup| harness::program::execute_fixed::<store::Std>(&$f(), setup),
        }
    };
}

mod build;
pub mod fs;
pub mod incremental;
pub mod reload;
pub mod s3;
pub mod seeded;
pub mod verify;

pub use harness::catalogue::{Catalogue, Scenario, SeededRace};
use std::sync::OnceLock;

/// Each module's scenarios and the seeded races they expose, in report order (each module
/// declares both next to its stories, so a new story touches only its module).
const MODULES: [(&[Scenario], &[SeededRace]); 5] = [
    (fs::SCENARIOS, fs::SEEDED),
    (s3::SCENARIOS, s3::SEEDED),
    (reload::SCENARIOS, reload::SEEDED),
    (incremental::SCENARIOS, incremental::SEEDED),
    (verify::SCENARIOS, verify::SEEDED),
];

/// Every scenario, module by module.
pub fn all() -> &'static [Scenario] {
    static ALL: OnceLock<Vec<Scenario>> = OnceLock::new();
    ALL.get_or_init(|| {
        MODULES
            .iter()
            .flat_map(|(s, _)| s.iter().copied())
            .collect()
    })
}

/// Every seeded bug that shows without faults, with the scenario that exposes it (the
/// fault-handling ones are hunted under fault injection).
pub fn seeded() -> &'static [SeededRace] {
    static SEEDED: OnceLock<Vec<SeededRace>> = OnceLock::new();
    SEEDED.get_or_init(|| {
        MODULES
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .collect()
    })
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    catalogue().find(name)
}

/// Every scenario and seeded race, for the campaign runner (`chunkcheck`).
pub fn catalogue() -> Catalogue {
    Catalogue {
        scenarios: all(),
        seeded: seeded(),
    }
}
