//! [`Profiled`]: the std platform with every lock timed.

use super::{record, LockClass, Role};
use crate::platform::Platform;
use crate::Std;
use std::ops::{Deref, DerefMut};
use std::sync::{PoisonError, TryLockError};
use std::time::{Duration, Instant};

/// Real threads and `std::sync` locks, like [`Std`], with every lock acquisition, wait and
/// hold recorded in the process's profile ([`super::snapshot`]). An uncontended lock costs
/// two clock reads (the hold) more than on [`Std`]; a contended one four.
#[derive(Debug, Clone, Copy, Default)]
pub struct Profiled;

/// A `std::sync::Mutex` that knows its class.
pub struct ProfiledMutex<T> {
    inner: std::sync::Mutex<T>,
    class: LockClass,
}

/// A held [`ProfiledMutex`]; records the acquisition and the hold once released.
pub struct ProfiledGuard<'a, T> {
    /// `None` only while a condition wait has the lock.
    inner: Option<std::sync::MutexGuard<'a, T>>,
    class: LockClass,
    role: Role,
    /// How long taking the lock blocked (`None`: it was free).
    wait: Option<Duration>,
    since: Instant,
}

impl<'a, T> ProfiledGuard<'a, T> {
    fn new(
        inner: std::sync::MutexGuard<'a, T>,
        class: LockClass,
        role: Role,
        wait: Option<Duration>,
    ) -> Self {
        Self {
            inner: Some(inner),
            class,
            role,
            wait,
            since: Instant::now(),
        }
    }
}

impl<T> Deref for ProfiledGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.inner {
            Some(guard) => guard,
            None => unreachable!("a profiled guard is only empty inside a condition wait"),
        }
    }
}

impl<T> DerefMut for ProfiledGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.inner {
            Some(guard) => guard,
            None => unreachable!("a profiled guard is only empty inside a condition wait"),
        }
    }
}

impl<T> Drop for ProfiledGuard<'_, T> {
    /// Releases the std guard, if held, and then records the acquisition and its hold.
    fn drop(&mut self) {
        let end = Instant::now();
        if let Some(inner) = self.inner.take() {
            drop(inner);
            record::record(self.class, self.role, self.wait, Some(end - self.since));
        }
    }
}

/// A `std::sync::Condvar` that knows what its waiters wait for.
pub struct ProfiledCondvar {
    inner: std::sync::Condvar,
    class: LockClass,
}

impl Platform for Profiled {
    type RawMutex<T: Send> = ProfiledMutex<T>;
    type RawGuard<'a, T: Send + 'a> = ProfiledGuard<'a, T>;
    type RawCondvar = ProfiledCondvar;
    type RawAtomicU64 = <Std as Platform>::RawAtomicU64;
    type RawAtomicBool = <Std as Platform>::RawAtomicBool;
    type RawJoinHandle<T: Send + 'static> = <Std as Platform>::RawJoinHandle<T>;

    fn mutex<T: Send>(class: LockClass, value: T) -> Self::RawMutex<T> {
        ProfiledMutex {
            inner: std::sync::Mutex::new(value),
            class,
        }
    }

