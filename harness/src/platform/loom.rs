//! [`Loom`]: the store's platform under the loom model checker.

use crate::execution::{blocking, counted_thread};
use ::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use ::loom::sync::{Condvar, Mutex, MutexGuard};
use std::ops::{Deref, DerefMut};
use store::platform::LockClass;
use store::Platform;

/// Locks, atomics and threads from [loom 0.7](https://docs.rs/loom/0.7.3), for exhaustive
/// exploration of a scenario's interleavings.
///
/// Every primitive must be used inside a loom model (`loom::model::Builder::check`).
///
/// Gaps and constraints of loom that scenarios must respect:
///
/// * **Time is not modelled**: the store's logical clock (`Clock::manual`) is the only time.
/// * **At most [`loom::MAX_THREADS`] (5) threads, including the model's main thread**:
///   spawning a fifth extra thread panics inside loom.
/// * **Hash-ordered iteration must not be used**: loom replays schedules and requires every
///   execution to be deterministic for a given schedule; iterating a `HashMap`/`HashSet`
///   (randomly seeded) breaks that. The store only uses `BTreeMap`s.
/// * **No real I/O or blocking outside loom primitives**: a thread blocked in the OS is
///   invisible to loom's scheduler, and the state space grows with every operation, so keep
///   scenarios tiny and bound the search with `preemption_bound`.
/// * **Threads switch only at loom operations** (lock, atomic, condvar, spawn, join,
///   `yield_now`): a critical section containing none of them is atomic to loom, so no
///   other thread ever observes the lock held there (a try-lock of the store's lock table
///   racing it never fails).
/// * **Every atomic is `SeqCst`** (the trait's contract): loom's weak-memory exploration
///   has nothing to reorder here, so it explores interleavings only, like shuttle.
/// * Panics in spawned threads abort the whole model (loom propagates them directly), so
///   [`Platform::join`] never returns `Err` under loom.
/// * Poisoning is never reported: loom's locks never poison, and it is ignored anyway.
///
/// Thread ids are loom's index of the thread in the execution (`0` for the model's main
/// thread), read from `ThreadId`'s `Debug` output (`ThreadId(N)`), since loom exposes no
/// numeric accessor. Should that format ever change, reading an id panics: P1 compares lock
/// holders by thread id, so a guessed id that could collide would make it unsound.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loom;

/// The numeric id of a loom thread (see [`Loom`]).
///
/// # Panics
/// When loom's `ThreadId` no longer prints as `ThreadId(N)`.
fn loom_thread_id(id: ::loom::thread::ThreadId) -> u64 {
    let text = format!("{id:?}");
    text.strip_prefix("ThreadId(")
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|digits| digits.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("cannot read a thread index from loom's {text}"))
}

/// A loom mutex guard that is leaked instead of released while its thread unwinds.
///
/// After loom reports a failure (a deadlock, an oracle panic) no thread is active any more,
/// and every loom operation, releasing a lock included, panics again; a second panic during
/// unwinding aborts the whole test binary. The failing execution is discarded anyway, so the
/// lock is simply never released.
pub struct LoomGuard<'a, T>(Option<MutexGuard<'a, T>>);

impl<'a, T> LoomGuard<'a, T> {
    fn new(guard: MutexGuard<'a, T>) -> Self {
        Self(Some(guard))
    }

    fn into_inner(mut self) -> MutexGuard<'a, T> {
        self.0
            .take()
            .expect("a loom guard holds its lock until dropped")
    }
}

impl<T> Deref for LoomGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
            .as_ref()
            .expect("a loom guard holds its lock until dropped")
    }
}

impl<T> DerefMut for LoomGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .as_mut()
            .expect("a loom guard holds its lock until dropped")
    }
}

impl<T> Drop for LoomGuard<'_, T> {
    fn drop(&mut self) {
        if Loom::tearing_down() {
            std::mem::forget(self.0.take());
        }
    }
}

impl Platform for Loom {
    type RawMutex<T: Send> = Mutex<T>;
    type RawGuard<'a, T: Send + 'a> = LoomGuard<'a, T>;
    type RawCondvar = Condvar;
    type RawAtomicU64 = AtomicU64;
    type RawAtomicBool = AtomicBool;
    type RawJoinHandle<T: Send + 'static> = ::loom::thread::JoinHandle<T>;

    fn mutex<T: Send>(_class: LockClass, value: T) -> Self::RawMutex<T> {
        Mutex::new(value)
    }

    #[track_caller]
    fn lock<T: Send>(mutex: &Self::RawMutex<T>) -> Self::RawGuard<'_, T> {
        LoomGuard::new(blocking(|| {
            mutex
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }))
    }

    fn condvar(_class: LockClass) -> Self::RawCondvar {
        Condvar::new()
    }

    fn wait<'a, T: Send>(
        cv: &Self::RawCondvar,
        guard: Self::RawGuard<'a, T>,
    ) -> Self::RawGuard<'a, T> {
        let guard = guard.into_inner();
        LoomGuard::new(blocking(|| {
            cv.wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }))
    }

    fn notify_all(cv: &Self::RawCondvar) {
        cv.notify_all()
    }

    fn atomic(value: u64) -> Self::RawAtomicU64 {
        AtomicU64::new(value)
    }

    #[track_caller]
    fn load(atomic: &Self::RawAtomicU64) -> u64 {
        atomic.load(Ordering::SeqCst)
    }

    #[track_caller]
    fn fetch_add(atomic: &Self::RawAtomicU64, value: u64) -> u64 {
        atomic.fetch_add(value, Ordering::SeqCst)
    }

    fn atomic_bool(value: bool) -> Self::RawAtomicBool {
        AtomicBool::new(value)
    }

    #[track_caller]
    fn load_bool(flag: &Self::RawAtomicBool) -> bool {
        flag.load(Ordering::SeqCst)
    }

    #[track_caller]
    fn store_bool(flag: &Self::RawAtomicBool, value: bool) {
        flag.store(value, Ordering::SeqCst)
    }

    #[track_caller]
    fn spawn<F, T>(name: String, f: F) -> Self::RawJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ::loom::thread::Builder::new()
            .name(name.clone())
            .spawn(counted_thread(f))
            .unwrap_or_else(|err| panic!("loom cannot spawn thread `{name}`: {err}"))
    }

    #[track_caller]
    fn join<T: Send + 'static>(handle: Self::RawJoinHandle<T>) -> std::thread::Result<T> {
        blocking(|| handle.join())
    }

    fn thread_id() -> u64 {
        loom_thread_id(::loom::thread::current().id())
    }

    /// True while the thread unwinds: after a failure loom has no active thread, and every
    /// loom operation would panic again.
    fn tearing_down() -> bool {
        std::thread::panicking()
    }
}
