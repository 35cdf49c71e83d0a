//! Fault landings: where each fault the checker chose landed, and the plan that lands it
//! there again (what the guided search keeps of a landing that reached something new).

use super::faults::{budget, busy_s3, run};
use harness::check::Checker;
use harness::world::Setup;
use std::collections::BTreeSet;

/// Every fault the checker chose is recorded with its context (the kind of operation that
/// failed, the site, the fault) and the planned fault that lands there again: planned, it
/// lands in the same context in the schedules where its thread runs the same storage
/// operations (what the guided search keeps of a landing that reached something new).
#[test]
fn a_landing_planned_lands_in_its_context_again() {
    let program = busy_s3();
    let setup = Setup::clean().with_faults(1);
    let report = run(&program, setup, Checker::Loom, &budget(1, 0));
    assert!(report.landings.len() > 20, "{:?}", report.landings.keys());
    let kinds: BTreeSet<_> = report.landings.keys().map(|c| c.kind).collect();
    assert_eq!(
        kinds.len(),
        3,
        "gc, backup and read fail somewhere: {kinds:?}"
    );
    for (context, plan) in &report.landings {
        let mut planned = program.clone();
        planned.faults = vec![*plan];
        let again = run(&planned, setup, Checker::Random, &budget(20, 0));
        assert!(again.failure.is_none(), "{:?}", again.failure);
        assert!(
            again.landings.contains_key(context),
            "{plan} lands in {context:?} again: {:?}",
            again.landings.keys()
        );
    }
}
