//! Incremental backup: chunks known from the previous snapshot, prune and GC.

use harness::world::{publish, Setup, World};
use store::{Backend, Platform, SnapshotId, StoreError};

/// Incremental backup with known chunks from the previous snapshot vs prune vs GC.
///
/// History: snapshot vm/100/1 references K1 and K2, written long ago; G is old garbage.
/// Threads: `writer-1` backs up vm/100 at time 2: K1 is known from the previous snapshot (it
/// registers it and references it without uploading; if the previous snapshot was already
/// pruned it uploads K1; while prune holds it, the backup is refused), uploads N, publishes
/// [K1, N]; `prune` prunes vm/100/1 (refused while the backup holds it); `gc` runs a GC, whose phase 1 must list the group again when
/// its newest snapshot vanishes mid-walk.
/// Races: prune vs the previous-snapshot lock (P2/P3 on K1), and GC's walk vs prune vs a
/// new snapshot. Progress: G must be gone.
pub fn incremental_vs_prune<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    let history = world.backup("vm/100", 1, &[b"K1", b"K2"]);
    world.garbage(&[b"G"]);
    world.to_now();
    let k1 = history[0];
    let w = world.actor("writer-1", move |process, settle| {
        let mut writer = match process.start_backup("vm/100", 2) {
            Ok(writer) => writer,
            // Prune holds the previous snapshot: upstream fails such a backup too.
            Err(err) if matches!(StoreError::of(&err), Some(StoreError::Locked(_))) => return None,
            Err(err) => settle.ok(Err(err), "writer-1 starts")?,
        };
        if !writer.known_chunks().contains(&k1) {
            settle.ok(writer.upload(k1, b"K1"), "K1 uploads")?;
        }
        let n = settle.ok(writer.upload_chunk(b"N"), "N uploads")?;
        settle.ok(publish(&mut writer, "disk", &[k1, n]), "writer-1 publishes")?;
        settle.ok(writer.finish(), "writer-1 finishes")
    });
    let prune = world.actor("prune", |process, _| {
        let first = SnapshotId {
            group: "vm/100".into(),
            time: 1,
        };
        // Refused while writer-1 re-uses the snapshot: both outcomes are legal.
        let _ = process.prune(&first);
    });
    let gc = world.spawn_gc();
    w.join();
    prune.join();
    gc.join();
}
