//! [`ModelCell`]: the state of a model storage object, changed one atomic step at a time.

use super::fault::{Fault, FaultSource, Site};
use crate::digest::Digest;
use crate::platform::{LockClass, Mutex, MutexGuard, Platform};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, PoisonError, RwLock};

/// State behind a platform mutex (the scheduling point of each operation) and a std lock
/// (so an oracle can peek without a scheduling point).
pub(crate) struct ModelCell<P: Platform, S: Send> {
    step: Mutex<P, ()>,
    state: std::sync::Mutex<S>,
    /// Who decides where faults land; none, nothing fails.
    faults: RwLock<Option<Arc<dyn FaultSource>>>,
}

/// One operation's access to the state. The std guard is released before the platform
/// mutex, so no other modelled thread can ever block on the std lock: they all run on one
/// OS thread under a checker, and waiting there would hang the whole model.
pub(crate) struct Step<'a, P: Platform, S: Send> {
    // Field order is drop order: the std guard first.
    state: std::sync::MutexGuard<'a, S>,
    _step: MutexGuard<'a, P, ()>,
}

impl<P: Platform, S: Send> ModelCell<P, S> {
    pub(crate) fn new(state: S) -> Self {
        Self {
            step: Mutex::new(LockClass::ModelStep, ()),
            state: std::sync::Mutex::new(state),
            faults: RwLock::new(None),
        }
    }

    /// From now on, `source` decides at each operation whether a fault lands there.
    pub(crate) fn set_faults(&self, source: Option<Arc<dyn FaultSource>>) {
        *self.faults.write().unwrap_or_else(PoisonError::into_inner) = source;
    }

    /// Takes one step at `site` and asks the fault source (inside the step, so the checker's
    /// choice is tied to this point of the interleaving) whether a fault lands here. The
    /// source must not be a scheduling point itself.
    #[track_caller]
    pub(crate) fn step_at(
        &self,
        site: Site,
        digest: Option<&Digest>,
    ) -> (Step<'_, P, S>, Option<Fault>) {
        self.step_naming(site, |_| digest.copied())
    }

    /// As [`Self::step_at`], where the object a fault would name depends on the state at
    /// the step (a stale listing names the change it misses): `name` reads it once the step
    /// is taken, when no other operation can change it.
    #[track_caller]
    pub(crate) fn step_naming(
        &self,
        site: Site,
        name: impl FnOnce(&S) -> Option<Digest>,
    ) -> (Step<'_, P, S>, Option<Fault>) {
        let (step, fault, ()) = self.step_then(site, name, || ());
        (step, fault)
    }

    /// As [`Self::step_naming`], calling `first` once the step is taken, before the state
    /// is: `first` may be a scheduling point itself (a clock read), which must not happen
    /// while the std lock is held.
    #[track_caller]
    fn step_then<T>(
        &self,
        site: Site,
        name: impl FnOnce(&S) -> Option<Digest>,
        first: impl FnOnce() -> T,
    ) -> (Step<'_, P, S>, Option<Fault>, T) {
        let step = self.step.lock();
        let value = first();
        let digest = name(&self.peek());
        // Asked before the state is taken: a source may report the fault to an observer,
        // which may peek at this state.
        let source = self
            .faults
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let fault = source.and_then(|s| s.decide(site, digest.as_ref()));
        let step = Step {
            state: self.peek(),
            _step: step,
        };
        (step, fault, value)
    }

    /// Takes one step at `site`, where only faults that fail the operation land (an I/O
    /// error, a crash): one fails it before it acts, with `what` (the operation and its
    /// object) as context.
    #[track_caller]
    pub(crate) fn step_or_fail(
        &self,
        site: Site,
        digest: Option<&Digest>,
        what: impl FnOnce() -> String,
    ) -> anyhow::Result<Step<'_, P, S>> {
        let (step, fault) = self.step_at(site, digest);
        match fault.and_then(|f| f.failure(site)) {
            Some(err) => Err(err.context(what())),
            None => Ok(step),
        }
    }

    /// As [`Self::step_or_fail`], reading the clock (`now`) once the step is taken: what
    /// the operation stamps is the time as it happens, as a kernel stamps a file.
    #[track_caller]
    pub(crate) fn step_or_fail_at_time(
        &self,
        site: Site,
        digest: &Digest,
        what: impl FnOnce() -> String,
        now: &dyn Fn() -> i64,
    ) -> anyhow::Result<(Step<'_, P, S>, i64)> {
        let (step, fault, time) = self.step_then(site, |_| Some(*digest), now);
        match fault.and_then(|f| f.failure(site)) {
            Some(err) => Err(err.context(what())),
            None => Ok((step, time)),
        }
    }

    /// The state without a scheduling point (oracles, test setup).
    pub(crate) fn peek(&self) -> std::sync::MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<P: Platform, S: Send> Deref for Step<'_, P, S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.state
    }
}

impl<P: Platform, S: Send> DerefMut for Step<'_, P, S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.state
    }
}
