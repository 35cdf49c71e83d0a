//! Each seeded-bug switch, off and on. Here the direct sequential tests; where the bug is
//! about a lock, [`blocking`] checks the blocked thread under loom on every schedule
//! instead of giving it a time to finish.

mod blocking;

use crate::common::*;
use std::sync::mpsc;
use store::{Bugs, Digest, LockKind, Process, SeededBug, Std, StoreConfig, StoreError};

/// The case's config with `bug` switched on or not.
fn config(case: Case, bug: SeededBug, on: bool) -> StoreConfig {
    let config = case.config();
    if on {
        config.with_bugs(Bugs::only(bug))
    } else {
        config
    }
}

fn label(on: bool) -> &'static str {
    if on {
        "bug on"
    } else {
        "bug off"
    }
}

/// The shared story of the "re-use without touch" bugs: an old unreferenced chunk is
/// uploaded again by an active writer. Without `bug` its atime is refreshed and a GC keeps
/// it; with `bug` the atime stays and the GC sweeps the chunk the writer just uploaded.
/// `check` adds the bug's own observation right after the re-upload.
fn reupload_is_marked(
    case: Case,
    bug: SeededBug,
    check: impl Fn(&Process<Std>, Digest, &[u8], bool),
) {
    for on in [false, true] {
        let env = Env::with_config(case, config(case, bug, on));
        let p = env.process();
        let data = chunk_data(1);
        let d = upload_unreferenced(&p, "vm/100", std::slice::from_ref(&data))[0];
        env.advance(50);
        let mut w = p.start_backup("vm/200", 1).expect("writer");
        w.upload(d, &data).expect("re-upload");
        let expected = if on { T0 } else { T0 + 50 };
        assert_eq!(
            env.atime(&d),
            expected,
            "{case} {}: atime after the re-upload",
            label(on)
        );
        check(&p, d, &data, on);

        env.advance(GRACE + 1 - 50);
        let status = p.garbage_collect().expect("GC with the writer active");
        assert_eq!(
            status.removed_chunks,
            u64::from(on),
            "{case} {}: GC sweeps the writer's chunk only with the bug",
            label(on)
        );
        assert_eq!(
            env.stored().contains(&d),
            !on,
            "{case} {}: chunk present",
            label(on)
        );
        drop(w);
    }
}

/// InsertSkipsTouch: re-inserting an existing chunk does not refresh its atime, so GC
/// sweeps the chunk an active writer just uploaded.
fn insert_skips_touch(case: Case) {
    reupload_is_marked(case, SeededBug::InsertSkipsTouch, |p, d, data, on| {
        assert_eq!(
            p.chunk_store().insert(None, &d, data).expect("insert"),
            store::InsertOutcome::Touched,
            "{case} {}: an existing chunk is not rewritten",
            label(on)
        );
    });
}
per_case!(insert_skips_touch: fs_model, fs_disk);

/// SweepStatOutsideMutex: the trace of a sweep shows the stat of the removed chunk under
/// the chunk store mutex, held until the unlink, without the bug; outside it with the bug.
fn sweep_stat_outside_mutex(case: Case) {
    for on in [false, true] {
        let (env, spies) = Env::spied(case, config(case, SeededBug::SweepStatOutsideMutex, on));
        let p = env.process();
        let g = upload_unreferenced(&p, "vm/100", &[chunk_data(1)])[0];
        env.advance(GRACE + 1);
        spies.recorder.take();
        let status = p.garbage_collect().expect("GC");
        assert_eq!(status.removed_chunks, 1, "{case} {}: swept", label(on));
        let log = spies.recorder.take();
        let remove = log
            .iter()
            .position(|r| matches!(r, Rec::Remove { digest, .. } if *digest == g))
            .expect("the sweep removed the chunk");
        let (stat, thread) = log[..remove]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, r)| match r {
                Rec::Stat { digest, thread } if *digest == g => Some((i, *thread)),
                _ => None,
            })
            .expect("the sweep stat the chunk");
        let held_at_stat = held_before(&log, stat, thread).iter().any(is_chunk_store);
        let released_between = log[stat..remove].iter().any(
            |r| matches!(r, Rec::Released { lock, thread: t } if is_chunk_store(lock) && *t == thread),
        );
        if on {
            assert!(
                !held_at_stat,
                "{case} bug on: the stat must happen outside the mutex: {log:#?}"
            );
        } else {
            assert!(
                held_at_stat && !released_between,
                "{case} bug off: stat and unlink in one critical section: {log:#?}"
            );
        }
    }
}
per_case!(sweep_stat_outside_mutex: fs_model, fs_disk);

/// SweepStatOutsideMutex, the harm: a writer re-uses the chunk between the sweep's stat and
/// its unlink (possible only because the stat is outside the mutex), and GC unlinks the
/// chunk the writer's index then references. (Without the bug the window does not exist:
/// the same hook would deadlock on the mutex the sweep holds, so it is only run with it.)
fn sweep_stat_outside_mutex_loses_a_reused_chunk(case: Case) {
    let (env, spies) = Env::spied(case, config(case, SeededBug::SweepStatOutsideMutex, true));
    let p = env.process();
    let g = upload_unreferenced(&p, "vm/100", &[chunk_data(1)])[0];
    env.advance(GRACE + 1);
    let w = p.start_backup("vm/200", 1).expect("writer");
    let (tx, rx) = mpsc::channel();
    spies.chunks.after_stat.arm(Some(g), move || {
        let mut w = w;
        let reused = w.reuse_chunk(g).map_err(|e| format!("{e:#}"));
        tx.send((w, reused)).expect("send");
    });
    let status = p.garbage_collect().expect("GC");
    let (w, reused) = rx.try_recv().expect("the writer ran inside the window");
    assert_eq!(reused, Ok(true), "{case}: the writer re-used the chunk");
    assert_eq!(
        status.removed_chunks, 1,
        "{case}: GC unlinked it on its stale stat"
    );
    publish_and_finish(w, &[g]);
    assert!(
        env.stat(&g).is_none(),
        "{case}: the published index references a missing chunk"
    );
}
per_case!(sweep_stat_outside_mutex_loses_a_reused_chunk: fs_model, fs_disk);

