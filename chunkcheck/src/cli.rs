//! The `chunkcheck` command line (`check`, the default; `replay FILE`; `list`) and how
//! `check`'s options resolve into campaign [`Settings`].
//!
//! [`crate::commands`] runs a parsed command line and turns bad input into one line on
//! stderr and exit code 2, before anything runs.

use crate::plan::{Phases, PlanSpec, Shard};
use crate::search::Search;
use crate::{progress, Settings};
use crate::{
    DEFAULT_BATCH_SCHEDULES, DEFAULT_CHECKERS, DEFAULT_DETECTION_SEEDS, DEFAULT_PROGRAMS,
    DEFAULT_PROGRAM_SCHEDULES, DEFAULT_SCHEDULES,
};
use clap::{Args, Parser, Subcommand};
use harness::catalogue::Catalogue;
#[cfg(test)]
use harness::check::DEFAULT_SEED;
use harness::check::{Checker, DEFAULT_PCT_DEPTH};
use harness::program::Weights;
use harness::world::Setup;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::{Bugs, LockGranularity, SeededBug};

const EXIT_CODES: &str = "\
Exit codes:
  0  the clean store passed every scenario and every generated program, and every seeded
     bug was caught by every phase that hunts it
     (replay: the failure file's scenario or program ran without the failure)
  1  the clean store violated a property in a scenario or a generated program: a real
     race (expected with --bugs)
     (replay: the failure reproduced)
  2  bad input: unknown scenario, checker or bug, malformed option, unreadable, foreign
     or corrupt failure file
  3  a seeded bug was not caught (by a model checker on its scenario, or by generated
     programs): the harness lost power; the stress baseline's misses do not count
  4  both 1 and 3";

/// Model-checks the chunk store: every scenario under every checker, the seeded-race
/// matrix, then generated actor programs, each seeded bug hunted by them.
#[derive(Parser, Debug)]
#[command(
    name = "chunkcheck",
    version,
    after_help = EXIT_CODES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: check).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The options of `check`, when no subcommand is given.
    #[command(flatten)]
    pub check: CheckArgs,
}

impl Cli {
    /// Parses a command line (program name first), for callers without `clap` in scope.
    ///
    /// # Errors
    /// clap's message (usage errors, but also `--help` and `--version` output).
    pub fn from_args<I, T>(args: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        Self::try_parse_from(args).map_err(|e| e.render().to_string())
    }
}

/// A subcommand.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the campaign: scenarios under every checker, the seeded-race matrix, then the
    /// generated programs and their seeded-bug hunts (default).
    #[command(after_help = EXIT_CODES)]
    Check(Box<CheckArgs>),
    /// Replay a failure file written by `check`: a scenario's schedule (shuttle, or loom from
    /// its checkpoint) or a generated program with its schedule (exit 1 if it fails again).
    Replay(ReplayArgs),
    /// List scenarios, checkers and seeded bugs.
    List,
    /// Draw how coverage grew with the programs of generated phases: from `--json` reports
    /// (say, one `--search guided` and one `--search random`), two SVG files, decision
    /// outcomes and conflict pairs against programs run.
    Plot(PlotArgs),
    /// Internal: runs loom work for a campaign (exhaustive-phase programs, or a scenario),
    /// one JSON task on stdin, JSON lines on stdout (see `chunkcheck::workers`).
    #[command(hide = true)]
    Worker,
}

