//! Replaying one recorded shuttle schedule.

use super::{shuttle_config, Cause, Failure};
use crate::execution::ExecutionLog;
use crate::schedule::{decode, ReplayEnd, ScheduleReplayer};
use shuttle::Runner;
use std::panic::{catch_unwind, AssertUnwindSafe};
use store::platform::panic_message;

/// Replays an encoded shuttle schedule once; `Some` with the failure it reproduces, `None`
/// when the program runs the whole schedule (and possibly wants more) without failing.
///
/// # Errors
/// When `encoded` is not a valid schedule, or when it does not fit the program (the
/// program asks for a step the schedule does not have: a schedule of another scenario or
/// setup, or of an older build).
pub fn replay<F>(encoded: &str, f: F) -> anyhow::Result<Option<Failure>>
where
    F: Fn() + Send + Sync + 'static,
{
    let decoded = decode(encoded)?;
    let steps = decoded.len();
    let (replayer, end) = ScheduleReplayer::new(decoded);
    let log = ExecutionLog::new();
    let _installed = log.install();
    let runner = Runner::new(replayer, shuttle_config(None));
    let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(log.executions(f))));
    let end = end.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let ReplayEnd::Diverged(reason) = end {
        anyhow::bail!(
            "the schedule does not fit this program ({reason}): another scenario or setup, \
             or changed code"
        );
    }
    Ok(outcome.err().map(|payload| Failure {
        cause: Cause::of(&log),
        message: panic_message(&*payload),
        schedule: Some(encoded.to_string()),
        steps: Some(steps),
    }))
}
