//! Deterministic generation of actor programs from a seed.
//!
//! The generator uses its own small RNG (SplitMix64), so a seed gives the same program on
//! every machine and every Rust version. Program `i` of a campaign with program seed `s`
//! is `generate(s + i)`.
//!
//! The weights lean toward mixes that can race: most programs have a GC and at least one
//! backup in different threads, a reload in most of them with operations in both the old
//! and the new process, both backends equally, and history that gives a GC something to
//! judge (garbage of every age, snapshots to re-use and prune). [`Weights`] names the
//! alternatives they were measured against; BENCHMARKS.md records the detection rates.

use super::model::{Age, BackendKind, Chunk, Granularity, Knobs, Past, Program};
use super::ops::clock::ClockStep;
use super::ops::{Backup, Clock, Draw, Gc, Op, OpKind, Operation, Reload, GROUPS};

/// SplitMix64: small, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, each with its weight.
    pub fn weighted<T: Copy>(&mut self, items: &[(u64, T)]) -> T {
        let total: u64 = items.iter().map(|(w, _)| w).sum();
        let mut pick = self.below(total);
        for (weight, item) in items {
            if pick < *weight {
                return *item;
            }
            pick -= weight;
        }
        items[items.len() - 1].1
    }

    /// A chunk of the pool.
    pub(super) fn chunk(&mut self) -> Chunk {
        Chunk(self.below(u64::from(Chunk::COUNT)) as u8)
    }

    fn age(&mut self) -> Age {
        self.weighted(&[(4, Age::Old), (3, Age::InsideGrace), (2, Age::Fresh)])
    }
}

/// The biases of the generator: which mixes it draws how often. [`Weights::DEFAULT`] is
/// what the campaign uses; the others exist to measure it against (`chunkcheck
/// --weights`), and BENCHMARKS.md records the detection rates that chose it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    /// The profile's name on the command line.
    pub name: &'static str,
    /// Percent of programs whose first thread starts with a GC.
    pub core_gc: u64,
    /// Percent of programs whose second thread starts with a backup.
    pub core_backup: u64,
    /// Percent of programs with a reload.
    pub reload: u64,
    /// Whether the reload opens its thread (else it lands anywhere in it).
    pub reload_first: bool,
    /// Percent of operations in the old process, in programs with a reload.
    pub old_process: u64,
    /// Percent of programs on the S3 backend.
    pub s3: u64,
    /// Weights of a thread's further operations, by kind.
    pub ops: &'static [(OpKind, u64)],
}

impl Weights {
    /// The campaign's: a GC and a backup in different threads of most programs, a reload
    /// in most programs, opening its thread, with half their operations in the old process,
    /// both backends alike. Chosen over [`Weights::RELOAD_LIGHT`] and [`Weights::FLAT`] by
    /// the programs each needed to catch the seeded bugs (BENCHMARKS.md).
    pub const DEFAULT: Weights = Weights {
        name: "default",
        core_gc: 85,
        core_backup: 90,
        reload: 60,
        reload_first: true,
        old_process: 50,
        s3: 50,
        ops: OpKind::WEIGHTS,
    };

    /// No bias toward a mix: every operation kind alike, nothing forced, the reload
    /// anywhere in its thread.
    pub const FLAT: Weights = Weights {
        name: "flat",
        core_gc: 0,
        core_backup: 0,
        reload: 35,
        reload_first: false,
        old_process: 40,
        s3: 50,
        ops: OpKind::FLAT_WEIGHTS,
    };

    /// The default with a reload in a third of the programs and 40 % of their operations in
    /// the old process (the default before the comparison).
    pub const RELOAD_LIGHT: Weights = Weights {
        name: "reload-light",
        reload: 35,
        old_process: 40,
        ..Weights::DEFAULT
    };

    /// Every profile.
    pub const ALL: [Weights; 3] = [Weights::DEFAULT, Weights::FLAT, Weights::RELOAD_LIGHT];
}

impl std::str::FromStr for Weights {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|w| w.name == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|w| w.name).collect();
            format!(
                "unknown weights {s:?}: expected one of {}",
                names.join(", ")
            )
        })
    }
}

impl std::fmt::Display for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The program of seed `seed`, with the campaign's [`Weights::DEFAULT`].
pub fn generate(seed: u64) -> Program {
    generate_with(seed, &Weights::DEFAULT)
}

