//! The `lockprof` command line and how it runs: options, checks that turn bad input into
//! one line (exit 2), and the runs of each lock granularity.

use crate::data::{size_label, Pool, KIB, MIB};
use crate::report::{Overhead, Report, RunReport};
use crate::storage::StorageChoice;
use crate::workload::{self, check_backend, Measured, Plan, Workload};

use anyhow::{bail, Context, Result};
use clap::Parser;
use harness::program::Program;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::profile::{self, Profiled, Snapshot};
use store::{Backend, LockGranularity, Platform, Std, StoreConfig};

/// The most memory the writers' chunk pools may take together.
const MAX_POOL_BYTES: u64 = 2 * 1024 * MIB as u64;

/// Profiles the store's locks under a workload on real threads: per lock class and per
/// kind of thread, how many acquisitions had to wait, and the wait and hold times.
#[derive(Parser, Debug)]
#[command(name = "lockprof", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What the threads do.
    #[arg(long, value_enum, default_value_t = Workload::BackupVsGc)]
    pub workload: Workload,
    /// A generated program to run in a loop (a program's JSON, or a chunkcheck failure
    /// file holding one); implies `--workload program`.
    #[arg(long, value_name = "FILE", conflicts_with = "workload")]
    pub program: Option<PathBuf>,
    /// The backend: fs or s3 (default: s3 for s3-upload and restore, else fs).
    #[arg(long, value_name = "BACKEND", value_parser = parse_backend)]
    pub backend: Option<Backend>,
    /// Where the chunks live: model (in memory), disk (a temporary directory), or a
    /// directory to create the temporary one in (`/dev/shm` for tmpfs).
    #[arg(long, value_name = "STORAGE", default_value = "model")]
    pub storage: StorageChoice,
    /// The chunk store mutex: single, sharded, `sharded:<n>`, or both (single, then
    /// sharded, side by side).
    #[arg(long, value_name = "LOCK", default_value = "both", value_parser = parse_locks)]
    pub lock: Locks,
    /// Main threads: writers, or readers for restore.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,
    /// Chunk size (bytes, or with KiB / MiB).
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = parse_size)]
    pub chunk_size: usize,
    /// Operations per main thread; each writer's pool holds this many new chunks.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: u64,
    /// Run this many seconds instead of a number of operations (writers cycle through
    /// their pools; chunks uploaded again are present and only touched).
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub duration: Option<Duration>,
    /// The S3 cache's capacity in chunks.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..))]
    pub cache: u64,
    /// Small chunks stored before backup-vs-gc, for its GC to sweep.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub sweep_chunks: usize,
    /// Chunks stored before restore and mixed, for reads and verification.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    pub chunks: u64,
    /// Rounds: every granularity runs this many times, in turn (single, sharded, single,
    /// ...); rates are medians over rounds, so machine drift hits both alike.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub repeat: u32,
    /// Unreported runs first (of the first granularity): fresh storage pages and caches
    /// are not charged to the first measured run.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub warmup: u32,
    /// Also measure what profiling costs: in every round, an unprofiled run right before
    /// each profiled one.
    #[arg(long)]
    pub overhead: bool,
    /// Write the report as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the report as Markdown.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Draw the wait-time distributions as SVG, one panel per granularity.
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// No progress bars.
    #[arg(short, long)]
    pub quiet: bool,
}

const EXIT_CODES: &str = "\
Workloads:
  backup-vs-gc  writers back up new chunks while a GC sweeps a store of --sweep-chunks
  s3-upload     writers upload new chunks on S3 into a small cache (every upload evicts)
  restore       readers restore chunks through the S3 cache (hits, misses, evictions)
  mixed         writers, GC, a reader, a verifier and a pruner at once
  program       a generated program (--program FILE) run again and again

Exit codes:
  0  the runs completed and the reports were written
  1  a run failed (a store error, a program's violation) or a report could not be written
  2  bad input: a malformed option, an unreadable or malformed program file";

/// The lock granularities to run, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locks(pub Vec<LockGranularity>);

fn parse_locks(s: &str) -> Result<Locks, String> {
    match s {
        "both" => Ok(Locks(vec![
            LockGranularity::Single,
            LockGranularity::sharded(),
        ])),
        _ => Ok(Locks(vec![s.parse()?])),
    }
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    match s {
        "fs" => Ok(Backend::Filesystem),
        "s3" => Ok(Backend::S3),
        _ => Err(format!("unknown backend {s:?}; known: fs, s3")),
    }
}

fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = match s {
        _ if s.ends_with("KiB") => (&s[..s.len() - 3], KIB),
        _ if s.ends_with("MiB") => (&s[..s.len() - 3], MIB),
        _ => (s, 1),
    };
    match digits.parse::<usize>() {
        Ok(n) if n > 0 && n.saturating_mul(unit) <= 16 * MIB => Ok(n * unit),
        _ => Err(format!(
            "{s:?} is not a chunk size of 1 byte to 16 MiB (bytes, or with KiB / MiB)"
        )),
    }
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("{s:?} is not a number of seconds from 0 to 3600")),
    }
}

