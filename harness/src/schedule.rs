//! Shuttle schedules: recorded while a checker runs, persisted on failure, replayed later.
//!
//! Shuttle's own failure persistence is configured once per process (its panic hook keeps
//! the first configuration it sees), so the harness records schedules itself: a
//! [`ScheduleRecorder`] wraps any scheduler and keeps the steps of the current execution. A
//! failing execution's schedule travels encoded (the campaign keeps it in its failure
//! file); [`decode`] reads it back, and [`ScheduleReplayer`] runs it again for
//! [`crate::check::replay`], reporting how the replay ended as data.

use anyhow::{bail, Result};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use shuttle_engine::scheduler::data::random::RandomDataSource;
use shuttle_engine::scheduler::data::DataSource;
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use shuttle_engine::scheduler::ScheduleStep;
use std::sync::{Arc, Mutex, MutexGuard};

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

/// Decodes an encoded shuttle schedule.
///
/// # Errors
/// When the encoded schedule is malformed.
pub fn decode(encoded: &str) -> Result<Schedule> {
    let text = encoded.to_string();
    // Shuttle's decoder indexes into the bytes without checking: a truncated schedule
    // panics inside it, which must become an error here, not a crash.
    let decoded = std::panic::catch_unwind(move || deserialize_schedule(&text));
    match decoded {
        Ok(Some(schedule)) => Ok(schedule),
        Ok(None) | Err(_) => bail!("the schedule is not a valid shuttle schedule"),
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn malformed_schedules_are_errors_not_crashes() {
        for bad in ["", "zz-not-a-schedule", "91"] {
            assert!(decode(bad).is_err(), "{bad:?} decoded");
        }
    }
}
