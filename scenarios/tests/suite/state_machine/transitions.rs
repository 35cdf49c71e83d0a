//! The transitions, and the reference state machine: which transitions it generates in a
//! state, and how the model applies them; one machine per backend ([`Flavor`]).
//!
//! The machine speaks the program vocabulary: every registered operation
//! ([`harness::program::ops`]) is drawn through the registry (`OpKind::draw`) and run whole
//! by the program executor, so a newly registered operation is drawn here without a change
//! to this test. Besides those, the machine runs backup sessions step by step (start,
//! upload, re-use, publish, finish, abort), so that other operations land between a
//! session's steps.

use super::alphabet::{POOL, SLOTS};
use super::model::{ModelState, Prediction};
use harness::program::ops::GROUPS;
use harness::program::{Draw, Op, OpKind, Rng};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest_state_machine::ReferenceStateMachine;
use std::marker::PhantomData;
use store::{Backend, Bugs};

/// A step of the machine.
#[derive(Clone, Debug)]
pub(crate) enum Transition {
    /// A registered operation, run whole (in the current process).
    Op(Op),
    /// Start a backup session in slot `group`, in the current process or (refused) the
    /// previous one.
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
            Transition::Op(_) | Transition::StartBackup { .. } => None,
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

/// A registered operation of any kind, drawn through the registry from a seed, with the
/// groups' newest backup times as the generator would know them. Operations run in the
/// current process (the old process's refusals come from [`Transition::StartBackup`]).
fn operation(state: &ModelState) -> BoxedStrategy<Transition> {
    let times: Vec<i64> = (0..GROUPS as usize).map(|g| state.last_time(g)).collect();
    (prop::sample::select(OpKind::ALL), any::<u64>())
        .prop_map(move |(kind, seed)| {
            let mut rng = Rng::new(seed);
            let mut draw = Draw::new(&mut rng, 0, Vec::new(), times.clone());
            Transition::Op(kind.draw(&mut draw))
        })
        .boxed()
}

/// The step-by-step session transitions on the active sessions.
fn session_steps(active: Vec<usize>) -> Vec<(u32, BoxedStrategy<Transition>)> {
    let slot = prop::sample::select(active);
    vec![
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
    ]
}

impl<F: Flavor> ReferenceStateMachine for Model<F> {
    type State = ModelState;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<ModelState> {
        Just(ModelState::new(F::BACKEND, Bugs::none())).boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Transition> {
        let old_flag = match state.current > 0 {
            true => prop::bool::weighted(0.15).boxed(),
            false => Just(false).boxed(),
        };
        let mut choices: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (9, operation(state)),
            (
                3,
                (0..SLOTS, old_flag)
                    .prop_map(|(group, old_process)| Transition::StartBackup { group, old_process })
                    .boxed(),
            ),
        ];
        let active: Vec<usize> = (0..SLOTS).filter(|s| state.writers[*s].is_some()).collect();
        if !active.is_empty() {
            choices.extend(session_steps(active));
        }
        Union::new_weighted(choices).boxed()
    }

    /// Only ranges: a transition whose session or old process is gone (after shrinking
    /// deleted its start or the reload) is a no-op, or runs in the current process, so that
    /// shrinking can delete transitions one at a time.
    fn preconditions(_state: &ModelState, transition: &Transition) -> bool {
        match *transition {
            Transition::Op(_) => true,
            Transition::StartBackup { group, .. } => group < SLOTS,
            Transition::Upload { slot, chunk } | Transition::Reuse { slot, chunk } => {
                slot < SLOTS && chunk < POOL
            }
            Transition::AppendAndClose { slot, .. }
            | Transition::Finish { slot }
            | Transition::Abort { slot } => slot < SLOTS,
        }
    }

    fn apply(mut state: ModelState, transition: &Transition) -> ModelState {
        if let Some(slot) = transition.slot() {
            if state.writers[slot].is_none() {
                state.expect = Prediction::Done;
                return state;
            }
        }
        state.expect = match transition {
            Transition::Op(op) => state.operation(op),
            Transition::StartBackup { group, old_process } => {
                let time = state.next_time;
                state.start_backup(*group, *old_process, time)
            }
            Transition::Upload { slot, chunk } => {
                state.upload(*slot, *chunk);
                Prediction::Done
            }
            Transition::Reuse { slot, chunk } => Prediction::Reused(state.upload(*slot, *chunk)),
            Transition::AppendAndClose { slot, mask } => state.publish(*slot, *mask),
            Transition::Finish { slot } => {
                state.writers[*slot] = None;
                Prediction::Done
            }
            Transition::Abort { slot } => {
                state.abort(*slot);
                Prediction::Done
            }
        };
        state
    }
}
