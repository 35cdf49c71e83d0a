//! How finely the chunk store mutex is split: upstream's single mutex, or one per shard.
//!
//! Every chunk store operation touches one chunk, so the mutex only has to exclude
//! operations on the *same* digest: insert or touch against the sweep step that stats and
//! removes that digest (precondition P1). Splitting it by digest keeps that guarantee for
//! each digest while letting operations on different shards run in parallel. The store and
//! the harness's oracle both map a digest to its shard with [`LockGranularity::shard_of`],
//! so the oracle checks P1 against the very lock the store took.

use crate::digest::Digest;
use std::fmt;
use std::str::FromStr;

/// Shards of [`LockGranularity::Sharded`] when none are given (`"sharded"`).
pub const DEFAULT_SHARDS: u32 = 16;
/// The most shards: one per value of the digest's first byte.
pub const MAX_SHARDS: u32 = 256;

/// How the chunk store mutex of a process is split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LockGranularity {
    /// One mutex for the whole chunk store, as upstream (shard 0 for every digest).
    #[default]
    Single,
    /// `n` mutexes; a digest belongs to shard `first byte % n`. `n` is clamped to
    /// `1..=256`; `Sharded(1)` locks like `Single`.
    Sharded(u32),
}

impl LockGranularity {
    /// `Sharded` with [`DEFAULT_SHARDS`] shards.
    pub const fn sharded() -> Self {
        Self::Sharded(DEFAULT_SHARDS)
    }

    /// Number of mutexes (1 for `Single`).
    pub fn shards(&self) -> u32 {
        match *self {
            Self::Single => 1,
            Self::Sharded(n) => n.clamp(1, MAX_SHARDS),
        }
    }

    /// The shard whose mutex guards `digest`: always 0 for `Single`.
    #[inline]
    pub fn shard_of(&self, digest: &Digest) -> u32 {
        match *self {
            Self::Single => 0,
            Self::Sharded(_) => u32::from(digest.0[0]) % self.shards(),
        }
    }
}

impl fmt::Display for LockGranularity {
    /// `single`, or `sharded:<n>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single => f.write_str("single"),
            Self::Sharded(_) => write!(f, "sharded:{}", self.shards()),
        }
    }
}

impl FromStr for LockGranularity {
    type Err = String;

    /// Parses `single`, `sharded` ([`DEFAULT_SHARDS`] shards) or `sharded:<n>`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("unknown lock granularity {s:?}; known: single, sharded, sharded:<n>");
        match s {
            "single" => Ok(Self::Single),
            "sharded" => Ok(Self::sharded()),
            _ => {
                let n = s.strip_prefix("sharded:").ok_or_else(bad)?;
                match n.parse::<u32>() {
                    Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(Self::Sharded(n)),
                    _ => Err(format!("{s:?}: the shard count must be 1 to {MAX_SHARDS}")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_maps_everything_to_shard_zero() {
        for i in 0..=255u8 {
            let d = Digest([i; 32]);
            assert_eq!(LockGranularity::Single.shard_of(&d), 0);
            assert_eq!(LockGranularity::Sharded(1).shard_of(&d), 0);
        }
        assert_eq!(LockGranularity::default(), LockGranularity::Single);
    }

    #[test]
    fn sharded_uses_the_first_byte_and_stays_in_range() {
        let g = LockGranularity::Sharded(16);
        assert_eq!(g.shard_of(&Digest([0x4b; 32])), 0x4b % 16);
        for n in [0, 1, 3, 16, 256, 1000] {
            let g = LockGranularity::Sharded(n);
            for i in 0..=255u8 {
                assert!(g.shard_of(&Digest([i; 32])) < g.shards());
            }
        }
        assert_eq!(LockGranularity::Sharded(0).shards(), 1);
        assert_eq!(LockGranularity::Sharded(1000).shards(), MAX_SHARDS);
    }

    #[test]
    fn names_round_trip() {
        for g in [
            LockGranularity::Single,
            LockGranularity::sharded(),
            LockGranularity::Sharded(4),
        ] {
            assert_eq!(g.to_string().parse::<LockGranularity>(), Ok(g));
        }
        assert_eq!("sharded".parse(), Ok(LockGranularity::Sharded(16)));
        assert!("sharded:0".parse::<LockGranularity>().is_err());
        assert!("coarse".parse::<LockGranularity>().is_err());
    }
}
