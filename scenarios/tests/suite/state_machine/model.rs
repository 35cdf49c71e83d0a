//! The reference model: what the store holds (snapshots, sessions, chunks with their atimes,
//! per-process LRUs, the clock) and what each step must do in it (a [`Prediction`], or a
//! [`Refusal`]).

use super::alphabet::{chunk_len, index_name, knobs, CACHE_CAPACITY, SLOTS, START};
use harness::program::ops::{Backup, Clock};
use harness::program::{Op, Proc, Step};
use harness::world::{GRACE, MARGIN};
use std::collections::{BTreeMap, BTreeSet};
use store::{Backend, Bugs, GcStatus, StoreError};

/// A refusal the model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `StoreError::Locked`.
    Locked,
    /// `StoreError::ShuttingDown`.
    ShuttingDown,
    /// `StoreError::BackupTimeNotNewer`.
    NotNewer,
}

impl Refusal {
    /// Whether the store refused with this refusal.
    pub(crate) fn matches(self, err: Option<&StoreError>) -> bool {
        matches!(
            (self, err),
            (Refusal::Locked, Some(StoreError::Locked(_)))
                | (Refusal::ShuttingDown, Some(StoreError::ShuttingDown(_)))
                | (
                    Refusal::NotNewer,
                    Some(StoreError::BackupTimeNotNewer { .. })
                )
        )
    }
}

/// An active backup session.
#[derive(Clone, Debug)]
pub(crate) struct ModelWriter {
    /// Index of its process (0 = the first; a reload adds one).
    pub(crate) process: usize,
    /// Its start time (the shared process lock's record).
    pub(crate) start: i64,
    /// Its snapshot's backup time.
    pub(crate) time: i64,
    /// The previous snapshot of its group (locked shared, chunks registered).
    pub(crate) previous: Option<i64>,
    /// Chunks it uploaded, re-used or registered.
    pub(crate) session: BTreeSet<usize>,
    /// Indexes it published.
    pub(crate) published: usize,
}

/// A chunk that exists (FS: local file; S3: bucket object and local file or marker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ModelChunk {
    /// The atime the store stamped.
    pub(crate) atime: i64,
    /// Local file with content (always on FS); a zero-length marker otherwise (S3).
    pub(crate) content: bool,
}

/// What the last transition must do in the store.
#[derive(Clone, Debug)]
pub(crate) enum Prediction {
    /// Success, nothing more to check (or a no-op).
    Done,
    /// The store refuses.
    Refused(Refusal),
    /// A re-use finds the chunk present (`true`) or not.
    Reused(bool),
    /// Publish index `name` with these chunks.
    Publish {
        /// The index's name.
        name: String,
        /// Its chunks, in order.
        chunks: Vec<usize>,
    },
    /// Prune a snapshot, or be refused.
    Prune(Option<Refusal>),
    /// A read returns this chunk, or (`None`) fails with a missing chunk.
    Read(Option<usize>),
    /// A GC returns exactly this status.
    Gc(GcStatus),
}

/// A published index: its name and its chunks, in order.
pub(crate) type Published = (String, Vec<usize>);

/// The reference model's state: what the store must hold after the steps so far.
#[derive(Clone, Debug)]
pub(crate) struct ModelState {
    /// The store's backend.
    pub(crate) backend: Backend,
    /// Seeded bugs in the store. With any, only safety is checked (see `exact`).
    pub(crate) bugs: Bugs,
    /// The logical clock.
    pub(crate) now: i64,
    /// The current process (older ones are shutting down).
    pub(crate) current: usize,
    /// Each process's LRU, most recently used first (S3).
    pub(crate) lrus: Vec<Vec<usize>>,
    /// Active sessions by slot (= group).
    pub(crate) writers: [Option<ModelWriter>; SLOTS],
    /// Snapshots `(group, time)` with their published indexes (name, chunks), in
    /// publication order.
    pub(crate) snapshots: BTreeMap<(usize, i64), Vec<Published>>,
    /// The chunks that exist.
    pub(crate) chunks: BTreeMap<usize, ModelChunk>,
    /// The backup time of the next session's snapshot.
    pub(crate) next_time: i64,
    /// What the last transition must do in the store.
    pub(crate) expect: Prediction,
}

