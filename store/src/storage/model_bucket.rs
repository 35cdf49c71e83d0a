//! [`ModelBucket`]: the S3 stand-in in memory, one atomic step per operation.

use super::model_cell::ModelCell;
use super::Bucket;
use crate::digest::Digest;
use crate::platform::Platform;
use anyhow::{anyhow, Result};
use std::collections::BTreeMap;

#[derive(Default)]
struct State {
    objects: BTreeMap<Digest, Vec<u8>>,
    read_only: bool,
}

impl State {
    /// Fails (changing nothing) when the bucket is read-only.
    fn writable(&self, what: impl FnOnce() -> String) -> Result<()> {
        if self.read_only {
            Err(anyhow!("read-only file system").context(format!("model bucket: {}", what())))
        } else {
            Ok(())
        }
    }
}

/// The bucket as an in-memory map, for model checkers.
///
/// Every [`Bucket`] operation first takes a platform mutex (the scheduling point), then
/// reads or changes the state under a plain std lock; [`Bucket::inspect`] and the
/// test-support methods take only the std lock and add no scheduling point.
pub struct ModelBucket<P: Platform> {
    cell: ModelCell<P, State>,
}

impl<P: Platform> ModelBucket<P> {
    /// An empty, writable bucket.
    pub fn new() -> Self {
        Self {
            cell: ModelCell::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.cell.peek()
    }

    /// Inspection without a scheduling point: every object, sorted.
    pub fn objects(&self) -> Vec<Digest> {
        self.state().objects.keys().copied().collect()
    }

    /// Test setup, bypassing the store: while `on`, `put_if_absent` and `delete_batch` fail
    /// with "read-only file system" and change nothing.
    pub fn set_read_only(&self, on: bool) {
        self.state().read_only = on;
    }
}

impl<P: Platform> Default for ModelBucket<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Platform> Bucket for ModelBucket<P> {
    fn put_if_absent(&self, digest: &Digest, data: &[u8]) -> Result<bool> {
        let mut state = self.cell.step();
        state.writable(|| format!("putting {}", digest.chunk_key()))?;
        if state.objects.contains_key(digest) {
            return Ok(false);
        }
        state.objects.insert(*digest, data.to_vec());
        Ok(true)
    }

    fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        Ok(self.cell.step().objects.get(digest).cloned())
    }

    fn contains(&self, digest: &Digest) -> Result<bool> {
        Ok(self.cell.step().objects.contains_key(digest))
    }

    fn list(&self) -> Result<Vec<Digest>> {
        Ok(self.cell.step().objects.keys().copied().collect())
    }

    fn delete_batch(&self, digests: &[Digest]) -> Result<()> {
        let mut state = self.cell.step();
        state.writable(|| format!("deleting {} objects", digests.len()))?;
        for digest in digests {
            state.objects.remove(digest);
        }
        Ok(())
    }

    fn inspect(&self, digest: &Digest) -> bool {
        self.state().objects.contains_key(digest)
    }

    fn inspect_all(&self) -> Vec<Digest> {
        self.state().objects.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Std;

    #[test]
    fn conditional_put_twice_keeps_first_content() {
        let bucket = ModelBucket::<Std>::new();
        let d = Digest::of(b"one");
        assert!(bucket.put_if_absent(&d, b"one").expect("first put"));
        assert!(!bucket.put_if_absent(&d, b"other").expect("second put"));
        assert_eq!(bucket.get(&d).expect("get"), Some(b"one".to_vec()));
        assert!(bucket.inspect(&d));
    }

    #[test]
    fn list_sorted_and_delete_ignores_missing() {
        let bucket = ModelBucket::<Std>::default();
        let mut digests: Vec<Digest> = (0u8..5).map(|i| Digest::of(&[i])).collect();
        for d in digests.iter().rev() {
            bucket.put_if_absent(d, b"x").expect("put");
        }
        digests.sort();
        assert_eq!(bucket.list().expect("list"), digests);
        assert_eq!(bucket.objects(), digests);
        let missing = Digest::of(b"missing");
        bucket.delete_batch(&[digests[0], missing]).expect("delete");
        assert_eq!(bucket.list().expect("list"), digests[1..].to_vec());
        assert!(!bucket.inspect(&digests[0]));
        assert_eq!(bucket.get(&digests[0]).expect("get"), None);
    }

    #[test]
    fn read_only_fails_and_changes_nothing() {
        let bucket = ModelBucket::<Std>::new();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        bucket.put_if_absent(&a, b"a").expect("put");
        bucket.set_read_only(true);
        let err = bucket.put_if_absent(&b, b"b").expect_err("put must fail");
        assert!(
            format!("{err:#}").contains("read-only file system"),
            "{err:#}"
        );
        assert!(bucket.delete_batch(&[a]).is_err());
        assert_eq!(bucket.objects(), vec![a]);
        assert_eq!(bucket.get(&a).expect("get works"), Some(b"a".to_vec()));
        bucket.set_read_only(false);
        assert!(bucket.put_if_absent(&b, b"b").expect("writable again"));
    }

    #[test]
    fn contains_answers_without_content() {
        let bucket = ModelBucket::<Std>::new();
        crate::storage::contract::contains_answers_without_content(&bucket);
    }
}
