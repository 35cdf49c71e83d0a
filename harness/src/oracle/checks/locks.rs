//! Lock order: per-chunk lock → chunk store mutex → LRU mutex, for every blocking acquire.

use crate::oracle::ghost::Ghost;
use crate::oracle::property::{Checked, Property, Violation};
use store::LockKind;

/// An acquisition of `lock` by `thread`: a blocking acquire must not wait while holding a
/// lock of the same or a higher rank (when `check_order`), and no lock is ever held by two
/// threads.
#[inline]
pub fn acquired(
    ghost: &Ghost,
    lock: LockKind,
    thread: u64,
    blocking: bool,
    check_order: bool,
) -> Checked {
    if blocking && check_order {
        let held = ghost.held.get(&thread).into_iter().flatten();
        if let Some(above) = held.into_iter().find(|h| h.rank() >= lock.rank()) {
            return Err(Violation::new(
                Property::LockOrder,
                format!("thread {thread} waited for {lock:?} while holding {above:?}"),
            ));
        }
    }
    match ghost.holders.get(&lock) {
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
