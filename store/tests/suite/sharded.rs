//! The sharded chunk store mutex: each operation takes its digest's shard, two shards are
//! never nested, and a cross-shard cache eviction writes its marker under the evicted
//! chunk's own shard, only while the chunk still needs one.

use crate::common::*;
use harness::check::Checker;
use harness::platform::Loom;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use store::platform::spawn;
use store::{Digest, LockGranularity, LockKind, NoopObserver, Platform, StoreConfig};

const SHARDED: LockGranularity = LockGranularity::Sharded(16);

fn sharded(case: Case) -> StoreConfig {
    case.config().with_lock_granularity(SHARDED)
}

/// The first test chunk (from `from` on) whose shard is (or is not) `shard`.
fn chunk_in(from: usize, shard: u32, same: bool) -> Vec<u8> {
    (from..)
        .map(chunk_data)
        .find(|d| (SHARDED.shard_of(&Digest::of(d)) == shard) == same)
        .expect("some chunk fits")
}

fn shard(data: &[u8]) -> u32 {
    SHARDED.shard_of(&Digest::of(data))
}

/// Asserts that no thread waited for a chunk store shard while holding another shard or
/// the LRU mutex, in a recorded log.
fn assert_never_nested(log: &[Rec], case: Case) {
    for (at, rec) in log.iter().enumerate() {
        let Rec::Acquired { lock, thread } = rec else {
            continue;
        };
        if !is_chunk_store(lock) {
            continue;
        }
        let held = held_before(log, at, *thread);
        assert!(
            !held
                .iter()
                .any(|h| is_chunk_store(h) || matches!(h, LockKind::Lru(_))),
            "{case}: thread {thread} took {lock:?} while holding {held:?}"
        );
    }
}

/// Every operation on a chunk takes that chunk's shard: a mixed workload (uploads with
/// evictions, access, verify, GC) never nests two shards, and each remove holds its
/// digest's shard (the store checks the shard of every guard in debug builds).
fn mixed_workload_takes_one_shard_at_a_time(case: Case) {
    let (env, spies) = Env::spied(case, sharded(case).with_cache_capacity(2));
    let p = env.process();
    let data: Vec<Vec<u8>> = (1..=8).map(chunk_data).collect();
    let kept = backup(&p, "vm/100", 1, &data[..4]);
    let garbage = upload_unreferenced(&p, "vm/200", &data[4..]);
    if let Some(cache) = p.cache() {
        cache.access(&kept[0]).expect("access");
    }
    p.verify_chunk(&kept[1]).expect("verify");
    env.advance(3 * GRACE);
    let status = p.garbage_collect().expect("gc");
    assert_eq!(
        status.removed_chunks,
        garbage.len() as u64,
        "{case}: garbage"
    );
    let log = spies.recorder.take();
    assert_never_nested(&log, case);
    let shards: std::collections::BTreeSet<u32> = log
        .iter()
        .filter_map(|r| match r {
            Rec::Acquired {
                lock: LockKind::ChunkStore(_, s),
                ..
            } => Some(*s),
            _ => None,
        })
        .collect();
    assert!(
        shards.len() > 1,
        "{case}: more than one shard used: {shards:?}"
    );
    env.assert_stored(&kept, "after GC");
}
per_case!(mixed_workload_takes_one_shard_at_a_time);

/// Capacity 1: inserting X evicts Y. Whether Y shares X's shard (marker written inline)
/// or not (deferred to Y's shard), Y ends up a marker with its own atime and X cached.
fn eviction_marks_the_evicted_chunk_in_its_own_shard(case: Case) {
    let y_data = chunk_data(1);
    for same in [true, false] {
        let (env, spies) = Env::spied(case, sharded(case).with_cache_capacity(1));
        let p = env.process();
        let x_data = chunk_in(2, shard(&y_data), same);
        let mut w = p.start_backup("vm/100", 1).expect("writer");
        let y = w.upload_chunk(&y_data).expect("upload Y");
        env.advance(5);
        spies.recorder.take();
        let x = w.upload_chunk(&x_data).expect("upload X");
        let log = spies.recorder.take();
        assert_never_nested(&log, case);
        let marker = env.stat(&y).expect("Y keeps a local file");
        assert_eq!(
            (marker.size, marker.atime),
            (0, T0),
            "{case} same={same}: marker"
        );
        assert_eq!(env.stat(&x).map(|s| s.size), Some(x_data.len() as u64));
        let cache = p.cache().expect("S3 has a cache");
        assert!(
            cache.contains(&x) && !cache.contains(&y),
            "{case}: LRU holds X"
        );
        let stamped_y_under = log.iter().enumerate().find_map(|(at, r)| match r {
            Rec::Stamped { digest, .. } if *digest == y => Some(held_before(&log, at, thread_id())),
            _ => None,
        });
        let held = stamped_y_under.expect("Y's marker was written");
        assert!(
            held.contains(&LockKind::ChunkStore(p.id(), SHARDED.shard_of(&y))),
            "{case} same={same}: Y's marker written under Y's shard, held {held:?}"
        );
    }
}
per_case!(eviction_marks_the_evicted_chunk_in_its_own_shard: s3_model, s3_disk);

