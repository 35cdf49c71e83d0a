//! The campaign runner, end to end: the `chunkcheck` binary over the real catalogue.
//!
//! Budgets are tiny (tens of shuttle schedules per scenario; loom stays exhaustive within
//! each scenario's bound, so the loom-heavy runs pick the scenarios whose loom run is short):
//! these tests check the runner, not the store.

use chunkcheck::cli::Cli;
use chunkcheck::failure_file::{FailureFile, Target};
use chunkcheck::plan::Shard;
use chunkcheck::report::CampaignReport;
use chunkcheck::report::EXIT_VIOLATION_AND_MISSED;
use chunkcheck::report::{EXIT_BAD_INPUT, EXIT_MISSED, EXIT_OK, EXIT_VIOLATION};
use chunkcheck::verdict::{Hunter, Verdict};
use chunkcheck::work::WorkItem;
use harness::check::{Cause, Checker};
use harness::oracle::Coverage;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

/// Scenarios whose loom runs take milliseconds: enough for sharding tests.
const QUICK: &str = "fs-insert-vs-sweep,reload-during-backup,pull-reuse-vs-sweep";

fn chunkcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chunkcheck"))
        .args(args)
        .env_remove("HARNESS_SCHEDULES")
        .env_remove("HARNESS_SEED")
        .env_remove("HARNESS_PCT_DEPTH")
        .env_remove("LOOM_MAX_PREEMPTIONS")
        .output()
        .expect("chunkcheck runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("chunkcheck exits, not killed")
}

/// A small exhaustive scope (32 programs) for campaigns that run every phase.
const SMALL_SCOPE: &str = "kinds=gc+read,backends=s3,history=snapshot";

/// Runs a campaign writing JSON into `dir`; returns its exit code and report.
fn campaign(dir: &Path, name: &str, args: &[&str]) -> (i32, CampaignReport) {
    let json = dir.join(format!("{name}.json"));
    let failures = dir.join("failures");
    let mut all = vec![
        "--json",
        json.to_str().expect("utf-8 temp path"),
        "--failures",
        failures.to_str().expect("utf-8 temp path"),
    ];
    all.extend_from_slice(args);
    let out = chunkcheck(&all);
    let report = CampaignReport::load(&json)
        .unwrap_or_else(|e| panic!("{name}: no report ({e:#}); stderr:\n{}", text(&out.stderr)));
    assert_eq!(code(&out), report.exit_code, "{name}: exit code = report's");
    (code(&out), report)
}

/// What must agree between a single run and its shards: every item and its result (but
/// the stress baseline's, which real threads decide).
fn results(report: &CampaignReport) -> BTreeMap<String, (u64, Verdict)> {
    let clean = report
        .clean
        .iter()
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    let seeded = report
        .seeded
        .iter()
        .filter(|i| i.checker != Checker::Stress)
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    let generated = report
        .generated_seeded
        .iter()
        .map(|i| (i.key.clone(), (i.schedules, i.verdict)));
    clean.chain(seeded).chain(generated).collect()
}

fn coverage_sum(reports: &[&CampaignReport]) -> BTreeMap<String, Coverage> {
    let mut sum: BTreeMap<String, Coverage> = BTreeMap::new();
    for report in reports {
        for (scenario, c) in &report.coverage {
            sum.entry(scenario.clone()).or_default().add(c);
        }
    }
    sum
}

/// The real planner over the real catalogue: shards of any count are disjoint and together
/// hold exactly the unsharded plan.
#[test]
fn real_plan_shards_are_disjoint_and_cover_the_plan() {
    let settings = |extra: &[&str]| {
        let mut args = vec![
            "chunkcheck",
            "--schedules",
            "3000",
            "--checkers",
            "loom,shuttle-random,shuttle-pct,shuttle-urw",
        ];
        args.extend_from_slice(extra);
        Cli::from_args(args)
            .expect("parses")
            .check
            .settings(&scenarios::catalogue(), String::new())
            .expect("valid settings")
    };
    let whole: Vec<String> = settings(&[])
        .spec
        .items()
        .iter()
        .map(WorkItem::key)
        .collect();
    // Every scenario × (loom + 3 schedulers × 3 batches); every race under loom once and
    // 10 trials under each of the 3 schedulers and the stress baseline; 3,000 generated
    // programs in items of 50; every race over generated programs, 10 trials.
    let races = scenarios::seeded().len();
    assert_eq!(
        whole.len(),
        scenarios::all().len() * 10 + races * (1 + 4 * 10) + 3_000 / 50 + races * 10
    );
    for count in [2, 3, 4, 5] {
        let mut union = Vec::new();
        for index in 1..=count {
            let shard = format!("{index}/{count}");
            let part = settings(&["--shard", &shard]);
            assert_eq!(part.shard, Shard { index, count });
            union.extend(part.spec.shard(part.shard).iter().map(WorkItem::key));
        }
        let distinct: BTreeSet<_> = union.iter().collect();
        assert_eq!(distinct.len(), union.len(), "shards of {count} overlap");
        assert_eq!(
            distinct,
            whole.iter().collect::<BTreeSet<_>>(),
            "shards of {count} miss or add items"
        );
    }
}

