//! The units of a campaign: what one work item runs, with the fields its kind needs and no
//! others, and its stable key and progress label.

use crate::plan::Batch;
use harness::check::Checker;
use store::SeededBug;

/// A name unique within a plan and stable across runs and shards, and a short label for
/// progress lines.
pub trait Describe {
    /// The stable key.
    fn key(&self) -> String;
    /// The progress label.
    fn label(&self) -> String;
}

/// A scenario under one checker with the campaign's setup (the clean store unless `--bugs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioRun {
    /// The scenario.
    pub scenario: &'static str,
    /// The checker.
    pub checker: Checker,
    /// Shuttle and stress: the batch of schedules; loom: none, its exhaustive run is one item.
    pub batch: Option<Batch>,
}

/// A seeded race: its scenario with the bug on, under one checker, until the first
/// detection. Trial `t` of a shuttle or stress checker runs its own batches (see
/// [`crate::plan::PlanSpec::trial_seed`]); loom's search is deterministic and runs once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaceRun {
    /// The bug switched on.
    pub bug: SeededBug,
    /// Which of the `--detection-seeds` trials.
    pub trial: usize,
    /// The scenario exposing it.
    pub scenario: &'static str,
    /// The checker.
    pub checker: Checker,
    /// Shuttle and stress: every batch, run until a detection; loom: none.
    pub batches: Vec<Batch>,
}

/// Generated programs `first .. first + count` (program `i` is drawn from seed
/// `program_seed + i`) with the campaign's setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Programs {
    /// The first program's number.
    pub first: usize,
    /// How many programs.
    pub count: usize,
}

/// A seeded bug alone, over the generated programs in order until one catches it. Trial
/// `t` draws its programs from their own stream (see
/// [`crate::plan::PlanSpec::trial_program_seed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hunt {
    /// The bug switched on.
    pub bug: SeededBug,
    /// Which of the `--detection-seeds` trials.
    pub trial: usize,
}

/// What a work item runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// The clean phase.
    Clean(ScenarioRun),
    /// The seeded-race matrix.
    Seeded(RaceRun),
    /// The generated phase on the campaign's setup.
    Generated(Programs),
    /// The generated phase's seeded hunts.
    GeneratedSeeded(Hunt),
}

/// A unit of work at its place in the unsharded plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed<W> {
    /// Position in the unsharded plan.
    pub position: usize,
    /// What it runs.
    pub work: W,
}

/// One unit of a campaign: what one shard runs, reports and never shares.
pub type WorkItem = Placed<Work>;

impl<W: Describe> Placed<W> {
    /// See [`Describe::key`]: `clean/<scenario>/<checker>[/<batch>]`,
    /// `seeded/<bug>/<checker>/<trial>`, `generated/<first>` or
    /// `generated-seeded/<bug>/<trial>`.
    pub fn key(&self) -> String {
        self.work.key()
    }

    /// See [`Describe::label`].
    pub fn label(&self) -> String {
        self.work.label()
    }
}

impl Describe for ScenarioRun {
    fn key(&self) -> String {
        match self.batch {
            Some(batch) => format!("clean/{}/{}/{}", self.scenario, self.checker, batch.index),
            None => format!("clean/{}/{}", self.scenario, self.checker),
        }
    }

    fn label(&self) -> String {
        match self.batch {
            Some(batch) => format!("{} {} #{}", self.scenario, self.checker, batch.index),
            None => format!("{} {}", self.scenario, self.checker),
        }
    }
}

impl Describe for RaceRun {
    fn key(&self) -> String {
        format!("seeded/{}/{}/{}", self.bug, self.checker, self.trial)
    }

    fn label(&self) -> String {
        format!("{} {} trial {}", self.bug, self.checker, self.trial)
    }
}

impl Describe for Programs {
    fn key(&self) -> String {
        format!("generated/{}", self.first)
    }

    fn label(&self) -> String {
        format!("programs {}..{}", self.first, self.first + self.count)
    }
}

impl Describe for Hunt {
    fn key(&self) -> String {
        format!("generated-seeded/{}/{}", self.bug, self.trial)
    }

    fn label(&self) -> String {
        format!("{} in generated programs, trial {}", self.bug, self.trial)
    }
}

impl Describe for Work {
    fn key(&self) -> String {
        match self {
            Work::Clean(run) => run.key(),
            Work::Seeded(run) => run.key(),
            Work::Generated(programs) => programs.key(),
            Work::GeneratedSeeded(hunt) => hunt.key(),
        }
    }

    fn label(&self) -> String {
        match self {
            Work::Clean(run) => run.label(),
            Work::Seeded(run) => run.label(),
            Work::Generated(programs) => programs.label(),
            Work::GeneratedSeeded(hunt) => hunt.label(),
        }
    }
}

/// A plan's items by kind, each at its place.
#[derive(Debug, Default)]
pub struct Split {
    /// The clean phase.
    pub clean: Vec<Placed<ScenarioRun>>,
    /// The seeded-race matrix.
    pub seeded: Vec<Placed<RaceRun>>,
    /// The generated phase on the campaign's setup.
    pub programs: Vec<Placed<Programs>>,
    /// The generated phase's seeded hunts.
    pub hunts: Vec<Placed<Hunt>>,
}

impl Split {
    /// `items` by kind, in their order.
    pub fn of(items: Vec<WorkItem>) -> Self {
        let mut split = Split::default();
        for Placed { position, work } in items {
            match work {
                Work::Clean(work) => split.clean.push(Placed { position, work }),
                Work::Seeded(work) => split.seeded.push(Placed { position, work }),
                Work::Generated(work) => split.programs.push(Placed { position, work }),
                Work::GeneratedSeeded(work) => split.hunts.push(Placed { position, work }),
            }
        }
        split
    }
}
