//! Verify: renaming a corrupt chunk aside while a writer uploads a good copy.

use harness::world::{publish, Setup, World};
use store::{Backend, Platform, VerifyOutcome};

/// Verify renaming a corrupt chunk vs upload of a good copy.
///
/// History: snapshot vm/100/1 references X; X's file has since been truncated (bit rot of a
/// different size, so an insert rewrites it).
/// Threads: `verify` checks X and renames it to `X.0.bad` if it is corrupt when read;
/// `writer-1` backs up vm/100 at time 2, uploads a good copy of X, publishes `[X]`.
/// Race: verify reads the corrupt copy, the writer writes the good one, verify renames the
/// good one aside; the writer's index then references a missing chunk (harm). The per-chunk
/// lock and the chunk store mutex around verify's read-check-rename prevent it.
pub fn verify_vs_upload<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::Filesystem, 8);
    let x = world.backup("vm/100", 1, &[b"X good"])[0];
    world.chunks.corrupt(&x, b"X".to_vec());
    world.to_now();
    let w = world.actor("writer-1", move |process, settle| {
        let start = process.start_backup("vm/100", 2);
        let mut writer = settle.ok(start, "writer-1 starts")?;
        settle.ok(writer.upload(x, b"X good"), "good copy uploads")?;
        settle.ok(publish(&mut writer, "disk", &[x]), "writer-1 publishes")?;
        settle.ok(writer.finish(), "writer-1 finishes")
    });
    let verify = world.actor("verify", move |process, settle| {
        settle.ok(process.verify_chunk(&x), "verify answers")
    });
    w.join();
    if let Some(outcome) = verify.join() {
        assert!(
            matches!(outcome, VerifyOutcome::Good | VerifyOutcome::Quarantined(_)),
            "unexpected verify outcome {outcome:?}"
        );
    }
    // The writer's upload repairs X; a fault may have stopped it (the oracle still judges
    // everything that happened).
    if !world.faulted() {
        assert!(world.exists(&x), "the good copy of X must survive");
    }
}
