//! Small identifiers shared by the store and its observers.

use std::fmt;

/// A daemon process (a value, see [`crate::Process`]); a reload starts a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(pub u32);

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {}", self.0)
    }
}

/// A backup writer session, unique across all processes of a datastore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriterId(pub u64);

impl fmt::Display for WriterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "writer-{}", self.0)
    }
}

/// A backup snapshot: a group (`vm/100`) and a backup time in seconds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotId {
    /// The backup group, `type/id`.
    pub group: String,
    /// The backup time in seconds.
    pub time: i64,
}

impl SnapshotId {
    /// The snapshot's relative directory, `group/time`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.group, self.time)
    }
}

impl fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// Checks a backup group name: `type/id`, with lowercase letters, digits, `-`, `_`, `.`.
///
/// # Errors
/// [`crate::StoreError::BadName`] for anything else (empty parts, `..`, other characters).
pub fn check_group_name(group: &str) -> Result<(), crate::StoreError> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    };
    let parts: Vec<&str> = group.split('/').collect();
    if parts.len() == 2 && parts.iter().all(|p| ok_part(p)) {
        Ok(())
    } else {
        Err(crate::StoreError::BadName(group.to_string()))
    }
}

/// Checks an index name: letters, digits, `-`, `_`, `.`, no leading dot, at most 64 characters.
///
/// # Errors
/// [`crate::StoreError::BadName`] otherwise.
pub fn check_index_name(name: &str) -> Result<(), crate::StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(crate::StoreError::BadName(name.to_string()))
    }
}
