//! A [`CampaignReport`] as tables: plain text for the terminal, Markdown for `CHECKING.md`.

use crate::plan::BASELINE;
pub use crate::render_failures::{details, failure_details};
use crate::render_generated;
use crate::report::{CampaignReport, DetectionRecord, EXIT_MISSED, EXIT_OK, EXIT_VIOLATION};
use crate::table::{count, per_sec, secs, short_secs, Table};
use crate::verdict::{Hunter, Verdict};
use harness::check::Cause;
use harness::oracle::Coverage;
use std::fmt::Write;
use store::SeededBug;

fn clean_table(report: &CampaignReport) -> Table {
    let faults = report.config.faults > 0;
    let mut header = vec![
        ("scenario", false),
        ("checker", false),
        ("items", true),
        ("schedules", true),
        ("wall", true),
        ("schedules/s", true),
    ];
    if faults {
        header.push(("faults", true));
    }
    header.push(("verdict", false));
    let mut t = Table::new(&header);
    for row in &report.matrix {
        let mut cells = vec![
            row.scenario.clone(),
            row.checker.to_string(),
            row.items.to_string(),
            count(row.schedules),
            secs(row.wall_secs),
            per_sec(row.schedules_per_sec),
        ];
        if faults {
            cells.push(count(row.faults));
        }
        cells.push(row.verdict.to_string());
        t.rows.push(cells);
    }
    t
}

/// What the report named for `bug` under `checker` in its first catching trial: the broken
/// property, or a deadlock.
fn named(report: &CampaignReport, bug: SeededBug, checker: Hunter) -> String {
    let name = |cause: Cause| match cause {
        Cause::Violation(property) => property.to_string(),
        other => other.to_string(),
    };
    report
        .seeded
        .iter()
        .filter(|i| i.bug == bug && Hunter::Checker(i.checker) == checker && i.caught)
        .find_map(|i| i.failure.as_ref())
        .map_or_else(|| "-".to_string(), |f| name(f.cause))
}

/// A seeded race under one checker across its trials: how many caught it, the median
/// schedules to the first detection and the median wall time, and what was named.
fn seeded_cell(report: &CampaignReport, d: &DetectionRecord) -> String {
    let trials = match d.trials {
        1 => String::new(),
        n => format!("{}/{n}, median ", d.caught),
    };
    match d.median_schedules {
        Some(n) => format!(
            "{trials}@{} ({}): {}",
            count(n),
            short_secs(d.median_wall_secs),
            named(report, d.bug, d.checker)
        ),
        None => format!(
            "MISSED in {}/{} ({} each)",
            d.trials - d.caught,
            d.trials,
            short_secs(d.median_wall_secs)
        ),
    }
}

/// The stress baseline's median wall time over the fastest model checker's, for `bug`: what
/// a user buys with model checking. `>` when stress's median trial missed (its time is then
/// what it spent without finding the bug).
fn stress_ratio(report: &CampaignReport, bug: SeededBug) -> String {
    let baseline = Hunter::Checker(BASELINE);
    let of = |d: &&DetectionRecord| d.bug == bug;
    let Some(stress) = report
        .detections
        .iter()
        .filter(of)
        .find(|d| d.checker == baseline)
    else {
        return "-".to_string();
    };
    let best = report
        .detections
        .iter()
        .filter(of)
        .filter(|d| d.checker != baseline && d.checker != Hunter::Generated && d.holds())
        .map(|d| d.median_wall_secs)
        .fold(f64::INFINITY, f64::min);
    if !best.is_finite() {
        return "-".to_string();
    }
    let more = if stress.median_schedules.is_none() {
        ">"
    } else {
        ""
    };
    format!("{more}{:.0}x", stress.median_wall_secs / best.max(1e-6))
}

/// The seeded races: per bug, each checker's detections in the bug's scenario over its
/// trials, then the stress baseline's time over the best model checker's and, when the
/// generated phase hunted it too, the generated programs' (without being told the
/// scenario).
fn seeded_table(report: &CampaignReport) -> Table {
    let mut checkers: Vec<Hunter> = Vec::new();
    for d in &report.detections {
        if d.checker != Hunter::Generated && !checkers.contains(&d.checker) {
            checkers.push(d.checker);
        }
    }
    let names: Vec<String> = checkers.iter().map(Hunter::to_string).collect();
    let mut header = vec![("bug", false), ("scenario", false)];
    header.extend(names.iter().map(|c| (c.as_str(), false)));
    let stress = checkers.contains(&Hunter::Checker(BASELINE));
    if stress {
        header.push(("stress / best", true));
    }
    let generated = !report.generated_seeded.is_empty();
    if generated {
        header.push(("generated programs", false));
    }
    let mut t = Table::new(&header);
    let mut bugs: Vec<(SeededBug, &str)> = Vec::new();
    for item in &report.seeded {
        if !bugs.iter().any(|(b, _)| *b == item.bug) {
            bugs.push((item.bug, &item.scenario));
        }
    }
    let find = |bug: SeededBug, checker: Hunter| {
        report
            .detections
            .iter()
            .find(|d| d.bug == bug && d.checker == checker)
    };
    for (bug, scenario) in bugs {
        let mut row = vec![bug.to_string(), scenario.to_string()];
        for &checker in &checkers {
            let cell = find(bug, checker).map(|d| seeded_cell(report, d));
            row.push(cell.unwrap_or_else(|| "-".to_string()));
        }
        if stress {
            row.push(stress_ratio(report, bug));
        }
        if generated {
            let cell = find(bug, Hunter::Generated).map(render_generated::detection_cell);
            row.push(cell.unwrap_or_else(|| "-".to_string()));
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
            count(c.removes_with_active_writer),
            count(c.removes_with_visible_index),
            count(c.removes_writer_started_during_gc),
            count(c.removes_reload_during_gc),
            count(c.objects_deleted),
            count(c.gcs_completed),
            count(c.gcs_aborted),
        ]);
    }
    t
}

