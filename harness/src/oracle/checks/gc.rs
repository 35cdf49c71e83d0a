//! Garbage collection: at most one at a time across processes, none while another process
//! has an active writer, a cutoff no later than the writers it must protect allow, and a
//! completed one leaves no garbage older than its cutoff.

use crate::oracle::ghost::{Ghost, GhostGc};
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use crate::oracle::CutoffRule;
use store::{Backend, Digest, LockKind, ProcessId};

/// At a GC start in `process` with clock reading `phase1_start` and cutoff `min_atime`: no
/// other GC runs, no other process has an active writer (P4 is broken the moment such a GC
/// starts, whatever it removes later), and the cutoff is no later than `rule` allows.
pub fn started(
    ghost: &Ghost,
    rule: Option<CutoffRule>,
    process: ProcessId,
    phase1_start: i64,
    min_atime: i64,
) -> Checked {
    single(ghost, process)?;
    let other = ghost.writers.iter().find(|(_, w)| w.process != process);
    if let Some((writer, w)) = other {
        return Err(Violation::new(
            Property::P4,
            format!(
                "GC of {process} started while {writer} of {} is active",
                w.process
            ),
        ));
    }
    match rule {
        Some(rule) => cutoff(ghost, rule, process, phase1_start, min_atime),
        None => Ok(()),
    }
}

/// The cutoff: from the GC's own clock reading and the start times of the active writers
/// the oracle saw, the latest `min_atime` that keeps every one of their chunks; a later one
/// is a violation even if this schedule then removes nothing.
fn cutoff(
    ghost: &Ghost,
    rule: CutoffRule,
    process: ProcessId,
    phase1_start: i64,
    min_atime: i64,
) -> Checked {
    let oldest = ghost.writers.values().map(|w| w.start).min();
    let oldest = oldest.map_or(phase1_start, |o| o.min(phase1_start));
    let mut safe = phase1_start - rule.grace;
    if oldest < safe {
        safe = oldest - rule.margin;
    }
    match min_atime <= safe {
        true => Ok(()),
        false => Err(Violation::new(
            Property::Cutoff,
            format!(
                "GC of {process} cut off at {min_atime}, later than {safe} (started at {phase1_start}, oldest active writer from {oldest})"
            ),
        )),
    }
}

/// At a GC start in `process`: no other GC runs.
#[inline]
fn single(ghost: &Ghost, process: ProcessId) -> Checked {
    match ghost.gcs.keys().next() {
        Some(other) => Err(Violation::new(
            Property::SingleGc,
            format!("GC of {process} started while GC of {other} runs"),
        )),
        None => Ok(()),
    }
}

/// At a GC's report that `digest`'s per-chunk lock was busy: someone holds it. The store
/// reports the failed attempt and every acquisition and release inside the lock table's
/// critical section, so the ghost's holders are exact at this event; a chunk skipped while
/// free would be exempt from [`progress`] for no reason.
pub fn skipped_busy(ghost: &Ghost, digest: Digest) -> Checked {
    match ghost.holders.contains_key(&LockKind::Chunk(digest)) {
        true => Ok(()),
        false => Err(Violation::new(
            Property::Progress,
            format!("GC skipped {digest} as busy, but no one holds its per-chunk lock"),
        )),
    }
}

/// At the completion of `gc`: no chunk older than its cutoff is left, except those it
/// skipped as busy and those whose per-chunk lock is held right now (being uploaded or
/// re-used).
pub fn progress(ground: &Ground, ghost: &Ghost, gc: &GhostGc) -> Checked {
    // Objects put after the GC began listing the bucket may be missing from its listing: a
    // chunk whose upload put the object but failed to cache it has no local mark, and only
    // the next GC can see it (found by the generated phase under faults).
    //
    // A chunk a visible index references is no garbage, marked or not: a GC whose phase 1
    // could not mark it (its object was lost, so phase 1 reported it missing and left no
    // marker) keeps it when an upload has put the object back since, and deleting it would
    // be harm (found by the guided search under two faults, with the hardening of
    // `sweep-judges-missing` in place).
    let exempt = |d: &Digest| {
        gc.skipped.contains(d)
            || gc.put_after_listing.contains(d)
            || ghost.holders.contains_key(&LockKind::Chunk(*d))
            || ground.index_referencing(d).is_some()
    };
    let local: Vec<_> = ground.storage.chunks.inspect_all();
    let leftover = match ground.backend {
        Backend::Filesystem => local
            .iter()
            .find(|(d, st)| st.atime < gc.min_atime && !exempt(d))
            .map(|(d, st)| (*d, Some(st.atime))),
        Backend::S3 => ground
            .storage
            .bucket
            .inspect_all()
            .into_iter()
            .find_map(|d| {
                let atime = local.iter().find(|(l, _)| *l == d).map(|(_, st)| st.atime);
                let old = atime.is_none_or(|a| a < gc.min_atime);
                (old && !exempt(&d)).then_some((d, atime))
            }),
    };
    match leftover {
        Some((digest, atime)) => Err(Violation::new(
            Property::Progress,
            format!(
                "GC completed but left {digest} ({}, cutoff {})",
                atime.map_or("no local mark".to_string(), |a| format!("atime {a}")),
                gc.min_atime
            ),
        )),
        None => Ok(()),
    }
}

/// A GC stamps (touches, or leaves a marker for) only chunks some published index
/// referenced: phase 1 marks what visible indexes list, and the sweeps stamp nothing. A
/// chunk no index ever listed that a GC marks stays forever, garbage nobody can collect
/// (an unpublished `.tmp_didx` a crashed writer left, read as visible).
///
/// An index is on disk from its rename, reported a step later: the disk is asked too, so a
/// GC that read an index between the two is not misjudged. It cannot be pruned before the
/// report, which its writer makes holding the snapshot's lock.
#[inline]
pub fn marks_only_published(
    ground: &Ground,
    ghost: &Ghost,
    digest: Digest,
    thread: u64,
) -> Checked {
    let by_gc = ghost.gcs.values().any(|gc| gc.thread == thread);
    if !by_gc
        || ghost.ever_published.contains(&digest)
        || ground.index_referencing(&digest).is_some()
    {
        return Ok(());
    }
    Err(Violation::new(
        Property::Progress,
        format!("GC marked {digest}, which no published index ever referenced: it keeps garbage"),
    ))
}