/// A checked command line, ready to run.
pub struct Settings {
    cli: Cli,
    workload: Workload,
    backend: Backend,
    program: Option<Program>,
}

impl Cli {
    /// Checks what the parser cannot: the workload's backend, the pools' memory, the
    /// program file.
    ///
    /// # Errors
    /// One line saying what is wrong (exit 2).
    pub fn settings(self) -> Result<Settings> {
        let workload = match self.program {
            Some(_) => Workload::Program,
            None => self.workload,
        };
        let backend = (self.backend)
            .or(workload.required_backend())
            .unwrap_or(Backend::Filesystem);
        check_backend(workload, backend)?;
        let program = match (&self.program, workload) {
            (Some(path), _) => Some(read_program(path)?),
            (None, Workload::Program) => bail!("the program workload needs --program FILE"),
            (None, _) => None,
        };
        let pools = (u64::from(self.threads))
            .checked_mul(self.iterations)
            .and_then(|n| n.checked_mul(self.chunk_size as u64));
        if workload.writes() && pools.is_none_or(|bytes| bytes > MAX_POOL_BYTES) {
            bail!(
                "{} writers x {} chunks x {} of pools is over {} MiB; lower --iterations (with --duration, writers cycle through their pools)",
                self.threads,
                self.iterations,
                size_label(self.chunk_size),
                MAX_POOL_BYTES / MIB as u64
            );
        }
        let stored = match workload {
            Workload::Restore | Workload::Mixed => self.chunks.checked_mul(self.chunk_size as u64),
            _ => Some(self.sweep_chunks as u64 * 64),
        };
        if stored.is_none_or(|bytes| bytes > MAX_POOL_BYTES) {
            bail!(
                "the chunks stored before the run (--chunks, --sweep-chunks) would take over {} MiB",
                MAX_POOL_BYTES / MIB as u64
            );
        }
        if let (Workload::Program, Some(&LockGranularity::Sharded(n))) = (
            workload,
            self.lock.0.iter().find(|l| **l != LockGranularity::Single),
        ) {
            if n != store::lock_granularity::DEFAULT_SHARDS {
                bail!(
                    "a program runs sharded with {} shards (the harness's), not {n}",
                    store::lock_granularity::DEFAULT_SHARDS
                );
            }
        }
        for path in [&self.json, &self.markdown, &self.plot]
            .into_iter()
            .flatten()
        {
            std::fs::write(path, "")
                .with_context(|| format!("cannot write report file {}", path.display()))?;
        }
        Ok(Settings {
            cli: self,
            workload,
            backend,
            program,
        })
    }
}

/// Reads a program: its JSON, or a chunkcheck failure file whose target is a program.
fn read_program(path: &Path) -> Result<Program> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading program file {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let program = match value.pointer("/target/program") {
        Some(inner) => inner.clone(),
        None if value.get("target").is_some() => {
            bail!(
                "{} is a failure file of a scenario, not of a program",
                path.display()
            )
        }
        None => value,
    };
    serde_json::from_value(program)
        .with_context(|| format!("{} does not hold a program", path.display()))
}

impl Settings {
    /// The settings as one line for the report.
    pub fn line(&self) -> String {
        let c = &self.cli;
        let amount = match (c.duration, self.workload) {
            (Some(d), _) => format!("{:.1} s", d.as_secs_f64()),
            (None, Workload::Program) => format!("{} runs", c.iterations),
            (None, _) => format!("{} ops per thread", c.iterations),
        };
        match self.workload {
            Workload::Program => format!(
                "program {}, {amount}",
                c.program
                    .as_deref()
                    .map_or("".into(), |p| p.display().to_string())
            ),
            w => format!(
                "{}, {} backend, {} storage, {} threads, {} chunks, {amount}, cache {}",
                w.name(),
                match self.backend {
                    Backend::Filesystem => "fs",
                    Backend::S3 => "s3",
                },
                c.storage,
                c.threads,
                size_label(c.chunk_size),
                c.cache
            ),
        }
    }

    fn plan(&self) -> Plan {
        let c = &self.cli;
        let threads = usize::from(c.threads);
        let writes = self.workload.writes();
        let pools = match writes {
            true => Pool::per_thread(1, threads, c.iterations as usize, c.chunk_size),
            false => Vec::new(),
        };
        let stored = match self.workload {
            Workload::BackupVsGc => Pool::new(9, c.sweep_chunks, 64),
            Workload::Restore | Workload::Mixed => Pool::new(7, c.chunks as usize, c.chunk_size),
            Workload::S3Upload | Workload::Program => Pool::new(0, 0, 0),
        };
        Plan {
            workload: self.workload,
            threads: if self.workload == Workload::Program {
                1
            } else {
                threads
            },
            iterations: c.duration.is_none().then_some(c.iterations),
            duration: c.duration.unwrap_or_default(),
            pools,
            stored,
            program: self.program.clone(),
        }
    }

