//! A daemon process: its own chunk store mutex, process-lock bookkeeping and LRU over the
//! shared disk, bucket and lock table; and service reload.

use crate::cache::LocalDatastoreLruCache;
use crate::chunk_store::ChunkStore;
use crate::datastore::{Backend, Datastore};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::error::StoreError;
use crate::ids::{ProcessId, WriterId};
use crate::observer::Fact;
use crate::platform::{acting_as, AtomicBool, LockClass, Mutex, Platform, Role};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One daemon process of a datastore.
///
/// A reload ([`Process::reload`]) starts a new process with fresh memory (its own mutex,
/// empty writer list, empty LRU) and tells this one to shut down: its GC aborts at the next
/// check, new writers are refused, running writers continue to completion.
pub struct Process<P: Platform> {
    id: ProcessId,
    ds: Arc<Datastore<P>>,
    pub(crate) chunk_store: Arc<ChunkStore<P>>,
    pub(crate) cache: Option<LocalDatastoreLruCache<P>>,
    /// Start times of the shared process-lock guards this process handed out.
    writers: Mutex<P, BTreeMap<WriterId, i64>>,
    shutdown: AtomicBool<P>,
}

impl<P: Platform> Process<P> {
    pub(crate) fn new(id: ProcessId, ds: Arc<Datastore<P>>) -> Arc<Self> {
        let chunk_store = Arc::new(ChunkStore::new(id, ds.clone()));
        let cache = (ds.config.backend == Backend::S3)
            .then(|| LocalDatastoreLruCache::new(chunk_store.clone(), ds.config.cache_capacity));
        Arc::new(Self {
            id,
            ds,
            chunk_store,
            cache,
            writers: Mutex::new(LockClass::Writers, BTreeMap::new()),
            shutdown: AtomicBool::new(false),
        })
    }

    /// This process's id.
    pub fn id(&self) -> ProcessId {
        self.id
    }

    /// The datastore.
    pub fn datastore(&self) -> &Arc<Datastore<P>> {
        &self.ds
    }

    /// This process's chunk store.
    pub fn chunk_store(&self) -> &ChunkStore<P> {
        &self.chunk_store
    }

    /// This process's chunk cache (S3 backend only).
    pub fn cache(&self) -> Option<&LocalDatastoreLruCache<P>> {
        self.cache.as_ref()
    }

    /// Service reload: starts the new process and tells this one to shut down.
    pub fn reload(&self) -> Arc<Process<P>> {
        let _acting = acting_as::<P>(Role::Reload);
        let new = self.ds.start_process();
        self.ds.emit(Fact::Reload {
            old: self.id,
            new: new.id,
        });
        self.shutdown.store(true);
        new
    }

    /// Whether a reload told this process to shut down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.load()
    }

    /// Fails with [`StoreError::ShuttingDown`] once a reload told this process to stop.
    pub(crate) fn check_shutdown(&self) -> Result<(), StoreError> {
        if self.is_shutting_down() {
            Err(StoreError::ShuttingDown(self.id.0))
        } else {
            Ok(())
        }
    }

    /// Looks `digest`'s object up in the bucket (a HEAD).
    pub(crate) fn object_exists(&self, ds: &Datastore<P>, digest: &Digest) -> Result<bool> {
        ds.reading_object(self.id, digest);
        (ds.storage.bucket.contains(digest))
            .with_context(|| format!("looking up chunk {digest} in the bucket"))
    }

    /// The start time of this process's oldest active writer (only this process's: the
    /// bookkeeping lives in process memory).
    pub fn oldest_writer(&self) -> Option<i64> {
        self.writers.lock().values().copied().min()
    }

    /// Number of active writers of this process.
    pub fn active_writers(&self) -> usize {
        self.writers.lock().len()
    }

    /// Takes a shared process lock for a new writer and records its start time.
    pub(crate) fn register_writer(&self) -> Result<(WriterId, i64), StoreError> {
        let refused = |decision| self.ds.decide(decision, self.id, None);
        (self.check_shutdown()).inspect_err(|_| refused(Decision::StartShuttingDown))?;
        (self.ds.locks.try_shared(self.id)).inspect_err(|_| refused(Decision::StartGcElsewhere))?;
        let writer = WriterId(self.ds.next_writer_id());
        let start = self.ds.clock.now();
        self.writers.lock().insert(writer, start);
        self.ds.emit(Fact::WriterStarted {
            process: self.id,
            writer,
            start,
        });
        Ok((writer, start))
    }

    /// Drops a writer's shared process lock and its record.
    pub(crate) fn unregister_writer(&self, writer: WriterId) {
        self.writers.lock().remove(&writer);
        self.ds.locks.release_shared(self.id);
    }
}
