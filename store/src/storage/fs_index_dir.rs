//! Index files on the file system: `<root>/<type>/<id>/<time>/<name>.didx`.
//!
//! An index is written whole as `<name>.tmp_didx`, synced, and renamed to `<name>.didx` when
//! it is complete, then the snapshot directory is synced; only `.didx` files are listed, so
//! GC never reads a partial index, and a crash leaves at most a `.tmp_didx` nobody reads. Group and index
//! names are checked before they become paths, so no name can escape the root.

use super::{IndexDir, PUBLISHED, UNPUBLISHED};
use crate::error::StoreError;
use crate::ids::{check_group_name, check_index_name, SnapshotId};
use anyhow::{Context, Result};
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// An [`IndexDir`] on the local file system.
#[derive(Debug)]
pub struct FsIndexDir {
    /// The datastore directory holding the backup groups.
    root: PathBuf,
}

impl FsIndexDir {
    /// Opens the index tree of the datastore at `root`, creating `root` if needed.
    ///
    /// # Errors
    /// When `root` cannot be created.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)
            .with_context(|| format!("creating datastore directory {}", root.display()))?;
        Ok(Self { root })
    }

    /// The directory of a backup group, after checking its name.
    fn group_dir(&self, group: &str) -> Result<PathBuf> {
        check_group_name(group)?;
        Ok(self.root.join(group))
    }

    /// The directory of a snapshot, after checking its group name.
    fn snapshot_dir(&self, snapshot: &SnapshotId) -> Result<PathBuf> {
        Ok(self
            .group_dir(&snapshot.group)?
            .join(snapshot.time.to_string()))
    }

    /// The path of `<name><ext>` in a snapshot, after checking both names.
    fn file(&self, snapshot: &SnapshotId, name: &str, ext: &str) -> Result<PathBuf> {
        check_index_name(name)?;
        Ok(self.snapshot_dir(snapshot)?.join(format!("{name}{ext}")))
    }
}

/// `StoreError::NotFound(what)` for a NotFound error (as the model reports a missing
/// snapshot or file), the error itself otherwise.
fn not_found_or(err: std::io::Error, what: impl FnOnce() -> String) -> anyhow::Error {
    if err.kind() == ErrorKind::NotFound {
        StoreError::NotFound(what()).into()
    } else {
        err.into()
    }
}

/// Whether a directory name is a snapshot time: a canonical decimal `i64`.
fn parse_time(name: &str) -> Option<i64> {
    name.parse::<i64>().ok().filter(|t| t.to_string() == name)
}

