//! The envelope every stored value lives in:
//! `version (1 byte) ‖ nonce (12 bytes, random) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)`.
//!
//! The additional authenticated data (AAD) binds the value to where it lives, so a
//! ciphertext copied to another record, another store or another format version
//! fails authentication.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use super::{random_bytes, CryptoError};

/// Format version written as the first byte of every envelope and bound into the AAD.
pub const ENVELOPE_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_DOMAIN: &[u8] = b"offline-mailbox/envelope";

/// Where a sealed value lives: its object store and its blinded record key.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    /// Object store name, e.g. `messages`.
    pub store: &'a str,
    /// The blinded record key the value is stored under.
    pub key: &'a [u8],
}

impl Aad<'_> {
    fn encode(&self, version: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(AAD_DOMAIN.len() + 3 + self.store.len() + self.key.len());
        out.extend_from_slice(AAD_DOMAIN);
        out.push(version);
        // Length prefixes keep (store, key) pairs unambiguous.
        out.push(self.store.len() as u8);
        out.extend_from_slice(self.store.as_bytes());
        out.push(self.key.len() as u8);
        out.extend_from_slice(self.key);
        out
    }
}

/// Encrypts `plaintext` under `key`, bound to `aad`, with a fresh random nonce.
///
/// ```
/// use offline_mailbox::crypto::{open, seal, Aad};
/// let key = [7u8; 32];
/// let aad = Aad { store: "messages", key: b"record-1" };
/// let sealed = seal(&key, aad, b"hello").unwrap();
/// assert_eq!(open(&key, aad, &sealed).unwrap(), b"hello");
/// ```
pub fn seal(key: &[u8; 32], aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let cipher = Aes256Gcm::new(key.into());
    let aad_bytes = aad.encode(ENVELOPE_VERSION);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad_bytes,
            },
        )
        .map_err(|_| CryptoError::Integrity)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts an envelope made by [`seal`]; any change to the bytes, the key or the
/// AAD gives [`CryptoError::Integrity`].
pub fn open(key: &[u8; 32], aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Integrity);
    }
    let version = sealed[0];
    if version != ENVELOPE_VERSION {
        return Err(CryptoError::Integrity);
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.into());
    let aad_bytes = aad.encode(version);
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
    };

    #[test]
    fn round_trip_returns_the_plaintext() {
        let sealed = seal(&KEY, AAD, "Grüße, 你好".as_bytes()).unwrap();
        assert_eq!(open(&KEY, AAD, &sealed).unwrap(), "Grüße, 你好".as_bytes());
    }

    #[test]
    fn ciphertext_does_not_contain_the_plaintext_and_nonces_differ() {
        let a = seal(&KEY, AAD, b"canary-subject").unwrap();
        let b = seal(&KEY, AAD, b"canary-subject").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(6).any(|w| w == b"canary"));
    }

    #[test]
    fn every_flipped_bit_fails_with_integrity() {
        let sealed = seal(&KEY, AAD, b"a stored value").unwrap();
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
        let sealed = seal(&KEY, AAD, b"value").unwrap();
        for len in 0..sealed.len() {
            assert_eq!(open(&KEY, AAD, &sealed[..len]), Err(CryptoError::Integrity));
        }
    }

    #[test]
    fn value_moved_to_another_record_key_fails() {
        let sealed = seal(&KEY, AAD, b"value").unwrap();
        let moved = Aad {
            store: "messages",
            key: &[1, 2, 3, 5],
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn value_moved_to_another_store_fails() {
        let sealed = seal(&KEY, AAD, b"value").unwrap();
        let moved = Aad {
            store: "contacts",
            key: AAD.key,
        };
        assert_eq!(open(&KEY, moved, &sealed), Err(CryptoError::Integrity));
    }

    #[test]
    fn ambiguous_store_and_key_boundaries_do_not_collide() {
        let a = Aad {
            store: "ab",
            key: b"c",
        }
        .encode(1);
        let b = Aad {
            store: "a",
            key: b"bc",
        }
        .encode(1);
        assert_ne!(a, b);
    }

    #[test]
    fn value_sealed_under_another_key_fails() {
        let sealed = seal(&KEY, AAD, b"value").unwrap();
        assert_eq!(open(&[43; 32], AAD, &sealed), Err(CryptoError::Integrity));
    }
}
