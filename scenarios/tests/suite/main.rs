//! The scenarios crate's tests, in one binary (one link, one process; `cargo test -p
//! scenarios clean::` or `seeded::` selects a part).
//!
//! - [`clean`]: the clean store passes every scenario under every checker, both lock
//!   granularities, on real threads, and within loom's thread limit;
//! - [`determinism`]: every scenario is deterministic for a given shuttle schedule;
//! - [`faults`]: every scenario survives storage faults in its actors;
//! - [`seeded`]: every checker catches every seeded race;
//! - [`replay`]: failing schedules round-trip through their files;
//! - [`state_machine`]: model-based test of the store with `proptest-state-machine`.

mod clean;
mod determinism;
mod faults;
mod replay;
mod seeded;
mod state_machine;
