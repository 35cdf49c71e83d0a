//! The end check every program shares, once its threads have joined: with every writer
//! done and the clock past the grace period, a GC in the newest process completes (the
//! oracle's progress check then asks that it collected every unreferenced chunk); on S3 it
//! reported every referenced object lost behind the store's back, and a backup uploading
//! those chunks puts them back (the oracle's recovery checks); then every chunk of every
//! index on disk is readable.

use super::execute::{chunk_of, Run};
use super::model::group_name;
use crate::oracle::checks::recovery;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::Arc;
use store::storage::{Bucket, ChunkDir};
use store::{Backend, Digest, GcStatus, Platform, Process, SnapshotId};

/// Runs the end check on a program's datastore.
///
/// # Panics
/// When the final GC fails, or a chunk of a visible index is gone or damaged: on the
/// filesystem its file must hash to its digest (unless the history rotted it); on S3 the
/// object must exist and a read through the newest process's cache must return it.
pub fn end_check<P: Platform>(run: &Run<P>) {
    let knobs = run.knobs;
    // On the main thread no fault lands: what follows checks what the faults left behind.
    run.advance_clock(knobs.grace + knobs.margin + 1);
    let newest = run.newest();
    let status = match newest.garbage_collect() {
        Ok(status) => status,
        Err(err) => panic!(
            "end check: GC in the newest process ({}) failed after every writer finished: {err:#}",
            newest.id()
        ),
    };
    let indexes = visible_indexes(run);
    if run.ds.config().backend == Backend::S3 {
        recover_lost(run, &newest, &indexes, &status);
    }
    for (snapshot, name, digests) in indexes {
        for digest in digests {
            let damage = match run.ds.config().backend {
                Backend::Filesystem => filesystem_damage(run, &digest),
                // Lost objects were put back above (or the oracle failed the run).
                Backend::S3 => match run.bucket.inspect(&digest) {
                    false => Some("its bucket object is gone".to_string()),
                    true => newest
                        .read_chunk(&digest)
                        .err()
                        .map(|err| format!("a read through the cache fails: {err:#}")),
                },
            };
            if let Some(damage) = damage {
                let chunk = chunk_of(&digest).map_or("?", |c| c.name());
                panic!("end check: {snapshot}/{name} references {digest} ({chunk}), but {damage}");
            }
        }
    }
}

/// S3, after the final GC: it reported every referenced chunk whose object was lost (an
/// injected fault) and left no marker claiming one, and reported nothing else; then a
/// backup in the newest process uploads each of them, which must put its object back.
/// Judged by the oracle (property recovery), so a failure carries the event trail.
fn recover_lost<P: Platform>(
    run: &Run<P>,
    newest: &Arc<Process<P>>,
    indexes: &[(SnapshotId, String, Vec<Digest>)],
    status: &GcStatus,
) {
    let Some(oracle) = &run.oracle else { return };
    let referenced: BTreeSet<Digest> = indexes.iter().flat_map(|(.., d)| d).copied().collect();
    oracle.judge(|ground| recovery::reported(ground, &referenced, &status.missing));
    let lost: BTreeSet<Digest> = referenced
        .into_iter()
        .filter(|d| run.bucket.inspect_lost(d))
        .collect();
    if lost.is_empty() {
        return;
    }
    let now = run.ds.clock().now();
    let mut writer = newest
        .start_backup(&group_name(u8::MAX), now)
        .unwrap_or_else(|err| panic!("end check: a backup to upload lost chunks: {err:#}"));
    for digest in &lost {
        let chunk = chunk_of(digest).expect("programs only reference the pool's chunks");
        if let Err(err) = writer.upload(*digest, chunk.data()) {
            panic!("end check: uploading lost chunk {digest}: {err:#}");
        }
    }
    if let Err(err) = writer.finish() {
        panic!("end check: finishing the backup of lost chunks: {err:#}");
    }
    oracle.judge(|ground| recovery::put_back(ground, &lost));
}

fn filesystem_damage<P: Platform>(run: &Run<P>, digest: &Digest) -> Option<String> {
    if run.rotted.contains(digest) {
        // Bit rot the history wrote is not the store's doing (verify and a new upload may
        // or may not have repaired it).
        return None;
    }
    match run.chunks.inspect_intact(digest) {
        Some(true) => None,
        Some(false) => Some("its file does not hash to it".to_string()),
        None => Some("its file is gone".to_string()),
    }
}

/// Every published index on disk with its digests.
fn visible_indexes<P: Platform>(run: &Run<P>) -> Vec<(SnapshotId, String, Vec<Digest>)> {
    let mut found = Vec::new();
    run.ds
        .storage()
        .indexes
        .inspect(&mut |snapshot, name, digests| {
            found.push((snapshot.clone(), name.to_string(), digests.to_vec()));
            ControlFlow::Continue(())
        });
    found
}
