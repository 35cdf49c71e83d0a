//! Runs a search's candidates generation by generation on several threads (`--jobs`).
//!
//! A guided search learns from a whole generation at once, in candidate order, and draws the
//! next generation from what it learnt, so that the same seed gives the same corpus with any
//! number of jobs: one job draws, runs and learns in the same order as many.
//!
//! Drawing generation `g + 1` before generation `g` is learnt would keep the threads busy
//! past a slow candidate, but it was measured and dropped: learning one generation late
//! raised the guided search's median for `stale-stamp` from 11.5 to 195 programs
//! (BENCHMARKS.md, "The `--faults` campaign in four minutes").

use std::ops::ControlFlow;

/// A search run a generation at a time (see the module docs).
pub trait Generations {
    /// A candidate.
    type Item: Send + Sync;
    /// What running a candidate gives.
    type Outcome: Send;

    /// Draws generation `generation`; an empty one ends the run. Called for generation 0
    /// first, then for `g + 1` once generation `g` is learnt.
    fn draw(&mut self, generation: usize) -> Vec<Self::Item>;

    /// Takes one candidate's outcome, in candidate order; breaking ends the run.
    fn visit(&mut self, item: &Self::Item, outcome: Self::Outcome) -> ControlFlow<()>;

    /// Every candidate of generation `generation`, `items`, was visited.
    fn learn(&mut self, generation: usize, items: &[Self::Item]);
}

/// Runs `search` until it draws an empty generation or its visit breaks, each candidate
/// with `work` on up to `jobs` threads ([`crate::pool::visit_in_order`]). Within a
/// generation the candidates `long` picks start first (so that the short ones fill the
/// other threads meanwhile); only the order they run in changes, never the order they are
/// visited and learnt in. With one job nothing runs past the candidate the visit breaks
/// at; with more, only what had started.
///
/// # Panics
/// When `work` panics: the panic propagates once the other threads have stopped.
pub fn run<S: Generations>(
    search: &mut S,
    jobs: usize,
    long: impl Fn(&S::Item) -> bool,
    work: impl Fn(&S::Item) -> S::Outcome + Sync,
) -> ControlFlow<()> {
    for generation in 0.. {
        let items = search.draw(generation);
        if items.is_empty() {
            break;
        }
        crate::pool::visit_in_order(&items, jobs, &long, &work, |item, outcome| {
            search.visit(item, outcome)
        })?;
        search.learn(generation, &items);
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy search: generation `g` holds `size` numbers offset by the sum of what it learnt
    /// so far; it logs every draw, visit and lesson, and breaks at `stop`.
    struct Toy {
        generations: usize,
        size: usize,
        learnt: u64,
        log: Vec<String>,
        stop: Option<u64>,
    }

    impl Generations for Toy {
        type Item = u64;
        type Outcome = u64;

        fn draw(&mut self, generation: usize) -> Vec<u64> {
            self.log
                .push(format!("draw {generation} after {}", self.learnt));
            match generation < self.generations {
                true => (0..self.size as u64)
                    .map(|i| self.learnt * 100 + i)
                    .collect(),
                false => Vec::new(),
            }
        }

        fn visit(&mut self, item: &u64, outcome: u64) -> ControlFlow<()> {
            self.log.push(format!("visit {item} -> {outcome}"));
            match Some(*item) == self.stop {
                true => ControlFlow::Break(()),
                false => ControlFlow::Continue(()),
            }
        }

        fn learn(&mut self, generation: usize, items: &[u64]) {
            self.learnt += items.iter().sum::<u64>() % 7 + 1;
            self.log
                .push(format!("learn {generation}: {}", self.learnt));
        }
    }

    fn toy(stop: Option<u64>) -> Toy {
        Toy {
            generations: 9,
            size: 5,
            learnt: 0,
            log: Vec::new(),
            stop,
        }
    }

    /// Slow for some items, so that threads finish out of order.
    fn work(item: &u64) -> u64 {
        if item % 3 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        item * 2
    }

    #[test]
    fn every_job_count_draws_visits_and_learns_in_the_same_order() {
        let mut one = toy(None);
        assert!(run(&mut one, 1, |_| false, work).is_continue());
        assert_eq!(
            one.log.iter().filter(|l| l.starts_with("visit")).count(),
            45
        );
        assert_eq!(one.log[0], "draw 0 after 0");
        for jobs in [2, 3, 8] {
            let mut many = toy(None);
            let flow = run(&mut many, jobs, |item| item % 5 == 4, work);
            assert!(flow.is_continue());
            assert_eq!(many.log, one.log, "{jobs} jobs");
        }
    }

    #[test]
    fn a_break_ends_the_run_at_that_visit() {
        let mut one = toy(None);
        let _ = run(&mut one, 1, |_| false, work);
        let stop_at = one
            .log
            .iter()
            .position(|l| l.starts_with("visit 1"))
            .unwrap_or(0);
        let stop = one.log[stop_at]
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok());
        for jobs in [1, 2, 3] {
            let mut broken = toy(stop);
            assert!(run(&mut broken, jobs, |_| false, work).is_break());
            assert_eq!(broken.log, one.log[..=stop_at], "{jobs} jobs");
        }
    }

    #[test]
    fn a_panicking_candidate_fails_the_run() {
        for jobs in [1, 2] {
            let outcome = std::panic::catch_unwind(|| {
                let mut search = toy(None);
                run(
                    &mut search,
                    jobs,
                    |_| false,
                    |item| {
                        assert_ne!(*item, 3, "candidate 3 fails");
                        *item
                    },
                )
            });
            assert!(outcome.is_err(), "{jobs} jobs");
        }
    }
}
