//! Mutation: a program one or a few edits away from another, for a search that keeps what
//! reached something new and tries its neighbours (`chunkcheck --search guided`).
//!
//! Every edit leaves a program the executor runs: operations are drawn as the generator
//! draws them (from the chunks the history wrote, backups mostly newer than their group's
//! last), a program keeps at least two threads and no thread is left empty, and a history
//! item is drawn for the program's backend. What an edit makes pointless (a backup time no
//! longer newer, a prune of a snapshot no longer written) is a refusal the store documents,
//! which programs accept.

use super::generate::{known_chunks, past, Rng, Weights};
use super::model::{Age, BackendKind, Granularity, Past, PlannedFault, Proc, Program};
use super::ops::{Draw, Op, OpKind, Reload, GROUPS};
use store::storage::Fault;

/// Threads a mutated program may have at most.
const MAX_THREADS: usize = 4;
/// Operations a thread may have at most.
const MAX_OPS: usize = 4;
/// History items a program may have at most.
const MAX_HISTORY: usize = 5;

/// One kind of edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edit {
    AddOp,
    DropOp,
    MoveOp,
    OtherProcess,
    RedrawOp,
    SoftenOp,
    Knob,
    AddPast,
    DropPast,
    AgePast,
    Reload,
    Splice,
    AddFault,
    DropFault,
    ShiftFault,
}

const EDITS: &[(u64, Edit)] = &[
    (4, Edit::AddOp),
    (3, Edit::DropOp),
    (3, Edit::MoveOp),
    (3, Edit::OtherProcess),
    (2, Edit::RedrawOp),
    (1, Edit::SoftenOp),
    (2, Edit::Knob),
    (2, Edit::AddPast),
    (1, Edit::DropPast),
    (2, Edit::AgePast),
    (1, Edit::Reload),
    (2, Edit::Splice),
    (3, Edit::AddFault),
    (1, Edit::DropFault),
    (3, Edit::ShiftFault),
];

/// A planned fault's storage operation is drawn below this.
const FAULT_OPS: u64 = 16;

/// `program` after one to three edits drawn from `rng`; `donor` is the program a splice
/// takes a thread from. A run injecting up to `faults` storage faults per execution also
/// plans faults: adds, drops or shifts one, never more than `faults`; with 0 the plan is
/// left alone.
pub fn mutate(program: &Program, donor: &Program, faults: u8, rng: &mut Rng) -> Program {
    let mut p = program.clone();
    let edits = rng.weighted(&[(4, 1), (2, 2), (1, 3)]);
    let allowed: Vec<(u64, Edit)> = (EDITS.iter().copied())
        .filter(|(_, e)| {
            faults > 0 || !matches!(e, Edit::AddFault | Edit::DropFault | Edit::ShiftFault)
        })
        .collect();
    for _ in 0..edits {
        let edit = rng.weighted(&allowed);
        apply(&mut p, donor, edit, faults, rng);
    }
    drop_empty_threads(&mut p);
    while p.threads.len() < 2 {
        p.threads.push(vec![Op::Clock(super::ops::Clock(
            super::ops::clock::ClockStep::One,
        ))]);
    }
    p
}

/// Drops the threads left without operations, with the faults planned for them.
fn drop_empty_threads(p: &mut Program) {
    for t in (0..p.threads.len()).rev() {
        if p.threads[t].is_empty() {
            p.remove_thread(t);
        }
    }
}

/// A fault planned on one of `p`'s threads, drawn from `rng`.
fn planned_fault(p: &Program, rng: &mut Rng) -> PlannedFault {
    PlannedFault {
        thread: rng.below(p.threads.len().max(1) as u64) as u8,
        op: rng.below(FAULT_OPS) as u16,
        fault: Fault::ALL[rng.below(Fault::ALL.len() as u64) as usize],
    }
}

/// Moves a planned fault a few storage operations, to another thread, or to another fault.
fn shift_fault(p: &mut Program, rng: &mut Rng) {
    if p.faults.is_empty() {
        return;
    }
    let drawn = planned_fault(p, rng);
    let at = rng.below(p.faults.len() as u64) as usize;
    let f = &mut p.faults[at];
    match rng.below(3) {
        0 => {
            f.op = (i64::from(f.op) + rng.range(0, 6) as i64 - 3).clamp(0, FAULT_OPS as i64) as u16
        }
        1 => f.thread = drawn.thread,
        _ => f.fault = drawn.fault,
    }
}

