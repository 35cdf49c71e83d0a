//! The oracle, driven by hand-written events: every check can fail, legitimate sequences pass.
//!
//! Each test builds an [`Oracle`] over typed model storage, puts chunk files and bucket objects
//! in place directly, feeds events and asserts on the violation it reports (or not), both
//! through [`Oracle::violation`] and through the panic message.

use harness::execution::ExecutionLog;
use harness::oracle::{Coverage, Oracle, OracleOptions, Property};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use store::platform::panic_message;
use store::storage::{Bucket, ChunkDir, ModelBucket, ModelChunkDir, ModelIndexDir};
use store::{
    Backend, ChunkUse, Digest, Event, Fact, LockKind, Observer, ProcessId, SnapshotId, Std,
    Storage, WriterId,
};

const PA: ProcessId = ProcessId(1);
const PB: ProcessId = ProcessId(2);
const T1: u64 = 1;
const T2: u64 = 2;
const BACKENDS: [Backend; 2] = [Backend::Filesystem, Backend::S3];

/// A violation: its property and full message.
type Violation = Option<(Property, String)>;

/// Puts a chunk (or nothing) in place and returns its digest.
type SetUp = fn(&Fixture) -> Digest;

/// The digest of a one-byte chunk whose content is `n`.
fn digest(n: u8) -> Digest {
    Digest::of(&[n])
}

fn snapshot(time: i64) -> SnapshotId {
    SnapshotId {
        group: "vm/100".to_string(),
        time,
    }
}

fn store_mutex(process: ProcessId) -> LockKind {
    LockKind::ChunkStore(process, 0)
}

/// A writer session the oracle was told about.
#[derive(Clone, Copy)]
struct Writer {
    process: ProcessId,
    id: WriterId,
}

/// An oracle over model storage, with the typed storage to set up its ground truth.
struct Fixture {
    backend: Backend,
    log: Arc<ExecutionLog>,
    oracle: Arc<Oracle>,
    chunks: Arc<ModelChunkDir<Std>>,
    bucket: Arc<ModelBucket<Std>>,
}

impl Fixture {
    fn new(backend: Backend) -> Self {
        Self::with_lock_order(backend, true)
    }

    fn with_lock_order(backend: Backend, check_lock_order: bool) -> Self {
        let chunks = Arc::new(ModelChunkDir::<Std>::new());
        let bucket = Arc::new(ModelBucket::<Std>::new());
        let storage = Storage {
            chunks: chunks.clone(),
            bucket: bucket.clone(),
            indexes: Arc::new(ModelIndexDir::<Std>::new()),
        };
        let options = match check_lock_order {
            true => OracleOptions::new(backend),
            false => OracleOptions::new(backend).without_lock_order(),
        };
        // The oracle reports to the log installed where it is built.
        let log = ExecutionLog::new();
        let oracle = {
            let _installed = log.install();
            Oracle::with_options(&storage, options)
        };
        Self {
            backend,
            log,
            oracle,
            chunks,
            bucket,
        }
    }

    /// Runs `f`; when the oracle panics, checks that the panic and [`Oracle::violation`]
    /// agree and are well formed, and returns the violation. Other panics propagate.
    fn violation_of(&self, f: impl FnOnce()) -> Violation {
        let before = self.oracle.violation();
        let outcome = catch_unwind(AssertUnwindSafe(f));
        let after = self.oracle.violation();
        let Err(payload) = outcome else {
            assert_eq!(
                after, before,
                "the oracle recorded a violation without panicking"
            );
            return None;
        };
        let message = panic_message(&*payload);
        let Some((property, recorded)) = after.filter(|_| before.is_none()) else {
            resume_unwind(payload);
        };
        assert_eq!(recorded, message, "violation() must hold the panic message");
        assert!(
            message.starts_with(&format!("{} violated: ", property.name())),
            "message must start with the property's name: {message}"
        );
        assert!(
            message.contains("event trail"),
            "message must carry the trail: {message}"
        );
        assert_eq!(
            self.log.violation(),
            Some(property),
            "the execution log must hold the property as data: {message}"
        );
        Some((property, message))
    }

