//! `--faults`: the clean store passes and every fault-handling bug is caught.

use super::*;

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