/// `--shard 1/2` and `--shard 2/2` together run exactly what one run does, with the same
/// results and the same coverage, and neither repeats the other's items.
#[test]
fn two_shards_report_what_one_run_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let common = [
        "--scenarios",
        QUICK,
        "--schedules",
        "60",
        "--batch-schedules",
        "20",
        "--programs",
        "120",
        "--program-schedules",
        "20",
        "--detection-seeds",
        "1",
        "--scope",
        SMALL_SCOPE,
    ];
    let with = |shard: &'static str| {
        let mut args = common.to_vec();
        args.extend(["--shard", shard]);
        args
    };
    let (whole_code, whole) = campaign(dir.path(), "whole", &common);
    let (code1, one) = campaign(dir.path(), "one", &with("1/2"));
    let (code2, two) = campaign(dir.path(), "two", &with("2/2"));
    // The clean store passes and every scenario race is caught; a hunt over 120 programs
    // of 20 schedules may miss a deep race (exit 3), and then a shard misses it too.
    assert!([EXIT_OK, EXIT_MISSED].contains(&whole_code), "{whole_code}");
    let missed = |code| match code {
        EXIT_OK => false,
        EXIT_MISSED => true,
        other => panic!("a shard exited {other}"),
    };
    assert_eq!(
        missed(code1) || missed(code2),
        missed(whole_code),
        "the shards miss what the whole run misses"
    );

    let (r1, r2, all) = (results(&one), results(&two), results(&whole));
    assert!(!r1.is_empty() && !r2.is_empty(), "both shards got work");
    assert!(
        r1.keys().all(|k| !r2.contains_key(k)),
        "an item ran in both shards"
    );
    let mut union = r1.clone();
    union.extend(r2.clone());
    assert_eq!(
        union, all,
        "the shards' items and results = the single run's"
    );
    // 3 scenarios × (loom + 2 schedulers × 3 batches) + 5 races × 3 checkers (stress left
    // out) + 5 races over generated programs, one trial each.
    assert_eq!(all.len(), 3 * 7 + 5 * 3 + 5);
    let programs = |r: &CampaignReport| r.generated.as_ref().map_or(0, |g| g.programs);
    assert_eq!(
        programs(&one) + programs(&two),
        120,
        "programs split across shards"
    );
    assert_eq!(programs(&whole), 120);
    assert_eq!(
        coverage_sum(&[&one, &two]),
        coverage_sum(&[&whole]),
        "coverage adds up across shards"
    );
    assert_eq!(
        (one.config.shard.as_str(), two.config.shard.as_str()),
        ("1/2", "2/2")
    );
    // The exhaustive phase: the shards split the scope's programs between them, each once.
    let exhaustive = |r: &CampaignReport| r.exhaustive.clone().expect("the exhaustive phase ran");
    let (e1, e2, e) = (exhaustive(&one), exhaustive(&two), exhaustive(&whole));
    assert!(e1.proven() && e2.proven() && e.proven());
    assert_eq!(e.programs as u128, e.scope_programs);
    assert_eq!(e1.programs + e2.programs, e.programs);
    assert!(e1.programs > 0 && e2.programs > 0);
    assert_eq!(e1.schedules + e2.schedules, e.schedules);
}

