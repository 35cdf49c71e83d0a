//! The oracle, driven by hand-written events: every check can fail, legitimate sequences pass.
//!
//! Each test builds an [`Oracle`](harness::oracle::Oracle) over typed model storage, puts
//! chunk files and bucket objects in place directly, feeds events and asserts on the
//! violation it reports (or not), both through `Oracle::violation` and through the panic
//! message. `fixture` holds that machinery; the other modules test one property, or a
//! group of related ones, each:
//!
//! - `removal`: P1–P4, the preconditions of `remove`;
//! - `atime`: a chunk's mark never moves back;
//! - `harm`: no referenced chunk is gone (index publication, object deletion);
//! - `cache`: LRU content and cache/bucket (S3);
//! - `lock_order`: lock order and mutual exclusion;
//! - `gc`: single GC and progress;
//! - `gc_start`: what must hold when a GC starts (no other process's writer, the cutoff);
//! - `guards`: P1 across the decision, the per-chunk lock around bucket puts and deletes;
//! - `recovery`: dropping a lost chunk's marker (the end check's recovery judgements are
//!   unit-tested with the check);
//! - `reports`: the store's reports against the disk and against what the oracle saw;
//! - `reporting`: first violation, event trail, coverage.

mod fixture;

mod atime;
mod cache;
mod gc;
mod gc_start;
mod guards;
mod harm;
mod lock_order;
mod recovery;
mod removal;
mod reporting;
mod reports;
