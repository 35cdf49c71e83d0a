//! What a campaign found, as data: written as JSON, rendered as tables by
//! [`crate::render`], and read back by tests and by whoever merges shard reports.

pub use crate::detections::DetectionRecord;
use crate::plan::{Phases, BASELINE};
pub use crate::reach::PhaseReach;
pub use crate::report_generated::{
    GeneratedRecord, GeneratedSeededItem, PairReached, ProgramFailure,
};
use crate::search::Search;
use crate::shrink::Shrunk;
use crate::verdict::{Hunter, Verdict};
use anyhow::{Context, Result};
use harness::check::{Cause, Checker};
use harness::oracle::Coverage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use store::SeededBug;

/// Exit code: the clean store passed everything and every seeded race was caught.
pub const EXIT_OK: i32 = 0;
/// Exit code: the clean store violated a property (a real race, or `--bugs` were on).
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: bad input (unknown name, malformed option, unreadable failure file).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code: a seeded race was not caught (the harness lost power).
pub const EXIT_MISSED: i32 = 3;
/// Exit code: both a violation and a missed seeded race.
pub const EXIT_VIOLATION_AND_MISSED: i32 = 4;

/// The loom version the harness is built against (a test checks `Cargo.lock`).
pub const LOOM_VERSION: &str = "0.7.3";
/// The shuttle version the harness is built against (a test checks `Cargo.lock`).
pub const SHUTTLE_VERSION: &str = "0.9.10";

/// A campaign's report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CampaignReport {
    /// Versions of the tools that produced it.
    pub tool: Tool,
    /// The command line that produced it.
    pub command: String,
    /// The settings it ran with.
    pub config: ConfigRecord,
    /// Clean-phase work items, in plan order.
    pub clean: Vec<CleanItem>,
    /// Clean-phase results per scenario × checker (the items' sums).
    pub matrix: Vec<MatrixRow>,
    /// Seeded-race items (race × checker), in plan order.
    pub seeded: Vec<SeededItem>,
    /// How often each scenario reached the dangerous states, clean phase, all checkers.
    pub coverage: BTreeMap<String, Coverage>,
    /// Per phase run on the clean store: the decision outcomes and conflict pairs reached.
    #[serde(default)]
    pub reach: Vec<PhaseReach>,
    /// The generated phase on the campaign's setup, if it ran.
    pub generated: Option<GeneratedRecord>,
    /// Each seeded bug alone over the generated programs, in plan order.
    pub generated_seeded: Vec<GeneratedSeededItem>,
    /// Per seeded bug and checker (and `generated` for the generated programs): the
    /// trials' medians (see [`CampaignReport::detections`]).
    pub detections: Vec<DetectionRecord>,
    /// The exhaustive phase, if it ran.
    #[serde(default)]
    pub exhaustive: Option<crate::exhaustive::ExhaustiveRecord>,
    /// Wall time of the whole campaign, seconds.
    pub wall_secs: f64,
    /// loom runs a worker process should have run and this process ran instead, because
    /// the worker died, did not start or answered out of step ([`crate::workers`]); each
    /// is also reported on stderr as it happens.
    #[serde(default)]
    pub worker_fallbacks: u64,
    /// The process exit code this report maps to.
    pub exit_code: i32,
}

/// Tool versions, for reproducing a report.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tool {
    /// This harness's version.
    pub harness: String,
    /// loom's version.
    pub loom: String,
    /// shuttle's version.
    pub shuttle: String,
    /// The minimum Rust version of the workspace.
    pub rust_version: String,
}

impl Tool {
    /// The versions of this build.
    pub fn current() -> Self {
        Self {
            harness: env!("CARGO_PKG_VERSION").to_string(),
            loom: LOOM_VERSION.to_string(),
            shuttle: SHUTTLE_VERSION.to_string(),
            rust_version: env!("CARGO_PKG_RUST_VERSION").to_string(),
        }
    }
}