/// The exhaustive phase's worker processes (`--jobs 2`) find what one job in this process
/// finds: the same programs, schedules and first counterexample.
#[test]
fn exhaustive_workers_match_one_job() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |jobs: &str, bugs: &[&str]| {
        let mut args = vec![
            "--phase",
            "exhaustive",
            "--scope",
            "kinds=backup+gc,backends=fs,history=garbage",
            "--jobs",
            jobs,
        ];
        args.extend_from_slice(bugs);
        let name = format!("exhaustive-{jobs}-{}", bugs.len());
        let (_, report) = campaign(dir.path(), &name, &args);
        assert_eq!(
            report.worker_fallbacks, 0,
            "{name}: every program in a worker"
        );
        report.exhaustive.expect("the exhaustive phase ran")
    };
    let (one, two) = (run("1", &[]), run("2", &[]));
    assert!(one.proven() && two.proven());
    assert_eq!((one.programs, one.schedules), (two.programs, two.schedules));
    let bug = ["--bugs", "insert-skips-touch"];
    let (one, two) = (run("1", &bug), run("2", &bug));
    let position = |e: &chunkcheck::exhaustive::ExhaustiveRecord| {
        e.failure.as_ref().map(|f| (f.program, f.cause))
    };
    assert!(position(&one).is_some(), "the bug is caught in this scope");
    assert_eq!(position(&one), position(&two));
    assert_eq!((one.programs, one.schedules), (two.programs, two.schedules));
}

/// A scenario under loom runs in a worker process when run by the binary and in this
/// process when run through the library: the same schedules, verdicts and coverage, clean
/// and with a seeded bug.
#[test]
fn loom_scenarios_in_workers_match_this_process() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Under faults, loom runs one search per fault choice; the worker runs them all.
    let variants = [
        (None, None),
        (Some("touch-without-mutex"), None),
        (None, Some("fs-insert-vs-sweep")),
    ];
    for (bugs, faults) in variants {
        let mut args = vec![
            "--phase",
            "clean",
            "--checkers",
            "loom",
            "--scenarios",
            faults.unwrap_or("fs-insert-vs-sweep,pull-reuse-vs-sweep"),
        ];
        if let Some(bug) = bugs {
            args.extend(["--bugs", bug]);
        }
        if faults.is_some() {
            args.push("--faults");
        }
        let name = format!(
            "workers-{}{}",
            bugs.unwrap_or("clean"),
            if faults.is_some() { "-faults" } else { "" }
        );
        let (_, by_binary) = campaign(dir.path(), &name, &args);
        let json = dir.path().join(format!("{name}-here.json"));
        let failures = dir.path().join("failures-here");
        let mut here = vec![
            "chunkcheck",
            "--json",
            json.to_str().expect("utf-8 temp path"),
            "--failures",
            failures.to_str().expect("utf-8 temp path"),
        ];
        here.extend_from_slice(&args);
        chunkcheck::commands::run_command_line(&scenarios::catalogue(), here);
        let in_process = CampaignReport::load(&json).expect("the in-process report");
        let items = |r: &CampaignReport| -> Vec<_> {
            (r.clean.iter())
                .map(|i| (i.key.clone(), i.schedules, i.verdict, i.faults))
                .collect()
        };
        assert_eq!(
            by_binary.worker_fallbacks, 0,
            "{name}: every loom run in a worker"
        );
        assert_eq!(items(&by_binary), items(&in_process), "{name}");
        assert_eq!(by_binary.coverage, in_process.coverage, "{name}");
    }
}

