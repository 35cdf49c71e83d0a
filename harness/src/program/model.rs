//! The types of a generated actor program: the world it runs in, the history written
//! before its threads start, and each thread's operations.

use super::ops::Op;
use serde::{Deserialize, Serialize};
use store::storage::Fault;
use store::{Backend, Digest, LockGranularity};

/// The chunk pool programs draw from: the empty chunk, two chunks of the same size with
/// different content, and chunks of other sizes.
const POOL: [(&str, &[u8]); 6] = [
    ("E", b""),
    ("A1", b"alpha-1"),
    ("A2", b"alpha-2"),
    ("B", b"bravo"),
    ("C", b"charlie chunk"),
    ("D", b"delta"),
];

/// A chunk of the pool, by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Chunk(pub u8);

impl Chunk {
    /// How many chunks the pool holds.
    pub const COUNT: u8 = POOL.len() as u8;

    fn entry(self) -> (&'static str, &'static [u8]) {
        POOL[usize::from(self.0) % POOL.len()]
    }

    /// Its content.
    pub fn data(self) -> &'static [u8] {
        self.entry().1
    }

    /// Its digest.
    pub fn digest(self) -> Digest {
        Digest::of(self.data())
    }

    /// The empty chunk.
    pub const E: Chunk = Chunk(0);
    /// `alpha-1`, the size of [`Chunk::A2`].
    pub const A1: Chunk = Chunk(1);
    /// `alpha-2`, the size of [`Chunk::A1`].
    pub const A2: Chunk = Chunk(2);
    /// `bravo`.
    pub const B: Chunk = Chunk(3);
    /// `charlie chunk`.
    pub const C: Chunk = Chunk(4);
    /// `delta`.
    pub const D: Chunk = Chunk(5);

    /// Its short name in a printed program (`E` is the empty chunk).
    pub fn name(self) -> &'static str {
        self.entry().0
    }

    /// Bit rot of its local copy: the same size with one byte changed, or a truncation
    /// (a byte of garbage for the empty chunk).
    pub fn rotten(self, same_size: bool) -> Vec<u8> {
        let data = self.data();
        match (data.last(), same_size) {
            (None, _) => b"?".to_vec(),
            (Some(last), true) => {
                let mut rotten = data.to_vec();
                let end = rotten.len() - 1;
                rotten[end] = last ^ 0x20;
                rotten
            }
            (Some(_), false) => data[..data.len() / 2].to_vec(),
        }
    }
}

/// Where chunks live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BackendKind {
    /// Local chunk files.
    Filesystem,
    /// Bucket objects with a local cache.
    S3,
}

impl From<BackendKind> for Backend {
    fn from(kind: BackendKind) -> Self {
        match kind {
            BackendKind::Filesystem => Backend::Filesystem,
            BackendKind::S3 => Backend::S3,
        }
    }
}

/// How the chunk store mutex is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Granularity {
    /// One mutex, as upstream.
    Single,
    /// The default number of shards.
    Sharded,
}

impl From<Granularity> for LockGranularity {
    fn from(granularity: Granularity) -> Self {
        match granularity {
            Granularity::Single => LockGranularity::Single,
            Granularity::Sharded => LockGranularity::sharded(),
        }
    }
}

/// The datastore a program runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Knobs {
    /// Where chunks live.
    pub backend: BackendKind,
    /// LRU cache capacity in chunks (S3), 1–3.
    pub cache_capacity: u8,
    /// Objects per batched delete (S3), 1–3.
    pub delete_batch: u8,
    /// Chunk store mutex layout.
    pub granularity: Granularity,
    /// GC grace period, seconds.
    pub grace: i64,
    /// Margin before the oldest writer's start, seconds.
    pub margin: i64,
}

/// How long before the threads start a history item was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Age {
    /// Six grace periods ago: older than the cutoff even of a GC that waits for a writer
    /// begun [`Age::Old`].
    Ancient,
    /// Three grace periods ago: garbage to any GC.
    Old,
    /// Half a grace period ago: protected by the grace period.
    InsideGrace,
    /// Just now.
    Fresh,
}

