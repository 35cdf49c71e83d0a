//! Events in plain words, for trails.

use store::{Digest, Event, LockKind, ProcessId, SnapshotId, WriterId};

fn lock_name(lock: &LockKind) -> String {
    match lock {
        LockKind::Chunk(d) => format!("chunk lock {d:#}"),
        LockKind::ChunkStore(p, 0) => format!("chunk store mutex of process {}", p.0),
        LockKind::ChunkStore(p, s) => format!("chunk store shard {s} of process {}", p.0),
        LockKind::Lru(p) => format!("LRU mutex of process {}", p.0),
    }
}

/// One line describing `event`.
pub fn describe(event: &Event<'_>) -> String {
    match event {
        Event::ProcessStarted { process } => format!("{process} started"),
        Event::Reload { old, new } => format!("reload: {new} replaces {old}"),
        Event::WriterStarted {
            process,
            writer,
            start,
        } => format!("{writer} ({process}) started at t={start}"),
        Event::ChunkUsed {
            writer,
            digest,
            how,
            ..
        } => format!("{writer} uses {digest:#} ({how:?})"),
        Event::IndexPublished {
            writer,
            snapshot,
            name,
            digests,
            ..
        } => format!(
            "{writer} published {snapshot}/{name} [{}]",
            digests
                .iter()
                .map(|d| format!("{d:#}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Event::WriterFinished { writer, .. } => format!("{writer} finished"),
        Event::SnapshotPruned { snapshot } => format!("snapshot {snapshot} pruned"),
        Event::LockAcquired {
            lock,
            thread,
            blocking,
        } => format!(
            "thread {thread} {} {}",
            if *blocking { "locked" } else { "try-locked" },
            lock_name(lock)
        ),
        Event::LockReleased { lock, thread } => {
            format!("thread {thread} released {}", lock_name(lock))
        }
        Event::ChunkStamped { digest, atime } => format!("chunk {digest:#} atime := {atime}"),
        Event::LruInserted { process, digest } => format!("LRU of {process} += {digest:#}"),
        Event::LruRemoved { process, digest } => format!("LRU of {process} -= {digest:#}"),
        Event::RemoveCalled {
            process,
            digest,
            thread,
        } => format!("thread {thread} ({process}) calls remove({digest:#})"),
        Event::ObjectsDeleting { process, digests } => format!(
            "{process} deletes objects [{}]",
            digests
                .iter()
                .map(|d| format!("{d:#}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Event::ChunkQuarantined { digest } => format!("chunk {digest:#} renamed aside (bad)"),
        Event::GcStarted {
            process,
            phase1_start,
            oldest_writer,
            min_atime,
        } => format!(
            "GC of {process} started: phase1_start={phase1_start} oldest_writer={oldest_writer} min_atime={min_atime}"
        ),
        Event::GcSkippedBusy { digest } => format!("GC skipped busy chunk {digest:#}"),
        Event::GcFinished { process, completed } => format!(
            "GC of {process} {}",
            if *completed { "completed" } else { "aborted" }
        ),
    }
}

/// An event kept for the trail: its borrowed parts copied, described in words only when a
/// violation is reported (formatting every event would cost more than checking it).
#[derive(Clone, Debug)]
pub enum Recorded {
    /// An event without borrowed parts.
    Plain(Event<'static>),
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
    },
}

impl Recorded {
    /// Copies `event`.
    pub fn of(event: &Event<'_>) -> Self {
        use Event as E;
        Self::Plain(match *event {
            E::IndexPublished {
                process,
                writer,
                snapshot,
                name,
                digests,
            } => {
                return Self::Published {
                    process,
                    writer,
                    snapshot: snapshot.clone(),
                    name: name.to_string(),
                    digests: digests.to_vec(),
                }
            }
            E::SnapshotPruned { snapshot } => return Self::Pruned(snapshot.clone()),
            E::ObjectsDeleting { process, digests } => {
                return Self::Deleting {
                    process,
                    digests: digests.to_vec(),
                }
            }
            E::ProcessStarted { process } => E::ProcessStarted { process },
            E::Reload { old, new } => E::Reload { old, new },
            E::WriterStarted {
                process,
                writer,
                start,
            } => E::WriterStarted {
                process,
                writer,
                start,
            },
            E::ChunkUsed {
                process,
                writer,
                digest,
                how,
            } => E::ChunkUsed {
                process,
                writer,
                digest,
                how,
            },
            E::WriterFinished { process, writer } => E::WriterFinished { process, writer },
            E::LockAcquired {
                lock,
                thread,
                blocking,
            } => E::LockAcquired {
                lock,
                thread,
                blocking,
            },
            E::LockReleased { lock, thread } => E::LockReleased { lock, thread },
            E::ChunkStamped { digest, atime } => E::ChunkStamped { digest, atime },
            E::LruInserted { process, digest } => E::LruInserted { process, digest },
            E::LruRemoved { process, digest } => E::LruRemoved { process, digest },
            E::RemoveCalled {
                process,
                digest,
                thread,
            } => E::RemoveCalled {
                process,
                digest,
                thread,
            },
            E::ChunkQuarantined { digest } => E::ChunkQuarantined { digest },
            E::GcStarted {
                process,
                phase1_start,
                oldest_writer,
                min_atime,
            } => E::GcStarted {
                process,
                phase1_start,
                oldest_writer,
                min_atime,
            },
            E::GcSkippedBusy { digest } => E::GcSkippedBusy { digest },
            E::GcFinished { process, completed } => E::GcFinished { process, completed },
        })
    }

    /// The event in plain words.
    pub fn describe(&self) -> String {
        match self {
            Self::Plain(event) => describe(event),
            Self::Published {
                process,
                writer,
                snapshot,
                name,
                digests,
            } => describe(&Event::IndexPublished {
                process: *process,
                writer: *writer,
                snapshot,
                name,
                digests,
            }),
            Self::Pruned(snapshot) => describe(&Event::SnapshotPruned { snapshot }),
            Self::Deleting { process, digests } => describe(&Event::ObjectsDeleting {
                process: *process,
                digests,
            }),
        }
    }
}
