//! Verify: renaming a corrupt chunk aside while a writer uploads a good copy.

use crate::build::{backup, rotted_snapshot, upload_and_publish, world};
use crate::{Scenario, SeededRace};
use harness::program::ops::Verify;
use harness::program::{BackendKind, Chunk, Expect, Proc, Program};

/// The scenarios of this module, in report order.
pub const SCENARIOS: &[Scenario] = &[scenario!(
    verify_vs_upload,
    "verify-vs-upload",
    4,
    "verify renaming a corrupt chunk vs upload of a good copy"
)];

/// The seeded bugs these scenarios expose (none of their own).
pub const SEEDED: &[SeededRace] = &[];

/// Verify renaming a corrupt chunk vs upload of a good copy.
///
/// History: snapshot vm/100/1 references C; C's file has since been truncated (bit rot of
/// a different size, so an insert rewrites it).
/// Threads: t1 backs up vm/100 at time 2, uploads a good copy of C, publishes `[C]`; t2
/// verifies C and renames it to `C.0.bad` if it is corrupt when read.
/// Race: verify reads the corrupt copy, the writer writes the good one, verify renames the
/// good one aside; the writer's index then references a missing chunk (harm). The per-chunk
/// lock and the chunk store mutex around verify's read-check-rename prevent it. After the
/// threads, the good copy must be there (the end check forgives the history's bit rot).
pub fn verify_vs_upload() -> Program {
    let chunk = Chunk::C;
    Program {
        knobs: world(BackendKind::Filesystem, 1),
        history: rotted_snapshot(chunk, false),
        threads: vec![
            vec![backup(0, 2, upload_and_publish(&[chunk])).into()],
            vec![Verify {
                proc: Proc::Current,
                chunk,
            }
            .into()],
        ],
        expect: vec![Expect::Intact(chunk)],
        faults: Vec::new(),
    }
}
