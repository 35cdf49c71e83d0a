//! What an oracle checks: the datastore's backend, lock layout and cutoff settings.

use store::{Backend, LockGranularity};

/// What the oracle is checking: the datastore's backend and lock layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleOptions {
    /// Where chunks live.
    pub backend: Backend,
    /// How the store's chunk store mutex is split: P1 asks for the removed digest's shard.
    pub granularity: LockGranularity,
    /// Whether the lock order is checked. Off, a lock-order inversion runs on until the
    /// checker finds the deadlock it causes.
    pub check_lock_order: bool,
    /// The store's cutoff settings, when the cutoff is to be checked at every GC start.
    pub cutoff: Option<CutoffRule>,
}

/// The cutoff settings of a store (`StoreConfig::with_cutoff`): a GC that starts at `t`
/// may treat chunks older than `t - grace` as garbage, or, when a writer is older than
/// that, chunks older than its start minus `margin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutoffRule {
    /// The grace period, seconds.
    pub grace: i64,
    /// The margin before the oldest writer's start, seconds.
    pub margin: i64,
}

impl OracleOptions {
    /// Every check, for a store with upstream's single chunk store mutex.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            granularity: LockGranularity::Single,
            check_lock_order: true,
            cutoff: None,
        }
    }

    /// The same options, checking every GC's cutoff against `rule`.
    pub fn cutoff(self, rule: CutoffRule) -> Self {
        Self {
            cutoff: Some(rule),
            ..self
        }
    }

    /// The same options for a store whose chunk store mutex is split as `granularity` says.
    pub fn granularity(self, granularity: LockGranularity) -> Self {
        Self {
            granularity,
            ..self
        }
    }

    /// The same options with the lock order left unchecked.
    pub fn without_lock_order(self) -> Self {
        Self {
            check_lock_order: false,
            ..self
        }
    }
}
