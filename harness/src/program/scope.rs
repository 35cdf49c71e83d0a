//! A declared scope: the small space of programs an exhaustive run covers.
//!
//! A [`Scope`] bounds every dimension a program has: how many threads, how many operations
//! each, which operation kinds, how many distinct chunks, whether a reload happens, the
//! backends and lock granularities, the cache capacity and delete batch, the clock steps a
//! thread may take, what the history may leave behind each chunk, and the fault budget.
//! It is written on the command line as `key=value` pairs separated by commas, every key
//! optional (`threads=2,ops=2,kinds=backup+gc`); the rest keep [`Scope::default`]'s values.
//! [`crate::program::enumerate`] lists its programs.

use super::model::{BackendKind, Chunk, Granularity};
use super::ops::clock::ClockStep;
use super::ops::OpKind;
use std::fmt;
use std::str::FromStr;

/// The chunks a scope names, in order: `chunks=k` takes the first `k`. A1 and A2 have the
/// same size (bit rot that keeps the size is then the only difference a stat cannot see).
pub const SCOPE_CHUNKS: [Chunk; 3] = [Chunk::A1, Chunk::A2, Chunk::B];

/// What the history may leave behind one chunk (besides nothing at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fate {
    /// Referenced by the history's snapshot (written inside the grace period).
    Snapshot,
    /// Uploaded by an aborted backup long ago: garbage to any GC.
    Garbage,
    /// S3: an object in the bucket with no local file (put behind this store's back).
    Object,
    /// Referenced by the snapshot, and its local copy rotted (same size).
    Rot,
    /// S3: referenced by the snapshot, and its local file lost behind the store's back.
    Lost,
}

impl Fate {
    /// Every fate, in order.
    pub const ALL: [Fate; 5] = [
        Fate::Snapshot,
        Fate::Garbage,
        Fate::Object,
        Fate::Rot,
        Fate::Lost,
    ];

    /// Its name in a scope.
    pub fn name(self) -> &'static str {
        match self {
            Fate::Snapshot => "snapshot",
            Fate::Garbage => "garbage",
            Fate::Object => "object",
            Fate::Rot => "rot",
            Fate::Lost => "lost",
        }
    }

    /// Whether `backend` has it (objects and lost local files are S3's).
    pub fn on(self, backend: BackendKind) -> bool {
        !matches!(
            (self, backend),
            (Fate::Object | Fate::Lost, BackendKind::Filesystem)
        )
    }
}

/// Whether and where a scope's programs reload the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReloadAt {
    /// No reload: one process.
    No,
    /// One thread opens with a reload: the threads start in one process and may run on
    /// either side of the reload.
    Thread,
    /// The history ends with a reload: the threads start with two processes, and the
    /// old process's backup sessions were begun before the reload (a process told to shut
    /// down starts no new one).
    History,
}

impl ReloadAt {
    /// Its name in a scope.
    pub fn name(self) -> &'static str {
        match self {
            ReloadAt::No => "no",
            ReloadAt::Thread => "thread",
            ReloadAt::History => "history",
        }
    }
}

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Threads, 2 or 3.
    pub threads: u8,
    /// Operations per thread, at most (1 to 3; a reload opening a thread comes on top).
    pub ops: u8,
    /// The operation kinds threads draw from (the reload is placed by `reload`).
    pub kinds: Vec<OpKind>,
    /// Distinct chunks, 1 to 3 (the first of [`SCOPE_CHUNKS`]).
    pub chunks: u8,
    /// Whether and where a reload happens (with one, every operation may act for the old
    /// process or the new one).
    pub reload: ReloadAt,
    /// Backends.
    pub backends: Vec<BackendKind>,
    /// Lock granularities.
    pub locks: Vec<Granularity>,
    /// S3 cache capacity in chunks, 1 to 3.
    pub cache: u8,
    /// S3 objects per batched delete, 1 to 3.
    pub batch: u8,
    /// The clock steps a `clock` operation may take.
    pub clock: Vec<ClockStep>,
    /// What the history may leave behind each chunk.
    pub history: Vec<Fate>,
    /// Fault budget per execution, 0 or 1 (loom searches once per fault choice).
    pub faults: u8,
}

impl Default for Scope {
    /// The default scope (`chunkcheck check --phase exhaustive`), sized to run in about two
    /// minutes on two cores at preemption bound 2 (BENCHMARKS.md, growth table).
    fn default() -> Self {
        Scope {
            threads: 2,
            ops: 1,
            kinds: vec![
                OpKind::Backup,
                OpKind::Gc,
                OpKind::Read,
                OpKind::Verify,
                OpKind::Prune,
                OpKind::Sync,
            ],
            chunks: 1,
            reload: ReloadAt::Thread,
            backends: vec![BackendKind::Filesystem, BackendKind::S3],
            locks: vec![Granularity::Single],
            cache: 1,
            batch: 1,
            clock: Vec::new(),
            history: vec![Fate::Snapshot, Fate::Garbage, Fate::Object, Fate::Rot],
            faults: 0,
        }
    }
}

fn kind_name(kind: &OpKind) -> &'static str {
    kind.name()
}

fn backend_name(backend: &BackendKind) -> &'static str {
    match backend {
        BackendKind::Filesystem => "fs",
        BackendKind::S3 => "s3",
    }
}

fn lock_name(lock: &Granularity) -> &'static str {
    match lock {
        Granularity::Single => "single",
        Granularity::Sharded => "sharded",
    }
}

fn clock_name(step: &ClockStep) -> &'static str {
    match step {
        ClockStep::Zero => "zero",
        ClockStep::One => "one",
        ClockStep::Margin => "margin",
        ClockStep::PastGrace => "past-grace",
    }
}

