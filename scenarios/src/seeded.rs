//! The seeded races: which scenario exposes each seeded bug, and what the oracle (or the
//! checker) must report when it does.

use crate::Scenario;
use harness::oracle::Property;
use store::SeededBug;

/// How a seeded bug shows itself.
#[derive(Clone, Copy, Debug)]
pub struct SeededRace {
    /// The bug.
    pub bug: SeededBug,
    /// The scenario that exposes it (a name from [`crate::ALL`]).
    pub scenario: &'static str,
    /// Properties a report may name: the first one broken depends on the schedule (a chunk
    /// removed while its writer runs is P3; after its index is published, P2).
    pub expect: &'static [Property],
    /// Whether a checker-reported deadlock also counts.
    pub deadlock: bool,
}

/// A chunk removed while in use: by its writer (P3, P4) or by a published index (P2).
const REMOVED_IN_USE: &[Property] = &[Property::P2, Property::P3, Property::Harm];

/// Every seeded bug with the scenario that exposes it.
pub const SEEDED: &[SeededRace] = &[
    SeededRace {
        bug: SeededBug::SweepStatOutsideMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: REMOVED_IN_USE,
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::InsertSkipsTouch,
        scenario: "fs-insert-vs-sweep",
        expect: REMOVED_IN_USE,
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::TouchWithoutMutex,
        scenario: "pull-reuse-vs-sweep",
        expect: REMOVED_IN_USE,
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::LockForgetsOtherProcesses,
        scenario: "reload-during-backup",
        expect: &[Property::P4, Property::P2, Property::Harm],
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::CutoffIgnoresOldestWriter,
        scenario: "fs-insert-vs-sweep",
        expect: REMOVED_IN_USE,
        deadlock: false,
    },
    SeededRace {
        bug: SeededBug::UploadWithoutChunkLock,
        scenario: "s3-upload-vs-sweep",
        expect: &[
            Property::P3,
            Property::Harm,
            Property::CacheBucket,
            Property::Progress,
        ],
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
        expect: REMOVED_IN_USE,
        deadlock: false,
    },
];

impl SeededRace {
    /// The race for `bug`.
    ///
    /// # Panics
    /// When a seeded bug has no entry (a test checks there is one for each).
    pub fn of(bug: SeededBug) -> &'static SeededRace {
        SEEDED
            .iter()
            .find(|race| race.bug == bug)
            .unwrap_or_else(|| panic!("seeded bug {bug} has no scenario"))
    }

    /// The scenario that exposes the bug.
    ///
    /// # Panics
    /// When the name is not a scenario (a test checks every entry).
    pub fn scenario(&self) -> &'static Scenario {
        crate::find(self.scenario)
            .unwrap_or_else(|| panic!("seeded race names unknown scenario {}", self.scenario))
    }

    /// Whether a failure with this property / deadlock flag is the expected report.
    pub fn matches(&self, property: Option<Property>, deadlock: bool) -> bool {
        match property {
            Some(p) => self.expect.contains(&p),
            None => deadlock && self.deadlock,
        }
    }
}
