//! The seeded races: which scenario exposes each seeded bug, and what the oracle (or the
//! checker) must report when it does.

use crate::Scenario;
pub use harness::catalogue::SeededRace;
use harness::oracle::Property;
use store::SeededBug;

/// A used chunk left unprotected (P3): an upload that skipped the touch leaves the chunk
/// older than its writer, which the oracle sees at the publication (or at the remove, when
/// a sweep comes first).
const LEFT_UNTOUCHED: &[Property] = &[Property::P3];

/// Every seeded bug with the scenario that exposes it.
pub const SEEDED: &[SeededRace] = &[
    // Caught at the faulty step: the sweep's stat outside the chunk store mutex.
    SeededRace {
        bug: SeededBug::SweepStatOutsideMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: &[Property::P1],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::InsertSkipsTouch,
        scenario: "fs-insert-vs-sweep",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
    // Caught at the faulty step: the re-use's touch outside the chunk store mutex.
    SeededRace {
        bug: SeededBug::TouchWithoutMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: &[Property::P1],
        deadlock: false,
    },
    // Caught at the faulty step: the GC that starts while an old-process writer is active.
    SeededRace {
        bug: SeededBug::LockForgetsOtherProcesses,
        scenario: "reload-during-backup",
        expect: &[Property::P4],
        deadlock: false,
    },
    // Caught at the faulty step: the cutoff the GC computes as it starts.
    SeededRace {
        bug: SeededBug::CutoffIgnoresOldestWriter,
        scenario: "fs-insert-vs-sweep",
        expect: &[Property::Cutoff],
        deadlock: false,
    },
    // Caught at the faulty step: the bucket put outside the per-chunk lock.
    SeededRace {
        bug: SeededBug::UploadWithoutChunkLock,
        scenario: "s3-upload-vs-sweep",
        expect: &[Property::ChunkLock],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::EvictionLocksStoreInsideLru,
        scenario: "eviction-vs-remove",
        expect: &[Property::LockOrder],
        deadlock: true,
    },
    SeededRace {
        bug: SeededBug::LruHitSkipsTouch,
        scenario: "s3-upload-vs-sweep",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
    // Caught at the faulty step: the cache hit that serves the rotten copy.
    SeededRace {
        bug: SeededBug::CacheServesRottenCopy,
        scenario: "rotten-cache-vs-read",
        expect: &[Property::Readable],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::EvictionRollsBackAtime,
        scenario: "eviction-vs-touch-across-reload",
        expect: LEFT_UNTOUCHED,
        deadlock: false,
    },
];

/// Look-ups from a [`SeededRace`] into this crate's tables.
///
/// The type lives in `harness` (so the campaign runner can use it); import this trait to
/// call `SeededRace::of(bug)` and `race.scenario()`.
pub trait SeededRaceExt {
    /// The race for `bug`.
    ///
    /// # Panics
    /// When a seeded bug has no entry (a test checks there is one for each).
    fn of(bug: SeededBug) -> &'static SeededRace;

    /// The scenario that exposes the bug.
    ///
    /// # Panics
    /// When the name is not a scenario (a test checks every entry).
    fn scenario(&self) -> &'static Scenario;
}

impl SeededRaceExt for SeededRace {
    fn of(bug: SeededBug) -> &'static SeededRace {
        crate::CATALOGUE
            .race(bug)
            .unwrap_or_else(|| panic!("seeded bug {bug} has no scenario"))
    }

    fn scenario(&self) -> &'static Scenario {
        crate::find(self.scenario)
            .unwrap_or_else(|| panic!("seeded race names unknown scenario {}", self.scenario))
    }
}
