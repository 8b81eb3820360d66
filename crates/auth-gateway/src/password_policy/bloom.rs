//! The embedded Bloom filter of the most common passwords, and the reader of its file format.
//!
//! `data/common-passwords.bloom` is written by `scripts/password-bloom.py`, whose header
//! documents the source list, the format and the hashing; this reader must match it bit for bit.
//! A Bloom filter answers "maybe in the list" or "certainly not": about one unusual password in
//! a thousand is refused as common by mistake, which costs the fan one more try, while the list
//! of 100,000 entries fits in 176 KiB instead of over a megabyte of text.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// The filter file, built into the binary so the policy needs no file at run time.
static EMBEDDED: &[u8] = include_bytes!("../../data/common-passwords.bloom");

/// Parsed once, at the first check. The bytes are fixed at compile time and a unit test parses
/// them, so a failure here is a build that never passed its tests: panicking says so loudly.
static COMMON: LazyLock<BloomFilter> = LazyLock::new(|| {
    BloomFilter::parse(EMBEDDED).expect("data/common-passwords.bloom is valid (checked by the unit tests)")
});

const MAGIC: &[u8; 4] = b"PWBF";
const VERSION: u8 = 1;
/// magic 4, version 1, hashes 1, min chars 2, bits 8, entries 8, SHA-256 of the bits 32.
const HEADER_LEN: usize = 56;
/// More probes than this is no sensible filter, only a damaged header (the file uses 10).
const MAX_HASHES: u8 = 32;

/// Whether the password is (probably) one of the embedded common passwords, ignoring case.
/// Only entries of at least [`super::MIN_CHARS`] characters are in the filter: shorter
/// passwords are refused for their length before this is asked.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password)
}

/// Why a filter file is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BloomError {
    #[error("shorter than its {HEADER_LEN}-byte header")]
    Truncated,
    #[error("not a password Bloom filter (bad magic)")]
    BadMagic,
    #[error("format version {0}, this reader knows {VERSION}")]
    Version(u8),
    #[error("{0} hashes per entry, expected 1 to {MAX_HASHES}")]
    Hashes(u8),
    #[error("header says {bits} bits but the file holds {bytes} bytes of bits")]
    Length { bits: u64, bytes: usize },
    #[error("the bit array does not match its checksum")]
    Checksum,
}

/// A read-only Bloom filter borrowed from the bytes of its file.
#[derive(Debug)]
pub struct BloomFilter {
    bits: &'static [u8],
    bit_count: u64,
    hashes: u8,
    min_chars: u16,
    entries: u64,
}

impl BloomFilter {
    /// Reads a filter file, checking every header field and the checksum of the bit array.
    pub fn parse(file: &'static [u8]) -> Result<Self, BloomError> {
        let (header, bits) = file.split_at_checked(HEADER_LEN).ok_or(BloomError::Truncated)?;
        if &header[0..4] != MAGIC {
            return Err(BloomError::BadMagic);
        }
        if header[4] != VERSION {
            return Err(BloomError::Version(header[4]));
        }
        let hashes = header[5];
        if hashes == 0 || hashes > MAX_HASHES {
            return Err(BloomError::Hashes(hashes));
        }
        let min_chars = u16::from_le_bytes([header[6], header[7]]);
        let bit_count = u64_at(header, 8);
        let entries = u64_at(header, 16);
        if bit_count == 0 || !bit_count.is_multiple_of(8) || bit_count / 8 != bits.len() as u64 {
            return Err(BloomError::Length {
                bits: bit_count,
                bytes: bits.len(),
            });
        }
        if Sha256::digest(bits).as_slice() != &header[24..56] {
            return Err(BloomError::Checksum);
        }
        Ok(Self {
            bits,
            bit_count,
            hashes,
            min_chars,
            entries,
        })
    }