/// Options of `plot`.
#[derive(Args, Debug, Clone)]
pub struct PlotArgs {
    /// JSON reports written by `check --json` with a generated phase.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Directory to write `coverage-outcomes.svg` and `coverage-conflicts.svg` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// Options of `check`.
#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Scenarios to run, comma-separated [default: all; see `list`]. The seeded phase runs
    /// the races these scenarios expose.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub scenarios: Vec<String>,
    /// Checkers: loom, shuttle-random, shuttle-pct, shuttle-urw, stress (real threads, run
    /// again and again: a baseline whose misses do not fail the campaign)
    /// [default: loom,shuttle-random,shuttle-pct].
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub checkers: Vec<Checker>,
    /// Seeded bugs to switch on in the clean phase, comma-separated (it is then expected
    /// to fail, exit 1).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub bugs: Vec<SeededBug>,
    /// Phases to run [default: all; under `--faults`: faulted].
    #[arg(long, value_enum)]
    pub phase: Option<Phases>,
    /// Shuttle schedules per scenario and scheduler (and per seeded race).
    #[arg(long, env = "HARNESS_SCHEDULES", default_value_t = DEFAULT_SCHEDULES,
          value_parser = parse_positive)]
    pub schedules: usize,
    /// Shuttle schedules per work item; item i runs from seed + i.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SCHEDULES,
          value_parser = parse_positive)]
    pub batch_schedules: usize,
    /// Base seed of the shuttle schedulers (decimal or 0x-hex).
    #[arg(long, env = "HARNESS_SEED", default_value = DEFAULT_SEED_HEX, value_parser = parse_seed)]
    pub seed: u64,
    /// Generated programs in the generated phase (program i is drawn from seed
    /// program-seed + i).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PROGRAMS, value_parser = parse_positive)]
    pub programs: usize,
    /// Seed of the first generated program (decimal or 0x-hex).
    #[arg(long, value_name = "S", default_value = "0", value_parser = parse_seed)]
    pub program_seed: u64,
    /// Shuttle schedules per generated program and scheduler.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PROGRAM_SCHEDULES,
          value_parser = parse_positive)]
    pub program_schedules: usize,
    /// Inject storage faults into generated programs: at most N per execution (`--faults`
    /// alone: 1), where the checker chooses; the fault-handling seeded bugs are hunted too.
    #[arg(long, value_name = "N", num_args = 0..=1, default_value_t = 0,
          default_missing_value = "1", value_parser = clap::value_parser!(u8).range(0..=3))]
    pub faults: u8,
    /// Generator biases: `default`, or `flat` and `reload-light` to measure it against
    /// (BENCHMARKS.md).
    #[arg(long, value_name = "PROFILE", default_value = "default")]
    pub weights: Weights,
    /// How the generated phase chooses its programs: `guided` keeps a corpus of programs
    /// that reached a decision outcome, conflict pair or overlap no earlier one did, and
    /// mutates them; `random` draws each blindly (BENCHMARKS.md compares them).
    #[arg(long, value_enum, value_name = "SEARCH", default_value_t = Search::Guided)]
    pub search: Search,
    /// Independent trials per seeded bug and checker (and over generated programs, each
    /// trial drawing its own programs); the report gives the medians. loom runs once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_DETECTION_SEEDS,
          value_parser = parse_positive)]
    pub detection_seeds: usize,
    /// Work items run at the same time [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub jobs: Option<usize>,
    /// PCT bug depth.
    #[arg(long, env = "HARNESS_PCT_DEPTH", default_value_t = DEFAULT_PCT_DEPTH,
          value_parser = parse_positive)]
    pub pct_depth: usize,
    /// loom preemption bound for every scenario [default: each scenario's own, or
    /// LOOM_MAX_PREEMPTIONS; 2 in the exhaustive phase].
    #[arg(long, value_name = "B")]
    pub preemption_bound: Option<usize>,
    /// The exhaustive phase's scope: `key=value` pairs over the default scope, e.g.
    /// `threads=3,ops=1,kinds=backup+gc,chunks=2,reload=no,backends=s3`. Keys: threads (2-3),
    /// ops (1-3 per thread), kinds (backup, gc, read, verify, prune, clock, sync), chunks
    /// (1-3), reload (no, thread, history), backends (fs, s3), locks (single, sharded), cache
    /// (1-3), batch (1-3), clock (zero, one, margin, past-grace), history (snapshot,
    /// garbage, object, rot, lost), faults (0-1). In this phase the scope's locks and faults
    /// replace `--lock` and `--faults`. A scope over the size limit is refused.
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope,
          default_value_t = harness::program::Scope::default())]
    pub scope: harness::program::Scope,
    /// Time limit per work item, seconds (loom checks it every 1,000 executions).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub max_time: Option<Duration>,
    /// Chunk store mutex: `single` (one per store, as upstream), `sharded` (16 shards by
    /// digest) or `sharded:<n>`.
    #[arg(long, value_name = "GRANULARITY", default_value = "single")]
    pub lock: LockGranularity,
    /// Leave the lock order unchecked, so an inversion runs into its deadlock.
    #[arg(long)]
    pub unchecked_lock_order: bool,
    /// Run part K of N: N machines with --shard 1/N .. N/N together run exactly this
    /// campaign, each item once.
    #[arg(long, value_name = "K/N", default_value = "1/1")]
    pub shard: Shard,
    /// Write the report as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the report as Markdown.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Directory for failing shuttle schedules.
    #[arg(long, value_name = "DIR", default_value = "target/chunkcheck-failures")]
    pub failures: PathBuf,
    /// After each PCT or loom failure, look for the smallest PCT depth / preemption bound
    /// that still fails.
    #[arg(long)]
    pub minimize: bool,
    /// Print every seeded detection in full (property, trail, replay command).
    #[arg(short, long)]
    pub verbose: bool,
    /// No progress bars (they are off anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// Options of `replay`.
#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// A failure file (`*.failure.json`) written by `check` under `--failures`.
    pub file: PathBuf,
}

/// [`DEFAULT_SEED`] as `--help` shows it (a test checks they agree).
const DEFAULT_SEED_HEX: &str = "0x5eedc0de";

fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a positive integer, got {s:?}")),
    }
}

fn parse_scope(s: &str) -> Result<harness::program::Scope, String> {
    let scope: harness::program::Scope = s.parse()?;
    harness::program::enumerate::admit(&scope)?;
    Ok(scope)
}

fn parse_seed(s: &str) -> Result<u64, String> {
    harness::check::parse_seed(s)
        .ok_or_else(|| format!("expected a decimal or 0x-hex u64, got {s:?}"))
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("expected a positive number of seconds, got {s:?}")),
    }
}