    fn event<'e>(&self, event: impl Into<Event<'e>>) {
        self.oracle.event(&event.into());
    }

    // --- storage set-up ---

    /// A local chunk file with full content and atime `atime`.
    fn file(&self, n: u8, atime: i64) -> Digest {
        let d = digest(n);
        self.chunks.write(&d, &[n], atime).expect("model write");
        d
    }

    /// A zero-length local marker with atime `atime`.
    fn marker(&self, n: u8, atime: i64) -> Digest {
        let d = digest(n);
        self.chunks.write(&d, &[], atime).expect("model write");
        d
    }

    /// A bucket object.
    fn object(&self, n: u8) -> Digest {
        let d = digest(n);
        self.bucket.put_if_absent(&d, &[n]).expect("model put");
        d
    }

    /// The chunk, present where this backend keeps chunks (S3: object and cached content).
    fn present(&self, n: u8) -> Digest {
        if self.backend == Backend::S3 {
            self.object(n);
        }
        self.file(n, 0)
    }

    // --- events ---

    fn lock(&self, thread: u64, lock: LockKind) {
        self.acquire(thread, lock, true);
    }

    fn try_lock(&self, thread: u64, lock: LockKind) {
        self.acquire(thread, lock, false);
    }

    fn acquire(&self, thread: u64, lock: LockKind, blocking: bool) {
        self.event(Fact::LockAcquired {
            lock,
            thread,
            blocking,
        });
    }

    fn unlock(&self, thread: u64, lock: LockKind) {
        self.event(Fact::LockReleased { lock, thread });
    }

    /// Starts writer `id` in `process`; it uses `digests` (uploaded).
    fn writer(&self, process: ProcessId, id: u64, digests: &[Digest]) -> Writer {
        let writer = Writer {
            process,
            id: WriterId(id),
        };
        self.event(Fact::WriterStarted {
            process,
            writer: writer.id,
            start: 0,
        });
        for d in digests {
            self.uses(writer, *d, ChunkUse::Uploaded);
        }
        writer
    }

    fn uses(&self, writer: Writer, digest: Digest, how: ChunkUse) {
        self.event(Fact::ChunkUsed {
            process: writer.process,
            writer: writer.id,
            digest,
            how,
        });
    }

    fn publish(&self, writer: Writer, snapshot: &SnapshotId, digests: &[Digest]) {
        self.event(Event::IndexPublished {
            process: writer.process,
            writer: writer.id,
            snapshot,
            name: "disk",
            digests,
        });
    }

    fn finish(&self, writer: Writer) {
        self.event(Fact::WriterFinished {
            process: writer.process,
            writer: writer.id,
        });
    }

    /// A complete backup by writer `id` of `process`: `digests` become visible in `snapshot`.
    fn backup(&self, process: ProcessId, id: u64, snapshot: &SnapshotId, digests: &[Digest]) {
        let writer = self.writer(process, id, digests);
        self.publish(writer, snapshot, digests);
        self.finish(writer);
    }

    fn remove_call(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.event(Fact::RemoveCalled {
            process,
            digest,
            thread,
        });
    }

    /// `remove` by `thread` of `process` under its chunk store mutex (P1 holds).
    fn remove(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.lock(thread, store_mutex(process));
        self.remove_call(process, thread, digest);
        self.unlock(thread, store_mutex(process));
    }

    fn delete_objects(&self, process: ProcessId, digests: &[Digest]) {
        self.event(Event::ObjectsDeleting { process, digests });
    }

    /// Inserts into the LRU of `process` under its LRU mutex (checked on release).
    fn lru_insert(&self, process: ProcessId, thread: u64, digest: Digest) {
        self.lock(thread, LockKind::Lru(process));
        self.event(Fact::LruInserted { process, digest });
        self.unlock(thread, LockKind::Lru(process));
    }

    fn gc_start(&self, process: ProcessId, min_atime: i64) {
        self.event(Fact::GcStarted {
            process,
            phase1_start: min_atime + 100,
            oldest_writer: min_atime + 100,
            min_atime,
        });
    }

    fn gc_finish(&self, process: ProcessId, completed: bool) {
        self.event(Fact::GcFinished { process, completed });
    }
}

/// Asserts `violation` is of `expected` and returns its message.
#[track_caller]
fn expect(expected: Property, violation: Violation, case: &str) -> String {
    match violation {
        Some((property, message)) => {
            assert_eq!(property, expected, "{case}: wrong property:\n{message}");
            message
        }
        None => panic!("{case}: expected a {expected} violation, got none"),
    }
}