/// The entries of `dir` as (name, is a directory); `None` when `dir` does not exist.
fn entries(dir: &Path) -> Result<Option<Vec<(String, bool)>>> {
    let listed = match fs::read_dir(dir) {
        Ok(listed) => listed,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("listing {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in listed {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        found.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    Ok(Some(found))
}

/// The names of the subdirectories of `dir`; `None` when `dir` does not exist.
fn subdirs(dir: &Path) -> Result<Option<Vec<String>>> {
    let found = entries(dir)?;
    Ok(found.map(|all| all.into_iter().filter(|e| e.1).map(|e| e.0).collect()))
}

/// An index file's name and ending (`.didx` or `.tmp_didx`), when its name is a valid
/// index name.
fn split_index_file(file: &str) -> Option<(&str, &'static str)> {
    [UNPUBLISHED, PUBLISHED].into_iter().find_map(|ext| {
        let name = file.strip_suffix(ext)?;
        check_index_name(name).is_ok().then_some((name, ext))
    })
}

impl IndexDir for FsIndexDir {
    fn create_snapshot(&self, snapshot: &SnapshotId) -> Result<()> {
        let dir = self.snapshot_dir(snapshot)?;
        let group = self.root.join(&snapshot.group);
        fs::create_dir_all(&group)
            .with_context(|| format!("creating group directory {}", group.display()))?;
        fs::create_dir(&dir)
            .with_context(|| format!("creating snapshot directory {}", dir.display()))
    }

    fn write_tmp(&self, snapshot: &SnapshotId, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.file(snapshot, name, ".tmp_didx")?;
        let written = fs::File::create(&path).and_then(|mut file| {
            file.write_all(bytes)?;
            // Whole on disk before `publish` renames it into sight.
            file.sync_all()
        });
        written
            .map_err(|err| not_found_or(err, || format!("snapshot {snapshot}")))
            .with_context(|| format!("writing index {}", path.display()))
    }

    fn publish(&self, snapshot: &SnapshotId, name: &str) -> Result<()> {
        let tmp = self.file(snapshot, name, ".tmp_didx")?;
        let path = self.file(snapshot, name, ".didx")?;
        fs::rename(&tmp, &path)
            .map_err(|err| not_found_or(err, || format!("{snapshot}/{name}.tmp_didx")))
            .with_context(|| {
                format!(
                    "publishing index {}: renaming {}",
                    path.display(),
                    tmp.display()
                )
            })?;
        // The rename itself lives in the directory: synced, the publication survives a
        // power loss too.
        let dir = self.snapshot_dir(snapshot)?;
        fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing snapshot directory {}", dir.display()))
    }

    fn remove_tmp(&self, snapshot: &SnapshotId, name: &str) -> Result<()> {
        let tmp = self.file(snapshot, name, ".tmp_didx")?;
        match fs::remove_file(&tmp) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err).with_context(|| format!("removing {}", tmp.display())),
        }
    }

    fn groups(&self) -> Result<Vec<String>> {
        let mut groups = Vec::new();
        let types = subdirs(&self.root)?
            .with_context(|| format!("listing groups: {} does not exist", self.root.display()))?;
        for kind in types.into_iter().filter(|t| !t.starts_with('.')) {
            // A type directory removed since the outer listing has no groups.
            for id in subdirs(&self.root.join(&kind))?.unwrap_or_default() {
                let group = format!("{kind}/{id}");
                if check_group_name(&group).is_err() {
                    continue;
                }
                // As in the model, a group exists while it has a snapshot: an emptied group
                // directory (left by `remove_snapshot`) is not listed.
                let dir = self.root.join(&group);
                let snapshots = subdirs(&dir)?.unwrap_or_default();
                if snapshots.iter().any(|name| parse_time(name).is_some()) {
                    groups.push(group);
                }
            }
        }
        groups.sort_unstable();
        Ok(groups)
    }

    fn snapshots(&self, group: &str) -> Result<Vec<i64>> {
        let dir = self.group_dir(group)?;
        let mut times: Vec<i64> = subdirs(&dir)?
            .unwrap_or_default()
            .iter()
            .filter_map(|name| parse_time(name))
            .collect();
        times.sort_unstable();
        Ok(times)
    }

    fn files(&self, snapshot: &SnapshotId) -> Result<Option<Vec<String>>> {
        let Some(found) = entries(&self.snapshot_dir(snapshot)?)? else {
            return Ok(None);
        };
        let mut files: Vec<String> = found
            .into_iter()
            .filter(|(file, is_dir)| !is_dir && split_index_file(file).is_some())
            .map(|(file, _)| file)
            .collect();
        files.sort_unstable();
        Ok(Some(files))
    }

    fn read_file(&self, snapshot: &SnapshotId, file: &str) -> Result<Option<Vec<u8>>> {
        let (name, ext) = split_index_file(file)
            .with_context(|| format!("{snapshot}/{file} is not an index file"))?;
        let path = self.file(snapshot, name, ext)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).with_context(|| format!("reading index {}", path.display())),
        }
    }

    fn remove_snapshot(&self, snapshot: &SnapshotId) -> Result<bool> {
        let dir = self.snapshot_dir(snapshot)?;
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => {
                Err(err).with_context(|| format!("removing snapshot directory {}", dir.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_dir() -> (tempfile::TempDir, FsIndexDir) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = FsIndexDir::new(tmp.path()).expect("index dir");
        (tmp, dir)
    }

    fn snap(group: &str, time: i64) -> SnapshotId {
        SnapshotId {
            group: group.to_string(),
            time,
        }
    }

    #[test]
    fn read_file_refuses_names_that_are_not_index_files() {
        let (tmp, dir) = index_dir();
        let s = snap("vm/100", 10);
        dir.create_snapshot(&s).expect("create");
        std::fs::write(tmp.path().join("vm/secret.didx"), b"x").expect("a file outside");
        for bad in [
            "../secret.didx",
            "a/b.didx",
            ".hidden.didx",
            "notes.txt",
            "x.didx.bak",
        ] {
            let err = dir.read_file(&s, bad).expect_err(bad);
            assert!(
                format!("{err:#}").contains("not an index file"),
                "{bad}: {err:#}"
            );
        }
        std::fs::write(tmp.path().join("vm/100/10/notes.txt"), b"x").expect("junk");
        assert_eq!(
            dir.files(&s).expect("files"),
            Some(vec![]),
            "junk is not listed"
        );
    }

    #[test]
    fn create_snapshot_twice_fails() {
        let (_tmp, dir) = index_dir();
        let s = snap("vm/100", 10);
        dir.create_snapshot(&s).expect("create");
        let err = dir
            .create_snapshot(&s)
            .expect_err("second create must fail");
        assert!(
            format!("{err:#}").contains("creating snapshot directory"),
            "{err:#}"
        );
        let err = dir
            .create_snapshot(&snap("../x", 1))
            .expect_err("bad group");
        assert!(
            matches!(StoreError::of(&err), Some(StoreError::BadName(_))),
            "{err:#}"
        );
    }

    #[test]
    fn tmp_is_hidden_until_published() {
        let (_tmp, dir) = index_dir();
        let s = snap("vm/100", 10);
        assert_eq!(dir.indexes(&s).expect("indexes"), None);
        dir.create_snapshot(&s).expect("create");
        dir.write_tmp(&s, "disk.img", b"index bytes")
            .expect("write tmp");
        assert_eq!(dir.indexes(&s).expect("indexes"), Some(vec![]));
        assert_eq!(dir.read(&s, "disk.img").expect("read"), None);
        dir.publish(&s, "disk.img").expect("publish");
        assert_eq!(
            dir.indexes(&s).expect("indexes"),
            Some(vec!["disk.img".to_string()])
        );
        assert_eq!(
            dir.read(&s, "disk.img").expect("read").as_deref(),
            Some(&b"index bytes"[..])
        );
        let err = dir.publish(&s, "other").expect_err("nothing to publish");
        assert!(format!("{err:#}").contains("other.tmp_didx"), "{err:#}");
        assert!(
            matches!(StoreError::of(&err), Some(StoreError::NotFound(_))),
            "{err:#}"
        );
        let gone = snap("vm/100", 11);
        let err = dir.write_tmp(&gone, "a", b"x").expect_err("no snapshot");
        assert!(
            matches!(StoreError::of(&err), Some(StoreError::NotFound(_))),
            "{err:#}"
        );
    }

    #[test]
    fn remove_tmp_ignores_missing() {
        let (_tmp, dir) = index_dir();
        let s = snap("ct/7", 1);
        dir.create_snapshot(&s).expect("create");
        dir.remove_tmp(&s, "a").expect("remove missing tmp");
        dir.write_tmp(&s, "a", b"x").expect("write tmp");
        dir.remove_tmp(&s, "a").expect("remove tmp");
        dir.publish(&s, "a").expect_err("tmp is gone");
    }

    #[test]
    fn remove_snapshot_reports_whether_it_existed() {
        let (_tmp, dir) = index_dir();
        let s = snap("vm/100", 10);
        assert!(!dir.remove_snapshot(&s).expect("remove missing"));
        dir.create_snapshot(&s).expect("create");
        dir.write_tmp(&s, "a", b"x").expect("write tmp");
        dir.publish(&s, "a").expect("publish");
        assert!(dir.remove_snapshot(&s).expect("remove"));
        assert_eq!(dir.indexes(&s).expect("indexes"), None);
        assert_eq!(dir.read(&s, "a").expect("read"), None);
        assert_eq!(
            dir.snapshots("vm/100").expect("snapshots"),
            Vec::<i64>::new()
        );
        assert!(dir.groups().expect("groups").is_empty(), "emptied group");
    }

    #[test]
    fn groups_and_snapshots_are_sorted_and_skip_hidden() {
        let (tmp, dir) = index_dir();
        fs::create_dir_all(tmp.path().join(".chunks/abcd")).expect("chunk dir");
        fs::write(tmp.path().join(".lock"), b"").expect("lock file");
        fs::create_dir_all(tmp.path().join("vm/BAD")).expect("bad group");
        for (group, time) in [("vm/200", 5), ("vm/100", 30), ("ct/1", 1), ("vm/100", 4)] {
            dir.create_snapshot(&snap(group, time)).expect("create");
        }
        fs::create_dir(tmp.path().join("vm/100/notatime")).expect("stray dir");
        fs::write(tmp.path().join("vm/100/99"), b"").expect("stray file");
        assert_eq!(
            dir.groups().expect("groups"),
            vec!["ct/1", "vm/100", "vm/200"]
        );
        assert_eq!(dir.snapshots("vm/100").expect("snapshots"), vec![4, 30]);
        assert_eq!(
            dir.snapshots("vm/999").expect("snapshots"),
            Vec::<i64>::new()
        );
    }
    #[test]
    fn inspect_follows_the_contract() {
        let (_tmp, dir) = index_dir();
        crate::storage::contract::inspect_visits_published_indexes(&dir);
    }
}
