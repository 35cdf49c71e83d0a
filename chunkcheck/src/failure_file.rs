//! The one file a failure is kept in, for scenarios and generated programs alike: what ran
//! (a scenario of the catalogue, or a program), under which checker, setup and budget, what
//! it failed with, and the schedule that shows it. `chunkcheck replay FILE` runs it again.

use crate::failures::shell_quote;
use crate::INVOCATION;
use anyhow::{bail, Context, Result};
use harness::catalogue::Catalogue;
use harness::check::{self, Budget, Cause, Checker, Failure, RunOptions};
use harness::program::{check_program, replay_program, Program};
use harness::world::Setup;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `format` of a failure file this build writes and reads.
pub const FAILURE_FORMAT: &str = "chunk-store-harness failure v1";

/// What failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A scenario of the catalogue, by name.
    Scenario(String),
    /// A generated program (minimized).
    Program(Program),
}

/// A failure as saved for `chunkcheck replay`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureFile {
    /// [`FAILURE_FORMAT`].
    pub format: String,
    /// What failed.
    pub target: Target,
    /// The checker that found it.
    pub checker: Checker,
    /// Seeded bugs, lock layout, lock-order check and fault budget it ran with.
    pub setup: Setup,
    /// The checker's budget (seed, schedules, PCT depth, preemption bound).
    pub budget: Budget,
    /// What it failed with.
    pub cause: Cause,
    /// The failure's first line.
    pub headline: String,
    /// The harness version that found it.
    pub harness: String,
    /// shuttle: the failing schedule, replayed exactly; loom, on a scenario: the position of
    /// loom's search its replay resumes from (without faults). Without one, replay runs the
    /// same search again: deterministic for loom and shuttle, not for stress, which runs
    /// real threads again.
    pub schedule: Option<String>,
}

impl FailureFile {
    /// A file for `failure` of `target`, found by `checker` with `setup` and `budget`.
    pub fn new(
        target: Target,
        checker: Checker,
        setup: Setup,
        budget: Budget,
        failure: &Failure,
    ) -> Self {
        Self {
            format: FAILURE_FORMAT.to_string(),
            target,
            checker,
            setup,
            budget,
            cause: failure.cause,
            headline: failure.headline().to_string(),
            harness: env!("CARGO_PKG_VERSION").to_string(),
            schedule: failure.schedule.clone(),
        }
    }

    /// Writes it as `<dir>/<stem>.failure.json` (the directory created if needed).
    ///
    /// # Errors
    /// When the directory or file cannot be written.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{stem}.failure.json"));
        let json = serde_json::to_string_pretty(self).context("encoding a failure file")?;
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Saves it (see [`FailureFile::save`]) and returns its path and the command that
    /// replays it, quoted for a shell; when it cannot be saved, no path and why.
    pub fn keep(&self, dir: &Path, stem: &str) -> (Option<String>, String) {
        match self.save(dir, stem) {
            Ok(path) => {
                let path = path.display().to_string();
                let command = format!("{INVOCATION} replay {}", shell_quote(&path));
                (Some(path), command)
            }
            Err(e) => (None, format!("(the failure file was not saved: {e:#})")),
        }
    }

