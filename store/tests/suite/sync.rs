//! The sync (pull) job over every case: a snapshot of a second store copied in, present
//! chunks touched and fetched ones inserted; refusals and source failures leave nothing
//! behind; with `pull-checks-without-touch` a present chunk keeps its old atime.

use crate::common::*;
use store::writer::sync::PullStats;
use store::{Bugs, SeededBug, StoreError};

/// A source store (the same case) holding `vm/100/1` with index [`INDEX`] over chunks 1
/// and 2.
fn source(case: Case) -> Env {
    let env = Env::new(case);
    backup(&env.process(), "vm/100", 1, &[chunk_data(1), chunk_data(2)]);
    env
}

/// Pulls the source's `vm/100/1` into a target where chunk 1 is old garbage: with the bug
/// off, chunk 1 is touched and re-used and chunk 2 fetched; with it on, chunk 1 keeps the
/// atime it had, older than the job's start.
fn pull_touches_what_it_finds(case: Case) {
    let src = source(case);
    for on in [false, true] {
        let config = match on {
            true => case
                .config()
                .with_bugs(Bugs::only(SeededBug::PullChecksWithoutTouch)),
            false => case.config(),
        };
        let env = Env::with_config(case, config);
        let p = env.process();
        let old = upload_unreferenced(&p, "vm/200", &[chunk_data(1)])[0];
        env.advance(50);
        let stats = p
            .pull_snapshot(&src.process(), &snap("vm/100", 1), 7)
            .expect("the pull succeeds");
        let expected = PullStats {
            present: 1,
            fetched: 1,
            indexes: 1,
        };
        assert_eq!(stats, expected, "{case}");
        let atime = if on { T0 } else { T0 + 50 };
        assert_eq!(env.atime(&old), atime, "{case}, bug on: {on}");
        let names = env
            .storage
            .indexes
            .indexes(&snap("vm/100", 7))
            .expect("list");
        assert_eq!(names, Some(vec![INDEX.to_string()]), "{case}");
    }
}
per_case!(pull_touches_what_it_finds);

/// A pull whose backup time is not newer than the group's last snapshot is refused as a
/// backup is, and leaves no snapshot; a source without the snapshot fails naming the sync
/// source, not with one of the target's refusals, and leaves nothing either.
fn refused_or_failed_pulls_leave_nothing(case: Case) {
    let src = source(case);
    let env = Env::new(case);
    let p = env.process();
    backup(&p, "vm/100", 5, &[chunk_data(3)]);
    let err = (p.pull_snapshot(&src.process(), &snap("vm/100", 1), 5))
        .expect_err("a time not newer is refused");
    assert!(
        matches!(kind(&err), StoreError::BackupTimeNotNewer { .. }),
        "{err:#}"
    );
    let err = (p.pull_snapshot(&src.process(), &snap("vm/100", 2), 6))
        .expect_err("no such source snapshot");
    assert!(StoreError::of(&err).is_none(), "{case}: {err:#}");
    assert!(format!("{err:#}").contains("sync source"), "{err:#}");
    let times = env.storage.indexes.snapshots("vm/100").expect("list");
    assert_eq!(times, vec![5], "{case}: nothing left by the refused pulls");
}
per_case!(refused_or_failed_pulls_leave_nothing);
