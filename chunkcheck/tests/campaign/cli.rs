//! The command line: exit codes, bad input and a malformed environment.

use super::*;

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
