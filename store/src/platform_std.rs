//! [`Std`]: the production platform on real threads and `std::sync`.

use crate::platform::{LockClass, Platform};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Real threads and `std::sync` locks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Std;

static NEXT_THREAD_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD_ID: Cell<u64> = const { Cell::new(0) };
}

impl Platform for Std {
    type RawMutex<T: Send> = std::sync::Mutex<T>;
    type RawGuard<'a, T: Send + 'a> = std::sync::MutexGuard<'a, T>;
    type RawCondvar = std::sync::Condvar;
    type RawAtomicU64 = AtomicU64;
    type RawAtomicBool = AtomicBool;
    type RawJoinHandle<T: Send + 'static> = std::thread::JoinHandle<T>;

    fn mutex<T: Send>(_class: LockClass, value: T) -> Self::RawMutex<T> {
        std::sync::Mutex::new(value)
    }

    fn lock<T: Send>(mutex: &Self::RawMutex<T>) -> Self::RawGuard<'_, T> {
        mutex
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn condvar(_class: LockClass) -> Self::RawCondvar {
        std::sync::Condvar::new()
    }

    fn wait<'a, T: Send>(
        cv: &Self::RawCondvar,
        guard: Self::RawGuard<'a, T>,
    ) -> Self::RawGuard<'a, T> {
        cv.wait(guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify_all(cv: &Self::RawCondvar) {
        cv.notify_all()
    }

    fn atomic(value: u64) -> Self::RawAtomicU64 {
        AtomicU64::new(value)
    }

    fn load(atomic: &Self::RawAtomicU64) -> u64 {
        atomic.load(Ordering::SeqCst)
    }

    fn fetch_add(atomic: &Self::RawAtomicU64, value: u64) -> u64 {
        atomic.fetch_add(value, Ordering::SeqCst)
    }

    fn atomic_bool(value: bool) -> Self::RawAtomicBool {
        AtomicBool::new(value)
    }

    fn load_bool(flag: &Self::RawAtomicBool) -> bool {
        flag.load(Ordering::SeqCst)
    }

    fn store_bool(flag: &Self::RawAtomicBool, value: bool) {
        flag.store(value, Ordering::SeqCst)
    }

    fn spawn<F, T>(name: String, f: F) -> Self::RawJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        std::thread::Builder::new()
            .name(name)
            .spawn(f)
            .unwrap_or_else(|err| panic!("cannot spawn a thread: {err}"))
    }

    fn join<T: Send + 'static>(handle: Self::RawJoinHandle<T>) -> std::thread::Result<T> {
        handle.join()
    }

    fn thread_id() -> u64 {
        THREAD_ID.with(|id| {
            if id.get() == 0 {
                id.set(NEXT_THREAD_ID.fetch_add(1, Ordering::Relaxed));
            }
            id.get()
        })
    }

    /// Never: real threads are not torn down by a checker.
    fn tearing_down() -> bool {
        false
    }
}
