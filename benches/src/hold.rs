//! An observer timing how long one thread holds chunk store mutexes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use store::{Event, Fact, LockKind, Observer};

/// Times every chunk store mutex hold (any shard) of one watched thread, from the
/// `LockAcquired` event (just after the lock is taken) to `LockReleased` (just before it is
/// released). Other threads' events cost an atomic load. The measured holds include two
/// `Instant::now()` calls (tens of nanoseconds).
#[derive(Default)]
pub struct HoldTimer {
    watched: AtomicU64,
    state: Mutex<HoldState>,
}

#[derive(Default)]
struct HoldState {
    since: Option<Instant>,
    holds: Vec<Duration>,
}

impl HoldTimer {
    /// Starts timing `thread` (a [`store::Platform::thread_id`]); 0 stops.
    pub fn watch(&self, thread: u64) {
        self.watched.store(thread, Ordering::SeqCst);
    }

    /// Takes the holds recorded so far.
    pub fn take(&self) -> Vec<Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut state.holds)
    }
}

impl Observer for HoldTimer {
    fn event(&self, event: &Event<'_>) {
        let watched = self.watched.load(Ordering::Relaxed);
        match *event {
            Event::Fact(Fact::LockAcquired {
                lock: LockKind::ChunkStore(..),
                thread,
                ..
            }) if thread == watched => {
                let now = Instant::now();
                self.state.lock().unwrap_or_else(|e| e.into_inner()).since = Some(now);
            }
            Event::Fact(Fact::LockReleased {
                lock: LockKind::ChunkStore(..),
                thread,
            }) if thread == watched => {
                let now = Instant::now();
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(since) = state.since.take() {
                    state.holds.push(now - since);
                }
            }
            _ => {}
        }
    }
}
