//! The exhaustive phase: every program of a declared [`Scope`], each under loom's whole
//! search within a preemption bound. Within that scope and bound a pass is a proof, not a
//! sample (README, "What a pass means").
//!
//! Programs are listed by [`enumerate::programs`] up to thread symmetry; shard `K/N` keeps
//! the programs whose position `i` has `i % N == K - 1`. They run on `--jobs` worker
//! processes ([`crate::workers`]; threads when run through the library) and are judged in
//! blocks of [`BLOCK`]; the first block with a failure is the last one run, and its first
//! failing program (in enumeration order, whoever finished first) is minimized and saved
//! with its replay file.

use crate::generated::record_failure;
use crate::report::CampaignReport;
use crate::report_generated::ProgramFailure;
use crate::search::Drawn;
use crate::workers::{Job, Outcome, Workers};
use crate::Settings;
use harness::check::{Budget, Checker};
use harness::oracle::Coverage;
use harness::program::enumerate::{self, Counts};
use harness::program::{Program, Scope};
use harness::world::Setup;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::time::Instant;

/// loom's preemption bound in the exhaustive phase unless `--preemption-bound` says
/// otherwise: most concurrency bugs need at most two preemptions (CHESS, PLDI 2007).
pub const EXHAUSTIVE_BOUND: usize = 2;

/// Programs run between two looks for a failure.
pub const BLOCK: usize = 64;

/// What the exhaustive phase proved or found.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExhaustiveRecord {
    /// The scope, as `--scope` reads it.
    pub scope: String,
    /// loom's preemption bound.
    pub bound: usize,
    /// The shard run (`1/1`: the whole scope).
    pub shard: String,
    /// Programs in the scope up to symmetry.
    pub scope_programs: u128,
    /// Programs in the scope with their threads in every order.
    pub scope_programs_raw: u128,
    /// Programs this run checked (its shard's, up to the first failing block).
    pub programs: u64,
    /// Of those, programs whose search `--max-time` cut short: while any is, nothing is
    /// proven.
    #[serde(default)]
    pub cut_short: u64,
    /// loom executions over them.
    pub schedules: u64,
    /// Wall time, seconds.
    pub wall_secs: f64,
    /// The seeded bugs switched on, if any.
    pub bugs: Vec<String>,
    /// The first counterexample, minimized, if one was found.
    pub failure: Option<ProgramFailure>,
    /// What the programs run covered of the store's decisions and conflict pairs (none in a
    /// report older than the field).
    #[serde(default)]
    pub coverage: Coverage,
}

impl ExhaustiveRecord {
    /// Whether every program of the shard ran its whole search and passed: the proof
    /// holds.
    pub fn proven(&self) -> bool {
        self.failure.is_none() && self.cut_short == 0
    }

    /// The proof line, or what broke it.
    pub fn line(&self) -> String {
        let shard = match self.shard.as_str() {
            "1/1" => String::new(),
            shard => format!(" (shard {shard})"),
        };
        let head = format!(
            "scope {}, bound {}{shard}: {} of {} programs ({} before symmetry), {} schedules, \
             {:.1} s",
            self.scope,
            self.bound,
            self.programs,
            self.scope_programs,
            self.scope_programs_raw,
            self.schedules,
            self.wall_secs
        );
        match (&self.failure, self.cut_short) {
            (Some(f), _) => format!("{head}: {} in program {}", f.cause, f.program),
            (None, 0) => format!("{head}: no violation"),
            (None, n) => format!(
                "{head}: no violation found, but {n} programs stopped at --max-time: not proven"
            ),
        }
    }
}