/// Asserts there is no violation.
#[track_caller]
fn expect_none(violation: Violation, case: &str) {
    if let Some((_, message)) = violation {
        panic!("{case}: expected no violation, got:\n{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// P1-P4
// ---------------------------------------------------------------------------------------------

#[test]
fn p1_remove_without_own_chunk_store_mutex_is_caught() {
    /// A thread and a lock it holds.
    type HeldBy = (u64, LockKind);
    // (case, the lock held when thread 1 of process A calls remove, the holder named)
    let cases: [(&str, Option<HeldBy>, &str); 3] = [
        ("mutex held by nobody", None, "held by nobody"),
        (
            "mutex held by another thread",
            Some((T2, store_mutex(PA))),
            "held by thread 2",
        ),
        (
            "only the other process's mutex held",
            Some((T1, store_mutex(PB))),
            "held by nobody",
        ),
    ];
    for (case, held, holder) in cases {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        if let Some((thread, lock)) = held {
            f.lock(thread, lock);
        }
        let message = expect(
            Property::P1,
            f.violation_of(|| f.remove_call(PA, T1, d)),
            case,
        );
        assert!(message.contains(holder), "{case}: {message}");
    }
}

#[test]
fn p1_remove_holding_own_chunk_store_mutex_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, d)),
        "remove under the caller's mutex",
    );
}

#[test]
fn p2_remove_of_chunk_referenced_by_visible_index_is_caught() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let (d, other) = (f.present(1), f.present(2));
        let snap = snapshot(1);
        f.backup(PA, 1, &snap, &[other, d]);
        let message = expect(
            Property::P2,
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{backend:?}"),
        );
        assert!(message.contains("vm/100/1/disk"), "{message}");
    }
}

#[test]
fn p2_remove_after_the_snapshot_is_pruned_passes() {
    for backend in BACKENDS {
        let f = Fixture::new(backend);
        let d = f.present(1);
        let (old, kept) = (snapshot(1), snapshot(2));
        f.backup(PA, 1, &old, &[d]);
        f.backup(PA, 2, &kept, &[f.present(2)]);
        f.event(Event::SnapshotPruned { snapshot: &old });
        expect_none(
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{backend:?}: remove of a chunk only a pruned snapshot referenced"),
        );
    }
}

#[test]
fn p3_remove_of_chunk_used_by_active_writer_of_same_process_is_caught() {
    for how in [ChunkUse::Registered, ChunkUse::Uploaded, ChunkUse::Reused] {
        let f = Fixture::new(Backend::Filesystem);
        let d = f.present(1);
        let writer = f.writer(PA, 1, &[]);
        f.uses(writer, d, how);
        let message = expect(
            Property::P3,
            f.violation_of(|| f.remove(PA, T1, d)),
            &format!("{how:?}"),
        );
        assert!(message.contains("writer-1"), "{message}");
    }
}

#[test]
fn p3_remove_after_the_writer_finished_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    let writer = f.writer(PA, 1, &[d]);
    f.finish(writer);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, d)),
        "remove after the writer finished without publishing",
    );
}

#[test]
fn p4_remove_of_chunk_used_by_writer_of_other_process_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.event(Fact::Reload { old: PA, new: PB });
    f.writer(PA, 1, &[d]);
    let message = expect(
        Property::P4,
        f.violation_of(|| f.remove(PB, T2, d)),
        "new process removes what an old-process writer uploaded",
    );
    assert!(
        message.contains("writer-1 of process 1"),
        "P4 names the other process's writer: {message}"
    );
}

#[test]
fn remove_of_chunk_no_writer_or_index_needs_passes() {
    let f = Fixture::new(Backend::Filesystem);
    let (garbage, used) = (f.present(1), f.present(2));
    f.writer(PA, 1, &[used]);
    f.writer(PB, 2, &[used]);
    f.backup(PA, 3, &snapshot(1), &[used]);
    expect_none(
        f.violation_of(|| f.remove(PA, T1, garbage)),
        "remove of garbage while writers and indexes use other chunks",
    );
}

// ---------------------------------------------------------------------------------------------
// Harm
// ---------------------------------------------------------------------------------------------

