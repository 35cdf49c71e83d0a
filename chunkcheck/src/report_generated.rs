//! The generated phase's records in the campaign report (re-exported by
//! [`crate::report`]): the programs run, their failures, and each seeded bug's hunt.

use crate::curve::CoveragePoint;
use crate::search::Search;
use crate::shrink::Shrunk;
use crate::verdict::Verdict;
use harness::check::{Cause, Checker};
use harness::oracle::Coverage;
use harness::program::Pair;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::SeededBug;

/// The generated phase: programs run, what they found and which mixes they reached.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GeneratedRecord {
    /// How it chose its programs.
    #[serde(default = "Search::before_the_flag")]
    pub search: Search,
    /// Programs the guided search kept in its corpus (0 for the random search).
    #[serde(default)]
    pub corpus: u64,
    /// Programs run.
    pub programs: u64,
    /// Schedules over all of them and every scheduler.
    pub schedules: u64,
    /// Wall time of these programs, seconds (the seeded bugs' hunts not included).
    pub wall_secs: f64,
    /// Programs per second.
    pub programs_per_sec: f64,
    /// Schedules per second.
    pub schedules_per_sec: f64,
    /// Failing programs, each minimized.
    pub failures: Vec<ProgramFailure>,
    /// Every pair of operation kinds, whether some schedule ran them at the same time.
    pub pairs: Vec<PairReached>,
    /// Storage faults injected (`--faults`), per fault kind (`EIO`, `lost object`, ...).
    #[serde(default)]
    pub faults: BTreeMap<String, u64>,
    /// Storage faults injected, per site and kind (`EIO at chunk touch`).
    #[serde(default)]
    pub fault_sites: BTreeMap<String, u64>,
    /// What the programs covered, summed over every schedule.
    #[serde(default)]
    pub coverage: Coverage,
    /// How that coverage grew with the programs run ([`crate::curve::checkpoint`]s and the
    /// last program).
    #[serde(default)]
    pub curve: Vec<CoveragePoint>,
}

/// A pair of operation kinds and whether they overlapped.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PairReached {
    /// The pair.
    #[serde(flatten)]
    pub pair: Pair,
    /// Whether some schedule of some program ran them at the same time.
    pub reached: bool,
}

/// A generated program that failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProgramFailure {
    /// The program's number in the campaign.
    pub program: u64,
    /// The seed it was drawn from.
    pub program_seed: u64,
    /// The scheduler that failed it.
    pub checker: Checker,
    /// What failed it.
    pub cause: Cause,
    /// The program, as text.
    pub text: String,
    /// The minimized program, as text.
    pub minimized: String,
    /// Operations and history items of the program, and of the minimized one.
    pub sizes: (usize, usize),
    /// How the failing schedule was shrunk after the program, if it could be.
    pub schedule_shrunk: Option<Shrunk>,
    /// The minimized program's failure message, trail included.
    pub message: String,
    /// The persisted failure file (the minimized program and its schedule).
    pub file: Option<String>,
    /// The command that reproduces the minimized failure.
    pub replay: String,
}

/// One seeded bug over the generated programs, until the first that catches it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GeneratedSeededItem {
    /// Stable name (see [`crate::work::Placed::key`]).
    pub key: String,
    /// Position in the unsharded plan.
    pub position: usize,
    /// The seeded bug.
    pub bug: SeededBug,
    /// Which of the `--detection-seeds` trials.
    pub trial: usize,
    /// The seed of the trial's program 0 (program `i` is drawn from this plus `i`).
    pub program_seed: u64,
    /// Programs in the corpus the hunt started from: what the shard's programs on the clean
    /// store learnt (guided search), none for a blind one or a report older than the field.
    #[serde(default)]
    pub corpus: u64,
    /// Whether some program caught it (a violation or a deadlock).
    pub caught: bool,
    /// Programs run up to and including the first that caught it.
    pub programs: u64,
    /// Schedules run up to the detection.
    pub schedules: u64,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// Caught (after `programs`) or missed.
    pub verdict: Verdict,
    /// The catching program's failure, minimized.
    pub failure: Option<ProgramFailure>,
}
