//! Blinded keys: HMAC-SHA256 under per-scope subkeys, so that record keys and
//! index keys stored in clear reveal neither ids nor addresses, and equal ids in
//! different stores do not produce equal keys.

use std::collections::HashMap;
use std::sync::Mutex;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Length of a blinded key in bytes (128 bits: collision-free for any mailbox).
pub const BLINDED_LEN: usize = 16;
const SUBKEY_INFO: &[u8] = b"offline-mailbox/blind/v1/";
const DB_NAME_DOMAIN: &[u8] = b"offline-mailbox/database-name/v1";
/// Prefix of every database this library creates.
pub const DB_NAME_PREFIX: &str = "offline-mailbox-";

/// Computes blinded keys for named scopes (an object store, or an index of one).
pub struct BlindIndex {
    root: Zeroizing<[u8; 32]>,
    // Boxed so a subkey never moves when the map grows: a move would leave an
    // unwiped copy behind in the old allocation.
    subkeys: Mutex<HashMap<String, Box<Zeroizing<[u8; 32]>>>>,
}

impl BlindIndex {
    /// A blind index keyed by `root`.
    pub fn new(root: &[u8; 32]) -> Self {
        Self {
            root: Zeroizing::new(*root),
            subkeys: Mutex::new(HashMap::new()),
        }
    }

    /// The blinded form of `value` within `scope`.
    ///
    /// ```
    /// use offline_mailbox::crypto::BlindIndex;
    /// let index = BlindIndex::new(&[3u8; 32]);
    /// assert_eq!(index.blind("messages", b"id-1"), index.blind("messages", b"id-1"));
    /// assert_ne!(index.blind("messages", b"id-1"), index.blind("contacts", b"id-1"));
    /// ```
    pub fn blind(&self, scope: &str, value: &[u8]) -> [u8; BLINDED_LEN] {
        let mut mac = self.keyed(scope);
        mac.update(value);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; BLINDED_LEN];
        out.copy_from_slice(&full[..BLINDED_LEN]);
        out
    }

    fn keyed(&self, scope: &str) -> Hmac<Sha256> {
        // A poisoned lock only means another call panicked mid-insert; the map is still valid.
        let mut subkeys = self.subkeys.lock().unwrap_or_else(|e| e.into_inner());
        let subkey = subkeys
            .entry(scope.to_owned())
            .or_insert_with(|| Box::new(self.derive(scope)));
        Hmac::<Sha256>::new_from_slice(subkey.as_slice()).expect("HMAC accepts any key length")
    }

    fn derive(&self, scope: &str) -> Zeroizing<[u8; 32]> {
        let mut info = SUBKEY_INFO.to_vec();
        info.extend_from_slice(scope.as_bytes());
        let mut subkey = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::from_prk(self.root.as_ref())
            .expect("a 32-byte PRK is valid for HKDF-SHA256")
            .expand(&info, subkey.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        subkey
    }
}

/// The IndexedDB database name for a user: a keyed hash of the user id, so the
/// name never contains the id or an address.
///
/// The key is a fixed domain-separation constant, so the name is a pseudonym, not
/// a secret: someone who already knows a user id can recompute it (see SECURITY.md).
///
/// ```
/// let name = offline_mailbox::crypto::database_name("alice@contoso.example");
/// assert!(name.starts_with("offline-mailbox-"));
/// assert!(!name.contains("alice"));
/// ```
pub fn database_name(user_id: &str) -> String {
    let key = Sha256::digest(DB_NAME_DOMAIN);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts any key length");
    mac.update(user_id.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = crate::hex::encode(&digest[..16]);
    format!("{DB_NAME_PREFIX}{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_roots_blind_differently() {
        let a = BlindIndex::new(&[1; 32]);
        let b = BlindIndex::new(&[2; 32]);
        assert_ne!(a.blind("messages", b"x"), b.blind("messages", b"x"));
    }

    #[test]
    fn blinded_key_does_not_contain_the_value() {
        let index = BlindIndex::new(&[1; 32]);
        let blinded = index.blind("messages", b"abcdefgh");
        assert!(!blinded.windows(4).any(|w| w == b"abcd"));
    }

    #[test]
    fn database_names_are_stable_and_distinct_per_user() {
        assert_eq!(database_name("a"), database_name("a"));
        assert_ne!(database_name("a"), database_name("b"));
        assert_eq!(database_name("a").len(), DB_NAME_PREFIX.len() + 32);
    }
}