/// `name` must be one of `known`.
fn unknown(what: &str, name: &str, known: impl Iterator<Item = String>) -> String {
    let known: Vec<_> = known.collect();
    format!("unknown {what} {name:?}; known: {}", known.join(", "))
}

fn writable(path: &Path) -> Result<(), String> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    match parent {
        Some(dir) if !dir.is_dir() => Err(format!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        )),
        _ if path.is_dir() => Err(format!(
            "cannot write {}: it is a directory",
            path.display()
        )),
        _ => Ok(()),
    }
}

impl CheckArgs {
    /// Resolves these options against `catalogue`.
    ///
    /// # Errors
    /// One line naming the first bad option.
    pub fn settings(&self, catalogue: &Catalogue, command: String) -> Result<Settings, String> {
        for name in &self.scenarios {
            if catalogue.find(name).is_none() {
                let known = catalogue.scenarios.iter().map(|s| s.name.to_string());
                return Err(unknown("scenario", name, known));
            }
        }
        for path in self.json.iter().chain(&self.markdown) {
            writable(path)?;
        }
        // Catalogue order, whatever the order given: every shard must plan the same list.
        let scenarios: Vec<&'static str> = catalogue
            .scenarios
            .iter()
            .map(|s| s.name)
            .filter(|n| self.scenarios.is_empty() || self.scenarios.iter().any(|s| s == n))
            .collect();
        let checkers: Vec<Checker> = if self.checkers.is_empty() {
            DEFAULT_CHECKERS.to_vec()
        } else {
            Checker::ALL
                .into_iter()
                .filter(|c| self.checkers.contains(c))
                .collect()
        };
        let races = catalogue
            .seeded
            .iter()
            .filter(|r| scenarios.contains(&r.scenario))
            .copied()
            .collect();
        let bugs = self.bugs.iter().fold(Bugs::none(), |b, bug| b.with(*bug));
        Ok(Settings {
            spec: PlanSpec {
                scenarios,
                races,
                checkers,
                phases: (self.phase).unwrap_or_else(|| Phases::default_for(self.faults)),
                schedules: self.schedules,
                batch_schedules: self.batch_schedules,
                seed: self.seed,
                programs: self.programs,
                program_seed: self.program_seed,
                program_schedules: self.program_schedules,
                detection_seeds: self.detection_seeds,
                weights: self.weights,
                search: self.search,
                faults: self.faults,
                scope: self.scope.clone(),
            },
            jobs: self.jobs.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
            shard: self.shard,
            setup: Setup {
                bugs,
                unchecked_lock_order: self.unchecked_lock_order,
                granularity: self.lock,
                faults: self.faults,
                ..Setup::default()
            },
            pct_depth: self.pct_depth,
            preemption_bound: self.preemption_bound,
            max_time: self.max_time,
            minimize: self.minimize,
            failures: self.failures.clone(),
            progress: !self.no_progress && progress::terminal(),
            announce: true,
            silence_checkers: true,
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::EXIT_BAD_INPUT;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_is_the_default_and_takes_the_same_options() {
        let top = Cli::try_parse_from(["chunkcheck", "--shard", "2/3", "--checkers", "loom"])
            .expect("parses");
        assert!(top.command.is_none());
        assert_eq!(top.check.shard, Shard { index: 2, count: 3 });
        assert_eq!(top.check.checkers, [Checker::Loom]);
        let sub = Cli::try_parse_from(["chunkcheck", "check", "--seed", "0x10"]).expect("parses");
        let Some(Command::Check(args)) = sub.command else {
            panic!("check subcommand expected");
        };
        assert_eq!(args.seed, 16);
    }

    #[test]
    fn bad_options_are_usage_errors() {
        for bad in [
            &["chunkcheck", "--shard", "3/2"][..],
            &["chunkcheck", "--checkers", "tla"],
            &["chunkcheck", "--bugs", "nope"],
            &["chunkcheck", "--schedules", "0"],
            &["chunkcheck", "--seed", "0xzz"],
            &["chunkcheck", "--max-time", "-1"],
            &["chunkcheck", "--lock", "sharded:0"],
            &["chunkcheck", "--programs", "0"],
            &["chunkcheck", "--program-seed", "seven"],
            &["chunkcheck", "--program-schedules", "0"],
            &["chunkcheck", "--detection-seeds", "0"],
            &["chunkcheck", "--weights", "heavy"],
            &["chunkcheck", "--search", "smart"],
            &["chunkcheck", "--faults", "9"],
            &["chunkcheck", "--faults=x"],
            &["chunkcheck", "--jobs", "0"],
            &["chunkcheck", "--jobs", "two"],
        ] {
            let err = Cli::try_parse_from(bad).expect_err("rejected");
            assert_eq!(err.exit_code(), EXIT_BAD_INPUT, "{bad:?}");
        }
    }

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0x5eedc0de"), Ok(0x5eed_c0de));
        assert!(parse_seed("-1").is_err());
        assert_eq!(parse_seed(DEFAULT_SEED_HEX), Ok(DEFAULT_SEED));
    }
}
