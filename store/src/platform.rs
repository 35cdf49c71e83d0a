//! The platform the store runs on: locks, atomics and threads.
//!
//! Every piece of state the store shares between threads goes through [`Platform`], so
//! the same code runs on real threads ([`Std`]) and under a model checker (the harness
//! crate implements the trait for loom and for shuttle). The trait only holds the raw
//! primitives as generic associated types; the store uses the thin safe wrappers in this
//! module ([`Mutex`], [`Condvar`], [`AtomicU64`], [`AtomicBool`], [`spawn`]), which never
//! return poison errors and mark every lock call `#[track_caller]` so checker panics point
//! at the store.
//!
//! Time is not part of the trait: under a checker it is the store's logical clock
//! ([`crate::Clock::manual`], an [`AtomicU64`]), and only real threads read the system
//! clock ([`crate::Clock::System`]).

pub use crate::profile::{LockClass, Role};
use std::ops::{Deref, DerefMut};

/// Locks, atomics and threads: what a checker must be able to intercept.
///
/// Implementations must be deterministic under their checker: the store only uses
/// `BTreeMap`s and never iterates over a hash-ordered collection, so a schedule fully
/// decides an execution. Every method is called by the store, except `spawn` and `join`,
/// which its drivers call; every atomic operation is sequentially consistent.
pub trait Platform: Sized + Send + Sync + 'static {
    /// A mutual-exclusion lock owning a `T`.
    type RawMutex<T: Send>: Send + Sync;
    /// The guard of a held [`Platform::RawMutex`].
    type RawGuard<'a, T: Send + 'a>: DerefMut<Target = T>;
    /// A condition variable used together with [`Platform::RawMutex`].
    type RawCondvar: Send + Sync;
    /// A 64-bit atomic integer (sequentially consistent): the logical clock, id counters.
    type RawAtomicU64: Send + Sync;
    /// An atomic flag (sequentially consistent): a process's shutdown request.
    type RawAtomicBool: Send + Sync;
    /// The handle of a spawned thread.
    type RawJoinHandle<T: Send + 'static>: Send;

    /// Creates a mutex of `class` holding `value` (the class only matters to a profiling
    /// platform).
    fn mutex<T: Send>(class: LockClass, value: T) -> Self::RawMutex<T>;
    /// Blocks until the mutex is held; poisoning is ignored.
    fn lock<T: Send>(mutex: &Self::RawMutex<T>) -> Self::RawGuard<'_, T>;
    /// Creates a condition variable whose waiters wait for `class` (see
    /// [`Platform::mutex`]).
    fn condvar(class: LockClass) -> Self::RawCondvar;
    /// Releases `guard`, waits for a notification and takes the lock again.
    fn wait<'a, T: Send>(
        cv: &Self::RawCondvar,
        guard: Self::RawGuard<'a, T>,
    ) -> Self::RawGuard<'a, T>;
    /// Wakes every waiter of `cv`.
    fn notify_all(cv: &Self::RawCondvar);
    /// Creates an atomic integer.
    fn atomic(value: u64) -> Self::RawAtomicU64;
    /// Reads an atomic.
    fn load(atomic: &Self::RawAtomicU64) -> u64;
    /// Adds to an atomic, returning the previous value.
    fn fetch_add(atomic: &Self::RawAtomicU64, value: u64) -> u64;
    /// Creates an atomic flag.
    fn atomic_bool(value: bool) -> Self::RawAtomicBool;
    /// Reads a flag.
    fn load_bool(flag: &Self::RawAtomicBool) -> bool;
    /// Writes a flag.
    fn store_bool(flag: &Self::RawAtomicBool, value: bool);
    /// Spawns a named thread. The store spawns none itself: the actors that run it
    /// (writers, GC, reload, readers) are spawned through the platform by whoever drives
    /// the store, so that the checker schedules them.
    fn spawn<F, T>(name: String, f: F) -> Self::RawJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
    /// Waits for a thread spawned with [`Platform::spawn`]; `Err` carries its panic payload.
    fn join<T: Send + 'static>(handle: Self::RawJoinHandle<T>) -> std::thread::Result<T>;
    /// A number identifying the calling thread, unique among live threads (the oracle's
    /// P1 check compares lock holders by it).
    fn thread_id() -> u64;
    /// Whether the checker is tearing the calling thread down after a failure elsewhere, so
    /// a guard that drops must not call back into the platform or the observer (under loom
    /// that would panic again and abort the process). Always false on real threads. The
    /// store asks it through its crate-private `unless_torn_down` only.
    fn tearing_down() -> bool;
    /// Makes `role` the calling thread's role in a contention profile unless it already
    /// acts in one; whether it did (then [`Platform::leave_role`] must follow). Only a
    /// profiling platform keeps roles; the store calls it through its crate-private
    /// `acting_as` at its entry points.
    fn enter_role(role: Role) -> bool {
        let _ = role;
        false
    }
    /// Ends the role the calling thread entered with [`Platform::enter_role`].
    fn leave_role() {}
}