/// The program of seed `seed` under `weights`.
pub fn generate_with(seed: u64, weights: &Weights) -> Program {
    let mut rng = Rng::new(seed);
    let knobs = knobs(&mut rng, weights);
    let history = history(&mut rng, knobs.backend);
    let mut last_time = [0i64; GROUPS as usize];
    for past in &history {
        if let Past::Snapshot { group, .. } = past {
            last_time[usize::from(*group)] += 1;
        }
    }
    let threads = threads(&mut rng, weights, &history, &last_time);
    Program {
        knobs,
        history,
        threads,
        expect: Vec::new(),
        faults: Vec::new(),
    }
}

pub(super) fn knobs(rng: &mut Rng, weights: &Weights) -> Knobs {
    // Reduced to lowest terms, so 50 % draws exactly as the 1:1 it always was.
    let (fs, s3) = (100 - weights.s3.min(100), weights.s3.min(100));
    let divisor = gcd(fs, s3).max(1);
    Knobs {
        backend: rng.weighted(&[
            (fs / divisor, BackendKind::Filesystem),
            (s3 / divisor, BackendKind::S3),
        ]),
        cache_capacity: rng.range(1, 3) as u8,
        delete_batch: rng.range(1, 3) as u8,
        granularity: rng.weighted(&[(3, Granularity::Single), (1, Granularity::Sharded)]),
        grace: rng.weighted(&[(1, 60), (1, 100)]),
        margin: rng.weighted(&[(1, 5), (1, 10)]),
    }
}

fn history(rng: &mut Rng, backend: BackendKind) -> Vec<Past> {
    let items = rng.range(1, 4);
    let mut history = Vec::new();
    for _ in 0..items {
        let item = past(rng, backend, &history);
        history.push(item);
    }
    history
}

/// One history item for a program on `backend` whose history holds `earlier` too.
///
/// Bit rot and a lost local file act on a file that exists: on a chunk one of `earlier`
/// wrote, when one did. The generator passes the items drawn before this one; a mutation
/// adding an item passes the whole history, since the executor applies bit rot and losses
/// after every other item wherever they stand. An object's marker names its chunk too: a
/// loss of it removes the marker, bit rot of it does nothing (the file is empty). Drawn
/// from the whole pool, such an item mostly names a chunk with no file yet and does
/// nothing (the executor skips it), a wasted draw.
pub(super) fn past(rng: &mut Rng, backend: BackendKind, earlier: &[Past]) -> Past {
    let written = written_chunks(earlier);
    let existing = |rng: &mut Rng| match written.is_empty() {
        true => rng.chunk(),
        false => written[rng.below(written.len() as u64) as usize],
    };
    let s3 = backend == BackendKind::S3;
    let s3_only = |weight| if s3 { weight } else { 0 };
    let kind = rng.weighted(&[(5, 0), (4, 1), (s3_only(3), 2), (2, 3), (s3_only(1), 4)]);
    match kind {
        0 => {
            let indexes = (0..rng.range(1, 2))
                .map(|_| (0..rng.range(1, 3)).map(|_| rng.chunk()).collect())
                .collect();
            Past::Snapshot {
                group: rng.below(GROUPS) as u8,
                indexes,
                age: rng.age(),
            }
        }
        1 => Past::Garbage {
            chunks: (0..rng.range(1, 2)).map(|_| rng.chunk()).collect(),
            age: rng.age(),
        },
        2 => Past::Object {
            chunk: rng.chunk(),
            marker: rng.chance(50).then(|| rng.age()),
        },
        3 => Past::Corrupt {
            chunk: existing(rng),
            same_size: rng.chance(50),
        },
        _ => Past::LostLocal {
            chunk: existing(rng),
        },
    }
}

/// Chunks whose local file `history` wrote (content, or a marker of an object).
fn written_chunks(history: &[Past]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for past in history {
        match past {
            Past::Snapshot { indexes, .. } => chunks.extend(indexes.iter().flatten()),
            Past::Garbage { chunks: c, .. } => chunks.extend(c),
            Past::Object {
                chunk,
                marker: Some(_),
            } => chunks.push(*chunk),
            Past::Object { marker: None, .. }
            | Past::Corrupt { .. }
            | Past::LostLocal { .. }
            | Past::Reload => {}
        }
    }
    chunks
}

