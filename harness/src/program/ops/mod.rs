//! The operations of a program's threads, one module each, and their registry.
//!
//! An operation is a type implementing [`Operation`]: its file owns how it is drawn, run,
//! printed and shrunk, its name in reports and its default weight. The `operations!` macro turns the
//! list at the bottom of this file into [`Op`] (one variant per operation, serialized by
//! name), [`OpKind`], and every dispatch over them, so registering an operation is one line
//! and no `match` elsewhere needs to learn about it.

use super::execute::Run;
use super::generate::Rng;
use super::model::{Chunk, Proc};
use clock::ClockStep;
use serde::{Deserialize, Serialize};
use store::Platform;

/// What a program's threads can do.
pub trait Operation: Sized {
    /// Its name in reports and printed programs.
    const NAME: &'static str;
    /// How often the generator draws it among a thread's further operations, against the
    /// other operations' weights (zero: only where the generator places it itself).
    const WEIGHT: u64;

    /// The process it acts for, if it names one.
    fn proc(&self) -> Option<Proc>;

    /// The same operation acting for `proc`, if it names a process at all.
    fn in_proc(&self, proc: Proc) -> Option<Self>;

    /// Its scheduling-relevant size: one, unless it has steps of its own.
    fn size(&self) -> usize {
        1
    }

    /// Draws one.
    fn draw(draw: &mut Draw<'_>) -> Self;

    /// Runs it on program thread `thread` (0-based). A refusal the store documents is an
    /// accepted outcome; anything else panics.
    fn run<P: Platform>(&self, run: &Run<P>, thread: usize);

    /// It as one line of a printed program.
    fn render(&self) -> String;

    /// Variants one edit smaller or softer, for minimization (none by default).
    fn smaller(&self) -> Vec<Self> {
        Vec::new()
    }

    /// Every operation of this kind within `space`, for exhaustive enumeration: a small
    /// fixed menu over the space's processes and chunks (a session in its simplest shape).
    /// None for an operation the enumerator places itself (the reload).
    fn every(space: &Space) -> Vec<Self>;

    /// The same session at backup time `time`, if this operation is a session (the
    /// enumerator numbers each thread's sessions); `None` for anything else.
    fn timed(&self, _time: i64) -> Option<Self> {
        None
    }

    /// The same session begun by the history before its threads start (and before a
    /// history's reload, in its process), if this operation is a session that can be;
    /// `None` for anything else.
    fn begun_by_history(&self) -> Option<Self> {
        None
    }

    /// The backup session whose effect on the store this operation has, if it has one's:
    /// how a reference model that knows backups predicts it (the state-machine test's).
    fn as_backup(&self) -> Option<Backup> {
        None
    }
}

/// How many groups programs back up.
pub const GROUPS: u64 = 2;

/// What drawing an operation may use: the random source, the chunks the history wrote,
/// the share of operations in the old process, and each group's newest backup time so far.
pub struct Draw<'a> {
    /// The random source.
    pub rng: &'a mut Rng,
    /// Percent of operations in the old process (zero in a program without a reload).
    pub(super) old: u64,
    /// Chunks the history wrote, which operations are likelier to name again.
    pub(super) known: Vec<Chunk>,
    /// Per group, the newest backup time so far (a new backup is mostly newer).
    pub(super) times: Vec<i64>,
}

impl<'a> Draw<'a> {
    /// Draws from `rng`, with `old` percent of operations in the old process, `known`
    /// chunks likelier to be named, and each group's newest backup time so far (`times`,
    /// one per group of [`GROUPS`]).
    pub fn new(rng: &'a mut Rng, old: u64, known: Vec<Chunk>, times: Vec<i64>) -> Self {
        Draw {
            rng,
            old,
            known,
            times,
        }
    }

    /// The current process, or the old one with the program's old-process share.
    pub fn proc(&mut self) -> Proc {
        match self.old > 0 && self.rng.chance(self.old) {
            true => Proc::Old,
            false => Proc::Current,
        }
    }

    /// A chunk: one the history wrote, or (40 %, or when it wrote none) any of the pool.
    pub fn chunk(&mut self) -> Chunk {
        match self.known.is_empty() || self.rng.chance(40) {
            true => self.rng.chunk(),
            false => self.known[self.rng.below(self.known.len() as u64) as usize],
        }
    }

    /// A process, then a chunk.
    pub fn proc_and_chunk(&mut self) -> (Proc, Chunk) {
        let proc = self.proc();
        (proc, self.chunk())
    }

    /// A group number.
    pub fn group(&mut self) -> u8 {
        self.rng.below(GROUPS) as u8
    }

    /// The newest backup time of `group` drawn so far.
    pub fn last_time(&self, group: u8) -> i64 {
        self.times[usize::from(group)]
    }

    /// Records a backup of `group` at `time`.
    pub fn backed_up(&mut self, group: u8, time: i64) {
        let slot = &mut self.times[usize::from(group)];
        *slot = (*slot).max(time);
    }
}

/// What an exhaustive enumeration draws operations from ([`Operation::every`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Space {
    /// The processes operations may act for.
    pub procs: Vec<Proc>,
    /// The chunks operations may name.
    pub chunks: Vec<Chunk>,
    /// The clock steps a thread may take.
    pub clock: Vec<ClockStep>,
    /// The groups the threads' sessions back up: two, so that sessions can run side by
    /// side (another group) or meet the group lock (the same one).
    pub session_groups: Vec<u8>,
    /// The group of the history's snapshot (what a prune removes).
    pub history_group: u8,
}