/// Reads one coverage count.
type Column = fn(&Coverage) -> u64;

/// Coverage columns no scenario reached: dangerous states the campaign never explores.
fn never_reached(report: &CampaignReport) -> Vec<&'static str> {
    let c = report.coverage.values();
    let columns: [(&'static str, Column); 6] = [
        ("remove with an active writer", |c| {
            c.removes_with_active_writer
        }),
        ("remove with a visible index", |c| {
            c.removes_with_visible_index
        }),
        ("writer started during GC", |c| {
            c.removes_writer_started_during_gc
        }),
        ("reload during GC", |c| c.removes_reload_during_gc),
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
    let bound = match (c.preemption_bound, c.faults) {
        (Some(b), _) => b.to_string(),
        (None, 0) => "per scenario".to_string(),
        (None, _) => format!(
            "{} for scenarios and {} for generated programs (under faults)",
            crate::generated::LOOM_FAULT_BOUND,
            crate::generated::LOOM_PROGRAM_FAULT_BOUND
        ),
    };
    let mut line = format!(
        "seed {:#x}, {} shuttle schedules per scenario and scheduler (items of {}), PCT depth {}, \
         loom bound {bound}, lock {}, shard {}, {} detection seeds, {} jobs",
        c.seed,
        count(c.schedules as u64),
        count(c.batch_schedules as u64),
        c.pct_depth,
        c.lock,
        c.shard,
        c.detection_seeds,
        c.jobs
    );
    if !c.bugs.is_empty() {
        let bugs: Vec<_> = c.bugs.iter().map(|b| b.name()).collect();
        line.push_str(&format!(", bugs on: {}", bugs.join(",")));
    }
    if let Some(t) = c.max_time_secs {
        line.push_str(&format!(", max {t}s per item"));
    }
    if c.faults > 0 {
        line.push_str(&format!(
            ", up to {} storage faults per execution",
            c.faults
        ));
    }
    if c.weights != harness::program::Weights::DEFAULT.name {
        line.push_str(&format!(", generator weights {}", c.weights));
    }
    line
}

/// What the exit code means, in one line.
pub fn verdict_line(report: &CampaignReport) -> String {
    let failed = report.clean.iter().filter(|i| i.failure.is_some()).count();
    let model: Vec<_> = report
        .detections
        .iter()
        .filter(|d| d.checker != Hunter::Generated && d.checker != Hunter::Checker(BASELINE))
        .collect();
    let caught = model.iter().filter(|d| d.holds()).count();
    let hunts: Vec<_> = report
        .detections
        .iter()
        .filter(|d| d.checker == Hunter::Generated)
        .collect();
    let word = match report.exit_code {
        EXIT_OK => "PASS",
        EXIT_VIOLATION => "FAIL (property violated)",
        EXIT_MISSED => "FAIL (seeded race missed)",
        _ => "FAIL (property violated, seeded race missed)",
    };
    let timeouts = report
        .clean
        .iter()
        .filter(|i| i.verdict == Verdict::Timeout)
        .count()
        + report
            .seeded
            .iter()
            .filter(|i| i.verdict == Verdict::Timeout)
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
    let generated_seeded = match hunts.len() {
        0 => String::new(),
        n => format!(
            "; seeded bugs caught by generated programs {}/{n}",
            hunts.iter().filter(|d| d.holds()).count()
        ),
    };
    let exhaustive = match &report.exhaustive {
        Some(e) if e.proven() => format!("; exhaustive scope: {} programs proven", e.programs),
        Some(e) => format!(
            "; exhaustive scope: a counterexample in {} programs",
            e.programs
        ),
        None => String::new(),
    };
    format!(
        "{word}: clean phase {}/{} items passed; seeded races {caught}/{} caught{generated}\
         {generated_seeded}{exhaustive}{cut}; {:.1}s (exit {})",
        report.clean.len() - failed,
        report.clean.len(),
        model.len(),
        report.wall_secs,
        report.exit_code
    )
}

/// One replay command per seeded bug: its first shuttle detection.
fn seeded_replays(report: &CampaignReport) -> Vec<(SeededBug, String)> {
    let mut out: Vec<(SeededBug, String)> = Vec::new();
    for item in &report.seeded {
        if out.iter().any(|(bug, _)| *bug == item.bug) {
            continue;
        }
        if let Some(f) = item.failure.as_ref().filter(|f| f.schedule_file.is_some()) {
            out.push((item.bug, f.replay.clone()));
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
    out.push_str(&crate::exhaustive::text(report));
    out.push_str(&crate::render_reach::text(report));
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
    out.push_str(&crate::exhaustive::markdown(report));
    out.push_str(&crate::render_reach::markdown(report));
    let details = details(report, false);
    if !details.is_empty() {
        let _ = write!(out, "## Failures\n\n```text\n{details}```\n");
    }
    out
}