/// The settings of a campaign.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ConfigRecord {
    /// Base seed; shuttle batch `i` runs from `seed + i`.
    pub seed: u64,
    /// Shuttle schedules per scenario and scheduler.
    pub schedules: usize,
    /// Schedules per clean-phase work item.
    pub batch_schedules: usize,
    /// PCT depth.
    pub pct_depth: usize,
    /// loom preemption bound overriding every scenario's own (`None`: each scenario's).
    pub preemption_bound: Option<usize>,
    /// Time limit per work item, seconds.
    pub max_time_secs: Option<f64>,
    /// `K/N`.
    pub shard: String,
    /// Generated programs planned (`--programs`).
    pub programs: usize,
    /// Seed of program 0 (`--program-seed`).
    pub program_seed: u64,
    /// Shuttle schedules per generated program and scheduler.
    pub program_schedules: usize,
    /// Trials per seeded bug and checker (`--detection-seeds`).
    pub detection_seeds: usize,
    /// Work items run at the same time (`--jobs`).
    pub jobs: usize,
    /// The generator's biases (`--weights`).
    pub weights: String,
    /// How the generated phase chose its programs (`--search`).
    #[serde(default = "Search::before_the_flag")]
    pub search: Search,
    /// Storage faults per execution (`--faults`; 0: none).
    #[serde(default)]
    pub faults: u8,
    /// Phases run.
    pub phases: Phases,
    /// Scenarios selected.
    pub scenarios: Vec<String>,
    /// Checkers selected.
    pub checkers: Vec<Checker>,
    /// Seeded bugs switched on in the clean phase.
    pub bugs: Vec<SeededBug>,
    /// Lock granularity of the store.
    pub lock: String,
    /// Whether the lock-order check was off.
    pub unchecked_lock_order: bool,
}

/// One clean-phase work item.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CleanItem {
    /// Stable name (see [`crate::work::Placed::key`]).
    pub key: String,
    /// Position in the unsharded plan.
    pub position: usize,
    /// Scenario.
    pub scenario: String,
    /// Checker.
    pub checker: Checker,
    /// Shuttle: the batch's index.
    pub batch: Option<usize>,
    /// Shuttle: the batch's seed.
    pub seed: Option<u64>,
    /// loom: the preemption bound.
    pub preemption_bound: Option<usize>,
    /// Schedules explored.
    pub schedules: u64,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// Schedules per second.
    pub schedules_per_sec: f64,
    /// Storage faults injected over its schedules (`--faults`).
    #[serde(default)]
    pub faults: u64,
    /// Pass, timeout (stopped at `--max-time`, nothing found) or the failure's cause.
    pub verdict: Verdict,
    /// The failure, if any.
    pub failure: Option<FailureRecord>,
}

/// Clean-phase totals for one scenario × checker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MatrixRow {
    /// Scenario.
    pub scenario: String,
    /// Checker.
    pub checker: Checker,
    /// Work items summed.
    pub items: usize,
    /// Schedules explored.
    pub schedules: u64,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// Schedules per second.
    pub schedules_per_sec: f64,
    /// Storage faults injected (`--faults`).
    #[serde(default)]
    pub faults: u64,
    /// Pass, timeout, or the first failure's cause.
    pub verdict: Verdict,
}

/// One seeded race under one checker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SeededItem {
    /// Stable name (see [`crate::work::Placed::key`]).
    pub key: String,
    /// Position in the unsharded plan.
    pub position: usize,
    /// The seeded bug.
    pub bug: SeededBug,
    /// The scenario exposing it.
    pub scenario: String,
    /// Checker.
    pub checker: Checker,
    /// Which of the `--detection-seeds` trials (0 for loom, which runs once).
    pub trial: usize,
    /// Whether the checker reported the failure the race is expected to cause.
    pub caught: bool,
    /// Schedules to the first detection (or explored, when not caught).
    pub schedules: u64,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// Schedules per second.
    pub schedules_per_sec: f64,
    /// Caught, missed, timeout, or a wrong report.
    pub verdict: Verdict,
    /// The detection, if any.
    pub failure: Option<FailureRecord>,
}

/// A failure: what broke, how to see it again.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FailureRecord {
    /// What failed it.
    pub cause: Cause,
    /// First line of the message (names the digest and the actor).
    pub headline: String,
    /// The full message, event trail included.
    pub message: String,
    /// Shuttle: the seed of the failing batch.
    pub seed: Option<u64>,
    /// Shuttle: schedules of the failing batch (what `--minimize` re-runs).
    pub batch_schedules: Option<usize>,
    /// Shuttle PCT: the depth.
    pub pct_depth: Option<usize>,
    /// loom: the preemption bound.
    pub preemption_bound: Option<usize>,
    /// Shuttle: steps of the failing schedule.
    pub steps: Option<usize>,
    /// The persisted failure file (with the schedule, or loom's search position).
    pub schedule_file: Option<String>,
    /// The command that reproduces it.
    pub replay: String,
    /// What `--minimize` found.
    pub minimized: Option<Minimized>,
}

/// The smallest failing setting `--minimize` found.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Minimized {
    /// The knob shrunk, from what to what.
    #[serde(flatten)]
    pub shrunk: Shrunk,
    /// What the smallest failing setting reports (it may break another property).
    pub cause: Cause,
    /// Shuttle: steps of the smallest failing schedule.
    pub steps: Option<usize>,
    /// Its persisted failure file.
    pub schedule_file: Option<String>,
    /// The command that reproduces it.
    pub replay: String,
}

