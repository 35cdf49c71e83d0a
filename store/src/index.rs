//! The index file format: the list of chunk digests of one backup archive.
//!
//! Layout (all integers little endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `CSIDX\0\0\x01` |
//! | 8 | digest count `n` |
//! | 32 × n | digests |
//! | 32 | SHA-256 of everything before it |
//!
//! A truncated, padded or bit-flipped file fails to decode with
//! [`StoreError::CorruptIndex`], so GC never mistakes a damaged index for a short one.

use crate::digest::Digest;
use crate::error::StoreError;
use sha2::{Digest as _, Sha256};

const MAGIC: &[u8; 8] = b"CSIDX\0\0\x01";
const HEADER: usize = 16;
const TRAILER: usize = 32;

/// Encodes an index referencing `digests` (in order; duplicates allowed).
pub fn encode(digests: &[Digest]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + 32 * digests.len() + TRAILER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(digests.len() as u64).to_le_bytes());
    for d in digests {
        out.extend_from_slice(&d.0);
    }
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}

/// Decodes an index read from `path` (the path is only used in errors).
///
/// # Errors
/// [`StoreError::CorruptIndex`] naming what is wrong.
pub fn decode(path: &str, bytes: &[u8]) -> Result<Vec<Digest>, StoreError> {
    let corrupt = |reason: String| StoreError::CorruptIndex {
        path: path.to_string(),
        reason,
    };
    if bytes.len() < HEADER + TRAILER {
        return Err(corrupt(format!("truncated: {} bytes", bytes.len())));
    }
    if &bytes[..8] != MAGIC {
        return Err(corrupt("bad magic".into()));
    }
    let mut count = [0u8; 8];
    count.copy_from_slice(&bytes[8..16]);
    let count = u64::from_le_bytes(count);
    let expected = count
        .checked_mul(32)
        .and_then(|b| b.checked_add((HEADER + TRAILER) as u64));
    if expected != Some(bytes.len() as u64) {
        return Err(corrupt(format!(
            "{count} digests announced but the file has {} bytes (truncated or padded)",
            bytes.len()
        )));
    }
    let body = &bytes[..bytes.len() - TRAILER];
    let sum: [u8; 32] = Sha256::digest(body).into();
    if sum[..] != bytes[bytes.len() - TRAILER..] {
        return Err(corrupt("checksum mismatch".into()));
    }
    Ok(body[HEADER..]
        .chunks_exact(32)
        .map(|c| {
            let mut d = [0u8; 32];
            d.copy_from_slice(c);
            Digest(d)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Digest> {
        (0u8..5).map(|i| Digest::of(&[i])).collect()
    }

    #[test]
    fn round_trip() {
        let d = sample();
        assert_eq!(decode("x", &encode(&d)).expect("decodes"), d);
        assert_eq!(decode("x", &encode(&[])).expect("empty decodes"), vec![]);
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = encode(&sample());
        for len in 0..bytes.len() {
            let err = decode("vm/1/0/a", &bytes[..len]).expect_err("truncated must fail");
            assert!(matches!(err, StoreError::CorruptIndex { .. }));
            assert!(err.to_string().contains("vm/1/0/a"), "{err}");
        }
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let bytes = encode(&sample());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(decode("x", &b).is_err(), "flip at byte {i} not detected");
        }
    }

    #[test]
    fn padding_is_rejected() {
        let mut bytes = encode(&sample());
        bytes.push(0);
        assert!(decode("x", &bytes).is_err());
    }
}
