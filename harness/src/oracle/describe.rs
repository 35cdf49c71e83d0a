//! Events in plain words, for trails, and events kept for a trail.

use store::{Digest, Event, Fact, LockKind, ProcessId, SnapshotId, WriterId};

fn lock_name(lock: &LockKind) -> String {
    match lock {
        LockKind::Chunk(d) => format!("chunk lock {d:#}"),
        LockKind::ChunkStore(p, 0) => format!("chunk store mutex of process {}", p.0),
        LockKind::ChunkStore(p, s) => format!("chunk store shard {s} of process {}", p.0),
        LockKind::Lru(p) => format!("LRU mutex of process {}", p.0),
    }
}

fn digest_list(digests: &[Digest]) -> String {
    let short: Vec<_> = digests.iter().map(|d| format!("{d:#}")).collect();
    short.join(" ")
}

/// One line describing `event`: the one place events are put in words.
pub fn describe(event: &Event<'_>) -> String {
    match event {
        Event::Fact(fact) => describe_fact(fact),
        Event::IndexPublished {
            writer,
            snapshot,
            name,
            digests,
            ..
        } => format!(
            "{writer} published {snapshot}/{name} [{}]",
            digest_list(digests)
        ),
        Event::SnapshotPruned { snapshot } => format!("snapshot {snapshot} pruned"),
        Event::ObjectsDeleting {
            process,
            digests,
            thread,
        } => format!(
            "thread {thread} ({process}) deletes objects [{}]",
            digest_list(digests)
        ),
    }
}

fn describe_fact(fact: &Fact) -> String {
    match fact {
        Fact::ProcessStarted { process } => format!("{process} started"),
        Fact::Reload { old, new } => format!("reload: {new} replaces {old}"),
        Fact::WriterStarted {
            process,
            writer,
            start,
        } => format!("{writer} ({process}) started at t={start}"),
        Fact::ChunkUsed {
            writer,
            digest,
            how,
            ..
        } => format!("{writer} uses {digest:#} ({how:?})"),
        Fact::WriterFinished { writer, .. } => format!("{writer} finished"),
        Fact::LockAcquired {
            lock,
            thread,
            blocking,
        } => format!(
            "thread {thread} {} {}",
            if *blocking { "locked" } else { "try-locked" },
            lock_name(lock)
        ),
        Fact::LockReleased { lock, thread } => {
            format!("thread {thread} released {}", lock_name(lock))
        }
        Fact::ChunkStamped {
            digest,
            atime,
            thread,
            ..
        } => format!("thread {thread} set chunk {digest:#} atime := {atime}"),
        Fact::ChunkStatted { digest, thread, .. } => {
            format!("thread {thread} statted chunk {digest:#}")
        }
        Fact::ObjectPutting { digest, thread, .. } => {
            format!("thread {thread} puts object {digest:#}")
        }
        Fact::ChunkRead { digest, thread, .. } => {
            format!("thread {thread} read chunk {digest:#}")
        }
        Fact::ObjectRead { digest, thread, .. } => {
            format!("thread {thread} reads object {digest:#}")
        }
        Fact::Decided {
            outcome,
            digest,
            thread,
            ..
        } => match digest {
            Some(digest) => format!("thread {thread} decided {outcome} on {digest:#}"),
            None => format!("thread {thread} decided {outcome}"),
        },
        Fact::ProcessCrashed { process } => format!("CRASH of {process}"),
        Fact::GcListingBucket { process } => format!("GC of {process} lists the bucket"),
        Fact::ChunkUploadFailed { writer, digest, .. } => {
            format!("{writer}'s upload of {digest:#} failed")
        }
        Fact::RemoveCalled {
            process,
            digest,
            thread,
        } => format!("thread {thread} ({process}) calls remove({digest:#})"),
        Fact::LostChunkForgotten { digest, thread, .. } => {
            format!("thread {thread} drops the local file of lost chunk {digest:#}")
        }
        Fact::ChunkQuarantined { digest, thread, .. } => {
            format!("thread {thread} renames chunk {digest:#} aside (bad)")
        }
        Fact::FaultInjected { .. }
        | Fact::CacheHitServed { .. }
        | Fact::LruInserted { .. }
        | Fact::LruRemoved { .. }
        | Fact::LruReleased { .. }
        | Fact::GcStarted { .. }
        | Fact::GcSkippedBusy { .. }
        | Fact::GcFinished { .. } => describe_cache_or_gc(fact),
    }
}