/// The JSON report names every scenario under every default checker and every seeded race
/// under every default checker, each with the figures the README promises.
#[test]
fn json_lists_every_scenario_and_seeded_race() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (exit, report) = campaign(
        dir.path(),
        "all",
        // 2,000: the deepest seeded race for shuttle-random (stale-stamp: an old-process
        // touch held between its clock read and its step while another process moves the
        // clock and stamps the chunk) is first caught after a median of 275 schedules under
        // these seeds, some trials needing several times that. 100 programs catch most seeded bugs, not all (the default campaign runs
        // 3,000), so here a bug may be missed by the generated phase alone.
        &[
            "--schedules",
            "2000",
            "--batch-schedules",
            "100",
            "--programs",
            "100",
            "--detection-seeds",
            "3",
            "--scope",
            SMALL_SCOPE,
        ],
    );
    let generated_misses = report.generated_seeded.iter().filter(|i| !i.caught).count();
    let lost: Vec<_> = report.detections.iter().filter(|d| !d.holds()).collect();
    let expected = if lost
        .iter()
        .all(|d| d.checker == Hunter::Generated || d.checker == Hunter::Checker(Checker::Stress))
    {
        if lost.iter().any(|d| d.checker == Hunter::Generated) {
            EXIT_MISSED
        } else {
            EXIT_OK
        }
    } else {
        panic!("a scenario race lost under a model checker: {lost:?}")
    };
    assert_eq!(
        exit, expected,
        "clean store passes, every scenario race caught"
    );
    // Per race: loom once, 3 trials of each scheduler, of the stress baseline and over
    // generated programs, summed up as medians.
    for race in scenarios::seeded() {
        for (checker, trials) in [
            ("loom", 1),
            ("shuttle-random", 3),
            ("shuttle-pct", 3),
            ("stress", 3),
            ("generated", 3),
        ] {
            let d = report
                .detections
                .iter()
                .find(|d| d.bug == race.bug && d.checker.to_string() == checker)
                .unwrap_or_else(|| panic!("{} x {checker}: no detection record", race.bug));
            assert_eq!(d.trials, trials, "{} x {checker}", race.bug);
            assert_eq!(d.median_schedules.is_some(), d.holds(), "{d:?}");
            assert!(d.median_wall_secs > 0.0, "{d:?}");
        }
    }
    let checkers = ["loom", "shuttle-random", "shuttle-pct"];
    for scenario in scenarios::all() {
        for checker in checkers {
            let row = report
                .matrix
                .iter()
                .find(|r| r.scenario == scenario.name && r.checker.to_string() == checker)
                .unwrap_or_else(|| panic!("{} x {checker} missing", scenario.name));
            assert_eq!(row.verdict, Verdict::Pass);
            assert!(row.schedules > 0 && row.wall_secs > 0.0 && row.schedules_per_sec > 0.0);
            if checker != "loom" {
                assert_eq!(row.schedules, 2_000, "{} x {checker}", scenario.name);
            }
        }
        assert!(report.coverage.contains_key(scenario.name));
    }
    for race in scenarios::seeded() {
        for checker in checkers {
            let item = report
                .seeded
                .iter()
                .find(|i| i.bug == race.bug && i.checker.to_string() == checker && i.trial == 0)
                .unwrap_or_else(|| panic!("{} x {checker} missing", race.bug));
            assert!(item.caught, "{} x {checker}: {}", race.bug, item.verdict);
            let failure = item
                .failure
                .as_ref()
                .expect("a caught race has its failure");
            assert!(failure.headline.contains("violated") || failure.cause == Cause::Deadlock);
            assert!(
                failure.message.contains("event trail"),
                "{}",
                failure.message
            );
            assert!(item.schedules >= 1);
        }
    }
    let generated = report.generated.as_ref().expect("the generated phase ran");
    assert_eq!(generated.programs, 100);
    assert!(generated.schedules >= 100 * 2 && generated.failures.is_empty());
    assert!(generated.pairs.iter().any(|p| p.reached));
    assert_eq!(
        report.generated_seeded.len(),
        scenarios::seeded().len() * 3,
        "every race's bug, three trials (no fault-handling bugs without --faults)"
    );
    // The deep races need more than 100 programs in some trials (CHECKING.md: medians of
    // 41 to 425 programs over 3,000); every other bug is caught in every trial.
    const DEEP: [&str; 4] = [
        "cutoff-ignores-oldest-writer",
        "cache-serves-rotten-copy",
        "eviction-rolls-back-atime",
        "stale-stamp",
    ];
    let lost = |d: &&chunkcheck::report::DetectionRecord| {
        d.checker == Hunter::Generated && !d.holds() && !DEEP.contains(&d.bug.name())
    };
    assert_eq!(
        report.detections.iter().filter(lost).count(),
        0,
        "the shallow bugs are caught within 100 programs ({generated_misses} trials missed)"
    );
    for item in report.generated_seeded.iter().filter(|i| i.trial == 0) {
        if !item.caught {
            assert_eq!((item.verdict, item.programs), (Verdict::Missed, 100));
            continue;
        }
        let failure = item.failure.as_ref().expect("a caught bug has its failure");
        assert!(
            failure.sizes.1 <= failure.sizes.0,
            "{}: minimized",
            item.bug
        );
        let file = failure.file.as_deref().expect("the program is saved");
        let said = replay_reproduces(file);
        assert!(
            said.contains(&failure.cause.to_string()),
            "{}: {said}",
            item.bug
        );
    }
    assert_eq!(report.tool.loom, "0.7.3");
    assert_eq!(report.tool.shuttle, "0.9.10");
    assert_eq!(report.config.seed, 0x5eed_c0de);
    assert_eq!(report.exit_code, expected);
}

