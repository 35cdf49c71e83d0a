//! Test shortcuts on any platform: distinct chunk data, complete and aborted backups, the
//! [`StoreError`] behind an error and the calling thread's id.

use std::sync::Arc;
use store::{BackupWriter, Digest, Platform, Process, SnapshotId, Std, StoreError};

/// Distinct chunk contents of distinct sizes.
pub fn chunk_data(i: usize) -> Vec<u8> {
    let mut data = format!("chunk number {i}:").into_bytes();
    data.resize(data.len() + i * 7 + 1, b'a' + (i % 26) as u8);
    data
}

pub fn snap(group: &str, time: i64) -> SnapshotId {
    SnapshotId {
        group: group.to_string(),
        time,
    }
}

/// The index name [`backup`] writes.
pub const INDEX: &str = "disk.img";

/// A complete backup of `group` at `time` uploading `data`, with one index [`INDEX`]
/// referencing every chunk; returns the digests in order.
pub fn backup<P: Platform>(
    p: &Arc<Process<P>>,
    group: &str,
    time: i64,
    data: &[Vec<u8>],
) -> Vec<Digest> {
    let mut w = p.start_backup(group, time).expect("starting a backup");
    let digests: Vec<Digest> = data
        .iter()
        .map(|d| w.upload_chunk(d).expect("uploading a chunk"))
        .collect();
    publish_and_finish(w, &digests);
    digests
}

/// Publishes index [`INDEX`] referencing `digests` (all known to the session) and finishes
/// the session.
pub fn publish_and_finish<P: Platform>(mut w: BackupWriter<P>, digests: &[Digest]) {
    w.create_index(INDEX).expect("creating an index");
    for d in digests {
        w.append(INDEX, *d).expect("appending to an index");
    }
    w.close_index(INDEX).expect("closing an index");
    w.finish().expect("finishing a backup");
}

/// Uploads `data` in a session that is then aborted (dropped): the chunks stay stored but
/// no index references them.
pub fn upload_unreferenced<P: Platform>(
    p: &Arc<Process<P>>,
    group: &str,
    data: &[Vec<u8>],
) -> Vec<Digest> {
    let mut w = p.start_backup(group, 1).expect("starting a backup");
    let digests = data
        .iter()
        .map(|d| w.upload_chunk(d).expect("uploading a chunk"))
        .collect();
    drop(w);
    digests
}

/// The [`StoreError`] at the root of an error, which must exist.
pub fn kind(err: &anyhow::Error) -> StoreError {
    StoreError::of(err)
        .unwrap_or_else(|| panic!("no StoreError in {err:#}"))
        .clone()
}

/// The calling thread's id as the store reports it on real threads.
pub fn thread_id() -> u64 {
    <Std as Platform>::thread_id()
}