/// Chunks the history wrote, which sessions are likelier to touch again.
pub(super) fn known_chunks(history: &[Past]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for past in history {
        match past {
            Past::Snapshot { indexes, .. } => chunks.extend(indexes.iter().flatten()),
            Past::Garbage { chunks: c, .. } => chunks.extend(c),
            Past::Object { chunk, .. }
            | Past::Corrupt { chunk, .. }
            | Past::LostLocal { chunk } => chunks.push(*chunk),
            Past::Reload => {}
        }
    }
    chunks
}

fn threads(rng: &mut Rng, w: &Weights, history: &[Past], last_time: &[i64]) -> Vec<Vec<Op>> {
    let count = rng.weighted(&[(6, 2), (3, 3), (1, 4)]);
    let reload = rng.chance(w.reload);
    let mut draw = Draw {
        rng,
        old: if reload { w.old_process } else { 0 },
        known: known_chunks(history),
        times: last_time.to_vec(),
    };
    let mut threads: Vec<Vec<Op>> = vec![Vec::new(); count];
    // The dangerous core: a GC and a backup in different threads, most of the time.
    if draw.rng.chance(w.core_gc) {
        threads[0].push(Gc::draw(&mut draw).into());
    }
    if draw.rng.chance(w.core_backup) {
        threads[1].push(Backup::draw(&mut draw).into());
    }
    // The core backup's time does not count for the others: a further backup of its group
    // may take the same time and race it for the group's lock.
    draw.times = last_time.to_vec();
    // The reload opens its thread: operations of the old process in other threads then
    // start around it, and the old process's writers outlive it (with the reload last, the
    // cross-process cache race eviction-rolls-back-atime was first caught at program 2,415;
    // opening its thread, at 804).
    if reload && w.reload_first {
        let t = draw.rng.below(count as u64) as usize;
        threads[t].insert(0, Reload.into());
    }
    let kinds: Vec<(u64, OpKind)> = w.ops.iter().map(|&(kind, weight)| (weight, kind)).collect();
    for thread in threads.iter_mut() {
        let extra = draw.rng.weighted(&[(3, 0), (4, 1), (2, 2)]);
        for _ in 0..extra {
            let op = draw.rng.weighted(&kinds).draw(&mut draw);
            let at = draw.rng.below(thread.len() as u64 + 1) as usize;
            thread.insert(at, op);
        }
    }
    if reload && !w.reload_first {
        let t = draw.rng.below(count as u64) as usize;
        let at = draw.rng.below(threads[t].len() as u64 + 1) as usize;
        threads[t].insert(at, Reload.into());
    }
    threads.retain(|ops| !ops.is_empty());
    while threads.len() < 2 {
        threads.push(vec![Clock(ClockStep::One).into()]);
    }
    threads
}

fn gcd(a: u64, b: u64) -> u64 {
    match b {
        0 => a,
        _ => gcd(b, a % b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_published_sequence() {
        // The first outputs of SplitMix64 seeded with 0, as published with the algorithm.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    /// Bit rot and a lost local file name a chunk an earlier item wrote whenever one did, so
    /// that they act on a file; with no such item they name any chunk.
    #[test]
    fn rot_and_loss_act_on_a_written_chunk() {
        let (mut acting, mut inert) = (0, 0);
        for seed in 0..3_000 {
            let program = generate_with(seed, &Weights::DEFAULT);
            for (i, item) in program.history.iter().enumerate() {
                let (Past::Corrupt { chunk, .. } | Past::LostLocal { chunk }) = item else {
                    continue;
                };
                let written = written_chunks(&program.history[..i]);
                match written.is_empty() {
                    true => inert += 1,
                    false => {
                        assert!(written.contains(chunk), "seed {seed}: {item:?}");
                        acting += 1;
                    }
                }
            }
        }
        assert!(
            acting > 100 && inert > 0,
            "{acting} acting, {inert} without a file"
        );
    }

    #[test]
    fn weighted_never_picks_a_zero_weight() {
        let mut rng = Rng::new(7);
        for _ in 0..1_000 {
            assert_ne!(rng.weighted(&[(0, 'a'), (1, 'b'), (0, 'c')]), 'a');
        }
    }
}
