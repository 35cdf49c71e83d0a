//! loom's work in child processes.
//!
//! loom gives every thread of every execution a fresh stack: an `mmap`, an `mprotect` and
//! an `munmap`, thousands of times a second. Two threads of one process doing that contend
//! for the process's memory map and interrupt each other's core to flush its TLB, so that
//! two jobs ran the default scope no faster than one (BENCHMARKS.md, "Exhaustive scopes").
//! Processes share no memory map, so loom runs in copies of this binary, `chunkcheck
//! worker`, each reading one [`Task`] from stdin and writing JSON lines to stdout:
//!
//! - the exhaustive phase's programs ([`Job`]): `--jobs N` workers, program `i` of the list
//!   on worker `i % N`, one line per program in its order, read back in list order;
//! - a scenario under loom (a clean-phase or seeded-race item, with or without faults,
//!   [`scenario`]): one worker per run, one line, while the caller's thread waits and the
//!   other jobs go on with shuttle.
//!
//! Only the binary knows its own path ([`set_exe`], from `main`); a campaign run through
//! the library (a test) runs everything in its own process. Whatever a worker fails to
//! deliver, the caller runs itself, says so on stderr and counts it
//! (`CampaignReport::worker_fallbacks`).

use harness::catalogue::Catalogue;
use harness::check::{Budget, Cause, Checker, Failure, Report, RunOptions};
use harness::oracle::Coverage;
use harness::program::{check_program, enumerate, Program, Scope};
use harness::world::Setup;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use store::storage::{Fault, Site};

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// loom runs a worker failed to deliver, in this process's lifetime.
static FALLBACKS: AtomicU64 = AtomicU64::new(0);

/// Records the running binary's path: from then on loom runs in worker processes of it
/// (the exhaustive phase's programs, and scenario runs).
pub fn set_exe() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = EXE.set(exe);
    }
}

/// loom runs workers failed to deliver so far (each then ran in this process).
pub fn fallbacks() -> u64 {
    FALLBACKS.load(Ordering::Relaxed)
}

/// A worker failed to deliver `what`: counted, and said on the real stderr (the checkers
/// may have pointed fd 2 at `/dev/null` meanwhile).
fn fell_back(what: &str) {
    FALLBACKS.fetch_add(1, Ordering::Relaxed);
    let line = format!("warning: a worker process did not deliver {what}: running it here\n");
    match crate::quiet::real_stderr() {
        Some(mut stderr) => {
            let _ = stderr.write_all(line.as_bytes());
        }
        None => eprint!("{line}"),
    }
}

/// What a worker is asked to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Task {
    /// Exhaustive-phase programs.
    Exhaustive(Job),
    /// A scenario under loom.
    Scenario(ScenarioTask),
}

/// A scenario under loom: its name, setup, budget and time limit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioTask {
    scenario: String,
    setup: Setup,
    budget: Budget,
    max_time: Option<f64>,
}

/// What a scenario run reports back: a [`Report`], its fault tally as a list (JSON maps
/// take only string keys), without the fault landings only the guided search of generated
/// programs uses.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ScenarioOutcome {
    schedules: u64,
    elapsed: f64,
    failure: Option<WireFailure>,
    timed_out: bool,
    coverage: Coverage,
    faults: Vec<((Site, Fault), u64)>,
}

