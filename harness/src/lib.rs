//! Model-checking harness for the chunk store.
//!
//! Plugs loom and shuttle into the store's [`store::Platform`] so plain `cargo test` can run
//! every checker from one build, and provides the oracle that checks P1–P4 at every remove.

pub mod campaign;
pub mod catalogue;
pub mod check;
pub mod oracle;
pub mod platform;
pub mod schedule;
pub mod world;
