//! Model-checking harness for the chunk store.
//!
//! **Problem.** The store's `unsafe fn remove` is only sound under four preconditions, and
//! the races that break them need a particular interleaving of writers, GC, cache and reload.
//!
//! **Idea.** [`platform`] implements the store's `Platform` for loom and shuttle, so plain
//! `cargo test` runs every checker from one build; [`oracle`] is the store's observer and
//! checks P1–P4, harm, cache invariants, lock order, single GC and progress at every event
//! against ghost state; [`world`] holds a run's setup over model storage; [`program`]
//! defines actor programs (generated ones, and the scenarios as fixed ones) and runs them
//! on any platform; [`check`] runs one under a checker and turns panics into reports,
//! reading what failed from the [`execution`] log as data; [`schedule`] decodes recorded
//! shuttle schedules; [`catalogue`] describes scenarios and seeded races.
//!
//! **Usage.** The `scenarios` crate holds the scenarios; the `chunkcheck` crate runs them
//! and generated programs as a campaign (`cargo run --release -p chunkcheck`).

pub mod catalogue;
pub mod check;
pub mod execution;
pub mod faults;
pub mod oracle;
pub mod platform;
pub mod program;
pub mod schedule;
pub mod unreachable;
pub mod world;
