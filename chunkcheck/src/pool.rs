//! Runs a phase's work items on several threads (`--jobs`) and hands their results back in
//! plan order, so a report does not depend on which thread finished first.
//!
//! Each checker keeps its execution state per OS thread (shuttle and loom run a whole
//! execution on the thread that calls them), so independent items run side by side safely.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on each of `items` with up to `jobs` threads. `done` sees every result on the
/// calling thread as soon as it arrives (for progress lines). Returns the results in the
/// order of `items`.
///
/// # Panics
/// When `work` panics: the panic propagates once the other threads have stopped.
pub fn map<T, R>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(&T, &R),
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let mut results: Vec<Option<R>> = items.iter().map(|_| None).collect();
    // Never breaks: every item runs.
    let order: Vec<usize> = (0..items.len()).collect();
    let _ = run(items, &order, jobs, work, |at, result| {
        done(&items[at], &result);
        results[at] = Some(result);
        ControlFlow::Continue(())
    });
    results
        .into_iter()
        .map(|r| r.expect("every item ran: a worker that panicked re-panics in the scope"))
        .collect()
}

/// Runs `work` on `items` with up to `jobs` threads and hands each result to `visit` in the
/// order of `items`, until `visit` breaks: then no further item starts, and the results of
/// items that ran ahead are dropped. With one job nothing runs past the item `visit` breaks
/// at; with more, at most the items already started.
///
/// With more than one job, the items `long` picks start first, in their order (so that the
/// short ones fill the other threads meanwhile): only the order they run in changes, never
/// the order `visit` sees them in.
///
/// # Panics
/// When `work` panics: the panic propagates once the other threads have stopped.
pub fn visit_in_order<T, R>(
    items: &[T],
    jobs: usize,
    long: impl Fn(&T) -> bool,
    work: impl Fn(&T) -> R + Sync,
    mut visit: impl FnMut(&T, R) -> ControlFlow<()>,
) -> ControlFlow<()>
where
    T: Sync,
    R: Send,
{
    if jobs <= 1 {
        return items.iter().try_for_each(|item| visit(item, work(item)));
    }
    let (mut order, short): (Vec<usize>, Vec<usize>) =
        (0..items.len()).partition(|at| long(&items[*at]));
    order.extend(short);
    let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
    let mut next = 0;
    run(items, &order, jobs, work, |at, result| {
        waiting.insert(at, result);
        while let Some(result) = waiting.remove(&next) {
            visit(&items[next], result)?;
            next += 1;
        }
        ControlFlow::Continue(())
    })
}

/// Tells the other threads to take no further item when a worker unwinds.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// Runs `work` on `items` with up to `jobs` threads, each taking the next item of `order`
/// (indices into `items`) not yet started, and hands each result with its index to
/// `arrived` on the calling thread as it comes; once `arrived` breaks, no further item
/// starts.
fn run<T, R>(
    items: &[T],
    order: &[usize],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    mut arrived: impl FnMut(usize, R) -> ControlFlow<()>,
) -> ControlFlow<()>
where
    T: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel();
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            let sender = sender.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                let _stop = StopOnPanic(stop);
                while !stop.load(Ordering::Relaxed) {
                    let Some(&at) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    if sender.send((at, work(&items[at]))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (at, result) in receiver {
            if arrived(at, result).is_break() {
                stop.store(true, Ordering::Relaxed);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_the_threads() {
        let items: Vec<u64> = (0..200).collect();
        for jobs in [0, 1, 2, 7, 500] {
            let mut seen = 0;
            let out = map(&items, jobs, |x| x * x, |_, _| seen += 1);
            assert_eq!(seen, items.len(), "done sees every result ({jobs} jobs)");
            let want: Vec<u64> = items.iter().map(|x| x * x).collect();
            assert_eq!(out, want, "{jobs} jobs");
        }
        assert!(map(&Vec::<u8>::new(), 2, |x| *x, |_, _| {}).is_empty());
    }

    #[test]
    fn visits_come_in_item_order_and_stop_where_the_visit_breaks() {
        let items: Vec<u64> = (0..100).collect();
        for jobs in [0, 1, 2, 7] {
            let ran = AtomicUsize::new(0);
            let mut seen = Vec::new();
            let flow = visit_in_order(
                &items,
                jobs,
                |x| x % 7 == 3,
                |x| {
                    ran.fetch_add(1, Ordering::SeqCst);
                    x * x
                },
                |x, square| {
                    seen.push((*x, square));
                    match *x == 40 {
                        true => ControlFlow::Break(()),
                        false => ControlFlow::Continue(()),
                    }
                },
            );
            assert!(flow.is_break(), "{jobs} jobs");
            let want: Vec<(u64, u64)> = (0..=40).map(|x| (x, x * x)).collect();
            assert_eq!(seen, want, "{jobs} jobs");
            if jobs <= 1 {
                let ran = ran.load(Ordering::SeqCst);
                assert_eq!(ran, 41, "one job runs nothing past the break");
            }
        }
        let all = visit_in_order(
            &items,
            2,
            |_| false,
            |x| *x,
            |_, _| ControlFlow::Continue(()),
        );
        assert!(all.is_continue());
    }

    #[test]
    fn a_panicking_item_fails_the_whole_map() {
        let items = [1, 2, 3];
        let outcome = std::panic::catch_unwind(|| {
            map(
                &items,
                2,
                |x| assert_ne!(*x, 2, "item two fails"),
                |_, _| {},
            )
        });
        assert!(outcome.is_err());
    }
}
