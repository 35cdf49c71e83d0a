//! Lock order: per-chunk lock → chunk store mutex → LRU mutex, for every blocking acquire.

use crate::oracle::ghost::Acquisition;
use crate::oracle::property::{Checked, Property, Violation};

/// An acquisition, as the ghost recorded it: a blocking acquire must not wait while holding
/// a lock of the same or a higher rank (when `check_order`), and no lock is ever held by two
/// threads.
#[inline]
pub fn acquired(acquisition: &Acquisition, check_order: bool) -> Checked {
    let Acquisition {
        lock,
        thread,
        blocking,
        above,
        previous,
    } = *acquisition;
    if let (true, true, Some(above)) = (blocking, check_order, above) {
        return Err(Violation::new(
            Property::LockOrder,
            format!("thread {thread} waited for {lock:?} while holding {above:?}"),
        ));
    }
    match previous {
        Some(other) => Err(Violation::new(
            Property::LockOrder,
            format!("{lock:?} taken by thread {thread} while thread {other} holds it"),
        )),
        None => Ok(()),
    }
}
