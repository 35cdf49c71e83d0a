//! Shuttle schedules: recorded while a checker runs, persisted on failure, replayed later.
//!
//! Shuttle's own failure persistence is configured once per process (its panic hook keeps
//! the first configuration it sees), so the harness records schedules itself: a
//! [`Recorder`] wraps any scheduler and keeps the steps of the current execution. A failing
//! execution's schedule is written to a file with a header naming the scenario, checker and
//! seeded bugs; [`load`] reads it back for [`crate::check::replay`].

use anyhow::{bail, Context, Result};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The header line that starts every schedule file.
pub const HEADER: &str = "# chunk-store-harness shuttle schedule v1";

/// A scheduler that records the schedule of the execution it is running.
pub struct Recorder<S> {
    inner: S,
    current: Arc<Mutex<Schedule>>,
}

/// Read access to what a [`Recorder`] recorded.
#[derive(Clone)]
pub struct Recording(Arc<Mutex<Schedule>>);

impl Recording {
    fn lock(&self) -> MutexGuard<'_, Schedule> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The schedule of the last (or current) execution, encoded.
    pub fn encoded(&self) -> String {
        serialize_schedule(&self.lock())
    }

    /// Number of scheduling steps of the last execution.
    pub fn steps(&self) -> usize {
        self.lock().len()
    }
}

impl<S: Scheduler> Recorder<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> (Self, Recording) {
        let current = Arc::new(Mutex::new(Schedule::new(0)));
        (
            Self {
                inner,
                current: current.clone(),
            },
            Recording(current),
        )
    }

    fn current(&self) -> MutexGuard<'_, Schedule> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: Scheduler> Scheduler for Recorder<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let schedule = self.inner.new_execution()?;
        *self.current() = Schedule::new(schedule.seed);
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable_tasks: &[&Task],
        current_task: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let task = self
            .inner
            .next_task(runnable_tasks, current_task, is_yielding)?;
        self.current().push_task(task);
        Some(task)
    }

    fn next_u64(&mut self) -> u64 {
        self.current().push_random();
        self.inner.next_u64()
    }
}

/// What a schedule file says about the run it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleFile {
    /// `key=value` pairs of the header (scenario, checker, bugs, ...).
    pub meta: Vec<(String, String)>,
    /// The encoded shuttle schedule.
    pub schedule: String,
}

impl ScheduleFile {
    /// The value of a header key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded schedule.
    ///
    /// # Errors
    /// When the encoded schedule is malformed.
    pub fn decode(&self) -> Result<Schedule> {
        let text = self.schedule.clone();
        // Shuttle's decoder indexes into the bytes without checking: a truncated schedule
        // panics inside it, which must become an error here, not a crash.
        let decoded = std::panic::catch_unwind(move || deserialize_schedule(&text));
        match decoded {
            Ok(Some(schedule)) => Ok(schedule),
            Ok(None) | Err(_) => bail!("the schedule is not a valid shuttle schedule"),
        }
    }
}

/// Writes a schedule file into `dir` (created if needed) and returns its path.
///
/// # Errors
/// When the directory or file cannot be written.
pub fn save(dir: &Path, stem: &str, meta: &[(&str, String)], encoded: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{stem}.schedule"));
    let mut text = format!("{HEADER}\n");
    for (key, value) in meta {
        text.push_str(&format!("{key}={value}\n"));
    }
    text.push_str(encoded);
    text.push('\n');
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Reads a schedule file written by [`save`].
///
/// # Errors
/// When the file cannot be read, lacks the header, or its schedule does not decode.
pub fn load(path: &Path) -> Result<ScheduleFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        bail!(
            "{} is not a schedule file of this harness (missing header)",
            path.display()
        );
    }
    let mut meta = Vec::new();
    let mut lines_of_schedule = Vec::new();
    for line in lines {
        match line.split_once('=') {
            Some((key, value))
                if !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                meta.push((key.to_string(), value.to_string()))
            }
            Some(_) => bail!("{}: unexpected line {line:?}", path.display()),
            // Shuttle wraps an encoded schedule over several lines of hex.
            None if !line.trim().is_empty() => lines_of_schedule.push(line.trim()),
            None => {}
        }
    }
    if lines_of_schedule.is_empty() {
        bail!("{}: no schedule in the file", path.display());
    }
    let schedule = lines_of_schedule.join("\n");
    let file = ScheduleFile { meta, schedule };
    file.decode()
        .with_context(|| format!("{} is corrupt", path.display()))?;
    Ok(file)
}
