//! A world to run scenarios in: a datastore over model storage, a logical clock and an
//! oracle, with helpers to set up history (old backups, garbage) through the store itself
//! so the oracle sees every event.

use crate::faults::{injected, Injector};
use crate::oracle::{CutoffRule, Oracle, OracleOptions};
use std::sync::Arc;
use store::platform::{spawn, JoinHandle};
use store::storage::{Fault, FaultSource, ModelBucket, ModelChunkDir, ModelIndexDir};
use store::{
    Backend, BackupWriter, Bugs, Clock, Datastore, Digest, GcStatus, LockGranularity, NoopObserver,
    Observer, Platform, Process, SeededBug, Storage, StoreConfig, StoreError,
};

/// Logical time at which scenarios start ("now"); history is written before it.
pub const NOW: i64 = 10_000;
/// The grace period scenarios use (upstream: 24h5m).
pub const GRACE: i64 = 100;
/// The writer margin scenarios use (upstream: 5 min).
pub const MARGIN: i64 = 10;
/// How long before [`NOW`] history is written: older than the cutoff.
pub const PAST: i64 = 3 * GRACE;

/// Knobs of a scenario run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Setup {
    /// Seeded bugs switched on.
    pub bugs: Bugs,
    /// Leave the lock order unchecked, so an inversion can run into its deadlock.
    pub unchecked_lock_order: bool,
    /// How the chunk store mutex is split (upstream's single mutex by default).
    pub granularity: LockGranularity,
    /// Run with the no-op observer instead of the oracle: nothing is checked. Only for
    /// measuring what the oracle costs (the `oracle` benchmark).
    pub without_oracle: bool,
    /// At most this many storage faults per execution, where the checker chooses (see
    /// [`crate::faults`]); 0, the default, injects none.
    pub faults: u8,
}

impl Setup {
    /// The clean store with every check.
    pub fn clean() -> Self {
        Self::default()
    }

    /// `bug` switched on, every check.
    pub fn with_bug(bug: SeededBug) -> Self {
        Self {
            bugs: Bugs::only(bug),
            ..Self::default()
        }
    }

    /// The same setup with the chunk store mutex split as `granularity` says.
    pub fn with_granularity(self, granularity: LockGranularity) -> Self {
        Self {
            granularity,
            ..self
        }
    }

    /// The same setup with at most `budget` storage faults per execution.
    pub fn with_faults(self, budget: u8) -> Self {
        Self {
            faults: budget,
            ..self
        }
    }

    /// A store configuration for `backend` with this setup's seeded bugs and lock
    /// granularity (cutoff, cache and batch are the caller's).
    pub fn store_config(&self, backend: Backend) -> StoreConfig {
        StoreConfig::new(backend)
            .with_bugs(self.bugs)
            .with_lock_granularity(self.granularity)
    }

    /// What the oracle of a datastore with `backend` and this setup checks.
    pub fn oracle_options(&self, backend: Backend) -> OracleOptions {
        let cutoff = CutoffRule {
            grace: GRACE,
            margin: MARGIN,
        };
        let options = OracleOptions::new(backend)
            .granularity(self.granularity)
            .cutoff(cutoff);
        match self.unchecked_lock_order {
            true => options.without_lock_order(),
            false => options,
        }
    }
}

/// Model storage, with handles to its chunk directory and bucket for set-up and inspection.
pub struct ModelStorage<P: Platform> {
    /// The storage a datastore runs over.
    pub storage: Storage,
    /// Its chunk directory.
    pub chunks: Arc<ModelChunkDir<P>>,
    /// Its bucket.
    pub bucket: Arc<ModelBucket<P>>,
    /// Its index directory.
    pub indexes: Arc<ModelIndexDir<P>>,
}

impl<P: Platform> ModelStorage<P> {
    /// Empty model storage.
    pub fn new() -> Self {
        let chunks = Arc::new(ModelChunkDir::<P>::new());
        let bucket = Arc::new(ModelBucket::<P>::new());
        let indexes = Arc::new(ModelIndexDir::<P>::new());
        let storage = Storage {
            chunks: chunks.clone(),
            bucket: bucket.clone(),
            indexes: indexes.clone(),
        };
        Self {
            storage,
            chunks,
            bucket,
            indexes,
        }
    }

    /// What checks a run over this storage with `setup`: the oracle checking as `options`
    /// say (the no-op observer when the setup runs without one) and the fault injector (see
    /// [`ModelStorage::injector`]).
    pub fn checked(&self, setup: &Setup, options: OracleOptions) -> Checking<P> {
        let oracle = (!setup.without_oracle).then(|| Oracle::with_options(&self.storage, options));
        let observer: Arc<dyn Observer> = match &oracle {
            Some(oracle) => oracle.clone(),
            None => Arc::new(NoopObserver),
        };
        let faults = self.injector(setup, &observer);
        Checking {
            observer,
            oracle,
            faults,
        }
    }