/// One item of the history, written from the main thread before the threads start.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Past {
    /// A finished backup of group `group` with one index per list of chunks.
    Snapshot {
        /// Group number (`vm/<100 + group>`).
        group: u8,
        /// Its indexes' chunks.
        indexes: Vec<Vec<Chunk>>,
        /// When it was written.
        age: Age,
    },
    /// Chunks uploaded by a backup that aborted: nothing references them.
    Garbage {
        /// The chunks.
        chunks: Vec<Chunk>,
        /// When they were written.
        age: Age,
    },
    /// S3: an object put into the bucket behind this store (another host, a restore), with
    /// a local marker of the given age or no local file at all.
    Object {
        /// The chunk.
        chunk: Chunk,
        /// The local marker's age, if there is one.
        marker: Option<Age>,
    },
    /// Bit rot in the local copy of a chunk, if it has one.
    Corrupt {
        /// The chunk.
        chunk: Chunk,
        /// Same size with a changed byte, or truncated.
        same_size: bool,
    },
    /// S3: the local file of a chunk (content or marker), if it has one, is lost behind the
    /// store's back (a cache disk replaced, a cleanup); the bucket keeps its object.
    LostLocal {
        /// The chunk.
        chunk: Chunk,
    },
    /// A service reload after every other item (bit rot and lost files aside): the threads start with
    /// two processes. Backup sessions the history begins in the old process begin before
    /// it, those in the current one after it.
    Reload,
}

/// Which process an operation runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Proc {
    /// The newest process when the operation starts.
    Current,
    /// The first process, whether or not a reload has told it to shut down since.
    Old,
}

/// A generated actor program.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Program {
    /// The datastore.
    pub knobs: Knobs,
    /// What exists before the threads start.
    pub history: Vec<Past>,
    /// The threads, each a list of operations run in order.
    pub threads: Vec<Vec<Op>>,
    /// What a fixed program (a scenario) asserts beyond the generic end check; generated
    /// programs assert nothing more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect: Vec<Expect>,
    /// Storage faults the program plans (the guided search keeps and mutates them); they
    /// land only when the run injects faults (`--faults`), within its budget, and replace
    /// the checker's own choice. Empty: the checker chooses, as for any program.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<PlannedFault>,
}

/// A planned storage fault: the first storage operation of program thread `thread`, from
/// its `op`-th on (counted from 0), whose site can fail with `fault` fails with it. Counting
/// per thread keeps a plan's meaning across schedules, which interleave the threads'
/// operations differently; "from the `op`-th on" keeps it across small edits of the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PlannedFault {
    /// The program thread (from 0).
    pub thread: u8,
    /// The thread's storage operation to start looking at (from 0).
    pub op: u16,
    /// What goes wrong.
    pub fault: Fault,
}

/// An assertion of a fixed program, checked once its threads have joined, before the end
/// check. Skipped when an injected fault landed (what the threads did may be cut short).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Expect {
    /// The chunk survived intact, even if the history rotted it (a thread uploaded a good
    /// copy that must survive): on the filesystem its file holds its content; on S3 its
    /// object exists (the bucket is the chunk's home; nothing rots objects).
    Intact(Chunk),
    /// If the newest process's cache lists the chunk, its local file has content (the
    /// oracle checks this as the LRU mutex is released; a marker written after the last
    /// release is caught here).
    CachedWithContent(Chunk),
}

impl Program {
    /// Operations over all threads, counting each backup step, plus history items and
    /// planned faults: how large the program is.
    pub fn size(&self) -> usize {
        let ops: usize = self.threads.iter().flatten().map(Op::size).sum();
        ops + self.history.len() + self.faults.len()
    }

    /// Removes thread `t` with the faults planned for it, renumbering the later threads'.
    pub fn remove_thread(&mut self, t: usize) {
        self.threads.remove(t);
        self.faults.retain(|f| usize::from(f.thread) != t);
        for f in &mut self.faults {
            if usize::from(f.thread) > t {
                f.thread -= 1;
            }
        }
    }

    /// Whether the history or the threads hold a reload.
    pub fn reloads(&self) -> bool {
        self.history.contains(&Past::Reload)
            || (self.threads.iter().flatten()).any(|op| matches!(op, Op::Reload(_)))
    }
}

/// Group `group`'s name.
pub fn group_name(group: u8) -> String {
    format!("vm/{}", 100 + u16::from(group))
}
