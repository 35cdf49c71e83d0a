//! Garbage collection: mark every chunk a visible index references, then sweep old ones.
//!
//! GC takes the exclusive process lock (refused while another process has a writer), fixes
//! its cutoff once, and runs:
//! - **phase 1 (mark)**: a live walk of all indexes, touching each referenced chunk under the
//!   chunk store mutex (of that chunk's shard, like every step below); a group is listed again when its newest snapshot vanished mid-walk;
//! - **phase 2 (sweep)**: filesystem: every chunk file is stat'ed and, if older than the
//!   cutoff, unlinked, under the mutex. S3: every listed object is try-locked (skipped when
//!   busy), its local marker stat'ed under the mutex, and if old removed from the cache and
//!   queued for deletion keeping its per-chunk lock; queued objects are deleted in batches;
//! - **phase 3 (S3)**: leftover local markers are swept the same way. A marked local file
//!   whose object the bucket listing lacked is checked against the bucket under its
//!   per-chunk lock: an object lost behind the store's back is put back from an intact
//!   cached copy, or else reported missing and its marker dropped, so that no local file
//!   claims an object that is gone (an upload checks a re-used file's object anyway).
//!
//! Between steps GC checks whether a reload told its process to shut down, and aborts.

use crate::bugs::SeededBug;
use crate::datastore::{Backend, Datastore};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::locks::Refused;
use crate::observer::Fact;
use crate::platform::{acting_as, Platform, Role};
use crate::process::Process;
use anyhow::{Context, Result};
use std::collections::BTreeSet;

mod mark;
mod markers;
mod seeded;
mod sweep;

/// What a garbage collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcStatus {
    /// Chunks with an atime below this were garbage.
    pub min_atime: i64,
    /// Index files read in phase 1.
    pub index_files: u64,
    /// Chunk references touched in phase 1.
    pub marked_chunks: u64,
    /// References to chunks found nowhere (locally, nor in the bucket on S3) in phase 1,
    /// plus, on S3, each chunk phase 3 found with a local marker that outlived its object.
    pub missing_chunks: u64,
    /// The chunks behind [`GcStatus::missing_chunks`], each once.
    pub missing: BTreeSet<Digest>,
    /// Lost bucket objects put back from an intact cached copy in phase 3 (S3).
    pub restored_objects: u64,
    /// Chunks removed (local files on the filesystem backend, bucket objects on S3).
    pub removed_chunks: u64,
    /// Bytes of removed local chunk files.
    pub removed_bytes: u64,
    /// Chunks older than the writers' start but within the grace period: kept.
    pub pending_chunks: u64,
    /// Bytes of pending chunks.
    pub pending_bytes: u64,
    /// Chunks in use: kept.
    pub in_use_chunks: u64,
    /// Bytes of chunks in use.
    pub in_use_bytes: u64,
    /// Leftover local markers removed in phase 3 (S3).
    pub removed_markers: u64,
    /// Chunks skipped because their per-chunk lock was busy (S3).
    pub skipped_busy: u64,
    /// Names in the chunk directory that are not chunks (left alone).
    pub junk_entries: u64,
}

/// The cutoff, fixed once at GC start.
#[derive(Clone, Copy, Debug)]
struct Cutoff {
    min_atime: i64,
    oldest_writer: i64,
}

/// What the sweep does with a chunk file.
enum Verdict {
    Remove,
    Pending,
    InUse,
}

impl Cutoff {
    fn judge(&self, atime: i64) -> Verdict {
        if atime < self.min_atime {
            Verdict::Remove
        } else if atime < self.oldest_writer {
            Verdict::Pending
        } else {
            Verdict::InUse
        }
    }
}