    /// Tries first: only a lock found taken reads the clock around its wait.
    fn lock<T: Send>(mutex: &Self::RawMutex<T>) -> Self::RawGuard<'_, T> {
        let role = record::role();
        let (guard, wait) = match mutex.inner.try_lock() {
            Ok(guard) => (guard, None),
            Err(TryLockError::Poisoned(poisoned)) => (poisoned.into_inner(), None),
            Err(TryLockError::WouldBlock) => {
                let start = Instant::now();
                let guard = (mutex.inner.lock()).unwrap_or_else(PoisonError::into_inner);
                (guard, Some(start.elapsed()))
            }
        };
        ProfiledGuard::new(guard, mutex.class, role, wait)
    }

    fn condvar(class: LockClass) -> Self::RawCondvar {
        ProfiledCondvar {
            inner: std::sync::Condvar::new(),
            class,
        }
    }

    /// The hold ends at the wait (the acquisition and the hold are recorded then); the
    /// wait, until the mutex is taken again after the notification, is recorded under the
    /// condition variable's class; taking the mutex again starts a new acquisition of the
    /// mutex's class (counted as uncontended: the wait already covers its blocking). A
    /// thread woken for nothing (another waiter took what it waited for) records one wait
    /// per sleep.
    fn wait<'a, T: Send>(
        cv: &Self::RawCondvar,
        mut guard: Self::RawGuard<'a, T>,
    ) -> Self::RawGuard<'a, T> {
        let (class, role) = (guard.class, guard.role);
        let end = Instant::now();
        let Some(inner) = guard.inner.take() else {
            unreachable!("a profiled guard is only empty inside a condition wait")
        };
        let hold = end - guard.since;
        let inner = (cv.inner.wait(inner)).unwrap_or_else(PoisonError::into_inner);
        let waited = end.elapsed();
        record::record(class, role, guard.wait, Some(hold));
        record::record(cv.class, role, Some(waited), None);
        ProfiledGuard::new(inner, class, role, None)
    }

    fn notify_all(cv: &Self::RawCondvar) {
        cv.inner.notify_all()
    }

    fn atomic(value: u64) -> Self::RawAtomicU64 {
        Std::atomic(value)
    }

    fn load(atomic: &Self::RawAtomicU64) -> u64 {
        Std::load(atomic)
    }

    fn fetch_add(atomic: &Self::RawAtomicU64, value: u64) -> u64 {
        Std::fetch_add(atomic, value)
    }

    fn atomic_bool(value: bool) -> Self::RawAtomicBool {
        Std::atomic_bool(value)
    }

    fn load_bool(flag: &Self::RawAtomicBool) -> bool {
        Std::load_bool(flag)
    }

    fn store_bool(flag: &Self::RawAtomicBool, value: bool) {
        Std::store_bool(flag, value)
    }

    fn spawn<F, T>(name: String, f: F) -> Self::RawJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Std::spawn(name, f)
    }

    fn join<T: Send + 'static>(handle: Self::RawJoinHandle<T>) -> std::thread::Result<T> {
        Std::join(handle)
    }

    fn thread_id() -> u64 {
        Std::thread_id()
    }

    fn tearing_down() -> bool {
        false
    }

    fn enter_role(role: Role) -> bool {
        record::enter_role(role)
    }

    fn leave_role() {
        record::leave_role()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Condvar, Mutex};
    use crate::profile::{reset, snapshot};
    use std::sync::Arc;

    /// The only test touching the process-wide profile, so no other test's locks mix in.
    /// The main thread holds the mutex across a sleep, so that hold is at least the sleep
    /// whatever the timing; whether the other thread found it taken depends on the timing,
    /// so only what follows from either case is asserted.
    #[test]
    fn records_acquisitions_holds_waits_and_roles() {
        reset();
        let m = Arc::new(Mutex::<Profiled, u32>::new(LockClass::Lru, 0));
        let held = m.lock();
        let m2 = m.clone();
        let t = std::thread::spawn(move || {
            assert!(Profiled::enter_role(Role::Gc));
            assert!(!Profiled::enter_role(Role::Writer), "the outer role stays");
            *m2.lock() += 1;
            Profiled::leave_role();
        });
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        t.join().expect("thread");
        let snap = snapshot();
        let lru = snap.class_total(LockClass::Lru);
        assert_eq!(lru.acquisitions, 2);
        assert_eq!(lru.hold.count, 2);
        assert!(lru.hold.max_ns >= 50_000_000, "{lru:?}");
        let rows = snap.rows();
        let gc = rows
            .iter()
            .find(|r| r.role == Some(Role::Gc))
            .expect("gc row");
        assert_eq!(gc.acquisitions, 1);
        if gc.contended == 1 {
            assert!(gc.wait.max_ns > 0);
        }
        // A condition wait counts under the condition variable's class. This thread holds
        // the flag's lock when it first finds the flag unset, and the setter needs that
        // lock, so this thread waits at least once whatever the timing.
        let cv = Arc::new(Condvar::<Profiled>::new(LockClass::ChunkLockWait));
        let flag = Arc::new(Mutex::<Profiled, bool>::new(
            LockClass::ChunkLockTable,
            false,
        ));
        let mut g = flag.lock();
        let (cv2, flag2) = (cv.clone(), flag.clone());
        let setter = std::thread::spawn(move || {
            *flag2.lock() = true;
            cv2.notify_all();
        });
        while !*g {
            g = cv.wait(g);
        }
        drop(g);
        setter.join().expect("setter");
        let snap = snapshot();
        let waits = snap.class_total(LockClass::ChunkLockWait);
        assert!(waits.acquisitions >= 1 && waits.acquisitions == waits.contended);
        assert_eq!(waits.hold.count, 0, "a condition wait holds nothing");
        // Taking the mutex again after the wait is an acquisition with its own hold.
        let table = snap.class_total(LockClass::ChunkLockTable);
        assert!(table.acquisitions >= 3, "{table:?}");
        assert_eq!(
            table.acquisitions, table.hold.count,
            "every hold has its acquisition"
        );
        reset();
        assert!(snapshot().classes().is_empty(), "reset forgets everything");
    }
}
