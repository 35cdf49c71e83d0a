//! The store's clock, in whole seconds: system time, or a logical clock a test moves.

use crate::platform::{AtomicU64, Platform};

/// Seconds, as compared by the garbage collector (atimes, writer and GC start times).
pub enum Clock<P: Platform> {
    /// The system clock (seconds since the Unix epoch). Only for real threads: under a
    /// model checker, time is the logical clock, since reading the system clock would make
    /// an execution depend on more than its schedule.
    System,
    /// A logical clock that only moves when told to; reading it is a scheduling point
    /// under a model checker, so a clock thread can move time between any two steps.
    Manual(AtomicU64<P>),
}

impl<P: Platform> Clock<P> {
    /// A logical clock starting at `start` seconds.
    pub fn manual(start: i64) -> Self {
        Self::Manual(AtomicU64::new(start.max(0) as u64))
    }

    /// The current time in seconds.
    pub fn now(&self) -> i64 {
        match self {
            Self::System => system_secs(),
            Self::Manual(t) => t.load() as i64,
        }
    }

    /// Moves a logical clock forward by `secs`.
    ///
    /// # Panics
    /// On the system clock, which cannot be moved.
    pub fn advance(&self, secs: i64) {
        match self {
            Self::System => panic!("the system clock cannot be advanced"),
            Self::Manual(t) => {
                t.fetch_add(secs.max(0) as u64);
            }
        }
    }
}

/// Seconds since the Unix epoch by the system clock (0 before it).
fn system_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
