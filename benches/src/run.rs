//! Timed multi-threaded runs, a background GC loop and the quick/full switches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use store::{Process, Std};

/// How much to run: `--quick` (criterion's short mode, also honoured by the latency
/// bench) and `BENCH_FULL=1` (adds the largest cases).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mode {
    /// `--quick` was passed.
    pub quick: bool,
    /// `BENCH_FULL=1` is set.
    pub full: bool,
}

impl Mode {
    /// The mode of this bench process.
    pub fn from_env() -> Self {
        Self {
            quick: std::env::args().any(|a| a == "--quick"),
            full: std::env::var("BENCH_FULL").is_ok_and(|v| v == "1"),
        }
    }

    /// Criterion's measurement time for a group: short in quick mode, where criterion
    /// stops at it if the estimate has not settled by then.
    pub fn measurement(&self) -> Duration {
        if self.quick {
            Duration::from_millis(600)
        } else {
            Duration::from_secs(4)
        }
    }

    /// Criterion's warm-up time (unused by quick mode).
    pub fn warm_up(&self) -> Duration {
        Duration::from_secs(1)
    }
}

/// Runs `work` on one thread per state, all released together by a barrier, and returns
/// the wall time from the first thread's start to the last thread's end, with the states.
///
/// # Panics
/// When a thread panics.
pub fn timed<S, F>(states: Vec<S>, work: F) -> (Duration, Vec<S>)
where
    S: Send,
    F: Fn(usize, &mut S) + Sync,
{
    let barrier = Barrier::new(states.len());
    let work = &work;
    let barrier = &barrier;
    let results: Vec<(Instant, Instant, S)> = thread::scope(|s| {
        let handles: Vec<_> = states
            .into_iter()
            .enumerate()
            .map(|(t, mut state)| {
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    work(t, &mut state);
                    (start, Instant::now(), state)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("benchmark thread"))
            .collect()
    });
    let first = results.iter().map(|r| r.0).min();
    let last = results.iter().map(|r| r.1).max();
    let wall = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    };
    (wall, results.into_iter().map(|r| r.2).collect())
}

/// A thread running garbage collections back to back until stopped.
pub struct GcLoop {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<u64>,
}

impl GcLoop {
    /// Starts collecting in `process` (nothing is garbage when chunks carry the system
    /// clock's atime: every sweep walks all chunks and removes none).
    pub fn start(process: Arc<Process<Std>>) -> Self {
        Self::start_with(process, |_| {})
    }

    /// Like [`GcLoop::start`]; `on_start` runs first on the GC thread (to register it).
    pub fn start_with(
        process: Arc<Process<Std>>,
        on_start: impl FnOnce(u64) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::Builder::new()
            .name("gc".into())
            .spawn(move || {
                on_start(<Std as store::Platform>::thread_id());
                let mut sweeps = 0;
                while !flag.load(Ordering::Relaxed) {
                    process.garbage_collect().expect("benchmark GC");
                    sweeps += 1;
                }
                sweeps
            })
            .expect("spawning the GC thread");
        Self { stop, handle }
    }

    /// Stops after the running collection and returns how many completed.
    ///
    /// # Panics
    /// When the GC thread panicked.
    pub fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("GC thread")
    }
}

/// A value built on first use: benchmark setup that only runs when criterion's filter
/// selects a benchmark that needs it.
pub struct Lazy<T, F = Box<dyn Fn() -> T>> {
    cell: std::cell::OnceCell<T>,
    init: F,
}

impl<T, F: Fn() -> T> Lazy<T, F> {
    /// A value `init` builds on first use.
    pub fn new(init: F) -> Self {
        Self {
            cell: std::cell::OnceCell::new(),
            init,
        }
    }

    /// The value, built now if needed.
    pub fn get(&self) -> &T {
        self.cell.get_or_init(&self.init)
    }
}
