//! Events in plain words, for trails.

use store::{Event, LockKind};

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
