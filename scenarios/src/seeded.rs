//! The seeded races: which scenario exposes each seeded bug, and what the oracle (or the
//! checker) must report when it does. Each scenario module declares the races of its
//! scenarios (`SEEDED`) next to their stories; [`crate::seeded()`] gathers them.

use crate::Scenario;
use harness::catalogue::SeededRace;
use harness::oracle::Property;
use store::SeededBug;

/// A used chunk left unprotected: an upload that skipped the touch leaves the chunk older
/// than its writer, which the oracle sees at the publication (P3), or at the remove when a
/// sweep comes first: P3 while the index is unpublished, P2 when the writer published it
/// after the GC's mark and before its sweep (both describe the same loss; P2 is judged
/// first at a remove; `scenarios/tests/suite/replay.rs` replays such a schedule).
pub(crate) const LEFT_UNTOUCHED: &[Property] = &[Property::P3, Property::P2];

/// What a race that moves a chunk's atime back must be reported as: the faulty stamp
/// itself (atime order), judged as it lands; or, on a schedule where a newer stamp repaired
/// it before the oracle saw it, its consequences (P3, P2) as for [`LEFT_UNTOUCHED`].
pub(crate) const ROLLED_BACK: &[Property] = &[Property::AtimeOrder, Property::P3, Property::P2];

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
        crate::catalogue()
            .race(bug)
            .unwrap_or_else(|| panic!("seeded bug {bug} has no scenario"))
    }

    fn scenario(&self) -> &'static Scenario {
        crate::find(self.scenario)
            .unwrap_or_else(|| panic!("seeded race names unknown scenario {}", self.scenario))
    }
}
