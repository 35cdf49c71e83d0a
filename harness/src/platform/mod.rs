//! [`store::Platform`] implementations for the two model checkers.
//!
//! * [`Loom`] runs the store under [loom](https://docs.rs/loom/0.7.3): exhaustive (bounded by
//!   `preemption_bound`) exploration of interleavings. Every atomic of the store is `SeqCst`,
//!   so loom's weak-memory exploration has nothing to reorder. Use it for small scenarios
//!   with at most four spawned threads.
//! * [`Shuttle`] runs the store under [shuttle](https://docs.rs/shuttle/0.9.10): randomised
//!   (`check_random`) or probabilistic-coverage (`check_pct`) schedule exploration that scales
//!   to bigger scenarios but gives no exhaustiveness guarantee.
//!
//! Both only work inside their checker's model (`loom::model::Builder::check`,
//! `shuttle::check_random`, ...): calling any primitive outside a model panics.
//!
//! Neither checker models time: scenarios use the store's logical clock, which advances
//! through an atomic and therefore through scheduling points.
//!
//! Both count live and blocked modelled threads in the driver's
//! [`ExecutionLog`](crate::execution::ExecutionLog), so a deadlock is known as data.
//!
//! Thread ids ([`store::Platform::thread_id`]) are small, deterministic numbers: the
//! checker's own index of the thread within the current execution (the model's main thread
//! is `0`). They are unique among the threads of one execution, and the same schedule gives
//! the same ids, which keeps replays deterministic.

mod loom;
mod shuttle;

pub use self::loom::Loom;
pub use self::shuttle::Shuttle;
