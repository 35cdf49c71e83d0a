//! Chunk digests: the SHA-256 of a chunk's content, its name on disk and in the bucket.

use crate::error::StoreError;
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::str::FromStr;

/// The SHA-256 digest naming a chunk.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Self {
        Self(Sha256::digest(data).into())
    }

    /// Parses 64 lowercase or uppercase hex characters.
    ///
    /// # Errors
    /// [`StoreError::BadDigest`] for any other input.
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::BadDigest(text.chars().take(80).collect());
        if text.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| bad())?;
        Ok(Self(bytes))
    }

    /// The 64-character lowercase hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The prefix directory `XXXX` (first two bytes in hex) the chunk lives in.
    pub fn prefix(&self) -> String {
        hex::encode(&self.0[..2])
    }

    /// The relative path `.chunks/XXXX/<hex>` of the chunk, shared by disk and bucket.
    pub fn chunk_key(&self) -> String {
        format!(".chunks/{}/{}", self.prefix(), self.to_hex())
    }

    /// Checks that `data` hashes to this digest.
    ///
    /// # Errors
    /// [`StoreError::DigestMismatch`] when it does not.
    pub fn verify(&self, data: &[u8]) -> Result<(), StoreError> {
        let actual = Self::of(data);
        if actual == *self {
            Ok(())
        } else {
            Err(StoreError::DigestMismatch {
                expected: *self,
                actual,
            })
        }
    }
}

impl FromStr for Digest {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        Self::from_hex(s)
    }
}

impl fmt::Display for Digest {
    /// Full hex; `{:#}` prints the first 8 hex digits, for event trails.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.write_str(&self.to_hex()[..8])
        } else {
            f.write_str(&self.to_hex())
        }
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({:#})", self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_prefix() {
        let d = Digest::of(b"hello");
        assert_eq!(Digest::from_hex(&d.to_hex()).expect("own hex parses"), d);
        assert_eq!(d.prefix(), &d.to_hex()[..4]);
        assert!(d.chunk_key().starts_with(".chunks/"));
    }

    #[test]
    fn bad_hex_is_a_clear_error() {
        for text in [
            "",
            "abc",
            &"zz".repeat(32),
            &"a".repeat(63),
            &"a".repeat(66),
        ] {
            let err = Digest::from_hex(text).expect_err("must be rejected");
            assert!(matches!(err, StoreError::BadDigest(_)), "{err}");
            assert!(err.to_string().contains("not a chunk digest"), "{err}");
        }
    }

    #[test]
    fn verify_detects_mismatch() {
        let d = Digest::of(b"a");
        assert!(d.verify(b"a").is_ok());
        assert!(matches!(
            d.verify(b"b"),
            Err(StoreError::DigestMismatch { .. })
        ));
    }
}
