//! What a checked run is made of: its [`Setup`] (seeded bugs, lock granularity, fault
//! budget, checks), model storage, and the observer, oracle and fault injector that check
//! a run over it.

use crate::faults::Injector;
use crate::oracle::{CutoffRule, Oracle, OracleOptions};
use std::sync::Arc;
use store::storage::{FaultSource, ModelBucket, ModelChunkDir, ModelIndexDir};
use store::{
    Backend, Bugs, LockGranularity, NoopObserver, Observer, Platform, SeededBug, Storage,
    StoreConfig,
};

/// The grace period scenarios use, and the oracle's unless told otherwise (upstream:
/// 24h5m).
pub const GRACE: i64 = 100;
/// The writer margin scenarios use, and the oracle's unless told otherwise (upstream:
/// 5 min).
pub const MARGIN: i64 = 10;

/// Knobs of a checked run (a scenario's or a program's).
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
