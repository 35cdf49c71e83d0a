//! How often a run reached the states where a precondition is at risk.

/// How often the dangerous states were reached: one execution's counts, or a run's sum.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// Events observed.
    pub events: u64,
    /// `remove` calls checked.
    pub removes: u64,
    /// Removes while a writer of any process was active (P3/P4 at risk).
    pub removes_with_active_writer: u64,
    /// Removes while some visible index existed (P2 at risk).
    pub removes_with_visible_index: u64,
    /// Removes by a GC during which a writer started.
    pub removes_writer_started_during_gc: u64,
    /// Removes by a GC during which a reload happened.
    pub removes_reload_during_gc: u64,
    /// Bucket objects deleted.
    pub objects_deleted: u64,
    /// GCs that completed.
    pub gcs_completed: u64,
    /// GCs that aborted or failed.
    pub gcs_aborted: u64,
}

impl Coverage {
    /// Adds another run's counts to these.
    pub fn add(&mut self, other: &Coverage) {
        self.events += other.events;
        self.removes += other.removes;
        self.removes_with_active_writer += other.removes_with_active_writer;
        self.removes_with_visible_index += other.removes_with_visible_index;
        self.removes_writer_started_during_gc += other.removes_writer_started_during_gc;
        self.removes_reload_during_gc += other.removes_reload_during_gc;
        self.objects_deleted += other.objects_deleted;
        self.gcs_completed += other.gcs_completed;
        self.gcs_aborted += other.gcs_aborted;
    }
}
