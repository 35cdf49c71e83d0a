//! `chunkcheck replay FILE`: re-runs a persisted failing shuttle schedule.
//!
//! The file's header names the scenario, checker, seeded bugs and lock-order setting the
//! campaign ran with (see [`harness::schedule::save`]); replay rebuilds that setup and runs the
//! schedule once under shuttle's replay scheduler.

use crate::bug_names;
use harness::catalogue::Catalogue;
use harness::check::{self, Checker, Failure};
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
    if checker == Checker::Loom {
        return Err(format!(
            "{shown}: loom failures are re-run, not replayed (use the printed check command)"
        ));
    }
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
    let setup = Setup {
        bugs,
        unchecked_lock_order,
        granularity,
        ..Setup::default()
    };
    let entry = scenario.shuttle;
    let go = || check::replay(&file.schedule, move || entry(setup));
    let result = if quiet {
        crate::quiet::silenced(go)
    } else {
        go()
    };
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