/// Runs the seeded phase of `scenario` under `checker` with failures kept in `dir`; returns
/// its verbose output and the failure file of `bug`'s printed replay command.
fn seeded_replay_file(dir: &Path, scenario: &str, checker: &str, bug: &str) -> (String, String) {
    let failures = dir.join("failures");
    let out = chunkcheck(&[
        "--phase",
        "seeded",
        "--scenarios",
        scenario,
        "--checkers",
        checker,
        "--failures",
        failures.to_str().expect("utf-8 temp path"),
        "--verbose",
        "--detection-seeds",
        "1",
    ]);
    assert_eq!(code(&out), EXIT_OK, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let prefix = format!("{bug}: ");
    let commands: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .collect();
    let [command] = commands[..] else {
        panic!("one replay line for {bug} expected:\n{stdout}");
    };
    let file = command
        .strip_prefix("cargo run --release -p chunkcheck -- replay ")
        .unwrap_or_else(|| panic!("not a replay command: {command}"))
        .to_string();
    (stdout, file)
}

/// Replays `file`; asserts that it reproduces a violation (exit 1) and returns what it said.
fn replay_reproduces(file: &str) -> String {
    let replayed = chunkcheck(&["replay", file]);
    let said = text(&replayed.stdout);
    assert_eq!(
        code(&replayed),
        EXIT_VIOLATION,
        "{said}{}",
        text(&replayed.stderr)
    );
    said
}

/// The replay command printed for a seeded race reproduces it: exit 1, same verdict.
#[test]
fn printed_replay_command_reproduces_a_seeded_race() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (stdout, file) = seeded_replay_file(
        dir.path(),
        "fs-insert-vs-sweep",
        "shuttle-pct",
        "insert-skips-touch",
    );
    assert!(
        stdout.contains("P2 violated") || stdout.contains("P3 violated"),
        "verbose output names the property:\n{stdout}"
    );
    let said = replay_reproduces(&file);
    assert!(said.starts_with("reproduced: P"), "{said}");
    assert!(said.contains("bugs: insert-skips-touch"), "{said}");
    assert!(said.contains("event trail"), "{said}");
}

/// A loom failure found late in the search is replayed from loom's checkpoint: the file
/// holds the search position, and the replay reproduces the violation from there without
/// searching from the start.
#[test]
fn loom_failure_replays_from_its_checkpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, file) = seeded_replay_file(
        dir.path(),
        "reload-during-backup",
        "loom",
        "lock-forgets-other-processes",
    );
    let saved = FailureFile::load(Path::new(&file)).expect("the failure file loads");
    assert_eq!(saved.checker, Checker::Loom);
    let position = saved.schedule.as_deref().unwrap_or_default();
    assert!(
        position.contains("\"branches\""),
        "caught after more than one checkpoint interval, so the file holds a search position:\n{position}"
    );
    let said = replay_reproduces(&file);
    assert!(said.starts_with("reproduced: P4 violated"), "{said}");
    assert!(said.contains("under loom"), "{said}");
}

/// Exit codes: 1 for a violation in the clean phase (here: a seeded bug switched on), 3 for
/// a missed seeded race (here: one schedule is too few), 4 for both.
#[test]
fn exit_codes_tell_violation_from_lost_power() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The seeded race of old-touch-vs-new-writer (stale-stamp) needs hundreds of
    // shuttle-random schedules: one is too few. (That of reload-during-backup,
    // lock-forgets-other-processes, is caught on the first under this seed.)
    let base = [
        "--scenarios",
        "reload-during-backup,old-touch-vs-new-writer",
        "--no-progress",
        "--programs",
        "20",
        "--detection-seeds",
        "1",
    ];
    let run = |name: &str, extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        campaign(dir.path(), name, &args)
    };
    let (violation, report) = run(
        "violation",
        &[
            "--phase",
            "clean",
            "--checkers",
            "loom",
            "--bugs",
            "sweep-stat-outside-mutex",
        ],
    );
    assert_eq!(violation, EXIT_VIOLATION);
    let failure = report.clean[0]
        .failure
        .as_ref()
        .expect("loom finds the bug");
    // loom's failure is kept with the scenario's bound and replays from its file.
    let file = failure
        .schedule_file
        .as_deref()
        .expect("loom's failure is saved");
    assert!(failure.replay.ends_with(file), "{}", failure.replay);
    let saved = FailureFile::load(Path::new(file)).expect("failure file");
    let bound = scenarios::find("reload-during-backup")
        .expect("registered")
        .loom_bound;
    assert_eq!(saved.budget.preemption_bound, bound);
    replay_reproduces(file);
    let (missed, report) = run(
        "missed",
        &[
            "--phase",
            "seeded",
            "--checkers",
            "shuttle-random",
            "--schedules",
            "1",
        ],
    );
    assert_eq!(missed, EXIT_MISSED);
    assert!(report
        .seeded
        .iter()
        .any(|i| !i.caught && i.verdict == Verdict::Missed));
    let (both, _) = run(
        "both",
        &[
            "--checkers",
            "loom,shuttle-random",
            "--schedules",
            "1",
            "--bugs",
            "sweep-stat-outside-mutex",
        ],
    );
    assert_eq!(both, EXIT_VIOLATION_AND_MISSED);
}