/// [`describe_fact`] for a fault, a cache or LRU fact, or a GC's start and end.
fn describe_cache_or_gc(fact: &Fact) -> String {
    match fact {
        Fact::FaultInjected {
            site,
            fault,
            digest,
            thread,
        } => match digest {
            Some(digest) => format!("FAULT {fault} at {site} of {digest:#} (thread {thread})"),
            None => format!("FAULT {fault} at {site} (thread {thread})"),
        },
        Fact::CacheHitServed {
            process,
            digest,
            intact,
        } => {
            let copy = if *intact { "its" } else { "a rotten" };
            format!("{process} served {copy} local copy of {digest:#} on a cache hit")
        }
        Fact::LruInserted {
            process, digest, ..
        } => format!("LRU of {process} += {digest:#}"),
        Fact::LruRemoved {
            process, digest, ..
        } => format!("LRU of {process} -= {digest:#}"),
        Fact::LruReleased {
            process,
            thread,
            entries,
            ..
        } => format!("thread {thread} released LRU mutex of process {} ({entries} chunks)", process.0),
        Fact::GcStarted {
            process,
            phase1_start,
            oldest_writer,
            min_atime,
            thread,
        } => format!(
            "GC of {process} started on thread {thread}: phase1_start={phase1_start} oldest_writer={oldest_writer} min_atime={min_atime}"
        ),
        Fact::GcSkippedBusy { digest } => format!("GC skipped busy chunk {digest:#}"),
        Fact::GcFinished { process, completed } => format!(
            "GC of {process} {}",
            if *completed { "completed" } else { "aborted" }
        ),
        _ => unreachable!("not a fault, cache or GC fact: {fact:?}"),
    }
}

/// An event kept for the trail: a [`Fact`] as it is, the borrowed parts of the other events
/// copied. It is described in words only when a violation is reported (formatting every
/// event would cost more than checking it).
#[derive(Clone, Debug)]
pub enum Recorded {
    /// A fact.
    Fact(Fact),
    /// [`Event::IndexPublished`], owned.
    Published {
        /// The writer's process.
        process: ProcessId,
        /// The writer.
        writer: WriterId,
        /// The snapshot.
        snapshot: SnapshotId,
        /// The index name.
        name: String,
        /// Its digests.
        digests: Vec<Digest>,
    },
    /// [`Event::SnapshotPruned`], owned.
    Pruned(SnapshotId),
    /// [`Event::ObjectsDeleting`], owned.
    Deleting {
        /// The process deleting.
        process: ProcessId,
        /// The objects.
        digests: Vec<Digest>,
        /// The deleting thread.
        thread: u64,
    },
}

impl Recorded {
    /// Keeps `event`.
    #[inline]
    pub fn of(event: &Event<'_>) -> Self {
        match *event {
            Event::Fact(fact) => Self::Fact(fact),
            Event::IndexPublished {
                process,
                writer,
                snapshot,
                name,
                digests,
            } => Self::Published {
                process,
                writer,
                snapshot: snapshot.clone(),
                name: name.to_string(),
                digests: digests.to_vec(),
            },
            Event::SnapshotPruned { snapshot } => Self::Pruned(snapshot.clone()),
            Event::ObjectsDeleting {
                process,
                digests,
                thread,
            } => Self::Deleting {
                process,
                digests: digests.to_vec(),
                thread,
            },
        }
    }

    /// The event again, borrowing from this record.
    pub fn event(&self) -> Event<'_> {
        match self {
            Self::Fact(fact) => Event::Fact(*fact),
            Self::Published {
                process,
                writer,
                snapshot,
                name,
                digests,
            } => Event::IndexPublished {
                process: *process,
                writer: *writer,
                snapshot,
                name,
                digests,
            },
            Self::Pruned(snapshot) => Event::SnapshotPruned { snapshot },
            Self::Deleting {
                process,
                digests,
                thread,
            } => Event::ObjectsDeleting {
                process: *process,
                digests,
                thread: *thread,
            },
        }
    }

    /// The event in plain words.
    pub fn describe(&self) -> String {
        describe(&self.event())
    }
}
