//! A [`CampaignReport`] as tables: plain text for the terminal, Markdown for `CHECKING.md`.

use crate::report::{
    CampaignReport, CoverageRecord, FailureRecord, SeededItem, EXIT_MISSED, EXIT_OK, EXIT_VIOLATION,
};
use crate::table::{count, per_sec, secs, Table};
use std::fmt::Write;

fn clean_table(report: &CampaignReport) -> Table {
    let mut t = Table::new(&[
        ("scenario", false),
        ("checker", false),
        ("items", true),
        ("schedules", true),
        ("wall", true),
        ("schedules/s", true),
        ("verdict", false),
    ]);
    for row in &report.matrix {
        t.rows.push(vec![
            row.scenario.clone(),
            row.checker.clone(),
            row.items.to_string(),
            count(row.schedules),
            secs(row.wall_secs),
            per_sec(row.schedules_per_sec),
            row.verdict.clone(),
        ]);
    }
    t
}

/// A seeded race's result under one checker: when it was caught and what the report named
/// (the broken property, or a deadlock).
fn seeded_cell(item: &SeededItem) -> String {
    if item.caught {
        let named = item
            .failure
            .as_ref()
            .and_then(|f| f.property.clone())
            .unwrap_or_else(|| "deadlock".to_string());
        format!(
            "caught @{}: {named} ({})",
            count(item.schedules),
            secs(item.wall_secs)
        )
    } else {
        format!(
            "{} after {}",
            item.verdict.to_uppercase(),
            count(item.schedules)
        )
    }
}

/// The seeded races: per bug, each checker's first detection in the bug's scenario, and,
/// when the generated phase hunted it too, the generated programs' (without being told
/// the scenario).
fn seeded_table(report: &CampaignReport) -> Table {
    let mut header = vec![("bug", false), ("scenario", false)];
    let checkers: Vec<&str> = report.config.checkers.iter().map(String::as_str).collect();
    header.extend(checkers.iter().map(|c| (*c, false)));
    let generated = !report.generated_seeded.is_empty();
    if generated {
        header.push(("generated programs", false));
    }
    let mut t = Table::new(&header);
    let mut bugs: Vec<(&str, &str)> = Vec::new();
    for item in &report.seeded {
        if !bugs.iter().any(|(b, _)| *b == item.bug) {
            bugs.push((&item.bug, &item.scenario));
        }
    }
    for (bug, scenario) in bugs {
        let mut row = vec![bug.to_string(), scenario.to_string()];
        for checker in &checkers {
            row.push(
                report
                    .seeded
                    .iter()
                    .find(|i| i.bug == bug && i.checker == *checker)
                    .map_or_else(|| "-".to_string(), seeded_cell),
            );
        }
        if generated {
            let hunt = report.generated_seeded.iter().find(|i| i.bug == bug);
            row.push(hunt.map_or_else(|| "-".to_string(), |i| i.verdict.clone()));
        }
        t.rows.push(row);
    }
    t
}

fn coverage_table(report: &CampaignReport) -> Table {
    let mut t = Table::new(&[
        ("scenario", false),
        ("removes", true),
        ("active writer", true),
        ("visible index", true),
        ("writer started in GC", true),
        ("reload in GC", true),
        ("objects deleted", true),
        ("GCs completed", true),
        ("GCs aborted", true),
    ]);
    // Plan order, not alphabetical.
    let mut names: Vec<&String> = Vec::new();
    for row in &report.matrix {
        if !names.contains(&&row.scenario) {
            names.push(&row.scenario);
        }
    }
    for name in names {
        let Some(c) = report.coverage.get(name) else {
            continue;
        };
        t.rows.push(vec![
            name.clone(),
            count(c.removes),
            count(c.with_active_writer),
            count(c.with_visible_index),
            count(c.writer_started_during_gc),
            count(c.reload_during_gc),
            count(c.objects_deleted),
            count(c.gcs_completed),
            count(c.gcs_aborted),
        ]);
    }
    t
}

