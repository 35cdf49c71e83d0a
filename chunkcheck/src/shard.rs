//! `--shard K/N`: which part of a campaign's plan one machine runs.

use std::fmt;
use std::str::FromStr;

/// Part `index` of `count` of a campaign (`--shard K/N`, 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which part, from 1 to `count`.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl Shard {
    /// The whole campaign: shard 1/1.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Whether the item numbered `position` in the unsharded plan belongs to this shard.
    pub fn keeps(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let malformed =
            || format!("malformed shard {s:?}: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(malformed)?;
        let index: usize = k.trim().parse().map_err(|_| malformed())?;
        let count: usize = n.trim().parse().map_err(|_| malformed())?;
        if index == 0 || count == 0 || index > count {
            return Err(malformed());
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_k_of_n_and_rejects_the_rest() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard::WHOLE));
        assert_eq!(Shard { index: 3, count: 8 }.to_string(), "3/8");
        for bad in ["0/4", "5/4", "1/0", "4", "a/b", "", "1/2/3", "-1/2"] {
            let err = bad.parse::<Shard>().expect_err(bad);
            assert!(err.contains("expected K/N"), "{bad}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