/// Bad input: one line on stderr, nothing on stdout, exit 2, nothing run.
#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write temp file");
        path.to_str().expect("utf-8 temp path").to_string()
    };
    // Well-formed failure files with something wrong inside.
    let failure_file = |name: &str, scenario: &str, checker: Checker, schedule: &str| {
        let mut file = FailureFile::new(
            Target::Scenario(scenario.to_string()),
            checker,
            harness::world::Setup::clean(),
            harness::check::Budget::from_env(2),
            &harness::check::Failure {
                cause: Cause::Panic,
                message: String::new(),
                schedule: None,
                steps: None,
            },
        );
        file.schedule = Some(schedule.to_string());
        let path = file.save(dir.path(), name).expect("saved");
        path.to_str().expect("utf-8 temp path").to_string()
    };
    let foreign = write("foreign.failure.json", "not a failure file\n");
    let corrupt = failure_file("corrupt", "fs-insert-vs-sweep", Checker::Pct, "zz");
    // A well-formed (empty) schedule naming a scenario this build lacks.
    let unknown = failure_file("unknown", "nope", Checker::Pct, "91010000");
    let loom_position = failure_file(
        "position",
        "fs-insert-vs-sweep",
        Checker::Loom,
        "{\"pos\":0}",
    );
    let program = write("bad.failure.json", "{}");
    let cases: [(&[&str], &str); 15] = [
        (&["--scope", "threads=9"], "threads=\"9\": expected 2 to 3"),
        (&["--scope", "kinds=backup+fly"], "unknown \"fly\""),
        (&["--scope", "threads=3,ops=3,chunks=3"], "over the limit"),
        (&["replay", &program], "is not a failure file"),
        (&["--programs", "0"], "expected a positive integer"),
        (&["--program-seed", "seven"], "expected a decimal or 0x-hex"),
        (&["--scenarios", "nope"], "unknown scenario \"nope\""),
        (&["--checkers", "loom,tla"], "unknown checker \"tla\""),
        (&["--bugs", "nope"], "unknown seeded bug \"nope\""),
        (&["--shard", "3/2"], "expected K/N"),
        (&["--shard", "1-2"], "expected K/N"),
        (&["replay", &foreign], "is not a failure file"),
        (&["replay", &corrupt], "not a valid shuttle schedule"),
        (&["replay", &unknown], "unknown scenario \"nope\""),
        (&["replay", &loom_position], "lacks the fields"),
    ];
    for (args, expect) in cases {
        let out = chunkcheck(args);
        let stderr = text(&out.stderr);
        assert_eq!(code(&out), EXIT_BAD_INPUT, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?} ran something: {}",
            text(&out.stdout)
        );
    }
}

/// A malformed loom or harness variable is bad input naming the variable, never a silent
/// default.
#[test]
fn malformed_environment_is_named() {
    for (name, value) in [
        ("LOOM_MAX_PREEMPTIONS", "three"),
        ("LOOM_MAX_BRANCHES", "-1"),
        ("HARNESS_SCHEDULES", "lots"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_chunkcheck"))
            .args(["--scenarios", "fs-insert-vs-sweep", "--no-progress"])
            .env(name, value)
            .output()
            .expect("chunkcheck runs");
        let stderr = text(&out.stderr);
        assert_eq!(code(&out), EXIT_BAD_INPUT, "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}={value} ran something");
    }
}

/// `--minimize` lowers the PCT depth and the loom bound while the race still shows, and the
/// smaller PCT failure replays.
#[test]
fn minimize_finds_smaller_failing_settings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (exit, report) = campaign(
        dir.path(),
        "minimize",
        &[
            "--phase",
            "seeded",
            "--scenarios",
            "reload-during-backup",
            "--checkers",
            "loom,shuttle-pct",
            "--minimize",
            "--detection-seeds",
            "1",
        ],
    );
    assert_eq!(exit, EXIT_OK);
    assert_eq!(report.seeded.len(), 3, "one race x two checkers and stress");
    for item in report
        .seeded
        .iter()
        .filter(|i| i.checker != Checker::Stress)
    {
        let failure = item.failure.as_ref().expect("caught");
        let min = failure
            .minimized
            .as_ref()
            .expect("--minimize reports")
            .clone();
        let (knob, from) = match item.checker {
            Checker::Loom => ("preemption_bound", failure.preemption_bound),
            _ => ("pct_depth", failure.pct_depth),
        };
        let shrunk = min.shrunk;
        let knob_name = serde_json::to_value(shrunk.knob).expect("a knob serializes");
        assert_eq!((knob_name.as_str(), Some(shrunk.from)), (Some(knob), from));
        assert!(shrunk.to < shrunk.from, "{}: {min:?}", item.checker);
        let file = min
            .schedule_file
            .as_deref()
            .expect("minimized schedule saved");
        assert!(min.replay.ends_with(file), "{}", min.replay);
        let setting =
            serde_json::to_value(FailureFile::load(Path::new(file)).expect("failure file"))
                .expect("a failure file serializes");
        assert_eq!(
            setting["budget"][knob].as_u64(),
            Some(shrunk.to as u64),
            "{}: the file records the smaller setting:\n{setting}",
            item.checker
        );
        replay_reproduces(file);
    }
}

