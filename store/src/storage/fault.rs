//! Faults the model storage injects when a [`FaultSource`] tells it to: I/O errors instead of
//! an operation, objects lost from the bucket behind the store's back, batched deletes that
//! stop part-way.
//!
//! The model asks its source once per operation, inside the operation's step (after its
//! scheduling point), so the checker that drives the source decides *where* in an
//! interleaving a fault lands. The source decides *whether*: a nondeterministic choice
//! under shuttle, an enumerated one under loom, a seeded one on real threads (the harness's
//! `faults` module). Without a source nothing ever fails.

use crate::digest::Digest;
use std::fmt;

/// A storage operation, where a fault can land (serializable: fault tallies travel from a
/// worker process to the campaign).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Site {
    /// `ChunkDir::stat`.
    ChunkStat,
    /// `ChunkDir::write`.
    ChunkWrite,
    /// `ChunkDir::touch`.
    ChunkTouch,
    /// `ChunkDir::read`.
    ChunkRead,
    /// `ChunkDir::truncate`.
    ChunkTruncate,
    /// `ChunkDir::remove`.
    ChunkRemove,
    /// `ChunkDir::quarantine`.
    ChunkQuarantine,
    /// `ChunkDir::list`.
    ChunkList,
    /// `IndexDir::create_snapshot`.
    IndexCreate,
    /// `IndexDir::write_tmp`.
    IndexWrite,
    /// `IndexDir::publish`.
    IndexPublish,
    /// `IndexDir::remove_tmp` and `IndexDir::remove_snapshot`.
    IndexRemove,
    /// `IndexDir::groups`, `snapshots` and `files` (and `indexes`, built on it).
    IndexList,
    /// `IndexDir::read_file` (and `read`, built on it).
    IndexRead,
    /// `Bucket::put_if_absent`.
    BucketPut,
    /// `Bucket::get`.
    BucketGet,
    /// `Bucket::contains`.
    BucketContains,
    /// `Bucket::list`.
    BucketList,
    /// `Bucket::delete_batch`.
    BucketDelete,
}

impl Site {
    /// Every site.
    pub const ALL: [Site; 19] = [
        Site::ChunkStat,
        Site::ChunkWrite,
        Site::ChunkTouch,
        Site::ChunkRead,
        Site::ChunkTruncate,
        Site::ChunkRemove,
        Site::ChunkQuarantine,
        Site::ChunkList,
        Site::IndexCreate,
        Site::IndexWrite,
        Site::IndexPublish,
        Site::IndexRemove,
        Site::IndexList,
        Site::IndexRead,
        Site::BucketPut,
        Site::BucketGet,
        Site::BucketContains,
        Site::BucketList,
        Site::BucketDelete,
    ];

    /// The faults that can land here: an I/O error anywhere (ENOSPC only where something is
    /// written), the named object lost just before a bucket operation on it, a batched
    /// delete that stops part-way, a bucket listing one change behind, and a crash of the
    /// calling process anywhere.
    pub fn faults(self) -> &'static [Fault] {
        use Errno::{Eacces, Eio, Enospc};
        use Fault::{Crash, Io, LostObject, PartialDelete, StaleListing};
        const READ: &[Fault] = &[Io(Eio), Crash, Io(Eacces)];
        const WRITE: &[Fault] = &[Io(Eio), Crash, Io(Enospc), Io(Eacces)];
        const BUCKET_READ: &[Fault] = &[Io(Eio), Crash, LostObject];
        const BUCKET_PUT: &[Fault] = &[Io(Eio), Crash, Io(Enospc), LostObject];
        const BUCKET_DELETE: &[Fault] = &[Io(Eio), Crash, PartialDelete];
        const BUCKET_LIST: &[Fault] = &[Io(Eio), Crash, StaleListing];
        match self {
            Site::ChunkStat
            | Site::ChunkRead
            | Site::ChunkList
            | Site::IndexList
            | Site::IndexRead => READ,
            Site::BucketList => BUCKET_LIST,
            Site::ChunkWrite
            | Site::ChunkTouch
            | Site::ChunkTruncate
            | Site::ChunkRemove
            | Site::ChunkQuarantine
            | Site::IndexCreate
            | Site::IndexWrite
            | Site::IndexPublish
            | Site::IndexRemove => WRITE,
            Site::BucketGet | Site::BucketContains => BUCKET_READ,
            Site::BucketPut => BUCKET_PUT,
            Site::BucketDelete => BUCKET_DELETE,
        }
    }

    /// A short name for reports: `chunk touch`, `bucket delete`.
    pub fn name(self) -> &'static str {
        match self {
            Site::ChunkStat => "chunk stat",
            Site::ChunkWrite => "chunk write",
            Site::ChunkTouch => "chunk touch",
            Site::ChunkRead => "chunk read",
            Site::ChunkTruncate => "chunk truncate",
            Site::ChunkRemove => "chunk remove",
            Site::ChunkQuarantine => "chunk quarantine",
            Site::ChunkList => "chunk list",
            Site::IndexCreate => "snapshot create",
            Site::IndexWrite => "index write",
            Site::IndexPublish => "index publish",
            Site::IndexRemove => "index remove",
            Site::IndexList => "index list",
            Site::IndexRead => "index read",
            Site::BucketPut => "bucket put",
            Site::BucketGet => "bucket get",
            Site::BucketContains => "bucket head",
            Site::BucketList => "bucket list",
            Site::BucketDelete => "bucket delete",
        }
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error numbers an injected I/O error carries.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Errno {
    /// Input/output error (a failing disk, a 5xx from the object store).
    Eio,
    /// No space left on device (a full disk, a quota).
    Enospc,
    /// Permission denied (an unwritable directory, a revoked credential).
    Eacces,
}

