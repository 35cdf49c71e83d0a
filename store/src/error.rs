//! Typed errors for the cases callers branch on.
//!
//! Library functions return `anyhow::Result` with context; the root cause of a failure a
//! caller may want to handle is one of these, reachable with `err.downcast_ref::<StoreError>()`
//! (see [`StoreError::of`]).

use crate::digest::Digest;
use thiserror::Error;

/// A failure a caller can branch on.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A string is not 64 hex characters.
    #[error("not a chunk digest (64 hex characters): {0:?}")]
    BadDigest(String),
    /// Chunk bytes do not hash to the digest they were sent under.
    #[error("chunk data does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The digest the chunk was sent under.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// An index file is truncated or corrupt.
    #[error("corrupt index file {path}: {reason}")]
    CorruptIndex {
        /// The index's path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A writer appended a digest it neither uploaded nor registered as known.
    #[error("index references unknown chunk {0}: upload it or register it first")]
    UnknownChunk(Digest),
    /// A chunk that should exist is missing (locally and, for S3, in the bucket).
    #[error("chunk {0} is missing")]
    MissingChunk(Digest),
    /// A lock is held by someone else and the caller does not wait.
    #[error("{0} is locked")]
    Locked(String),
    /// The process is shutting down (after a reload) and refuses or aborts the work.
    #[error("process {0} is shutting down")]
    ShuttingDown(u32),
    /// A name (backup group, index) is not acceptable.
    #[error("invalid name {0:?}")]
    BadName(String),
    /// A backup's time is not newer than the last snapshot of its group.
    #[error("backup time {time} of {group} is not newer than its last snapshot {last}")]
    BackupTimeNotNewer {
        /// The group.
        group: String,
        /// The refused backup time.
        time: i64,
        /// The group's last snapshot.
        last: i64,
    },
    /// A backup was finished while one of its indexes was still open; it was aborted.
    #[error("index {index} of {snapshot} was not closed; backup aborted")]
    IndexStillOpen {
        /// The snapshot.
        snapshot: String,
        /// The open index.
        index: String,
    },
    /// A snapshot or index does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
}

impl StoreError {
    /// The `StoreError` at the root of an `anyhow` chain, if any.
    pub fn of(err: &anyhow::Error) -> Option<&StoreError> {
        err.chain()
            .find_map(|cause| cause.downcast_ref::<StoreError>())
    }
}
