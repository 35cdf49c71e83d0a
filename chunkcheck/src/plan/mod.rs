//! The work of a campaign as a deterministic list of items, and its split into shards.
//!
//! The clean phase has one item per (scenario, checker, seed batch): loom's exhaustive run is
//! one item; a shuttle scheduler's `schedules` are cut into batches of `batch_schedules`, batch
//! `i` running from seed `seed + i`. The seeded phase has one item per (seeded race, checker,
//! trial), run until the first detection over its batches; the generated phase one per 50
//! programs and one per (seeded bug, trial) hunt ([`crate::work`]). Items are numbered in that
//! order, and
//! shard `K/N` keeps the items whose number `i` has `i % N == K - 1`: the shards of one plan
//! are disjoint and together hold exactly the unsharded plan.

use crate::search::Search;
pub use crate::shard::Shard;
use crate::work::{Hunt, Placed, Programs, RaceRun, ScenarioRun, Work, WorkItem};
use harness::catalogue::SeededRace;
use harness::check::Checker;
use harness::program::Weights;
use serde::{Deserialize, Serialize};
use store::SeededBug;

/// Which phases a campaign runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Phases {
    /// The clean phase, the seeded-race matrix, the generated programs, then the exhaustive
    /// phase.
    All,
    /// Only the scenarios (with `--bugs`, if any).
    Clean,
    /// Only the seeded-race matrix.
    Seeded,
    /// Only the generated programs: the clean store (with `--bugs`, if any), then each
    /// seeded bug alone until a program catches it.
    Generated,
    /// Only the exhaustive phase: every program of `--scope` under loom within
    /// `--preemption-bound` (with `--bugs`, if any).
    Exhaustive,
    /// The phases `--faults` takes part in: the clean phase and the generated programs
    /// (the default under `--faults`). The seeded-race matrix runs without faults whatever
    /// `--faults` says, and the exhaustive phase takes its faults from `--scope` (its
    /// `faults` key), so under `--faults` they would repeat the default campaign; ask for
    /// them with `--phase all` (or `exhaustive`).
    Faulted,
}

impl Phases {
    /// The phases a campaign runs when `--phase` is not given: all of them, or under
    /// `--faults` (`faults` > 0) those faults take part in.
    pub fn default_for(faults: u8) -> Self {
        match faults {
            0 => Self::All,
            _ => Self::Faulted,
        }
    }

    /// Whether the clean phase runs.
    pub fn clean(self) -> bool {
        matches!(self, Self::All | Self::Clean | Self::Faulted)
    }

    /// Whether the seeded phase runs.
    pub fn seeded(self) -> bool {
        matches!(self, Self::All | Self::Seeded)
    }

    /// Whether the generated phase runs.
    pub fn generated(self) -> bool {
        matches!(self, Self::All | Self::Generated | Self::Faulted)
    }

    /// Whether the exhaustive phase runs.
    pub fn exhaustive(self) -> bool {
        matches!(self, Self::All | Self::Exhaustive)
    }
}

/// Programs per generated-phase work item.
pub const PROGRAMS_PER_ITEM: usize = 50;

/// A run of consecutive shuttle schedules from one seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Position of the batch in its checker's budget (0-based).
    pub index: usize,
    /// The scheduler's seed: the campaign seed plus `index`.
    pub seed: u64,
    /// Schedules to run.
    pub schedules: usize,
}

/// Cuts `schedules` into batches of at most `batch_schedules`, batch `i` seeded `seed + i`.
pub fn batches(schedules: usize, batch_schedules: usize, seed: u64) -> Vec<Batch> {
    let size = batch_schedules.max(1);
    (0..schedules.div_ceil(size))
        .map(|index| Batch {
            index,
            seed: seed.wrapping_add(index as u64),
            schedules: size.min(schedules - index * size),
        })
        .collect()
}

/// What a campaign covers before sharding.
#[derive(Clone, Debug)]
pub struct PlanSpec {
    /// Scenario names for the clean phase, in report order.
    pub scenarios: Vec<&'static str>,
    /// Seeded races for the seeded phase, in report order.
    pub races: Vec<SeededRace>,
    /// Checkers, in report order.
    pub checkers: Vec<Checker>,
    /// Phases to run.
    pub phases: Phases,
    /// Shuttle schedules per scenario and scheduler (the seeded phase's budget too).
    pub schedules: usize,
    /// Schedules per clean-phase work item.
    pub batch_schedules: usize,
    /// The campaign's base seed.
    pub seed: u64,
    /// Generated programs (`--programs`).
    pub programs: usize,
    /// Program `i` is drawn from seed `program_seed + i` (`--program-seed`).
    pub program_seed: u64,
    /// Shuttle schedules per generated program and scheduler (`--program-schedules`).
    pub program_schedules: usize,
    /// Independent trials per seeded bug and checker, and per seeded bug over generated
    /// programs (`--detection-seeds`): the report gives medians over them.
    pub detection_seeds: usize,
    /// The generator's biases (`--weights`).
    pub weights: Weights,
    /// How the generated phase chooses its programs (`--search`).
    pub search: Search,
    /// Storage faults per execution of a generated program (`--faults`; 0: none).
    pub faults: u8,
    /// The exhaustive phase's scope (`--scope`).
    pub scope: harness::program::Scope,
}

