//! The generated phase in the report: its figures, which pairs of operation kinds
//! overlapped, its failures, and how soon generated programs caught each seeded bug.

use crate::report::{CampaignReport, DetectionRecord, GeneratedRecord, PairReached};
use crate::table::{count, short_secs, Table};
use crate::verdict::{Hunter, Verdict};
use harness::program::OpKind;
use std::fmt::Write as _;

/// One line of figures.
pub fn summary(g: &GeneratedRecord) -> String {
    format!(
        "{} programs, {} schedules, {:.1}s ({:.0} programs/s, {:.0} schedules/s), {} failing{}",
        g.programs,
        g.schedules,
        g.wall_secs,
        g.programs_per_sec,
        g.schedules_per_sec,
        g.failures.len(),
        faults_line(g).map_or(String::new(), |line| format!("; {line}"))
    )
}

/// The faults injected, per kind: `faults injected: 12 EIO, 3 lost object`.
fn faults_line(g: &GeneratedRecord) -> Option<String> {
    let total: u64 = g.faults.values().sum();
    (total > 0).then(|| {
        let kinds: Vec<_> = g.faults.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!("{total} faults injected ({})", kinds.join(", "))
    })
}

fn pair(g: &GeneratedRecord, a: OpKind, b: OpKind, same: bool) -> Option<&PairReached> {
    g.pairs
        .iter()
        .find(|p| p.pair.a == a && p.pair.b == b && p.pair.same_process == same)
}

/// Which kinds overlapped: `s` in one process, `x` across two, `-` never (blank where a
/// pair cannot be across processes).
pub fn pairs_table(g: &GeneratedRecord) -> Table {
    let mut header = vec![("", false)];
    header.extend(OpKind::ALL.iter().map(|k| (k.name(), false)));
    let mut table = Table::new(&header);
    for (i, &a) in OpKind::ALL.iter().enumerate() {
        let mut row = vec![a.name().to_string()];
        for (j, &b) in OpKind::ALL.iter().enumerate() {
            if j < i {
                row.push(String::new());
                continue;
            }
            let mark = |same: bool, yes: char| match pair(g, a, b, same) {
                Some(p) if p.reached => yes.to_string(),
                Some(_) => "-".to_string(),
                None => String::new(),
            };
            row.push(format!("{}{}", mark(true, 's'), mark(false, 'x')));
        }
        table.rows.push(row);
    }
    table
}

/// The pairs no schedule reached, as one line.
pub fn never_line(g: &GeneratedRecord) -> Option<String> {
    let never: Vec<String> = g
        .pairs
        .iter()
        .filter(|p| !p.reached)
        .map(|p| {
            let across = if p.pair.same_process {
                ""
            } else {
                " across processes"
            };
            format!("{}+{}{across}", p.pair.a, p.pair.b)
        })
        .collect();
    (!never.is_empty()).then(|| format!("never overlapped: {}", never.join(", ")))
}

/// A seeded bug over generated programs across its trials: how many caught it and the
/// median programs to the first detection.
pub fn detection_cell(d: &DetectionRecord) -> String {
    match d.median_programs {
        Some(n) => format!(
            "{}/{}, median @{} programs ({})",
            d.caught,
            d.trials,
            count(n),
            short_secs(d.median_wall_secs)
        ),
        None => format!("MISSED in {}/{}", d.trials - d.caught, d.trials),
    }
}

/// Each seeded bug: over its trials, the median programs, schedules and time to the first
/// generated program that caught it; the first trial's verdict and its minimization.
pub fn seeded_table(report: &CampaignReport) -> Table {
    let mut table = Table::new(&[
        ("bug", false),
        ("caught", true),
        ("median programs", true),
        ("median schedules", true),
        ("median time", true),
        ("first trial", false),
        ("minimized", false),
    ]);
    for d in report
        .detections
        .iter()
        .filter(|d| d.checker == Hunter::Generated)
    {
        let first = report
            .generated_seeded
            .iter()
            .find(|i| i.bug == d.bug && i.trial == 0);
        let minimized = first
            .and_then(|i| i.failure.as_ref())
            .map_or(String::new(), |f| {
                let schedule = f
                    .schedule_shrunk
                    .as_ref()
                    .map_or(String::new(), |s| format!(", {s}"));
                format!("{} -> {} steps{schedule}", f.sizes.0, f.sizes.1)
            });
        let missed = || "missed".to_string();
        table.rows.push(vec![
            d.bug.to_string(),
            format!("{}/{}", d.caught, d.trials),
            d.median_programs.map_or_else(missed, count),
            d.median_schedules.map_or_else(missed, count),
            short_secs(d.median_wall_secs),
            first.map_or_else(String::new, |i| match i.verdict {
                Verdict::Caught(cause) => format!("caught @{}: {cause}", i.programs),
                other => other.to_string(),
            }),
            minimized,
        ]);
    }
    table
}

/// The whole section for a terminal.
pub fn text(report: &CampaignReport) -> String {
    let mut out = String::new();
    if let Some(g) = &report.generated {
        let _ = writeln!(out, "\nGenerated programs: {}", summary(g));
        if let Some(line) = crate::curve::line(g) {
            let _ = writeln!(out, "{line}");
        }
        out.push_str("Operation kinds that ran at the same time (s: one process, x: two)\n");
        out.push_str(&pairs_table(g).text());
        if let Some(line) = never_line(g) {
            let _ = writeln!(out, "  {line}");
        }
        for f in &g.failures {
            let _ = write!(
                out,
                "\nprogram {} (seed {}) under {}: {}\nminimized ({} -> {} steps):\n{}{}\nreplay: {}\n",
                f.program,
                f.program_seed,
                f.checker,
                f.cause,
                f.sizes.0,
                f.sizes.1,
                f.minimized,
                f.message,
                f.replay
            );
        }
    }
    if !report.generated_seeded.is_empty() {
        out.push_str("\nSeeded bugs in generated programs: programs to first detection\n");
        if let Some(line) = corpus_line(report) {
            let _ = writeln!(out, "{line}");
        }
        out.push_str(&seeded_table(report).text());
    }
    out
}

/// Where the guided hunts started, when they started from a corpus.
fn corpus_line(report: &CampaignReport) -> Option<String> {
    let corpus = report.generated_seeded.iter().map(|h| h.corpus).max()?;
    (corpus > 0).then(|| {
        format!(
            "Each hunt went on from the corpus of {corpus} programs the guided search kept on \
             the clean store, blind to the bug; its programs are counted from there."
        )
    })
}

/// The whole section as Markdown.
pub fn markdown(report: &CampaignReport) -> String {
    let mut out = String::new();
    if let Some(g) = &report.generated {
        let _ = writeln!(out, "## Generated programs\n\n{}.\n", summary(g));
        if let Some(line) = crate::curve::line(g) {
            let mut line = line;
            line[..1].make_ascii_uppercase();
            let _ = writeln!(out, "{line} (`chunkcheck plot` draws the curve).\n");
        }
        out.push_str(
            "Operation kinds that ran at the same time (s: in one process, x: in two):\n\n",
        );
        out.push_str(&pairs_table(g).markdown());
        out.push('\n');
        if let Some(line) = never_line(g) {
            let _ = writeln!(out, "{line}\n");
        }
    }
    if !report.generated_seeded.is_empty() {
        out.push_str("## Seeded bugs in generated programs\n\n");
        if let Some(line) = corpus_line(report) {
            let _ = writeln!(out, "{line}\n");
        }
        out.push_str(&seeded_table(report).markdown());
        out.push('\n');
    }
    out
}