/// The calling thread acts in `role` until the returned value drops (profiling platforms
/// only; see [`Platform::enter_role`]). An inner entry point keeps the outer role.
#[must_use]
pub(crate) fn acting_as<P: Platform>(role: Role) -> Acting<P> {
    Acting {
        entered: P::enter_role(role),
        _platform: std::marker::PhantomData,
    }
}

/// A role entered by [`acting_as`]; left on drop.
pub(crate) struct Acting<P: Platform> {
    entered: bool,
    _platform: std::marker::PhantomData<fn() -> P>,
}

impl<P: Platform> Drop for Acting<P> {
    fn drop(&mut self) {
        if self.entered {
            P::leave_role();
        }
    }
}

/// Runs a guard's release work (an observer event, an unlock, an abort) unless the checker
/// is tearing the calling thread down ([`Platform::tearing_down`]): the one place every
/// guard's destructor asks.
#[inline]
pub(crate) fn unless_torn_down<P: Platform>(release: impl FnOnce()) {
    if !P::tearing_down() {
        release();
    }
}

/// A mutex over platform `P`; locking returns a guard, never a `Result`.
pub struct Mutex<P: Platform, T: Send>(P::RawMutex<T>);

impl<P: Platform, T: Send> Mutex<P, T> {
    /// Creates a mutex of `class` holding `value`.
    pub fn new(class: LockClass, value: T) -> Self {
        Self(P::mutex(class, value))
    }

    /// Blocks until the lock is held.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, P, T> {
        MutexGuard(P::lock(&self.0))
    }
}

/// The guard of a held [`Mutex`]; the lock is released on drop.
pub struct MutexGuard<'a, P: Platform, T: Send + 'a>(P::RawGuard<'a, T>);

impl<P: Platform, T: Send> Deref for MutexGuard<'_, P, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<P: Platform, T: Send> DerefMut for MutexGuard<'_, P, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A condition variable over platform `P`.
pub struct Condvar<P: Platform>(P::RawCondvar);

impl<P: Platform> Condvar<P> {
    /// Creates a condition variable whose waiters wait for `class`.
    pub fn new(class: LockClass) -> Self {
        Self(P::condvar(class))
    }

    /// Releases the guard's lock, waits for a notification and re-takes it.
    #[track_caller]
    pub fn wait<'a, T: Send>(&self, guard: MutexGuard<'a, P, T>) -> MutexGuard<'a, P, T> {
        MutexGuard(P::wait(&self.0, guard.0))
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        P::notify_all(&self.0)
    }
}

/// A sequentially consistent 64-bit atomic over platform `P`.
pub struct AtomicU64<P: Platform>(P::RawAtomicU64);

impl<P: Platform> AtomicU64<P> {
    /// Creates the atomic.
    pub fn new(value: u64) -> Self {
        Self(P::atomic(value))
    }
    /// Reads it.
    pub fn load(&self) -> u64 {
        P::load(&self.0)
    }
    /// Adds `value`, returning the previous value.
    pub fn fetch_add(&self, value: u64) -> u64 {
        P::fetch_add(&self.0, value)
    }
}

/// A sequentially consistent flag over platform `P`.
pub struct AtomicBool<P: Platform>(P::RawAtomicBool);

impl<P: Platform> AtomicBool<P> {
    /// Creates the flag.
    pub fn new(value: bool) -> Self {
        Self(P::atomic_bool(value))
    }
    /// Reads it.
    pub fn load(&self) -> bool {
        P::load_bool(&self.0)
    }
    /// Writes it.
    pub fn store(&self, value: bool) {
        P::store_bool(&self.0, value)
    }
}

/// A thread spawned with [`spawn`].
pub struct JoinHandle<P: Platform, T: Send + 'static> {
    handle: P::RawJoinHandle<T>,
    name: String,
}

impl<P: Platform, T: Send + 'static> JoinHandle<P, T> {
    /// Waits for the thread and returns its result.
    ///
    /// # Panics
    /// Re-raises the thread's panic, prefixed with the thread's name, so a checker
    /// reports which role failed.
    #[track_caller]
    pub fn join(self) -> T {
        match P::join(self.handle) {
            Ok(value) => value,
            Err(payload) => {
                let msg = panic_message(&payload);
                panic!("thread `{}` panicked: {msg}", self.name)
            }
        }
    }

    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Spawns a named thread on platform `P` (a program's threads are `t1`, `t2`, ...).
pub fn spawn<P, F, T>(name: impl Into<String>, f: F) -> JoinHandle<P, T>
where
    P: Platform,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let name = name.into();
    JoinHandle {
        handle: P::spawn(name.clone(), f),
        name,
    }
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

pub use crate::platform_std::Std;
