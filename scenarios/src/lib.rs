//! The scenarios: short actor mixes from the design, each a plain function generic over the
//! platform, so loom, shuttle and real threads run the same code.
//!
//! Each scenario builds a [`harness::world::World`] (model storage, logical clock, oracle),
//! writes some history from the main thread, then spawns role-named threads (`writer-1`,
//! `gc`, `reload`, ...) and joins them. The oracle checks every event; a scenario adds only
//! the assertions specific to its story.

pub mod fs;

use harness::world::Setup;
use store::Platform;

/// A scenario: its name, its story and its entry points per platform.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Short name (`fs-insert-vs-sweep`).
    pub name: &'static str,
    /// One line: who races whom.
    pub summary: &'static str,
    /// Threads it spawns, main thread excluded (loom allows 4).
    pub threads: usize,
    /// The loom preemption bound it is exhaustive within.
    pub loom_bound: usize,
    /// Run under loom.
    pub loom: fn(Setup),
    /// Run under shuttle.
    pub shuttle: fn(Setup),
    /// Run on real threads.
    pub std: fn(Setup),
}

macro_rules! scenario {
    ($module:ident :: $f:ident, $name:literal, $threads:literal, $bound:literal, $summary:literal) => {
        Scenario {
            name: $name,
            summary: $summary,
            threads: $threads,
            loom_bound: $bound,
            loom: $module::$f::<harness::platform::Loom>,
            shuttle: $module::$f::<harness::platform::Shuttle>,
            std: $module::$f::<store::Std>,
        }
    };
}

/// Every scenario.
pub const ALL: &[Scenario] = &[scenario!(
    fs::insert_vs_sweep,
    "fs-insert-vs-sweep",
    2,
    2,
    "filesystem: writer inserts new and existing chunks vs GC phase 2"
)];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// Marker so generic scenario functions read `P: Platform` plainly.
pub trait Any: Platform {}
impl<P: Platform> Any for P {}
