//! `lockprof` as a user runs it: bad input exits 2 with one line before anything runs; a
//! short run of each workload exits 0 and reports what the store's threads did.
//!
//! Whether a lock was contended on real threads depends on timing, so these tests assert
//! only what every run must show: acquisitions and holds of the locks each workload takes,
//! the roles that took them, and the files the options ask for.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn lockprof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockprof"))
        .args(args)
        .output()
        .expect("running lockprof")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "{ not json").expect("write");
    let not_program = dir.path().join("other.json");
    std::fs::write(&not_program, r#"{"threads": 3}"#).expect("write");
    let scenario_failure = dir.path().join("scenario.json");
    std::fs::write(&scenario_failure, r#"{"target": {"scenario": "x"}}"#).expect("write");
    let example = example_program();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--threads", "0"], "--threads"),
        (vec!["--threads", "many"], "--threads"),
        (vec!["--workload", "nap"], "nap"),
        (vec!["--lock", "coarse"], "coarse"),
        (vec!["--backend", "nfs"], "nfs"),
        (vec!["--storage", "/no/such/dir"], "/no/such/dir"),
        (vec!["--chunk-size", "0"], "--chunk-size"),
        (vec!["--chunk-size", "1GiB"], "1GiB"),
        (vec!["--duration", "-1"], "-1"),
        (vec!["--iterations", "0"], "--iterations"),
        (
            vec!["--workload", "s3-upload", "--backend", "fs"],
            "S3 backend only",
        ),
        (vec!["--workload", "program"], "--program FILE"),
        (
            vec!["--program", "/no/such/file.json"],
            "/no/such/file.json",
        ),
        (
            vec!["--program", not_json.to_str().expect("utf-8")],
            "not JSON",
        ),
        (
            vec!["--program", not_program.to_str().expect("utf-8")],
            "does not hold a program",
        ),
        (
            vec!["--program", scenario_failure.to_str().expect("utf-8")],
            "of a scenario",
        ),
        (
            vec!["--iterations", "100000", "--chunk-size", "4MiB"],
            "lower --iterations",
        ),
        (
            vec!["--iterations", "9223372036854775808", "--chunk-size", "1"],
            "lower --iterations",
        ),
        (
            vec![
                "--workload",
                "restore",
                "--chunks",
                "100000",
                "--chunk-size",
                "4MiB",
            ],
            "stored",
        ),
        (vec!["--json", "/no/such/dir/report.json"], "/no/such/dir"),
        (
            vec!["--program", example.as_str(), "--lock", "sharded:4"],
            "16 shards",
        ),
    ];
    for (args, needle) in cases {
        let out = lockprof(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {err}"
        );
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} does not name {needle:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing ran");
    }
}

/// The example program shipped with the crate.
fn example_program() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/backup-gc-read-s3.json");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn help_lists_the_workloads() {
    let out = lockprof(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for workload in ["backup-vs-gc", "s3-upload", "restore", "mixed", "program"] {
        assert!(help.contains(workload), "--help lacks {workload}");
    }
}

/// Runs a short profile with `args` (split at spaces) writing every report; returns the
/// JSON report.
fn profile(dir: &Path, args: &str) -> Value {
    profile_with(dir, args, &[])
}

/// [`profile`] with `extra` arguments that may hold spaces (paths).
fn profile_with(dir: &Path, args: &str, extra: &[&str]) -> Value {
    let (json, md, svg) = (dir.join("p.json"), dir.join("p.md"), dir.join("p.svg"));
    let mut args: Vec<&str> = args.split_whitespace().collect();
    args.extend(extra);
    let mut all = args.clone();
    let paths = [json.to_str(), md.to_str(), svg.to_str()].map(|p| p.expect("utf-8"));
    all.extend([
        "--quiet",
        "--json",
        paths[0],
        "--markdown",
        paths[1],
        "--plot",
        paths[2],
    ]);
    let out = lockprof(&all);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("by lock class and role"), "{text}");
    let markdown = std::fs::read_to_string(&md).expect("markdown report");
    assert!(markdown.contains("| lock class |"), "{markdown}");
    let svg = std::fs::read_to_string(&svg).expect("plot");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid json")
}

/// The run of `lock` in `report`.
fn run<'r>(report: &'r Value, lock: &str) -> &'r Value {
    (report["runs"].as_array().expect("runs").iter())
        .find(|r| r["lock"] == lock)
        .unwrap_or_else(|| panic!("no run of {lock}: {report}"))
}

