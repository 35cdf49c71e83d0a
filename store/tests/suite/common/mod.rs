//! Shared helpers of the store's integration tests, one file per concern:
//!
//! - [`case`]: the (backend, storage) cases and the `per_case!` test generator;
//! - [`env`]: one datastore per case over a manual clock, on any platform;
//! - [`inspect`]: reading the storage back (model or real files) and asserting on it;
//! - [`tamper`]: changing the storage behind the store's back (bit rot, junk, failing writes);
//! - [`shortcuts`]: chunk data, complete and aborted backups, error and thread ids;
//! - [`events`]: the recording observer and the locks a thread held in its trace;
//! - [`spies`]: storage wrappers that record calls and run hooks;
//! - [`model_check`]: deciding a concurrency test under a model checker.

#[macro_use]
mod case;
mod env;
mod events;
mod inspect;
mod model_check;
mod shortcuts;
mod spies;
mod tamper;

pub use case::*;
pub use env::*;
pub use events::*;
pub use model_check::*;
pub use shortcuts::*;
