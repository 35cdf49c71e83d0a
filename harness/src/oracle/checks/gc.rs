//! Garbage collection: at most one at a time across processes, and a completed one leaves
//! no garbage older than its cutoff.

use crate::oracle::ghost::{Ghost, GhostGc};
use crate::oracle::ground::Ground;
use crate::oracle::property::{Checked, Property, Violation};
use store::{Backend, Digest, LockKind, ProcessId};

/// At a GC start in `process`: no other GC runs.
#[inline]
pub fn single(ghost: &Ghost, process: ProcessId) -> Checked {
    match ghost.gcs.keys().next() {
        Some(other) => Err(Violation::new(
            Property::SingleGc,
            format!("GC of {process} started while GC of {other} runs"),
        )),
        None => Ok(()),
    }
}

/// At the completion of `gc`: no chunk older than its cutoff is left, except those it
/// skipped as busy and those whose per-chunk lock is held right now (being uploaded or
/// re-used).
pub fn progress(ground: &Ground, ghost: &Ghost, gc: &GhostGc) -> Checked {
    let exempt =
        |d: &Digest| gc.skipped.contains(d) || ghost.holders.contains_key(&LockKind::Chunk(*d));
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
