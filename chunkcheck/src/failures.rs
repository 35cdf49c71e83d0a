//! What the campaign keeps of a failure: its message, its schedule on disk, the command that
//! replays it and, with `--minimize`, the smallest setting that still fails.

use crate::failure_file::{FailureFile, Target};
use crate::report::{FailureRecord, Minimized};
use crate::run::Attempt;
use crate::shrink::{smallest_failing, Knob, Shrunk};
use crate::{bug_names, Settings};
use harness::check::{Budget, Checker, Failure};
use store::LockGranularity;

/// Records `failure`, found by `attempt`: persists its schedule (shuttle), builds its replay
/// command and, when `settings.minimize`, looks for a smaller failing setting.
pub(super) fn record(settings: &Settings, attempt: &Attempt, failure: &Failure) -> FailureRecord {
    let (schedule_file, replay) = persist(settings, attempt, failure, "");
    let minimized = if settings.minimize {
        minimize(settings, attempt, failure, (&schedule_file, &replay))
    } else {
        None
    };
    let shuttle = attempt.checker != Checker::Loom;
    FailureRecord {
        cause: failure.cause,
        headline: failure.headline().to_string(),
        message: failure.message.clone(),
        seed: shuttle.then_some(attempt.budget.seed),
        batch_schedules: shuttle.then_some(attempt.budget.schedules),
        pct_depth: (attempt.checker == Checker::Pct).then_some(attempt.budget.pct_depth),
        preemption_bound: (!shuttle).then_some(attempt.budget.preemption_bound),
        steps: failure.steps,
        schedule_file,
        replay,
        minimized,
    }
}

/// Where the schedule went (if anywhere) and the command that reproduces the failure.
///
/// A shuttle failure keeps its schedule; a loom failure keeps the position of loom's search
/// (its checkpoint) from which replay resumes. Either goes into a [`FailureFile`] with the
/// scenario, checker, setup and budget, replayed with `chunkcheck replay FILE`.
fn persist(
    settings: &Settings,
    attempt: &Attempt,
    failure: &Failure,
    suffix: &str,
) -> (Option<String>, String) {
    let loom = attempt.checker == Checker::Loom;
    let bugs = bug_names(attempt.setup.bugs);
    let lock = match attempt.setup.granularity {
        LockGranularity::Single => String::new(),
        sharded => format!("-{}", sharded.to_string().replace(':', "")),
    };
    let search = match loom {
        true => format!("bound{}", attempt.budget.preemption_bound),
        false => format!("seed{:x}", attempt.budget.seed),
    };
    let stem = format!(
        "{}-{}-{}-{}{lock}-{search}{suffix}",
        attempt.phase,
        attempt.scenario.name,
        if bugs.is_empty() {
            "clean".to_string()
        } else {
            bugs.join("+")
        },
        attempt.checker,
    );
    let target = Target::Scenario(attempt.scenario.name.to_string());
    let file = FailureFile::new(
        target,
        attempt.checker,
        attempt.setup,
        attempt.budget,
        failure,
    );
    file.keep(&settings.failures, &stem)
}

/// Quotes `s` for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Re-runs `attempt` with smaller settings (PCT depth, or loom preemption bound) and returns
/// the smallest that still fails, with whatever verdict (the original one, persisted as
/// `original`, when no smaller one does).
fn minimize(
    settings: &Settings,
    attempt: &Attempt,
    failure: &Failure,
    original: (&Option<String>, &String),
) -> Option<Minimized> {
    let run = |budget: &Budget| {
        let smaller = Attempt {
            budget: *budget,
            ..*attempt
        };
        smaller.run().failure.map(|found| (smaller, found))
    };
    let knob = Knob::of(attempt.checker)?;
    let Some((shrunk, _, (smaller, found))) =
        smallest_failing(attempt.checker, &attempt.budget, run)
    else {
        let from = knob.get(&attempt.budget);
        return Some(Minimized {
            shrunk: Shrunk {
                knob,
                from,
                to: from,
            },
            cause: failure.cause,
            steps: failure.steps,
            schedule_file: original.0.clone(),
            replay: original.1.clone(),
        });
    };
    // A loom file's name carries its bound already.
    let suffix = match knob {
        Knob::PctDepth => format!("-depth{}", shrunk.to),
        Knob::PreemptionBound => String::new(),
    };
    let (schedule_file, replay) = persist(settings, &smaller, &found, &suffix);
    Some(Minimized {
        shrunk,
        cause: found.cause,
        steps: found.steps,
        schedule_file,
        replay,
    })
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(
            shell_quote("target/x-1.failure.json"),
            "target/x-1.failure.json"
        );
        assert_eq!(shell_quote("my dir/x"), "'my dir/x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
