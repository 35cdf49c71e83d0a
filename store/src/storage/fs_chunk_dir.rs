//! The local chunk directory on the file system: `<root>/.chunks/XXXX/<64 hex>`.
//!
//! Writes go to a temporary file `<hex>.tmp_<pid>_<instance>_<n>` in the chunk's prefix
//! directory, get their atime, and are renamed into place, so a reader sees either the old
//! file or the complete new one (a new inode), never a partial write.

use super::{ChunkDir, ChunkStat, Listing};
use crate::digest::Digest;
use anyhow::{Context, Result};
use filetime::FileTime;
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the instances of this process, so their temporary names never collide.
static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// A [`ChunkDir`] on the local file system.
#[derive(Debug)]
pub struct FsChunkDir {
    /// `<root>/.chunks`.
    chunks: PathBuf,
    /// This instance's number, part of its temporary file names.
    instance: u64,
    /// The next temporary file number of this instance.
    next_tmp: AtomicU64,
}

impl FsChunkDir {
    /// Opens the chunk directory of the datastore at `root`, creating `<root>/.chunks` if
    /// needed.
    ///
    /// # Errors
    /// When `<root>/.chunks` cannot be created.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let chunks = root.into().join(".chunks");
        fs::create_dir_all(&chunks)
            .with_context(|| format!("creating chunk directory {}", chunks.display()))?;
        Ok(Self {
            chunks,
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            next_tmp: AtomicU64::new(0),
        })
    }

    /// The path of a chunk file.
    fn path(&self, digest: &Digest) -> PathBuf {
        self.chunks.join(digest.prefix()).join(digest.to_hex())
    }

    /// The `n`th temporary path of this instance for a chunk.
    fn tmp_path(&self, digest: &Digest, n: u64) -> PathBuf {
        let name = format!(
            "{}.tmp_{}_{}_{}",
            digest.to_hex(),
            std::process::id(),
            self.instance,
            n
        );
        self.chunks.join(digest.prefix()).join(name)
    }

    /// Creates `tmp` exclusively, fills it with `data` and sets its atime.
    fn write_tmp(tmp: &Path, data: &[u8], atime: i64) -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .with_context(|| format!("creating temporary chunk file {}", tmp.display()))?;
        let result = file
            .write_all(data)
            .with_context(|| format!("writing temporary chunk file {}", tmp.display()))
            .and_then(|()| {
                filetime::set_file_handle_times(
                    &file,
                    Some(FileTime::from_unix_time(atime, 0)),
                    None,
                )
                .with_context(|| format!("setting atime of {}", tmp.display()))
            })
            // On disk before the rename makes it the chunk: an index published after this
            // write never names a chunk whose content a power loss could take back.
            .and_then(|()| {
                file.sync_all()
                    .with_context(|| format!("syncing temporary chunk file {}", tmp.display()))
            });
        if result.is_err() {
            // Best effort: the write already failed and that is the error to report.
            let _ = fs::remove_file(tmp);
        }
        result
    }
}

/// `O_NOATIME` on Linux (no such flag elsewhere), so reading does not move the GC's mark.
#[cfg(target_os = "linux")]
const O_NOATIME: i32 = libc::O_NOATIME;
#[cfg(not(target_os = "linux"))]
const O_NOATIME: i32 = 0;

/// Reads a file without updating its atime: under `relatime` a plain read sets an atime
/// older than the mtime (or a day) to the wall clock, but atimes are the store's to set.
/// Falls back to a plain read where `O_NOATIME` is refused (not the file's owner).
fn read_noatime(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(O_NOATIME)
        .open(path)
    {
        Err(err) if err.kind() == ErrorKind::PermissionDenied && O_NOATIME != 0 => {
            fs::File::open(path)?
        }
        other => other?,
    };
    let mut data = Vec::new();
    file.read_to_end(&mut data)?;
    Ok(data)
}

/// Whether `name` is a quarantined chunk, `<64 hex>.<N>.bad`.
fn is_quarantined(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".bad") else {
        return false;
    };
    let Some((hex, n)) = stem.rsplit_once('.') else {
        return false;
    };
    Digest::from_hex(hex).is_ok() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
}

