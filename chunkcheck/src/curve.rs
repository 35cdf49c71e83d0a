//! How coverage grows with the programs a generated phase runs: the points the report
//! records, the line it prints, and the plot `chunkcheck plot` draws from reports.

use crate::report::{CampaignReport, GeneratedRecord};
use harness::oracle::Coverage;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Coverage reached by the first `programs` programs of a generated phase.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoveragePoint {
    /// Programs run so far.
    pub programs: u64,
    /// Decision outcomes reached so far.
    pub outcomes: u64,
    /// Conflict pairs reached so far.
    pub conflicts: u64,
}

impl CoveragePoint {
    /// The point for `coverage` after `programs` programs.
    pub fn of(programs: u64, coverage: &Coverage) -> Self {
        Self {
            programs,
            outcomes: coverage.decisions.reached().count() as u64,
            conflicts: coverage.conflicts.len() as u64,
        }
    }
}

/// Whether the report keeps a point after `programs` programs: after 10 and 30, then every
/// 100 (the last program's point is kept too, by the caller).
pub fn checkpoint(programs: u64) -> bool {
    matches!(programs, 10 | 30) || (programs > 0 && programs % 100 == 0)
}

/// The programs the report's line names coverage after.
const MILESTONES: [u64; 4] = [100, 300, 1_000, 3_000];

/// `coverage after 100 / 300 / 1,000 / 3,000 programs: outcomes 61 / 70 / 74 / 77, conflict
/// pairs 300 / 520 / 700 / 880`, for the milestones the phase passed; `None` before 100.
pub fn line(g: &GeneratedRecord) -> Option<String> {
    let points: Vec<&CoveragePoint> = (MILESTONES.iter())
        .filter_map(|m| g.curve.iter().find(|p| p.programs == *m))
        .collect();
    if points.is_empty() {
        return None;
    }
    let join = |f: &dyn Fn(&CoveragePoint) -> u64| {
        let all: Vec<String> = points.iter().map(|p| crate::table::count(f(p))).collect();
        all.join(" / ")
    };
    Some(format!(
        "coverage after {} programs: decision outcomes {}, conflict pairs {}",
        join(&|p| p.programs),
        join(&|p| p.outcomes),
        join(&|p| p.conflicts)
    ))
}

/// Two SVG plots, decision outcomes and conflict pairs against programs, one line per
/// report that ran generated programs (named by its search, and by its file where two
/// searched alike).
///
/// # Errors
/// When no report has a coverage curve, or drawing fails.
pub fn plot(reports: &[(String, CampaignReport)]) -> anyhow::Result<[String; 2]> {
    let found: Vec<(String, &String, &[CoveragePoint])> = (reports.iter())
        .filter_map(|(name, r)| r.generated.as_ref().map(|g| (name, g)))
        .filter(|(_, g)| !g.curve.is_empty())
        .map(|(name, g)| (g.search.to_string(), name, g.curve.as_slice()))
        .collect();
    let alike = |search: &str| found.iter().filter(|(s, ..)| s == search).count() > 1;
    let curves: Vec<(String, &[CoveragePoint])> = (found.iter())
        .map(|(search, name, curve)| match alike(search) {
            true => (format!("{search} ({name})"), *curve),
            false => (search.clone(), *curve),
        })
        .collect();
    anyhow::ensure!(
        !curves.is_empty(),
        "no report has a coverage curve (a generated phase run with this version)"
    );
    let draw = |what: &str, y: fn(&CoveragePoint) -> u64| -> anyhow::Result<String> {
        let lines: Vec<_> = (curves.iter())
            .map(|(label, points)| {
                let xy: Vec<(f64, f64)> = (points.iter())
                    .map(|p| (p.programs as f64, y(p) as f64))
                    .collect();
                poloto::build::plot(label.as_str()).line(xy)
            })
            .collect();
        let mut svg = String::new();
        let title = format!("{what} reached against programs run");
        poloto::frame_build()
            .data(poloto::plots!(lines, poloto::build::markers([], [0.0])))
            .build_and_label((title.as_str(), "programs", what))
            .append_to(poloto::header().light_theme())
            .render_fmt_write(&mut svg)
            .map_err(|e| anyhow::anyhow!("drawing the {what} plot: {e}"))?;
        let _ = writeln!(svg);
        Ok(svg)
    };
    Ok([
        draw("decision outcomes", |p| p.outcomes)?,
        draw("conflict pairs", |p| p.conflicts)?,
    ])
}
