//! Conflict pairs: what makes a race, as coverage.
//!
//! When thread A acts on a chunk (a stat, read, touch, write, unlink, rename, a lookup, put
//! or delete of its object, an LRU change), then another thread B acts on the same chunk,
//! and then A acts on it again, B's act happened *inside A's window*: whatever A decided on
//! its first act may be stale by its next one. The abstract triple (A's first act, B's act,
//! A's next act, whether A and B act for the same process, and whether the clock moved
//! between A's first act and B's) is a [`Conflict`]; which of them a run produced says which
//! races it set up, whether or not one broke anything.
//!
//! Time is the last of these: what A decided on its first act includes what the clock read
//! then (an atime to keep, a cutoff, a stamp), and a B acting after the clock moved acts
//! with a later time than A's decision assumed. The model's clock moves only where the executor
//! moves it (the history's ages, a clock step of the program, the end check), and every
//! such move of more than zero is reported ([`Windows::clock_moved`]).

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
    /// Whether the clock moved between A's first act and the other thread's.
    pub later: bool,
}

impl fmt::Display for Conflict {
    /// `stat|touch|unlink` (same process), `stat|touch@other|unlink` (another process),
    /// `stat|later touch|unlink` (after the clock moved).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b, c) = (self.first.name(), self.inside.name(), self.next.name());
        let later = if self.later { "later " } else { "" };
        let other = if self.same_process { "" } else { "@other" };
        write!(f, "{a}|{later}{b}{other}|{c}")
    }
}

impl FromStr for Conflict {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('|').collect();
        let [first, inside, next] = parts[..] else {
            return Err(format!("not a conflict pair (first|inside|next): {s:?}"));
        };
        let (inside, later) = match inside.strip_prefix("later ") {
            Some(inside) => (inside, true),
            None => (inside, false),
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
            later,
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
    /// The clock's moves before `last`.
    opened: u64,
    /// Other threads' acts since `last`, each once, with whether they were of `process` and
    /// whether the clock had moved since `last`.
    inside: Vec<(Act, bool, bool)>,
}

/// The open windows of one execution, per chunk.
#[derive(Clone, Debug, Default)]
pub struct Windows {
    open: BTreeMap<Digest, Vec<Window>>,
    /// How often the clock moved so far.
    clock_moves: u64,
}

impl Windows {
    /// The clock moved `secs` forward: acts from now on are later than every window opened
    /// before, unless it moved by nothing.
    pub fn clock_moved(&mut self, secs: i64) {
        if secs > 0 {
            self.clock_moves += 1;
        }
    }

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
            let later = self.clock_moves > window.opened;
            let entry = (act, window.process == process, later);
            if !window.inside.contains(&entry) {
                window.inside.push(entry);
            }
        }
        let Some(i) = own else {
            windows.push(Window {
                thread,
                process,
                last: act,
                opened: self.clock_moves,
                inside: Vec::new(),
            });
            return;
        };
        let window = &mut windows[i];
        for (inside, same_process, later) in window.inside.drain(..) {
            let conflict = Conflict {
                first: window.last,
                inside,
                next: act,
                same_process,
                later,
            };
            *reached.entry(conflict).or_default() += 1;
        }
        window.last = act;
        window.opened = self.clock_moves;
        window.process = process;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for first in Act::ALL {
            for (same_process, later) in
                [(true, false), (false, false), (true, true), (false, true)]
            {
                let c = Conflict {
                    first,
                    inside: Act::Touch,
                    next: Act::Unlink,
                    same_process,
                    later,
                };
                assert_eq!(c.to_string().parse::<Conflict>(), Ok(c));
            }
        }
        assert!("stat|touch".parse::<Conflict>().is_err());
        assert!("stat|sooner touch|unlink".parse::<Conflict>().is_err());
        assert!("stat|poke|unlink".parse::<Conflict>().is_err());
    }

    /// A window records whether the clock moved between its opening act and the act inside
    /// it, not whether it moved at all before the window closed.
    #[test]
    fn an_act_after_the_clock_moved_is_later() {
        let d = Digest::of(b"chunk");
        let (p1, p2) = (ProcessId(1), ProcessId(2));
        let mut reached = BTreeMap::new();
        let mut w = Windows::default();
        w.act(Act::Stat, 1, p1, d, &mut reached);
        w.act(Act::Touch, 2, p1, d, &mut reached);
        w.clock_moved(0);
        w.act(Act::Read, 2, p1, d, &mut reached);
        w.clock_moved(1);
        w.act(Act::Touch, 3, p2, d, &mut reached);
        w.act(Act::Write, 1, p1, d, &mut reached);
        let mut names: Vec<String> = reached.keys().map(|c| c.to_string()).collect();
        names.sort();
        // The read came after a step of zero: not later.
        assert_eq!(
            names,
            [
                "stat|later touch@other|write",
                "stat|read|write",
                "stat|touch|write"
            ]
        );
        // Thread 1's new window opened after the move: nothing in it is later.
        w.act(Act::Unlink, 2, p1, d, &mut reached);
        w.act(Act::Stat, 1, p1, d, &mut reached);
        assert!(reached.contains_key(&"write|unlink|stat".parse().expect("a pair")));
    }
}