    /// The fault injector `setup` asks for, attached to every part of this storage and
    /// reporting to `observer`; `None` when the setup injects no faults.
    pub fn injector(
        &self,
        setup: &Setup,
        observer: &Arc<dyn Observer>,
    ) -> Option<Arc<Injector<P>>> {
        let injector = Injector::for_execution(setup.faults, observer)?;
        let source: Arc<dyn FaultSource> = injector.clone();
        self.chunks.set_faults(Some(source.clone()));
        self.bucket.set_faults(Some(source.clone()));
        self.indexes.set_faults(Some(source));
        Some(injector)
    }
}

impl<P: Platform> Default for ModelStorage<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// What checks one run: the store's observer, the oracle behind it (none when the setup
/// measures without one) and the fault injector (none without a fault budget).
pub struct Checking<P: Platform> {
    /// The observer the datastore reports to.
    pub observer: Arc<dyn Observer>,
    /// The oracle, which is the observer unless the setup runs without one.
    pub oracle: Option<Arc<Oracle>>,
    /// The fault injector.
    pub faults: Option<Arc<Injector<P>>>,
}

/// A datastore under test with its oracle.
pub struct World<P: Platform> {
    /// The datastore.
    pub ds: Arc<Datastore<P>>,
    /// The first process.
    pub process: Arc<Process<P>>,
    /// The model chunk directory, for test setup (corruption) and inspection.
    pub chunks: Arc<ModelChunkDir<P>>,
    /// The model bucket, for inspection.
    pub bucket: Arc<ModelBucket<P>>,
    /// The fault injector, when the setup injects faults (on the actors' threads only).
    faults: Option<Arc<Injector<P>>>,
}

/// How a scenario's actors take the store's answers under fault injection (see
/// [`World::settle`]).
pub struct Settle<P: Platform>(Option<Arc<Injector<P>>>);

impl<P: Platform> Clone for Settle<P> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<P: Platform> Settle<P> {
    /// `result`'s value. An operation failing because of an injected fault (an I/O error, a
    /// crash, or a missing chunk after an object was lost) gives `None`: the actor stops
    /// there, as a real one would give up. Any other error panics, naming `what`.
    ///
    /// # Panics
    /// On an error no injected fault explains.
    pub fn ok<T>(&self, result: anyhow::Result<T>, what: &str) -> Option<T> {
        let err = match result {
            Ok(value) => return Some(value),
            Err(err) => err,
        };
        let lost = self
            .0
            .as_ref()
            .is_some_and(|f| f.landed(Some(Fault::LostObject)));
        let missing = |cause: &(dyn std::error::Error + 'static)| {
            matches!(
                cause.downcast_ref::<StoreError>(),
                Some(StoreError::MissingChunk(_))
            )
        };
        let explained = injected(&err) || (lost && err.chain().any(missing));
        match explained {
            true => None,
            false => panic!("{what}: {err:#}"),
        }
    }

    /// Whether a fault landed in this execution so far: what the actors did may then be
    /// cut short, and a scenario's own asserts about their results do not apply.
    pub fn faulted(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.landed(None))
    }

    /// Whether a crash killed `process`.
    pub fn crashed(&self, process: &Process<P>) -> bool {
        self.0.as_ref().is_some_and(|f| f.crashed(process.id()))
    }

    /// Spawns actor `name`, acting for `process` (a crash it runs into kills that process):
    /// `body` gets the process and how to take the store's answers.
    pub fn actor<R, F>(&self, name: &str, process: &Arc<Process<P>>, body: F) -> JoinHandle<P, R>
    where
        F: FnOnce(Arc<Process<P>>, Settle<P>) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (process, settle) = (process.clone(), self.clone());
        spawn::<P, _, _>(name, move || {
            settle.enter(&process);
            body(process, settle)
        })
    }

    /// The calling thread acts for `process` from now on (after a reload, the new one).
    pub fn enter(&self, process: &Process<P>) {
        if let Some(faults) = &self.0 {
            faults.enter(process.id());
        }
    }
}

impl<P: Platform> World<P> {
    /// A datastore with `backend` over model storage, the clock at `NOW - PAST`, a cutoff of
    /// [`GRACE`]/[`MARGIN`] and a cache of `cache_capacity` chunks.
    pub fn new(setup: Setup, backend: Backend, cache_capacity: usize) -> Self {
        let model = ModelStorage::<P>::new();
        let Checking {
            observer, faults, ..
        } = model.checked(&setup, setup.oracle_options(backend));
        let ModelStorage {
            storage,
            chunks,
            bucket,
            ..
        } = model;
        let config = setup
            .store_config(backend)
            .with_cutoff(GRACE, MARGIN)
            .with_cache_capacity(cache_capacity);
        let ds = Datastore::new(config, storage, Clock::manual(NOW - PAST), observer);
        let process = ds.start_process();
        Self {
            ds,
            process,
            chunks,
            bucket,
            faults,
        }
    }