#[test]
fn harm_index_published_over_a_missing_chunk_is_caught() {
    // (case, backend, how chunk 1 is left)
    let cases: [(&str, Backend, SetUp); 4] = [
        ("FS, no file", Backend::Filesystem, |_| digest(1)),
        ("FS, zero-length file", Backend::Filesystem, |f| {
            f.marker(1, 0)
        }),
        ("S3, local content but no object", Backend::S3, |f| {
            f.file(1, 0)
        }),
        ("S3, marker but no object", Backend::S3, |f| f.marker(1, 0)),
    ];
    for (case, backend, set_up) in cases {
        let f = Fixture::new(backend);
        let d = set_up(&f);
        let fine = f.present(2);
        let writer = f.writer(PA, 1, &[fine, d]);
        let message = expect(
            Property::Harm,
            f.violation_of(|| f.publish(writer, &snapshot(1), &[fine, d])),
            case,
        );
        assert!(
            message.contains(&format!("referencing {d}, which is gone")),
            "{case}: names the missing chunk: {message}"
        );
    }
}

#[test]
fn harm_index_published_over_existing_chunks_passes() {
    let cases: [(&str, Backend, SetUp); 3] = [
        ("FS, local content", Backend::Filesystem, |f| f.file(1, 0)),
        ("S3, object without local file", Backend::S3, |f| {
            f.object(1)
        }),
        ("S3, object with a marker", Backend::S3, |f| {
            f.marker(1, 0);
            f.object(1)
        }),
    ];
    for (case, backend, set_up) in cases {
        let f = Fixture::new(backend);
        let d = set_up(&f);
        let writer = f.writer(PA, 1, &[d]);
        expect_none(
            f.violation_of(|| f.publish(writer, &snapshot(1), &[d])),
            case,
        );
    }
}

#[test]
fn empty_chunk_is_full_content_not_a_marker() {
    let empty = Digest::of(&[]);
    let f = Fixture::new(Backend::Filesystem);
    f.chunks.write(&empty, &[], 0).expect("model write");
    expect_none(
        f.violation_of(|| f.backup(PA, 1, &snapshot(1), &[empty])),
        "FS: the empty chunk exists",
    );

    let f = Fixture::new(Backend::S3);
    f.bucket.put_if_absent(&empty, &[]).expect("model put");
    f.chunks.write(&empty, &[], 0).expect("model write");
    expect_none(
        f.violation_of(|| f.lru_insert(PA, T1, empty)),
        "S3: the cached empty chunk has its full content",
    );
}

#[test]
fn harm_object_deleted_while_visible_index_references_it_is_caught() {
    let f = Fixture::new(Backend::S3);
    let d = f.present(1);
    f.backup(PA, 1, &snapshot(1), &[d]);
    let message = expect(
        Property::Harm,
        f.violation_of(|| f.delete_objects(PA, &[f.present(2), d])),
        "delete of an object a visible index references",
    );
    assert!(message.contains("vm/100/1/disk"), "{message}");
}

#[test]
fn harm_object_deleted_while_active_writer_uses_it_is_caught() {
    for writer_process in [PA, PB] {
        let f = Fixture::new(Backend::S3);
        let d = f.present(1);
        f.writer(writer_process, 7, &[d]);
        let message = expect(
            Property::Harm,
            f.violation_of(|| f.delete_objects(PA, &[d])),
            &format!("writer in {writer_process}"),
        );
        assert!(message.contains("writer-7"), "{message}");
    }
}

#[test]
fn objects_deleted_that_nothing_needs_pass() {
    let f = Fixture::new(Backend::S3);
    let (garbage, pruned, used) = (f.present(1), f.present(2), f.present(3));
    let old = snapshot(1);
    f.backup(PA, 1, &old, &[pruned]);
    f.event(Event::SnapshotPruned { snapshot: &old });
    let writer = f.writer(PA, 2, &[garbage, used]);
    f.finish(writer);
    f.writer(PA, 3, &[used]);
    expect_none(
        f.violation_of(|| f.delete_objects(PA, &[garbage, pruned])),
        "delete of objects no visible index or active writer needs",
    );
}

// ---------------------------------------------------------------------------------------------
// LRU content and cache/bucket
// ---------------------------------------------------------------------------------------------

