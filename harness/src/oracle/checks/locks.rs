//! Lock order: per-chunk lock → chunk store mutex → LRU mutex, for every blocking acquire.

use crate::oracle::ghost::{Ghost, Holder};
use crate::oracle::property::{Checked, Property, Violation};
use store::LockKind;

/// Records an acquisition of `lock` by `thread` in the ghost and checks it: a blocking
/// acquire must not wait while holding a lock of the same or a higher rank (when
/// `check_order`), and no lock is ever held by two threads.
///
/// Lock events are the most frequent ones, so the check and the ghost's update share their
/// map lookups here instead of the check reading the ghost and [`Ghost::apply`] writing it.
#[inline]
pub fn acquired(
    ghost: &mut Ghost,
    lock: LockKind,
    thread: u64,
    blocking: bool,
    check_order: bool,
) -> Checked {
    let held = ghost.held.entry(thread).or_default();
    if blocking && check_order {
        if let Some(above) = held.iter().find(|h| h.rank() >= lock.rank()) {
            return Err(Violation::new(
                Property::LockOrder,
                format!("thread {thread} waited for {lock:?} while holding {above:?}"),
            ));
        }
    }
    held.push(lock);
    ghost.acquisitions += 1;
    let holder = Holder {
        thread,
        acquisition: ghost.acquisitions,
        judged: Vec::new(),
    };
    match ghost.holders.insert(lock, holder) {
        Some(other) => Err(Violation::new(
            Property::LockOrder,
            format!(
                "{lock:?} taken by thread {thread} while thread {} holds it",
                other.thread
            ),
        )),
        None => Ok(()),
    }
}
