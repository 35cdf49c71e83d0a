//! `chunkcheck replay FILE`: re-runs a failure kept in a [`FailureFile`], a scenario's or a
//! generated program's, and says whether it failed the way the file says it did.

use crate::failure_file::{FailureFile, Target};
use harness::catalogue::Catalogue;
use harness::check::Failure;
use std::path::Path;

/// What replaying a failure file showed.
#[derive(Debug)]
pub struct Replayed {
    /// The file as read.
    pub file: FailureFile,
    /// The failure the replay ran into, if any.
    pub failure: Option<Failure>,
}

impl Replayed {
    /// Whether the replay failed the way the file records.
    pub fn reproduced(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.cause == self.file.cause)
    }

    /// What happened, for the terminal.
    pub fn describe(&self) -> String {
        let file = &self.file;
        let bugs: Vec<_> = file.setup.bugs.list().iter().map(|b| b.name()).collect();
        let store = match bugs.is_empty() {
            true => "clean store".to_string(),
            false => format!("bugs: {}", bugs.join(",")),
        };
        let how = match file.replays_schedule() {
            true => "its recorded schedule",
            false => "the same search",
        };
        let context = format!(
            "{} under {} with {how} ({store}, lock {})",
            file.what(),
            file.checker,
            file.setup.granularity
        );
        let program = match &file.target {
            Target::Program(program) => program.to_string(),
            Target::Scenario(_) => String::new(),
        };
        let recorded = file.cause;
        let outcome = match &self.failure {
            Some(f) if self.reproduced() => {
                format!("reproduced: {} in {context}\n{}\n", f.cause, f.message)
            }
            Some(f) => format!(
                "failed differently: {} in {context} (recorded: {recorded})\n{}\n",
                f.cause, f.message
            ),
            None => format!(
                "not reproduced: {context} ran to the end without a failure (recorded: \
                 {recorded})\n"
            ),
        };
        program + &outcome
    }
}

/// Reads the failure file at `path` and replays it.
///
/// # Errors
/// One line, when the file is unreadable, foreign or corrupt, names a scenario this build
/// does not know, or holds a schedule that does not fit what it names.
pub fn replay_file(catalogue: &Catalogue, path: &Path, quiet: bool) -> Result<Replayed, String> {
    let file = FailureFile::load(path).map_err(|e| format!("{e:#}"))?;
    let failure = file
        .replay(catalogue, quiet)
        .map_err(|e| format!("{}: {e:#}", path.display()))?;
    Ok(Replayed { file, failure })
}
