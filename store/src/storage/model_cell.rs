//! [`ModelCell`]: the state of a model storage object, changed one atomic step at a time.

use crate::platform::{Mutex, MutexGuard, Platform};
use std::ops::{Deref, DerefMut};

/// State behind a platform mutex (the scheduling point of each operation) and a std lock
/// (so an oracle can peek without a scheduling point).
pub(crate) struct ModelCell<P: Platform, S: Send> {
    step: Mutex<P, ()>,
    state: std::sync::Mutex<S>,
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
            step: Mutex::new(()),
            state: std::sync::Mutex::new(state),
        }
    }

    /// Takes one step: the platform mutex, then the state.
    #[track_caller]
    pub(crate) fn step(&self) -> Step<'_, P, S> {
        let step = self.step.lock();
        Step {
            state: self.peek(),
            _step: step,
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