impl ModelState {
    /// The empty store on `backend` with `bugs` seeded, at [`START`].
    pub(crate) fn new(backend: Backend, bugs: Bugs) -> Self {
        Self {
            backend,
            bugs,
            now: START,
            current: 0,
            lrus: vec![Vec::new()],
            writers: [None, None, None],
            snapshots: BTreeMap::new(),
            chunks: BTreeMap::new(),
            next_time: 1,
            expect: Prediction::Done,
        }
    }

    /// Whether the model's predictions are checked exactly (no seeded bug: the model is
    /// the specification, not a copy of a bug).
    pub(crate) fn exact(&self) -> bool {
        self.bugs.is_empty()
    }

    /// Whether the backend is S3.
    pub(crate) fn s3(&self) -> bool {
        self.backend == Backend::S3
    }

    /// Writes a chunk with content, atime now (FS insert of a new chunk; S3 upload and cache
    /// insert in `process`'s LRU).
    fn write_new(&mut self, chunk: usize, process: usize) {
        self.chunks.insert(
            chunk,
            ModelChunk {
                atime: self.now,
                content: true,
            },
        );
        if self.s3() {
            self.lru_push(process, chunk);
        }
    }

    /// `LruCache::push`: an existing entry moves to the front; a new one may evict the
    /// least recently used, whose file becomes a marker with the same atime.
    fn lru_push(&mut self, process: usize, chunk: usize) {
        let lru = &mut self.lrus[process];
        if let Some(pos) = lru.iter().position(|c| *c == chunk) {
            lru.remove(pos);
            lru.insert(0, chunk);
            return;
        }
        lru.insert(0, chunk);
        if lru.len() > CACHE_CAPACITY {
            if let Some(evicted) = lru.pop() {
                if let Some(m) = self.chunks.get_mut(&evicted) {
                    m.content = false;
                }
            }
        }
    }

    /// Upload (or the pull path's upload after a failed re-use): touch when present, else
    /// write; either way the chunk's atime is now.
    pub(crate) fn upload(&mut self, slot: usize, chunk: usize) -> bool {
        let Some(w) = self.writers[slot].as_mut() else {
            return false;
        };
        w.session.insert(chunk);
        let process = w.process;
        match self.chunks.get_mut(&chunk) {
            Some(m) => {
                m.atime = self.now;
                true
            }
            None => {
                self.write_new(chunk, process);
                false
            }
        }
    }

    /// The newest snapshot time of `group` (0 without one).
    pub(crate) fn last_time(&self, group: usize) -> i64 {
        let mut times = self.snapshots.range((group, i64::MIN)..=(group, i64::MAX));
        times.next_back().map_or(0, |((_, t), _)| *t)
    }

    /// Start a backup of `group` at backup time `time`, in the current process or
    /// (refused) an old one.
    pub(crate) fn start_backup(
        &mut self,
        group: usize,
        old_process: bool,
        time: i64,
    ) -> Prediction {
        if old_process && self.current > 0 {
            return Prediction::Refused(Refusal::ShuttingDown);
        }
        if self.writers[group].is_some() {
            return Prediction::Refused(Refusal::Locked);
        }
        if time <= self.last_time(group) {
            return Prediction::Refused(Refusal::NotNewer);
        }
        let previous = self
            .snapshots
            .range((group, i64::MIN)..=(group, i64::MAX))
            .next_back()
            .map(|((_, t), indexes)| {
                let chunks = indexes.iter().flat_map(|(_, chunks)| chunks).copied();
                (*t, chunks.collect())
            });
        self.next_time = self.next_time.max(time + 1);
        self.writers[group] = Some(ModelWriter {
            process: self.current,
            start: self.now,
            time,
            previous: previous.as_ref().map(|(t, _)| *t),
            session: previous.map(|(_, s)| s).unwrap_or_default(),
            published: 0,
        });
        self.snapshots.insert((group, time), Vec::new());
        Prediction::Done
    }

