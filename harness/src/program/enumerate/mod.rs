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

mod count;

pub use count::{admit, counts, Counts, MAX_PROGRAMS};

/// The groups the threads' sessions back up.
pub const SESSION_GROUPS: [u8; 2] = [0, 1];
/// The group of the history's snapshot.
pub const HISTORY_GROUP: u8 = 2;

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
        (Some(Proc::Old), Some(session)) if op.begun_by_history().is_some() => 1u8 << session.group,
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
        let mut op = letters[letter].clone();
        if let Some(session) = op.timed(time) {
            (op, time) = (session, time + 1);
        }
        if reloads_first && op.proc() == Some(Proc::Old) {
            op = op.begun_by_history().unwrap_or(op);
        }
        ops.push(op);
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

#[cfg(test)]
mod tests;
