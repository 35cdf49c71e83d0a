//! The S3 stand-in on the file system: one file per object at `<root>/.chunks/XXXX/<hex>`.
//!
//! A conditional put writes a temporary file and hard-links it to the object's name:
//! `link(2)` fails with `EEXIST` when the name is taken, so "put if absent" is atomic
//! without any lock, and a reader never sees a partial object.

use super::Bucket;
use crate::digest::Digest;
use anyhow::{Context, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Numbers the instances of this process, so their temporary names never collide.
static INSTANCES: AtomicU64 = AtomicU64::new(0);

/// A [`Bucket`] kept in a local directory.
#[derive(Debug)]
pub struct FsBucket {
    /// The bucket's directory; objects live under `.chunks/` in it.
    root: PathBuf,
    /// This instance's number, part of its temporary file names.
    instance: u64,
    /// The next temporary file number of this instance.
    next_tmp: AtomicU64,
}

impl FsBucket {
    /// Opens the bucket directory `root`, creating it if needed.
    ///
    /// # Errors
    /// When `root` cannot be created.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        fs::create_dir_all(&root)
            .with_context(|| format!("creating bucket directory {}", root.display()))?;
        Ok(Self {
            root,
            instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
            next_tmp: AtomicU64::new(0),
        })
    }

    /// The path of an object.
    fn path(&self, digest: &Digest) -> PathBuf {
        self.root.join(digest.chunk_key())
    }
}

impl Bucket for FsBucket {
    fn put_if_absent(&self, digest: &Digest, data: &[u8]) -> Result<bool> {
        let path = self.path(digest);
        let dir = self.root.join(".chunks").join(digest.prefix());
        fs::create_dir_all(&dir).with_context(|| {
            format!(
                "putting object {}: creating {}",
                path.display(),
                dir.display()
            )
        })?;
        let n = self.next_tmp.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(
            "{}.tmp_{}_{}_{}",
            digest.to_hex(),
            std::process::id(),
            self.instance,
            n
        ));
        let written = match fs::write(&tmp, data) {
            Ok(()) => match fs::hard_link(&tmp, &path) {
                Ok(()) => Ok(true),
                Err(err) if err.kind() == ErrorKind::AlreadyExists => Ok(false),
                Err(err) => Err(err).with_context(|| {
                    format!(
                        "putting object {}: linking {}",
                        path.display(),
                        tmp.display()
                    )
                }),
            },
            Err(err) => Err(err).with_context(|| {
                format!(
                    "putting object {}: writing {}",
                    path.display(),
                    tmp.display()
                )
            }),
        };
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) if written.is_ok() => {
                return Err(err).with_context(|| {
                    format!(
                        "putting object {}: removing {}",
                        path.display(),
                        tmp.display()
                    )
                })
            }
            Err(_) => {} // the earlier error is the one to report
        }
        written
    }

    fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let path = self.path(digest);
        match fs::read(&path) {
            Ok(data) => Ok(Some(data)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).with_context(|| format!("getting object {}", path.display())),
        }
    }

    fn contains(&self, digest: &Digest) -> Result<bool> {
        let path = self.path(digest);
        match fs::metadata(&path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err).with_context(|| format!("looking up object {}", path.display())),
        }
    }

    fn list(&self) -> Result<Vec<Digest>> {
        let chunks = self.root.join(".chunks");
        let mut digests = Vec::new();
        let top = match fs::read_dir(&chunks) {
            Ok(top) => top,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(digests),
            Err(err) => {
                return Err(err).with_context(|| format!("listing bucket {}", chunks.display()))
            }
        };
        for entry in top {
            let entry = entry.with_context(|| format!("listing bucket {}", chunks.display()))?;
            let prefix = entry.file_name().to_string_lossy().into_owned();
            let dir = entry.path();
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                // Not a directory, or removed since the outer listing: no objects there.
                Err(err)
                    if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) =>
                {
                    continue
                }
                Err(err) => {
                    return Err(err).with_context(|| format!("listing bucket {}", dir.display()))
                }
            };
            for entry in entries {
                let entry = entry.with_context(|| format!("listing bucket {}", dir.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Ok(d) = Digest::from_hex(&name) {
                    if d.to_hex() == name && d.prefix() == prefix {
                        digests.push(d);
                    }
                }
            }
        }
        digests.sort_unstable();
        Ok(digests)
    }

    fn delete_batch(&self, digests: &[Digest]) -> Result<()> {
        for digest in digests {
            let path = self.path(digest);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => {
                    return Err(err).with_context(|| format!("deleting object {}", path.display()))
                }
            }
        }
        Ok(())
    }

    fn inspect(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    fn inspect_all(&self) -> Vec<Digest> {
        self.list().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> (tempfile::TempDir, FsBucket) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let bucket = FsBucket::new(tmp.path().join("bucket")).expect("bucket");
        (tmp, bucket)
    }

    #[test]
    fn put_if_absent_twice_keeps_first_content() {
        let (_tmp, bucket) = bucket();
        let d = Digest::of(b"one");
        assert_eq!(bucket.get(&d).expect("get"), None);
        assert!(!bucket.inspect(&d));
        assert!(bucket.put_if_absent(&d, b"one").expect("put"));
        assert!(!bucket.put_if_absent(&d, b"other").expect("second put"));
        assert_eq!(bucket.get(&d).expect("get").as_deref(), Some(&b"one"[..]));
        assert!(bucket.inspect(&d));
        let dir = bucket.root.join(".chunks").join(d.prefix());
        let names: Vec<_> = fs::read_dir(&dir).expect("read dir").collect();
        assert_eq!(names.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn list_is_sorted_and_skips_other_names() {
        let (_tmp, bucket) = bucket();
        let mut digests: Vec<Digest> = (0..20u8).map(|i| Digest::of(&[i])).collect();
        for d in &digests {
            assert!(bucket.put_if_absent(d, &d.0).expect("put"));
        }
        fs::write(bucket.root.join(".chunks").join("stray"), b"x").expect("stray file");
        let dir = bucket.root.join(".chunks").join(digests[0].prefix());
        fs::write(dir.join("not-a-digest"), b"x").expect("stray object");
        digests.sort();
        assert_eq!(bucket.list().expect("list"), digests);
    }

    #[test]
    fn delete_batch_ignores_missing() {
        let (_tmp, bucket) = bucket();
        let (a, b, c) = (Digest::of(b"a"), Digest::of(b"b"), Digest::of(b"c"));
        bucket.put_if_absent(&a, b"a").expect("put a");
        bucket.put_if_absent(&b, b"b").expect("put b");
        bucket.delete_batch(&[a, c]).expect("delete");
        assert_eq!(bucket.list().expect("list"), vec![b]);
        assert!(!bucket.inspect(&a));
        bucket.delete_batch(&[a, b, c]).expect("delete again");
        assert_eq!(bucket.list().expect("list"), Vec::<Digest>::new());
    }

    #[test]
    fn contains_answers_without_content() {
        let (_tmp, bucket) = bucket();
        crate::storage::contract::contains_answers_without_content(&bucket);
    }
}
