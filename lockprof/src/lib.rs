//! Lock contention profiles of the chunk store on real threads.
//!
//! **Problem.** Throughput says that threads wait, not where. Before changing a lock,
//! a storage engineer wants to know which lock each kind of thread waits on in their
//! workload, how often and for how long, and how long each lock is held: `lockstat` for
//! the store.
//!
//! **Idea.** The store runs on the [`store::profile::Profiled`] platform, which times every
//! lock acquisition that blocks and every hold, per lock class and per role (writer, GC,
//! reader, verify, prune). A [`workload`] drives the store with real threads for a number
//! of operations or a time, once per lock granularity, so single and sharded are seen
//! side by side; [`report`] renders the profile as tables, Markdown and JSON, and [`plot`]
//! draws the wait distributions. `--overhead` alternates profiled and unprofiled runs
//! ([`store::Std`]) of the same workload and reports what profiling costs.
//!
//! **Usage.** `cargo run --release -p lockprof -- --workload s3-upload --storage /dev/shm
//! --plot waits.svg`; `--help` lists the workloads and options.

pub mod cli;
pub mod data;
pub mod plot;
pub mod report;
pub mod storage;
pub mod table;
pub mod workload;