fn fate_name(fate: &Fate) -> &'static str {
    fate.name()
}

/// `a+b+c`, or `none` for an empty list.
fn joined<T>(items: &[T], name: fn(&T) -> &'static str) -> String {
    match items.is_empty() {
        true => "none".to_string(),
        false => items.iter().map(name).collect::<Vec<_>>().join("+"),
    }
}

impl fmt::Display for Scope {
    /// Every key, in the order [`Scope::from_str`] reads them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threads={},ops={},kinds={},chunks={},reload={},backends={},locks={},cache={},\
             batch={},clock={},history={},faults={}",
            self.threads,
            self.ops,
            joined(&self.kinds, kind_name),
            self.chunks,
            self.reload.name(),
            joined(&self.backends, backend_name),
            joined(&self.locks, lock_name),
            self.cache,
            self.batch,
            joined(&self.clock, clock_name),
            joined(&self.history, fate_name),
            self.faults,
        )
    }
}

/// A number in `lo..=hi`.
fn number(key: &str, value: &str, lo: u8, hi: u8) -> Result<u8, String> {
    match value.parse::<u8>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("scope: {key}={value:?}: expected {lo} to {hi}")),
    }
}

/// A `+`-separated list of names out of `all` (`none` for an empty one, where allowed).
fn names<T: Copy + PartialEq>(
    key: &str,
    value: &str,
    all: &[T],
    name: fn(&T) -> &'static str,
    may_be_empty: bool,
) -> Result<Vec<T>, String> {
    let known = || all.iter().map(name).collect::<Vec<_>>().join(", ");
    if value == "none" {
        return match may_be_empty {
            true => Ok(Vec::new()),
            false => Err(format!("scope: {key} may not be empty")),
        };
    }
    let mut list = Vec::new();
    for part in value.split('+') {
        let item = (all.iter().find(|item| name(item) == part))
            .ok_or_else(|| format!("scope: {key}: unknown {part:?}; known: {}", known()))?;
        if !list.contains(item) {
            list.push(*item);
        }
    }
    // Keep the declaration order, whatever order the user wrote.
    Ok(all
        .iter()
        .copied()
        .filter(|item| list.contains(item))
        .collect())
}

impl FromStr for Scope {
    type Err = String;

    /// `key=value` pairs separated by commas over [`Scope::default`] (see the module docs);
    /// a wrong key or value is one line naming it.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut scope = Scope::default();
        let kinds: Vec<OpKind> = (OpKind::ALL.iter().copied())
            .filter(|kind| *kind != OpKind::Reload)
            .collect();
        let clock = [
            ClockStep::Zero,
            ClockStep::One,
            ClockStep::Margin,
            ClockStep::PastGrace,
        ];
        let backends = [BackendKind::Filesystem, BackendKind::S3];
        let locks = [Granularity::Single, Granularity::Sharded];
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("scope: {pair:?} is not key=value"))?;
            match key {
                "threads" => scope.threads = number(key, value, 2, 3)?,
                "ops" => scope.ops = number(key, value, 1, 3)?,
                "kinds" => scope.kinds = names(key, value, &kinds, kind_name, false)?,
                "chunks" => scope.chunks = number(key, value, 1, SCOPE_CHUNKS.len() as u8)?,
                "reload" => {
                    let all = [ReloadAt::No, ReloadAt::Thread, ReloadAt::History];
                    scope.reload =
                        (all.into_iter().find(|r| r.name() == value)).ok_or_else(|| {
                            format!("scope: reload={value:?}: expected no, thread or history")
                        })?;
                }
                "backends" => scope.backends = names(key, value, &backends, backend_name, false)?,
                "locks" => scope.locks = names(key, value, &locks, lock_name, false)?,
                "cache" => scope.cache = number(key, value, 1, 3)?,
                "batch" => scope.batch = number(key, value, 1, 3)?,
                "clock" => scope.clock = names(key, value, &clock, clock_name, true)?,
                "history" => scope.history = names(key, value, &Fate::ALL, fate_name, true)?,
                "faults" => scope.faults = number(key, value, 0, 1)?,
                _ => {
                    return Err(format!(
                        "scope: unknown key {key:?}; known: threads, ops, kinds, chunks, \
                         reload, backends, locks, cache, batch, clock, history, faults"
                    ))
                }
            }
        }
        if scope.kinds.contains(&OpKind::Clock) && scope.clock.is_empty() {
            return Err("scope: kinds has clock but clock=none".to_string());
        }
        Ok(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_prints_what_it_parses() {
        let scope: Scope = "threads=3,ops=2,kinds=gc+backup,history=none,clock=one+margin"
            .parse()
            .unwrap();
        assert_eq!(scope.threads, 3);
        assert_eq!(scope.kinds, vec![OpKind::Backup, OpKind::Gc]);
        assert!(scope.history.is_empty());
        assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        assert_eq!(Scope::default().to_string().parse(), Ok(Scope::default()));
    }

    #[test]
    fn a_malformed_scope_is_one_line_naming_it() {
        for (bad, names) in [
            ("threads=9", "threads"),
            ("ops=0", "ops"),
            ("kinds=backup+fly", "fly"),
            ("kinds=none", "kinds"),
            ("color=red", "color"),
            ("reload=maybe", "reload"),
            ("chunks", "chunks"),
            ("kinds=clock,clock=none", "clock"),
            ("faults=2", "faults"),
        ] {
            let err = bad.parse::<Scope>().expect_err(bad);
            assert!(err.contains(names), "{bad}: {err}");
            assert!(!err.contains('\n'), "{bad}: {err}");
        }
    }
}