/// Runs `scenario` under loom in a worker, as the caller would run it here; `None` when
/// there is no worker to run it (the library) or it failed to deliver.
pub fn scenario(
    scenario: &str,
    setup: Setup,
    budget: &Budget,
    max_time: Option<Duration>,
) -> Option<Report> {
    let task = Task::Scenario(ScenarioTask {
        scenario: scenario.to_string(),
        setup,
        budget: *budget,
        max_time: max_time.map(|t| t.as_secs_f64()),
    });
    EXE.get()?;
    let delivered = start(&task).and_then(|(mut child, stdout)| {
        let mut line = String::new();
        let read = stdout.map(|mut out| out.read_line(&mut line));
        let _ = child.wait();
        read?.ok()?;
        serde_json::from_str::<ScenarioOutcome>(&line).ok()
    });
    let Some(o) = delivered else {
        fell_back(&format!("scenario {scenario} under loom"));
        return None;
    };
    Some(Report {
        checker: Checker::Loom,
        schedules: o.schedules,
        elapsed: Duration::from_secs_f64(o.elapsed),
        failure: o.failure.map(Failure::from),
        timed_out: o.timed_out,
        coverage: o.coverage,
        faults: o.faults.into_iter().collect(),
        landings: Default::default(),
    })
}

/// A worker started on `task`, with its stdout.
fn start(task: &Task) -> Option<(Child, Option<BufReader<ChildStdout>>)> {
    let exe = EXE.get()?;
    let mut child = Command::new(exe)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let sent = match (child.stdin.take(), serde_json::to_vec(task)) {
        (Some(mut stdin), Ok(bytes)) => stdin.write_all(&bytes).is_ok(),
        _ => false,
    };
    let stdout = child.stdout.take().map(BufReader::new);
    match sent {
        true => Some((child, stdout)),
        false => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// What a worker runs: the programs at `positions` of `scope`'s enumeration, each under
/// loom with `setup` and `budget`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The scope, as `--scope` reads it.
    pub scope: String,
    /// The setup of every program.
    pub setup: Setup,
    /// loom's budget.
    pub budget: Budget,
    /// `--max-time` per program, seconds.
    pub max_time: Option<f64>,
    /// Positions in the enumeration, in the order to run them.
    pub positions: Vec<usize>,
}

impl Job {
    /// One program's result: what a worker writes, and what the caller computes itself
    /// when a worker died.
    pub fn run(&self, position: usize, program: &Program) -> Outcome {
        let options = RunOptions {
            max_time: self.max_time.map(Duration::from_secs_f64),
            faults: self.setup.faults > 0,
            ..RunOptions::default()
        };
        let report =
            check_program(program, self.setup, Checker::Loom, &self.budget, &options).report;
        Outcome {
            position,
            schedules: report.schedules,
            timed_out: report.timed_out,
            failure: report.failure.map(WireFailure::from),
            coverage: report.coverage,
        }
    }
}

/// One program's result, as a worker reports it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// Its position in the enumeration.
    pub position: usize,
    /// loom executions.
    pub schedules: u64,
    /// Whether `--max-time` cut its search short.
    pub timed_out: bool,
    /// Its failure, if any.
    pub failure: Option<WireFailure>,
    /// What its executions covered.
    pub coverage: Coverage,
}

/// A [`Failure`] on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireFailure {
    cause: Cause,
    message: String,
    schedule: Option<String>,
    steps: Option<usize>,
}

impl From<Failure> for WireFailure {
    fn from(f: Failure) -> WireFailure {
        WireFailure {
            cause: f.cause,
            message: f.message,
            schedule: f.schedule,
            steps: f.steps,
        }
    }
}

impl From<WireFailure> for Failure {
    fn from(w: WireFailure) -> Failure {
        Failure {
            cause: w.cause,
            message: w.message,
            schedule: w.schedule,
            steps: w.steps,
        }
    }
}

/// `chunkcheck worker`: reads a [`Task`] from stdin and writes what it asks for as JSON
/// lines, each flushed. Exit code 2 when it cannot: a malformed task, an unknown scenario,
/// a scope or position that does not parse back, a caller that stopped reading.
pub fn serve(catalogue: &Catalogue) -> i32 {
    let task: Task = match serde_json::from_reader(std::io::stdin().lock()) {
        Ok(task) => task,
        Err(e) => {
            eprintln!("error: malformed worker task: {e}");
            return crate::report::EXIT_BAD_INPUT;
        }
    };
    let served = match task {
        Task::Exhaustive(job) => serve_job(&job),
        Task::Scenario(task) => serve_scenario(catalogue, &task),
    };
    match served {
        Ok(()) => crate::report::EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            crate::report::EXIT_BAD_INPUT
        }
    }
}