    /// Reads a file written by [`FailureFile::save`].
    ///
    /// # Errors
    /// When the file cannot be read, is not a failure file, or is of another format.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: Self = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a failure file", path.display()))?;
        if file.format != FAILURE_FORMAT {
            bail!(
                "{}: failure file format {:?}, expected {FAILURE_FORMAT:?}",
                path.display(),
                file.format
            );
        }
        Ok(file)
    }

    /// Whether replay follows the recorded schedule (or loom's recorded position) rather
    /// than running the same search again.
    pub fn replays_schedule(&self) -> bool {
        let loom = self.checker == Checker::Loom;
        self.schedule.is_some()
            && match &self.target {
                Target::Scenario(_) => !loom || self.setup.faults == 0,
                Target::Program(_) => !loom,
            }
    }

    /// What ran, for messages: the scenario's name, or `generated program`.
    pub fn what(&self) -> &str {
        match &self.target {
            Target::Scenario(name) => name,
            Target::Program(_) => "generated program",
        }
    }

    /// Runs it again: its recorded schedule, when it has one, else the same search. Returns
    /// the failure the run ran into, if any.
    ///
    /// # Errors
    /// A scenario `catalogue` lacks; a schedule that does not fit what it names (another
    /// scenario, program or setup, or changed code).
    pub fn replay(&self, catalogue: &Catalogue, quiet: bool) -> Result<Option<Failure>> {
        let (setup, budget, checker) = (self.setup, self.budget, self.checker);
        let options = RunOptions {
            faults: setup.faults > 0,
            ..RunOptions::default()
        };
        // loom's checkpoint holds the schedule, not the fault choice: with faults, the same
        // search runs again from the start and finds it (see `replays_schedule`).
        let schedule = self.schedule.as_deref().filter(|_| self.replays_schedule());
        let run = || match (&self.target, schedule) {
            (Target::Program(program), Some(encoded)) => replay_program(program, setup, encoded),
            (Target::Program(program), None) => {
                let report = check_program(program, setup, checker, &budget, &options);
                Ok(report.report.failure)
            }
            (Target::Scenario(name), schedule) => {
                let scenario = catalogue
                    .find(name)
                    .with_context(|| format!("unknown scenario {name:?}"))?;
                let entry = scenario.entry(checker);
                match (checker, schedule) {
                    (Checker::Loom, Some(position)) => {
                        check::replay_loom(position, &budget, move || entry(setup))
                    }
                    (_, Some(encoded)) => check::replay(encoded, move || entry(setup)),
                    (_, None) => {
                        let report =
                            check::run_with(checker, &budget, &options, move || entry(setup));
                        Ok(report.failure)
                    }
                }
            }
        };
        crate::quiet::silenced_if(quiet, run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::oracle::Property;
    use store::SeededBug;

    fn file() -> FailureFile {
        let failure = Failure {
            cause: Cause::Violation(Property::P3),
            message: "P3 violated: something\nevent trail (oldest first):".to_string(),
            schedule: Some("91021a".to_string()),
            steps: Some(3),
        };
        let budget = Budget {
            preemption_bound: 2,
            max_branches: 10,
            schedules: 5,
            pct_depth: 3,
            seed: 7,
        };
        let setup = Setup::with_bug(SeededBug::InsertSkipsTouch);
        let target = Target::Scenario("fs-insert-vs-sweep".to_string());
        FailureFile::new(target, Checker::Pct, setup, budget, &failure)
    }

    #[test]
    fn a_failure_file_reads_back_what_was_saved() {
        let dir = tempfile::tempdir().expect("temp dir");
        let saved = file();
        let path = saved.save(dir.path(), "x").expect("saved");
        assert_eq!(FailureFile::load(&path).expect("loads"), saved);
        let text = std::fs::read_to_string(&path).expect("written");
        for named in [
            "\"shuttle-pct\"",
            "\"insert-skips-touch\"",
            "\"P3 violated\"",
        ] {
            assert!(text.contains(named), "{named} in\n{text}");
        }
    }

    #[test]
    fn foreign_and_other_format_files_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let foreign = dir.path().join("foreign.failure.json");
        std::fs::write(&foreign, "hello\n").expect("write");
        let err = FailureFile::load(&foreign).expect_err("not JSON");
        assert!(
            format!("{err:#}").contains("is not a failure file"),
            "{err:#}"
        );
        let mut old = file();
        old.format = "chunk-store-harness failure v0".to_string();
        let path = old.save(dir.path(), "old").expect("saved");
        let err = FailureFile::load(&path).expect_err("another format");
        assert!(format!("{err:#}").contains("expected"), "{err:#}");
    }
}
