//! The transitions, and the reference state machine: which transitions it generates in a
//! state, and how the model applies them; one machine per backend ([`Flavor`]).

use super::alphabet::{CLOCK_STEPS, GROUPS, POOL};
use super::model::{Expect, ModelState};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;
use std::marker::PhantomData;
use store::{Backend, Bugs};

/// A step of the machine.
#[derive(Clone, Debug)]
pub(crate) enum Transition {
    /// Start a backup of `GROUPS[group]`, in the current process or (refused) the previous one.
    StartBackup { group: usize, old_process: bool },
    /// Upload chunk `chunk` in session `slot`.
    Upload { slot: usize, chunk: usize },
    /// Pull path: re-use the chunk if present, else upload it.
    Reuse { slot: usize, chunk: usize },
    /// Publish one index with the session's chunks selected by `mask` (bit = chunk).
    AppendAndClose { slot: usize, mask: u8 },
    /// Finish session `slot`: its snapshot stays.
    Finish { slot: usize },
    /// Drop the session without finishing: its snapshot is deleted.
    Abort { slot: usize },
    /// Prune the `which`-th (modulo) snapshot of the group.
    Prune { group: usize, which: usize },
    /// S3: read a chunk through the current process's cache.
    Read { chunk: usize },
    /// GC in the current process or (refused) the previous one.
    Gc { old_process: bool },
    /// Advance the logical clock by `secs`.
    AdvanceClock { secs: i64 },
    /// Reload the service: a new process starts, the current one shuts down.
    Reload,
}

impl Transition {
    /// The session a transition acts on, if any.
    pub(crate) fn slot(&self) -> Option<usize> {
        match *self {
            Transition::Upload { slot, .. }
            | Transition::Reuse { slot, .. }
            | Transition::AppendAndClose { slot, .. }
            | Transition::Finish { slot }
            | Transition::Abort { slot } => Some(slot),
            _ => None,
        }
    }
}

/// Which backend a machine runs; the model and the store are the same for both.
pub(crate) trait Flavor: 'static {
    /// The machine's backend.
    const BACKEND: Backend;
}

/// The filesystem backend.
pub(crate) struct Fs;
impl Flavor for Fs {
    const BACKEND: Backend = Backend::Filesystem;
}

/// The S3 backend.
pub(crate) struct S3;
impl Flavor for S3 {
    const BACKEND: Backend = Backend::S3;
}

/// The reference state machine of backend `F`.
pub(crate) struct Model<F>(PhantomData<F>);

impl<F: Flavor> ReferenceStateMachine for Model<F> {
    type State = ModelState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<ModelState> {
        Just(ModelState::new(F::BACKEND, Bugs::none())).boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Transition> {
        let has_old = state.current > 0;
        let old_flag = move || {
            if has_old {
                prop::bool::weighted(0.15).boxed()
            } else {
                Just(false).boxed()
            }
        };
        let mut choices: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (
                3,
                (0..GROUPS.len(), old_flag())
                    .prop_map(|(group, old_process)| Transition::StartBackup { group, old_process })
                    .boxed(),
            ),
            (
                1,
                (0..GROUPS.len(), 0..3usize)
                    .prop_map(|(group, which)| Transition::Prune { group, which })
                    .boxed(),
            ),
            (
                2,
                old_flag()
                    .prop_map(|old_process| Transition::Gc { old_process })
                    .boxed(),
            ),
            (
                2,
                prop::sample::select(CLOCK_STEPS.to_vec())
                    .prop_map(|secs| Transition::AdvanceClock { secs })
                    .boxed(),
            ),
            (1, Just(Transition::Reload).boxed()),
        ];
        if state.s3() {
            choices.push((
                1,
                (0..POOL)
                    .prop_map(|chunk| Transition::Read { chunk })
                    .boxed(),
            ));
        }
        let active: Vec<usize> = (0..GROUPS.len())
            .filter(|s| state.writers[*s].is_some())
            .collect();
        if !active.is_empty() {
            let slot = prop::sample::select(active);
            choices.extend([
                (
                    6,
                    (slot.clone(), 0..POOL)
                        .prop_map(|(slot, chunk)| Transition::Upload { slot, chunk })
                        .boxed(),
                ),
                (
                    2,
                    (slot.clone(), 0..POOL)
                        .prop_map(|(slot, chunk)| Transition::Reuse { slot, chunk })
                        .boxed(),
                ),
                (
                    2,
                    (slot.clone(), any::<u8>())
                        .prop_map(|(slot, mask)| Transition::AppendAndClose { slot, mask })
                        .boxed(),
                ),
                (
                    2,
                    slot.clone()
                        .prop_map(|slot| Transition::Finish { slot })
                        .boxed(),
                ),
                (1, slot.prop_map(|slot| Transition::Abort { slot }).boxed()),
            ]);
        }
        Union::new_weighted(choices).boxed()
    }

    /// Only ranges: a transition whose session or old process is gone (after shrinking
    /// deleted its start or the reload) is a no-op, or runs in the current process, so that
    /// shrinking can delete transitions one at a time.
    fn preconditions(_state: &ModelState, transition: &Transition) -> bool {
        match *transition {
            Transition::StartBackup { group, .. } | Transition::Prune { group, .. } => {
                group < GROUPS.len()
            }
            Transition::Upload { slot, chunk } | Transition::Reuse { slot, chunk } => {
                slot < GROUPS.len() && chunk < POOL
            }
            Transition::AppendAndClose { slot, .. }
            | Transition::Finish { slot }
            | Transition::Abort { slot } => slot < GROUPS.len(),
            Transition::Read { chunk } => chunk < POOL,
            Transition::Gc { .. } | Transition::AdvanceClock { .. } | Transition::Reload => true,
        }
    }

    fn apply(mut state: ModelState, transition: &Transition) -> ModelState {
        if let Some(slot) = transition.slot() {
            if state.writers[slot].is_none() {
                state.expect = Expect::Done;
                return state;
            }
        }
        state.expect = match *transition {
            Transition::StartBackup { group, old_process } => {
                state.start_backup(group, old_process)
            }
            Transition::Upload { slot, chunk } => {
                state.upload(slot, chunk);
                Expect::Done
            }
            Transition::Reuse { slot, chunk } => Expect::Reused(state.upload(slot, chunk)),
            Transition::AppendAndClose { slot, mask } => state.publish(slot, mask),
            Transition::Finish { slot } => {
                state.writers[slot] = None;
                Expect::Done
            }
            Transition::Abort { slot } => {
                if let Some(w) = state.writers[slot].take() {
                    state.snapshots.remove(&(slot, w.time));
                }
                Expect::Done
            }
            Transition::Prune { group, which } => state.prune(group, which),
            Transition::Read { chunk } if state.s3() => state.read(chunk),
            Transition::Read { .. } => Expect::Done,
            Transition::Gc { old_process } => state.gc(old_process),
            Transition::AdvanceClock { secs } => {
                state.now += secs;
                Expect::Done
            }
            Transition::Reload => {
                state.lrus.push(Vec::new());
                state.current += 1;
                Expect::Done
            }
        };
        state
    }
}
