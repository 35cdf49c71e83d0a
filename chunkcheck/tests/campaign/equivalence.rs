//! One run and its parts agree: shards, worker processes and any `--jobs` give the same
//! results.

use super::*;

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
