//! The envelope every stored value lives in:
//! `version (1 byte) ‖ key id (4 bytes, big-endian) ‖ nonce (12 bytes, random) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)`.
//!
//! The additional authenticated data (AAD) binds the value to where it lives and
//! to what is stored beside it in clear, so a ciphertext copied to another record,
//! another store, another format version or next to altered index fields fails
//! authentication. The key id names which data key sealed it, so a store stays
//! readable while its records move to a new data key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::{random_bytes, CryptoError};

/// Format version written as the first byte of every envelope and bound into the AAD.
pub const ENVELOPE_VERSION: u8 = 2;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN;
const AAD_DOMAIN: &[u8] = b"offline-mailbox/envelope";

/// Where a sealed value lives and what is bound to it.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    /// Object store name, e.g. `messages`.
    pub store: &'a str,
    /// The blinded record key the value is stored under.
    pub key: &'a [u8],
    /// Bytes stored beside the value that must not change without it (the tag of
    /// the record's clear index fields); empty when nothing is stored beside it.
    pub bound: &'a [u8],
}

impl<'a> Aad<'a> {
    /// An AAD for a value stored alone (nothing in clear beside it).
    pub fn at(store: &'a str, key: &'a [u8]) -> Self {
        Self {
            store,
            key,
            bound: &[],
        }
    }

    fn encode(&self, version: u8, key_id: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            AAD_DOMAIN.len() + 17 + self.store.len() + self.key.len() + self.bound.len(),
        );
        out.extend_from_slice(AAD_DOMAIN);
        out.push(version);
        out.extend_from_slice(&key_id.to_be_bytes());
        // Length prefixes keep (store, key, bound) triples unambiguous.
        for part in [self.store.as_bytes(), self.key, self.bound] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }
}

/// Encrypts `plaintext` under `key` (known as `key_id`), bound to `aad`, with a
/// fresh random nonce.
///
/// ```
/// use offline_mailbox::crypto::{open, seal, Aad};
/// let key = [7u8; 32];
/// let aad = Aad::at("messages", b"record-1");
/// let sealed = seal(&key, 1, aad, b"hello").unwrap();
/// assert_eq!(open(&key, aad, &sealed).unwrap(), b"hello");
/// ```
pub fn seal(
    key: &[u8; 32],
    key_id: u32,
    aad: Aad<'_>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let cipher = Aes256Gcm::new(key.into());
    let aad_bytes = aad.encode(ENVELOPE_VERSION, key_id);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad_bytes,
            },
        )
        .map_err(|_| CryptoError::Integrity)?;
    let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + ciphertext.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// The id of the data key that sealed `sealed`, or `None` if it is not an envelope
/// of this format.
pub fn key_id(sealed: &[u8]) -> Option<u32> {
    if sealed.len() < HEADER_LEN + NONCE_LEN + TAG_LEN || sealed[0] != ENVELOPE_VERSION {
        return None;
    }
    Some(u32::from_be_bytes([
        sealed[1], sealed[2], sealed[3], sealed[4],
    ]))
}

/// Decrypts an envelope made by [`seal`]; any change to the bytes, the key or the
/// AAD gives [`CryptoError::Integrity`].
pub fn open(key: &[u8; 32], aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key_id = key_id(sealed).ok_or(CryptoError::Integrity)?;
    let (nonce, ciphertext) = sealed[HEADER_LEN..].split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.into());
    let aad_bytes = aad.encode(ENVELOPE_VERSION, key_id);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad_bytes,
            },
        )
        .map_err(|_| CryptoError::Integrity)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [42; 32];
    const AAD: Aad<'static> = Aad {
        store: "messages",
        key: &[1, 2, 3, 4],
        bound: &[9, 9],
    };

    #[test]
    fn round_trip_returns_the_plaintext() {
        let sealed = seal(&KEY, 1, AAD, "Grüße, 你好".as_bytes()).unwrap();
        assert_eq!(open(&KEY, AAD, &sealed).unwrap(), "Grüße, 你好".as_bytes());
    }

    #[test]
    fn ciphertext_does_not_contain_the_plaintext_and_nonces_differ() {
        let a = seal(&KEY, 1, AAD, b"canary-subject").unwrap();
        let b = seal(&KEY, 1, AAD, b"canary-subject").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(6).any(|w| w == b"canary"));
    }

    #[test]
    fn every_flipped_bit_fails_with_integrity() {
        let sealed = seal(&KEY, 1, AAD, b"a stored value").unwrap();
        for byte in 0..sealed.len() {
            for bit in 0..8 {
                let mut tampered = sealed.clone();
                tampered[byte] ^= 1 << bit;
                assert_eq!(
                    open(&KEY, AAD, &tampered),
                    Err(CryptoError::Integrity),
                    "byte {byte} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn truncated_or_empty_values_fail_with_integrity() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        for len in 0..sealed.len() {
            assert_eq!(open(&KEY, AAD, &sealed[..len]), Err(CryptoError::Integrity));
        }
    }

    #[test]
    fn value_moved_to_another_record_key_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let moved = Aad {
            key: &[1, 2, 3, 5],
            ..AAD
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn value_moved_to_another_store_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let moved = Aad {
            store: "contacts",
            ..AAD
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn ambiguous_store_and_key_boundaries_do_not_collide() {
        let a = Aad {
            store: "ab",
            key: b"c",
            bound: b"",
        }
        .encode(2, 1);
        let b = Aad {
            store: "a",
            key: b"bc",
            bound: b"",
        }
        .encode(2, 1);
        assert_ne!(a, b);
    }

    #[test]
    fn altered_bound_fields_fail() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        let altered = Aad {
            bound: &[9, 8],
            ..AAD
        };
        assert_eq!(open(&KEY, altered, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn the_key_id_is_read_back_and_bound() {
        let sealed = seal(&KEY, 7, AAD, b"value").unwrap();
        assert_eq!(key_id(&sealed), Some(7));
        let mut relabelled = sealed.clone();
        relabelled[4] = 8;
        assert_eq!(open(&KEY, AAD, &relabelled), Err(CryptoError::Integrity));
    }

    #[test]
    fn value_sealed_under_another_key_fails() {
        let sealed = seal(&KEY, 1, AAD, b"value").unwrap();
        assert_eq!(open(&[43; 32], AAD, &sealed), Err(CryptoError::Integrity));
    }
}
