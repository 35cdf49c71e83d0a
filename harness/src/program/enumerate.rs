//! Every program of a [`Scope`], each once up to symmetry.
//!
//! The operations come from each kind's menu ([`Operation::every`](super::Operation::every))
//! over the scope's chunks and processes. A thread is a sequence of one to `ops` of them
//! (behind a reload for the thread that opens with one); a thread's sessions back up one of
//! two groups ([`SESSION_GROUPS`]: side by side, or against the group lock) at times 2, 3,
//! ... in its own order. The history leaves each chunk one of the scope's [`Fate`]s or
//! nothing: snapshot chunks share one snapshot of a third group (what a prune removes),
//! garbage chunks one aborted upload; a history that reloads ends with the reload, and the
//! old process's sessions are begun before it (at most one: a program whose history would
//! begin two is not in the scope).
//!
//! **Symmetry.** The threads of a program are interchangeable: nothing the store or the
//! oracle does depends on which program thread runs an operation, and the checker
//! explores every interleaving of them either way. So programs that differ only in the
//! order of their threads are one program, and the enumeration lists threads as a multiset
//! (non-decreasing sequence numbers). The history is built per chunk, so it has one form
//! by construction. Chunks are *not* renamed: two chunks differ in digest, and the store
//! does depend on digests (the sweep visits chunks in digest order, a sharded mutex picks
//! its shard by digest), so renaming one program's chunks gives another program with
//! other schedules, and both are enumerated. The tests hold the enumeration to a canonical form (threads sorted).

use super::model::{Age, Knobs, Past, Proc, Program};
use super::ops::{Op, Space};
use super::scope::{Fate, ReloadAt, Scope, SCOPE_CHUNKS};
use crate::world::{GRACE, MARGIN};

/// The groups the threads' sessions back up.
pub const SESSION_GROUPS: [u8; 2] = [0, 1];
/// The group of the history's snapshot.
pub const HISTORY_GROUP: u8 = 2;

/// The most programs (after symmetry) a scope may hold: a larger one is refused before
/// anything runs.
pub const MAX_PROGRAMS: u128 = 200_000;

/// How many programs a scope holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Every program, threads in every order.
    pub raw: u128,
    /// Up to symmetry: what the enumeration lists.
    pub reduced: u128,
}

/// `n` choose `k`.
fn choose(n: u128, k: u128) -> u128 {
    let mut result = 1u128;
    for i in 0..k {
        result = result.saturating_mul(n - i) / (i + 1);
    }
    result
}

/// Multisets of size `k` over `n` items.
fn multisets(n: u128, k: u128) -> u128 {
    match n {
        0 => u128::from(k == 0),
        _ => choose(n + k - 1, k),
    }
}

/// The operation menu of `scope`.
fn alphabet(scope: &Scope) -> Vec<Op> {
    let space = Space {
        procs: match scope.reload {
            ReloadAt::No => vec![Proc::Current],
            ReloadAt::Thread | ReloadAt::History => vec![Proc::Current, Proc::Old],
        },
        chunks: SCOPE_CHUNKS[..usize::from(scope.chunks)].to_vec(),
        clock: scope.clock.clone(),
        session_groups: SESSION_GROUPS.to_vec(),
        history_group: HISTORY_GROUP,
    };
    (scope.kinds.iter())
        .flat_map(|kind| kind.every(&space))
        .collect()
}

