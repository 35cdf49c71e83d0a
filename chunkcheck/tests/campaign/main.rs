//! The campaign runner, end to end: the `chunkcheck` binary over the real catalogue.
//!
//! Budgets are tiny (tens of shuttle schedules per scenario; loom stays exhaustive within
//! each scenario's bound, so the loom-heavy runs pick the scenarios whose loom run is short):
//! these tests check the runner, not the store.

use chunkcheck::cli::Cli;
use chunkcheck::failure_file::{FailureFile, Target};
use chunkcheck::plan::Shard;
use chunkcheck::report::CampaignReport;
use chunkcheck::report::EXIT_VIOLATION_AND_MISSED;
use chunkcheck::report::{EXIT_BAD_INPUT, EXIT_MISSED, EXIT_OK, EXIT_VIOLATION};
use chunkcheck::verdict::{Hunter, Verdict};
use chunkcheck::work::WorkItem;
use harness::check::{Cause, Checker};
use harness::oracle::Coverage;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

mod cli;
mod equivalence;
mod faults;
mod replay;
mod report;

/// Scenarios whose loom runs take milliseconds: enough for sharding tests.
const QUICK: &str = "fs-insert-vs-sweep,reload-during-backup,pull-reuse-vs-sweep";

fn chunkcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chunkcheck"))
        .args(args)
        .env_remove("HARNESS_SCHEDULES")
        .env_remove("HARNESS_SEED")
        .env_remove("HARNESS_PCT_DEPTH")
        .env_remove("LOOM_MAX_PREEMPTIONS")
        .output()
        .expect("chunkcheck runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("chunkcheck exits, not killed")
}

/// A small exhaustive scope (32 programs) for campaigns that run every phase.
const SMALL_SCOPE: &str = "kinds=gc+read,backends=s3,history=snapshot";

/// Runs a campaign writing JSON into `dir`; returns its exit code and report.
fn campaign(dir: &Path, name: &str, args: &[&str]) -> (i32, CampaignReport) {
    let json = dir.join(format!("{name}.json"));
    let failures = dir.join("failures");
    let mut all = vec![
        "--json",
        json.to_str().expect("utf-8 temp path"),
        "--failures",
        failures.to_str().expect("utf-8 temp path"),
    ];
    all.extend_from_slice(args);
    let out = chunkcheck(&all);
    let report = CampaignReport::load(&json)
        .unwrap_or_else(|e| panic!("{name}: no report ({e:#}); stderr:\n{}", text(&out.stderr)));
    assert_eq!(code(&out), report.exit_code, "{name}: exit code = report's");
    (code(&out), report)
}

/// What must agree between a single run and its shards: every item and its result (but
/// the stress baseline's, which real threads decide).
fn results(report: &CampaignReport) -> BTreeMap<String, (u64, Verdict)> {
    let clean = report
        .clean
        .iter()
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    let seeded = report
        .seeded
        .iter()
        .filter(|i| i.checker != Checker::Stress)
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    let generated = report
        .generated_seeded
        .iter()
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    clean.chain(seeded).chain(generated).collect()
}

fn coverage_sum(reports: &[&CampaignReport]) -> BTreeMap<String, Coverage> {
    let mut sum: BTreeMap<String, Coverage> = BTreeMap::new();
    for report in reports {
        for (scenario, c) in &report.coverage {
            sum.entry(scenario.clone()).or_default().add(c);
        }
    }
    sum
}

/// Replays `file`; asserts that it reproduces a violation (exit 1) and returns what it said.
fn replay_reproduces(file: &str) -> String {
    let replayed = chunkcheck(&["replay", file]);
    let said = text(&replayed.stdout);
    assert_eq!(
        code(&replayed),
        EXIT_VIOLATION,
        "{said}{}",
        text(&replayed.stderr)
    );
    said
}
