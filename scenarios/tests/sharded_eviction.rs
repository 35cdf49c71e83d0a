//! A cross-shard cache eviction racing a read of the evicted chunk, under every checker and
//! both lock granularities.
//!
//! With the sharded chunk store mutex, a cache insert of N pops the evicted chunk E from the
//! LRU under N's shard and writes E's marker afterwards under E's own shard. If E is read
//! (and so cached again) in between, that marker must not be written: the LRU would list E
//! without content. The GC side of the same gap (E removed in between: no marker may
//! resurrect it) is the `eviction-vs-remove` scenario, run with both granularities in
//! `clean.rs`.

use harness::check::{self, Budget, Checker};
use harness::world::{upload_all, Setup, World, NOW};
use store::platform::spawn;
use store::storage::ChunkDir;
use store::{Backend, LockGranularity, Platform};

/// Eviction of E by an upload of N vs a read of E.
///
/// History (cache of 1): E was uploaded long ago, unreferenced, and is cached. With 16
/// shards E and N live in different shards (9 and 12).
/// Threads: `writer-1` uploads N (cache insert: write N, pop E, then E's marker under E's
/// shard) and publishes [N]; `reader` reads E through the cache (a hit, or a miss that
/// fetches E from the bucket and caches it again, evicting N).
/// Race: E's deferred marker lands after the reader cached E again (LRU content).
fn eviction_vs_access<P: Platform>(setup: Setup) {
    let world = World::<P>::new(setup, Backend::S3, 1);
    let e = world.garbage(&[b"E"])[0];
    world.to_now();
    let w = world.spawn_backup("writer-1", "vm/100", NOW, |writer| {
        upload_all(writer, &[b"N"])
    });
    let process = world.process.clone();
    let r = spawn::<P, _, _>("reader", move || {
        let cache = process.cache().expect("S3 has a cache");
        assert_eq!(cache.access(&e).expect("E reads"), b"E", "E's content");
    });
    w.join();
    r.join();
    // Releasing the LRU mutex makes the oracle check that every LRU entry has content,
    // after the last marker was written.
    let cached = world.process.cache().expect("S3 has a cache").contains(&e);
    let size = world.chunks.inspect(&e).map(|s| s.size);
    assert!(
        !cached || size.is_some_and(|s| s > 0),
        "LRU content: E is cached but its local file is {size:?}"
    );
}

fn assert_clean(checker: Checker, lock: LockGranularity) {
    let setup = Setup::clean().with_granularity(lock);
    let entry: fn(Setup) = match checker {
        Checker::Loom => eviction_vs_access::<harness::platform::Loom>,
        _ => eviction_vs_access::<harness::platform::Shuttle>,
    };
    // Loom: exhaustive within 3 preemptions; shuttle: the default schedules and seed.
    let report = check::run(checker, &Budget::from_env(3), move || entry(setup));
    if let Some(failure) = report.failure {
        panic!(
            "eviction-vs-access under {checker} with the {lock} lock failed after {} schedules:\n{}",
            report.schedules, failure.message
        );
    }
    assert!(
        report.schedules >= 2,
        "{checker} explored one schedule only"
    );
}

macro_rules! with_lock {
    ($lock:ident => $granularity:expr) => {
        mod $lock {
            use super::*;
            #[test]
            fn loom() {
                assert_clean(Checker::Loom, $granularity);
            }
            #[test]
            fn shuttle_random() {
                assert_clean(Checker::Random, $granularity);
            }
            #[test]
            fn shuttle_pct() {
                assert_clean(Checker::Pct, $granularity);
            }
            #[test]
            fn shuttle_urw() {
                assert_clean(Checker::Urw, $granularity);
            }
        }
    };
}

mod eviction_vs_access {
    use super::*;
    with_lock!(single => LockGranularity::Single);
    with_lock!(sharded => LockGranularity::sharded());
}

/// E and N are in different shards, so the sharded run takes the deferred path.
#[test]
fn e_and_n_live_in_different_shards() {
    let g = LockGranularity::sharded();
    let (e, n) = (store::Digest::of(b"E"), store::Digest::of(b"N"));
    assert_ne!(g.shard_of(&e), g.shard_of(&n));
}