#[test]
fn lru_entry_without_local_content_is_caught_at_lru_release() {
    let cases: [(&str, SetUp); 2] = [
        ("zero-length marker", |f| f.marker(1, 0)),
        ("no local file", |_| digest(1)),
    ];
    for (case, set_up) in cases {
        let f = Fixture::new(Backend::S3);
        let d = set_up(&f);
        f.object(1);
        let message = expect(
            Property::LruContent,
            f.violation_of(|| f.lru_insert(PA, T1, d)),
            case,
        );
        assert!(message.contains("the LRU of process 1"), "{message}");
    }
}

#[test]
fn lru_entries_with_content_or_evicted_pass() {
    let f = Fixture::new(Backend::S3);
    let (kept, evicted) = (f.present(1), f.present(2));
    f.lru_insert(PA, T1, kept);
    f.lru_insert(PA, T1, evicted);
    let outcome = f.violation_of(|| {
        // Eviction under the LRU mutex: entry dropped, file turned into a marker.
        f.lock(T1, LockKind::Lru(PA));
        f.event(Fact::LruRemoved {
            process: PA,
            digest: evicted,
        });
        f.marker(2, 0);
        f.unlock(T1, LockKind::Lru(PA));
    });
    expect_none(outcome, "an evicted entry's marker is not checked");
    // The LRU of another process is checked on its own mutex only.
    f.event(Fact::ProcessStarted { process: PB });
    f.event(Fact::LruInserted {
        process: PB,
        digest: digest(3),
    });
    expect_none(
        f.violation_of(|| {
            f.lock(T1, LockKind::Lru(PA));
            f.unlock(T1, LockKind::Lru(PA));
        }),
        "process A's LRU release does not check process B's LRU",
    );
}

#[test]
fn cache_file_without_bucket_object_is_caught_at_chunk_lock_release() {
    let cases: [(&str, SetUp); 2] = [
        ("cached content", |f| f.file(1, 0)),
        ("marker", |f| f.marker(1, 0)),
    ];
    for (case, set_up) in cases {
        let f = Fixture::new(Backend::S3);
        let d = digest(1);
        f.lock(T1, LockKind::Chunk(d));
        // Inside the per-chunk lock window the file may precede the object.
        set_up(&f);
        let message = expect(
            Property::CacheBucket,
            f.violation_of(|| f.unlock(T1, LockKind::Chunk(d))),
            case,
        );
        assert!(message.contains(&d.to_string()), "{message}");
    }
}

