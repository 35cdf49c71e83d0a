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

/// Every scenario, module by module (each module declares its scenarios next to their
/// stories, so a new story touches only its module).
pub fn all() -> &'static [Scenario] {
    static ALL: OnceLock<Vec<Scenario>> = OnceLock::new();
    ALL.get_or_init(|| {
        [
            fs::SCENARIOS,
            s3::SCENARIOS,
            reload::SCENARIOS,
            incremental::SCENARIOS,
            verify::SCENARIOS,
        ]
        .concat()
    })
}

/// Every seeded bug that shows without faults, with the scenario that exposes it (the
/// fault-handling ones are hunted under fault injection).
pub fn seeded() -> &'static [SeededRace] {
    static SEEDED: OnceLock<Vec<SeededRace>> = OnceLock::new();
    SEEDED.get_or_init(|| {
        [
            fs::SEEDED,
            s3::SEEDED,
            reload::SEEDED,
            incremental::SEEDED,
            verify::SEEDED,
        ]
        .concat()
    })
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    all().iter().find(|s| s.name == name)
}

/// Every scenario and seeded race, for the campaign runner (`chunkcheck`).
pub fn catalogue() -> Catalogue {
    Catalogue {
        scenarios: all(),
        seeded: seeded(),
    }
}
