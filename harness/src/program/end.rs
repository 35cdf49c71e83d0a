//! The end check every program shares, once its threads have joined: with every writer
//! done and the clock past the grace period, a GC in the newest process completes (the
//! oracle's progress check then asks that it collected every unreferenced chunk), and every
//! chunk of every index on disk is readable.

use super::execute::{chunk_of, Run};
use std::ops::ControlFlow;
use store::storage::{Bucket, ChunkDir};
use store::{Backend, Digest, Platform, SnapshotId};

/// Runs the end check on a program's datastore.
///
/// # Panics
/// When the final GC fails, or a chunk of a visible index is gone or damaged: on the
/// filesystem its file must hash to its digest (unless the history rotted it); on S3 the
/// object must exist and a read through the newest process's cache must return it.
pub fn end_check<P: Platform>(run: &Run<P>) {
    let knobs = run.knobs;
    // On the main thread no fault lands: what follows checks what the faults left behind.
    run.ds.clock().advance(knobs.grace + knobs.margin + 1);
    let newest = run.newest();
    if let Err(err) = newest.garbage_collect() {
        panic!(
            "end check: GC in the newest process ({}) failed after every writer finished: {err:#}",
            newest.id()
        );
    }
    for (snapshot, name, digests) in visible_indexes(run) {
        for digest in digests {
            let damage = match run.ds.config().backend {
                Backend::Filesystem => filesystem_damage(run, &digest),
                // An object lost behind the store's back (an injected fault) and not uploaded
                // again is not the store's doing.
                Backend::S3 if run.bucket.inspect_lost(&digest) => None,
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
