//! Generated actor programs: the space of actor mixes as the thing explored.
//!
//! A [`Program`] fixes a world (backend, cache capacity, delete batch, lock granularity,
//! grace and margin), a history written before threads start (snapshots over a small
//! chunk pool, garbage of several ages, S3 objects with or without local markers, bit rot)
//! and two to four threads of operations ([`ops`], one module each: backup sessions with
//! several indexes, GC, reload, restore reads, verify, prune, sync jobs, clock steps), each
//! in the current or the old process. [`generate`] draws one from a seed; a scenario is a
//! fixed one, whose history may also begin backup sessions its threads continue and hold a
//! reload. [`execute`] runs a program on any platform, so loom, shuttle and real threads
//! run the same program; the oracle judges every event, then a fixed program's
//! expectation clauses ([`Expect`]) and the [`end_check`] every program shares.

mod check;
mod end;
pub mod enumerate;
mod execute;
mod expect;
mod generate;
mod model;
mod mutate;
pub mod ops;
mod render;
pub mod scope;
mod shrink;
mod trace;

pub use check::{check_program, replay_program, ProgramReport};
pub use end::end_check;
pub use execute::{execute, execute_fixed, Run, NOW};
pub use generate::{generate, generate_with, Rng, Weights};
pub use model::{
    group_name, Age, BackendKind, Chunk, Expect, Granularity, Knobs, Past, PlannedFault, Proc,
    Program,
};
pub use mutate::mutate;
pub use ops::backup::Begun;
pub use ops::backup::Step;
pub use ops::clock::ClockStep;
pub use ops::{Draw, Op, OpKind, Operation, Space};
pub use scope::{Fate, ReloadAt, Scope};
pub use shrink::{minimize, smaller};
pub use trace::{Pair, Span, Trace};
