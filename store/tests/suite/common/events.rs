//! The recording observer: [`EventLog`] keeps an owned summary ([`Rec`]) of every event
//! (and of the spied storage calls), in order, and [`held_before`] replays a trace to tell
//! which locks a thread held at a given point.

use std::sync::{Arc, Mutex, MutexGuard};
use store::{Digest, Event, Fact, LockKind, Observer};

/// An owned summary of an event (or of a spied storage call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rec {
    Acquired {
        lock: LockKind,
        thread: u64,
    },
    Released {
        lock: LockKind,
        thread: u64,
    },
    Stamped {
        digest: Digest,
        atime: i64,
    },
    Remove {
        digest: Digest,
        thread: u64,
    },
    GcStarted {
        min_atime: i64,
        oldest_writer: i64,
    },
    /// A spied `ChunkDir::stat` call.
    Stat {
        digest: Digest,
        thread: u64,
    },
    /// A spied `ChunkDir::touch` call.
    Touch {
        digest: Digest,
        thread: u64,
    },
    Other(String),
}

/// An observer keeping every event, in order.
#[derive(Default)]
pub struct EventLog {
    log: Mutex<Vec<Rec>>,
}

impl EventLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn log(&self) -> MutexGuard<'_, Vec<Rec>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, rec: Rec) {
        self.log().push(rec);
    }

    /// Takes the log so far.
    pub fn take(&self) -> Vec<Rec> {
        std::mem::take(&mut *self.log())
    }
}

impl Observer for EventLog {
    fn event(&self, event: &Event<'_>) {
        let rec = match *event {
            Event::Fact(Fact::LockAcquired { lock, thread, .. }) => Rec::Acquired { lock, thread },
            Event::Fact(Fact::LockReleased { lock, thread }) => Rec::Released { lock, thread },
            Event::Fact(Fact::ChunkStamped { digest, atime, .. }) => Rec::Stamped { digest, atime },
            Event::Fact(Fact::RemoveCalled { digest, thread, .. }) => {
                Rec::Remove { digest, thread }
            }
            Event::Fact(Fact::GcStarted {
                min_atime,
                oldest_writer,
                ..
            }) => Rec::GcStarted {
                min_atime,
                oldest_writer,
            },
            ref other => Rec::Other(format!("{other:?}")),
        };
        self.push(rec);
    }
}

/// The locks `thread` holds just before `log[at]`.
pub fn held_before(log: &[Rec], at: usize, thread: u64) -> Vec<LockKind> {
    let mut held = Vec::new();
    for rec in &log[..at] {
        match rec {
            Rec::Acquired { lock, thread: t } if *t == thread => held.push(*lock),
            Rec::Released { lock, thread: t } if *t == thread => {
                if let Some(i) = held.iter().rposition(|l| l == lock) {
                    held.remove(i);
                }
            }
            _ => {}
        }
    }
    held
}

pub fn is_chunk_store(lock: &LockKind) -> bool {
    matches!(lock, LockKind::ChunkStore(..))
}
