//! Runs a search's candidates generation by generation on several threads (`--jobs`),
//! without waiting at the end of each generation for its slowest candidate.
//!
//! A guided search learns from a whole generation at once, in candidate order, so that the
//! same seed gives the same corpus with any number of jobs. Waiting for a generation's last
//! candidate before drawing the next leaves every other thread idle behind it, and a
//! candidate that loom explores can take a hundred times longer than the others. So
//! generation `g + 1` is drawn once generation `g - 1` is learnt (generations 0 and 1 from
//! the search as it starts): while the last candidates of one generation run, the threads
//! go on with the next. What a candidate is drawn from still depends only on the seed,
//! never on which thread finished first, and one job draws, runs and learns in the same
//! order as many.

use std::collections::{BTreeMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A search run a generation at a time (see the module docs).
pub trait Generations {
    /// A candidate.
    type Item: Send + Sync;
    /// What running a candidate gives.
    type Outcome: Send;

    /// Draws generation `generation`; an empty one ends the run. Called for generations 0
    /// and 1 first, then for `g + 2` once generation `g` is learnt.
    fn draw(&mut self, generation: usize) -> Vec<Self::Item>;

    /// Takes one candidate's outcome, in candidate order; breaking ends the run.
    fn visit(&mut self, item: &Self::Item, outcome: Self::Outcome) -> ControlFlow<()>;

    /// Every candidate of generation `generation`, `items`, was visited.
    fn learn(&mut self, generation: usize, items: &[Self::Item]);
}

/// The candidates drawn and not started yet, for the worker threads.
struct Queue<T> {
    /// (generation, index in it, the generation), in the order they start.
    waiting: VecDeque<(usize, usize, Arc<Vec<T>>)>,
    /// No more candidates will come: the run ended, broke, or a worker panicked.
    closed: bool,
}

/// The queue and its signal.
struct Shared<T> {
    queue: Mutex<Queue<T>>,
    ready: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `items`, generation `generation`: the `long` ones first.
    fn push(&self, generation: usize, items: &Arc<Vec<T>>, long: impl Fn(&T) -> bool) {
        let (mut order, short): (Vec<usize>, Vec<usize>) =
            (0..items.len()).partition(|i| long(&items[*i]));
        order.extend(short);
        let mut queue = self.lock();
        (queue.waiting).extend(order.into_iter().map(|i| (generation, i, items.clone())));
        self.ready.notify_all();
    }

    /// No more candidates: the workers stop once their current one is done.
    fn close(&self) {
        let mut queue = self.lock();
        queue.closed = true;
        queue.waiting.clear();
        self.ready.notify_all();
    }

    /// The next candidate to run, waiting for one; `None` once the queue is closed.
    fn next(&self) -> Option<(usize, usize, Arc<Vec<T>>)> {
        let mut queue = self.lock();
        loop {
            if queue.closed {
                return None;
            }
            if let Some(job) = queue.waiting.pop_front() {
                return Some(job);
            }
            queue = self
                .ready
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Closes the queue when a worker unwinds, so that the others stop waiting for work.
struct CloseOnPanic<'a, T>(&'a Shared<T>);

impl<T> Drop for CloseOnPanic<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// Runs `search` until it draws an empty generation or its visit breaks, each candidate
/// with `work` on up to `jobs` threads. Within a generation the candidates `long` picks
/// start first (so that the short ones fill the other threads meanwhile); only the order
/// they run in changes, never the order they are visited and learnt in. With one job
/// nothing runs past the candidate the visit breaks at; with more, only what had started.
///
/// # Panics
/// When `work` panics: the panic propagates once the other threads have stopped.
pub fn run<S: Generations>(
    search: &mut S,
    jobs: usize,
    long: impl Fn(&S::Item) -> bool,
    work: impl Fn(&S::Item) -> S::Outcome + Sync,
) -> ControlFlow<()> {
    if jobs <= 1 {
        return run_here(search, work);
    }
    let shared = Shared {
        queue: Mutex::new(Queue {
            waiting: VecDeque::new(),
            closed: false,
        }),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        for _ in 0..jobs {
            let (sender, shared, work) = (sender.clone(), &shared, &work);
            scope.spawn(move || {
                let _guard = CloseOnPanic(shared);
                while let Some((generation, at, items)) = shared.next() {
                    if sender.send((generation, at, work(&items[at]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let flow = visit_as_they_come(search, &shared, &long, receiver);
        shared.close();
        flow
    })
}

/// The calling thread's part of [`run`]: draws, visits in candidate order as the outcomes
/// come in, learns, and draws again, until the run ends.
fn visit_as_they_come<S: Generations>(
    search: &mut S,
    shared: &Shared<S::Item>,
    long: &impl Fn(&S::Item) -> bool,
    outcomes: mpsc::Receiver<(usize, usize, S::Outcome)>,
) -> ControlFlow<()> {
    let mut generations: Vec<Arc<Vec<S::Item>>> = Vec::new();
    let draw = |search: &mut S, generations: &mut Vec<Arc<Vec<S::Item>>>| {
        let generation = generations.len();
        let items = search.draw(generation);
        if items.is_empty() {
            return false;
        }
        let items = Arc::new(items);
        shared.push(generation, &items, long);
        generations.push(items);
        true
    };
    let mut drawing = draw(search, &mut generations) && draw(search, &mut generations);
    let mut waiting = BTreeMap::new();
    let (mut generation, mut at) = (0, 0);
    if generations.is_empty() {
        return ControlFlow::Continue(());
    }
    for (g, i, outcome) in outcomes {
        waiting.insert((g, i), outcome);
        while let Some(outcome) = waiting.remove(&(generation, at)) {
            let items = generations[generation].clone();
            search.visit(&items[at], outcome)?;
            at += 1;
            if at < items.len() {
                continue;
            }
            search.learn(generation, &items);
            drawing = drawing && draw(search, &mut generations);
            (generation, at) = (generation + 1, 0);
            if generation == generations.len() {
                return ControlFlow::Continue(());
            }
        }
    }
    // Only a panicking worker ends the outcomes early: the scope passes its panic on.
    ControlFlow::Continue(())
}

/// [`run`] with one job, on the calling thread, in the same order of draws and lessons.
fn run_here<S: Generations>(
    search: &mut S,
    work: impl Fn(&S::Item) -> S::Outcome,
) -> ControlFlow<()> {
    let mut generations = vec![search.draw(0)];
    if !generations[0].is_empty() {
        generations.push(search.draw(1));
    }
    let mut generation = 0;
    while generation < generations.len() && !generations[generation].is_empty() {
        let items = std::mem::take(&mut generations[generation]);
        for item in &items {
            search.visit(item, work(item))?;
        }
        search.learn(generation, &items);
        if generations.last().is_some_and(|last| !last.is_empty()) {
            let next = generations.len();
            generations.push(search.draw(next));
        }
        generation += 1;
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
        assert_eq!(one.log[..2], ["draw 0 after 0", "draw 1 after 0"]);
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