impl Errno {
    /// `EIO`, `ENOSPC` or `EACCES`.
    pub fn name(self) -> &'static str {
        match self {
            Errno::Eio => "EIO",
            Errno::Enospc => "ENOSPC",
            Errno::Eacces => "EACCES",
        }
    }
}

/// What goes wrong at a site (serializable: a generated program's fault plan names it).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Fault {
    /// The operation fails with this error and changes nothing.
    Io(Errno),
    /// The object the operation names vanishes from the bucket just before it (an external
    /// deletion, a lifecycle rule); the operation then runs as usual.
    LostObject,
    /// A batched delete deletes the first half of its batch (rounded down), then fails.
    PartialDelete,
    /// A bucket listing lags one change behind (an eventually consistent listing, or one
    /// that began before the change): it misses the object put last, or still lists the
    /// objects deleted (or lost) last. The fault names the object put last, if that was the
    /// last change.
    StaleListing,
    /// The calling thread's process crashes here: this operation and every later storage
    /// operation of that process fail with [`ProcessCrashed`] and change nothing, as if its
    /// threads had stopped; what it wrote stays (an unpublished `.tmp_didx` too).
    Crash,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 7] = [
        Fault::Io(Errno::Eio),
        Fault::Io(Errno::Enospc),
        Fault::Io(Errno::Eacces),
        Fault::Crash,
        Fault::LostObject,
        Fault::PartialDelete,
        Fault::StaleListing,
    ];

    /// A short name for reports: `EIO`, `lost object`, `partial delete`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Io(errno) => errno.name(),
            Fault::LostObject => "lost object",
            Fault::PartialDelete => "partial delete",
            Fault::StaleListing => "stale listing",
            Fault::Crash => "crash",
        }
    }

    /// The error an operation fails with at once under this fault (an I/O error, a crash);
    /// `None` for a fault the operation applies itself.
    pub fn failure(self, site: Site) -> Option<anyhow::Error> {
        match self {
            Fault::Io(errno) => Some(StorageFault { site, errno }.into()),
            Fault::Crash => Some(ProcessCrashed { site }.into()),
            Fault::LostObject | Fault::PartialDelete | Fault::StaleListing => None,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error every storage operation of a crashed process fails with (see [`Fault::Crash`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the process crashed (at {site}, injected)")]
pub struct ProcessCrashed {
    /// The operation that failed.
    pub site: Site,
}

/// Decides, at each storage operation, whether a fault lands there.
pub trait FaultSource: Send + Sync {
    /// Called once per operation at `site` (on `digest`, when it names one), inside the
    /// operation's step. Returns the fault to inject, one of `site.faults()`, or `None`.
    fn decide(&self, site: Site, digest: Option<&Digest>) -> Option<Fault>;
}

/// The error an injected I/O fault returns: typed, so a caller (or a test) can tell a storage
/// failure from a refusal of the store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} at {site} (injected)", errno.name())]
pub struct StorageFault {
    /// Where it happened.
    pub site: Site,
    /// What the storage reported.
    pub errno: Errno,
}
