//! Minimization: the smallest variant of a failing program that still fails the same way.
//!
//! Greedy and deterministic: candidates are tried in a fixed order (drop a thread, an
//! operation, a history item, a planned fault; an operation's own edits, such as a backup step dropped or a
//! clock step softened; the chunk store mutex back to one), and the first one that still fails is kept; it stops when no
//! candidate fails or after a number of attempts.

use super::model::{Granularity, Program};

/// Programs one edit smaller than `program`, the larger cuts first.
pub fn smaller(program: &Program) -> Vec<Program> {
    let mut out = Vec::new();
    let with = |edit: &dyn Fn(&mut Program)| {
        let mut p = program.clone();
        edit(&mut p);
        p
    };
    if program.threads.len() > 1 {
        for t in 0..program.threads.len() {
            out.push(with(&|p| p.remove_thread(t)));
        }
    }
    for (t, ops) in program.threads.iter().enumerate() {
        for o in 0..ops.len() {
            if ops.len() > 1 {
                out.push(with(&|p| {
                    p.threads[t].remove(o);
                }));
            }
        }
    }
    for h in 0..program.history.len() {
        out.push(with(&|p| {
            p.history.remove(h);
        }));
    }
    for f in 0..program.faults.len() {
        out.push(with(&|p| {
            p.faults.remove(f);
        }));
    }
    for (t, ops) in program.threads.iter().enumerate() {
        for (o, op) in ops.iter().enumerate() {
            for smaller in op.smaller() {
                out.push(with(&|p| p.threads[t][o] = smaller.clone()));
            }
        }
    }
    if program.knobs.granularity == Granularity::Sharded {
        out.push(with(&|p| p.knobs.granularity = Granularity::Single));
    }
    out
}

/// Shrinks `program` while `still_fails` holds, trying at most `attempts` candidates.
/// Returns the smallest failing program found and the candidates tried.
pub fn minimize(
    program: &Program,
    attempts: usize,
    mut still_fails: impl FnMut(&Program) -> bool,
) -> (Program, usize) {
    let mut current = program.clone();
    let mut tried = 0;
    'shrink: loop {
        for candidate in smaller(&current) {
            if tried == attempts {
                break 'shrink;
            }
            tried += 1;
            if still_fails(&candidate) {
                current = candidate;
                continue 'shrink;
            }
        }
        break;
    }
    (current, tried)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::generate;

    #[test]
    fn every_candidate_is_smaller_or_softer() {
        for seed in 0..50 {
            let program = generate(seed);
            for candidate in smaller(&program) {
                assert!(
                    candidate != program,
                    "seed {seed}: an edit changes the program"
                );
                assert!(candidate.size() <= program.size(), "seed {seed}");
                assert!(!candidate.threads.is_empty());
            }
        }
    }

    #[test]
    fn minimize_keeps_only_what_the_failure_needs() {
        // "Fails" while some thread still holds a GC: the minimum is one thread, one GC.
        let has_gc = |p: &Program| {
            p.threads
                .iter()
                .flatten()
                .any(|op| matches!(op, crate::program::Op::Gc(_)))
        };
        let program = (0..)
            .map(generate)
            .find(|p| has_gc(p) && p.size() > 4)
            .expect("most programs have a GC");
        let (small, _) = minimize(&program, 10_000, has_gc);
        assert_eq!(small.threads.len(), 1, "{small}");
        assert_eq!(small.threads[0].len(), 1, "{small}");
        assert!(small.history.is_empty(), "{small}");
    }
}
