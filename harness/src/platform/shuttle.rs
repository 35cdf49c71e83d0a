//! [`Shuttle`]: the store's platform under the shuttle model checker.

use crate::execution::{blocking, counted_thread};
use ::shuttle::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use ::shuttle::sync::{Condvar, Mutex, MutexGuard};
use shuttle_engine::runtime::execution::ExecutionState;
use store::platform::LockClass;
use store::Platform;

/// Locks, atomics and threads from [shuttle 0.9](https://docs.rs/shuttle/0.9.10), for
/// randomised (`shuttle::check_random`) and PCT (`shuttle::check_pct`) exploration of a
/// scenario's schedules.
///
/// Every primitive must be used inside a shuttle test (`shuttle::check_random`, ...).
///
/// Gaps and constraints of shuttle that scenarios must respect:
///
/// * **Atomics are all `SeqCst`**: shuttle explores interleavings only, never weak-memory
///   reorderings. The store uses `SeqCst` everywhere, so nothing is lost, but shuttle cannot
///   find an ordering bug that only a weaker ordering would expose (loom can).
/// * **Time is not modelled**: the store's logical clock (`Clock::manual`) is the only time.
/// * **Not exhaustive**: a passing run only says no failing schedule was sampled.
/// * **Hash-ordered iteration must not be used**: a failing schedule is replayed by its
///   scheduling decisions, which only reproduces the failure if the program is deterministic
///   for a given schedule. The store only uses `BTreeMap`s.
/// * **No real I/O or blocking outside shuttle primitives**: a thread blocked in the OS is
///   invisible to the scheduler.
/// * `shuttle::check_pct` panics ("test closure did not exercise any concurrency") when the
///   test spawns no thread.
/// * Poisoning is ignored, as on every platform.
///
/// Thread ids are shuttle's task ids (`usize::from(ThreadId)`, `0` for the test's main
/// thread), unique among the tasks of one execution.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shuttle;

impl Platform for Shuttle {
    type RawMutex<T: Send> = Mutex<T>;
    type RawGuard<'a, T: Send + 'a> = MutexGuard<'a, T>;
    type RawCondvar = Condvar;
    type RawAtomicU64 = AtomicU64;
    type RawAtomicBool = AtomicBool;
    type RawJoinHandle<T: Send + 'static> = ::shuttle::thread::JoinHandle<T>;

    fn mutex<T: Send>(_class: LockClass, value: T) -> Self::RawMutex<T> {
        Mutex::new(value)
    }

    fn lock<T: Send>(mutex: &Self::RawMutex<T>) -> Self::RawGuard<'_, T> {
        blocking(|| {
            mutex
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        })
    }

    fn condvar(_class: LockClass) -> Self::RawCondvar {
        Condvar::new()
    }

    fn wait<'a, T: Send>(
        cv: &Self::RawCondvar,
        guard: Self::RawGuard<'a, T>,
    ) -> Self::RawGuard<'a, T> {
        blocking(|| {
            cv.wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        })
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

    #[track_caller]
    fn spawn<F, T>(name: String, f: F) -> Self::RawJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        ::shuttle::thread::Builder::new()
            .name(name.clone())
            .spawn(counted_thread(f))
            .unwrap_or_else(|err| panic!("shuttle cannot spawn thread `{name}`: {err}"))
    }

    fn join<T: Send + 'static>(handle: Self::RawJoinHandle<T>) -> std::thread::Result<T> {
        blocking(|| handle.join())
    }

    /// The current task's id, read without `shuttle::thread::current()`, which also
    /// clones the task's name: this runs at every event the oracle hears.
    fn thread_id() -> u64 {
        usize::from(ExecutionState::me()) as u64
    }

    /// Shuttle's own answer: whether it is unwinding the task's stack to tear the failed
    /// execution down.
    fn tearing_down() -> bool {
        ExecutionState::unwinding_for_teardown()
    }
}
