//! The wait-time plot: per run (one panel each, side by side), one line per lock class
//! that had to wait, the cumulative number of blocked acquisitions against the wait's
//! length (log scale), so both how often and how long a lock made threads wait show.

use crate::report::RunReport;
use anyhow::{anyhow, Result};
use std::fmt::Write as _;

/// Width of one panel, as poloto draws it.
const PANEL_WIDTH: u32 = 800;
/// Height of a panel.
const PANEL_HEIGHT: u32 = 500;

/// One SVG with a panel per run, left to right in the order run.
///
/// # Errors
/// When there are no runs, or drawing fails.
pub fn svg(runs: &[RunReport], title: &str) -> Result<String> {
    anyhow::ensure!(!runs.is_empty(), "nothing to plot: no run");
    // One y scale for every panel, so panels side by side compare.
    let top = (runs.iter())
        .flat_map(|run| run.classes.iter().map(|row| row.contended))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut panels = Vec::new();
    for run in runs {
        panels.push(panel(run, title, top as f64)?);
    }
    let width = PANEL_WIDTH * panels.len() as u32;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{PANEL_HEIGHT}\" viewBox=\"0 0 {width} {PANEL_HEIGHT}\">\n"
    );
    for (i, panel) in panels.iter().enumerate() {
        let x = PANEL_WIDTH * i as u32;
        let _ = writeln!(out, "<g transform=\"translate({x},0)\">\n{panel}</g>");
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// One run's panel: a line per class with waits (an empty panel when nothing waited), the
/// y axis up to `top`.
fn panel(run: &RunReport, title: &str, top: f64) -> Result<String> {
    let lines: Vec<_> = (run.classes.iter())
        .filter(|row| !row.wait_buckets.is_empty())
        .map(|row| {
            let mut cumulative = 0;
            let xy: Vec<(f64, f64)> = (row.wait_buckets.iter())
                .map(|&(ns, n)| {
                    cumulative += n;
                    ((ns.max(1) as f64).log10(), cumulative as f64)
                })
                .collect();
            let label = format!("{} ({} waits)", row.class, row.contended);
            poloto::build::plot(label).line(xy)
        })
        .collect();
    let heading = format!("{title}, lock {}: waits", run.lock);
    let mut svg = String::new();
    poloto::frame_build()
        .data(poloto::plots!(
            lines,
            poloto::build::markers([1.0, 9.0], [0.0, top])
        ))
        .build_and_label((
            heading.as_str(),
            "wait, log10 nanoseconds (3 = 1 µs, 6 = 1 ms)",
            "blocked acquisitions up to that wait",
        ))
        .append_to(poloto::header().light_theme())
        .render_fmt_write(&mut svg)
        .map_err(|e| anyhow!("drawing the wait plot: {e}"))?;
    Ok(svg)
}
