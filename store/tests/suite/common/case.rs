//! The cases a test runs in: filesystem or S3 backend over model or on-disk storage, the
//! store settings they share, and `per_case!`, which makes one `#[test]` per case.

use std::fmt;
use store::{Backend, StoreConfig};

/// The manual clock's start (seconds).
pub const T0: i64 = 1_000_000;
/// The grace period of test stores (seconds).
pub const GRACE: i64 = 100;
/// The writer margin of test stores (seconds).
pub const MARGIN: i64 = 10;

/// Generates one `#[test]` per case for a function `fn name(case: Case)`:
/// `per_case!(name)` for all four cases, `per_case!(name: s3_model, s3_disk)` for some.
macro_rules! per_case {
    ($body:ident) => {
        per_case!($body: fs_model, fs_disk, s3_model, s3_disk);
    };
    ($body:ident: $($case:ident),+ $(,)?) => {
        mod $body {
            $(
                #[test]
                fn $case() {
                    super::$body($crate::common::Case::$case());
                }
            )+
        }
    };
}

/// Which storage a case runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// In-memory model storage.
    Model,
    /// Real files in a temporary directory.
    Disk,
}

/// One (backend, storage) combination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    pub backend: Backend,
    pub kind: Kind,
}

impl Case {
    pub fn fs_model() -> Self {
        Self {
            backend: Backend::Filesystem,
            kind: Kind::Model,
        }
    }
    pub fn fs_disk() -> Self {
        Self {
            backend: Backend::Filesystem,
            kind: Kind::Disk,
        }
    }
    pub fn s3_model() -> Self {
        Self {
            backend: Backend::S3,
            kind: Kind::Model,
        }
    }
    pub fn s3_disk() -> Self {
        Self {
            backend: Backend::S3,
            kind: Kind::Disk,
        }
    }

    /// The test store settings: grace [`GRACE`], margin [`MARGIN`].
    pub fn config(&self) -> StoreConfig {
        StoreConfig::new(self.backend).with_cutoff(GRACE, MARGIN)
    }

    pub fn is_s3(&self) -> bool {
        self.backend == Backend::S3
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}", self.backend, self.kind)
    }
}
