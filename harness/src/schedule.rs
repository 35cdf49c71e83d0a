//! Shuttle schedules: recorded while a checker runs, persisted on failure, replayed later.
//!
//! Shuttle's own failure persistence is configured once per process (its panic hook keeps
//! the first configuration it sees), so the harness records schedules itself: a
//! [`ScheduleRecorder`] wraps any scheduler and keeps the steps of the current execution. A failing
//! execution's schedule is written to a file with a header naming the scenario, checker and
//! seeded bugs; [`load`] reads it back, and [`ScheduleReplayer`] runs it again for
//! [`crate::check::replay`], reporting how the replay ended as data.

use anyhow::{bail, Context, Result};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use shuttle_engine::scheduler::data::random::RandomDataSource;
use shuttle_engine::scheduler::data::DataSource;
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use shuttle_engine::scheduler::ScheduleStep;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The header line that starts every schedule file.
pub const HEADER: &str = "# chunk-store-harness schedule v2";

/// A scheduler that records the schedule of the execution it is running.
pub struct ScheduleRecorder<S> {
    inner: S,
    current: Arc<Mutex<Schedule>>,
}

/// Read access to what a [`ScheduleRecorder`] recorded.
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

impl<S: Scheduler> ScheduleRecorder<S> {
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

impl<S: Scheduler> Scheduler for ScheduleRecorder<S> {
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

/// How a replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayEnd {
    /// The program has not asked past the schedule, nor left it.
    Followed,
    /// The program wanted to go on after the schedule's last step.
    Exhausted,
    /// The program asked for a step the schedule does not have here (a schedule of another
    /// scenario or setup, or of older code); the reason says which.
    Diverged(String),
}

/// A scheduler that runs one execution along a recorded schedule and reports how the
/// schedule fitted the program as a [`ReplayEnd`], instead of panicking as shuttle's own
/// replay scheduler does.
pub struct ScheduleReplayer {
    schedule: Schedule,
    next: usize,
    started: bool,
    data: RandomDataSource,
    end: Arc<Mutex<ReplayEnd>>,
}

impl ScheduleReplayer {
    /// A replayer of `schedule`, and where it reports how the replay ended.
    pub fn new(schedule: Schedule) -> (Self, Arc<Mutex<ReplayEnd>>) {
        let end = Arc::new(Mutex::new(ReplayEnd::Followed));
        let replayer = Self {
            data: RandomDataSource::initialize(schedule.seed),
            schedule,
            next: 0,
            started: false,
            end: end.clone(),
        };
        (replayer, end)
    }

    fn end(&self, end: ReplayEnd) {
        let mut slot = self.end.lock().unwrap_or_else(|e| e.into_inner());
        if *slot == ReplayEnd::Followed {
            *slot = end;
        }
    }
}

impl Scheduler for ScheduleReplayer {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        Some(Schedule::new(self.data.reinitialize()))
    }

    fn next_task(
        &mut self,
        runnable_tasks: &[&Task],
        _current_task: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        match self.schedule.steps.get(self.next) {
            None => self.end(ReplayEnd::Exhausted),
            Some(ScheduleStep::Random) => self.end(ReplayEnd::Diverged(format!(
                "step {} is a random choice, the program switches tasks",
                self.next
            ))),
            Some(ScheduleStep::Task(task)) => {
                if runnable_tasks.iter().any(|t| t.id() == *task) {
                    self.next += 1;
                    return Some(*task);
                }
                self.end(ReplayEnd::Diverged(format!(
                    "step {} runs {task:?}, which is not runnable",
                    self.next
                )));
            }
        }
        None
    }

    fn next_u64(&mut self) -> u64 {
        match self.schedule.steps.get(self.next) {
            Some(ScheduleStep::Random) => self.next += 1,
            _ => self.end(ReplayEnd::Diverged(format!(
                "step {} is no random choice, the program makes one",
                self.next
            ))),
        }
        self.data.next_u64()
    }
}

/// What a schedule file says about the run it came from.
///
/// The body is a shuttle schedule, or, when the header says `checker=loom`, the position of
/// loom's search that [`crate::check::replay_loom`] resumes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleFile {
    /// `key=value` pairs of the header (scenario, checker, bugs, ...).
    pub meta: Vec<(String, String)>,
    /// The encoded shuttle schedule, or loom's search position.
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
    // A loom position is checked when it is resumed (loom reads it itself).
    if file.get("checker") != Some("loom") {
        file.decode()
            .with_context(|| format!("{} is corrupt", path.display()))?;
    }
    Ok(file)
}
