//! Coverage: how often the interesting states were reached (per test thread), so that the
//! tests can show that the main machines are not vacuous.

use super::model::{ModelState, Prediction, Refusal};
use super::transitions::Transition;
use harness::program::{Op, OpKind};
use harness::world::GRACE;
use std::cell::RefCell;
use std::collections::BTreeSet;

/// How often each interesting state was reached, by kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) cases: u64,
    pub(crate) transitions: u64,
    pub(crate) gcs: u64,
    pub(crate) gcs_with_session: u64,
    pub(crate) gcs_bounded_by_writer: u64,
    pub(crate) chunks_removed: u64,
    pub(crate) start_refused_busy_group: u64,
    pub(crate) refused_shutting_down: u64,
    pub(crate) gc_refused_other_process: u64,
    pub(crate) prune_refused_locked: u64,
    pub(crate) pruned: u64,
    pub(crate) reuse_hits: u64,
    pub(crate) reads_missing: u64,
    pub(crate) marker_states: u64,
    pub(crate) oracle_removes: u64,
    pub(crate) oracle_removes_with_active_writer: u64,
    pub(crate) oracle_removes_with_visible_index: u64,
    pub(crate) oracle_objects_deleted: u64,
    /// Registered operation kinds drawn and run whole.
    pub(crate) kinds: BTreeSet<OpKind>,
}

thread_local! {
    /// The tally of the current test thread.
    pub(crate) static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
}

/// Updates the current thread's tally.
pub(crate) fn tally(f: impl FnOnce(&mut Tally)) {
    TALLY.with(|t| f(&mut t.borrow_mut()));
}

/// Counts what the transition just applied to `model` reached.
pub(crate) fn tally_transition(model: &ModelState, transition: &Transition) {
    tally(|t| {
        t.transitions += 1;
        if let Transition::Op(op) = transition {
            t.kinds.insert(op.kind());
        }
        match (&model.expect, transition) {
            (Prediction::Gc(status), _) => {
                t.gcs += 1;
                t.chunks_removed += status.removed_chunks;
                if model.writers.iter().any(Option::is_some) {
                    t.gcs_with_session += 1;
                }
                if status.min_atime < model.now - GRACE {
                    t.gcs_bounded_by_writer += 1;
                }
            }
            (Prediction::Refused(Refusal::ShuttingDown), _) => t.refused_shutting_down += 1,
            (Prediction::Refused(Refusal::Locked), Transition::StartBackup { .. }) => {
                t.start_refused_busy_group += 1
            }
            (Prediction::Refused(Refusal::Locked), Transition::Op(Op::Gc(_))) => {
                t.gc_refused_other_process += 1
            }
            (Prediction::Prune(Some(Refusal::Locked)), _) => t.prune_refused_locked += 1,
            (Prediction::Prune(None), _) => t.pruned += 1,
            (Prediction::Reused(true), _) => t.reuse_hits += 1,
            (Prediction::Read(None), _) => t.reads_missing += 1,
            _ => {}
        }
        if model.chunks.values().any(|m| !m.content) {
            t.marker_states += 1;
        }
    });
}