fn apply(p: &mut Program, donor: &Program, edit: Edit, faults: u8, rng: &mut Rng) {
    match edit {
        Edit::AddOp => add_op(p, rng),
        Edit::DropOp => {
            if let Some((t, o)) = pick_op(p, rng) {
                p.threads[t].remove(o);
            }
        }
        Edit::MoveOp => {
            if let Some((t, o)) = pick_op(p, rng) {
                let op = p.threads[t].remove(o);
                let to = pick_thread(p, rng, true);
                let at = rng.below(p.threads[to].len() as u64 + 1) as usize;
                p.threads[to].insert(at, op);
            }
        }
        Edit::OtherProcess => {
            if let Some((t, o)) = pick_op(p, rng) {
                let op = &p.threads[t][o];
                let other = match op.proc() {
                    Some(Proc::Current) => Proc::Old,
                    _ => Proc::Current,
                };
                if let Some(moved) = op.in_proc(other) {
                    p.threads[t][o] = moved;
                }
            }
        }
        Edit::RedrawOp => {
            if let Some((t, o)) = pick_op(p, rng) {
                let kind = p.threads[t][o].kind();
                p.threads[t][o] = draw_op(p, rng, kind);
            }
        }
        Edit::SoftenOp => {
            if let Some((t, o)) = pick_op(p, rng) {
                let softer = p.threads[t][o].smaller();
                if !softer.is_empty() {
                    let i = rng.below(softer.len() as u64) as usize;
                    p.threads[t][o] = softer[i].clone();
                }
            }
        }
        Edit::Knob => knob(p, rng),
        Edit::AddPast if p.history.len() < MAX_HISTORY => {
            // The executor writes bit rot and losses after every other item, wherever
            // they stand: the whole history is what they may act on.
            let item = past(rng, p.knobs.backend, &p.history);
            let at = rng.below(p.history.len() as u64 + 1) as usize;
            p.history.insert(at, item);
        }
        Edit::DropPast if !p.history.is_empty() => {
            let at = rng.below(p.history.len() as u64) as usize;
            p.history.remove(at);
        }
        Edit::AgePast if !p.history.is_empty() => {
            let at = rng.below(p.history.len() as u64) as usize;
            reage(&mut p.history[at], rng);
        }
        Edit::Reload => reload(p, rng),
        Edit::Splice if !donor.threads.is_empty() => {
            let from = &donor.threads[rng.below(donor.threads.len() as u64) as usize];
            let to = pick_thread(p, rng, true);
            p.threads[to] = from.clone();
        }
        Edit::AddFault if p.faults.len() < usize::from(faults) => {
            let fault = planned_fault(p, rng);
            p.faults.push(fault);
        }
        Edit::DropFault if !p.faults.is_empty() => {
            let at = rng.below(p.faults.len() as u64) as usize;
            p.faults.remove(at);
        }
        Edit::ShiftFault => shift_fault(p, rng),
        Edit::AddPast | Edit::DropPast | Edit::AgePast | Edit::Splice => {}
        Edit::AddFault | Edit::DropFault => {}
    }
}

/// A thread: an existing one, or (`may_open`, below [`MAX_THREADS`], one time in four) a new
/// empty one.
fn pick_thread(p: &mut Program, rng: &mut Rng, may_open: bool) -> usize {
    if may_open && p.threads.len() < MAX_THREADS && rng.chance(25) {
        p.threads.push(Vec::new());
    }
    rng.below(p.threads.len() as u64) as usize
}

/// An operation: `(thread, position)`, if the program has one.
fn pick_op(p: &Program, rng: &mut Rng) -> Option<(usize, usize)> {
    let all: Vec<(usize, usize)> = (p.threads.iter().enumerate())
        .flat_map(|(t, ops)| (0..ops.len()).map(move |o| (t, o)))
        .collect();
    (!all.is_empty()).then(|| all[rng.below(all.len() as u64) as usize])
}

/// Each group's newest snapshot time the history writes.
fn history_times(history: &[Past]) -> Vec<i64> {
    let mut times = vec![0; GROUPS as usize];
    for past in history {
        if let Past::Snapshot { group, .. } = past {
            if let Some(time) = times.get_mut(usize::from(*group)) {
                *time += 1;
            }
        }
    }
    times
}

/// An operation of `kind` drawn for `p` as the generator draws one.
fn draw_op(p: &Program, rng: &mut Rng, kind: OpKind) -> Op {
    let old = if p.reloads() { 50 } else { 0 };
    let mut draw = Draw::new(
        rng,
        old,
        known_chunks(&p.history),
        history_times(&p.history),
    );
    kind.draw(&mut draw)
}

fn add_op(p: &mut Program, rng: &mut Rng) {
    let kinds: Vec<(u64, OpKind)> = (Weights::DEFAULT.ops.iter())
        .map(|&(kind, weight)| (weight, kind))
        .collect();
    let kind = rng.weighted(&kinds);
    let op = draw_op(p, rng, kind);
    let t = pick_thread(p, rng, true);
    if p.threads[t].len() < MAX_OPS {
        let at = rng.below(p.threads[t].len() as u64 + 1) as usize;
        p.threads[t].insert(at, op);
    }
}

