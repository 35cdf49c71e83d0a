//! A PBS-style content-addressed chunk store, built to be model checked.
//!
//! **Problem.** The datastore of Proxmox Backup Server keeps one file per chunk, lets backup
//! writers insert or re-use chunks while a garbage collector marks and sweeps them, and, with
//! the S3 backend, caches chunks locally in an LRU whose `unsafe fn remove` is only sound under
//! four preconditions (P1–P4, see the safety section of the crate-private
//! `LocalDatastoreLruCache::remove`). Races between these actors, and with a service reload,
//! have lost chunks upstream more than once.
//!
//! **Idea.** This crate implements the same protocol, small but complete, generic over a
//! [`Platform`] (locks, atomics, threads, clock) and over storage traits ([`storage`]), and
//! reports every ground-truth event to an [`Observer`]. The `harness` crate plugs in loom and
//! shuttle platforms and an oracle observer; the `scenarios` crate drives the actors.
//!
//! **Usage.** Build a [`Datastore`] over some storage, start a [`Process`], and run writers,
//! GC, prune and verify on it:
//!
//! ```
//! use store::{Datastore, StoreConfig, Backend, Std};
//! let ds = Datastore::<Std>::in_memory(StoreConfig::new(Backend::Filesystem));
//! let process = ds.start_process();
//! let mut writer = process.start_backup("vm/100", 1).unwrap();
//! let digest = writer.upload_chunk(b"some chunk").unwrap();
//! writer.create_index("disk.img").unwrap();
//! writer.append("disk.img", digest).unwrap();
//! writer.close_index("disk.img").unwrap();
//! writer.finish().unwrap();
//! let status = process.garbage_collect().unwrap();
//! assert_eq!(status.removed_chunks, 0);
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bugs;
pub mod clock;
pub mod decision;
pub mod digest;
pub mod error;
pub mod ids;
pub mod index;
pub mod lock_granularity;
mod named;
pub mod observer;
pub mod platform;
mod platform_std;
pub mod profile;
pub mod storage;

pub use bugs::{Bugs, SeededBug};
pub use clock::Clock;
pub use decision::Outcome;
pub use digest::Digest;
pub use error::StoreError;
pub use ids::{ProcessId, SnapshotId, WriterId};
pub use lock_granularity::LockGranularity;
pub use observer::{lru_fingerprint, ChunkUse, Event, Fact, LockKind, NoopObserver, Observer};
pub use platform::{Platform, Std};
#[doc(hidden)]
pub use serde as __serde;

pub mod cache;
pub mod chunk_store;
pub mod datastore;
pub mod gc;
pub mod locks;
pub mod process;
mod prune;
mod read;
pub mod verify;
pub mod writer;

pub use cache::LocalDatastoreLruCache;
pub use chunk_store::{ChunkStore, ChunkStoreGuard, InsertOutcome};
pub use datastore::{Backend, ChunkLockGuard, Datastore, Storage, StoreConfig};
pub use gc::GcStatus;
pub use process::Process;
pub use verify::VerifyOutcome;
pub use writer::BackupWriter;