/// A cross-shard eviction whose chunk GC removed in between writes no marker: Y is
/// popped from the LRU under X's shard; before its marker can be written under Y's shard,
/// Y's file and object are removed (the test holds Y's shard meanwhile, as GC would). A
/// marker written now would be a local file without its object. Checked under loom: on
/// every schedule where the writer has popped Y when the test looks, the test removes Y and
/// no marker comes back; loom must reach that window at least once.
fn deferred_eviction_leaves_a_removed_chunk_gone(case: Case) {
    let windows = Arc::new(AtomicUsize::new(0));
    let seen = windows.clone();
    holds_on_every_schedule(Checker::Loom, &case.to_string(), move || {
        if remove_during_deferred_eviction::<Loom>(case) {
            seen.fetch_add(1, Relaxed);
        }
    });
    assert!(
        windows.load(Relaxed) > 0,
        "{case}: no schedule reached the window between Y's pop and its marker"
    );
}

/// One run of [`deferred_eviction_leaves_a_removed_chunk_gone`]: the test holds Y's shard
/// while a writer uploads X (evicting Y); if Y is out of the LRU by then, the test removes
/// Y as GC would and checks that no marker was resurrected. Returns whether it removed Y.
fn remove_during_deferred_eviction<P: Platform>(case: Case) -> bool {
    let config = sharded(case).with_cache_capacity(1);
    let env = Env::<P>::build(case, config, Arc::new(NoopObserver), |s| s);
    let p = env.process();
    let y_data = chunk_data(1);
    let x_data = chunk_in(2, shard(&y_data), false);
    let x = Digest::of(&x_data);
    let y = upload_unreferenced(&p, "vm/100", std::slice::from_ref(&y_data))[0];
    let cache = p.cache().expect("S3 has a cache");
    assert!(cache.contains(&y), "{case}: Y cached");
    let store = p.chunk_store();
    let guard = store.lock(&y);
    let writer = {
        let p = p.clone();
        spawn::<P, _, _>("writer", move || {
            let mut w = p.start_backup("vm/200", 1).expect("writer");
            w.upload_chunk(&x_data).expect("upload X");
        })
    };
    let popped = !cache.contains(&y);
    if popped {
        // SAFETY: test stand-in for a GC sweep step: P1 `guard` holds Y's shard; P2 no
        // index exists; P3 Y's writer session ended (aborted); P4 there is one process.
        let removed = unsafe { store.remove_chunk(&guard, &y) }.expect("remove Y");
        assert!(removed, "{case}: Y had a local file");
        env.storage.bucket.delete_batch(&[y]).expect("delete Y");
    }
    drop(guard);
    writer.join();
    if popped {
        assert_eq!(
            env.stat(&y),
            None,
            "{case}: no marker resurrected for removed Y"
        );
        env.assert_stored(&[x], "after the deferred eviction");
    }
    popped
}
per_case!(deferred_eviction_leaves_a_removed_chunk_gone: s3_model, s3_disk);

/// With one shard, `Sharded(1)` and `Single` lock exactly alike: every chunk store lock
/// event names shard 0.
fn single_uses_shard_zero_only(case: Case) {
    for granularity in [LockGranularity::Single, LockGranularity::Sharded(1)] {
        let config = case
            .config()
            .with_cache_capacity(1)
            .with_lock_granularity(granularity);
        let (env, spies) = Env::spied(case, config);
        let p = env.process();
        let data: Vec<Vec<u8>> = (1..=4).map(chunk_data).collect();
        backup(&p, "vm/100", 1, &data);
        env.advance(3 * GRACE);
        p.garbage_collect().expect("gc");
        let log = spies.recorder.take();
        assert!(
            log.iter().all(|r| !matches!(
                r,
                Rec::Acquired { lock: LockKind::ChunkStore(_, s), .. } if *s != 0
            )),
            "{case} {granularity}: only shard 0"
        );
    }
}
per_case!(single_uses_shard_zero_only);