/// Reads one coverage count.
type Column = fn(&CoverageRecord) -> u64;

/// Coverage columns no scenario reached: dangerous states the campaign never explores.
fn never_reached(report: &CampaignReport) -> Vec<&'static str> {
    let c = report.coverage.values();
    let columns: [(&'static str, Column); 6] = [
        ("remove with an active writer", |c| c.with_active_writer),
        ("remove with a visible index", |c| c.with_visible_index),
        ("writer started during GC", |c| c.writer_started_during_gc),
        ("reload during GC", |c| c.reload_during_gc),
        ("object deleted", |c| c.objects_deleted),
        ("GC aborted", |c| c.gcs_aborted),
    ];
    columns
        .into_iter()
        .filter(|(_, get)| c.clone().all(|c| get(c) == 0))
        .map(|(name, _)| name)
        .collect()
}

fn never_reached_line(report: &CampaignReport) -> Option<String> {
    let never = never_reached(report);
    (!never.is_empty()).then(|| format!("Never reached by any scenario: {}.", never.join(", ")))
}

/// The settings in one line.
fn settings_line(report: &CampaignReport) -> String {
    let c = &report.config;
    let bound = c
        .preemption_bound
        .map_or("per scenario".to_string(), |b| b.to_string());
    let mut line = format!(
        "seed {:#x}, {} shuttle schedules per scenario and scheduler (items of {}), PCT depth {}, \
         loom bound {bound}, lock {}, shard {}",
        c.seed,
        count(c.schedules as u64),
        count(c.batch_schedules as u64),
        c.pct_depth,
        c.lock,
        c.shard
    );
    if !c.bugs.is_empty() {
        line.push_str(&format!(", bugs on: {}", c.bugs.join(",")));
    }
    if let Some(t) = c.max_time_secs {
        line.push_str(&format!(", max {t}s per item"));
    }
    line
}

/// What the exit code means, in one line.
pub fn verdict_line(report: &CampaignReport) -> String {
    let failed = report.clean.iter().filter(|i| i.failure.is_some()).count();
    let caught = report.seeded.iter().filter(|i| i.caught).count();
    let word = match report.exit_code {
        EXIT_OK => "PASS",
        EXIT_VIOLATION => "FAIL (property violated)",
        EXIT_MISSED => "FAIL (seeded race missed)",
        _ => "FAIL (property violated, seeded race missed)",
    };
    let timeouts = report
        .clean
        .iter()
        .filter(|i| i.verdict == "timeout")
        .count()
        + report
            .seeded
            .iter()
            .filter(|i| i.verdict == "timeout")
            .count();
    let cut = match timeouts {
        0 => String::new(),
        n => format!(" ({n} items stopped at --max-time)"),
    };
    let generated = match &report.generated {
        Some(g) => format!(
            "; generated programs {}/{} passed",
            g.programs - g.failures.len() as u64,
            g.programs
        ),
        None => String::new(),
    };
    let generated_seeded = match report.generated_seeded.len() {
        0 => String::new(),
        n => format!(
            "; seeded bugs caught by generated programs {}/{n}",
            report.generated_seeded.iter().filter(|i| i.caught).count()
        ),
    };
    format!(
        "{word}: clean phase {}/{} items passed; seeded races {caught}/{} caught{generated}\
         {generated_seeded}{cut}; {:.1}s (exit {})",
        report.clean.len() - failed,
        report.clean.len(),
        report.seeded.len(),
        report.wall_secs,
        report.exit_code
    )
}

