//! Conflict pairs: what makes a race, as coverage.
//!
//! When thread A acts on a chunk (a stat, read, touch, write, unlink, rename, a lookup, put
//! or delete of its object, an LRU change), then another thread B acts on the same chunk,
//! and then A acts on it again, B's act happened *inside A's window*: whatever A decided on
//! its first act may be stale by its next one. The abstract triple (A's first act, B's act,
//! A's next act, and whether A and B act for the same process) is a [`Conflict`]; which of
//! them a run produced says which races it set up, whether or not one broke anything.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use store::{Digest, Event, Fact, ProcessId};

/// What a thread did to a chunk's storage or LRU entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Act {
    /// Read the local file's size and atime.
    Stat,
    /// Read the local file's content.
    Read,
    /// Set the local file's atime.
    Touch,
    /// Wrote the local file (content or marker).
    Write,
    /// Deleted the local file.
    Unlink,
    /// Renamed the local file aside.
    Rename,
    /// Looked up or fetched the bucket object.
    Lookup,
    /// Put the bucket object.
    Put,
    /// Deleted the bucket object.
    Delete,
    /// Entered the LRU.
    LruIn,
    /// Left the LRU.
    LruOut,
}

impl Act {
    /// Every act, in order.
    pub const ALL: [Act; 11] = [
        Act::Stat,
        Act::Read,
        Act::Touch,
        Act::Write,
        Act::Unlink,
        Act::Rename,
        Act::Lookup,
        Act::Put,
        Act::Delete,
        Act::LruIn,
        Act::LruOut,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Act::Stat => "stat",
            Act::Read => "read",
            Act::Touch => "touch",
            Act::Write => "write",
            Act::Unlink => "unlink",
            Act::Rename => "rename",
            Act::Lookup => "lookup",
            Act::Put => "put",
            Act::Delete => "delete",
            Act::LruIn => "lru-in",
            Act::LruOut => "lru-out",
        }
    }

    /// The act an event is, with the thread and process acting and the chunk acted on
    /// (each of the chunks, for a batched delete); nothing for an event that acts on no
    /// chunk.
    pub fn of(event: &Event<'_>, mut each: impl FnMut(Act, u64, ProcessId, Digest)) {
        let (act, thread, process, digest) = match *event {
            Event::ObjectsDeleting {
                process,
                digests,
                thread,
            } => {
                for digest in digests {
                    each(Act::Delete, thread, process, *digest);
                }
                return;
            }
            Event::Fact(fact) => match fact {
                Fact::ChunkStatted {
                    process,
                    digest,
                    thread,
                } => (Act::Stat, thread, process, digest),
                Fact::ChunkRead {
                    process,
                    digest,
                    thread,
                } => (Act::Read, thread, process, digest),
                Fact::ChunkStamped {
                    process,
                    digest,
                    written,
                    thread,
                    ..
                } => match written {
                    true => (Act::Write, thread, process, digest),
                    false => (Act::Touch, thread, process, digest),
                },
                Fact::RemoveCalled {
                    process,
                    digest,
                    thread,
                }
                | Fact::LostChunkForgotten {
                    process,
                    digest,
                    thread,
                } => (Act::Unlink, thread, process, digest),
                Fact::ChunkQuarantined {
                    process,
                    digest,
                    thread,
                } => (Act::Rename, thread, process, digest),
                Fact::ObjectRead {
                    process,
                    digest,
                    thread,
                } => (Act::Lookup, thread, process, digest),
                Fact::ObjectPutting {
                    process,
                    digest,
                    thread,
                } => (Act::Put, thread, process, digest),
                Fact::LruInserted {
                    process,
                    digest,
                    thread,
                } => (Act::LruIn, thread, process, digest),
                Fact::LruRemoved {
                    process,
                    digest,
                    thread,
                } => (Act::LruOut, thread, process, digest),
                _ => return,
            },
            Event::IndexPublished { .. } | Event::SnapshotPruned { .. } => return,
        };
        each(act, thread, process, digest);
    }
}

impl FromStr for Act {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Act::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown act {s:?}"))
    }
}

/// Thread A's act, another thread's act on the same chunk inside A's window, and A's next
/// act on it (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Conflict {
    /// A's act that opened the window.
    pub first: Act,
    /// The other thread's act inside it.
    pub inside: Act,
    /// A's act that closed it.
    pub next: Act,
    /// Whether both threads acted for the same process.
    pub same_process: bool,
}

impl fmt::Display for Conflict {
    /// `stat|touch|unlink` (same process) or `stat|touch|unlink@other` (another process).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = (self.first.name(), self.inside.name(), self.next.name());
        match self.same_process {
            true => write!(f, "{a}|{b}|{c}"),
            false => write!(f, "{a}|{b}@other|{c}"),
        }
    }
}

impl FromStr for Conflict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('|').collect();
        let [first, inside, next] = parts[..] else {
            return Err(format!("not a conflict pair (first|inside|next): {s:?}"));
        };
        let (inside, same_process) = match inside.strip_suffix("@other") {
            Some(inside) => (inside, false),
            None => (inside, true),
        };
        Ok(Conflict {
            first: first.parse()?,
            inside: inside.parse()?,
            next: next.parse()?,
            same_process,
        })
    }
}

impl Serialize for Conflict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Conflict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One thread's open window on a chunk.
#[derive(Clone, Debug)]
struct Window {
    thread: u64,
    process: ProcessId,
    last: Act,
    /// Other threads' acts since `last`, each once, with whether they were of `process`.
    inside: Vec<(Act, bool)>,
}

/// The open windows of one execution, per chunk.
#[derive(Clone, Debug, Default)]
pub struct Windows {
    open: BTreeMap<Digest, Vec<Window>>,
}

impl Windows {
    /// Records that `thread` of `process` did `act` on `digest`: it lands inside every other
    /// thread's open window on the chunk, and closes (then reopens) the thread's own,
    /// counting the conflicts it closes into `reached`.
    pub fn act(
        &mut self,
        act: Act,
        thread: u64,
        process: ProcessId,
        digest: Digest,
        reached: &mut BTreeMap<Conflict, u64>,
    ) {
        let windows = self.open.entry(digest).or_default();
        let mut own = None;
        for (i, window) in windows.iter_mut().enumerate() {
            if window.thread == thread {
                own = Some(i);
                continue;
            }
            let entry = (act, window.process == process);
            if !window.inside.contains(&entry) {
                window.inside.push(entry);
            }
        }
        let Some(i) = own else {
            windows.push(Window {
                thread,
                process,
                last: act,
                inside: Vec::new(),
            });
            return;
        };
        let window = &mut windows[i];
        for (inside, same_process) in window.inside.drain(..) {
            let conflict = Conflict {
                first: window.last,
                inside,
                next: act,
                same_process,
            };
            *reached.entry(conflict).or_default() += 1;
        }
        window.last = act;
        window.process = process;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for first in Act::ALL {
            for same_process in [true, false] {
                let c = Conflict {
                    first,
                    inside: Act::Touch,
                    next: Act::Unlink,
                    same_process,
                };
                assert_eq!(c.to_string().parse::<Conflict>(), Ok(c));
            }
        }
        assert!("stat|touch".parse::<Conflict>().is_err());
        assert!("stat|poke|unlink".parse::<Conflict>().is_err());
    }
}
