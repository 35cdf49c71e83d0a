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
//! and a fault landing in a context no earlier candidate's did (the kind of operation that
//! failed, the site, the fault: [`harness::faults::FaultContext`]) is a feature too; the
//! corpus keeps the checker's choice that landed there as a planned fault, so it keeps the
//! fault choices that led somewhere and builds two-fault stories from one-fault ones.
//!
//! Candidate `i` always runs its schedules from seed `s + i`. The guided corpus learns from
//! a generation of [`GENERATION`] candidates, in candidate order, only once the whole
//! generation ran, and each candidate is drawn from the corpus as it stood before its
//! generation: the same seed gives the same corpus, programs and verdicts with any `--jobs`.

use harness::faults::{FaultContext, Landings};
use harness::oracle::conflicts::Conflict;
use harness::oracle::Coverage;
use harness::program::{generate_with, mutate, Pair, Program, Rng, Weights};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
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
    Fault(FaultContext),
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
    /// Each corpus entry's energy (see [`Stream::pick`]), worked out at the first draw after
    /// the corpus or the counts changed: a generation's draws share it.
    energy: OnceCell<Vec<(u64, usize)>>,
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
            energy: OnceCell::new(),
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
        let (seed, mut rng) = self.seeds(number);
        let program = match self.drawn_fresh(&mut rng) {
            true => generate_with(seed, &self.weights),
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
        };
        Drawn {
            number: number as u64,
            seed,
            program,
        }
    }

    /// Candidate `number` when it is drawn fresh whatever the stream learns before its turn
    /// (every candidate of a random search; a guided one once the corpus has an entry, as
    /// a corpus only grows): it can run before the candidates ahead of it are learnt.
    pub fn ahead(&self, number: usize) -> Option<Drawn> {
        let settled = self.search == Search::Random || !self.corpus.is_empty();
        (settled && self.drawn_fresh(&mut self.seeds(number).1)).then(|| self.candidate(number))
    }

    /// Candidate `number`'s schedule seed, and the generator of its mutation choices.
    fn seeds(&self, number: usize) -> (u64, Rng) {
        let seed = self.seed.wrapping_add(number as u64);
        (seed, Rng::new(seed ^ MUTATION_SALT))
    }

    /// Whether the candidate whose mutation choices `rng` makes is drawn fresh, given the
    /// corpus as it stands (the first choice `rng` makes, when the corpus has an entry).
    fn drawn_fresh(&self, rng: &mut Rng) -> bool {
        self.search == Search::Random || self.corpus.is_empty() || rng.chance(FRESH_PERCENT)
    }

    /// A corpus entry, each with weight one plus its features' rarity (a feature reached
    /// by `n` candidates counts `1000 / n`) per step of the program: a smaller program that
    /// reaches the same rare features runs faster and mutates into smaller ones, so the
    /// corpus does not drift toward ever larger programs.
    fn pick(&self, rng: &mut Rng) -> &Program {
        let weights = self.energy.get_or_init(|| {
            (self.corpus.iter().enumerate())
                .map(|(i, entry)| {
                    let rarity: u64 = (entry.features.iter())
                        .map(|f| 1_000 / self.hits.get(f).copied().unwrap_or(1).max(1))
                        .sum();
                    (1 + rarity / entry.program.size().max(1) as u64, i)
                })
                .collect()
        });
        &self.corpus[rng.weighted(weights)].program
    }

    /// Learns what `drawn` reached (guided only): it joins the corpus when it reached a
    /// feature no earlier candidate did. Whether it joined.
    ///
    /// A program that left its faults to the checker and reached a fault context no
    /// earlier candidate did joins twice: as it is, and with the first landing in that
    /// context planned ([`Landings`]), so that its mutants fail there again (in every
    /// schedule where that thread runs the same storage operations), and a story built on
    /// that fault can grow from it. Under more than one fault per execution, a landing that
    /// followed an earlier fault may land elsewhere when planned alone; the entry as it ran
    /// keeps what it reached either way.
    pub fn learn(
        &mut self,
        drawn: &Drawn,
        coverage: &Coverage,
        overlaps: &BTreeSet<Pair>,
        landings: &Landings,
    ) -> bool {
        if self.search == Search::Random {
            return false;
        }
        let features: Vec<Feature> = (coverage.decisions.reached())
            .map(|(o, _)| Feature::Outcome(o))
            .chain(coverage.conflicts.keys().map(|c| Feature::Conflict(*c)))
            .chain(overlaps.iter().map(|p| Feature::Overlap(*p)))
            .chain(landings.keys().map(|c| Feature::Fault(*c)))
            .collect();
        let new: Vec<Feature> = (features.iter())
            .filter(|f| !self.hits.contains_key(f))
            .copied()
            .collect();
        for feature in &features {
            *self.hits.entry(*feature).or_default() += 1;
        }
        self.energy = OnceCell::new();
        if new.is_empty() {
            return false;
        }
        let planned = new.iter().find_map(|f| match f {
            Feature::Fault(context) if drawn.program.faults.is_empty() => {
                Some((*context, landings[context]))
            }
            _ => None,
        });
        self.corpus.push(Entry {
            program: drawn.program.clone(),
            features,
        });
        if let Some((context, plan)) = planned {
            let mut program = drawn.program.clone();
            program.faults.push(plan);
            self.corpus.push(Entry {
                program,
                features: vec![Feature::Fault(context)],
            });
        }
        true
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

#[cfg(test)]
mod tests {
    use super::*;
    use harness::program::PlannedFault;
    use store::storage::{Errno, Fault, Site};

    /// The fault context the first operation of `drawn`'s first thread failing at a chunk
    /// write would be, and the plan that lands it there again.
    fn landing(drawn: &Drawn) -> Landings {
        landing_at(drawn, Site::ChunkWrite)
    }

    /// [`landing`] at `site`.
    fn landing_at(drawn: &Drawn, site: Site) -> Landings {
        let fault = Fault::Io(Errno::Eio);
        let context = FaultContext {
            kind: drawn.program.threads[0][0].kind(),
            site,
            fault,
        };
        let plan = PlannedFault {
            thread: 0,
            op: 3,
            fault,
        };
        Landings::from([(context, plan)])
    }

    #[test]
    fn a_new_fault_context_joins_the_corpus_as_a_planned_fault() {
        let mut stream = Stream::new(Search::Guided, Weights::DEFAULT, 7, 1);
        let drawn = stream.candidate(0);
        assert!(drawn.program.faults.is_empty(), "drawn fresh, unplanned");
        let landings = landing(&drawn);
        let (coverage, overlaps) = (Coverage::default(), BTreeSet::new());
        assert!(stream.learn(&drawn, &coverage, &overlaps, &landings));
        assert_eq!(
            stream.corpus_len(),
            2,
            "as it ran, and with the landing planned"
        );
        assert!(stream.corpus[0].program.faults.is_empty());
        let planned: Vec<_> = landings.values().copied().collect();
        assert_eq!(stream.corpus[1].program.faults, planned);
        // The same context again is nothing new.
        let again = stream.candidate(1);
        assert!(!stream.learn(&again, &coverage, &overlaps, &landing(&again)));
        assert_eq!(stream.corpus_len(), 2);
    }

    #[test]
    fn a_candidate_drawn_ahead_is_the_one_drawn_in_its_turn() {
        let random = Stream::new(Search::Random, Weights::DEFAULT, 7, 0);
        for n in 0..20 {
            let ahead = random
                .ahead(n)
                .expect("a random search draws every candidate fresh");
            assert_eq!(ahead.program, random.candidate(n).program);
        }
        let mut guided = Stream::new(Search::Guided, Weights::DEFAULT, 7, 1);
        assert!(
            (0..20).all(|n| guided.ahead(n).is_none()),
            "an empty corpus may fill before any turn"
        );
        let first = guided.candidate(0);
        let landings = landing(&first);
        let (coverage, overlaps) = (Coverage::default(), BTreeSet::new());
        assert!(guided.learn(&first, &coverage, &overlaps, &landings));
        let (mut fresh, mut mutants) = (0, 0);
        for n in 1..200 {
            match guided.ahead(n) {
                Some(ahead) => {
                    fresh += 1;
                    assert_eq!(ahead.program, guided.candidate(n).program, "candidate {n}");
                    // Whatever the corpus learns meanwhile.
                    let mut later = guided.clone();
                    let other = later.candidate(n + 1_000);
                    let new = landing_at(&other, Site::ChunkRemove);
                    assert!(later.learn(&other, &coverage, &overlaps, &new));
                    assert_eq!(ahead.program, later.candidate(n).program, "candidate {n}");
                }
                None => mutants += 1,
            }
        }
        assert!(
            fresh > 0 && mutants > fresh,
            "{fresh} fresh, {mutants} mutants"
        );
    }

    #[test]
    fn a_planned_program_joins_once() {
        let mut stream = Stream::new(Search::Guided, Weights::DEFAULT, 7, 1);
        let mut drawn = stream.candidate(0);
        let landings = landing(&drawn);
        drawn.program.faults = landings.values().copied().collect();
        let (coverage, overlaps) = (Coverage::default(), BTreeSet::new());
        assert!(stream.learn(&drawn, &coverage, &overlaps, &landings));
        assert_eq!(stream.corpus_len(), 1, "its faults were planned already");
    }
}
