//! Prune: delete a snapshot, unless a backup holds it (as its previous snapshot).

use crate::decision::Decision;
use crate::error::StoreError;
use crate::ids::{check_group_name, SnapshotId};
use crate::locks::LockMode;
use crate::observer::Event;
use crate::platform::{acting_as, Platform, Role};
use crate::process::Process;
use crate::writer::snapshot_lock;
use anyhow::{Context, Result};

impl<P: Platform> Process<P> {
    /// Deletes `snapshot` and its indexes.
    ///
    /// # Errors
    /// [`StoreError::Locked`] while a backup re-uses it (shared lock) or writes it;
    /// [`StoreError::NotFound`] when it does not exist; [`StoreError::BadName`]; I/O errors.
    pub fn prune(&self, snapshot: &SnapshotId) -> Result<()> {
        let _acting = acting_as::<P>(Role::Prune);
        check_group_name(&snapshot.group)?;
        let ds = self.datastore();
        let decide = |decision| ds.decide(decision, self.id(), None);
        let lock = snapshot_lock(snapshot);
        (ds.locks.try_lock_path(&lock, LockMode::Exclusive))
            .inspect_err(|_| decide(Decision::PruneBusy))?;
        let result = (|| {
            if ds.storage.indexes.indexes(snapshot)?.is_none() {
                decide(Decision::PruneNotFound);
                return Err(StoreError::NotFound(format!("snapshot {snapshot}")).into());
            }
            (ds.storage.indexes.remove_snapshot(snapshot))
                .inspect_err(|_| decide(Decision::PruneFailed))
                .with_context(|| format!("pruning snapshot {snapshot}"))?;
            decide(Decision::PrunePruned);
            // Reported once it is gone: a removal that failed leaves its indexes visible.
            ds.emit(Event::SnapshotPruned { snapshot });
            Ok(())
        })();
        ds.locks.unlock_path(&lock, LockMode::Exclusive);
        result
    }
}
