//! What the campaign keeps of a failure: its message, its schedule on disk, the command that
//! replays it and, with `--minimize`, the smallest setting that still fails.

use crate::report::{FailureRecord, Minimized};
use crate::run::Attempt;
use crate::{bug_names, Settings, INVOCATION};
use harness::check::{Checker, Failure};
use harness::schedule;
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
        verdict: failure.verdict(),
        property: failure.property().map(|p| p.to_string()),
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
/// (its checkpoint) from which replay resumes. Either is written to a schedule file whose
/// header names the setup, and replayed with `chunkcheck replay FILE`.
fn persist(
    settings: &Settings,
    attempt: &Attempt,
    failure: &Failure,
    suffix: &str,
) -> (Option<String>, String) {
    let loom = attempt.checker == Checker::Loom;
    let Some(encoded) = &failure.schedule else {
        return (None, format!("({} recorded no schedule)", attempt.checker));
    };
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
    let mut meta = vec![
        ("scenario", attempt.scenario.name.to_string()),
        ("checker", attempt.checker.to_string()),
        ("bugs", bugs.join(",")),
        (
            "unchecked_lock_order",
            attempt.setup.unchecked_lock_order.to_string(),
        ),
        ("lock", attempt.setup.granularity.to_string()),
        ("faults", attempt.setup.faults.to_string()),
    ];
    if loom {
        meta.push((
            "preemption_bound",
            attempt.budget.preemption_bound.to_string(),
        ));
        meta.push(("max_branches", attempt.budget.max_branches.to_string()));
    } else {
        meta.push(("seed", attempt.budget.seed.to_string()));
        meta.push(("pct_depth", attempt.budget.pct_depth.to_string()));
    }
    meta.extend([
        ("verdict", failure.verdict()),
        ("headline", failure.headline().to_string()),
        ("harness", env!("CARGO_PKG_VERSION").to_string()),
    ]);
    match schedule::save(&settings.failures, &stem, &meta, encoded) {
        Ok(path) => {
            let path = path.display().to_string();
            let command = format!("{INVOCATION} replay {}", shell_quote(&path));
            (Some(path), command)
        }
        Err(e) => (None, format!("(schedule not saved: {e:#})")),
    }
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
    let (knob, from) = match attempt.checker {
        Checker::Pct => ("pct_depth", attempt.budget.pct_depth),
        Checker::Loom => ("preemption_bound", attempt.budget.preemption_bound),
        Checker::Random | Checker::Urw | Checker::Stress => return None,
    };
    let mut best: Option<(usize, Attempt, Failure)> = None;
    let lowest = if attempt.checker == Checker::Pct {
        1
    } else {
        0
    };
    for value in (lowest..from).rev() {
        let mut smaller = *attempt;
        match attempt.checker {
            Checker::Pct => smaller.budget.pct_depth = value,
            _ => smaller.budget.preemption_bound = value,
        }
        let found = smaller.run().failure;
        match found {
            Some(f) => best = Some((value, smaller, f)),
            // loom explores every schedule within a bound, so a bound that passes means
            // every smaller one passes too; PCT samples, so keep trying smaller depths.
            None if attempt.checker == Checker::Loom => break,
            None => {}
        }
    }
    let Some((to, smaller, found)) = best else {
        return Some(Minimized {
            knob: knob.to_string(),
            from,
            to: from,
            verdict: failure.verdict(),
            steps: failure.steps,
            schedule_file: original.0.clone(),
            replay: original.1.clone(),
        });
    };
    // A loom file's name carries its bound already.
    let suffix = match attempt.checker {
        Checker::Pct => format!("-depth{to}"),
        _ => String::new(),
    };
    let (schedule_file, replay) = persist(settings, &smaller, &found, &suffix);
    Some(Minimized {
        knob: knob.to_string(),
        from,
        to,
        verdict: found.verdict(),
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
        assert_eq!(shell_quote("target/x-1.schedule"), "target/x-1.schedule");
        assert_eq!(shell_quote("my dir/x"), "'my dir/x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
