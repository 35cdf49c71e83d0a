//! The seeded bugs that let a thread through a lock it should wait for, checked under loom:
//! with the bug off no explored schedule lets the thread finish before the holder flags its
//! release; with the bug on loom reports the schedule that does.

use super::{config, label};
use crate::common::*;
use harness::check::Checker;
use harness::platform::Loom;
use std::sync::Arc;
use store::platform::{spawn, AtomicBool, Condvar, LockClass, Mutex};
use store::{Event, Fact, LockKind, NoopObserver, Observer, Platform, SeededBug};

/// What a re-use that got past the held chunk store mutex says.
const REUSED_UNDER_MUTEX: &str = "the reuse completed while the chunk store mutex was held";

/// TouchWithoutMutex: with one thread holding the chunk store mutex, `reuse_chunk` on
/// another thread can complete at once with the bug and waits for the release without it.
/// (On S3 the chunk is evicted first, so the re-use goes past the LRU to the local touch.)
/// Checked under loom: without the bug no schedule completes the re-use before the holder
/// flags its release; with the bug loom finds one that does.
fn touch_without_mutex(case: Case) {
    holds_on_every_schedule(Checker::Loom, &format!("{case} bug off"), move || {
        reuse_while_mutex_held::<Loom>(case, false)
    });
    fails_on_some_schedule(
        Checker::Loom,
        &format!("{case} bug on"),
        REUSED_UNDER_MUTEX,
        move || reuse_while_mutex_held::<Loom>(case, true),
    );
}
per_case!(touch_without_mutex);

/// The main thread holds the chunk store mutex of an old chunk while a writer thread
/// re-uses it; the holder flags its release just before dropping the guard, and the writer
/// checks the flag once the re-use returned. Either way the re-use touches the chunk.
fn reuse_while_mutex_held<P: Platform>(case: Case, on: bool) {
    let config = config(case, SeededBug::TouchWithoutMutex, on).with_cache_capacity(1);
    let env = Env::<P>::build(case, config, Arc::new(NoopObserver), |s| s);
    let p = env.process();
    let d = upload_unreferenced(&p, "vm/100", &[chunk_data(1), chunk_data(2)])[0];
    env.advance(30);
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    let released = Arc::new(AtomicBool::<P>::new(false));
    let guard = p.chunk_store().lock(&d);
    let writer = {
        let released = released.clone();
        spawn::<P, _, _>("writer", move || {
            let reused = w.reuse_chunk(d).expect("reuse");
            assert!(
                released.load(),
                "{case} {}: {REUSED_UNDER_MUTEX}",
                label(on)
            );
            assert!(reused, "{case} {}: chunk present", label(on));
            w
        })
    };
    released.store(true);
    drop(guard);
    let w = writer.join();
    assert_eq!(
        env.atime(&d),
        T0 + 30,
        "{case} {}: the reuse touched the chunk",
        label(on)
    );
    drop(w);
}

/// An observer that, once armed, stops the first thread that acquires a given lock right
/// after the acquisition, until opened: a way to hold a per-chunk lock from a test. Built
/// on the platform's own mutex and condvar, so the checker sees the stopped thread wait.
struct Gate<P: Platform> {
    state: Mutex<P, GateState>,
    changed: Condvar<P>,
}

/// The lock a [`Gate`] waits for, and how far it got.
#[derive(Default)]
struct GateState {
    armed: Option<LockKind>,
    reached: bool,
    open: bool,
}

impl<P: Platform> Gate<P> {
    fn new() -> Self {
        Self {
            state: Mutex::new(LockClass::Driver, GateState::default()),
            changed: Condvar::new(LockClass::Driver),
        }
    }

    /// Arms the gate for the next acquisition of `lock`.
    fn arm(&self, lock: LockKind) {
        self.state.lock().armed = Some(lock);
    }

    /// Waits until a thread stopped at the gate.
    fn wait_reached(&self) {
        let mut state = self.state.lock();
        while !state.reached {
            state = self.changed.wait(state);
        }
    }

    /// Lets the stopped thread go on.
    fn open(&self) {
        self.state.lock().open = true;
        self.changed.notify_all();
    }
}

impl<P: Platform> Observer for Gate<P> {
    fn event(&self, event: &Event<'_>) {
        let Event::Fact(Fact::LockAcquired { lock, .. }) = event else {
            return;
        };
        let mut state = self.state.lock();
        if state.armed.as_ref() != Some(lock) {
            return;
        }
        state.armed = None;
        state.reached = true;
        self.changed.notify_all();
        while !state.open {
            state = self.changed.wait(state);
        }
    }
}

/// What an upload that got past the held per-chunk lock says.
const UPLOADED_UNDER_LOCK: &str =
    "the upload completed while another thread held the per-chunk lock";

/// UploadWithoutChunkLock: the upload takes no per-chunk lock (trace), and so can complete
/// while another thread holds that lock; without the bug it waits for the release. The
/// second half is checked under loom: without the bug no schedule completes the upload
/// before the holder flags its release; with the bug loom finds one that does.
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
    }
    holds_on_every_schedule(Checker::Loom, &format!("{case} bug off"), move || {
        upload_while_chunk_locked::<Loom>(case, false)
    });
    fails_on_some_schedule(
        Checker::Loom,
        &format!("{case} bug on"),
        UPLOADED_UNDER_LOCK,
        move || upload_while_chunk_locked::<Loom>(case, true),
    );
}

/// A holder thread verifies a chunk and is stopped by a [`Gate`] right after taking its
/// per-chunk lock; a writer thread then uploads the chunk again. The main thread flags the
/// release just before opening the gate, and the writer checks the flag once its upload
/// returned. The holder's verify finds the chunk good, and the writer finishes.
fn upload_while_chunk_locked<P: Platform>(case: Case, on: bool) {
    let gate = Arc::new(Gate::<P>::new());
    let config = config(case, SeededBug::UploadWithoutChunkLock, on);
    let env = Env::<P>::build(case, config, gate.clone(), |s| s);
    let p = env.process();
    let data = chunk_data(1);
    let d = upload_unreferenced(&p, "vm/100", std::slice::from_ref(&data))[0];
    let mut w = p.start_backup("vm/200", 1).expect("writer");
    gate.arm(LockKind::Chunk(d));
    let holder = {
        let p = p.clone();
        spawn::<P, _, _>("holder", move || {
            p.verify_chunk(&d).map_err(|e| format!("{e:#}"))
        })
    };
    gate.wait_reached();
    let released = Arc::new(AtomicBool::<P>::new(false));
    let writer = {
        let released = released.clone();
        spawn::<P, _, _>("writer", move || {
            w.upload(d, &data).expect("upload");
            assert!(
                released.load(),
                "{case} {}: {UPLOADED_UNDER_LOCK}",
                label(on)
            );
            w
        })
    };
    released.store(true);
    gate.open();
    let w = writer.join();
    assert_eq!(
        holder.join(),
        Ok(store::VerifyOutcome::Good),
        "{case} {}: the holder's verify",
        label(on)
    );
    w.finish().expect("finish");
}
per_case!(upload_without_chunk_lock: s3_model, s3_disk);