/// Changes one knob. A program moved to the filesystem loses its S3 objects (and lost
/// local files, which on the filesystem would be lost chunks): an object put
/// behind the store's back means nothing there, and its marker would be a truncated chunk
/// file that no history item rotted (found by the guided search: a sync job re-used such a
/// file and the oracle saw a published chunk without content).
fn knob(p: &mut Program, rng: &mut Rng) {
    let k = &mut p.knobs;
    match rng.below(6) {
        0 => {
            k.backend = match k.backend {
                BackendKind::Filesystem => BackendKind::S3,
                BackendKind::S3 => BackendKind::Filesystem,
            };
            if k.backend == BackendKind::Filesystem {
                (p.history)
                    .retain(|past| !matches!(past, Past::Object { .. } | Past::LostLocal { .. }));
            }
        }
        1 => k.cache_capacity = rng.range(1, 3) as u8,
        2 => k.delete_batch = rng.range(1, 3) as u8,
        3 => {
            k.granularity = match k.granularity {
                Granularity::Single => Granularity::Sharded,
                Granularity::Sharded => Granularity::Single,
            }
        }
        4 => k.grace = if k.grace == 60 { 100 } else { 60 },
        _ => k.margin = if k.margin == 5 { 10 } else { 5 },
    }
}

fn reage(past: &mut Past, rng: &mut Rng) {
    let age = rng.weighted(&[
        (1, Age::Ancient),
        (3, Age::Old),
        (3, Age::InsideGrace),
        (2, Age::Fresh),
    ]);
    match past {
        Past::Snapshot { age: a, .. } | Past::Garbage { age: a, .. } => *a = age,
        Past::Object { marker, .. } => *marker = rng.chance(70).then_some(age),
        Past::Corrupt { same_size, .. } => *same_size = !*same_size,
        Past::Reload | Past::LostLocal { .. } => {}
    }
}

/// Adds a reload (to a thread, or to the history) to a program without one, or removes the
/// program's reloads.
fn reload(p: &mut Program, rng: &mut Rng) {
    if p.reloads() {
        p.history.retain(|past| *past != Past::Reload);
        for ops in &mut p.threads {
            ops.retain(|op| op.kind() != OpKind::Reload);
        }
        return;
    }
    match rng.chance(70) {
        true => {
            let t = pick_thread(p, rng, false);
            p.threads[t].insert(0, Reload.into());
        }
        false => p.history.push(Past::Reload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::generate;

    #[test]
    fn mutants_keep_the_program_shape() {
        let mut rng = Rng::new(11);
        for seed in 0..300 {
            let p = generate(seed);
            let donor = generate(seed + 1_000);
            let m = mutate(&p, &donor, 0, &mut rng);
            assert!(m.threads.len() >= 2 && m.threads.len() <= MAX_THREADS + 1);
            assert!(m.threads.iter().all(|ops| !ops.is_empty()));
            assert!(m.history.len() <= MAX_HISTORY.max(p.history.len()) + 1);
        }
    }

    #[test]
    fn no_mutant_holds_an_s3_object_on_the_filesystem() {
        let mut rng = Rng::new(29);
        for seed in 0..2_000 {
            let mut p = generate(seed);
            for _ in 0..3 {
                p = mutate(&p, &generate(seed + 7), 1, &mut rng);
            }
            let objects = p.history.iter().any(|h| matches!(h, Past::Object { .. }));
            assert!(
                !(objects && p.knobs.backend == BackendKind::Filesystem),
                "{p}"
            );
        }
    }

    /// A plan never holds more faults than the run's budget, each on a thread the program
    /// has, and a run without faults plans none.
    #[test]
    fn mutants_plan_faults_within_the_budget() {
        let mut rng = Rng::new(41);
        let mut planned = 0;
        for seed in 0..300 {
            let (mut with, mut without) = (generate(seed), generate(seed));
            for _ in 0..6 {
                with = mutate(&with, &generate(seed + 3), 2, &mut rng);
                without = mutate(&without, &generate(seed + 3), 0, &mut rng);
            }
            assert!(with.faults.len() <= 2, "{with}");
            assert!(with
                .faults
                .iter()
                .all(|f| usize::from(f.thread) < with.threads.len()));
            assert!(without.faults.is_empty());
            planned += with.faults.len();
        }
        assert!(planned > 100, "mutation plans faults: {planned}");
    }

    #[test]
    fn the_same_rng_gives_the_same_mutant() {
        let (p, donor) = (generate(5), generate(6));
        let a = mutate(&p, &donor, 2, &mut Rng::new(3));
        let b = mutate(&p, &donor, 2, &mut Rng::new(3));
        assert_eq!(a, b);
    }
}