/// Runs the shard's part of the scope into `report`.
pub(crate) fn run(settings: &Settings, report: &mut CampaignReport) {
    let scope: &Scope = &settings.spec.scope;
    let Counts { raw, reduced } = enumerate::counts(scope);
    let bound = settings.preemption_bound.unwrap_or(EXHAUSTIVE_BOUND);
    let setup = Setup {
        faults: scope.faults,
        ..settings.setup
    };
    // loom runs one whole search per program; shuttle's schedule count is unused.
    let budget = Budget {
        preemption_bound: bound,
        ..crate::generated::budget(settings.spec.seed, 1, settings.pct_depth)
    };
    let programs = enumerate::programs(scope, |p| settings.shard.keeps(p));
    let job = Job {
        scope: scope.to_string(),
        setup,
        budget,
        max_time: settings.max_time.map(|t| t.as_secs_f64()),
        positions: programs.iter().map(|(p, _)| *p).collect(),
    };
    let jobs = settings.jobs.max(1);
    let mut workers = (jobs > 1).then(|| Workers::spawn(&job, jobs)).flatten();
    let mut progress = crate::progress::PhaseProgress::new(
        "exhaustive",
        programs.len().div_ceil(BLOCK),
        settings.progress,
        settings.announce,
    );
    let started = Instant::now();
    let (mut checked, mut schedules, mut cut_short, mut failure) = (0u64, 0u64, 0u64, None);
    let mut coverage = Coverage::default();
    let run_here = |position: usize, program: &Program| {
        crate::quiet::silenced_if(settings.silence_checkers, || job.run(position, program))
    };
    for (b, block) in programs.chunks(BLOCK).enumerate() {
        let results: Vec<Outcome> = match &mut workers {
            // Program `i` of the list is worker `i % jobs`'s; one that died leaves its
            // programs to this process.
            Some(workers) => (block.iter().enumerate())
                .map(|(i, (position, program))| {
                    let k = (b * BLOCK + i) % jobs;
                    (workers.next(k, *position)).unwrap_or_else(|| run_here(*position, program))
                })
                .collect(),
            None => crate::pool::map(
                block,
                settings.jobs,
                |(position, program)| run_here(*position, program),
                |_, _| {},
            ),
        };
        let mut block_schedules = 0;
        let mut first = None;
        for ((position, program), result) in block.iter().zip(results) {
            checked += 1;
            block_schedules += result.schedules;
            cut_short += u64::from(result.timed_out);
            coverage.add(&result.coverage);
            if let (None, Some(f)) = (&first, result.failure) {
                first = Some((*position, program, f));
            }
        }
        schedules += block_schedules;
        progress.done(&format!("{checked} programs"), block_schedules);
        if let Some((position, program, f)) = first {
            // The workers stop before minimization takes the cores.
            drop(workers.take());
            let drawn = Drawn {
                number: position as u64,
                seed: position as u64,
                program: program.clone(),
            };
            let f = f.into();
            let failed = (Checker::Loom, &f);
            let recorded =
                record_failure("exhaustive", settings, setup, &drawn, failed, true, budget);
            progress.println(&format!("program {position}: {}", recorded.cause));
            failure = Some(recorded);
            break;
        }
    }
    drop(workers);
    progress.finish();
    report.exhaustive = Some(ExhaustiveRecord {
        scope: scope.to_string(),
        bound,
        shard: settings.shard.to_string(),
        scope_programs: reduced,
        scope_programs_raw: raw,
        programs: checked,
        cut_short,
        schedules,
        wall_secs: started.elapsed().as_secs_f64(),
        bugs: crate::bug_names(setup.bugs),
        failure,
        coverage,
    });
}

/// The phase for the terminal.
pub fn text(report: &CampaignReport) -> String {
    let mut out = String::new();
    if let Some(e) = &report.exhaustive {
        let _ = writeln!(out, "\nExhaustive: {}", e.line());
        if let Some(f) = &e.failure {
            let _ = write!(
                out,
                "minimized ({} -> {} steps):\n{}{}\nreplay: {}\n",
                f.sizes.0, f.sizes.1, f.minimized, f.message, f.replay
            );
        }
    }
    out
}

/// The phase for CHECKING.md.
pub fn markdown(report: &CampaignReport) -> String {
    let mut out = String::new();
    if let Some(e) = &report.exhaustive {
        let _ = writeln!(out, "## Exhaustive\n\n{}.\n", e.line());
        if let Some(f) = &e.failure {
            let _ = writeln!(
                out,
                "Minimized counterexample:\n\n```text\n{}```\n\nReplay: `{}`\n",
                f.minimized, f.replay
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::plan::Shard;
    use harness::program::enumerate::programs;
    use harness::program::Scope;

    /// `--shard K/N` over the exhaustive phase: for every N, the shards' programs are
    /// disjoint and together the whole scope.
    #[test]
    fn shards_partition_the_scope() {
        let scope: Scope = "kinds=gc+read+backup,backends=s3,history=snapshot"
            .parse()
            .expect("a scope");
        let whole: Vec<usize> = programs(&scope, |_| true).iter().map(|(p, _)| *p).collect();
        for count in 1..=5 {
            let mut seen: Vec<usize> = (1..=count)
                .flat_map(|index| {
                    let shard = Shard { index, count };
                    programs(&scope, |p| shard.keeps(p))
                        .into_iter()
                        .map(|(p, _)| p)
                })
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, whole, "{count} shards");
        }
    }
}
