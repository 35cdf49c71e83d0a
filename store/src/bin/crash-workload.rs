//! `crash-workload DIR SEED`: a datastore on the real file system under `DIR` (filesystem
//! backend), driven until it is killed by backups that upload, publish and finish on one
//! thread, and by prunes (each group keeps its newest two snapshots) and garbage collections
//! on another. One line goes to stdout after
//! every step that changed the store, so a parent can kill it after the N-th step (the
//! crash test in `store/tests/suite/crash.rs`). The grace period and the writer margin are
//! zero, so every GC collects what nothing protects.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use store::ids::SnapshotId;
use store::{Backend, Clock, Datastore, NoopObserver, Process, Std, Storage, StoreConfig};

/// Chunks are drawn from this many contents, so backups re-use each other's chunks.
const CONTENTS: u64 = 64;

/// Snapshots each group keeps; older ones are pruned, so their chunks become garbage.
const KEEP: usize = 2;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, seed] = args.as_slice() else {
        bail!("usage: crash-workload DIR SEED");
    };
    let seed: u64 = seed
        .parse()
        .with_context(|| format!("SEED must be a number, not {seed:?}"))?;
    let dir = PathBuf::from(dir);
    let storage = Storage::on_disk(&dir.join("store"), &dir.join("bucket"))
        .with_context(|| format!("opening the store under {}", dir.display()))?;
    let config = StoreConfig::new(Backend::Filesystem).with_cutoff(0, 0);
    let ds = Datastore::<Std>::new(config, storage, Clock::System, Arc::new(NoopObserver));
    let process = ds.start_process();
    let collector = process.clone();
    std::thread::spawn(move || collect(&collector));
    back_up(&process, seed)
}

/// SplitMix64, so a seed gives the same workload on every machine.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Writes one step's line; the parent counts them.
fn step(line: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .context("writing to stdout")
}

/// Backup after backup: 1–6 chunks (some new, some shared), one index, finish.
fn back_up(process: &Arc<Process<Std>>, seed: u64) -> Result<()> {
    let mut rng = seed;
    let mut last = 0i64;
    loop {
        let group = format!("vm/{}", next(&mut rng) % 3);
        // Backup times in microseconds: newer than any earlier run's.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        last = now.max(last + 1);
        let mut writer = match process.start_backup(&group, last) {
            Ok(writer) => writer,
            Err(err) => {
                step(&format!("backup refused: {err:#}"))?;
                continue;
            }
        };
        writer.create_index("disk")?;
        for _ in 0..1 + next(&mut rng) % 6 {
            let data = format!("chunk content {}", next(&mut rng) % CONTENTS).repeat(64);
            let digest = writer.upload_chunk(data.as_bytes())?;
            writer.append("disk", digest)?;
            step("uploaded")?;
        }
        writer.close_index("disk")?;
        writer.finish()?;
        step(&format!("published {group}/{last}"))?;
    }
}

/// GC after GC, each after pruning every group down to its newest [`KEEP`] snapshots.
fn collect(process: &Arc<Process<Std>>) {
    loop {
        for group in ["vm/0", "vm/1", "vm/2"] {
            let times = process.datastore().storage().indexes.snapshots(group);
            let times = times.unwrap_or_default();
            for &time in times.iter().take(times.len().saturating_sub(KEEP)) {
                let snapshot = SnapshotId {
                    group: group.to_string(),
                    time,
                };
                let pruned = process.prune(&snapshot).map_or("refused", |()| "done");
                if step(&format!("prune {snapshot} {pruned}")).is_err() {
                    return;
                }
            }
        }
        let outcome = match process.garbage_collect() {
            Ok(status) => format!("gc removed {}", status.removed_chunks),
            Err(err) => format!("gc failed: {err:#}"),
        };
        if step(&outcome).is_err() {
            return;
        }
    }
}