    /// Publish an index of session `slot` with the session's chunks selected by `mask`.
    pub(crate) fn publish(&mut self, slot: usize, mask: u8) -> Prediction {
        let Some(w) = self.writers[slot].as_mut() else {
            return Prediction::Done;
        };
        let chunks: Vec<usize> = w
            .session
            .iter()
            .copied()
            .filter(|c| mask & (1 << c) != 0)
            .collect();
        let name = index_name(w.published);
        w.published += 1;
        let key = (slot, w.time);
        let published = (name.clone(), chunks.clone());
        self.snapshots.entry(key).or_default().push(published);
        Prediction::Publish { name, chunks }
    }

    /// Drops session `slot` without finishing: its snapshot is deleted.
    pub(crate) fn abort(&mut self, slot: usize) {
        if let Some(w) = self.writers[slot].take() {
            self.snapshots.remove(&(slot, w.time));
        }
    }

    /// A registered operation, run whole in the current process: a backup-like operation
    /// as the backup session it stands for ([`Op::as_backup`]), the others by their rules
    /// here. An operation the model has no rule for fails the test (it must learn one).
    pub(crate) fn operation(&mut self, op: &Op) -> Prediction {
        if let Some(backup) = op.as_backup() {
            return self.whole_backup(&backup);
        }
        match op {
            Op::Gc(_) => self.gc(false),
            Op::Reload(_) => {
                self.lrus.push(Vec::new());
                self.current += 1;
                Prediction::Done
            }
            Op::Read(read) => {
                let chunk = usize::from(read.chunk.0);
                match self.s3() {
                    true => self.read(chunk),
                    false => Prediction::Read(self.chunks.contains_key(&chunk).then_some(chunk)),
                }
            }
            // No bit rot here: verify finds every local copy good (or only a marker).
            Op::Verify(_) => Prediction::Done,
            Op::Prune(prune) => self.prune(usize::from(prune.group), prune.newest),
            Op::Clock(Clock(step)) => {
                self.now += step.secs(&knobs(self.backend));
                Prediction::Done
            }
            other => panic!("the model has no rule for {} operations", other.kind()),
        }
    }

    /// A whole backup session: start, its steps in order (an append of a chunk the session
    /// does not know, or to an index not open, is refused), then finish (aborted when an
    /// index is still open) or abort.
    fn whole_backup(&mut self, backup: &Backup) -> Prediction {
        let slot = usize::from(backup.group);
        let start = self.start_backup(slot, backup.proc == Proc::Old, backup.time);
        if !matches!(start, Prediction::Done) {
            return start;
        }
        let mut open: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
        for step in &backup.steps {
            match *step {
                Step::Upload(chunk) | Step::Reuse(chunk) => {
                    self.upload(slot, usize::from(chunk.0));
                }
                Step::Create(index) => {
                    // The store refuses a second index of one name with an error no
                    // program accepts; drawn backups never open one twice.
                    assert!(
                        open.insert(index, Vec::new()).is_none(),
                        "idx{index} opened twice"
                    );
                }
                Step::Append(index, chunk) => {
                    let chunk = usize::from(chunk.0);
                    let known = self.writers[slot]
                        .as_ref()
                        .is_some_and(|w| w.session.contains(&chunk));
                    if let (Some(list), true) = (open.get_mut(&index), known) {
                        list.push(chunk);
                    }
                }
                Step::Close(index) => {
                    if let (Some(list), Some(w)) = (open.remove(&index), &self.writers[slot]) {
                        let key = (slot, w.time);
                        let published = (format!("idx{index}"), list);
                        self.snapshots.entry(key).or_default().push(published);
                    }
                }
            }
        }
        match backup.finish && open.is_empty() {
            true => self.writers[slot] = None,
            false => self.abort(slot),
        }
        Prediction::Done
    }

