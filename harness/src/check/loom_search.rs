//! The loom driver: an exhaustive search within a preemption bound, and its replay from the
//! checkpoint loom keeps of the search's position.
//!
//! Loom's search is deterministic, so a failure can always be found again by searching from
//! the start; a checkpoint makes that cheap. With [`RunOptions::loom_checkpoint`] set, loom
//! writes the position of its search to the file every [`LOOM_CHECK_INTERVAL`] executions;
//! a failure then carries the last position written ([`FROM_START`] when it came before the
//! first write), and [`replay_loom`] resumes the search there, reaching the failing execution
//! again within that many executions.

use super::{Budget, Cause, Failure, RunOptions};
use crate::execution::ExecutionLog;
use crate::faults::FaultChoice;
use anyhow::{bail, Context};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use store::platform::panic_message;

/// How many executions loom runs between two looks at its time limit, and between two
/// writes of its checkpoint.
pub const LOOM_CHECK_INTERVAL: usize = 1_000;

/// The checkpoint of a failure found before loom wrote its first one: search from the start.
pub const FROM_START: &str = "start";

/// A builder within `budget`.
fn builder(budget: &Budget) -> ::loom::model::Builder {
    let mut builder = ::loom::model::Builder::new();
    builder.preemption_bound = Some(budget.preemption_bound);
    builder.max_branches = budget.max_branches;
    builder.checkpoint_interval = LOOM_CHECK_INTERVAL;
    builder
}

/// Runs the search; the failure it finds, with the checkpoint's content as its schedule.
pub(super) fn run<F: Fn() + Send + Sync + 'static>(
    budget: &Budget,
    options: &RunOptions,
    log: &ExecutionLog,
    f: F,
) -> Option<Failure> {
    let mut builder = builder(budget);
    builder.max_duration = options.max_time;
    builder.checkpoint_file = options.loom_checkpoint.clone();
    if let Some(path) = &options.loom_checkpoint {
        // A stale file would make loom resume someone else's search.
        let _ = std::fs::remove_file(path);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| builder.check(f)));
    let checkpoint = options.loom_checkpoint.as_deref();
    let schedule = checkpoint
        .map(|path| std::fs::read_to_string(path).unwrap_or_else(|_| FROM_START.to_string()));
    if let Some(path) = checkpoint {
        let _ = std::fs::remove_file(path);
    }
    outcome.err().map(|payload| Failure {
        cause: Cause::of(log),
        message: panic_message(&*payload),
        schedule,
        steps: None,
    })
}

/// Runs the search once per fault choice: operation `op` (counted over the actors'
/// threads) gets the `kind`-th fault of its site, for every op that some execution reaches
/// and every kind some execution's site there has. Every execution runs fault-free up to
/// operation `op`, so the search with kind 0 reaches every site the other kinds' searches
/// reach there: a kind beyond all of them would repeat the fault-free search, and is
/// skipped. A program that plans its faults runs one search: its plan chooses, and no
/// execution reaches a choice of the loop's. loom explores schedules, not data, so the
/// choice is enumerated here; the failure names the choice that found it.
pub(super) fn run_with_faults<F: Fn() + Send + Sync + 'static>(
    budget: &Budget,
    options: &RunOptions,
    log: &ExecutionLog,
    f: F,
) -> Option<Failure> {
    let f = std::sync::Arc::new(f);
    let started = std::time::Instant::now();
    for op in 0.. {
        // Known once the search with kind 0 ran.
        let mut kinds = 1;
        let mut kind = 0;
        while kind < kinds {
            let mut options = options.clone();
            options.max_time = match options.max_time {
                Some(limit) => Some(
                    limit
                        .checked_sub(started.elapsed())
                        .filter(|left| !left.is_zero())?,
                ),
                None => None,
            };
            log.set_fault_choice(FaultChoice::Nth { op, kind });
            let body = f.clone();
            if let Some(mut failure) = run(budget, &options, log, move || body()) {
                if !log.had_planned_faults() {
                    failure.message = format!(
                        "{} (loom fault choice: operation {op} of the actors, fault {kind} of its site)",
                        failure.message
                    );
                }
                return Some(failure);
            }
            if kind == 0 {
                kinds = log.fault_kinds_at_point();
                if kinds == 0 {
                    // No execution has an operation `op`: nor any later one.
                    return None;
                }
            }
            kind += 1;
        }
    }
    None
}

/// Whether `text` looks like the search position loom writes (loom itself panics on a
/// malformed one while loading it).
fn check_checkpoint(text: &str) -> anyhow::Result<()> {
    let value: serde_json::Value =
        serde_json::from_str(text).context("the loom checkpoint is not JSON")?;
    let fields = ["preemption_bound", "pos", "branches", "exploring"];
    match value.as_object() {
        Some(object) if fields.iter().all(|f| object.contains_key(*f)) => Ok(()),
        _ => bail!("the loom checkpoint lacks the fields of a search position"),
    }
}

/// Resumes the loom search at `checkpoint` (what a failing run's [`Failure::schedule`] holds)
/// within `budget`, for at most about twice [`LOOM_CHECK_INTERVAL`] executions; `Some` with
/// the failure it runs into, `None` when it finds none there.
///
/// # Errors
/// When `checkpoint` is not a loom search position, or loom cannot load it.
pub fn replay_loom<F>(checkpoint: &str, budget: &Budget, f: F) -> anyhow::Result<Option<Failure>>
where
    F: Fn() + Send + Sync + 'static,
{
    let dir = tempfile::tempdir().context("creating a directory for the loom checkpoint")?;
    let path = dir.path().join("checkpoint.json");
    if checkpoint.trim() != FROM_START {
        check_checkpoint(checkpoint)?;
        std::fs::write(&path, checkpoint).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut builder = builder(budget);
    builder.checkpoint_file = Some(path);
    // Looked at every LOOM_CHECK_INTERVAL executions: the search stops at the second look.
    builder.max_permutations = Some(LOOM_CHECK_INTERVAL + 1);
    let log = ExecutionLog::new();
    let _installed = log.install();
    let outcome = catch_unwind(AssertUnwindSafe(|| builder.check(log.executions(f))));
    let Err(payload) = outcome else {
        return Ok(None);
    };
    if log.executions_begun() == 0 {
        bail!(
            "loom could not resume from the checkpoint: {}",
            panic_message(&*payload)
        );
    }
    Ok(Some(Failure {
        cause: Cause::of(&log),
        message: panic_message(&*payload),
        schedule: Some(checkpoint.to_string()),
        steps: None,
    }))
}

/// A fresh path in the system's temporary directory for a run's checkpoint (unique per
/// process and call; [`RunOptions::loom_checkpoint`] removes it when the run ends).
pub fn checkpoint_path() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("loom-search-{}-{n}.json", std::process::id()))
}
