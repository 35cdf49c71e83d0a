//! The scenarios: short actor mixes from `docs/design.md`, each a fixed
//! [`harness::program::Program`] in the vocabulary of the generated ones (the same
//! operations, history items and executor), so loom, shuttle and real threads run the same
//! code, and a new operation is usable in a scenario as soon as it is registered.
//!
//! A scenario's history is written from the main thread (backup sessions it begins there
//! are continued by their threads); then its threads run and are joined, and the generic
//! end check runs. The oracle checks every event; a scenario adds only the expectations
//! specific to its story ([`harness::program::Expect`]).

mod build;
pub mod fs;
pub mod incremental;
pub mod reload;
pub mod s3;
pub mod seeded;
pub mod verify;

pub use harness::catalogue::{Catalogue, Scenario};
use harness::program::execute_fixed;

macro_rules! scenario {
    ($module:ident :: $f:ident, $name:literal, $bound:literal, $summary:literal) => {
        Scenario {
            name: $name,
            summary: $summary,
            program: $module::$f,
            loom_bound: $bound,
            loom: |setup| execute_fixed::<harness::platform::Loom>(&$module::$f(), setup),
            shuttle: |setup| execute_fixed::<harness::platform::Shuttle>(&$module::$f(), setup),
            std: |setup| execute_fixed::<store::Std>(&$module::$f(), setup),
        }
    };
}

/// Every scenario, in the order of the races of `docs/design.md` §3, then the later ones.
pub const ALL: &[Scenario] = &[
    scenario!(
        fs::insert_vs_sweep,
        "fs-insert-vs-sweep",
        4,
        "filesystem: writer inserts new and existing chunks vs GC phase 2"
    ),
    scenario!(
        s3::upload_vs_sweep,
        "s3-upload-vs-sweep",
        3,
        "S3: upload (LRU hit, touch, upload + cache insert) vs GC phases 2-3"
    ),
    scenario!(
        reload::reload_during_backup,
        "reload-during-backup",
        3,
        "reload: old-process writer, new-process writer, GC in the new process"
    ),
    scenario!(
        s3::eviction_vs_remove,
        "eviction-vs-remove",
        4,
        "S3: cache insert with eviction vs GC remove (lock order, deadlock)"
    ),
    scenario!(
        incremental::incremental_vs_prune,
        "incremental-vs-prune",
        3,
        "incremental backup with known chunks vs prune vs GC"
    ),
    scenario!(
        fs::pull_reuse_vs_sweep,
        "pull-reuse-vs-sweep",
        4,
        "pull-style touch-and-reuse vs sweep"
    ),
    scenario!(
        verify::verify_vs_upload,
        "verify-vs-upload",
        4,
        "verify renaming a corrupt chunk vs upload of a good copy"
    ),
    scenario!(
        reload::gc_during_reload,
        "gc-during-reload",
        3,
        "reload while the old process's GC runs: old GC aborts, new GC waits for old writers"
    ),
    // Bound 14 is no bound: a higher one explores nothing more (1,800 schedules with the
    // single mutex, 11,628 with 16 shards; under a second in the test profile).
    scenario!(
        s3::eviction_vs_access,
        "eviction-vs-access",
        14,
        "S3: cache insert evicting a chunk (marker deferred to its shard) vs a read of it"
    ),
    scenario!(
        s3::rotten_cache_vs_read,
        "rotten-cache-vs-read",
        4,
        "S3: a restore read through the cache vs verify, after bit rot of the cached copy"
    ),
    scenario!(
        reload::eviction_vs_touch_across_reload,
        "eviction-vs-touch-across-reload",
        3,
        "S3 reload: old-process cache eviction vs a new-process writer touching the chunk"
    ),
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// Every scenario and seeded race, for the campaign runner (`chunkcheck`).
pub const CATALOGUE: Catalogue = Catalogue {
    scenarios: ALL,
    seeded: seeded::SEEDED,
};
