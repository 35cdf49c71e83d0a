//! A step of the store's clock.

use super::{Draw, Operation, Space};
use crate::program::execute::Run;
use crate::program::model::{Knobs, Proc};
use serde::{Deserialize, Serialize};
use store::Platform;

/// Move the clock forward (serialized as the step alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Clock(pub ClockStep);

/// How far a clock step moves the store's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClockStep {
    /// Not at all (a clock read racing nothing).
    Zero,
    /// One second.
    One,
    /// The writer margin.
    Margin,
    /// More than the grace period.
    PastGrace,
}

impl ClockStep {
    /// Seconds it moves the clock of a datastore with `knobs`.
    pub fn secs(self, knobs: &Knobs) -> i64 {
        match self {
            ClockStep::Zero => 0,
            ClockStep::One => 1,
            ClockStep::Margin => knobs.margin,
            ClockStep::PastGrace => knobs.grace + 1,
        }
    }
}

impl Operation for Clock {
    const NAME: &'static str = "clock";
    const WEIGHT: u64 = 3;

    /// None: the clock is every process's.
    fn proc(&self) -> Option<Proc> {
        None
    }

    fn in_proc(&self, _proc: Proc) -> Option<Self> {
        None
    }

    fn draw(draw: &mut Draw<'_>) -> Self {
        Clock(draw.rng.weighted(&[
            (1, ClockStep::Zero),
            (2, ClockStep::One),
            (2, ClockStep::Margin),
            (2, ClockStep::PastGrace),
        ]))
    }

    fn every(space: &Space) -> Vec<Self> {
        space.clock.iter().map(|&step| Clock(step)).collect()
    }

    fn run<P: Platform>(&self, run: &Run<P>, _thread: usize) {
        run.advance_clock(self.0.secs(&run.knobs));
    }

    fn render(&self) -> String {
        let by = match self.0 {
            ClockStep::Zero => "+0",
            ClockStep::One => "+1",
            ClockStep::Margin => "+margin",
            ClockStep::PastGrace => "+grace+1",
        };
        format!("clock {by}")
    }

    /// The next smaller step.
    fn smaller(&self) -> Vec<Self> {
        let softer = match self.0 {
            ClockStep::PastGrace => Some(ClockStep::Margin),
            ClockStep::Margin => Some(ClockStep::One),
            ClockStep::One => Some(ClockStep::Zero),
            ClockStep::Zero => None,
        };
        softer.map(Clock).into_iter().collect()
    }
}
