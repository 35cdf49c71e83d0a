//! Each seeded-bug switch, off and on, in direct sequential tests (plus, where the bug is
//! about a lock, one blocked thread observed with a channel timeout).

#[macro_use]
mod common;

use common::*;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use store::{
    Bugs, Digest, Event, Fact, LockKind, Observer, Process, SeededBug, Std, StoreConfig, StoreError,
};

/// How long a thread that should be blocked is given to (wrongly) finish.
const BLOCKED: Duration = Duration::from_millis(200);
/// How long a thread that should finish is given.
const FINISHES: Duration = Duration::from_secs(10);

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

/// TouchWithoutMutex: with one thread holding the chunk store mutex, `reuse_chunk` on
/// another thread completes at once with the bug and blocks until the release without it.
/// (On S3 the chunk is evicted first, so the re-use goes past the LRU to the local touch.)
fn touch_without_mutex(case: Case) {
    for on in [false, true] {
        let config = config(case, SeededBug::TouchWithoutMutex, on).with_cache_capacity(1);
        let env = Env::with_config(case, config);
        let p = env.process();
        let d = upload_unreferenced(&p, "vm/100", &[chunk_data(1), chunk_data(2)])[0];
        env.advance(30);
        let mut w = p.start_backup("vm/200", 1).expect("writer");
        let (tx, rx) = mpsc::channel();
        thread::scope(|s| {
            let guard = p.chunk_store().lock(&d);
            let writer = &mut w;
            s.spawn(move || tx.send(writer.reuse_chunk(d)).expect("send"));
            let early = rx.recv_timeout(BLOCKED);
            if on {
                let reused = early
                    .expect("with the bug, reuse completes while the mutex is held")
                    .expect("reuse");
                assert!(reused, "{case} bug on: chunk present");
            } else {
                assert_eq!(
                    early.err(),
                    Some(RecvTimeoutError::Timeout),
                    "{case} bug off: reuse must wait for the chunk store mutex"
                );
            }
            drop(guard);
            if !on {
                let reused = rx
                    .recv_timeout(FINISHES)
                    .expect("reuse completes once the mutex is free")
                    .expect("reuse");
                assert!(reused, "{case} bug off: chunk present");
            }
        });
        assert_eq!(
            env.atime(&d),
            T0 + 30,
            "{case} {}: the reuse touched the chunk",
            label(on)
        );
    }
}
per_case!(touch_without_mutex);

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

/// An observer that, once armed, stops the first thread that acquires a given lock right
/// after the acquisition, until released: a way to hold a per-chunk lock from a test.
#[derive(Default)]
struct Gate {
    armed: Mutex<Option<Armed>>,
}

/// The lock a [`Gate`] waits for, whom it tells, and what it waits for then.
type Armed = (LockKind, Sender<()>, Receiver<()>);

impl Gate {
    /// Arms the gate; returns (reached, release).
    fn arm(&self, lock: LockKind) -> (Receiver<()>, Sender<()>) {
        let (reached_tx, reached_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        *self.armed.lock().expect("gate") = Some((lock, reached_tx, release_rx));
        (reached_rx, release_tx)
    }
}

impl Observer for Gate {
    fn event(&self, event: &Event<'_>) {
        let Event::Fact(Fact::LockAcquired { lock, .. }) = event else {
            return;
        };
        let hit = {
            let mut armed = self.armed.lock().expect("gate");
            if armed.as_ref().is_some_and(|(want, ..)| want == lock) {
                armed.take()
            } else {
                None
            }
        };
        if let Some((_, reached, release)) = hit {
            reached.send(()).expect("reached");
            // An error means the test is gone: stop holding.
            let _ = release.recv_timeout(FINISHES);
        }
    }
}

/// UploadWithoutChunkLock: the upload takes no per-chunk lock (trace), and so completes
/// while another thread holds that lock; without the bug it waits for the release.
fn upload_without_chunk_lock(case: Case) {
    for on in [false, true] {
        let (env, spies) = Env::spied(case, config(case, SeededBug::UploadWithoutChunkLock, on));
        let p = env.process();
        spies.recorder.take();
        let d = upload_unreferenced(&p, "vm/100", &[chunk_data(1)])[0];
        let took_lock = spies
            .recorder
            .take()
            .iter()
            .any(|r| matches!(r, Rec::Acquired { lock: LockKind::Chunk(x), .. } if *x == d));
        assert_eq!(
            took_lock,
            !on,
            "{case} {}: the upload took the per-chunk lock",
            label(on)
        );

        let gate = Arc::new(Gate::default());
        let env = Env::build(
            case,
            config(case, SeededBug::UploadWithoutChunkLock, on),
            gate.clone(),
            |s| s,
        );
        let p = env.process();
        let data = chunk_data(1);
        let d = upload_unreferenced(&p, "vm/100", std::slice::from_ref(&data))[0];
        let mut w = p.start_backup("vm/200", 1).expect("writer");
        let (reached, release) = gate.arm(LockKind::Chunk(d));
        let (done_tx, done_rx) = mpsc::channel();
        thread::scope(|s| {
            let holder = s.spawn(|| p.verify_chunk(&d).map_err(|e| format!("{e:#}")));
            reached
                .recv_timeout(FINISHES)
                .expect("the holder took the per-chunk lock");
            let (writer, data) = (&mut w, &data);
            s.spawn(move || done_tx.send(writer.upload(d, data)).expect("send"));
            let early = done_rx.recv_timeout(BLOCKED);
            if on {
                early
                    .expect("with the bug, the upload completes while the lock is held")
                    .expect("upload");
            } else {
                assert_eq!(
                    early.err(),
                    Some(RecvTimeoutError::Timeout),
                    "{case} bug off: the upload must wait for the per-chunk lock"
                );
            }
            release.send(()).expect("release the holder");
            if !on {
                done_rx
                    .recv_timeout(FINISHES)
                    .expect("the upload completes after the release")
                    .expect("upload");
            }
            let verified = holder.join().expect("holder thread");
            assert_eq!(
                verified,
                Ok(store::VerifyOutcome::Good),
                "{case} {}: the holder's verify",
                label(on)
            );
        });
        w.finish().expect("finish");
    }
}
per_case!(upload_without_chunk_lock: s3_model, s3_disk);

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