/// The suffix of an operation's line naming its process (nothing for the current one).
pub(super) fn proc_suffix(proc: Proc) -> &'static str {
    match proc {
        Proc::Current => "",
        Proc::Old => " (old)",
    }
}

/// The line of an operation `name` on `chunk` in `proc`.
pub(super) fn on_chunk(name: &str, proc: Proc, chunk: Chunk) -> String {
    format!("{name}{} {}", proc_suffix(proc), chunk.name())
}

/// Declares the registered operations: `Variant(module::Type)`, one a line. Generates the
/// modules, [`Op`], [`OpKind`] and the dispatch between them.
macro_rules! operations {
    ($($variant:ident($module:ident::$ty:ident)),+ $(,)?) => {
        $(pub mod $module;)+
        $(pub use $module::$ty;)+

        /// One operation of a thread.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Op {
            $(
                #[doc = concat!("A [`", stringify!($ty), "`].")]
                $variant($ty),
            )+
        }

        /// What an operation is, for coverage of which kinds overlapped and for weights
        /// (serialized by name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum OpKind {
            $(
                #[doc = concat!("[`", stringify!($ty), "`].")]
                $variant,
            )+
        }

        impl OpKind {
            /// Every kind, in registry order.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$variant),+];

            /// Each kind with its default weight, in registry order.
            pub const WEIGHTS: &'static [(OpKind, u64)] =
                &[$((OpKind::$variant, <$ty as Operation>::WEIGHT)),+];

            /// Every kind the generator draws by weight, each with weight one.
            pub const FLAT_WEIGHTS: &'static [(OpKind, u64)] = &[$(
                (OpKind::$variant, if <$ty as Operation>::WEIGHT > 0 { 1 } else { 0 })
            ),+];

            /// Its name in reports.
            pub fn name(self) -> &'static str {
                match self {
                    $(OpKind::$variant => <$ty as Operation>::NAME,)+
                }
            }

            /// Every operation of this kind within `space` ([`Operation::every`]).
            pub fn every(self, space: &Space) -> Vec<Op> {
                match self {
                    $(OpKind::$variant => (<$ty as Operation>::every(space).into_iter())
                        .map(Op::$variant)
                        .collect(),)+
                }
            }

            /// Draws an operation of this kind.
            pub fn draw(self, draw: &mut Draw<'_>) -> Op {
                match self {
                    $(OpKind::$variant => Op::$variant(<$ty as Operation>::draw(draw)),)+
                }
            }
        }

        impl std::fmt::Display for OpKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for OpKind {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let known = OpKind::ALL.iter().find(|kind| kind.name() == s);
                known.copied().ok_or_else(|| format!("unknown operation {s:?}"))
            }
        }

        store::serde_by_name!(OpKind);

        impl Op {
            /// Its kind.
            pub fn kind(&self) -> OpKind {
                match self {
                    $(Op::$variant(_) => OpKind::$variant,)+
                }
            }

            /// The process it names, if any.
            pub fn proc(&self) -> Option<Proc> {
                match self {
                    $(Op::$variant(op) => op.proc(),)+
                }
            }

            /// The same operation acting for `proc`, if it names a process.
            pub fn in_proc(&self, proc: Proc) -> Option<Op> {
                match self {
                    $(Op::$variant(op) => op.in_proc(proc).map(Op::$variant),)+
                }
            }

            /// Scheduling-relevant size: steps of a backup, one for anything else.
            pub fn size(&self) -> usize {
                match self {
                    $(Op::$variant(op) => op.size(),)+
                }
            }

            /// Runs it on program thread `thread` (0-based).
            pub fn run<P: Platform>(&self, run: &Run<P>, thread: usize) {
                match self {
                    $(Op::$variant(op) => op.run(run, thread),)+
                }
            }

            /// It as one line of a printed program.
            pub fn render(&self) -> String {
                match self {
                    $(Op::$variant(op) => op.render(),)+
                }
            }

            /// The backup session whose effect it has, if any ([`Operation::as_backup`]).
            pub fn as_backup(&self) -> Option<Backup> {
                match self {
                    $(Op::$variant(op) => op.as_backup(),)+
                }
            }

            /// The same session at backup time `time`, if it is one ([`Operation::timed`]).
            pub fn timed(&self, time: i64) -> Option<Op> {
                match self {
                    $(Op::$variant(op) => op.timed(time).map(Op::$variant),)+
                }
            }

            /// The same session begun by the history, if it can be one
            /// ([`Operation::begun_by_history`]).
            pub fn begun_by_history(&self) -> Option<Op> {
                match self {
                    $(Op::$variant(op) => op.begun_by_history().map(Op::$variant),)+
                }
            }

            /// Variants one edit smaller or softer.
            pub fn smaller(&self) -> Vec<Op> {
                match self {
                    $(Op::$variant(op) => op.smaller().into_iter().map(Op::$variant).collect(),)+
                }
            }
        }

        $(
            impl From<$ty> for Op {
                fn from(op: $ty) -> Op {
                    Op::$variant(op)
                }
            }
        )+
    };
}

// The registry. The order is the order of report columns and of the generator's weighted
// draw (changing it changes which program a seed gives).
operations! {
    Backup(backup::Backup),
    Gc(gc::Gc),
    Reload(reload::Reload),
    Read(read::Read),
    Verify(verify::Verify),
    Prune(prune::Prune),
    Clock(clock::Clock),
    Sync(sync::SyncJob),
}
