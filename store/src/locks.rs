//! What the kernel shares between processes: the process lock on `.lock`, the per-chunk
//! locks and the snapshot locks.
//!
//! One [`LockTable`] exists per datastore and is shared by every [`crate::Process`] value,
//! as flock/fcntl state is shared by every process on a host. All requests here are
//! non-blocking except [`LockTable::lock_chunk`], which waits like a blocking flock.
//!
//! Upstream's per-chunk locks are independent lock files, so the table must not make
//! unrelated chunks wait on each other: it is split into [`CHUNK_LOCK_SHARDS`] mutexes by
//! digest, and a waiter sleeps on a condition variable of its own digest, woken only when
//! that digest is released (not by every release in the store).

use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::ProcessId;
use crate::platform::{Condvar, LockClass, Mutex, Platform};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many mutexes the per-chunk lock table is split into (by the digest's first byte).
pub const CHUNK_LOCK_SHARDS: usize = 16;

/// A per-chunk lock that is held, or waited for. A digest has no slot while its lock is
/// free and nobody waits for it.
struct ChunkSlot<P: Platform> {
    held: bool,
    waiters: u32,
    /// Created by the first waiter; wakes only this digest's waiters.
    released: Option<Arc<Condvar<P>>>,
}

impl<P: Platform> ChunkSlot<P> {
    fn free() -> Self {
        Self {
            held: false,
            waiters: 0,
            released: None,
        }
    }
}

/// One shard of the per-chunk lock table.
type ChunkShard<P> = Mutex<P, BTreeMap<Digest, ChunkSlot<P>>>;

/// Holders of the process lock on the store's `.lock` file.
#[derive(Default)]
struct ProcessLockState {
    shared: BTreeMap<ProcessId, u32>,
    exclusive: Option<ProcessId>,
}

/// Holders of a path lock (backup group or snapshot).
#[derive(Default, Clone, Copy)]
struct PathLockState {
    shared: u32,
    exclusive: bool,
}

/// Lock modes of the path locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// Many holders (a backup reusing the previous snapshot).
    Shared,
    /// One holder (a backup of a group, prune of a snapshot).
    Exclusive,
}

/// Why the exclusive process lock was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Another garbage collection holds it.
    OtherGc,
    /// A writer of another process holds a shared lock.
    OtherWriter,
}

impl From<Refused> for StoreError {
    fn from(refused: Refused) -> Self {
        StoreError::Locked(match refused {
            Refused::OtherGc => "datastore (another garbage collection is running)".into(),
            Refused::OtherWriter => "datastore (a writer of another process is active)".into(),
        })
    }
}

/// The datastore's kernel-side lock state, shared by all processes.
pub struct LockTable<P: Platform> {
    process_lock: Mutex<P, ProcessLockState>,
    chunk_locks: Box<[ChunkShard<P>]>,
    paths: Mutex<P, BTreeMap<String, PathLockState>>,
}