/// The stress baseline (real threads) reports what it misses without failing the campaign:
/// one run of a one-scheduling-point race finds nothing, and that is exit 0.
#[test]
fn stress_misses_are_reported_not_failures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (exit, report) = campaign(
        dir.path(),
        "stress",
        &[
            "--phase",
            "seeded",
            "--scenarios",
            "eviction-vs-touch-across-reload",
            "--checkers",
            "stress",
            "--schedules",
            "1",
            "--detection-seeds",
            "1",
        ],
    );
    let [item] = &report.seeded[..] else {
        panic!("one race under stress: {:?}", report.seeded);
    };
    assert_eq!((item.checker, item.schedules), (Checker::Stress, 1));
    assert!(
        !item.caught && item.verdict == Verdict::Missed,
        "{}",
        item.verdict
    );
    assert_eq!(exit, EXIT_OK);
}

/// `--faults`: generated programs with storage faults pass on the clean store, the report
/// counts the faults per kind, and every fault-handling seeded bug is hunted and caught.
#[test]
fn faults_pass_the_clean_store_and_catch_every_fault_handling_bug() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (exit, report) = campaign(
        dir.path(),
        "faults",
        &[
            "--phase",
            "generated",
            "--faults",
            "--programs",
            "100",
            "--detection-seeds",
            "1",
        ],
    );
    assert_eq!(report.config.faults, 1);
    let generated = report.generated.as_ref().expect("the generated phase ran");
    assert!(generated.failures.is_empty());
    for kind in ["EIO", "crash", "lost object"] {
        assert!(
            generated.faults.get(kind).is_some_and(|n| *n > 0),
            "{kind} injected: {:?}",
            generated.faults
        );
    }
    let hunted: Vec<_> = report.generated_seeded.iter().map(|i| i.bug).collect();
    let expected: Vec<_> = (store::SeededBug::FAULT_HANDLING.into_iter())
        .filter(|bug| bug.faults_needed() == 1)
        .collect();
    assert_eq!(
        hunted, expected,
        "--faults hunts the fault-handling bugs that one fault per execution shows"
    );
    // verify-unmarks-object needs a verify of a rotten cached chunk between a GC's mark and
    // its sweep, with the fault on verify's marker write: the blind search needs a median
    // of 1,699 programs (BENCHMARKS.md, 9 trials of 10 within 3,000), and program 2,828 of
    // seed 0 since the sync job joined the generator (146 s), far beyond these 100. The
    // hunt must still run and report it honestly (caught with its property, or missed);
    // its catch is asserted by its fixed program in `harness/tests/suite/faults.rs` and
    // measured by `chunkcheck --faults` (CHECKING.md). Every other one is caught here.
    for item in &report.generated_seeded {
        match item.bug {
            store::SeededBug::VerifyUnmarksObject => assert!(
                matches!(item.verdict, Verdict::Caught(_) | Verdict::Missed),
                "{}: {}",
                item.bug,
                item.verdict
            ),
            _ => assert!(item.caught, "{} missed in 100 programs", item.bug),
        }
    }
    // A miss is reported as one (exit 3), nothing else fails.
    let missed = report.generated_seeded.iter().any(|i| !i.caught);
    let expected_exit = if missed { EXIT_MISSED } else { EXIT_OK };
    assert_eq!(exit, expected_exit, "{:?}", report.generated_seeded);
}