    /// How this world's actors take the store's answers (see [`Settle::ok`]).
    pub fn settle(&self) -> Settle<P> {
        Settle(self.faults.clone())
    }

    /// Whether a fault landed so far (see [`Settle::faulted`]).
    pub fn faulted(&self) -> bool {
        self.settle().faulted()
    }

    /// Moves the clock from the past to [`NOW`].
    pub fn to_now(&self) {
        let behind = NOW - self.ds.clock().now();
        self.ds.clock().advance(behind);
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.ds.clock().advance(secs);
    }

    /// Runs a complete backup of `group` at backup time `time` with one index holding
    /// `chunks`; returns their digests.
    ///
    /// # Panics
    /// When the store refuses (setup must succeed).
    pub fn backup(&self, group: &str, time: i64, chunks: &[&[u8]]) -> Vec<Digest> {
        let mut writer = self.start(group, time);
        let digests = upload_all(&mut writer, chunks).expect("setup uploads");
        publish(&mut writer, "disk", &digests).expect("setup publishes");
        writer.finish().expect("setup backup finishes");
        digests
    }

    /// Leaves garbage: uploads `chunks` in an aborted backup, so nothing references them.
    ///
    /// # Panics
    /// When the store refuses.
    pub fn garbage(&self, chunks: &[&[u8]]) -> Vec<Digest> {
        let mut writer = self.start("garbage/0", self.ds.clock().now());
        let digests = upload_all(&mut writer, chunks).expect("setup uploads");
        drop(writer);
        digests
    }

    /// Starts a backup in the first process.
    ///
    /// # Panics
    /// When the store refuses.
    pub fn start(&self, group: &str, time: i64) -> BackupWriter<P> {
        self.process
            .start_backup(group, time)
            .expect("setup backup starts")
    }

    /// Spawns actor `name` acting for the first process (see [`Settle::actor`]).
    pub fn actor<R, F>(&self, name: &str, body: F) -> JoinHandle<P, R>
    where
        F: FnOnce(Arc<Process<P>>, Settle<P>) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.settle().actor(name, &self.process, body)
    }

    /// `process`, or, when a crash killed it, a fresh process started over the same storage
    /// (a restart), for checks after the actors are done.
    pub fn survivor(&self, process: &Arc<Process<P>>) -> Arc<Process<P>> {
        match self.settle().crashed(process) {
            true => self.ds.start_process(),
            false => process.clone(),
        }
    }

    /// Spawns `gc`: a full GC in the first process, which must complete unless a fault
    /// stops it.
    pub fn spawn_gc(&self) -> JoinHandle<P, Option<GcStatus>> {
        self.actor("gc", |process, settle| {
            settle.ok(process.garbage_collect(), "gc completes")
        })
    }

    /// Spawns a writer thread `name`: it starts a backup of `group` at `time` in the first
    /// process, lets `body` upload (returning the digests to reference, or `None` when a
    /// fault stopped it), publishes them as index `disk` and finishes.
    pub fn spawn_backup<F>(&self, name: &str, group: &str, time: i64, body: F) -> JoinHandle<P, ()>
    where
        F: FnOnce(&mut BackupWriter<P>, &Settle<P>) -> Option<Vec<Digest>> + Send + 'static,
    {
        let (role, group) = (name.to_string(), group.to_string());
        self.actor(name, move |process, settle| {
            let start = process.start_backup(&group, time);
            let Some(mut writer) = settle.ok(start, &format!("{role} starts")) else {
                return;
            };
            let Some(digests) = body(&mut writer, &settle) else {
                return;
            };
            let published = publish(&mut writer, "disk", &digests);
            if settle.ok(published, &format!("{role} publishes")).is_some() {
                settle.ok(writer.finish(), &format!("{role} finishes"));
            }
        })
    }

    /// Whether a chunk exists where the backend keeps chunks (local content or object).
    pub fn exists(&self, digest: &Digest) -> bool {
        let storage = self.ds.storage();
        match self.ds.config().backend {
            Backend::Filesystem => storage.chunks.inspect(digest).is_some_and(|s| s.size > 0),
            Backend::S3 => storage.bucket.inspect(digest),
        }
    }
}

/// Uploads every chunk; returns their digests.
///
/// # Errors
/// The first upload that fails.
pub fn upload_all<P: Platform>(
    writer: &mut BackupWriter<P>,
    chunks: &[&[u8]],
) -> anyhow::Result<Vec<Digest>> {
    chunks.iter().map(|c| writer.upload_chunk(c)).collect()
}

/// Writes and publishes index `name` with `digests`.
///
/// # Errors
/// The first step the store refuses.
pub fn publish<P: Platform>(
    writer: &mut BackupWriter<P>,
    name: &str,
    digests: &[Digest],
) -> anyhow::Result<()> {
    writer.create_index(name)?;
    for d in digests {
        writer.append(name, *d)?;
    }
    writer.close_index(name)
}
