//! Filesystem backend: writers inserting and re-using chunks while GC sweeps.

use harness::world::{publish, upload_all, Setup, World, GRACE, NOW};
use store::{Backend, Platform};

/// Writer inserting new and existing chunks vs GC phase 2.
///
/// History: chunks A and G were written long ago and nothing references them; writer W
/// started at NOW and inserted X; then more than the grace period passed.
/// Threads: `gc` runs a full GC in the same process; `writer-1` inserts A (present: must be
/// touched) and N, publishes `[X, A, N]` and finishes.
/// Races: GC stats A as old, W touches A, GC unlinks A (`sweep-stat-outside-mutex`); W's
/// insert of A skips the touch and GC sweeps it (`insert-skips-touch`); the cutoff ignores
/// W, older than the grace period, and X is swept (`cutoff-ignores-oldest-writer`).
/// Progress: G must be gone after the GC.
pub fn insert_vs_sweep<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    world.garbage(&[b"A", b"G"]);
    world.to_now();
    let mut writer = world.start("vm/100", NOW);
    let x = writer.upload_chunk(b"X").expect("X uploads");
    world.advance(2 * GRACE);
    let gc = world.spawn_gc();
    let w = world.actor("writer-1", move |_, settle| {
        let Some(new) = settle.ok(upload_all(&mut writer, &[b"A", b"N"]), "uploads") else {
            return;
        };
        let published = publish(&mut writer, "disk", &[x, new[0], new[1]]);
        if settle.ok(published, "writer-1 publishes").is_some() {
            settle.ok(writer.finish(), "writer-1 finishes");
        }
    });
    w.join();
    gc.join();
}

/// Pull-style touch-and-reuse vs sweep.
///
/// History: chunks X1, X2, X3 and G were written long ago and nothing references them.
/// Threads: `gc` runs a GC; `writer-1` (a pull) starts a backup and, for each X, finds it
/// present, touches it and re-uses it without uploading (or uploads it when GC already
/// removed it), then publishes `[X1, X2, X3]` and finishes.
/// Race: GC stats an X as old under the mutex, W touches it without the mutex and decides to
/// re-use it, GC unlinks it (`touch-without-mutex`). Progress: G must be gone.
pub fn pull_reuse_vs_sweep<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    let pulled: [&[u8]; 3] = [b"X1", b"X2", b"X3"];
    let old = world.garbage(&[pulled[0], pulled[1], pulled[2], b"G"]);
    world.to_now();
    let gc = world.spawn_gc();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, move |writer, settle| {
        for (digest, data) in old.iter().zip(pulled) {
            if !settle.ok(writer.reuse_chunk(*digest), "reuse answers")? {
                settle.ok(writer.upload(*digest, data), "upload of a pulled chunk")?;
            }
        }
        Some(old[..3].to_vec())
    });
    w.join();
    gc.join();
}
