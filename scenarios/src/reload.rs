//! Service reload: an old process's writer outlives the reload; the new process's GC must
//! wait for it.

use harness::world::{publish, upload_all, Setup, World, GRACE, NOW};
use std::sync::Arc;
use store::platform::JoinHandle;
use store::{Backend, Digest, Platform, Process, StoreError};

/// An old-process writer still running, a new-process writer, and a GC in the new process.
///
/// History: G was written long ago and nothing references it; writer W1 of process 1
/// started at NOW and inserted X; then more than the grace period passed.
/// Threads: `writer-1` (old process) inserts Y, publishes `[X, Y]` and finishes; `reload`
/// starts process 2 (process 1 is told to shut down), spawns `writer-2` (process 2: inserts
/// Z, publishes, finishes) and runs a GC in process 2, which must be refused while W1 runs.
/// After all joins, a GC in process 2 must succeed and collect G.
/// Race: the process lock forgets process 1's shared lock, so process 2's GC runs while W1
/// is active and sweeps X, which only W1 knows about (`lock-forgets-other-processes`, P4).
pub fn reload_during_backup<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    let w1 = spawn_old_writer(&world);
    let reload = world.actor("reload", move |old, settle| {
        let new = old.reload();
        settle.enter(&new);
        let w2 = settle.actor("writer-2", &new, |new, settle| {
            let start = new.start_backup("vm/200", NOW + 2 * GRACE);
            let mut writer = settle.ok(start, "writer-2 starts")?;
            let z = settle.ok(upload_all(&mut writer, &[b"Z"]), "Z uploads")?;
            settle.ok(publish(&mut writer, "disk", &z), "writer-2 publishes")?;
            settle.ok(writer.finish(), "writer-2 finishes")
        });
        if let Err(err) = new.garbage_collect() {
            if !matches!(StoreError::of(&err), Some(StoreError::Locked(_))) {
                settle.ok(
                    Err::<(), _>(err),
                    "GC of the new process may only be refused by the lock",
                );
            }
        }
        w2.join();
        new
    });
    w1.join();
    let new = reload.join();
    collect_after_all(&world, &new);
}

/// A reload while the old process's GC runs: the old GC aborts at its next check, the new
/// process's GC waits for the old process's writer.
///
/// History: G was written long ago and nothing references it; writer W1 of process 1
/// started at NOW and inserted X; then more than the grace period passed.
/// Threads: `gc-old` runs a GC in process 1, which completes, aborts (shutting down) or is
/// refused (the new process's GC runs);
/// `reload` starts process 2 and runs a GC there, refused while W1 runs or while the old GC
/// holds the exclusive lock; `writer-1` (process 1) inserts Y, publishes `[X, Y]` and
/// finishes. After all joins, a GC in process 2 must succeed and collect G.
/// Races: the old GC removing chunks after the reload (P4 for the old writer holds through
/// the shared process lock), two GCs across processes (single GC).
pub fn gc_during_reload<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    let w1 = spawn_old_writer(&world);
    let gc_old = world.actor("gc-old", |old, settle| {
        if let Err(err) = old.garbage_collect() {
            let stopped = matches!(
                StoreError::of(&err),
                Some(StoreError::ShuttingDown(_) | StoreError::Locked(_))
            );
            if !stopped {
                settle.ok(
                    Err::<(), _>(err),
                    "the old GC may only stop for the reload or the new GC",
                );
            }
        }
    });
    let reload = world.actor("reload", |old, settle| {
        let new = old.reload();
        settle.enter(&new);
        if let Err(err) = new.garbage_collect() {
            if !matches!(StoreError::of(&err), Some(StoreError::Locked(_))) {
                settle.ok(
                    Err::<(), _>(err),
                    "GC of the new process may only be refused by the lock",
                );
            }
        }
        new
    });
    w1.join();
    gc_old.join();
    let new = reload.join();
    collect_after_all(&world, &new);
}

/// The shared history: G was written long ago and nothing references it; writer W1 of
/// process 1 started at NOW and inserted X; then more than the grace period passed. Spawns
/// `writer-1`, which goes on with W1: inserts Y, publishes `[X, Y]` and finishes.
fn spawn_old_writer<P: Platform>(world: &World<P>) -> JoinHandle<P, Option<()>> {
    world.garbage(&[b"G"]);
    world.to_now();
    let mut old_writer = world.start("vm/100", NOW);
    let x = old_writer.upload_chunk(b"X").expect("X uploads");
    world.advance(2 * GRACE);
    world.actor("writer-1", move |_, settle| {
        let y = settle.ok(upload_all(&mut old_writer, &[b"Y"]), "Y uploads")?;
        let published = publish(&mut old_writer, "disk", &[x, y[0]]);
        settle.ok(published, "writer-1 publishes")?;
        settle.ok(old_writer.finish(), "writer-1 finishes")
    })
}

/// Once every writer is done, a GC in the new process (restarted, if a crash killed it)
/// must succeed and collect G (on the main thread: no fault lands there).
fn collect_after_all<P: Platform>(world: &World<P>, new: &Arc<Process<P>>) {
    world
        .survivor(new)
        .garbage_collect()
        .expect("GC after every writer finished");
    assert!(!world.exists(&Digest::of(b"G")), "progress: G survived");
}

/// Cache eviction in the old process vs a touch by a writer of the new process: both share
/// the cache directory after a reload, but not the chunk store mutex.
///
/// History (cache of 1): X was uploaded long ago and is cached, unreferenced; `old-writer`
/// started a backup in the first process; then a reload started the second process, where
/// `new-writer` started a backup of vm/200.
/// Threads: `old-writer` uploads Y, whose cache insert evicts X to a marker in the old
/// process; `new-writer` uploads X (the object exists: a touch), publishes `[X]` and
/// finishes.
/// Race: the eviction reads X's old atime, the new writer touches X, the eviction writes a
/// marker with the old atime (`eviction-rolls-back-atime`): X looks older than the writer
/// that uses it. Emptying the file in place keeps the touch. Found by the generated phase.
pub fn eviction_vs_touch_across_reload<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 1);
    let x = world.garbage(&[b"X"])[0];
    world.to_now();
    let mut old = world.start("vm/100", NOW);
    let new = world.process.reload();
    let mut writer = new.start_backup("vm/200", NOW).expect("new-writer starts");
    let old_writer = world.actor("old-writer", move |_, settle| {
        settle.ok(old.upload_chunk(b"Y"), "old-writer uploads Y");
        drop(old);
    });
    let new_writer = world.settle().actor("new-writer", &new, move |_, settle| {
        settle.ok(writer.upload(x, b"X"), "new-writer uploads X")?;
        settle.ok(publish(&mut writer, "disk", &[x]), "new-writer publishes")?;
        settle.ok(writer.finish(), "new-writer finishes")
    });
    old_writer.join();
    new_writer.join();
}