impl<P: Platform> Process<P> {
    /// Runs a garbage collection in this process.
    ///
    /// # Errors
    /// [`crate::StoreError::Locked`] when another GC runs or another process has an active
    /// writer; [`crate::StoreError::ShuttingDown`] when a reload stopped it; a corrupt
    /// index (GC stops before sweeping anything, so nothing an unreadable index references
    /// is lost); I/O errors.
    pub fn garbage_collect(&self) -> Result<GcStatus> {
        let _acting = acting_as::<P>(Role::Gc);
        let ds = self.datastore().clone();
        (self.check_shutdown()).inspect_err(|_| self.decide(Decision::GcShuttingDown))?;
        let taken = match ds.bug(SeededBug::LockForgetsOtherProcesses) {
            true => ds.locks.try_exclusive_forgetting_others(self.id()),
            false => ds.locks.try_exclusive(self.id()),
        };
        self.decide(match taken {
            Ok(()) => Decision::GcStarted,
            Err(Refused::OtherGc) => Decision::GcOtherGc,
            Err(Refused::OtherWriter) => Decision::GcOtherWriter,
        });
        taken.map_err(StoreError::from)?;
        let phase1_start = ds.clock.now();
        let oldest_writer = self.oldest_writer().unwrap_or(phase1_start);
        let mut min_atime = phase1_start - ds.config.grace_secs;
        if oldest_writer < min_atime && !ds.bug(SeededBug::CutoffIgnoresOldestWriter) {
            min_atime = oldest_writer - ds.config.writer_margin_secs;
            self.decide(Decision::CutoffOldestWriter);
        } else {
            self.decide(Decision::CutoffGrace);
        }
        ds.emit(Fact::GcStarted {
            process: self.id(),
            phase1_start,
            oldest_writer,
            min_atime,
            thread: P::thread_id(),
        });
        let cutoff = Cutoff {
            min_atime,
            oldest_writer,
        };
        let mut status = GcStatus {
            min_atime,
            ..GcStatus::default()
        };
        let result = self.run_phases(&ds, cutoff, &mut status);
        self.decide(match &result {
            Ok(()) => Decision::GcCompleted,
            Err(err) if matches!(StoreError::of(err), Some(StoreError::ShuttingDown(_))) => {
                Decision::GcAbortedByReload
            }
            Err(_) => Decision::GcFailed,
        });
        ds.emit(Fact::GcFinished {
            process: self.id(),
            completed: result.is_ok(),
        });
        ds.locks.release_exclusive(self.id());
        result.map(|()| status)
    }

    /// Reports a decision of this GC that is not about one chunk.
    fn decide(&self, decision: Decision) {
        self.datastore().decide(decision, self.id(), None);
    }

    fn run_phases(&self, ds: &Datastore<P>, cutoff: Cutoff, status: &mut GcStatus) -> Result<()> {
        self.mark(ds, status).context("GC phase 1 (mark)")?;
        match ds.config.backend {
            Backend::Filesystem => self.sweep_files(ds, cutoff, status),
            Backend::S3 => {
                let listed = self
                    .sweep_bucket(ds, cutoff, status)
                    .context("GC phase 2 (bucket sweep)")?;
                self.sweep_markers(ds, cutoff, &listed, status)
                    .context("GC phase 3 (marker sweep)")
            }
        }
    }

    /// The digests of the local chunk directory (`what` it is, for the error); counts the
    /// names that are not chunks.
    fn list_local(ds: &Datastore<P>, what: &str, status: &mut GcStatus) -> Result<Vec<Digest>> {
        let listing = (ds.storage.chunks.list()).with_context(|| format!("listing {what}"))?;
        status.junk_entries = listing.junk.len() as u64;
        Ok(listing.digests)
    }

    fn missing(status: &mut GcStatus, digest: &Digest) {
        status.missing_chunks += 1;
        status.missing.insert(*digest);
    }

    fn count(status: &mut GcStatus, verdict: &Verdict, size: u64) {
        let (chunks, bytes) = match verdict {
            Verdict::Remove => (&mut status.removed_chunks, &mut status.removed_bytes),
            Verdict::Pending => (&mut status.pending_chunks, &mut status.pending_bytes),
            Verdict::InUse => (&mut status.in_use_chunks, &mut status.in_use_bytes),
        };
        *chunks += 1;
        *bytes += size;
    }
}
