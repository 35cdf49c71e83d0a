//! Reporting: the first violation is kept, its message carries the recent event trail, and
//! the oracle's coverage counts what it saw.

use super::fixture::*;
use harness::oracle::{Coverage, Decisions, Property};
use store::{Backend, Fact, LockKind, Outcome};

#[test]
fn first_violation_is_kept_and_later_events_do_not_panic() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    let first = expect(
        Property::P1,
        f.violation_of(|| f.remove_call(PA, T1, d)),
        "first violation",
    );
    let expected = Some((Property::P1, first));
    f.gc_start(PA, 100);
    f.gc_start(PB, 100);
    f.lock(T1, LockKind::Lru(PA));
    f.lock(T1, store_mutex(PA));
    f.remove_call(PA, T2, d);
    assert_eq!(
        f.oracle.violation(),
        expected,
        "later violations neither panic nor replace the first"
    );
    assert_eq!(
        f.oracle.coverage().events,
        6,
        "later events are still counted"
    );
}

#[test]
fn violation_message_carries_the_described_trail() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.writer(PA, 1, &[d]);
    let message = expect(
        Property::P3,
        f.violation_of(|| f.remove(PA, T1, d)),
        "P3 with a trail",
    );
    let short = format!("{d:#}");
    let trail = message
        .split_once("event trail (oldest first):\n")
        .map(|(_, trail)| trail)
        .expect("the message has a trail section");
    for line in [
        "#1    writer-1 (process 1) started at t=0".to_string(),
        format!("#2    writer-1 uses {short} (Uploaded)"),
        "#3    thread 1 locked chunk store mutex of process 1".to_string(),
        format!("#4    thread 1 statted chunk {short}"),
        format!("#5    thread 1 (process 1) calls remove({short})"),
    ] {
        assert!(trail.contains(&line), "trail lacks {line:?}:\n{trail}");
    }
}

#[test]
fn trail_keeps_only_the_most_recent_events() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    for _ in 0..40 {
        f.lock(T2, store_mutex(PB));
        f.unlock(T2, store_mutex(PB));
    }
    let message = expect(
        Property::P1,
        f.violation_of(|| f.remove_call(PA, T1, d)),
        "P1 after 80 events",
    );
    let lines = message.lines().filter(|l| l.starts_with("  #")).count();
    assert_eq!(lines, 64, "the trail holds the last 64 events:\n{message}");
    assert!(message.contains("  #81   thread 1 (process 1) calls remove("));
    assert!(
        !message.contains("  #17 "),
        "event #17 fell off:\n{message}"
    );
}

#[test]
fn coverage_counts_removes_deletes_and_gcs() {
    let f = Fixture::new(Backend::S3);
    let (a, b, c) = (f.present(1), f.present(2), f.present(3));
    f.remove(PA, T1, a); // nothing around
    f.gc_start(PA, 0);
    let writer = f.writer(PA, 1, &[c]); // during the GC
    f.remove(PA, T1, a); // active writer, GC overlapped a writer
    f.event(Fact::Reload { old: PA, new: PB });
    f.publish(writer, &snapshot(1), &[c]);
    f.finish(writer);
    f.remove(PA, T1, b); // visible index, GC overlapped writer and reload
    f.delete_objects(PA, &[a, b]);
    f.gc_finish(PA, false);
    f.gc_start(PB, 0); // every chunk has atime 0: nothing is left below the cutoff
    f.gc_finish(PB, true);
    assert_eq!(f.oracle.violation(), None);
    let coverage = f.oracle.coverage();
    assert_eq!(
        coverage,
        Coverage {
            events: 26,
            removes: 3,
            removes_with_active_writer: 1,
            removes_with_visible_index: 1,
            removes_writer_started_during_gc: 2,
            removes_reload_during_gc: 1,
            objects_deleted: 2,
            gcs_completed: 1,
            gcs_aborted: 1,
            decisions: Decisions::default(),
            conflicts: coverage.conflicts.clone(),
        },
        "coverage of the sequence"
    );
}

#[test]
fn coverage_counts_decisions_and_conflict_pairs() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    let decided = |thread| Fact::Decided {
        outcome: Outcome::from_name("gc-sweep-file/removed").expect("declared"),
        process: PA,
        digest: Some(d),
        thread,
    };
    // T1 stats; T2 of the same process puts the object, T3 of another process touches the
    // file; T1 removes: two pairs closed at the removal. The others' windows stay open.
    const T3: u64 = 3;
    f.lock(T1, store_mutex(PA));
    f.stat(PA, T1, d);
    f.event(decided(T1));
    f.lock(T2, LockKind::Chunk(d));
    f.put(T2, d);
    f.unlock(T2, LockKind::Chunk(d));
    f.lock(T3, store_mutex(PB));
    f.stamp(PB, T3, d, false);
    f.unlock(T3, store_mutex(PB));
    f.remove_call(PA, T1, d);
    f.event(decided(T1));
    f.unlock(T1, store_mutex(PA));
    let coverage = f.oracle.coverage();
    let reached: Vec<(String, u64)> = (coverage.decisions.reached())
        .map(|(o, n)| (o.to_string(), n))
        .collect();
    assert_eq!(reached, [("gc-sweep-file/removed".to_string(), 2)]);
    let pairs: Vec<(String, u64)> = (coverage.conflicts.iter())
        .map(|(c, n)| (c.to_string(), *n))
        .collect();
    assert_eq!(
        pairs,
        [
            ("stat|touch@other|unlink".to_string(), 1),
            ("stat|put|unlink".to_string(), 1)
        ]
    );
    assert_eq!(
        coverage.decisions.unreached().count(),
        Outcome::COUNT - 1,
        "every other outcome is listed as unreached"
    );
}
