//! [`ModelBucket`]: the S3 stand-in in memory, one atomic step per operation.

use super::fault::{Errno, Fault, FaultSource, Site, StorageFault};
use super::model_cell::{ModelCell, Step};
use super::Bucket;
use crate::digest::Digest;
use crate::platform::Platform;
use anyhow::{anyhow, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[derive(Default)]
struct State {
    objects: BTreeMap<Digest, Vec<u8>>,
    /// Objects lost behind the store's back (an injected [`Fault::LostObject`]) and not put
    /// again since.
    lost: BTreeSet<Digest>,
    /// The last change to the set of objects, which a stale listing does not show yet.
    last_change: Option<Change>,
    read_only: bool,
}

/// A change to the set of objects in the bucket.
#[derive(Clone, Debug)]
enum Change {
    /// This object was put.
    Put(Digest),
    /// These objects were deleted (or lost).
    Gone(Vec<Digest>),
}

impl Change {
    /// The object a stale listing misses (the one put), else the first one it still lists.
    fn digest(&self) -> Option<&Digest> {
        match self {
            Change::Put(digest) => Some(digest),
            Change::Gone(digests) => digests.first(),
        }
    }
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

    /// From now on, `source` decides where faults land (see [`super::fault`]).
    pub fn set_faults(&self, source: Option<Arc<dyn FaultSource>>) {
        self.cell.set_faults(source);
    }

    /// One operation's step at `site` on `digest`: an injected I/O error fails it, a lost
    /// object vanishes before it acts; any other fault is the caller's to apply.
    fn op(
        &self,
        site: Site,
        digest: Option<&Digest>,
        what: impl FnOnce() -> String,
    ) -> Result<(Step<'_, P, State>, Option<Fault>)> {
        let (mut state, fault) = self.cell.step_at(site, digest);
        if let Some(err) = fault.and_then(|f| f.failure(site)) {
            return Err(err.context(format!("model bucket: {}", what())));
        }
        match (fault, digest) {
            (Some(Fault::LostObject), Some(digest)) => {
                if state.objects.remove(digest).is_some() {
                    state.lost.insert(*digest);
                    state.last_change = Some(Change::Gone(vec![*digest]));
                }
                Ok((state, None))
            }
            (fault, _) => Ok((state, fault)),
        }
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
        let putting = || format!("putting {}", digest.chunk_key());
        let (mut state, _) = self.op(Site::BucketPut, Some(digest), putting)?;
        state.writable(putting)?;
        if state.objects.contains_key(digest) {
            return Ok(false);
        }
        state.objects.insert(*digest, data.to_vec());
        state.lost.remove(digest);
        state.last_change = Some(Change::Put(*digest));
        Ok(true)
    }

    fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let getting = || format!("getting {}", digest.chunk_key());
        let (state, _) = self.op(Site::BucketGet, Some(digest), getting)?;
        Ok(state.objects.get(digest).cloned())
    }

    fn contains(&self, digest: &Digest) -> Result<bool> {
        let heading = || format!("looking up {}", digest.chunk_key());
        let (state, _) = self.op(Site::BucketContains, Some(digest), heading)?;
        Ok(state.objects.contains_key(digest))
    }

    fn list(&self) -> Result<Vec<Digest>> {
        let last = |state: &State| state.last_change.as_ref().and_then(Change::digest).copied();
        let (state, fault) = self.cell.step_naming(Site::BucketList, last);
        if let Some(err) = fault.and_then(|f| f.failure(Site::BucketList)) {
            return Err(err.context("model bucket: listing"));
        }
        let mut listed: BTreeSet<Digest> = state.objects.keys().copied().collect();
        if let (Some(Fault::StaleListing), Some(change)) = (fault, &state.last_change) {
            match change {
                Change::Put(digest) => {
                    listed.remove(digest);
                }
                Change::Gone(digests) => listed.extend(digests.iter().copied()),
            }
        }
        Ok(listed.into_iter().collect())
    }

    fn delete_batch(&self, digests: &[Digest]) -> Result<()> {
        let deleting = || format!("deleting {} objects", digests.len());
        let (mut state, fault) = self.op(Site::BucketDelete, None, deleting)?;
        state.writable(deleting)?;
        // A partial delete: the first half goes, then the request fails.
        let done = match fault {
            Some(Fault::PartialDelete) => digests.len() / 2,
            _ => digests.len(),
        };
        let gone: Vec<Digest> = digests[..done]
            .iter()
            .filter(|digest| state.objects.remove(*digest).is_some())
            .copied()
            .collect();
        if !gone.is_empty() {
            state.last_change = Some(Change::Gone(gone));
        }
        if done < digests.len() {
            let fault = StorageFault {
                site: Site::BucketDelete,
                errno: Errno::Eio,
            };
            return Err(anyhow::Error::new(fault).context(format!(
                "model bucket: deleting {} objects ({done} deleted)",
                digests.len()
            )));
        }
        Ok(())
    }

    fn inspect_lost(&self, digest: &Digest) -> bool {
        self.state().lost.contains(digest)
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

    /// Lands `fault` at every operation of `site`, naming what the operation named.
    struct Always(Site, Fault, std::sync::Mutex<Vec<Option<Digest>>>);

    impl FaultSource for Always {
        fn decide(&self, site: Site, digest: Option<&Digest>) -> Option<Fault> {
            self.2.lock().expect("names").push(digest.copied());
            (site == self.0).then_some(self.1)
        }
    }

    #[test]
    fn a_stale_listing_lags_one_change_behind() {
        let bucket = ModelBucket::<Std>::new();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        let source = Arc::new(Always(
            Site::BucketList,
            Fault::StaleListing,
            Default::default(),
        ));
        bucket.set_faults(Some(source.clone()));
        assert_eq!(bucket.list().expect("list"), vec![], "nothing changed yet");
        bucket.put_if_absent(&a, b"a").expect("put");
        bucket.put_if_absent(&b, b"b").expect("put");
        assert_eq!(bucket.list().expect("list"), vec![a], "misses the put of b");
        bucket.delete_batch(&[a, b]).expect("delete");
        let mut both = vec![a, b];
        both.sort();
        assert_eq!(bucket.list().expect("list"), both, "still lists both");
        assert_eq!(bucket.objects(), vec![], "while both are gone");
        let named = source.2.lock().expect("names").clone();
        let lists: Vec<_> = [0, 3, 5].iter().map(|i| named[*i]).collect();
        assert_eq!(
            lists,
            [None, Some(b), Some(a)],
            "the fault names the change"
        );
    }
}
