//! The assertions a fixed program adds to the generic end check ([`Expect`]).

use super::execute::Run;
use super::model::Expect;
use store::storage::{Bucket, ChunkDir};
use store::{Backend, Platform};

/// Checks `expect` on a program's datastore once its threads have joined. Nothing is
/// asserted once an injected fault landed: the threads' work may be cut short.
///
/// # Panics
/// When an expectation does not hold.
pub(super) fn expectations<P: Platform>(run: &Run<P>, expect: &[Expect]) {
    if run.faults.as_ref().is_some_and(|f| f.landed(None)) {
        return;
    }
    for expectation in expect {
        match *expectation {
            Expect::Intact(chunk) => {
                let digest = chunk.digest();
                let intact = match run.ds.config().backend {
                    Backend::Filesystem => run.chunks.inspect_intact(&digest) == Some(true),
                    Backend::S3 => run.bucket.inspect(&digest),
                };
                assert!(intact, "expected: {expectation}, but it is gone or damaged");
            }
            Expect::CachedWithContent(chunk) => {
                let newest = run.newest();
                let Some(cache) = newest.cache() else {
                    continue;
                };
                let digest = chunk.digest();
                let size = run.chunks.inspect(&digest).map(|s| s.size);
                assert!(
                    !cache.contains(&digest) || size.is_some_and(|s| s > 0),
                    "expected: {expectation}, but the LRU lists it and its local file is {size:?}"
                );
            }
        }
    }
}
