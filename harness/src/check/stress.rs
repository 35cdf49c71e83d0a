//! The stress "checker": the scenario or program on real threads (the `Std` platform), run
//! again and again, as a user without a model checker would test it. It has no control over
//! the schedule, so it finds only what the operating system happens to interleave; the
//! campaign reports it next to loom and shuttle to show what model checking buys.

use super::failure::{Cause, Failure};
use crate::execution::ExecutionLog;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use store::platform::panic_message;

/// How long one run may take before it counts as hung. Real threads that deadlock never
/// finish, and no checker is there to see every thread blocked; a run is a few
/// milliseconds, so this bound only ever ends a hang.
pub const STRESS_HANG: Duration = Duration::from_secs(20);

/// Runs `f` up to `runs` times, each on a fresh thread with `log` installed, until one
/// fails, hangs, or `max_time` has passed.
pub(super) fn run<F>(
    runs: usize,
    max_time: Option<Duration>,
    log: &Arc<ExecutionLog>,
    f: F,
) -> Option<Failure>
where
    F: Fn() + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let started = Instant::now();
    for run in 1..=runs {
        if max_time.is_some_and(|limit| started.elapsed() >= limit) {
            return None;
        }
        let (done, finished) = mpsc::channel();
        let (body, installed) = (f.clone(), log.clone());
        std::thread::spawn(move || {
            let _installed = installed.install();
            let outcome = catch_unwind(AssertUnwindSafe(|| body()));
            // The driver may have given up on a hung run already.
            let _ = done.send(outcome.map_err(|payload| panic_message(&*payload)));
        });
        match finished.recv_timeout(STRESS_HANG) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                return Some(Failure {
                    cause: Cause::of(log),
                    message,
                    schedule: None,
                    steps: None,
                });
            }
            // The hung thread is left behind: it holds only its own run's datastore.
            Err(_) => {
                return Some(Failure {
                    cause: Cause::Deadlock,
                    message: format!(
                        "stress run {run} did not finish within {} s: its threads deadlocked",
                        STRESS_HANG.as_secs()
                    ),
                    schedule: None,
                    steps: None,
                });
            }
        }
    }
    None
}