/// A failure, in full: what broke, the event trail, the schedule and how to replay it.
pub fn failure_details(title: &str, f: &FailureRecord) -> String {
    let mut out = format!("{title}: {}\n", f.verdict);
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
        let knob = m.knob.replace('_', " ");
        if m.to < m.from {
            let _ = writeln!(
                out,
                "  minimized: {knob} {} still fails with {} (found at {}{steps})",
                m.to, m.verdict, m.from
            );
            let _ = writeln!(out, "  replay minimized: {}", m.replay);
        } else {
            let _ = writeln!(
                out,
                "  minimized: every smaller {knob} passes; {} is the smallest that fails",
                m.from
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
    for item in report.seeded.iter().filter(|i| seeded || !i.caught) {
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

/// One replay command per seeded bug: its first shuttle detection.
fn seeded_replays(report: &CampaignReport) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for item in &report.seeded {
        if out.iter().any(|(bug, _)| *bug == item.bug) {
            continue;
        }
        if let Some(f) = item.failure.as_ref().filter(|f| f.schedule_file.is_some()) {
            out.push((item.bug.clone(), f.replay.clone()));
        }
    }
    out
}

/// The report for a terminal: tables, failures, replay commands, verdict.
pub fn text(report: &CampaignReport, verbose: bool) -> String {
    let t = &report.tool;
    let mut out = format!(
        "chunkcheck: harness {}, loom {}, shuttle {}\n{}\n",
        t.harness,
        t.loom,
        t.shuttle,
        settings_line(report)
    );
    let details = details(report, verbose);
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&details);
    }
    if !report.matrix.is_empty() {
        out.push_str("\nClean phase: scenario x checker\n");
        out.push_str(&clean_table(report).text());
    }
    if !report.seeded.is_empty() {
        out.push_str("\nSeeded races: schedules to first detection\n");
        out.push_str(&seeded_table(report).text());
        let replays = seeded_replays(report);
        if !replays.is_empty() {
            out.push_str("\nReplay a seeded detection:\n");
            for (bug, command) in replays {
                let _ = writeln!(out, "  {bug}: {command}");
            }
        }
    }
    if !report.coverage.is_empty() {
        out.push_str("\nCoverage: remove calls with each precondition at risk (clean phase)\n");
        out.push_str(&coverage_table(report).text());
        if let Some(line) = never_reached_line(report) {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push_str(&crate::render_generated::text(report));
    out.push('\n');
    out.push_str(&verdict_line(report));
    out.push('\n');
    out
}

/// The report as Markdown (`CHECKING.md`).
pub fn markdown(report: &CampaignReport) -> String {
    let t = &report.tool;
    let mut out = String::from("# Checking report\n\nGenerated by:\n\n```sh\n");
    let _ = writeln!(out, "{}\n```\n", report.command);
    let _ = writeln!(
        out,
        "harness {}, loom {}, shuttle {}, Rust >= {}.\n\nSettings: {}.\n\n**{}**\n",
        t.harness,
        t.loom,
        t.shuttle,
        t.rust_version,
        settings_line(report),
        verdict_line(report)
    );
    if !report.matrix.is_empty() {
        out.push_str("## Clean phase: scenario x checker\n\n");
        out.push_str(&clean_table(report).markdown());
        out.push('\n');
    }
    if !report.seeded.is_empty() {
        out.push_str("## Seeded races: schedules to first detection\n\n");
        out.push_str(&seeded_table(report).markdown());
        out.push('\n');
    }
    if !report.coverage.is_empty() {
        out.push_str("## Coverage: remove calls with each precondition at risk\n\n");
        out.push_str(
            "Summed over every clean-phase schedule of every checker: how often GC removed a \
             chunk while a writer was active (P3/P4 at risk), while a visible index existed \
             (P2), after a writer started during the GC, or after a reload during the GC.\n\n",
        );
        out.push_str(&coverage_table(report).markdown());
        out.push('\n');
        if let Some(line) = never_reached_line(report) {
            let _ = writeln!(out, "{line}\n");
        }
    }
    out.push_str(&crate::render_generated::markdown(report));
    let details = details(report, false);
    if !details.is_empty() {
        let _ = write!(out, "## Failures\n\n```text\n{details}```\n");
    }
    out
}
