//! [`ModelChunkDir`]: the chunk directory in memory, one atomic step per operation.

use super::fault::{FaultSource, Site};
use super::model_cell::{ModelCell, Step};
use super::{ChunkDir, ChunkStat, Listing};
use crate::digest::Digest;
use crate::platform::Platform;
use anyhow::{anyhow, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One chunk file: its content, access time and inode number.
struct Entry {
    data: Vec<u8>,
    atime: i64,
    inode: u64,
    /// Whether `data` hashes to the digest, once an oracle asked ([`ChunkDir::inspect_intact`]);
    /// cleared whenever `data` changes.
    intact: Option<bool>,
}

#[derive(Default)]
struct State {
    chunks: BTreeMap<Digest, Entry>,
    /// Quarantined files by name, `<hex>.N.bad`.
    bad: BTreeMap<String, Vec<u8>>,
    junk: BTreeSet<String>,
    next_inode: u64,
    read_only: bool,
}

impl State {
    /// Puts a new file (a new inode) in place, as a temporary file renamed over the old one.
    fn insert(&mut self, digest: &Digest, data: Vec<u8>, atime: i64) {
        self.next_inode += 1;
        let inode = self.next_inode;
        let entry = Entry {
            data,
            atime,
            inode,
            intact: None,
        };
        self.chunks.insert(*digest, entry);
    }

    fn set_atime(&mut self, digest: &Digest, atime: i64) -> bool {
        let entry = self.chunks.get_mut(digest);
        entry.map(|entry| entry.atime = atime).is_some()
    }

    /// Fails (changing nothing) when the directory is read-only.
    fn writable(&self, what: &str, digest: &Digest) -> Result<()> {
        if self.read_only {
            Err(anyhow!("read-only file system")
                .context(format!("model chunk dir: {what} {}", digest.chunk_key())))
        } else {
            Ok(())
        }
    }
}

/// The chunk directory as an in-memory map, for model checkers.
///
/// Every [`ChunkDir`] operation first takes a platform mutex (the scheduling point), then
/// reads or changes the state under a plain std lock; [`ChunkDir::inspect`] and the
/// test-support methods take only the std lock and add no scheduling point.
pub struct ModelChunkDir<P: Platform> {
    cell: ModelCell<P, State>,
}

impl<P: Platform> ModelChunkDir<P> {
    /// An empty, writable chunk directory.
    pub fn new() -> Self {
        Self {
            cell: ModelCell::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.cell.peek()
    }

    /// Test setup, bypassing the store: replaces a chunk file's content in place, keeping its
    /// atime and inode (bit rot). When there is no such file, one is created with atime 0.
    pub fn corrupt(&self, digest: &Digest, data: Vec<u8>) {
        let mut state = self.state();
        if let Some(entry) = state.chunks.get_mut(digest) {
            entry.data = data;
            entry.intact = None;
        } else {
            state.insert(digest, data, 0);
        }
    }

    /// Test setup, bypassing the store: the chunk's file is lost (a cache disk replaced, a
    /// cleanup); `false` when there was none.
    pub fn lose(&self, digest: &Digest) -> bool {
        self.state().chunks.remove(digest).is_some()
    }

    /// Test setup, bypassing the store: adds a junk name (neither chunk nor `.bad` file).
    pub fn add_junk(&self, name: &str) {
        self.state().junk.insert(name.to_string());
    }

    /// Test setup, bypassing the store: sets a chunk file's atime; `false` when there is none.
    pub fn set_atime(&self, digest: &Digest, atime: i64) -> bool {
        self.state().set_atime(digest, atime)
    }

    /// Test setup, bypassing the store: while `on`, `write`, `touch`, `remove` and
    /// `quarantine` fail with "read-only file system" and change nothing (an unwritable
    /// directory or a full disk).
    pub fn set_read_only(&self, on: bool) {
        self.state().read_only = on;
    }

    /// Inspection without a scheduling point: every chunk file, sorted.
    pub fn digests(&self) -> Vec<Digest> {
        self.state().chunks.keys().copied().collect()
    }

    /// Inspection without a scheduling point: the quarantined file names, sorted.
    pub fn quarantined(&self) -> Vec<String> {
        self.state().bad.keys().cloned().collect()
    }

    /// From now on, `source` decides where faults land (see [`super::fault`]).
    pub fn set_faults(&self, source: Option<Arc<dyn FaultSource>>) {
        self.cell.set_faults(source);
    }

    /// One operation's step at `site` on `digest`; an injected I/O error fails it.
    fn op(&self, site: Site, what: &str, digest: &Digest) -> Result<Step<'_, P, State>> {
        self.cell.step_or_fail(site, Some(digest), || {
            format!("model chunk dir: {what} {}", digest.chunk_key())
        })
    }

    /// As [`Self::op`], reading the clock (`now`) inside the step: the time the operation
    /// stamps.
    fn op_at_time(
        &self,
        site: Site,
        what: &str,
        digest: &Digest,
        now: &dyn Fn() -> i64,
    ) -> Result<(Step<'_, P, State>, i64)> {
        let name = || format!("model chunk dir: {what} {}", digest.chunk_key());
        self.cell.step_or_fail_at_time(site, digest, name, now)
    }

    /// Inspection without a scheduling point: a chunk file's inode (new on every write).
    pub fn inode(&self, digest: &Digest) -> Option<u64> {
        self.state().chunks.get(digest).map(|entry| entry.inode)
    }
}

impl<P: Platform> Default for ModelChunkDir<P> {
    fn default() -> Self {
        Self::new()
    }
}

fn stat_of(entry: &Entry) -> ChunkStat {
    ChunkStat {
        size: entry.data.len() as u64,
        atime: entry.atime,
    }
}

impl<P: Platform> ChunkDir for ModelChunkDir<P> {
    fn stat(&self, digest: &Digest) -> Result<Option<ChunkStat>> {
        let state = self.op(Site::ChunkStat, "stat of", digest)?;
        Ok(state.chunks.get(digest).map(stat_of))
    }

    fn write(&self, digest: &Digest, data: &[u8], atime: i64) -> Result<()> {
        // Copy before the step, as a file system copies into its page cache without a
        // global lock: the step itself (the scheduling point) is unchanged.
        let data = data.to_vec();
        let mut state = self.op(Site::ChunkWrite, "writing", digest)?;
        state.writable("writing", digest)?;
        state.insert(digest, data, atime);
        Ok(())
    }

    fn touch(&self, digest: &Digest, atime: i64) -> Result<bool> {
        let mut state = self.op(Site::ChunkTouch, "touching", digest)?;
        state.writable("touching", digest)?;
        Ok(state.set_atime(digest, atime))
    }

    fn write_now(&self, digest: &Digest, data: &[u8], now: &dyn Fn() -> i64) -> Result<i64> {
        let data = data.to_vec();
        let (mut state, atime) = self.op_at_time(Site::ChunkWrite, "writing", digest, now)?;
        state.writable("writing", digest)?;
        state.insert(digest, data, atime);
        Ok(atime)
    }

    fn touch_now(&self, digest: &Digest, now: &dyn Fn() -> i64) -> Result<Option<i64>> {
        let (mut state, atime) = self.op_at_time(Site::ChunkTouch, "touching", digest, now)?;
        state.writable("touching", digest)?;
        Ok(state.set_atime(digest, atime).then_some(atime))
    }

    fn read(&self, digest: &Digest) -> Result<Option<Vec<u8>>> {
        let state = self.op(Site::ChunkRead, "reading", digest)?;
        Ok(state.chunks.get(digest).map(|entry| entry.data.clone()))
    }

    fn remove(&self, digest: &Digest) -> Result<bool> {
        let mut state = self.op(Site::ChunkRemove, "removing", digest)?;
        state.writable("removing", digest)?;
        Ok(state.chunks.remove(digest).is_some())
    }

    fn truncate(&self, digest: &Digest) -> Result<Option<i64>> {
        let mut state = self.op(Site::ChunkTruncate, "truncating", digest)?;
        state.writable("truncating", digest)?;
        Ok(state.chunks.get_mut(digest).map(|entry| {
            entry.data.clear();
            entry.intact = None;
            entry.atime
        }))
    }

    fn quarantine(&self, digest: &Digest) -> Result<Option<String>> {
        let mut state = self.op(Site::ChunkQuarantine, "quarantining", digest)?;
        state.writable("quarantining", digest)?;
        let Some(entry) = state.chunks.remove(digest) else {
            return Ok(None);
        };
        let hex = digest.to_hex();
        let mut n = 0u64;
        while state.bad.contains_key(&format!("{hex}.{n}.bad")) {
            n += 1;
        }
        let name = format!("{hex}.{n}.bad");
        state.bad.insert(name.clone(), entry.data);
        Ok(Some(name))
    }

    fn list(&self) -> Result<Listing> {
        let state = self.cell.step_or_fail(Site::ChunkList, None, || {
            "model chunk dir: listing".to_string()
        })?;
        Ok(Listing {
            digests: state.chunks.keys().copied().collect(),
            junk: state.junk.iter().cloned().collect(),
        })
    }

    fn inspect(&self, digest: &Digest) -> Option<ChunkStat> {
        self.state().chunks.get(digest).map(stat_of)
    }

    fn inspect_all(&self) -> Vec<(Digest, ChunkStat)> {
        let state = self.state();
        state.chunks.iter().map(|(d, e)| (*d, stat_of(e))).collect()
    }

    fn inspect_content(&self, digest: &Digest) -> Option<Vec<u8>> {
        self.state()
            .chunks
            .get(digest)
            .map(|entry| entry.data.clone())
    }

    fn inspect_intact(&self, digest: &Digest) -> Option<bool> {
        let mut state = self.state();
        let entry = state.chunks.get_mut(digest)?;
        Some(
            *entry
                .intact
                .get_or_insert_with(|| Digest::of(&entry.data) == *digest),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Std;

    #[test]
    fn write_stat_read_touch_remove_round_trip() {
        let dir = ModelChunkDir::<Std>::new();
        let d = Digest::of(b"chunk");
        assert_eq!(dir.stat(&d).expect("stat"), None);
        dir.write(&d, b"chunk", 10).expect("write");
        let stat = dir.stat(&d).expect("stat");
        assert_eq!(stat, Some(ChunkStat { size: 5, atime: 10 }));
        assert_eq!(dir.read(&d).expect("read"), Some(b"chunk".to_vec()));
        assert!(dir.touch(&d, 20).expect("touch"));
        assert_eq!(dir.inspect(&d), Some(ChunkStat { size: 5, atime: 20 }));
        assert_eq!(dir.inspect(&d), dir.stat(&d).expect("stat"));
        assert!(dir.remove(&d).expect("remove"));
        assert!(!dir.remove(&d).expect("remove again"));
        assert!(!dir.touch(&d, 30).expect("touch missing"));
        assert_eq!(dir.read(&d).expect("read"), None);
        assert_eq!(dir.inspect(&d), None);
    }

    #[test]
    fn remembered_intactness_follows_every_change_of_content() {
        let dir = ModelChunkDir::<Std>::new();
        let d = Digest::of(b"chunk");
        assert_eq!(dir.inspect_intact(&d), None);
        dir.write(&d, b"chunk", 1).expect("write");
        assert_eq!(dir.inspect_intact(&d), Some(true));
        dir.corrupt(&d, b"chunK".to_vec());
        assert_eq!(dir.inspect_intact(&d), Some(false), "bit rot in place");
        dir.write(&d, b"chunk", 2).expect("rewrite");
        assert_eq!(
            dir.inspect_intact(&d),
            Some(true),
            "a good copy written over it"
        );
        dir.write(&d, b"", 3).expect("marker");
        assert_eq!(
            dir.inspect_intact(&d),
            Some(false),
            "a marker is not the content"
        );
        dir.quarantine(&d).expect("quarantine");
        assert_eq!(dir.inspect_intact(&d), None);
    }

    #[test]
    fn each_write_is_a_new_inode_and_markers_have_size_zero() {
        let dir = ModelChunkDir::<Std>::new();
        let d = Digest::of(b"x");
        dir.write(&d, b"x", 1).expect("write");
        let first = dir.inode(&d).expect("inode");
        dir.write(&d, b"", 2).expect("marker");
        assert_ne!(dir.inode(&d), Some(first));
        assert_eq!(dir.inspect(&d), Some(ChunkStat { size: 0, atime: 2 }));
        assert!(dir.set_atime(&d, 5));
        dir.corrupt(&d, b"garbage".to_vec());
        assert_eq!(dir.inspect(&d), Some(ChunkStat { size: 7, atime: 5 }));
    }

    #[test]
    fn quarantine_names_and_listing() {
        let dir = ModelChunkDir::<Std>::new();
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        dir.write(&a, b"a", 1).expect("write a");
        dir.write(&b, b"b", 1).expect("write b");
        dir.add_junk("lost+found");
        let hex = a.to_hex();
        assert_eq!(dir.quarantine(&a).expect("q"), Some(format!("{hex}.0.bad")));
        assert_eq!(dir.quarantine(&a).expect("q missing"), None);
        dir.write(&a, b"a", 2).expect("rewrite a");
        assert_eq!(dir.quarantine(&a).expect("q"), Some(format!("{hex}.1.bad")));
        assert_eq!(dir.quarantined().len(), 2);
        let listing = dir.list().expect("list");
        assert_eq!(listing.digests, vec![b]);
        assert_eq!(listing.junk, vec!["lost+found".to_string()]);
        assert_eq!(dir.digests(), vec![b]);
    }

    #[test]
    fn read_only_fails_and_changes_nothing() {
        let dir = ModelChunkDir::<Std>::new();
        let d = Digest::of(b"d");
        dir.write(&d, b"d", 1).expect("write");
        dir.set_read_only(true);
        let err = dir.write(&d, b"new", 2).expect_err("write must fail");
        let msg = format!("{err:#}");
        let key = d.chunk_key();
        assert!(
            msg.contains("read-only file system") && msg.contains(&key),
            "{msg}"
        );
        assert!(dir.touch(&d, 3).is_err());
        assert!(dir.remove(&d).is_err());
        assert!(dir.quarantine(&d).is_err());
        assert_eq!(dir.inspect(&d), Some(ChunkStat { size: 1, atime: 1 }));
        assert_eq!(dir.read(&d).expect("read works"), Some(b"d".to_vec()));
        assert!(dir.quarantined().is_empty());
        dir.set_read_only(false);
        assert!(dir.remove(&d).expect("writable again"));
    }
}
