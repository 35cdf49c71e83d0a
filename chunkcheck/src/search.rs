//! How the generated phase chooses its programs (`--search`).
//!
//! - **random**: program `i` is drawn from seed `s + i` with fixed weights, blind to what
//!   earlier programs did.
//! - **guided**: a corpus keeps every program that reached a *feature* no earlier program
//!   reached: a decision outcome of the store, a conflict pair on a chunk, or a pair of
//!   operation kinds running at the same time. Most candidates are mutations of corpus
//!   entries ([`harness::program::mutate`]), chosen with energy that favours entries reaching
//!   rare features; the rest are drawn fresh, as the random search draws them.
//!
//! One mutant in five is its parent unchanged: a program that reached rare features runs
//! again under new schedules (most races need a program and a schedule; measured in
//! BENCHMARKS.md). Under `--faults` a mutation also adds, drops or shifts a planned fault,
//! and a fault landing at a site and kind no earlier candidate's did is a feature too, so
//! the corpus keeps the fault choices that led somewhere and builds two-fault stories from
//! one-fault ones.
//!
//! Candidate `i` always runs its schedules from seed `s + i`. The guided corpus learns from
//! a generation of [`GENERATION`] candidates, in candidate order, only once the whole
//! generation ran, and each candidate is drawn from the corpus as it stood before its
//! generation: the same seed gives the same corpus, programs and verdicts with any `--jobs`.

use harness::execution::FaultTally;
use harness::oracle::conflicts::Conflict;
use harness::oracle::Coverage;
use harness::program::{generate_with, mutate, Pair, Program, Rng, Weights};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use store::storage::{Fault, Site};
use store::Outcome;

/// `--search`: how the generated phase chooses its programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Search {
    /// A corpus of programs that reached something new, mutated.
    Guided,
    /// Program `i` drawn from seed `s + i`, blind.
    Random,
}

impl Search {
    /// What a report written before `--search` existed searched with.
    pub(crate) fn before_the_flag() -> Search {
        Search::Random
    }
}

impl fmt::Display for Search {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Search::Guided => "guided",
            Search::Random => "random",
        })
    }
}

/// Candidates the guided corpus learns from at once (see the module docs).
pub const GENERATION: usize = 8;

/// Percent of guided candidates drawn fresh rather than mutated.
const FRESH_PERCENT: u64 = 25;

/// Percent of guided mutants that are their parent unchanged, run under new schedules.
const RESCHEDULE_PERCENT: u64 = 20;

/// Salt between a candidate's schedule seed and the seed of its mutation choices.
const MUTATION_SALT: u64 = 0x6d75_7461_7465_2121;

/// What a program reached that the guided search rewards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Feature {
    Outcome(Outcome),
    Conflict(Conflict),
    Overlap(Pair),
    Fault(Site, Fault),
}

/// A program of the stream: its number, the seed of its schedules, the program.
#[derive(Clone, Debug)]
pub struct Drawn {
    /// Its number in the stream.
    pub number: u64,
    /// The seed of its schedules (and, drawn fresh, of the program).
    pub seed: u64,
    /// The program.
    pub program: Program,
}

#[derive(Clone)]
struct Entry {
    program: Program,
    features: Vec<Feature>,
}

/// The programs of one search, and what the guided one learnt.
#[derive(Clone)]
pub struct Stream {
    search: Search,
    weights: Weights,
    seed: u64,
    /// Storage faults per execution the run injects at most (the plans' bound).
    faults: u8,
    corpus: Vec<Entry>,
    /// Per feature, how many candidates reached it.
    hits: BTreeMap<Feature, u64>,
}

impl Stream {
    /// A search whose candidate `i` runs from seed `seed + i`, in a run injecting up to
    /// `faults` storage faults per execution.
    pub fn new(search: Search, weights: Weights, seed: u64, faults: u8) -> Self {
        Self {
            search,
            weights,
            seed,
            faults,
            corpus: Vec::new(),
            hits: BTreeMap::new(),
        }
    }

    /// A search that goes on from what this one learnt (its corpus and the counts of what
    /// its candidates reached), its candidate `i` running from seed `seed + i`.
    pub fn resumed(&self, seed: u64) -> Self {
        Self {
            seed,
            ..self.clone()
        }
    }

    /// Candidate `number`: drawn fresh, or (guided) a mutant of a corpus entry.
    pub fn candidate(&self, number: usize) -> Drawn {
        let seed = self.seed.wrapping_add(number as u64);
        let fresh = || generate_with(seed, &self.weights);
        let program = match self.search {
            Search::Random => fresh(),
            Search::Guided => {
                let mut rng = Rng::new(seed ^ MUTATION_SALT);
                match self.corpus.is_empty() || rng.chance(FRESH_PERCENT) {
                    true => fresh(),
                    false => {
                        let parent = self.pick(&mut rng);
                        let donor = rng.below(self.corpus.len() as u64) as usize;
                        match rng.chance(RESCHEDULE_PERCENT) {
                            true => parent.clone(),
                            false => {
                                let donor = &self.corpus[donor].program;
                                mutate(parent, donor, self.faults, &mut rng)
                            }
                        }
                    }
                }
            }
        };
        Drawn {
            number: number as u64,
            seed,
            program,
        }
    }

    /// A corpus entry, each with weight one plus its features' rarity (a feature reached
    /// by `n` candidates counts `1000 / n`) per step of the program: a smaller program that
    /// reaches the same rare features runs faster and mutates into smaller ones, so the
    /// corpus does not drift toward ever larger programs.
    fn pick(&self, rng: &mut Rng) -> &Program {
        let weights: Vec<(u64, usize)> = (self.corpus.iter().enumerate())
            .map(|(i, entry)| {
                let rarity: u64 = (entry.features.iter())
                    .map(|f| 1_000 / self.hits.get(f).copied().unwrap_or(1).max(1))
                    .sum();
                (1 + rarity / entry.program.size().max(1) as u64, i)
            })
            .collect();
        &self.corpus[rng.weighted(&weights)].program
    }

    /// Learns what `drawn` reached (guided only): it joins the corpus when it reached a
    /// feature no earlier candidate did. Whether it joined.
    pub fn learn(
        &mut self,
        drawn: &Drawn,
        coverage: &Coverage,
        overlaps: &BTreeSet<Pair>,
        faults: &FaultTally,
    ) -> bool {
        if self.search == Search::Random {
            return false;
        }
        let features: Vec<Feature> = (coverage.decisions.reached())
            .map(|(o, _)| Feature::Outcome(o))
            .chain(coverage.conflicts.keys().map(|c| Feature::Conflict(*c)))
            .chain(overlaps.iter().map(|p| Feature::Overlap(*p)))
            .chain(
                faults
                    .keys()
                    .map(|(site, fault)| Feature::Fault(*site, *fault)),
            )
            .collect();
        let new = features.iter().any(|f| !self.hits.contains_key(f));
        for feature in &features {
            *self.hits.entry(*feature).or_default() += 1;
        }
        if new {
            self.corpus.push(Entry {
                program: drawn.program.clone(),
                features,
            });
        }
        new
    }

    /// How it chooses.
    pub fn search(&self) -> Search {
        self.search
    }

    /// Programs kept so far.
    pub fn corpus_len(&self) -> usize {
        self.corpus.len()
    }
}