/// `Ok(None)` for a NotFound error, the error otherwise.
fn none_if_missing<T>(result: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

impl ChunkDir for FsChunkDir {
    fn stat(&self, digest: &Digest) -> Result<Option<ChunkStat>> {
        let path = self.path(digest);
        let meta = none_if_missing(fs::metadata(&path))
            .with_context(|| format!("reading metadata of chunk {}", path.display()))?;
        Ok(meta.map(|m| ChunkStat {
            size: m.len(),
            atime: m.atime(),
        }))
    }

    fn write(&self, digest: &Digest, data: &[u8], atime: i64) -> Result<()> {
        let path = self.path(digest);
        let (dir, p) = (self.chunks.join(digest.prefix()), path.display());
        fs::create_dir_all(&dir)
            .with_context(|| format!("writing chunk {p}: creating {}", dir.display()))?;
        let tmp = self.tmp_path(digest, self.next_tmp.fetch_add(1, Ordering::Relaxed));
        Self::write_tmp(&tmp, data, atime).with_context(|| format!("writing chunk {p}"))?;
        if let Err(err) = fs::rename(&tmp, &path) {
            // Best effort: the rename error is the one to report.
            let _ = fs::remove_file(&tmp);
            return Err(err)
                .with_context(|| format!("writing chunk {p}: renaming {}", tmp.display()));
        }
        Ok(())
    }

    fn touch(&self, digest: &Digest, atime: i64) -> Result<bool> {
        let path = self.path(digest);
        let done = none_if_missing(filetime::set_file_atime(
            &path,
            FileTime::from_unix_time(atime, 0),
        ))
        .with_context(|| format!("setting atime of chunk {}", path.display()))?;
        Ok(done.is_some())
    }

    fn read(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let path = self.path(digest);
        none_if_missing(read_noatime(&path))
            .with_context(|| format!("reading chunk {}", path.display()))
    }

    /// `set_len(0)` changes the mtime and ctime, never the atime.
    fn truncate(&self, digest: &Digest) -> Result<Option<i64>> {
        let path = self.path(digest);
        let emptied = none_if_missing(
            OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|file| file.set_len(0).and_then(|()| file.metadata())),
        )
        .with_context(|| format!("truncating chunk {}", path.display()))?;
        Ok(emptied.map(|meta| meta.atime()))
    }

    fn remove(&self, digest: &Digest) -> Result<bool> {
        let path = self.path(digest);
        let done = none_if_missing(fs::remove_file(&path))
            .with_context(|| format!("removing chunk {}", path.display()))?;
        Ok(done.is_some())
    }

    /// Checks that a name is free, then renames onto it: two concurrent quarantines of the
    /// same digest could pick the same `N` and the second would replace the first `.bad`
    /// file (std has no `RENAME_NOREPLACE`); the store quarantines a chunk under its lock.
    fn quarantine(&self, digest: &Digest) -> Result<Option<String>> {
        let path = self.path(digest);
        let (dir, p) = (self.chunks.join(digest.prefix()), path.display());
        for n in 0u64.. {
            let name = format!("{}.{n}.bad", digest.to_hex());
            let (target, t) = (dir.join(&name), dir.join(&name).display().to_string());
            let taken = none_if_missing(fs::symlink_metadata(&target))
                .with_context(|| format!("quarantining chunk {p}: checking {t}"))?;
            if taken.is_some() {
                continue;
            }
            let moved = none_if_missing(fs::rename(&path, &target))
                .with_context(|| format!("quarantining chunk {p}: renaming to {t}"))?;
            return Ok(moved.map(|()| name));
        }
        anyhow::bail!("quarantining chunk {p}: no free .bad name")
    }

    fn list(&self) -> Result<Listing> {
        let mut listing = Listing::default();
        let top = fs::read_dir(&self.chunks)
            .with_context(|| format!("listing chunk directory {}", self.chunks.display()))?;
        for entry in top {
            let entry = entry
                .with_context(|| format!("listing chunk directory {}", self.chunks.display()))?;
            let prefix = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let prefix_ok = prefix.len() == 4
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !is_dir || !prefix_ok {
                listing.junk.push(prefix);
                continue;
            }
            let dir = entry.path();
            let Some(entries) = none_if_missing(fs::read_dir(&dir))
                .with_context(|| format!("listing chunk directory {}", dir.display()))?
            else {
                continue; // removed since the outer listing
            };
            for entry in entries {
                let entry =
                    entry.with_context(|| format!("listing chunk directory {}", dir.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
                match Digest::from_hex(&name) {
                    Ok(d) if is_file && d.to_hex() == name && d.prefix() == prefix => {
                        listing.digests.push(d);
                    }
                    _ if name.contains(".tmp_") || is_quarantined(&name) => {}
                    _ => listing.junk.push(format!("{prefix}/{name}")),
                }
            }
        }
        listing.digests.sort_unstable();
        listing.junk.sort_unstable();
        Ok(listing)
    }

    fn inspect(&self, digest: &Digest) -> Option<ChunkStat> {
        self.stat(digest).ok().flatten()
    }

    fn inspect_all(&self) -> Vec<(Digest, ChunkStat)> {
        let digests = self.list().map(|l| l.digests).unwrap_or_default();
        digests
            .into_iter()
            .filter_map(|d| self.inspect(&d).map(|st| (d, st)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, FsChunkDir) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let chunks = FsChunkDir::new(tmp.path()).expect("chunk dir");
        (tmp, chunks)
    }

    fn stat(size: u64, atime: i64) -> Option<ChunkStat> {
        Some(ChunkStat { size, atime })
    }

    #[test]
    fn write_stat_read_round_trip() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"data");
        assert_eq!(chunks.stat(&d).expect("stat"), None);
        assert_eq!(chunks.read(&d).expect("read"), None);
        chunks.write(&d, b"data", 1_000_000).expect("write");
        assert_eq!(chunks.stat(&d).expect("stat"), stat(4, 1_000_000));
        assert_eq!(chunks.inspect(&d), stat(4, 1_000_000));
        let data = chunks.read(&d).expect("read");
        assert_eq!(data.as_deref(), Some(&b"data"[..]));
        // A relatime read would move an atime older than the mtime to now: ours must not.
        assert_eq!(chunks.inspect(&d), stat(4, 1_000_000), "read moved atime");
        assert!(chunks.chunks.join(d.prefix()).join(d.to_hex()).is_file());
    }

    #[test]
    fn marker_has_size_zero() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"remote");
        chunks.write(&d, b"", 42).expect("write marker");
        assert_eq!(chunks.stat(&d).expect("stat"), stat(0, 42));
    }

    #[test]
    fn touch_sets_atime_and_reports_missing() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"t");
        assert!(!chunks.touch(&d, 5).expect("touch missing"));
        chunks.write(&d, b"t", 100).expect("write");
        let mtime = fs::metadata(chunks.path(&d)).expect("meta").mtime();
        assert!(chunks.touch(&d, 2_000_000).expect("touch"));
        assert_eq!(chunks.stat(&d).expect("stat"), stat(1, 2_000_000));
        let meta = fs::metadata(chunks.path(&d)).expect("meta");
        assert_eq!(meta.mtime(), mtime, "touch keeps the mtime");
    }

    #[test]
    fn remove_reports_whether_it_removed() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"r");
        assert!(!chunks.remove(&d).expect("remove missing"));
        chunks.write(&d, b"r", 1).expect("write");
        assert!(chunks.remove(&d).expect("remove"));
        assert_eq!(chunks.inspect(&d), None);
    }

    #[test]
    fn quarantine_names_and_list_skips_bad_but_reports_junk() {
        let (_tmp, chunks) = dir();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        assert_eq!(chunks.quarantine(&a).expect("quarantine missing"), None);
        for n in 0..2 {
            chunks.write(&a, b"a", 1).expect("write");
            let name = chunks.quarantine(&a).expect("quarantine");
            assert_eq!(name, Some(format!("{}.{n}.bad", a.to_hex())));
            assert_eq!(chunks.stat(&a).expect("stat"), None);
        }
        chunks.write(&b, b"b", 1).expect("write b");
        chunks.write(&a, b"a", 1).expect("write a");
        let junk = chunks.chunks.join(a.prefix()).join("notes.txt");
        fs::write(&junk, b"x").expect("junk file");
        fs::write(chunks.tmp_path(&b, 99), b"partial").expect("stale temp file");
        let listing = chunks.list().expect("list");
        assert_eq!(listing.digests, vec![a.min(b), a.max(b)]);
        assert_eq!(listing.junk, vec![format!("{}/notes.txt", a.prefix())]);
        assert!(junk.exists(), "junk must never be deleted");
        let bad = format!("{}.0.bad", a.to_hex());
        assert!(chunks.chunks.join(a.prefix()).join(bad).exists());
    }

    #[test]
    fn failed_write_reports_path_and_keeps_old_chunk() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"good");
        chunks.write(&d, b"good", 7).expect("write");
        // Root ignores permission bits: block the next temporary name with a directory.
        let obstacle = chunks.tmp_path(&d, chunks.next_tmp.load(Ordering::Relaxed));
        fs::create_dir(&obstacle).expect("obstacle");
        let err = chunks.write(&d, b"bad!", 8).expect_err("write must fail");
        let text = format!("{err:#}");
        assert!(
            text.starts_with("writing chunk") && text.contains(&d.to_hex()),
            "{text}"
        );
        let data = chunks.read(&d).expect("read");
        assert_eq!(data.as_deref(), Some(&b"good"[..]));
        assert_eq!(chunks.inspect(&d), stat(4, 7));
        assert!(obstacle.is_dir(), "someone else's path is left alone");
    }

    #[test]
    fn prefix_path_that_is_a_file_fails_clearly() {
        let (_tmp, chunks) = dir();
        let d = Digest::of(b"blocked");
        fs::write(chunks.chunks.join(d.prefix()), b"not a dir").expect("blocker");
        let err = chunks.write(&d, b"x", 1).expect_err("write must fail");
        let text = format!("{err:#}");
        assert!(
            text.contains(&chunks.path(&d).display().to_string()),
            "{text}"
        );
        assert_eq!(chunks.list().expect("list").junk, vec![d.prefix()]);
    }

    #[test]
    fn new_fails_with_context_when_root_is_a_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let file = tmp.path().join("file");
        fs::write(&file, b"x").expect("file");
        let err = FsChunkDir::new(&file).expect_err("must fail");
        let text = format!("{err:#}");
        assert!(text.contains("creating chunk directory"), "{text}");
    }
}
