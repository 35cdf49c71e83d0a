//! Where a profile's records go: one record per thread, folded into process-wide totals
//! when the thread exits, summed by [`snapshot`].

use super::histogram::{bump, Counts, Histogram, Summary};
use super::{LockClass, Role};
use serde::Serialize;
use std::cell::Cell as StdCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

const CELLS: usize = LockClass::ALL.len() * Role::ALL.len();

/// One thread's records of one lock class in one role.
struct Cell {
    acquisitions: AtomicU64,
    contended: AtomicU64,
    wait: Histogram,
    hold: Histogram,
}

impl Cell {
    fn new() -> Self {
        Self {
            acquisitions: AtomicU64::new(0),
            contended: AtomicU64::new(0),
            wait: Histogram::new(),
            hold: Histogram::new(),
        }
    }

    fn add_to(&self, into: &mut Totals) {
        into.acquisitions += self.acquisitions.load(Relaxed);
        into.contended += self.contended.load(Relaxed);
        self.wait.add_to(&mut into.wait);
        self.hold.add_to(&mut into.hold);
    }

    fn clear(&self) {
        self.acquisitions.store(0, Relaxed);
        self.contended.store(0, Relaxed);
        self.wait.clear();
        self.hold.clear();
    }
}

/// A thread's cells, allocated on first use of each (class, role).
struct ThreadRecord {
    cells: [OnceLock<Cell>; CELLS],
}

impl ThreadRecord {
    fn cell(&self, class: LockClass, role: Role) -> &Cell {
        self.cells[class.index() * Role::ALL.len() + role.index()].get_or_init(Cell::new)
    }

    fn add_to(&self, totals: &mut BTreeMap<(LockClass, Role), Totals>) {
        for class in LockClass::ALL {
            for role in Role::ALL {
                let slot = &self.cells[class.index() * Role::ALL.len() + role.index()];
                if let Some(cell) = slot.get() {
                    cell.add_to(totals.entry((class, role)).or_default());
                }
            }
        }
    }
}

/// Sums of one (class, role) over threads.
#[derive(Clone, Debug, Default)]
struct Totals {
    acquisitions: u64,
    contended: u64,
    wait: Counts,
    hold: Counts,
}

impl Totals {
    fn merge(&mut self, other: &Totals) {
        self.acquisitions += other.acquisitions;
        self.contended += other.contended;
        self.wait.merge(&other.wait);
        self.hold.merge(&other.hold);
    }
}