    /// Prune the newest or the oldest snapshot of `group`, if it has one.
    pub(crate) fn prune(&mut self, group: usize, newest: bool) -> Prediction {
        let mut times = self.snapshots.range((group, i64::MIN)..=(group, i64::MAX));
        let picked = match newest {
            true => times.next_back(),
            false => times.next(),
        };
        let Some(((_, time), _)) = picked else {
            return Prediction::Done;
        };
        let time = *time;
        // Only a session of the same group writes or re-uses a snapshot of it.
        let locked = self.writers[group]
            .as_ref()
            .is_some_and(|w| w.time == time || w.previous == Some(time));
        if locked {
            return Prediction::Prune(Some(Refusal::Locked));
        }
        self.snapshots.remove(&(group, time));
        Prediction::Prune(None)
    }

    /// `LocalDatastoreLruCache::access` in the current process.
    pub(crate) fn read(&mut self, chunk: usize) -> Prediction {
        let p = self.current;
        if let Some(pos) = self.lrus[p].iter().position(|c| *c == chunk) {
            self.lrus[p].remove(pos);
            self.lrus[p].insert(0, chunk);
            // A hit returns the local file when it hashes to the digest: full content, or
            // any file of the empty chunk (its marker is its content); another chunk's
            // marker is fetched again.
            let served = |m: &ModelChunk| m.content || chunk_len(chunk) == 0;
            if self.chunks.get(&chunk).is_some_and(served) {
                return Prediction::Read(Some(chunk));
            }
        }
        let Some(m) = self.chunks.get_mut(&chunk) else {
            return Prediction::Read(None);
        };
        // Fetched from the bucket and cached: the file is rewritten with atime now.
        m.atime = self.now;
        m.content = true;
        self.lru_push(p, chunk);
        Prediction::Read(Some(chunk))
    }

    /// GC in the current process or (refused) the previous one.
    pub(crate) fn gc(&mut self, old_process: bool) -> Prediction {
        let p = self.current;
        if old_process && self.current > 0 {
            return Prediction::Refused(Refusal::ShuttingDown);
        }
        let writers = self.writers.iter().flatten();
        if writers.clone().any(|w| w.process != p) {
            return Prediction::Refused(Refusal::Locked);
        }
        let now = self.now;
        let oldest_writer = writers.map(|w| w.start).min().unwrap_or(now);
        let mut min_atime = now - GRACE;
        if oldest_writer < min_atime {
            min_atime = oldest_writer - MARGIN;
        }
        let mut status = GcStatus {
            min_atime,
            ..GcStatus::default()
        };
        // Phase 1: touch every chunk of every published index (finished or in progress).
        for (_, index) in self.snapshots.values().flatten() {
            status.index_files += 1;
            for c in index {
                status.marked_chunks += 1;
                match self.chunks.get_mut(c) {
                    Some(m) => m.atime = now,
                    None => status.missing_chunks += 1,
                }
            }
        }
        // Phase 2: judge every chunk by its atime.
        let mut removed = Vec::new();
        for (c, m) in &self.chunks {
            let size = if m.content { chunk_len(*c) } else { 0 };
            if m.atime < min_atime {
                status.removed_chunks += 1;
                status.removed_bytes += size;
                removed.push(*c);
            } else if m.atime < oldest_writer {
                status.pending_chunks += 1;
                status.pending_bytes += size;
            } else {
                status.in_use_chunks += 1;
                status.in_use_bytes += size;
            }
        }
        for c in removed {
            self.chunks.remove(&c);
            self.lrus[p].retain(|l| *l != c);
        }
        Prediction::Gc(status)
    }
}
