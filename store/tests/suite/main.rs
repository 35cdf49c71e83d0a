//! The store's integration tests, linked as one binary: each module covers one part of the
//! store over every (backend, storage) case, sharing the helpers of [`common`]. Concurrency
//! tests are decided by a model checker through the harness crate, never by a clock.

#[macro_use]
mod common;

mod bad_input;
mod cache;
mod crash;
mod gc;
mod locks;
mod prune_verify;
mod reload;
mod seeded_bugs;
mod sharded;
mod sync;
mod writer;
