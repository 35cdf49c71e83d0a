//! The enumeration against its own claims: counts, the symmetry reduction, a listing by
//! hand, the history's begun sessions, the size limit.

use super::*;
use crate::program::model::{BackendKind, Chunk, Granularity};
use crate::program::ops::gc::Gc;
use crate::program::ops::read::Read;
use std::collections::BTreeSet;

/// Every program of `scope` with its threads in every order: what the symmetry reduction
/// reduces (for its tests; the count is [`Counts::raw`]).
fn every_order(scope: &Scope) -> Vec<Program> {
    let mut all = Vec::new();
    each(scope, true, |_, program| all.push(program));
    all
}

/// The program's representative under thread permutation: its threads sorted (by their
/// debug form, which tells any two operations apart). The enumeration lists exactly one
/// program per representative; the tests hold it to that.
fn canonical(program: &Program) -> Program {
    let mut canonical = program.clone();
    canonical.threads.sort_by_key(|ops| format!("{ops:?}"));
    canonical
}

fn tiny() -> Scope {
    "threads=2,ops=2,kinds=gc+read,chunks=1,reload=thread,backends=s3,history=snapshot"
        .parse()
        .unwrap()
}

/// Two old-process writers per thread at most, begun before the history's reload.
fn history_reload() -> Scope {
    "ops=2,kinds=backup+gc,reload=history,backends=fs,history=none"
        .parse()
        .unwrap()
}

fn listed(scope: &Scope) -> Vec<Program> {
    programs(scope, |_| true)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

fn keys(programs: impl IntoIterator<Item = Program>) -> Vec<String> {
    let key = |p: Program| format!("{:?}", canonical(&p));
    programs.into_iter().map(key).collect()
}

#[test]
fn the_counts_are_what_the_enumeration_lists() {
    let others = [
        "threads=3,reload=no",
        "threads=3,kinds=backup,reload=history",
    ];
    let others = others.map(|s| s.parse::<Scope>().unwrap());
    for scope in [tiny(), Scope::default(), history_reload()]
        .into_iter()
        .chain(others)
    {
        let counts = counts(&scope);
        assert_eq!(listed(&scope).len() as u128, counts.reduced, "{scope}");
        assert_eq!(every_order(&scope).len() as u128, counts.raw, "{scope}");
    }
}

#[test]
fn no_two_enumerated_programs_are_one_after_canonicalization() {
    for scope in [tiny(), history_reload()] {
        let listed = keys(listed(&scope));
        let distinct: BTreeSet<_> = listed.iter().collect();
        assert_eq!(distinct.len(), listed.len(), "{scope}");
    }
}

#[test]
fn every_thread_order_maps_onto_the_reduced_enumeration() {
    let three = "threads=3,ops=1,reload=no,chunks=2,kinds=gc+read";
    for scope in [tiny(), history_reload(), three.parse().unwrap()] {
        let reduced: BTreeSet<String> = keys(listed(&scope)).into_iter().collect();
        let brute: BTreeSet<String> = keys(every_order(&scope)).into_iter().collect();
        assert_eq!(brute, reduced, "{scope}");
        assert!(counts(&scope).raw > counts(&scope).reduced);
    }
}

/// A listing written out by hand, independent of the enumerator: a GC or a read of A1 in
/// each of two threads, with or without a snapshot of A1.
#[test]
fn a_tiny_scope_is_what_a_hand_listing_says() {
    let scope: Scope = "threads=2,ops=1,kinds=gc+read,chunks=1,reload=no,backends=s3,\
                        history=snapshot"
        .parse()
        .unwrap();
    let knobs = Knobs {
        backend: BackendKind::S3,
        cache_capacity: 1,
        delete_batch: 1,
        granularity: Granularity::Single,
        grace: GRACE,
        margin: MARGIN,
    };
    let ops = [
        Op::Gc(Gc {
            proc: Proc::Current,
        }),
        Op::Read(Read {
            proc: Proc::Current,
            chunk: Chunk::A1,
        }),
    ];
    let snapshot = Past::Snapshot {
        group: HISTORY_GROUP,
        indexes: vec![vec![Chunk::A1]],
        age: Age::InsideGrace,
    };
    let mut by_hand = Vec::new();
    for history in [vec![], vec![snapshot]] {
        for a in &ops {
            for b in &ops {
                by_hand.push(Program {
                    knobs,
                    history: history.clone(),
                    threads: vec![vec![a.clone()], vec![b.clone()]],
                    expect: Vec::new(),
                    faults: Vec::new(),
                });
            }
        }
    }
    let by_hand: BTreeSet<String> = keys(by_hand).into_iter().collect();
    let listed = keys(listed(&scope));
    assert_eq!((by_hand.len(), listed.len()), (6, 6));
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), by_hand);
}

#[test]
fn a_history_reload_begins_each_groups_session_once() {
    for program in listed(&history_reload()) {
        let begun: Vec<u8> = (program.threads.iter().flatten())
            .filter_map(|op| match op {
                Op::Backup(b) if b.begun.is_some() => Some(b.group),
                _ => None,
            })
            .collect();
        let groups: BTreeSet<u8> = begun.iter().copied().collect();
        assert_eq!(groups.len(), begun.len(), "{program}");
        assert_eq!(program.history.last(), Some(&Past::Reload));
    }
    // Two old-process writers, one per group, are in the scope.
    let two = listed(&history_reload()).into_iter().any(|p| {
        let begun = p.threads.iter().flatten();
        begun
            .filter(|op| matches!(op, Op::Backup(b) if b.begun.is_some()))
            .count()
            == 2
    });
    assert!(two);
}

#[test]
fn an_oversize_scope_is_refused_with_its_size() {
    let huge: Scope = "threads=3,ops=3,chunks=3,kinds=backup+gc+read+verify+prune+sync"
        .parse()
        .unwrap();
    let err = admit(&huge).expect_err("too large");
    assert!(err.contains("programs") && err.contains("limit"), "{err}");
    assert!(admit(&Scope::default()).is_ok());
}

#[test]
fn sessions_are_numbered_per_thread_and_histories_per_chunk() {
    let scope: Scope = "ops=2,kinds=backup,reload=no,history=snapshot+garbage,chunks=2"
        .parse()
        .unwrap();
    for program in listed(&scope) {
        for thread in &program.threads {
            let times: Vec<i64> = (thread.iter())
                .filter_map(|op| match op {
                    Op::Backup(b) => Some(b.time),
                    _ => None,
                })
                .collect();
            assert_eq!(times, (2..2 + times.len() as i64).collect::<Vec<_>>());
        }
        assert!(program.history.len() <= 2);
    }
}
