//! The properties the oracle checks, and a violation of one.

use std::fmt;
use std::str::FromStr;

/// A property the oracle checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// `remove` without the chunk store mutex of its process.
    P1,
    /// `remove` of a chunk a visible index references.
    P2,
    /// `remove` of a chunk an active writer of the same process uses.
    P3,
    /// `remove` of a chunk an active writer of another process uses.
    P4,
    /// A referenced chunk is gone (deleted object, or an index published over a missing chunk).
    Harm,
    /// An LRU entry without full local content.
    LruContent,
    /// A local chunk file without its bucket object outside the per-chunk lock.
    CacheBucket,
    /// Locks taken against the order per-chunk → chunk store → LRU.
    LockOrder,
    /// Two GCs at once.
    SingleGc,
    /// A completed GC left garbage older than its cutoff.
    Progress,
    /// A GC's cutoff later than its clock and the active writers allow.
    Cutoff,
    /// A bucket put or delete without the chunk's per-chunk lock.
    ChunkLock,
    /// A read served a copy that does not hash to its digest while a good one existed.
    Readable,
    /// A lost bucket object a GC did not report missing (or left a marker claiming), a
    /// chunk reported missing that is not, or an upload that did not put a lost one back.
    Recovery,
    /// A write or touch left a chunk's atime older than a stamp reported for it before: its
    /// GC mark moved back.
    AtimeOrder,
}

impl Property {
    /// Every property.
    pub const ALL: [Property; 15] = [
        Self::P1,
        Self::P2,
        Self::P3,
        Self::P4,
        Self::Harm,
        Self::LruContent,
        Self::CacheBucket,
        Self::LockOrder,
        Self::SingleGc,
        Self::Progress,
        Self::Cutoff,
        Self::ChunkLock,
        Self::Readable,
        Self::Recovery,
        Self::AtimeOrder,
    ];

    /// The name used in violation messages (`"<name> violated: ..."`) and reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::P1 => "P1",
            Self::P2 => "P2",
            Self::P3 => "P3",
            Self::P4 => "P4",
            Self::Harm => "harm",
            Self::LruContent => "LRU content",
            Self::CacheBucket => "cache/bucket",
            Self::LockOrder => "lock order",
            Self::SingleGc => "single GC",
            Self::Progress => "progress",
            Self::Cutoff => "cutoff",
            Self::ChunkLock => "chunk lock",
            Self::Readable => "readable",
            Self::Recovery => "recovery",
            Self::AtimeOrder => "atime order",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Property {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let known = Self::ALL.into_iter().find(|p| p.name() == s);
        known.ok_or_else(|| format!("unknown property {s:?}"))
    }
}

store::serde_by_name!(Property);

/// A broken property with what broke it (one line, without the trail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// The digest, actor and state that break it.
    pub detail: String,
}

impl Violation {
    /// A violation of `property`.
    pub fn new(property: Property, detail: impl Into<String>) -> Self {
        Self {
            property,
            detail: detail.into(),
        }
    }
}

/// The result of one check.
pub type Checked = Result<(), Violation>;
