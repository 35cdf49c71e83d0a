//! What must hold the moment a GC starts: no other process has an active writer (else P4 is
//! already broken, whatever the GC removes later), and the cutoff is no later than the GC's
//! clock and the active writers allow.

use super::fixture::*;
use harness::oracle::{CutoffRule, OracleOptions, Property};
use store::Backend;

const RULE: CutoffRule = CutoffRule {
    grace: 100,
    margin: 10,
};

fn checking_cutoff() -> Fixture {
    Fixture::with_options(OracleOptions::new(Backend::Filesystem).cutoff(RULE))
}

#[test]
fn gc_start_while_another_process_writes_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    f.writer(PA, 1, &[digest(1)]);
    let message = expect(
        Property::P4,
        f.violation_of(|| f.gc_start(PB, 100)),
        "GC of the new process while the old one's writer runs",
    );
    assert!(
        message.contains("GC of process 2 started while writer-1 of process 1 is active"),
        "{message}"
    );
}

#[test]
fn gc_start_with_own_writers_or_finished_others_passes() {
    let f = Fixture::new(Backend::Filesystem);
    expect_none(
        f.violation_of(|| {
            let old = f.writer(PA, 1, &[digest(1)]);
            f.finish(old);
            f.writer(PB, 2, &[digest(2)]);
            f.gc_start(PB, 100);
        }),
        "the other process's writer finished, the GC's own process writes",
    );
}

#[test]
fn cutoff_later_than_the_grace_period_is_caught() {
    let f = checking_cutoff();
    let message = expect(
        Property::Cutoff,
        f.violation_of(|| f.gc_start_at(PA, 1_000, 901)),
        "no writer: the cutoff may be at most 1000 - 100",
    );
    assert!(
        message.contains("cut off at 901, later than 900"),
        "{message}"
    );
}

#[test]
fn cutoff_ignoring_an_old_writer_is_caught() {
    let f = checking_cutoff();
    f.writer_at(PA, 1, 500, &[digest(1)]);
    expect(
        Property::Cutoff,
        f.violation_of(|| f.gc_start_at(PA, 1_000, 900)),
        "a writer older than the grace period: the cutoff must precede its start by the margin",
    );
}

#[test]
fn cutoffs_the_rule_allows_pass() {
    let f = checking_cutoff();
    expect_none(
        f.violation_of(|| {
            f.gc_start_at(PA, 1_000, 900);
            f.gc_finish(PA, false);
            let young = f.writer_at(PA, 1, 950, &[digest(1)]);
            f.gc_start_at(PA, 1_000, 900);
            f.gc_finish(PA, false);
            f.finish(young);
            f.writer_at(PA, 2, 500, &[digest(2)]);
            f.gc_start_at(PA, 1_000, 490);
            f.gc_finish(PA, false);
            f.gc_start_at(PA, 1_000, 100);
        }),
        "at or before the latest safe cutoff, with no, a young and an old writer",
    );
}

#[test]
fn cutoff_unchecked_without_a_rule() {
    let f = Fixture::new(Backend::Filesystem);
    expect_none(
        f.violation_of(|| f.gc_start_at(PA, 1_000, 1_000)),
        "the fixture's default options know no cutoff rule",
    );
}
