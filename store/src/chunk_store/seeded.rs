//! The seeded bugs of the chunk store that need code of their own.

use super::ChunkStore;
use crate::digest::Digest;
use crate::platform::Platform;
use crate::storage::ChunkStat;
use anyhow::Result;

impl<P: Platform> ChunkStore<P> {
    /// [`crate::SeededBug::SweepStatOutsideMutex`] (and the look of an S3 re-use under
    /// [`crate::SeededBug::TouchWithoutMutex`]): a stat without the chunk store mutex, so
    /// what it finds can change before the caller acts on it.
    pub(crate) fn stat_without_mutex(&self, digest: &Digest) -> Result<Option<ChunkStat>> {
        self.stat_file(digest)
    }

    /// [`crate::SeededBug::StaleStamp`]: the clock is read before the touch's storage
    /// step, and the file stamped with that reading whenever the step lands.
    pub(super) fn touch_with_clock_read_first(&self, digest: &Digest) -> Result<Option<i64>> {
        let now = self.ds.clock.now();
        let found = self.ds.storage.chunks.touch(digest, now)?;
        Ok(found.then_some(now))
    }

    /// [`crate::SeededBug::TouchWithoutMutex`]: the re-use paths touch without the
    /// chunk store mutex.
    pub(super) fn touch_without_mutex(&self, digest: &Digest) -> Result<bool> {
        self.touch_file(digest)
    }
}