/// LockForgetsOtherProcesses: GC in the new process of a reload succeeds while the old
/// process has an active writer, and sweeps the chunk that writer uploaded.
fn lock_forgets_other_processes(case: Case) {
    for on in [false, true] {
        let env = Env::with_config(case, config(case, SeededBug::LockForgetsOtherProcesses, on));
        let a = env.process();
        let mut w = a
            .start_backup("vm/100", 1)
            .expect("writer in the old process");
        let b = a.reload();
        let d = w.upload_chunk(&chunk_data(1)).expect("upload");
        env.advance(GRACE + 1);
        let result = b.garbage_collect();
        if on {
            let status = result.expect("with the bug, GC ignores the other process's writer");
            assert_eq!(status.removed_chunks, 1, "{case} bug on: swept its chunk");
            assert!(!env.stored().contains(&d), "{case} bug on: chunk gone");
        } else {
            let err = result.expect_err("GC must be refused");
            assert!(
                matches!(kind(&err), StoreError::Locked(_)),
                "{case} bug off: Locked, got {err:#}"
            );
            assert!(env.stored().contains(&d), "{case} bug off: chunk kept");
        }
        publish_and_finish(w, &[d]);
    }
}
per_case!(lock_forgets_other_processes);

/// CutoffIgnoresOldestWriter: with a writer older than the grace period, the cutoff is
/// `now - grace` instead of `writer start - margin`, and the writer's chunk is swept.
fn cutoff_ignores_oldest_writer(case: Case) {
    for on in [false, true] {
        let env = Env::with_config(case, config(case, SeededBug::CutoffIgnoresOldestWriter, on));
        let p = env.process();
        let mut w = p.start_backup("vm/100", 1).expect("writer");
        let d = w.upload_chunk(&chunk_data(1)).expect("upload");
        env.advance(3 * GRACE);
        let status = p.garbage_collect().expect("GC");
        let (min_atime, removed) = if on {
            (T0 + 2 * GRACE, 1)
        } else {
            (T0 - MARGIN, 0)
        };
        assert_eq!(status.min_atime, min_atime, "{case} {}: cutoff", label(on));
        assert_eq!(
            status.removed_chunks,
            removed,
            "{case} {}: the old writer's chunk",
            label(on)
        );
        assert_eq!(
            env.stored().contains(&d),
            !on,
            "{case} {}: chunk present",
            label(on)
        );
        drop(w);
    }
}
per_case!(cutoff_ignores_oldest_writer);

/// EvictionLocksStoreInsideLru: the trace of a cache insert that evicts shows the chunk
/// store mutex taken while the same thread holds the LRU mutex (inverted order) with the
/// bug, and the LRU entered under the chunk store mutex without it.
fn eviction_locks_store_inside_lru(case: Case) {
    for on in [false, true] {
        let config = config(case, SeededBug::EvictionLocksStoreInsideLru, on);
        let (env, spies) = Env::spied(case, config.with_cache_capacity(1));
        let p = env.process();
        spies.recorder.take();
        let first = upload_unreferenced(&p, "vm/100", &[chunk_data(1), chunk_data(2)])[0];
        assert_eq!(
            env.stat(&first).map(|s| s.size),
            Some(0),
            "{case} {}: the first chunk was evicted",
            label(on)
        );
        let log = spies.recorder.take();
        let mut inverted = 0;
        let mut in_order = 0;
        for (i, rec) in log.iter().enumerate() {
            let Rec::Acquired { lock, thread } = rec else {
                continue;
            };
            let held = held_before(&log, i, *thread);
            match lock {
                LockKind::ChunkStore(..) if held.iter().any(|l| matches!(l, LockKind::Lru(_))) => {
                    inverted += 1
                }
                LockKind::Lru(_) if held.iter().any(is_chunk_store) => in_order += 1,
                _ => {}
            }
        }
        if on {
            assert!(
                inverted > 0,
                "{case} bug on: the chunk store mutex is taken inside the LRU mutex: {log:#?}"
            );
        } else {
            assert_eq!(
                inverted, 0,
                "{case} bug off: no lock-order inversion: {log:#?}"
            );
            assert!(
                in_order > 0,
                "{case} bug off: the LRU is entered under the chunk store mutex"
            );
        }
    }
}
per_case!(eviction_locks_store_inside_lru: s3_model, s3_disk);

/// LruHitSkipsTouch (found by these tests; off, it is the regression test of the fix): an
/// S3 re-upload of a chunk the LRU holds is skipped without touching
/// it, so GC sweeps the chunk an active writer just re-used from the bucket.
fn lru_hit_skips_touch(case: Case) {
    reupload_is_marked(case, SeededBug::LruHitSkipsTouch, |p, d, _, on| {
        assert!(
            p.cache().expect("S3").contains(&d),
            "{case} {}: the re-upload was an LRU hit",
            label(on)
        );
    });
}
per_case!(lru_hit_skips_touch: s3_model, s3_disk);