/// Every thread body of one to `scope.ops` operations, as indexes into the alphabet.
fn sequences(letters: usize, ops: u8) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = Vec::new();
    let mut last: Vec<Vec<usize>> = vec![Vec::new()];
    for _ in 0..ops {
        last = (last.iter())
            .flat_map(|seq| {
                (0..letters).map(move |letter| {
                    let mut longer = seq.clone();
                    longer.push(letter);
                    longer
                })
            })
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

/// The fates a chunk may have on `backend`: nothing, then the scope's own.
fn fates(scope: &Scope, backend: super::model::BackendKind) -> Vec<Option<Fate>> {
    let own = scope.history.iter().copied().filter(|f| f.on(backend));
    std::iter::once(None).chain(own.map(Some)).collect()
}

/// Which groups' sessions the history must begin for a body, as a bit per group: its
/// old-process sessions when the history reloads, none otherwise. The history begins at
/// most one session per group (a second would find the group locked), so a body that needs
/// two in one group is out of the scope (`None`), and so is an arrangement of threads whose
/// bodies need one group twice between them.
fn begun(scope: &Scope, letters: &[Op], bodies: &[Vec<usize>]) -> Vec<Option<u8>> {
    let group_bit = |op: &Op| match (op.proc(), op.as_backup()) {
        (Some(Proc::Old), Some(session)) if op.begun_by_history() != *op => 1u8 << session.group,
        _ => 0,
    };
    (bodies.iter())
        .map(|body| match scope.reload {
            ReloadAt::No | ReloadAt::Thread => Some(0),
            ReloadAt::History => body.iter().try_fold(0u8, |mask, letter| {
                let bit = group_bit(&letters[*letter]);
                (mask & bit == 0).then_some(mask | bit)
            }),
        })
        .collect()
}

/// Arrangements of `t` thread bodies whose begun sessions use each group at most once, given
/// how many bodies need each set of groups (`classes[mask]`): in every order, and as
/// multisets.
fn arrangements_count(classes: &[u128; 4], t: u32) -> (u128, u128) {
    // The non-decreasing sequences of `t` classes with disjoint masks, each counted as the
    // multisets it stands for (a class picked k times contributes its k-multisets).
    fn reduced(
        classes: &[u128; 4],
        left: u32,
        from: usize,
        used: u8,
        picked: &mut Vec<usize>,
    ) -> u128 {
        if left == 0 {
            return (classes.iter().enumerate())
                .map(|(class, size)| {
                    let k = picked.iter().filter(|c| **c == class).count() as u128;
                    multisets(*size, k)
                })
                .fold(1u128, u128::saturating_mul);
        }
        let mut sum = 0u128;
        for class in from..4 {
            let mask = class as u8;
            if mask & used == 0 {
                picked.push(class);
                sum = sum.saturating_add(reduced(classes, left - 1, class, used | mask, picked));
                picked.pop();
            }
        }
        sum
    }
    fn ordered(classes: &[u128; 4], left: u32, used: u8) -> u128 {
        if left == 0 {
            return 1;
        }
        (0..4)
            .filter(|class| (*class as u8) & used == 0)
            .map(|class| {
                classes[class].saturating_mul(ordered(classes, left - 1, used | class as u8))
            })
            .fold(0u128, u128::saturating_add)
    }
    (
        ordered(classes, t, 0),
        reduced(classes, t, 0, 0, &mut Vec::new()),
    )
}

/// The counts of `scope`, computed without listing its programs.
pub fn counts(scope: &Scope) -> Counts {
    let letters = alphabet(scope);
    let mut classes = [0u128; 4];
    for mask in begun(scope, &letters, &sequences(letters.len(), scope.ops))
        .into_iter()
        .flatten()
    {
        classes[usize::from(mask)] += 1;
    }
    let t = u32::from(scope.threads);
    let (raw_threads, reduced_threads) = match scope.reload {
        // Which thread reloads, and each thread's body (no session is begun).
        ReloadAt::Thread => {
            let bodies = classes[0];
            let (raw, reduced) = arrangements_count(&classes, t - 1);
            (u128::from(t) * bodies * raw, bodies * reduced)
        }
        ReloadAt::No | ReloadAt::History => arrangements_count(&classes, t),
    };
    let histories: u128 = (scope.backends.iter())
        .map(|b| (fates(scope, *b).len() as u128).pow(u32::from(scope.chunks)))
        .sum();
    let worlds = histories * scope.locks.len() as u128;
    Counts {
        raw: worlds.saturating_mul(raw_threads),
        reduced: worlds.saturating_mul(reduced_threads),
    }
}

/// Checks that `scope` is within [`MAX_PROGRAMS`]; the error says its size in one line.
pub fn admit(scope: &Scope) -> Result<Counts, String> {
    let counts = counts(scope);
    match counts.reduced > MAX_PROGRAMS {
        true => Err(format!(
            "scope {scope} holds {} programs ({} before symmetry), over the limit of \
             {MAX_PROGRAMS}: narrow it",
            counts.reduced, counts.raw
        )),
        false => Ok(counts),
    }
}

/// The history leaving chunk `i` of the scope fate `fates[i]`.
fn history(fates: &[Option<Fate>]) -> Vec<Past> {
    let chunks = SCOPE_CHUNKS.iter().copied().zip(fates.iter().copied());
    let with = |wanted: &[Fate]| {
        (chunks.clone())
            .filter(|(_, fate)| fate.is_some_and(|f| wanted.contains(&f)))
            .map(|(chunk, _)| chunk)
            .collect::<Vec<_>>()
    };
    let mut history = Vec::new();
    let referenced = with(&[Fate::Snapshot, Fate::Rot, Fate::Lost]);
    if !referenced.is_empty() {
        history.push(Past::Snapshot {
            group: HISTORY_GROUP,
            indexes: vec![referenced],
            age: Age::InsideGrace,
        });
    }
    let garbage = with(&[Fate::Garbage]);
    if !garbage.is_empty() {
        history.push(Past::Garbage {
            chunks: garbage,
            age: Age::Old,
        });
    }
    for chunk in with(&[Fate::Object]) {
        history.push(Past::Object {
            chunk,
            marker: None,
        });
    }
    for chunk in with(&[Fate::Rot]) {
        history.push(Past::Corrupt {
            chunk,
            same_size: true,
        });
    }
    for chunk in with(&[Fate::Lost]) {
        history.push(Past::LostLocal { chunk });
    }
    history
}

/// Every assignment of one of `choices` to each of `n` places.
fn products<T: Copy>(choices: &[T], n: usize) -> Vec<Vec<T>> {
    (0..n).fold(vec![Vec::new()], |partial, _| {
        (partial.iter())
            .flat_map(|p| {
                choices.iter().map(move |c| {
                    let mut longer = p.clone();
                    longer.push(*c);
                    longer
                })
            })
            .collect()
    })
}

/// Non-decreasing tuples of `k` numbers below `n`.
fn ascending(n: usize, k: usize) -> Vec<Vec<usize>> {
    (0..k).fold(vec![Vec::new()], |partial, _| {
        (partial.iter())
            .flat_map(|p| {
                let from = p.last().copied().unwrap_or(0);
                (from..n).map(move |next| {
                    let mut longer = p.clone();
                    longer.push(next);
                    longer
                })
            })
            .collect()
    })
}

/// A thread running `body` (indexes into `letters`), its sessions numbered from time 2;
/// opening with a reload if it `reloads`; its old-process sessions begun by the history
/// if the history `reloads_first`.
fn thread(letters: &[Op], body: &[usize], reloads: bool, reloads_first: bool) -> Vec<Op> {
    let mut ops: Vec<Op> = match reloads {
        true => vec![Op::Reload(super::ops::reload::Reload)],
        false => Vec::new(),
    };
    let mut time = 2;
    for &letter in body {
        let op = &letters[letter];
        let mut timed = op.timed(time);
        if timed != *op {
            time += 1;
        }
        if reloads_first && timed.proc() == Some(Proc::Old) {
            timed = timed.begun_by_history();
        }
        ops.push(timed);
    }
    ops
}

/// A thread arrangement: which body reloads (if one does) and where its thread stands,
/// and the other threads' bodies.
type Arrangement = (Option<(usize, usize)>, Vec<usize>);

/// Every thread arrangement, up to symmetry (the reloading thread first, the others
/// ascending) or in every order (`ordered`).
fn arrangements(scope: &Scope, begun: &[Option<u8>], ordered: bool) -> Vec<Arrangement> {
    let (t, bodies) = (usize::from(scope.threads), begun.len());
    let plain = |k: usize| {
        let all = match ordered {
            true => products(&(0..bodies).collect::<Vec<_>>(), k),
            false => ascending(bodies, k),
        };
        // Each group's session begun at most once between the threads.
        let within = |rest: &Vec<usize>| {
            (rest.iter())
                .try_fold(0u8, |used, b| {
                    let mask = begun[*b]?;
                    (used & mask == 0).then_some(used | mask)
                })
                .is_some()
        };
        all.into_iter().filter(within).collect::<Vec<_>>()
    };
    match scope.reload {
        ReloadAt::No | ReloadAt::History => plain(t).into_iter().map(|rest| (None, rest)).collect(),
        ReloadAt::Thread => {
            let places = if ordered { t } else { 1 };
            let mut all = Vec::new();
            for reloader in (0..bodies).filter(|b| begun[*b].is_some()) {
                for place in 0..places {
                    for rest in plain(t - 1) {
                        all.push((Some((reloader, place)), rest));
                    }
                }
            }
            all
        }
    }
}

/// Lists `scope`'s programs (up to symmetry, or every thread order when `ordered`), in a
/// fixed order, handing each with its position to `visit`.
fn each(scope: &Scope, ordered: bool, mut visit: impl FnMut(usize, Program)) {
    let letters = alphabet(scope);
    let bodies = sequences(letters.len(), scope.ops);
    let arrangements = arrangements(scope, &begun(scope, &letters, &bodies), ordered);
    let mut position = 0;
    for &backend in &scope.backends {
        for &granularity in &scope.locks {
            let knobs = Knobs {
                backend,
                cache_capacity: scope.cache,
                delete_batch: scope.batch,
                granularity,
                grace: GRACE,
                margin: MARGIN,
            };
            for fates in products(&fates(scope, backend), usize::from(scope.chunks)) {
                let mut history = history(&fates);
                if scope.reload == ReloadAt::History {
                    history.push(Past::Reload);
                }
                for (reloader, rest) in &arrangements {
                    let first = scope.reload == ReloadAt::History;
                    let mut threads: Vec<Vec<Op>> = (rest.iter())
                        .map(|body| thread(&letters, &bodies[*body], false, first))
                        .collect();
                    if let Some((body, place)) = reloader {
                        threads.insert(*place, thread(&letters, &bodies[*body], true, false));
                    }
                    let program = Program {
                        knobs,
                        history: history.clone(),
                        threads,
                        expect: Vec::new(),
                        faults: Vec::new(),
                    };
                    visit(position, program);
                    position += 1;
                }
            }
        }
    }
}

/// The programs of `scope` up to symmetry at the positions `keep` accepts (a shard), in
/// enumeration order with their positions.
pub fn programs(scope: &Scope, keep: impl Fn(usize) -> bool) -> Vec<(usize, Program)> {
    let mut kept = Vec::new();
    each(scope, false, |position, program| {
        if keep(position) {
            kept.push((position, program));
        }
    });
    kept
}

/// Every program of `scope` with its threads in every order: what the symmetry reduction
/// reduces (for its tests; the count is [`Counts::raw`]).
#[cfg(test)]
fn every_order(scope: &Scope) -> Vec<Program> {
    let mut all = Vec::new();
    each(scope, true, |_, program| all.push(program));
    all
}

/// The program's representative under thread permutation: its threads sorted (by their
/// debug form, which tells any two operations apart). The enumeration lists exactly one
/// program per representative; the tests hold it to that.
#[cfg(test)]
fn canonical(program: &Program) -> Program {
    let mut canonical = program.clone();
    canonical.threads.sort_by_key(|ops| format!("{ops:?}"));
    canonical
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::model::{BackendKind, Chunk, Granularity};
    use crate::program::ops::gc::Gc;
    use crate::program::ops::read::Read;
    use std::collections::BTreeSet;

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
}
