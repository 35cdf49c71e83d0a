//! The test datastore: an [`Env`] holds one case's datastore over a manual clock starting at
//! [`T0`], its storage and where that storage lives. It runs on real threads ([`Std`], the
//! default) or, built with [`Env::build`] inside a checker's model, on loom or shuttle.

use super::case::{Case, Kind, T0};
use std::path::PathBuf;
use std::sync::Arc;
use store::storage::{ModelBucket, ModelChunkDir, ModelIndexDir};
use store::{
    Clock, Datastore, NoopObserver, Observer, Platform, Process, Std, Storage, StoreConfig,
};

/// The model storage parts, kept concrete for their test-support methods.
pub struct ModelParts<P: Platform = Std> {
    pub chunks: Arc<ModelChunkDir<P>>,
    pub bucket: Arc<ModelBucket<P>>,
    pub indexes: Arc<ModelIndexDir<P>>,
}

/// A datastore of one case over a manual clock starting at [`T0`].
pub struct Env<P: Platform = Std> {
    pub case: Case,
    pub ds: Arc<Datastore<P>>,
    /// The storage as the datastore sees it (possibly wrapped).
    pub storage: Storage,
    /// The model parts (model storage only).
    pub model: Option<ModelParts<P>>,
    /// The temporary directory (disk storage only).
    pub dir: Option<tempfile::TempDir>,
}

impl Env {
    /// The case's default store: grace/margin of the tests, no observer.
    pub fn new(case: Case) -> Self {
        Self::build(case, case.config(), Arc::new(NoopObserver), |s| s)
    }

    /// A store with `config`.
    pub fn with_config(case: Case, config: StoreConfig) -> Self {
        Self::build(case, config, Arc::new(NoopObserver), |s| s)
    }
}

impl<P: Platform> Env<P> {
    /// A store on platform `P` with `config`, reporting to `observer`, over the case's
    /// storage passed through `wrap` (to put spies around it).
    pub fn build(
        case: Case,
        config: StoreConfig,
        observer: Arc<dyn Observer>,
        wrap: impl FnOnce(Storage) -> Storage,
    ) -> Self {
        let (storage, model, dir) = match case.kind {
            Kind::Model => {
                let parts = ModelParts {
                    chunks: Arc::new(ModelChunkDir::new()),
                    bucket: Arc::new(ModelBucket::new()),
                    indexes: Arc::new(ModelIndexDir::new()),
                };
                let storage = Storage {
                    chunks: parts.chunks.clone(),
                    bucket: parts.bucket.clone(),
                    indexes: parts.indexes.clone(),
                };
                (storage, Some(parts), None)
            }
            Kind::Disk => {
                let dir = tempfile::tempdir().expect("creating a temporary directory");
                let storage =
                    Storage::on_disk(&dir.path().join("store"), &dir.path().join("bucket"))
                        .expect("opening on-disk storage");
                (storage, None, Some(dir))
            }
        };
        let storage = wrap(storage);
        let ds = Datastore::<P>::new(config, storage.clone(), Clock::manual(T0), observer);
        Self {
            case,
            ds,
            storage,
            model,
            dir,
        }
    }

    /// Starts a daemon process.
    pub fn process(&self) -> Arc<Process<P>> {
        self.ds.start_process()
    }

    pub fn now(&self) -> i64 {
        self.ds.clock().now()
    }

    pub fn advance(&self, secs: i64) {
        self.ds.clock().advance(secs);
    }

    pub fn model(&self) -> &ModelParts<P> {
        self.model.as_ref().expect("model storage only")
    }

    /// `<tmp>/store` (disk storage only).
    pub fn root(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("disk storage only")
            .path()
            .join("store")
    }

    /// `<tmp>/bucket` (disk storage only).
    pub fn bucket_root(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("disk storage only")
            .path()
            .join("bucket")
    }
}
