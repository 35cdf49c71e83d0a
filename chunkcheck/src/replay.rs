//! `chunkcheck replay FILE`: re-runs a persisted failure.
//!
//! The file's header names the scenario, checker, seeded bugs and lock-order setting the
//! campaign ran with (see [`harness::schedule::save`]); replay rebuilds that setup and runs
//! the schedule once under shuttle's replay scheduler or, for loom, resumes loom's search
//! from the checkpoint the file holds (within the recorded preemption bound).

use crate::bug_names;
use harness::catalogue::Catalogue;
use harness::check::{self, Budget, Checker, Failure};
use harness::schedule::{self, ScheduleFile};
use harness::world::Setup;
use std::path::Path;
use store::{Bugs, LockGranularity, SeededBug};

/// What replaying a schedule file showed.
#[derive(Debug)]
pub struct Replayed {
    /// The file as read.
    pub file: ScheduleFile,
    /// The scenario it names.
    pub scenario: &'static str,
    /// The checker that found it.
    pub checker: Checker,
    /// The setup rebuilt from its header.
    pub setup: Setup,
    /// The failure the replay ran into, if any.
    pub failure: Option<Failure>,
}

impl Replayed {
    /// The verdict recorded when the schedule was saved.
    pub fn recorded(&self) -> Option<&str> {
        self.file.get("verdict")
    }

    /// Whether the replay failed the way the recording says it did (or failed at all, for
    /// files without a recorded verdict).
    pub fn reproduced(&self) -> bool {
        match (&self.failure, self.recorded()) {
            (Some(f), Some(verdict)) => f.verdict() == verdict,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// What happened, for the terminal.
    pub fn describe(&self) -> String {
        let bugs = bug_names(self.setup.bugs);
        let context = format!(
            "{} under {} ({}, lock {})",
            self.scenario,
            self.checker,
            if bugs.is_empty() {
                "clean store".to_string()
            } else {
                format!("bugs: {}", bugs.join(","))
            },
            self.setup.granularity
        );
        match &self.failure {
            Some(f) if self.reproduced() => {
                format!("reproduced: {} in {context}\n{}\n", f.verdict(), f.message)
            }
            Some(f) => format!(
                "failed differently: {} in {context} (recorded: {})\n{}\n",
                f.verdict(),
                self.recorded().unwrap_or("?"),
                f.message
            ),
            None => format!(
                "not reproduced: {context} ran the schedule to the end without a failure \
                 (recorded: {})\n",
                self.recorded().unwrap_or("?")
            ),
        }
    }
}

fn parse_bugs(list: &str) -> Result<Bugs, String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .try_fold(Bugs::none(), |bugs, name| {
            Ok(bugs.with(name.parse::<SeededBug>()?))
        })
}

/// The loom budget a file's header records.
fn loom_budget(file: &ScheduleFile) -> Result<Budget, String> {
    let number = |key: &str, default: Option<usize>| match (file.get(key), default) {
        (Some(text), _) => {
            check::parse_count(text).ok_or_else(|| format!("{key}={text:?} is not a count"))
        }
        (None, Some(default)) => Ok(default),
        (None, None) => Err(format!("the header has no {key}=")),
    };
    let defaults = Budget::try_from_env(0).map_err(|e| e.to_string())?;
    Ok(Budget {
        preemption_bound: number("preemption_bound", None)?,
        max_branches: number("max_branches", Some(check::DEFAULT_MAX_BRANCHES))?,
        ..defaults
    })
}

/// Reads the schedule file at `path` and replays it.
///
/// # Errors
/// One line, when the file is unreadable, foreign or corrupt, names a scenario, checker or
/// bug this build does not know, or holds a schedule that does not fit the scenario.
pub fn replay_file(catalogue: &Catalogue, path: &Path, quiet: bool) -> Result<Replayed, String> {
    let file = schedule::load(path).map_err(|e| format!("{e:#}"))?;
    let shown = path.display();
    let field = |key: &str| {
        file.get(key)
            .ok_or_else(|| format!("{shown}: the header has no {key}="))
    };
    let name = field("scenario")?;
    let scenario = catalogue
        .find(name)
        .ok_or_else(|| format!("{shown}: unknown scenario {name:?}"))?;
    let checker: Checker = field("checker")?
        .parse()
        .map_err(|e| format!("{shown}: {e}"))?;
    let bugs = parse_bugs(file.get("bugs").unwrap_or("")).map_err(|e| format!("{shown}: {e}"))?;
    let unchecked_lock_order = match file.get("unchecked_lock_order").unwrap_or("false") {
        "true" => true,
        "false" => false,
        other => {
            return Err(format!(
                "{shown}: unchecked_lock_order={other:?} is not a bool"
            ))
        }
    };
    let granularity: LockGranularity = file
        .get("lock")
        .unwrap_or("single")
        .parse()
        .map_err(|e| format!("{shown}: {e}"))?;
    let faults: u8 = file
        .get("faults")
        .unwrap_or("0")
        .parse()
        .map_err(|_| format!("{shown}: faults= is not a small number"))?;
    let setup = Setup {
        bugs,
        unchecked_lock_order,
        granularity,
        faults,
        ..Setup::default()
    };
    let entry = scenario.entry(checker);
    let go = || match checker {
        // loom's checkpoint holds the schedule, not the fault choice: with faults, the same
        // search runs again from the start (it is deterministic) and finds the failure.
        Checker::Loom if faults > 0 => {
            let budget = loom_budget(&file).map_err(|e| anyhow::anyhow!(e))?;
            let options = check::RunOptions {
                faults: true,
                ..check::RunOptions::default()
            };
            let report = check::run_with(checker, &budget, &options, move || entry(setup));
            Ok(report.failure)
        }
        Checker::Loom => {
            let budget = loom_budget(&file).map_err(|e| anyhow::anyhow!(e))?;
            check::replay_loom(&file.schedule, &budget, move || entry(setup))
        }
        _ => check::replay(&file.schedule, move || entry(setup)),
    };
    let result = crate::quiet::silenced_if(quiet, go);
    let failure = result.map_err(|e| format!("{shown}: {e:#}"))?;
    Ok(Replayed {
        scenario: scenario.name,
        checker,
        setup,
        failure,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bug_lists_parse_or_name_the_culprit() {
        assert_eq!(parse_bugs(""), Ok(Bugs::none()));
        let two = parse_bugs("insert-skips-touch,touch-without-mutex").expect("known bugs");
        assert!(two.has(SeededBug::InsertSkipsTouch) && two.has(SeededBug::TouchWithoutMutex));
        let err = parse_bugs("insert-skips-touch,nope").expect_err("unknown bug");
        assert!(err.contains("\"nope\""), "{err}");
    }
}