#[test]
fn list_names_every_seeded_bug_in_aligned_columns() {
    let out = chunkcheck(&["list"]);
    assert_eq!(code(&out), EXIT_OK);
    let listing = text(&out.stdout);
    let rows: Vec<&str> = listing.lines().collect();
    for bug in store::SeededBug::ALL {
        let row = rows
            .iter()
            .find(|line| line.trim_start().starts_with(&format!("{bug} ")))
            .unwrap_or_else(|| panic!("{bug} missing from the listing:\n{listing}"));
        assert!(row.contains(bug.summary()), "{row}");
    }
    // In each table of seeded bugs, the second column starts at one place in every row, the
    // longest names included.
    for table in listing
        .split("\n\n")
        .filter(|t| t.contains("  seeded bug  "))
    {
        let lines: Vec<&str> = table.lines().skip(1).collect();
        let second_column = |line: &str| {
            let first = line.trim_start();
            let name_end = line.len() - first.len() + first.find("  ").unwrap_or(first.len());
            name_end + line[name_end..].find(|c: char| c != ' ').unwrap_or(0)
        };
        let starts: BTreeSet<usize> = lines.iter().map(|l| second_column(l)).collect();
        assert!(starts.len() <= 1, "misaligned table:\n{table}");
    }
}

/// The guided search is deterministic: the same seed gives the same programs, corpus,
/// coverage and verdicts with one job and with two; its hunts start from the corpus the
/// clean programs built; and its report names the decision
/// outcomes and conflict pairs reached and never reached.
#[test]
fn guided_search_is_the_same_with_any_jobs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |jobs: &str| {
        let args = [
            "--phase",
            "generated",
            "--programs",
            "40",
            "--program-schedules",
            "20",
            "--detection-seeds",
            "1",
            "--scenarios",
            "fs-insert-vs-sweep",
            "--search",
            "guided",
            "--jobs",
            jobs,
        ];
        campaign(dir.path(), &format!("guided-{jobs}"), &args).1
    };
    let (one, two) = (run("1"), run("2"));
    let (g1, g2) = (one.generated.expect("ran"), two.generated.expect("ran"));
    assert_eq!(g1.programs, 40);
    assert!(g1.corpus > 0, "the corpus kept the first programs at least");
    assert_eq!((g1.corpus, g1.schedules), (g2.corpus, g2.schedules));
    assert_eq!(g1.coverage, g2.coverage, "same programs, same schedules");
    assert_eq!(
        one.generated_seeded[0].programs,
        two.generated_seeded[0].programs
    );
    // The hunts go on from the corpus the programs on the clean store built.
    assert!(one.generated_seeded.iter().all(|h| h.corpus == g1.corpus));
    let reach = &one.reach[0];
    assert_eq!(reach.phase, "generated");
    assert!(reach.decisions.reached().count() > 20 && !reach.conflicts.is_empty());
    assert_eq!(
        reach.unreached.len() + reach.decisions.reached().count(),
        store::Outcome::COUNT,
        "every outcome is reached or listed as never reached"
    );
    // The coverage curve: after 10 and 30 programs, and the last; it never shrinks.
    let at: Vec<u64> = g1.curve.iter().map(|p| p.programs).collect();
    assert_eq!(at, [10, 30, 40]);
    assert!(g1.curve.windows(2).all(|w| w[0].outcomes <= w[1].outcomes));
    assert_eq!(g1.curve, g2.curve);
    // `plot` draws it from the reports; a report without one is refused in one line.
    let reports = ["guided-1.json", "guided-2.json"].map(|f| dir.path().join(f));
    let paths = reports
        .each_ref()
        .map(|p| p.to_str().expect("utf-8 temp path"));
    let out_dir = dir.path().to_str().expect("utf-8 temp path");
    let out = chunkcheck(&["plot", paths[0], paths[1], "--out", out_dir]);
    assert_eq!(code(&out), EXIT_OK, "{}", text(&out.stderr));
    for file in ["coverage-outcomes.svg", "coverage-conflicts.svg"] {
        let svg = std::fs::read_to_string(dir.path().join(file)).expect("plot written");
        assert!(svg.starts_with("<svg") && svg.contains("guided (guided-2.json)"));
    }
    let out = chunkcheck(&["plot", "/nonexistent.json"]);
    assert_eq!(code(&out), EXIT_BAD_INPUT);
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}