/// The stress baseline every seeded race also runs under, so that the report shows what
/// model checking buys over running real threads again and again.
pub const BASELINE: Checker = Checker::Stress;

impl PlanSpec {
    /// The checkers of the seeded phase: the campaign's, then the [`BASELINE`].
    pub fn seeded_checkers(&self) -> Vec<Checker> {
        let mut checkers = self.checkers.clone();
        if !checkers.contains(&BASELINE) {
            checkers.push(BASELINE);
        }
        checkers
    }

    /// The seeded bugs the generated phase hunts: those of the seeded races; with faults
    /// injected, the fault-handling bugs instead (they show only then, and the others are
    /// hunted without faults, where nothing but the race decides), those that need no more
    /// faults per execution than the run injects.
    pub fn hunts(&self) -> Vec<SeededBug> {
        match self.faults {
            0 => self.races.iter().map(|r| r.bug).collect(),
            n => (SeededBug::FAULT_HANDLING.into_iter())
                .filter(|bug| bug.faults_needed() <= n)
                .collect(),
        }
    }

    /// The base seed of seeded-phase trial `trial`: trial 0 is the campaign's seed, and
    /// each further trial starts where the previous one's batches end, so no two trials
    /// share a batch seed.
    pub fn trial_seed(&self, trial: usize) -> u64 {
        let stride = self.schedules.div_ceil(self.batch_schedules.max(1)).max(1);
        self.seed.wrapping_add((trial * stride) as u64)
    }

    /// The seed of program 0 in generated-seeded trial `trial`: trial 0 draws the
    /// campaign's programs, each further trial the next `--programs` seeds, so no two
    /// trials share a program.
    pub fn trial_program_seed(&self, trial: usize) -> u64 {
        self.program_seed
            .wrapping_add((trial * self.programs.max(1)) as u64)
    }

    /// Every work item, numbered, unsharded: clean items first, then seeded ones, then the
    /// generated phase's.
    pub fn items(&self) -> Vec<WorkItem> {
        let mut work = Vec::new();
        if self.phases.clean() {
            work.extend(self.clean_items().map(Work::Clean));
        }
        if self.phases.seeded() {
            work.extend(self.race_items().into_iter().map(Work::Seeded));
        }
        if self.phases.generated() {
            let programs = (0..self.programs).step_by(PROGRAMS_PER_ITEM).map(|first| {
                let count = PROGRAMS_PER_ITEM.min(self.programs - first);
                Work::Generated(Programs { first, count })
            });
            work.extend(programs);
            for bug in self.hunts() {
                let trials = 0..self.detection_seeds.max(1);
                work.extend(trials.map(|trial| Work::GeneratedSeeded(Hunt { bug, trial })));
            }
        }
        let placed = work.into_iter().enumerate();
        placed
            .map(|(position, work)| Placed { position, work })
            .collect()
    }

    /// The clean phase: every scenario under every checker, loom once, the others batch by
    /// batch.
    fn clean_items(&self) -> impl Iterator<Item = ScenarioRun> + '_ {
        let batches = batches(self.schedules, self.batch_schedules, self.seed);
        self.scenarios.iter().flat_map(move |&scenario| {
            let batches = batches.clone();
            self.checkers.iter().flat_map(move |&checker| {
                let runs: Vec<Option<Batch>> = match checker {
                    Checker::Loom => vec![None],
                    _ => batches.iter().copied().map(Some).collect(),
                };
                runs.into_iter().map(move |batch| ScenarioRun {
                    scenario,
                    checker,
                    batch,
                })
            })
        })
    }

    /// The seeded-race matrix: every race under every checker and the baseline, each
    /// trial with its own batches (loom once).
    fn race_items(&self) -> Vec<RaceRun> {
        let mut runs = Vec::new();
        for race in &self.races {
            for checker in self.seeded_checkers() {
                let trials = match checker {
                    Checker::Loom => 1,
                    _ => self.detection_seeds.max(1),
                };
                for trial in 0..trials {
                    let batches = match checker {
                        Checker::Loom => Vec::new(),
                        _ => batches(self.schedules, self.batch_schedules, self.trial_seed(trial)),
                    };
                    runs.push(RaceRun {
                        bug: race.bug,
                        trial,
                        scenario: race.scenario,
                        checker,
                        batches,
                    });
                }
            }
        }
        runs
    }

    /// The items of `shard`.
    ///
    /// A guided search is one sequence: each candidate is drawn from what the candidates
    /// before it reached, and the hunts go on from the corpus the programs built. So under
    /// `--search guided` the whole generated phase, its programs and its hunts, belongs to
    /// the shard of its first item, and the shards together still run exactly the unsharded
    /// campaign. A blind search splits its programs and hunts like any other items.
    pub fn shard(&self, shard: Shard) -> Vec<WorkItem> {
        let items = self.items();
        let generated =
            |item: &WorkItem| matches!(item.work, Work::Generated(_) | Work::GeneratedSeeded(_));
        let whole_phase = (self.search == Search::Guided)
            .then(|| items.iter().find(|i| generated(i)).map(|i| i.position))
            .flatten();
        items
            .into_iter()
            .filter(|item| match whole_phase {
                Some(first) if generated(item) => shard.keeps(first),
                _ => shard.keeps(item.position),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
