//! How many programs a scope holds, before and after the symmetry reduction, computed from
//! the thread bodies without listing the programs: what admits or refuses a scope before
//! anything runs.

use super::{alphabet, begun, fates, sequences};
use crate::program::scope::{ReloadAt, Scope};

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
