//! Shrinking a failing schedule: the smallest PCT depth or loom preemption bound that still
//! fails, for scenario failures (`--minimize`) and generated programs alike.

use harness::check::{Budget, Checker};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The setting of a checker's search that bounds a schedule's preemptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// shuttle PCT's depth.
    PctDepth,
    /// loom's preemption bound.
    PreemptionBound,
}

impl Knob {
    /// The knob of `checker`'s search, if it has one.
    pub fn of(checker: Checker) -> Option<Self> {
        match checker {
            Checker::Pct => Some(Self::PctDepth),
            Checker::Loom => Some(Self::PreemptionBound),
            Checker::Random | Checker::Urw | Checker::Stress => None,
        }
    }

    /// Its setting in `budget`.
    pub fn get(self, budget: &Budget) -> usize {
        match self {
            Self::PctDepth => budget.pct_depth,
            Self::PreemptionBound => budget.preemption_bound,
        }
    }

    /// `budget` with this knob at `value`.
    pub fn set(self, budget: &Budget, value: usize) -> Budget {
        let mut budget = *budget;
        match self {
            Self::PctDepth => budget.pct_depth = value,
            Self::PreemptionBound => budget.preemption_bound = value,
        }
        budget
    }

    /// Its smallest meaningful setting (PCT needs a depth of at least one).
    fn lowest(self) -> usize {
        match self {
            Self::PctDepth => 1,
            Self::PreemptionBound => 0,
        }
    }
}

impl fmt::Display for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PctDepth => "PCT depth",
            Self::PreemptionBound => "preemption bound",
        })
    }
}

/// A knob shrunk from the setting a failure was found with to the smallest that still fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shrunk {
    /// The knob.
    pub knob: Knob,
    /// The setting the failure was found with.
    pub from: usize,
    /// The smallest setting that still fails.
    pub to: usize,
}

impl fmt::Display for Shrunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> {}", self.knob, self.from, self.to)
    }
}

/// The smallest setting of `checker`'s knob below `budget`'s at which `fails` still returns
/// a failure, with that failure: settings are tried from the lowest up and the first failing
/// one wins (for loom a failure at one bound is a failure at every larger one; for PCT, which
/// samples, this finds the smallest depth that failed in its tries). `None` when the checker
/// has no knob or no smaller setting fails.
pub fn smallest_failing<F>(
    checker: Checker,
    budget: &Budget,
    mut fails: impl FnMut(&Budget) -> Option<F>,
) -> Option<(Shrunk, Budget, F)> {
    let knob = Knob::of(checker)?;
    let from = knob.get(budget);
    (knob.lowest()..from).find_map(|to| {
        let smaller = knob.set(budget, to);
        let found = fails(&smaller)?;
        Some((Shrunk { knob, from, to }, smaller, found))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_failing_setting_wins_and_none_without_a_knob() {
        let budget = Budget {
            preemption_bound: 4,
            max_branches: 1,
            schedules: 1,
            pct_depth: 3,
            seed: 0,
        };
        let fails = |b: &Budget| (b.preemption_bound >= 2).then_some(b.preemption_bound);
        let (shrunk, smaller, found) =
            smallest_failing(Checker::Loom, &budget, fails).expect("bound 2 fails");
        assert_eq!((shrunk.from, shrunk.to, found), (4, 2, 2));
        assert_eq!(smaller.preemption_bound, 2);
        assert_eq!(shrunk.to_string(), "preemption bound 4 -> 2");
        assert!(smallest_failing(Checker::Random, &budget, |_| Some(())).is_none());
        assert!(smallest_failing(Checker::Loom, &budget, |_| None::<()>).is_none());
    }
}
