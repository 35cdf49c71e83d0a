//! The decision coverage section: per phase, which of the store's decision outcomes were
//! taken (and which never), and how many conflict pairs were set up.

use crate::report::{CampaignReport, PhaseReach};
use crate::table::{count, Table};
use harness::oracle::conflicts::Conflict;
use std::collections::BTreeSet;
use std::fmt::Write;
use store::decision::OUTCOMES;
use store::Outcome;

/// Outcomes no phase reached: each with the reason the model cannot reach it, when one is
/// known ([`harness::unreachable::why`]).
fn never_reached(reach: &[PhaseReach]) -> Vec<(Outcome, Option<&'static str>)> {
    Outcome::all()
        .filter(|o| reach.iter().all(|r| r.decisions.count(*o) == 0))
        .map(|o| (o, harness::unreachable::why(o)))
        .collect()
}

/// One line per phase: outcomes and conflict pairs reached.
fn summary(reach: &[PhaseReach]) -> String {
    let phases: Vec<String> = reach
        .iter()
        .map(|r| {
            format!(
                "{} {}/{} outcomes, {} conflict pairs",
                r.phase,
                r.decisions.reached().count(),
                Outcome::COUNT,
                count(r.conflicts.len() as u64)
            )
        })
        .collect();
    phases.join("; ")
}

/// Every declared outcome with its count per phase.
fn outcomes_table(reach: &[PhaseReach]) -> Table {
    let mut header = vec![("decision", false), ("outcome", false)];
    header.extend(reach.iter().map(|r| (r.phase.as_str(), true)));
    header.push(("meaning", false));
    let mut t = Table::new(&header);
    for (outcome, info) in Outcome::all().zip(OUTCOMES) {
        let mut row = vec![info.point.to_string(), info.outcome.to_string()];
        row.extend(reach.iter().map(|r| match r.decisions.count(outcome) {
            0 => "-".to_string(),
            n => count(n),
        }));
        row.push(info.meaning.to_string());
        t.rows.push(row);
    }
    t
}

/// Every conflict pair some phase set up, with its count per phase.
fn conflicts_table(reach: &[PhaseReach]) -> Table {
    let mut header = vec![("conflict pair", false)];
    header.extend(reach.iter().map(|r| (r.phase.as_str(), true)));
    let mut t = Table::new(&header);
    let pairs: BTreeSet<&Conflict> = reach.iter().flat_map(|r| r.conflicts.keys()).collect();
    for pair in pairs {
        let mut row = vec![pair.to_string()];
        row.extend(reach.iter().map(|r| match r.conflicts.get(pair) {
            Some(n) => count(*n),
            None => "-".to_string(),
        }));
        t.rows.push(row);
    }
    t
}

/// The never-reached outcomes as lines (`  - name: why`).
fn never_lines(reach: &[PhaseReach], indent: &str) -> String {
    let mut out = String::new();
    for (outcome, why) in never_reached(reach) {
        let why = why.unwrap_or("not explained: the next place to look");
        let _ = writeln!(out, "{indent}- `{outcome}`: {why}");
    }
    out
}

/// The section for a terminal: the summary, and the outcomes never reached.
pub fn text(report: &CampaignReport) -> String {
    let reach = &report.reach;
    if reach.is_empty() {
        return String::new();
    }
    let mut out = format!("\nDecision coverage: {}\n", summary(reach));
    let never = never_lines(reach, "  ").replace('`', "");
    match never.is_empty() {
        true => out.push_str("  Every declared decision outcome was reached.\n"),
        false => {
            out.push_str("  Never reached:\n");
            out.push_str(&never);
        }
    }
    out
}

/// The section as Markdown: the summary, every outcome per phase, the outcomes never
/// reached with why, and the conflict pairs.
pub fn markdown(report: &CampaignReport) -> String {
    let reach = &report.reach;
    if reach.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Decision coverage\n\n");
    let _ = writeln!(
        out,
        "Every branch where the store decides on state another thread or process can change \
         is a declared decision outcome (`store::decision`); a conflict pair is a thread's act \
         on a chunk, another thread's act on it inside that window, and the first thread's \
         next act on it (`harness::oracle::conflicts`). Clean store only: {}.\n",
        summary(reach)
    );
    let never = never_lines(reach, "");
    match never.is_empty() {
        true => out.push_str("Every declared decision outcome was reached.\n\n"),
        false => {
            out.push_str("Never reached, and why:\n\n");
            out.push_str(&never);
            out.push('\n');
        }
    }
    out.push_str("<details><summary>Every decision outcome, per phase</summary>\n\n");
    out.push_str(&outcomes_table(reach).markdown());
    out.push_str(
        "\n</details>\n\n<details><summary>Conflict pairs set up, per phase</summary>\n\n",
    );
    out.push_str(&conflicts_table(reach).markdown());
    out.push_str("\n</details>\n\n");
    out
}