/// `class`'s row (all roles) in `run`, or `None` if it never took that class.
fn class<'r>(run: &'r Value, class: &str) -> Option<&'r Value> {
    (run["classes"].as_array().expect("classes").iter()).find(|r| r["class"] == class)
}

/// The roles that took `class` in `run`.
fn roles(run: &Value, class: &str) -> Vec<String> {
    (run["rows"].as_array().expect("rows").iter())
        .filter(|r| r["class"] == class)
        .map(|r| r["role"].as_str().expect("role").to_string())
        .collect()
}

#[test]
fn s3_uploads_show_both_granularities_side_by_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = profile(
        dir.path(),
        "--workload s3-upload --iterations 200 --cache 8",
    );
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(2));
    assert!(report["ratio"].as_f64().is_some_and(|r| r > 0.0));
    for lock in ["single", "sharded:16"] {
        let r = run(&report, lock);
        assert_eq!(r["ops"], 400, "2 writers x 200 uploads");
        // Every new chunk: a touch attempt and a cache insert under the chunk store
        // mutex, an LRU update, the per-chunk lock taken and released in the table.
        let store = class(r, "chunk-store").expect("chunk store mutex taken");
        assert!(store["acquisitions"].as_u64() >= Some(800), "{store}");
        assert!(
            store["hold"]["count"] == store["acquisitions"],
            "every hold timed"
        );
        let lru = class(r, "lru").expect("LRU taken");
        assert!(lru["acquisitions"].as_u64() >= Some(400), "{lru}");
        let table = class(r, "chunk-lock-table").expect("per-chunk lock table taken");
        assert!(table["acquisitions"].as_u64() >= Some(800), "{table}");
        assert!(
            class(r, "model-step").is_some(),
            "the model storage's steps"
        );
        assert_eq!(roles(r, "chunk-store"), ["writer"]);
    }
}

#[test]
fn backups_against_a_sweep_split_writers_from_gc() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = profile(
        dir.path(),
        "--workload backup-vs-gc --lock single --iterations 300 --sweep-chunks 200 --storage disk --chunk-size 4KiB",
    );
    let r = run(&report, "single");
    let roles = roles(r, "chunk-store");
    assert!(roles.contains(&"writer".to_string()), "{roles:?}");
    assert!(roles.contains(&"gc".to_string()), "{roles:?}");
    assert!(
        class(r, "model-step").is_none(),
        "disk storage has no model steps"
    );
    assert!(
        class(r, "process-lock").is_some(),
        "sessions and GC take the process lock"
    );
}

#[test]
fn restore_mixed_and_programs_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let restore = profile(
        dir.path(),
        "--workload restore --iterations 200 --chunks 32 --cache 8 --lock sharded",
    );
    let r = run(&restore, "sharded:16");
    assert_eq!(roles(r, "lru"), ["reader"]);
    let mixed = profile(
        dir.path(),
        "--workload mixed --backend s3 --iterations 200 --chunks 32 --lock single",
    );
    let roles_seen = roles(run(&mixed, "single"), "chunk-store");
    for role in ["writer", "gc", "reader", "verify"] {
        assert!(
            roles_seen.contains(&role.to_string()),
            "{role} missing: {roles_seen:?}"
        );
    }
    let program = example_program();
    let program = program.as_str();
    let report = profile_with(
        dir.path(),
        "--iterations 20 --lock single",
        &["--program", program],
    );
    let r = run(&report, "single");
    assert_eq!(r["ops"], 20, "20 runs of the program");
    let roles_seen = roles(r, "chunk-store");
    for role in ["writer", "gc", "reader"] {
        assert!(
            roles_seen.contains(&role.to_string()),
            "{role} missing: {roles_seen:?}"
        );
    }
}

#[test]
fn overhead_pairs_profiled_with_unprofiled_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = profile(
        dir.path(),
        "--workload s3-upload --iterations 50 --lock single --overhead --repeat 2 --warmup 0",
    );
    let o = &report["overhead"][0];
    assert_eq!(o["unprofiled"].as_array().map(Vec::len), Some(2));
    assert_eq!(o["profiled"].as_array().map(Vec::len), Some(2));
    assert!(o["median_ratio"].as_f64().is_some_and(|r| r > 0.0));
    assert_eq!(
        run(&report, "single")["rates"].as_array().map(Vec::len),
        Some(2)
    );
}
