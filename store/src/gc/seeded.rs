//! The seeded bugs of garbage collection that need code of their own.

/// [`crate::SeededBug::GcReadsTempIndex`]: phase 1 takes every file ending in `didx`
/// for an index, so the `.tmp_didx` a crashed writer left counts as published.
pub(super) fn ends_in_didx(file: &str) -> bool {
    file.ends_with("didx")
}