/// Schedules per second, 0 for an empty run.
pub fn rate(schedules: u64, secs: f64) -> f64 {
    if schedules == 0 {
        0.0
    } else {
        schedules as f64 / secs.max(1e-9)
    }
}

impl CampaignReport {
    /// The exit code of these results: see [`EXIT_OK`] and its siblings.
    pub fn outcome(&self) -> i32 {
        let generated = self.generated.iter().flat_map(|g| &g.failures);
        let exhaustive = self.exhaustive.as_ref();
        let counterexample = exhaustive.is_some_and(|e| e.failure.is_some());
        let violated = self.clean.iter().any(|i| i.failure.is_some())
            || generated.count() > 0
            || counterexample;
        // The stress baseline has no control over the schedule: what it misses is the
        // point of the comparison, not lost power.
        // An exhaustive run cut short at --max-time proved nothing: lost power, like a miss.
        let missed = Self::detections(self)
            .iter()
            .any(|d| !d.holds() && d.checker != Hunter::Checker(BASELINE))
            || exhaustive.is_some_and(|e| e.cut_short > 0);
        match (violated, missed) {
            (false, false) => EXIT_OK,
            (true, false) => EXIT_VIOLATION,
            (false, true) => EXIT_MISSED,
            (true, true) => EXIT_VIOLATION_AND_MISSED,
        }
    }

    /// Sums the clean items per scenario × checker, in plan order.
    pub fn summarize(clean: &[CleanItem]) -> Vec<MatrixRow> {
        let mut rows: Vec<MatrixRow> = Vec::new();
        for item in clean {
            let at = rows
                .iter()
                .position(|r| r.scenario == item.scenario && r.checker == item.checker)
                .unwrap_or_else(|| {
                    rows.push(MatrixRow {
                        scenario: item.scenario.clone(),
                        checker: item.checker,
                        items: 0,
                        schedules: 0,
                        wall_secs: 0.0,
                        schedules_per_sec: 0.0,
                        faults: 0,
                        verdict: Verdict::Pass,
                    });
                    rows.len() - 1
                });
            let row = &mut rows[at];
            row.items += 1;
            row.schedules += item.schedules;
            row.wall_secs += item.wall_secs;
            row.schedules_per_sec = rate(row.schedules, row.wall_secs);
            row.faults += item.faults;
            if row.verdict == Verdict::Pass {
                row.verdict = item.verdict;
            }
        }
        rows
    }

    /// Serializes as pretty JSON.
    ///
    /// # Panics
    /// Never: a report holds only strings, numbers, options and string-keyed maps.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// Reads a report written with `--json`.
    ///
    /// # Errors
    /// When the file cannot be read or is not a report.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a report", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use harness::oracle::Property;

    fn item(scenario: &str, schedules: u64, verdict: Verdict) -> CleanItem {
        CleanItem {
            key: format!("clean/{scenario}/shuttle-pct"),
            position: 0,
            scenario: scenario.into(),
            checker: Checker::Pct,
            batch: None,
            seed: None,
            preemption_bound: None,
            schedules,
            wall_secs: 1.0,
            schedules_per_sec: schedules as f64,
            faults: 0,
            verdict,
            failure: None,
        }
    }

    #[test]
    fn matrix_sums_batches_and_keeps_the_first_failure() {
        let failed = |p| Verdict::Failed(Cause::Violation(p));
        let rows = CampaignReport::summarize(&[
            item("a", 10, Verdict::Pass),
            item("b", 5, Verdict::Pass),
            item("a", 4, failed(Property::P3)),
            item("a", 10, failed(Property::Harm)),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].items, rows[0].schedules), (3, 24));
        assert_eq!(rows[0].verdict, failed(Property::P3));
        assert_eq!(rows[0].schedules_per_sec, 8.0);
        assert_eq!(rows[1].verdict, Verdict::Pass);
    }

    #[test]
    fn tool_versions_match_the_lockfile() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock"))
            .expect("workspace Cargo.lock");
        for (name, version) in [("loom", LOOM_VERSION), ("shuttle", SHUTTLE_VERSION)] {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"");
            assert!(lock.contains(&entry), "Cargo.lock has no {name} {version}");
        }
    }

    #[test]
    fn rate_of_nothing_is_zero() {
        assert_eq!(rate(0, 0.0), 0.0);
        assert_eq!(rate(10, 2.0), 5.0);
    }
}
