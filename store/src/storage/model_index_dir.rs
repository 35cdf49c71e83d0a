//! [`ModelIndexDir`]: the index files in memory, one atomic step per operation.

use super::fault::{FaultSource, Site};
use super::model_cell::{ModelCell, Step};
use super::{decode_or_nothing, IndexDir, IndexVisitor};
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::SnapshotId;
use crate::platform::Platform;
use anyhow::{anyhow, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Snapshot directories and their files, by file name (with extension).
type State = BTreeMap<SnapshotId, BTreeMap<String, Vec<u8>>>;

fn tmp_name(name: &str) -> String {
    format!("{name}.tmp_didx")
}

fn didx_name(name: &str) -> String {
    format!("{name}.didx")
}

/// The index directory tree as an in-memory map, for model checkers.
///
/// Every [`IndexDir`] operation first takes a platform mutex (the scheduling point), then
/// reads or changes the state under a plain std lock; [`ModelIndexDir::put_raw`] takes only
/// the std lock and adds no scheduling point.
pub struct ModelIndexDir<P: Platform> {
    cell: ModelCell<P, State>,
    /// The digests of every index content [`IndexDir::inspect`] has decoded: an oracle
    /// inspects the indexes at every remove, and decoding checks a sha256 each time.
    decoded: std::sync::Mutex<BTreeMap<Vec<u8>, Vec<Digest>>>,
}

impl<P: Platform> ModelIndexDir<P> {
    /// An empty index directory.
    pub fn new() -> Self {
        Self {
            cell: ModelCell::new(State::new()),
            decoded: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.cell.peek()
    }

    /// From now on, `source` decides where faults land (see [`super::fault`]).
    pub fn set_faults(&self, source: Option<Arc<dyn FaultSource>>) {
        self.cell.set_faults(source);
    }

    /// One operation's step at `site`; an injected I/O error fails it.
    fn op(&self, site: Site, what: impl FnOnce() -> String) -> Result<Step<'_, P, State>> {
        self.cell
            .step_or_fail(site, None, || format!("model index dir: {}", what()))
    }

    /// Test setup, bypassing the store: writes a published `<name>.didx` with `bytes` as is
    /// (creating the snapshot if needed), e.g. to plant a corrupt index file.
    pub fn put_raw(&self, snapshot: &SnapshotId, name: &str, bytes: Vec<u8>) {
        self.state()
            .entry(snapshot.clone())
            .or_default()
            .insert(didx_name(name), bytes);
    }
}

impl<P: Platform> Default for ModelIndexDir<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// The error for a missing snapshot or file, with `StoreError::NotFound` at its root.
fn not_found(what: String, doing: String) -> anyhow::Error {
    anyhow::Error::new(StoreError::NotFound(what)).context(format!("model index dir: {doing}"))
}

impl<P: Platform> IndexDir for ModelIndexDir<P> {
    fn create_snapshot(&self, snapshot: &SnapshotId) -> Result<()> {
        let mut state = self.op(Site::IndexCreate, || {
            format!("creating snapshot {snapshot}")
        })?;
        if state.contains_key(snapshot) {
            return Err(anyhow!("snapshot directory already exists"))
                .with_context(|| format!("model index dir: creating snapshot {snapshot}"));
        }
        state.insert(snapshot.clone(), BTreeMap::new());
        Ok(())
    }

    fn write_tmp(&self, snapshot: &SnapshotId, name: &str, bytes: &[u8]) -> Result<()> {
        let mut state = self.op(Site::IndexWrite, || {
            format!("writing {snapshot}/{}", tmp_name(name))
        })?;
        let doing = || format!("writing {snapshot}/{}", tmp_name(name));
        let files = state
            .get_mut(snapshot)
            .ok_or_else(|| not_found(format!("snapshot {snapshot}"), doing()))?;
        files.insert(tmp_name(name), bytes.to_vec());
        Ok(())
    }

    fn publish(&self, snapshot: &SnapshotId, name: &str) -> Result<()> {
        let mut state = self.op(Site::IndexPublish, || {
            format!("publishing {snapshot}/{}", didx_name(name))
        })?;
        let tmp = tmp_name(name);
        let doing = || format!("publishing {snapshot}/{tmp}");
        let files = state
            .get_mut(snapshot)
            .ok_or_else(|| not_found(format!("snapshot {snapshot}"), doing()))?;
        let bytes = files
            .remove(&tmp)
            .ok_or_else(|| not_found(format!("{snapshot}/{tmp}"), doing()))?;
        files.insert(didx_name(name), bytes);
        Ok(())
    }

    fn remove_tmp(&self, snapshot: &SnapshotId, name: &str) -> Result<()> {
        let mut state = self.op(Site::IndexRemove, || {
            format!("removing {snapshot}/{}", tmp_name(name))
        })?;
        if let Some(files) = state.get_mut(snapshot) {
            files.remove(&tmp_name(name));
        }
        Ok(())
    }

    fn groups(&self) -> Result<Vec<String>> {
        let state = self.op(Site::IndexList, || "listing groups".to_string())?;
        let groups: BTreeSet<String> = state.keys().map(|s| s.group.clone()).collect();
        Ok(groups.into_iter().collect())
    }

    fn snapshots(&self, group: &str) -> Result<Vec<i64>> {
        let state = self.op(Site::IndexList, || format!("listing snapshots of {group}"))?;
        Ok(state
            .keys()
            .filter(|s| s.group == group)
            .map(|s| s.time)
            .collect())
    }

    fn files(&self, snapshot: &SnapshotId) -> Result<Option<Vec<String>>> {
        let state = self.op(Site::IndexList, || format!("listing indexes of {snapshot}"))?;
        Ok(state
            .get(snapshot)
            .map(|files| files.keys().cloned().collect()))
    }

    fn read_file(&self, snapshot: &SnapshotId, file: &str) -> Result<Option<Vec<u8>>> {
        let state = self.op(Site::IndexRead, || format!("reading {snapshot}/{file}"))?;
        Ok(state
            .get(snapshot)
            .and_then(|files| files.get(file))
            .cloned())
    }

    fn remove_snapshot(&self, snapshot: &SnapshotId) -> Result<bool> {
        let mut state = self.op(Site::IndexRemove, || {
            format!("removing snapshot {snapshot}")
        })?;
        Ok(state.remove(snapshot).is_some())
    }

    fn inspect(&self, visit: &mut IndexVisitor<'_>) {
        let state = self.state();
        let mut decoded = self.decoded.lock().unwrap_or_else(|e| e.into_inner());
        for (snapshot, files) in state.iter() {
            for (file, bytes) in files {
                let Some(name) = file.strip_suffix(".didx") else {
                    continue;
                };
                if !decoded.contains_key(bytes) {
                    decoded.insert(bytes.clone(), decode_or_nothing(Some(bytes)));
                }
                if visit(snapshot, name, &decoded[bytes]).is_break() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Std;

    fn snap(group: &str, time: i64) -> SnapshotId {
        SnapshotId {
            group: group.to_string(),
            time,
        }
    }

    #[test]
    fn tmp_is_invisible_until_publish() {
        let dir = ModelIndexDir::<Std>::new();
        let s = snap("vm/100", 1);
        dir.create_snapshot(&s).expect("create");
        let err = dir
            .create_snapshot(&s)
            .expect_err("second create must fail");
        assert!(format!("{err:#}").contains("exists"), "{err:#}");
        dir.write_tmp(&s, "disk.img", b"idx").expect("write tmp");
        assert_eq!(dir.indexes(&s).expect("indexes"), Some(vec![]));
        assert_eq!(dir.read(&s, "disk.img").expect("read"), None);
        dir.publish(&s, "disk.img").expect("publish");
        assert_eq!(
            dir.indexes(&s).expect("indexes"),
            Some(vec!["disk.img".to_string()])
        );
        assert_eq!(
            dir.read(&s, "disk.img").expect("read"),
            Some(b"idx".to_vec())
        );
        let err = dir.publish(&s, "disk.img").expect_err("tmp is gone");
        assert!(
            matches!(StoreError::of(&err), Some(StoreError::NotFound(_))),
            "{err:#}"
        );
    }

    #[test]
    fn missing_snapshot_and_remove_tmp() {
        let dir = ModelIndexDir::<Std>::new();
        let s = snap("vm/100", 1);
        let err = dir.write_tmp(&s, "a", b"x").expect_err("no snapshot");
        assert!(
            format!("{err:#}").contains("vm/100/1/a.tmp_didx"),
            "{err:#}"
        );
        assert_eq!(dir.indexes(&s).expect("indexes"), None);
        dir.create_snapshot(&s).expect("create");
        dir.write_tmp(&s, "a", b"x").expect("write tmp");
        dir.remove_tmp(&s, "a").expect("remove tmp");
        dir.remove_tmp(&s, "a").expect("remove missing tmp");
        assert!(dir.publish(&s, "a").is_err());
        assert_eq!(dir.indexes(&s).expect("indexes"), Some(vec![]));
    }

    #[test]
    fn remove_snapshot_and_put_raw() {
        let dir = ModelIndexDir::<Std>::new();
        let s = snap("ct/7", 3);
        dir.put_raw(&s, "root.pxar", b"garbage".to_vec());
        assert_eq!(
            dir.read(&s, "root.pxar").expect("read"),
            Some(b"garbage".to_vec())
        );
        assert!(dir.remove_snapshot(&s).expect("remove"));
        assert!(!dir.remove_snapshot(&s).expect("remove again"));
        assert_eq!(dir.read(&s, "root.pxar").expect("read"), None);
        assert_eq!(dir.indexes(&s).expect("indexes"), None);
        assert!(dir.groups().expect("groups").is_empty());
    }

    #[test]
    fn groups_and_snapshots_are_sorted() {
        let dir = ModelIndexDir::<Std>::new();
        for (group, time) in [("vm/200", 5), ("ct/1", 9), ("vm/200", 2), ("vm/100", 7)] {
            dir.create_snapshot(&snap(group, time)).expect("create");
        }
        assert_eq!(
            dir.groups().expect("groups"),
            vec!["ct/1", "vm/100", "vm/200"]
        );
        assert_eq!(dir.snapshots("vm/200").expect("snapshots"), vec![2, 5]);
        assert!(dir.snapshots("vm/999").expect("snapshots").is_empty());
    }
    #[test]
    fn inspect_follows_the_contract() {
        crate::storage::contract::inspect_visits_published_indexes(&ModelIndexDir::<Std>::new());
    }
}
