//! Failures come back: a printed replay command or a loom checkpoint reproduces them, and
//! `--minimize` finds smaller failing settings.

use super::*;

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
