//! The exhaustive phase's programs in child processes, one per job.
//!
//! loom gives every thread of every execution a fresh stack: an `mmap`, an `mprotect` and
//! an `munmap`, thousands of times a second. Two threads of one process doing that contend
//! for the process's memory map and interrupt each other's core to flush its TLB, so that
//! two jobs ran the default scope no faster than one (BENCHMARKS.md, "Exhaustive scopes").
//! Processes share no memory map: `--jobs N` runs the programs in N copies of this binary,
//! `chunkcheck worker`, each reading its [`Job`] from stdin and writing one JSON line per
//! program to stdout, in its order. Program `i` of the list goes to worker `i % N`, and the
//! caller reads the results back in list order.
//!
//! Only the binary knows its own path ([`set_exe`], from `main`); a campaign run through
//! the library (a test) runs its programs on threads instead. A worker that dies leaves its
//! programs to the caller, which runs them itself.

use harness::check::{Budget, Cause, Checker, Failure, RunOptions};
use harness::program::{check_program, enumerate, Program, Scope};
use harness::world::Setup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

static EXE: OnceLock<PathBuf> = OnceLock::new();

/// Records the running binary's path: from then on the exhaustive phase runs its programs in
/// worker processes of it.
pub fn set_exe() {
    if let Ok(exe) = std::env::current_exe() {
        let _ = EXE.set(exe);
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
            failure: report.failure.map(|f| WireFailure {
                cause: f.cause,
                message: f.message,
                schedule: f.schedule,
                steps: f.steps,
            }),
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
}

/// A [`Failure`] on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireFailure {
    cause: Cause,
    message: String,
    schedule: Option<String>,
    steps: Option<usize>,
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

/// `chunkcheck worker`: reads a [`Job`] from stdin and writes each program's [`Outcome`]
/// as a JSON line, flushed, in the job's order. Exit code 2 on a malformed job.
pub fn serve() -> i32 {
    let job: Job = match serde_json::from_reader(std::io::stdin().lock()) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("error: malformed worker job: {e}");
            return crate::report::EXIT_BAD_INPUT;
        }
    };
    let scope: Scope = match job.scope.parse() {
        Ok(scope) => scope,
        Err(e) => {
            eprintln!("error: malformed worker scope: {e}");
            return crate::report::EXIT_BAD_INPUT;
        }
    };
    let wanted: BTreeSet<usize> = job.positions.iter().copied().collect();
    let programs = enumerate::programs(&scope, |p| wanted.contains(&p));
    let by_position: std::collections::BTreeMap<usize, _> = programs.into_iter().collect();
    let mut out = std::io::stdout().lock();
    for position in &job.positions {
        let Some(program) = by_position.get(position) else {
            eprintln!("error: position {position} is not in the scope");
            return crate::report::EXIT_BAD_INPUT;
        };
        let outcome = job.run(*position, program);
        let line = serde_json::to_string(&outcome).unwrap_or_default();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            // The caller stopped reading: it found what it needed.
            return crate::report::EXIT_OK;
        }
    }
    crate::report::EXIT_OK
}

/// Worker processes running one job's programs between them; killed when dropped.
pub struct Workers {
    children: Vec<(Child, Option<BufReader<ChildStdout>>)>,
}

impl Workers {
    /// `count` workers for `job`'s programs, program `i` on worker `i % count`; none when
    /// the binary's path is unknown or a worker cannot start (the caller then uses
    /// threads).
    pub fn spawn(job: &Job, count: usize) -> Option<Workers> {
        let exe = EXE.get()?;
        let mut workers = Workers {
            children: Vec::new(),
        };
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
            let mut child = Command::new(exe)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut stdin = child.stdin.take()?;
            let sent = serde_json::to_writer(&mut stdin, &part).is_ok();
            drop(stdin);
            let stdout = child.stdout.take().map(BufReader::new);
            workers.children.push((child, stdout));
            if !sent {
                return None;
            }
        }
        Some(workers)
    }

    /// The next result of worker `k`, or `None` once it died or wrote something else.
    pub fn next(&mut self, k: usize) -> Option<Outcome> {
        let (_, stdout) = self.children.get_mut(k)?;
        let mut line = String::new();
        let read = stdout.as_mut()?.read_line(&mut line);
        match read
            .ok()
            .filter(|n| *n > 0)
            .and_then(|_| serde_json::from_str(&line).ok())
        {
            Some(outcome) => Some(outcome),
            None => {
                *stdout = None;
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
