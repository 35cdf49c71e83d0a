//! Filesystem backend scenarios.

use harness::world::{publish, upload_all, Setup, World, GRACE, NOW};
use store::platform::spawn;
use store::{Backend, Platform};

/// Writer inserting new and existing chunks vs GC phase 2.
///
/// History: chunks A and G were written long ago and nothing references them; writer W
/// started at NOW and inserted X; then more than the grace period passed.
/// Threads: `writer-1` inserts A (present: must be touched) and N, publishes [X, A, N] and
/// finishes; `gc` runs a full GC in the same process.
/// Races: GC stats A as old, W touches A, GC unlinks A (`sweep-stat-outside-mutex`, P3);
/// W's insert of A skips the touch and GC sweeps it (`insert-skips-touch`, P3); the cutoff
/// ignores W, older than the grace period, and X is swept (`cutoff-ignores-oldest-writer`,
/// P3). Progress: G must be gone after the GC.
pub fn insert_vs_sweep<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    world.garbage(&[b"A", b"G"]);
    world.to_now();
    let mut writer = world.start("vm/100", NOW);
    let x = writer.upload_chunk(b"X").expect("X uploads");
    world.advance(2 * GRACE);
    let w = spawn::<P, _, _>("writer-1", move || {
        let new = upload_all(&mut writer, &[b"A", b"N"]);
        publish(&mut writer, "disk", &[x, new[0], new[1]]);
        writer.finish().expect("writer-1 finishes");
    });
    let process = world.process.clone();
    let gc = spawn::<P, _, _>("gc", move || {
        process.garbage_collect().expect("gc completes")
    });
    w.join();
    gc.join();
}