/// Live threads' records, and the totals of threads that have exited.
struct Registry {
    live: Vec<Arc<ThreadRecord>>,
    retired: BTreeMap<(LockClass, Role), Totals>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: Vec::new(),
    retired: BTreeMap::new(),
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A thread's handle on its record; folds it into the totals when the thread exits.
struct Handle(Arc<ThreadRecord>);

impl Handle {
    fn register() -> Self {
        let record = Arc::new(ThreadRecord {
            cells: std::array::from_fn(|_| OnceLock::new()),
        });
        registry().live.push(record.clone());
        Self(record)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut registry = registry();
        let Registry { live, retired } = &mut *registry;
        self.0.add_to(retired);
        live.retain(|r| !Arc::ptr_eq(r, &self.0));
    }
}

thread_local! {
    static RECORD: Handle = Handle::register();
    static ROLE: StdCell<Role> = const { StdCell::new(Role::Other) };
}

/// Runs `f` on the calling thread's cell of (class, role); nothing while the thread's
/// locals are being destroyed.
fn with_cell(class: LockClass, role: Role, f: impl FnOnce(&Cell)) {
    let _ = RECORD.try_with(|h| f(h.0.cell(class, role)));
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A lock of `class` was taken in `role` after blocking for `wait` (`None`: it was free)
/// and held for `hold` (`None`: a condition wait, which holds nothing). Called after the
/// release, so recording adds nothing to the hold or to other threads' waits.
pub(super) fn record(class: LockClass, role: Role, wait: Option<Duration>, hold: Option<Duration>) {
    with_cell(class, role, |c| {
        bump(&c.acquisitions, 1);
        if let Some(wait) = wait {
            bump(&c.contended, 1);
            c.wait.record(nanos(wait));
        }
        if let Some(hold) = hold {
            c.hold.record(nanos(hold));
        }
    });
}

/// The calling thread's role.
pub(super) fn role() -> Role {
    ROLE.try_with(StdCell::get).unwrap_or_default()
}

/// Makes `role` the calling thread's role unless it has one; whether it did.
pub(super) fn enter_role(role: Role) -> bool {
    ROLE.try_with(|r| {
        let free = r.get() == Role::Other;
        if free {
            r.set(role);
        }
        free
    })
    .unwrap_or(false)
}

/// Clears the calling thread's role.
pub(super) fn leave_role() {
    let _ = ROLE.try_with(|r| r.set(Role::Other));
}

/// Forgets everything recorded so far, by every thread (call it between runs, while no
/// profiled thread runs).
pub fn reset() {
    let mut registry = registry();
    registry.retired.clear();
    for record in &registry.live {
        for cell in record.cells.iter().filter_map(OnceLock::get) {
            cell.clear();
        }
    }
}

/// What every thread recorded since the last [`reset`].
pub fn snapshot() -> Snapshot {
    let registry = registry();
    let mut cells = registry.retired.clone();
    for record in &registry.live {
        record.add_to(&mut cells);
    }
    Snapshot { cells }
}

/// A profile: per lock class and role, what the threads recorded.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    cells: BTreeMap<(LockClass, Role), Totals>,
}

impl Snapshot {
    /// Adds what `other` recorded (the rounds of one measurement, summed).
    pub fn absorb(&mut self, other: &Snapshot) {
        for (key, totals) in &other.cells {
            self.cells.entry(*key).or_default().merge(totals);
        }
    }

    /// One row per (class, role) that recorded anything, in class then role order.
    pub fn rows(&self) -> Vec<Row> {
        (self.cells.iter())
            .filter(|(_, t)| t.acquisitions > 0)
            .map(|(&(class, role), t)| Row::of(class, Some(role), t))
            .collect()
    }

    /// All roles of `class` together (`role` is `None`).
    pub fn class_total(&self, class: LockClass) -> Row {
        let mut sum = Totals::default();
        for (_, t) in self
            .cells
            .range((class, Role::ALL[0])..=(class, Role::Other))
        {
            sum.merge(t);
        }
        Row::of(class, None, &sum)
    }

    /// One row per class that recorded anything, all roles together.
    pub fn classes(&self) -> Vec<Row> {
        (LockClass::ALL.into_iter())
            .map(|class| self.class_total(class))
            .filter(|row| row.acquisitions > 0)
            .collect()
    }
}

/// What one lock class recorded, in one role or in all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The lock class.
    pub class: LockClass,
    /// The role; `None` for all roles together.
    pub role: Option<Role>,
    /// How often the lock was taken (for a condition class: how often a thread waited).
    pub acquisitions: u64,
    /// How many acquisitions found the lock taken and blocked.
    pub contended: u64,
    /// The blocked acquisitions' waits.
    pub wait: Summary,
    /// The holds, from acquisition to release (none for a condition class).
    pub hold: Summary,
    /// The waits' distribution: (bucket upper bound in ns, count) per non-empty bucket.
    pub wait_buckets: Vec<(u64, u64)>,
}

impl Row {
    fn of(class: LockClass, role: Option<Role>, t: &Totals) -> Self {
        Self {
            class,
            role,
            acquisitions: t.acquisitions,
            contended: t.contended,
            wait: t.wait.summary(),
            hold: t.hold.summary(),
            wait_buckets: t.wait.points(),
        }
    }

    /// The share of acquisitions that had to wait, 0 to 1.
    pub fn contended_share(&self) -> f64 {
        if self.acquisitions == 0 {
            0.0
        } else {
            self.contended as f64 / self.acquisitions as f64
        }
    }
}