    fn config(&self, lock: LockGranularity) -> StoreConfig {
        StoreConfig::new(self.backend)
            .with_lock_granularity(lock)
            .with_cache_capacity(self.cli.cache as usize)
    }

    /// Runs the warm-up, then `--repeat` rounds of every granularity in turn (with
    /// `--overhead`, each profiled run right after an unprofiled twin), and writes the
    /// reports the options ask for. A granularity's profile is its last round's.
    ///
    /// # Errors
    /// A run's failure or a report that cannot be written.
    pub fn run(&self) -> Result<Report> {
        let plan = self.plan();
        let locks = &self.cli.lock.0;
        for w in 0..self.cli.warmup {
            let label = format!("warm-up {}/{}", w + 1, self.cli.warmup);
            self.once::<Profiled>(&plan, locks[0], &label)?;
        }
        let rounds = self.cli.repeat;
        let mut profiled = vec![Vec::new(); locks.len()];
        let mut unprofiled = vec![Vec::new(); locks.len()];
        let mut last = vec![None; locks.len()];
        let mut summed = vec![Snapshot::default(); locks.len()];
        for round in 1..=rounds {
            for (i, &lock) in locks.iter().enumerate() {
                let label = format!("lock {lock}, round {round}/{rounds}");
                // With --overhead, the unprofiled twin runs first in odd rounds and second
                // in even ones, so whatever the order favours hits both sides alike.
                let twin_first = round % 2 == 1;
                let twin = || -> Result<f64> {
                    let m = self.once::<Std>(&plan, lock, &format!("{label}, unprofiled"))?;
                    Ok(m.0.rate())
                };
                if self.cli.overhead && twin_first {
                    unprofiled[i].push(twin()?);
                }
                let (m, snapshot) = self.once::<Profiled>(&plan, lock, &label)?;
                if self.cli.overhead && !twin_first {
                    unprofiled[i].push(twin()?);
                }
                profiled[i].push(m.rate());
                summed[i].absorb(&snapshot);
                last[i] = Some(m);
            }
        }
        let mut runs = Vec::new();
        let mut overhead = Vec::new();
        for (i, lock) in locks.iter().enumerate() {
            let Some(m) = last[i].take() else {
                bail!("no round ran (--repeat must be at least 1)");
            };
            runs.push(RunReport::new(
                lock.to_string(),
                &m,
                profiled[i].clone(),
                &summed[i],
            ));
            if self.cli.overhead {
                let pair = (unprofiled[i].clone(), profiled[i].clone());
                overhead.push(Overhead::new(lock.to_string(), pair.0, pair.1));
            }
        }
        let mut report = Report::new(self.workload, self.line(), runs);
        report.overhead = overhead;
        self.write(&report)?;
        Ok(report)
    }

    /// One run on platform `P` over a fresh datastore, with a progress bar; the profile
    /// as it stood when the main threads were done (empty on an unprofiled platform).
    fn once<P: Platform>(
        &self,
        plan: &Plan,
        lock: LockGranularity,
        label: &str,
    ) -> Result<(Measured, Snapshot)> {
        let opened = self.cli.storage.open::<P>(self.config(lock))?;
        let bar = self.bar(plan, label);
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let progress = |ops: u64, elapsed: Duration| match plan.iterations {
            Some(_) => bar.set_position(ops),
            None => bar.set_position(ms(elapsed).min(ms(plan.duration))),
        };
        let mut snapshot = Snapshot::default();
        let measured = workload::run(
            plan,
            &opened.ds,
            lock,
            profile::reset,
            || snapshot = profile::snapshot(),
            &progress,
        )
        .with_context(|| format!("{label}: the run failed"))?;
        bar.finish_and_clear();
        Ok((measured, snapshot))
    }

    fn bar(&self, plan: &Plan, label: &str) -> ProgressBar {
        if self.cli.quiet {
            return ProgressBar::hidden();
        }
        let (len, template) = match plan.iterations {
            Some(n) => (
                n * plan.threads as u64,
                "{msg} [{bar:30}] {pos}/{len} ops {per_sec} eta {eta}",
            ),
            None => (
                u64::try_from(plan.duration.as_millis()).unwrap_or(u64::MAX),
                "{msg} [{bar:30}] {elapsed}",
            ),
        };
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        bar
    }

    fn write(&self, report: &Report) -> Result<()> {
        if let Some(path) = &self.cli.json {
            let json = serde_json::to_string_pretty(report).context("encoding the report")?;
            write_file(path, &json)?;
        }
        if let Some(path) = &self.cli.markdown {
            write_file(path, &report.markdown())?;
        }
        if let Some(path) = &self.cli.plot {
            let title = self.workload.name();
            write_file(path, &crate::plot::svg(&report.runs, title)?)?;
        }
        Ok(())
    }
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