#[test]
fn cache_file_with_bucket_object_or_on_filesystem_passes() {
    for (backend, with_object) in [(Backend::S3, true), (Backend::Filesystem, false)] {
        let f = Fixture::new(backend);
        let d = f.file(1, 0);
        if with_object {
            f.object(1);
        }
        expect_none(
            f.violation_of(|| {
                f.lock(T1, LockKind::Chunk(d));
                f.unlock(T1, LockKind::Chunk(d));
            }),
            &format!("{backend:?}, object present: {with_object}"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Lock order and mutual exclusion
// ---------------------------------------------------------------------------------------------

/// Pairs (held, then taken) against the order per-chunk → chunk store → LRU.
fn inversions() -> [(LockKind, LockKind); 4] {
    let chunk = LockKind::Chunk(digest(1));
    [
        (LockKind::Lru(PA), store_mutex(PA)),
        (LockKind::Lru(PA), chunk),
        (store_mutex(PA), chunk),
        (LockKind::Chunk(digest(2)), chunk),
    ]
}

#[test]
fn lock_order_blocking_inversion_is_caught() {
    for (held, taken) in inversions() {
        let f = Fixture::new(Backend::S3);
        f.lock(T1, held);
        let message = expect(
            Property::LockOrder,
            f.violation_of(|| f.lock(T1, taken)),
            &format!("{held:?} then {taken:?}"),
        );
        assert!(message.contains("waited for"), "{message}");
    }
}

#[test]
fn lock_order_try_lock_or_unchecked_inversion_passes() {
    for (held, taken) in inversions() {
        let f = Fixture::new(Backend::S3);
        f.lock(T1, held);
        expect_none(
            f.violation_of(|| f.try_lock(T1, taken)),
            &format!("try-lock of {taken:?} holding {held:?}"),
        );
        let f = Fixture::with_lock_order(Backend::S3, false);
        f.lock(T1, held);
        expect_none(
            f.violation_of(|| f.lock(T1, taken)),
            &format!("unchecked: {held:?} then {taken:?}"),
        );
    }
}

#[test]
fn lock_order_chunk_then_store_then_lru_passes() {
    let f = Fixture::new(Backend::S3);
    expect_none(
        f.violation_of(|| {
            for thread in [T1, T2] {
                for process in [PA, PB] {
                    let order = [
                        LockKind::Chunk(digest(1)),
                        store_mutex(process),
                        LockKind::Lru(process),
                    ];
                    for lock in order {
                        f.lock(thread, lock);
                    }
                    for lock in order.into_iter().rev() {
                        f.unlock(thread, lock);
                    }
                }
            }
        }),
        "the documented order, by two threads in two processes",
    );
}

#[test]
fn lock_held_by_two_threads_is_caught_even_unchecked() {
    let locks = [
        LockKind::Chunk(digest(1)),
        store_mutex(PA),
        LockKind::Lru(PA),
    ];
    for check_lock_order in [true, false] {
        for lock in locks {
            let f = Fixture::with_lock_order(Backend::S3, check_lock_order);
            f.lock(T1, lock);
            let message = expect(
                Property::LockOrder,
                f.violation_of(|| f.try_lock(T2, lock)),
                &format!("{lock:?}, order checked: {check_lock_order}"),
            );
            assert!(
                message.contains("taken by thread 2 while thread 1 holds it"),
                "{message}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single GC and progress
// ---------------------------------------------------------------------------------------------

#[test]
fn single_gc_second_gc_while_one_runs_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    f.gc_start(PA, 100);
    let message = expect(
        Property::SingleGc,
        f.violation_of(|| f.gc_start(PB, 100)),
        "GC of process 2 while process 1's runs",
    );
    assert!(
        message.contains("GC of process 2 started while GC of process 1 runs"),
        "{message}"
    );
}

#[test]
fn single_gc_consecutive_gcs_pass() {
    let f = Fixture::new(Backend::Filesystem);
    expect_none(
        f.violation_of(|| {
            for (process, completed) in [(PA, false), (PB, true), (PA, true)] {
                f.gc_start(process, 100);
                f.gc_finish(process, completed);
            }
        }),
        "one GC after the other, in either process",
    );
}

#[test]
fn progress_gc_that_never_deletes_anything_is_caught() {
    let f = Fixture::new(Backend::Filesystem);
    f.file(2, 100);
    let d = f.file(1, 50);
    f.gc_start(PA, 100);
    let message = expect(
        Property::Progress,
        f.violation_of(|| f.gc_finish(PA, true)),
        "a completed GC left a chunk below its cutoff",
    );
    assert!(
        message.contains(&format!("left {d} (atime 50, cutoff 100)")),
        "{message}"
    );
}

#[test]
fn progress_exempt_leftovers_pass() {
    type Case = (&'static str, fn(&Fixture, Digest), bool);
    let cases: [Case; 5] = [
        ("GC aborted", |_, _| {}, false),
        (
            "atime at the cutoff",
            |f, d| {
                f.chunks.set_atime(&d, 100);
            },
            true,
        ),
        (
            "chunk skipped as busy",
            |f, d| {
                f.event(Fact::GcSkippedBusy { digest: d });
            },
            true,
        ),
        (
            "per-chunk lock held at the end",
            |f, d| {
                f.lock(T2, LockKind::Chunk(d));
            },
            true,
        ),
        (
            "chunk removed",
            |f, d| {
                f.remove(PA, T1, d);
                f.chunks.remove(&d).expect("model remove");
                if f.backend == Backend::S3 {
                    f.delete_objects(PA, &[d]);
                    f.bucket.delete_batch(&[d]).expect("model delete");
                }
            },
            true,
        ),
    ];
    for backend in BACKENDS {
        for (case, during_gc, completed) in cases {
            let f = Fixture::new(backend);
            let d = f.present(1);
            f.chunks.set_atime(&d, 50);
            f.gc_start(PA, 100);
            expect_none(
                f.violation_of(|| {
                    during_gc(&f, d);
                    f.gc_finish(PA, completed);
                }),
                &format!("{backend:?}: {case}"),
            );
        }
    }
}

#[test]
fn progress_s3_object_left_without_or_with_old_local_mark_is_caught() {
    let cases: [(&str, Option<i64>, &str); 2] = [
        ("no local file", None, "no local mark"),
        ("old marker", Some(50), "atime 50"),
    ];
    for (case, marker, text) in cases {
        let f = Fixture::new(Backend::S3);
        let d = f.object(1);
        if let Some(atime) = marker {
            f.marker(1, atime);
        }
        f.object(2);
        f.marker(2, 150);
        f.gc_start(PA, 100);
        let message = expect(
            Property::Progress,
            f.violation_of(|| f.gc_finish(PA, true)),
            case,
        );
        assert!(message.contains(&format!("left {d} ({text}")), "{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting: first violation, trail, coverage
// ---------------------------------------------------------------------------------------------

#[test]
fn first_violation_is_kept_and_later_events_do_not_panic() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    let first = expect(
        Property::P1,
        f.violation_of(|| f.remove_call(PA, T1, d)),
        "first violation",
    );
    let expected = Some((Property::P1, first));
    f.gc_start(PA, 100);
    f.gc_start(PB, 100);
    f.lock(T1, LockKind::Lru(PA));
    f.lock(T1, store_mutex(PA));
    f.remove_call(PA, T2, d);
    assert_eq!(
        f.oracle.violation(),
        expected,
        "later violations neither panic nor replace the first"
    );
    assert_eq!(
        f.oracle.coverage().events,
        6,
        "later events are still counted"
    );
}

#[test]
fn violation_message_carries_the_described_trail() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    f.writer(PA, 1, &[d]);
    let message = expect(
        Property::P3,
        f.violation_of(|| f.remove(PA, T1, d)),
        "P3 with a trail",
    );
    let short = format!("{d:#}");
    let trail = message
        .split_once("event trail (oldest first):\n")
        .map(|(_, trail)| trail)
        .expect("the message has a trail section");
    for line in [
        "#1    writer-1 (process 1) started at t=0".to_string(),
        format!("#2    writer-1 uses {short} (Uploaded)"),
        "#3    thread 1 locked chunk store mutex of process 1".to_string(),
        format!("#4    thread 1 (process 1) calls remove({short})"),
    ] {
        assert!(trail.contains(&line), "trail lacks {line:?}:\n{trail}");
    }
}

#[test]
fn trail_keeps_only_the_most_recent_events() {
    let f = Fixture::new(Backend::Filesystem);
    let d = f.present(1);
    for _ in 0..30 {
        f.lock(T2, store_mutex(PB));
        f.unlock(T2, store_mutex(PB));
    }
    let message = expect(
        Property::P1,
        f.violation_of(|| f.remove_call(PA, T1, d)),
        "P1 after 60 events",
    );
    let lines = message.lines().filter(|l| l.starts_with("  #")).count();
    assert_eq!(lines, 40, "the trail holds the last 40 events:\n{message}");
    assert!(message.contains("  #61   thread 1 (process 1) calls remove("));
    assert!(
        !message.contains("  #21 "),
        "event #21 fell off:\n{message}"
    );
}

#[test]
fn coverage_counts_removes_deletes_and_gcs() {
    let f = Fixture::new(Backend::S3);
    let (a, b, c) = (f.present(1), f.present(2), f.present(3));
    f.remove(PA, T1, a); // nothing around
    f.gc_start(PA, 0);
    let writer = f.writer(PA, 1, &[c]); // during the GC
    f.remove(PA, T1, a); // active writer, GC overlapped a writer
    f.event(Fact::Reload { old: PA, new: PB });
    f.publish(writer, &snapshot(1), &[c]);
    f.finish(writer);
    f.remove(PA, T1, b); // visible index, GC overlapped writer and reload
    f.delete_objects(PA, &[a, b]);
    f.gc_finish(PA, false);
    f.gc_start(PB, 0); // every chunk has atime 0: nothing is left below the cutoff
    f.gc_finish(PB, true);
    assert_eq!(f.oracle.violation(), None);
    assert_eq!(
        f.oracle.coverage(),
        Coverage {
            events: 19,
            removes: 3,
            removes_with_active_writer: 1,
            removes_with_visible_index: 1,
            removes_writer_started_during_gc: 2,
            removes_reload_during_gc: 1,
            objects_deleted: 2,
            gcs_completed: 1,
            gcs_aborted: 1,
        },
        "coverage of the sequence"
    );
}
