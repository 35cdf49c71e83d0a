//! Where a profiled datastore keeps its chunks: the model storage, or real files in a
//! fresh temporary directory (under the system's, or under a directory the user names).

use anyhow::{Context, Result};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use store::{Clock, Datastore, NoopObserver, Platform, Storage, StoreConfig};

/// The storage under a profiled datastore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageChoice {
    /// The in-memory model storage: every operation is one step under its step mutex.
    Model,
    /// Files in a fresh directory under the system's temporary directory.
    Disk,
    /// Files in a fresh directory under this one (`/dev/shm` for tmpfs).
    Under(PathBuf),
}

impl FromStr for StorageChoice {
    type Err = String;

    /// `model`, `disk`, or a directory that exists.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "model" => Ok(Self::Model),
            "disk" => Ok(Self::Disk),
            "" => Err("empty storage; use model, disk or a directory".into()),
            dir => {
                let path = PathBuf::from(dir);
                match path.is_dir() {
                    true => Ok(Self::Under(path)),
                    false => Err(format!(
                        "{dir:?} is neither model, disk nor an existing directory"
                    )),
                }
            }
        }
    }
}

impl fmt::Display for StorageChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model => f.write_str("model"),
            Self::Disk => f.write_str("disk"),
            Self::Under(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// A datastore with its temporary directory (removed on drop).
pub struct Opened<P: Platform> {
    /// The datastore (system clock, no observer).
    pub ds: Arc<Datastore<P>>,
    _dir: Option<tempfile::TempDir>,
}

impl StorageChoice {
    /// A new, empty datastore with `config` over this storage.
    ///
    /// # Errors
    /// When the directory cannot be created or opened (unwritable, full).
    pub fn open<P: Platform>(&self, config: StoreConfig) -> Result<Opened<P>> {
        let dir = match self {
            Self::Model => None,
            Self::Disk => Some(tempfile::tempdir().context("creating a temporary directory")?),
            Self::Under(base) => Some(
                tempfile::tempdir_in(base)
                    .with_context(|| format!("creating a directory under {}", base.display()))?,
            ),
        };
        let storage = match &dir {
            None => Storage::model::<P>(),
            Some(dir) => Storage::on_disk(&dir.path().join("store"), &dir.path().join("bucket"))
                .with_context(|| format!("opening disk storage in {}", dir.path().display()))?,
        };
        let ds = Datastore::new(config, storage, Clock::System, Arc::new(NoopObserver));
        Ok(Opened { ds, _dir: dir })
    }
}
