//! Work handed to a few threads while it runs: the caller submits items as it learns what
//! to run next, each under a key, and takes the results back as they finish. Threads take
//! the unstarted item with the smallest key, so a caller that submits what it will need
//! later under larger keys keeps a thread busy that would otherwise wait, without delaying
//! what it needs now.
//!
//! Each checker keeps its execution state per OS thread, so items run side by side safely
//! (as in [`crate::pool`]).

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The items not yet started, and whether the threads should stop.
struct Queue<K, T> {
    items: BTreeMap<K, T>,
    closed: bool,
}

/// What the threads share with the caller.
struct Shared<K, T> {
    queue: Mutex<Queue<K, T>>,
    ready: Condvar,
}

impl<K, T> Shared<K, T> {
    fn queue(&self) -> MutexGuard<'_, Queue<K, T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// No further item starts; the threads leave once their current one is done.
    fn close(&self) {
        let mut queue = self.queue();
        queue.closed = true;
        queue.items.clear();
        self.ready.notify_all();
    }
}

impl<K: Ord, T> Shared<K, T> {
    /// The unstarted item with the smallest key, waiting for one; `None` once closed.
    fn take(&self) -> Option<(K, T)> {
        let mut queue = self.queue();
        loop {
            if queue.closed {
                return None;
            }
            if let Some(next) = queue.items.pop_first() {
                return Some(next);
            }
            queue = (self.ready.wait(queue)).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A thread's message: an item's result, or that the thread is unwinding.
enum Message<K, T, R> {
    Done(K, T, R),
    Panicked,
}

/// Sends [`Message::Panicked`] when a thread unwinds, so the caller does not wait for a
/// result that will never come.
struct ReportPanic<K, T, R>(Sender<Message<K, T, R>>);

impl<K, T, R> Drop for ReportPanic<K, T, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Message::Panicked);
        }
    }
}

/// Where a [`Feed`]'s items run.
enum Runs<'a, K, T, R> {
    /// On threads, which send their results on `results`.
    Threads {
        shared: &'a Shared<K, T>,
        results: Receiver<Message<K, T, R>>,
    },
    /// With one job, on the calling thread: items wait here until [`Feed::next`] runs them.
    Here { waiting: BTreeMap<K, T> },
}

/// The caller's side of [`fed`].
pub(crate) struct Feed<'a, K, T, R> {
    runs: Runs<'a, K, T, R>,
    work: &'a (dyn Fn(&T) -> R + Sync),
    /// Items submitted whose result has not been taken.
    pending: usize,
}

impl<K: Ord, T, R> Feed<'_, K, T, R> {
    /// Queues `item` under `key` (a key not queued already).
    pub(crate) fn submit(&mut self, key: K, item: T) {
        self.pending += 1;
        match &mut self.runs {
            Runs::Threads { shared, .. } => {
                shared.queue().items.insert(key, item);
                shared.ready.notify_one();
            }
            Runs::Here { waiting } => {
                waiting.insert(key, item);
            }
        }
    }

    /// The next result, with its key and item: the next to finish, or with one job the
    /// item with the smallest key, run now. `None` when nothing is pending.
    ///
    /// # Panics
    /// When a thread panicked running an item (its own panic follows when [`fed`] ends).
    pub(crate) fn next(&mut self) -> Option<(K, T, R)> {
        if self.pending == 0 {
            return None;
        }
        self.pending -= 1;
        let done = match &mut self.runs {
            Runs::Threads { shared, results } => match results.recv() {
                Ok(Message::Done(key, item, result)) => (key, item, result),
                Ok(Message::Panicked) | Err(_) => {
                    shared.close();
                    panic!("a worker thread panicked running an item");
                }
            },
            Runs::Here { waiting } => {
                let (key, item) = waiting.pop_first()?;
                let result = (self.work)(&item);
                (key, item, result)
            }
        };
        Some(done)
    }
}

/// Runs `body` with a [`Feed`] whose items run `work` on up to `jobs` threads (with one
/// job, on the calling thread, when [`Feed::next`] asks). When `body` returns (or unwinds),
/// items not yet started are dropped and those running are waited for, their results
/// dropped.
pub(crate) fn fed<K, T, R, O>(
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
    body: impl FnOnce(&mut Feed<'_, K, T, R>) -> O,
) -> O
where
    K: Ord + Send,
    T: Send,
    R: Send,
{
    if jobs <= 1 {
        let waiting = BTreeMap::new();
        let runs = Runs::Here { waiting };
        return body(&mut Feed {
            runs,
            work: &work,
            pending: 0,
        });
    }
    let shared = Shared {
        queue: Mutex::new(Queue {
            items: BTreeMap::new(),
            closed: false,
        }),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel();
        for _ in 0..jobs {
            let report = ReportPanic(sender.clone());
            let (shared, work) = (&shared, &work);
            scope.spawn(move || {
                while let Some((key, item)) = shared.take() {
                    let result = work(&item);
                    if report.0.send(Message::Done(key, item, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        let _close = CloseOnDrop(&shared);
        let runs = Runs::Threads {
            shared: &shared,
            results,
        };
        body(&mut Feed {
            runs,
            work: &work,
            pending: 0,
        })
    })
}

/// Closes the queue when the caller's body ends, however it ends: the threads would
/// otherwise wait for items forever, and the scope for them.
struct CloseOnDrop<'a, K, T>(&'a Shared<K, T>);

impl<K, T> Drop for CloseOnDrop<'_, K, T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_item_comes_back_once_with_its_key() {
        for jobs in [0, 1, 2, 7] {
            let mut back = fed(
                jobs,
                |x: &u64| x * x,
                |feed| {
                    for x in 0..50u64 {
                        feed.submit(x, x);
                    }
                    std::iter::from_fn(|| feed.next()).collect::<Vec<_>>()
                },
            );
            back.sort();
            let want: Vec<_> = (0..50u64).map(|x| (x, x, x * x)).collect();
            assert_eq!(back, want, "{jobs} jobs");
        }
    }

    #[test]
    fn one_job_runs_the_smallest_key_and_only_when_asked() {
        let ran = AtomicUsize::new(0);
        fed(
            1,
            |x: &u64| {
                ran.fetch_add(1, Ordering::SeqCst);
                *x
            },
            |feed| {
                for x in [5u64, 3, 9] {
                    feed.submit(x, x);
                }
                assert_eq!(ran.load(Ordering::SeqCst), 0, "nothing runs unasked");
                assert_eq!(feed.next().map(|(k, _, _)| k), Some(3));
                feed.submit(1, 1);
                assert_eq!(feed.next().map(|(k, _, _)| k), Some(1));
                assert_eq!(ran.load(Ordering::SeqCst), 2);
            },
        );
        assert_eq!(ran.load(Ordering::SeqCst), 2, "the rest is dropped unrun");
    }

    #[test]
    fn a_body_that_unwinds_stops_the_threads() {
        let outcome = std::panic::catch_unwind(|| {
            fed(
                2,
                |x: &u64| *x,
                |feed| {
                    (0..1_000u64).for_each(|x| feed.submit(x, x));
                    panic!("the caller fails");
                },
            )
        });
        assert!(outcome.is_err(), "and the threads did not hang the scope");
    }

    #[test]
    fn a_panicking_item_fails_the_caller() {
        let outcome = std::panic::catch_unwind(|| {
            fed(
                2,
                |x: &u64| assert_ne!(*x, 2, "item two fails"),
                |feed| {
                    for x in 0..4u64 {
                        feed.submit(x, x);
                    }
                    while feed.next().is_some() {}
                },
            )
        });
        assert!(outcome.is_err());
    }
}