impl<P: Platform> LockTable<P> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            process_lock: Mutex::new(LockClass::ProcessLock, ProcessLockState::default()),
            chunk_locks: (0..CHUNK_LOCK_SHARDS)
                .map(|_| Mutex::new(LockClass::ChunkLockTable, BTreeMap::new()))
                .collect(),
            paths: Mutex::new(LockClass::PathLocks, BTreeMap::new()),
        }
    }

    /// Takes a shared process lock for `process` (a writer session).
    ///
    /// # Errors
    /// [`StoreError::Locked`] while another process holds the exclusive lock.
    pub fn try_shared(&self, process: ProcessId) -> Result<(), StoreError> {
        let mut state = self.process_lock.lock();
        if matches!(state.exclusive, Some(holder) if holder != process) {
            return Err(StoreError::Locked(
                "datastore (garbage collection running in another process)".into(),
            ));
        }
        *state.shared.entry(process).or_default() += 1;
        Ok(())
    }

    /// Releases one shared process lock of `process`.
    pub fn release_shared(&self, process: ProcessId) {
        let mut state = self.process_lock.lock();
        if let Some(count) = state.shared.get_mut(&process) {
            *count -= 1;
            if *count == 0 {
                state.shared.remove(&process);
            }
        }
    }

    /// Takes the exclusive process lock for `process` (garbage collection). Shared locks of
    /// the same process do not conflict.
    ///
    /// # Errors
    /// [`Refused`] when any process holds the exclusive lock, or another process holds a
    /// shared one (it converts into [`StoreError::Locked`]).
    pub fn try_exclusive(&self, process: ProcessId) -> Result<(), Refused> {
        self.take_exclusive(process, true)
    }

    /// [`LockTable::try_exclusive`], seeing other processes' shared locks only when
    /// `see_other_shared`.
    fn take_exclusive(&self, process: ProcessId, see_other_shared: bool) -> Result<(), Refused> {
        let mut state = self.process_lock.lock();
        if state.exclusive.is_some() {
            return Err(Refused::OtherGc);
        }
        let others_shared = state.shared.keys().any(|p| *p != process);
        if others_shared && see_other_shared {
            return Err(Refused::OtherWriter);
        }
        state.exclusive = Some(process);
        Ok(())
    }

    /// Releases the exclusive process lock held by `process`.
    pub fn release_exclusive(&self, process: ProcessId) {
        let mut state = self.process_lock.lock();
        if state.exclusive == Some(process) {
            state.exclusive = None;
        }
    }

    fn chunk_shard(&self, digest: &Digest) -> &ChunkShard<P> {
        &self.chunk_locks[usize::from(digest.0[0]) % CHUNK_LOCK_SHARDS]
    }

    /// Blocks until the per-chunk lock of `digest` is held, then calls `acquired`.
    ///
    /// The per-chunk lock callbacks run inside the critical section of the digest's shard,
    /// so what they report about one digest is ordered exactly as its lock operations are:
    /// an observer never hears of a release before a busy `try_lock_chunk` that still saw
    /// the lock taken, nor of a busy attempt before the acquisition that made it busy.
    pub fn lock_chunk(&self, digest: Digest, acquired: impl FnOnce()) {
        let mut shard = self.chunk_shard(&digest).lock();
        loop {
            let slot = shard.entry(digest).or_insert_with(ChunkSlot::free);
            if !slot.held {
                slot.held = true;
                acquired();
                return;
            }
            slot.waiters += 1;
            let released = (slot.released)
                .get_or_insert_with(|| Arc::new(Condvar::new(LockClass::ChunkLockWait)))
                .clone();
            shard = released.wait(shard);
            // The slot stays while it has waiters (see `unlock_chunk`).
            if let Some(slot) = shard.get_mut(&digest) {
                slot.waiters -= 1;
            }
        }
    }

    /// Takes the per-chunk lock of `digest` if it is free; calls `report` with whether it
    /// was, inside the critical section (see [`LockTable::lock_chunk`]).
    pub fn try_lock_chunk(&self, digest: Digest, report: impl FnOnce(bool)) -> bool {
        let mut shard = self.chunk_shard(&digest).lock();
        let slot = shard.entry(digest).or_insert_with(ChunkSlot::free);
        let taken = !slot.held;
        slot.held = true;
        report(taken);
        taken
    }

    /// Calls `releasing`, then releases the per-chunk lock of `digest`, inside the critical
    /// section (see [`LockTable::lock_chunk`]), and wakes the digest's waiters, if any.
    pub fn unlock_chunk(&self, digest: Digest, releasing: impl FnOnce()) {
        let mut shard = self.chunk_shard(&digest).lock();
        releasing();
        let wake = match shard.get_mut(&digest) {
            Some(slot) if slot.waiters > 0 => {
                slot.held = false;
                slot.released.clone()
            }
            _ => {
                shard.remove(&digest);
                None
            }
        };
        drop(shard);
        if let Some(released) = wake {
            released.notify_all();
        }
    }

    /// Takes a path lock without waiting.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when the mode conflicts with the holders.
    pub fn try_lock_path(&self, path: &str, mode: LockMode) -> Result<(), StoreError> {
        let mut paths = self.paths.lock();
        let state = paths.entry(path.to_string()).or_default();
        let free = match mode {
            LockMode::Shared => !state.exclusive,
            LockMode::Exclusive => !state.exclusive && state.shared == 0,
        };
        if !free {
            return Err(StoreError::Locked(path.to_string()));
        }
        match mode {
            LockMode::Shared => state.shared += 1,
            LockMode::Exclusive => state.exclusive = true,
        }
        Ok(())
    }

    /// Releases a path lock taken with `mode`.
    pub fn unlock_path(&self, path: &str, mode: LockMode) {
        let mut paths = self.paths.lock();
        if let Some(state) = paths.get_mut(path) {
            match mode {
                LockMode::Shared => state.shared = state.shared.saturating_sub(1),
                LockMode::Exclusive => state.exclusive = false,
            }
            if state.shared == 0 && !state.exclusive {
                paths.remove(path);
            }
        }
    }
}

impl<P: Platform> Default for LockTable<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// The seeded bugs of the locks.
mod seeded {
    use super::{LockTable, ProcessId, Refused};
    use crate::platform::Platform;

    impl<P: Platform> LockTable<P> {
        /// [`crate::SeededBug::LockForgetsOtherProcesses`]: the exclusive process lock
        /// forgets other processes' shared locks, so a GC in the new process of a reload
        /// starts while an old-process writer is active.
        pub(crate) fn try_exclusive_forgetting_others(
            &self,
            process: ProcessId,
        ) -> Result<(), Refused> {
            self.take_exclusive(process, false)
        }
    }
}

#[cfg(test)]
mod tests {
    //! Sequential semantics only. That `lock_chunk` blocks until the release and then wakes
    //! is a concurrency property, checked under loom and shuttle in `tests/suite/locks.rs`.

    use super::*;
    use crate::Std;

    #[test]
    fn process_lock_semantics() {
        let t = LockTable::<Std>::new();
        let (a, b) = (ProcessId(1), ProcessId(2));
        t.try_shared(a).expect("shared");
        // Same process: exclusive coexists with its own shared locks.
        t.try_exclusive(a).expect("own shared does not conflict");
        assert!(
            t.try_shared(b).is_err(),
            "other process blocked by exclusive"
        );
        assert!(t.try_exclusive(b).is_err(), "one GC at a time");
        t.release_exclusive(a);
        t.try_shared(b).expect("shared after exclusive released");
        assert!(t.try_exclusive(a).is_err(), "b's writer blocks a's GC");
        t.try_exclusive_forgetting_others(a)
            .expect("the seeded bug forgets b's writer");
        t.release_exclusive(a);
        t.release_shared(b);
        t.release_shared(a);
        t.try_exclusive(b).expect("free again");
    }

    #[test]
    fn path_locks() {
        let t = LockTable::<Std>::new();
        t.try_lock_path("s", LockMode::Shared).expect("shared");
        t.try_lock_path("s", LockMode::Shared)
            .expect("shared twice");
        assert!(t.try_lock_path("s", LockMode::Exclusive).is_err());
        t.unlock_path("s", LockMode::Shared);
        t.unlock_path("s", LockMode::Shared);
        t.try_lock_path("s", LockMode::Exclusive).expect("free");
        assert!(t.try_lock_path("s", LockMode::Shared).is_err());
    }
}
