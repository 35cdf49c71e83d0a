//! Real files, real crashes: a child process runs backups, prunes and GCs on a store on disk
//! (`crash-workload`), and the test kills it with SIGKILL after a random number of its steps,
//! over and over on the same store. After every kill the store is reopened as a restarted
//! daemon would find it: every published index must decode and every chunk it references
//! must be on disk with content matching its digest. At the end a GC of a fresh process
//! must complete and collect every chunk no index references (the garbage of crashed
//! backups included), and leave every index whole.
//!
//! The kill point is chosen by counting the child's steps (lines on its stdout), not by
//! time; within a step the operating system decides where the signal lands.

use harness::program::Rng;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use store::index::decode;
use store::storage::{ChunkDir, FsChunkDir, FsIndexDir, IndexDir};
use store::{
    Backend, Clock, Datastore, Digest, NoopObserver, SnapshotId, Std, Storage, StoreConfig,
};

/// Kills per run of the test: each one a crash of the child at a random step.
const ROUNDS: u64 = 60;

/// The child runs at most this many steps before the kill (1 to this, drawn per round).
const MAX_STEPS: u64 = 60;

/// Starts the workload on `dir` and reads `steps` of its lines; returns it still running.
fn run_until(dir: &Path, seed: u64, steps: u64) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crash-workload"))
        .arg(dir)
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the workload starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    for n in 0..steps {
        match lines.next() {
            Some(Ok(_)) => {}
            _ => {
                let mut err = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    let _ = stderr.read_to_string(&mut err);
                }
                panic!("the workload stopped by itself after {n} steps: {err}");
            }
        }
    }
    child
}

/// Every chunk a published index references, as a restarted daemon finds them. Panics on
/// an index that does not decode or a chunk that is gone or damaged.
fn check_visible_indexes(root: &Path) -> BTreeSet<Digest> {
    let indexes = FsIndexDir::new(root).expect("index dir opens");
    let chunks = FsChunkDir::new(root).expect("chunk dir opens");
    let mut referenced = BTreeSet::new();
    for group in indexes.groups().expect("groups") {
        for time in indexes.snapshots(&group).expect("snapshots") {
            let snapshot = SnapshotId {
                group: group.clone(),
                time,
            };
            for name in indexes
                .indexes(&snapshot)
                .expect("indexes")
                .unwrap_or_default()
            {
                let bytes = indexes
                    .read(&snapshot, &name)
                    .expect("read")
                    .expect("listed");
                let digests = decode(&format!("{snapshot}/{name}"), &bytes)
                    .unwrap_or_else(|e| panic!("{snapshot}/{name} is visible but torn: {e}"));
                for digest in digests {
                    let data = chunks
                        .read(&digest)
                        .expect("chunk read")
                        .unwrap_or_else(|| {
                            panic!("{snapshot}/{name} references {digest}, which is gone")
                        });
                    assert_eq!(
                        Digest::of(&data),
                        digest,
                        "{snapshot}/{name} references {digest}, whose file is damaged"
                    );
                    referenced.insert(digest);
                }
            }
        }
    }
    referenced
}

#[test]
fn kill_9_at_random_steps_loses_no_visible_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("store");
    let mut rng = Rng::new(0xC0FFEE);
    let mut referenced = BTreeSet::new();
    for round in 0..ROUNDS {
        let steps = rng.range(1, MAX_STEPS);
        let mut child = run_until(dir.path(), round, steps);
        child.kill().expect("SIGKILL");
        child.wait().expect("the child is reaped");
        referenced = check_visible_indexes(&root);
    }
    assert!(!referenced.is_empty(), "the workload published indexes");

    // A restarted daemon: its GC ignores what the crashes left (temporary files, snapshot
    // directories without an index) and collects every chunk no index references.
    let storage = Storage::on_disk(&root, &dir.path().join("bucket")).expect("reopens");
    let config = StoreConfig::new(Backend::Filesystem).with_cutoff(0, 0);
    let far_future = i64::from(u32::MAX);
    let ds = Datastore::<Std>::new(
        config,
        storage,
        Clock::manual(far_future),
        Arc::new(NoopObserver),
    );
    let status = ds
        .start_process()
        .garbage_collect()
        .expect("GC after the crashes");
    assert_eq!(
        check_visible_indexes(&root),
        referenced,
        "the GC kept every index whole"
    );
    let chunks = FsChunkDir::new(&root).expect("chunk dir");
    let left: BTreeSet<Digest> = chunks
        .list()
        .expect("listing")
        .digests
        .into_iter()
        .collect();
    assert_eq!(
        left, referenced,
        "every unreferenced chunk collected, every referenced one kept ({status:?})"
    );
    assert!(
        status.removed_chunks > 0,
        "garbage was left to collect: {status:?}"
    );
}

/// The check after each crash can fail: a chunk file gone, or a torn index in sight.
#[test]
fn the_crash_check_sees_a_lost_chunk_and_a_torn_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("store");
    let storage = Storage::on_disk(&root, &dir.path().join("bucket")).expect("opens");
    let config = StoreConfig::new(Backend::Filesystem);
    let ds = Datastore::<Std>::new(
        config,
        storage,
        Clock::manual(1_000),
        Arc::new(NoopObserver),
    );
    let mut writer = ds
        .start_process()
        .start_backup("vm/100", 1)
        .expect("backup");
    writer.create_index("disk").expect("index");
    let digest = writer.upload_chunk(b"chunk").expect("upload");
    writer.append("disk", digest).expect("append");
    writer.close_index("disk").expect("publish");
    writer.finish().expect("finish");
    assert_eq!(check_visible_indexes(&root), BTreeSet::from([digest]));

    let chunks = FsChunkDir::new(&root).expect("chunk dir");
    chunks.remove(&digest).expect("remove");
    let lost = std::panic::catch_unwind(|| check_visible_indexes(&root));
    assert!(lost.is_err(), "a referenced chunk gone is seen");

    chunks.write(&digest, b"chunk", 1).expect("rewrite");
    let index = root.join("vm/100/1/disk.didx");
    let bytes = std::fs::read(&index).expect("index bytes");
    std::fs::write(&index, &bytes[..bytes.len() / 2]).expect("tear it");
    let torn = std::panic::catch_unwind(|| check_visible_indexes(&root));
    assert!(torn.is_err(), "a torn index in sight is seen");
}