    /// Whether the lower-cased password may be in the list (false positives about 1e-3).
    pub fn contains(&self, password: &str) -> bool {
        let digest = Sha256::digest(password.to_lowercase().as_bytes());
        // Kirsch-Mitzenmacher: k probes from two 64-bit hashes, h1 + j*h2, lose nothing
        // measurable against k independent hashes. h2 is made odd so it is never 0.
        let h1 = u64_at(&digest, 0);
        let h2 = u64_at(&digest, 8) | 1;
        (0..u64::from(self.hashes)).all(|j| {
            let bit = h1.wrapping_add(j.wrapping_mul(h2)) % self.bit_count;
            // bit_count / 8 == bits.len() was checked in parse, so the index is in range.
            self.bits[(bit / 8) as usize] >> (bit % 8) & 1 == 1
        })
    }

    /// Number of passwords the filter was built from.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Shortest password, in characters, the list kept.
    pub fn min_chars(&self) -> u16 {
        self.min_chars
    }
}

fn u64_at(bytes: &[u8], offset: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[offset..offset + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password_policy::MIN_CHARS;

    /// A copy of the embedded file with `edit` applied, leaked so it lives as long as a filter.
    fn damaged(edit: impl FnOnce(&mut Vec<u8>)) -> &'static [u8] {
        let mut file = EMBEDDED.to_vec();
        edit(&mut file);
        file.leak()
    }

    #[test]
    fn embedded_filter_parses_and_matches_the_policy() {
        let filter = BloomFilter::parse(EMBEDDED).unwrap();
        assert_eq!(filter.entries(), 100_000);
        assert_eq!(filter.hashes, 10);
        // Entries shorter than the policy's minimum were left out of the list; a filter built
        // for another minimum would miss passwords the length rule lets through.
        assert_eq!(usize::from(filter.min_chars()), MIN_CHARS);
    }

    #[test]
    fn well_known_passwords_are_common() {
        // Each verified to be in the source list (ranks 20, 23, 373, 1084, 31872, 56427, 70571).
        for password in [
            "qwertyuiop",
            "1234567890",
            "1q2w3e4r5t",
            "password123",
            "password1234",
            "iloveyou12",
            "letmein123",
        ] {
            assert!(is_common(password), "{password}");
            assert!(is_common(&password.to_uppercase()), "{password} in capitals");
        }
    }

    #[test]
    fn random_strings_are_rarely_common() {
        // splitmix64 with a fixed seed: deterministic, so the test cannot flake.
        let mut state = 0x5eed_u64;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let false_positives = (0..1_000)
            .filter(|_| {
                let password: String = (0..16)
                    .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize] as char)
                    .collect();
                is_common(&password)
            })
            .count();
        // Expected about 1 in 1,000 (the generator measured 1.01e-3 over a million strings).
        assert!(false_positives <= 5, "{false_positives} false positives in 1,000");
    }

    #[test]
    fn damaged_files_are_refused() {
        assert_eq!(BloomFilter::parse(&EMBEDDED[..10]).unwrap_err(), BloomError::Truncated);
        let bad_magic = damaged(|f| f[0] = b'X');
        assert_eq!(BloomFilter::parse(bad_magic).unwrap_err(), BloomError::BadMagic);
        let new_version = damaged(|f| f[4] = 2);
        assert_eq!(BloomFilter::parse(new_version).unwrap_err(), BloomError::Version(2));
        let no_hashes = damaged(|f| f[5] = 0);
        assert_eq!(BloomFilter::parse(no_hashes).unwrap_err(), BloomError::Hashes(0));
        let too_many_hashes = damaged(|f| f[5] = 200);
        assert_eq!(
            BloomFilter::parse(too_many_hashes).unwrap_err(),
            BloomError::Hashes(200)
        );
        let wrong_bits = damaged(|f| f[8] ^= 0x80);
        assert!(matches!(BloomFilter::parse(wrong_bits), Err(BloomError::Length { .. })));
        let zero_bits = damaged(|f| f[8..16].fill(0));
        assert!(matches!(BloomFilter::parse(zero_bits), Err(BloomError::Length { .. })));
        let cut = damaged(|f| f.truncate(f.len() - 1));
        assert!(matches!(BloomFilter::parse(cut), Err(BloomError::Length { .. })));
        let flipped_bit = damaged(|f| f[HEADER_LEN + 1000] ^= 0x04);
        assert_eq!(BloomFilter::parse(flipped_bit).unwrap_err(), BloomError::Checksum);
    }
}
