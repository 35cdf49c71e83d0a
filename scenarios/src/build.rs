//! Shorthands for writing scenarios as programs: the world they share, and backups whose
//! steps read as the story tells them.

use harness::program::ops::{Backup, Gc};
use harness::program::{Age, BackendKind, Begun, Chunk, Granularity, Knobs, Op, Past, Proc, Step};
use harness::world::{GRACE, MARGIN};

/// The world of a scenario: `backend` with a cache of `cache` chunks, deletes in batches
/// of three, upstream's single mutex (the test chooses the granularity), the oracle's
/// default grace period and writer margin.
pub(crate) fn world(backend: BackendKind, cache: u8) -> Knobs {
    Knobs {
        backend,
        cache_capacity: cache,
        delete_batch: 3,
        granularity: Granularity::Single,
        grace: GRACE,
        margin: MARGIN,
    }
}

/// A GC in `proc`.
pub(crate) fn gc(proc: Proc) -> Op {
    Gc { proc }.into()
}

/// A backup of group `group` at backup time `time` in the current process, started by its
/// thread, running `steps` and finishing.
pub(crate) fn backup(group: u8, time: i64, steps: Vec<Step>) -> Backup {
    Backup::finished(group, time, steps)
}

/// A snapshot of group 0 referencing `chunk`, written long ago, whose local copy has
/// since rotted (same size with a changed byte, or truncated).
/// `chunks`, written long ago by a backup that aborted: unreferenced, older than any cutoff.
pub(crate) fn old_garbage(chunks: &[Chunk]) -> Past {
    Past::Garbage {
        chunks: chunks.to_vec(),
        age: Age::Old,
    }
}

pub(crate) fn rotted_snapshot(chunk: Chunk, same_size: bool) -> Vec<Past> {
    vec![
        Past::Snapshot {
            group: 0,
            indexes: vec![vec![chunk]],
            age: Age::Old,
        },
        Past::Corrupt { chunk, same_size },
    ]
}

/// `backup`, begun by the history at `begun.age` (which runs `begun.steps`).
pub(crate) fn begun(backup: Backup, begun: Begun) -> Backup {
    Backup {
        begun: Some(begun),
        ..backup
    }
}

/// Uploads of `chunks`, in order.
pub(crate) fn upload(chunks: &[Chunk]) -> Vec<Step> {
    chunks.iter().map(|&c| Step::Upload(c)).collect()
}

/// Index 0 created with `chunks` and published.
pub(crate) fn publish(chunks: &[Chunk]) -> Vec<Step> {
    let appends = chunks.iter().map(|&c| Step::Append(0, c));
    [Step::Create(0)]
        .into_iter()
        .chain(appends)
        .chain([Step::Close(0)])
        .collect()
}

/// `upload(chunks)` then `publish(chunks)`.
pub(crate) fn upload_and_publish(chunks: &[Chunk]) -> Vec<Step> {
    [upload(chunks), publish(chunks)].concat()
}

/// A session the history begins just before the threads start, with no steps of its own.
pub(crate) fn begun_fresh(backup: Backup) -> Backup {
    begun(
        backup,
        Begun {
            age: Age::Fresh,
            steps: Vec::new(),
        },
    )
}
