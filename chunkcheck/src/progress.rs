//! Progress of a campaign phase: an `indicatif` bar on a terminal, one summary line otherwise.

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Whether progress bars can be drawn: stderr is a terminal.
pub fn terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The progress of one phase (clean or seeded) over its work items.
pub struct PhaseProgress {
    bar: ProgressBar,
    phase: &'static str,
    schedules: u64,
    started: Instant,
    announce: bool,
}

impl PhaseProgress {
    /// A bar over `items` work items, drawn on stderr when `visible`; when not, only
    /// [`PhaseProgress::finish`] writes (one line) and only if `announce`.
    pub fn new(phase: &'static str, items: usize, visible: bool, announce: bool) -> Self {
        // Draw on a copy of stderr: checkers run with stderr silenced (see `quiet`).
        let target = match (visible, crate::quiet::real_stderr()) {
            (false, _) => ProgressDrawTarget::hidden(),
            (true, Some(file)) => {
                ProgressDrawTarget::term(Term::read_write_pair(std::io::stdin(), file), 20)
            }
            (true, None) => ProgressDrawTarget::stderr(),
        };
        let bar = ProgressBar::with_draw_target(Some(items as u64), target);
        let style = ProgressStyle::with_template(
            "{prefix:>6} [{bar:20}] {pos}/{len} ETA {eta:<4} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(phase);
        if visible {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Self {
            bar,
            phase,
            schedules: 0,
            started: Instant::now(),
            announce,
        }
    }

    /// Schedules per second so far in this phase.
    fn rate(&self) -> f64 {
        crate::report::rate(self.schedules, self.started.elapsed().as_secs_f64())
    }

    /// Counts the finished item `label`, which explored `schedules`, and shows it as the
    /// latest done (items run on several threads, so "running" would be one of many).
    pub fn done(&mut self, label: &str, schedules: u64) {
        self.schedules += schedules;
        self.bar.inc(1);
        self.bar
            .set_message(format!("{:.0} schedules/s  done: {label}", self.rate()));
    }

    /// Prints a line without tearing the bar.
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Clears the bar and writes the phase's totals as one line on stderr.
    pub fn finish(self) {
        self.bar.finish_and_clear();
        if self.announce {
            eprintln!(
                "{}: {} items, {} schedules in {:.1}s ({:.0} schedules/s)",
                self.phase,
                self.bar.position(),
                self.schedules,
                self.started.elapsed().as_secs_f64(),
                self.rate()
            );
        }
    }
}