/// Writes one line, flushed; an error when the caller stopped reading.
fn send(line: &impl Serialize) -> Result<(), String> {
    let line = serde_json::to_string(line).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("the caller stopped reading: {e}"))
}

fn serve_scenario(catalogue: &Catalogue, task: &ScenarioTask) -> Result<(), String> {
    let scenario = (catalogue.find(&task.scenario))
        .ok_or_else(|| format!("no scenario {:?}", task.scenario))?;
    let attempt = crate::run::Attempt {
        phase: "worker",
        scenario,
        checker: Checker::Loom,
        setup: task.setup,
        budget: task.budget,
        max_time: task.max_time.map(Duration::from_secs_f64),
        quiet: false,
    };
    let report = attempt.run_here();
    send(&ScenarioOutcome {
        schedules: report.schedules,
        elapsed: report.elapsed.as_secs_f64(),
        failure: report.failure.map(WireFailure::from),
        timed_out: report.timed_out,
        coverage: report.coverage,
        faults: report.faults.into_iter().collect(),
    })
}

fn serve_job(job: &Job) -> Result<(), String> {
    let scope: Scope = (job.scope.parse()).map_err(|e| format!("malformed scope: {e}"))?;
    let wanted: BTreeSet<usize> = job.positions.iter().copied().collect();
    let programs: BTreeMap<usize, Program> = enumerate::programs(&scope, |p| wanted.contains(&p))
        .into_iter()
        .collect();
    for position in &job.positions {
        let program = (programs.get(position))
            .ok_or_else(|| format!("position {position} is not in the scope"))?;
        send(&job.run(*position, program))?;
    }
    Ok(())
}

/// Worker processes running one job's programs between them; killed when dropped.
pub struct Workers {
    children: Vec<(Child, Option<BufReader<ChildStdout>>)>,
}

impl Workers {
    /// `count` workers for `job`'s programs, program `i` on worker `i % count` (no more
    /// workers than programs); none when the binary's path is unknown or a worker cannot
    /// start (the caller then uses threads).
    pub fn spawn(job: &Job, count: usize) -> Option<Workers> {
        EXE.get()?;
        let mut workers = Workers {
            children: Vec::new(),
        };
        let count = count.min(job.positions.len()).max(1);
        for k in 0..count {
            let part = Job {
                positions: job
                    .positions
                    .iter()
                    .copied()
                    .skip(k)
                    .step_by(count)
                    .collect(),
                ..job.clone()
            };
            match start(&Task::Exhaustive(part)) {
                Some(child) => workers.children.push(child),
                None => {
                    fell_back("the exhaustive phase's programs (a worker did not start)");
                    return None;
                }
            }
        }
        Some(workers)
    }

    /// Worker `k`'s result for the program at `position`, its next in order. `None` when
    /// it died, or wrote anything else, which retires it (killed, its programs from then on
    /// run by the caller); each miss is counted and said ([`fallbacks`]).
    pub fn next(&mut self, k: usize, position: usize) -> Option<Outcome> {
        let (child, stdout) = self.children.get_mut(k)?;
        let Some(out) = stdout.as_mut() else {
            fell_back(&format!(
                "exhaustive program {position} (worker {k} retired)"
            ));
            return None;
        };
        let mut line = String::new();
        let read = out.read_line(&mut line).ok().filter(|n| *n > 0);
        let outcome = read.and_then(|_| serde_json::from_str::<Outcome>(&line).ok());
        match outcome.filter(|o| o.position == position) {
            Some(outcome) => Some(outcome),
            None => {
                let _ = child.kill();
                *stdout = None;
                fell_back(&format!(
                    "exhaustive program {position} (worker {k} retired)"
                ));
                None
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (child, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
