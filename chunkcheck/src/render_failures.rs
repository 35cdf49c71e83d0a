//! Failures in full for the terminal: what broke, the event trail, how it was found and the
//! command that replays it.

use crate::report::{CampaignReport, FailureRecord};
use std::fmt::Write;

/// A failure, in full: what broke, the event trail, the schedule and how to replay it.
pub fn failure_details(title: &str, f: &FailureRecord) -> String {
    let mut out = format!("{title}: {}\n", f.cause);
    let mut how = Vec::new();
    if let Some(seed) = f.seed {
        how.push(format!("seed {seed:#x}"));
    }
    if let Some(n) = f.batch_schedules {
        how.push(format!("{n} schedules"));
    }
    if let Some(d) = f.pct_depth {
        how.push(format!("PCT depth {d}"));
    }
    if let Some(b) = f.preemption_bound {
        how.push(format!("loom preemption bound {b}"));
    }
    let _ = writeln!(out, "  found with: {}", how.join(", "));
    for line in f.message.lines() {
        let _ = writeln!(out, "    {line}");
    }
    if let Some(file) = &f.schedule_file {
        let steps = f.steps.map_or(String::new(), |s| format!(" ({s} steps)"));
        let _ = writeln!(out, "  schedule: {file}{steps}");
    }
    let _ = writeln!(out, "  replay: {}", f.replay);
    if let Some(m) = &f.minimized {
        let steps = m.steps.map_or(String::new(), |s| format!(", {s} steps"));
        let (knob, from, to) = (m.shrunk.knob, m.shrunk.from, m.shrunk.to);
        if to < from {
            let _ = writeln!(
                out,
                "  minimized: {knob} {to} still fails with {} (found at {from}{steps})",
                m.cause
            );
            let _ = writeln!(out, "  replay minimized: {}", m.replay);
        } else {
            let _ = writeln!(
                out,
                "  minimized: every smaller {knob} passes; {from} is the smallest that fails"
            );
        }
    }
    out
}

/// Every failure's details; with `seeded`, every seeded detection's too.
pub fn details(report: &CampaignReport, seeded: bool) -> String {
    let mut out = String::new();
    for item in &report.clean {
        if let Some(f) = &item.failure {
            let title = format!("VIOLATION in {} under {}", item.scenario, item.checker);
            out.push_str(&failure_details(&title, f));
            out.push('\n');
        }
    }
    for item in report
        .seeded
        .iter()
        .filter(|i| (seeded && i.trial == 0) || !i.caught)
    {
        if let Some(f) = &item.failure {
            let title = format!(
                "seeded {} in {} under {} ({})",
                item.bug, item.scenario, item.checker, item.verdict
            );
            out.push_str(&failure_details(&title, f));
            out.push('\n');
        }
    }
    out
}
