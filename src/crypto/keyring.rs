//! The key hierarchy.
//!
//! ```text
//! host key material (32 bytes)  ─┐
//!   or passphrase ─PBKDF2 (WebCrypto)─┘─ HKDF-SHA256(salt) ─> KEK ─wraps─> Keyring { data key, blind key }
//! ```
//!
//! Only the wrapped keyring is stored. Changing the key re-wraps the same keyring
//! under a new KEK; the data it protects is never re-encrypted.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::envelope::{self, Aad};
use super::{random_bytes, BlindIndex, CryptoError};

/// Length of every symmetric key and of host key material, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the per-database KDF salt, in bytes.
pub const SALT_LEN: usize = 16;
const FORMAT: u8 = 1;
const HEADER_LEN: usize = 1 + 1 + 4 + SALT_LEN;
const KEK_INFO: &[u8] = b"offline-mailbox/kek/v1";
const KEYRING_STORE: &str = "meta";

/// How the key-encryption key was obtained from what the host supplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDerivation {
    /// 32 bytes of host key material, expanded with HKDF-SHA256.
    RawKey,
    /// A passphrase stretched with PBKDF2-HMAC-SHA256 (WebCrypto), then HKDF-SHA256.
    Pbkdf2Sha256 {
        /// PBKDF2 iteration count.
        iterations: u32,
    },
}

impl KeyDerivation {
    fn encode(self) -> (u8, u32) {
        match self {
            Self::RawKey => (0, 0),
            Self::Pbkdf2Sha256 { iterations } => (1, iterations),
        }
    }

    fn decode(tag: u8, iterations: u32) -> Option<Self> {
        match tag {
            0 => Some(Self::RawKey),
            1 => Some(Self::Pbkdf2Sha256 { iterations }),
            _ => None,
        }
    }
}

/// 32 bytes of key material from the host (or a PBKDF2 output); wiped from memory on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyMaterial([u8; KEY_LEN]);

impl KeyMaterial {
    /// Copies key material, refusing anything but exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::KeyLength {
            expected: KEY_LEN,
            actual: bytes.len(),
        })?;
        Ok(Self(array))
    }

    fn kek(&self, salt: &[u8; SALT_LEN]) -> Zeroizing<[u8; KEY_LEN]> {
        let mut kek = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(Some(salt), &self.0)
            .expand(KEK_INFO, kek.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        kek
    }
}

/// The stored, wrapped form of a [`Keyring`]: a clear header (format, derivation,
/// salt) followed by the keyring sealed under the KEK with the header as AAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKeyring(Vec<u8>);

impl WrappedKeyring {
    /// Parses stored bytes; `None` if they are not a wrapped keyring of a known format.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let wrapped = Self(bytes);
        (wrapped.0.len() > HEADER_LEN
            && wrapped.0[0] == FORMAT
            && wrapped.derivation_tag().is_some())
        .then_some(wrapped)
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// How the KEK must be derived to unwrap this keyring.
    pub fn derivation(&self) -> KeyDerivation {
        self.derivation_tag().unwrap_or(KeyDerivation::RawKey)
    }

    /// The salt the KEK derivation uses (also the PBKDF2 salt for passphrases).
    pub fn salt(&self) -> [u8; SALT_LEN] {
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&self.0[6..HEADER_LEN]);
        salt
    }

    fn derivation_tag(&self) -> Option<KeyDerivation> {
        let iterations = u32::from_be_bytes([self.0[2], self.0[3], self.0[4], self.0[5]]);
        KeyDerivation::decode(self.0[1], iterations)
    }

    fn header(&self) -> &[u8] {
        &self.0[..HEADER_LEN]
    }
}

fn header(derivation: KeyDerivation, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let (tag, iterations) = derivation.encode();
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.push(FORMAT);
    out.push(tag);
    out.extend_from_slice(&iterations.to_be_bytes());
    out.extend_from_slice(salt);
    out
}

/// The two random keys that protect one mailbox: the data key (AES-256-GCM for
/// every stored value) and the blind-index key (HMAC for record and index keys).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Keyring {
    data_key: [u8; KEY_LEN],
    blind_key: [u8; KEY_LEN],
}

impl Keyring {
    /// Creates a keyring with fresh random keys.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self {
            data_key: random_bytes()?,
            blind_key: random_bytes()?,
        })
    }

    /// Seals the keyring under a KEK derived from `material` and `salt`.
    ///
    /// ```
    /// use offline_mailbox::crypto::{KeyDerivation, KeyMaterial, Keyring};
    /// let keyring = Keyring::generate().unwrap();
    /// let material = KeyMaterial::from_slice(&[9u8; 32]).unwrap();
    /// let wrapped = keyring.wrap(&material, KeyDerivation::RawKey, [1u8; 16]).unwrap();
    /// assert!(Keyring::unwrap(&wrapped, &material).is_ok());
    /// ```
    pub fn wrap(
        &self,
        material: &KeyMaterial,
        derivation: KeyDerivation,
        salt: [u8; SALT_LEN],
    ) -> Result<WrappedKeyring, CryptoError> {
        let kek = material.kek(&salt);
        let mut out = header(derivation, &salt);
        let mut secret = Zeroizing::new([0u8; 2 * KEY_LEN]);
        secret[..KEY_LEN].copy_from_slice(&self.data_key);
        secret[KEY_LEN..].copy_from_slice(&self.blind_key);
        let sealed = envelope::seal(
            &kek,
            Aad {
                store: KEYRING_STORE,
                key: &out,
            },
            secret.as_ref(),
        )?;
        out.extend_from_slice(&sealed);
        Ok(WrappedKeyring(out))
    }

    /// Unwraps a stored keyring; a wrong key (or altered header) gives [`CryptoError::WrongKey`].
    pub fn unwrap(wrapped: &WrappedKeyring, material: &KeyMaterial) -> Result<Self, CryptoError> {
        let kek = material.kek(&wrapped.salt());
        let aad = Aad {
            store: KEYRING_STORE,
            key: wrapped.header(),
        };
        let secret = Zeroizing::new(
            envelope::open(&kek, aad, &wrapped.0[HEADER_LEN..])
                .map_err(|_| CryptoError::WrongKey)?,
        );
        if secret.len() != 2 * KEY_LEN {
            return Err(CryptoError::WrongKey);
        }
        let mut keyring = Self {
            data_key: [0; KEY_LEN],
            blind_key: [0; KEY_LEN],
        };
        keyring.data_key.copy_from_slice(&secret[..KEY_LEN]);
        keyring.blind_key.copy_from_slice(&secret[KEY_LEN..]);
        Ok(keyring)
    }

    /// Encrypts a value for the record `aad` names.
    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        envelope::seal(&self.data_key, aad, plaintext)
    }

    /// Decrypts a value stored at the record `aad` names.
    pub fn open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        envelope::open(&self.data_key, aad, sealed)
    }

    /// The blind index keyed by this keyring's blind key.
    pub fn blind_index(&self) -> BlindIndex {
        BlindIndex::new(&self.blind_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material(byte: u8) -> KeyMaterial {
        KeyMaterial::from_slice(&[byte; KEY_LEN]).unwrap()
    }

    #[test]
    fn unwrap_with_the_right_key_restores_the_same_keys() {
        let keyring = Keyring::generate().unwrap();
        let wrapped = keyring
            .wrap(&material(1), KeyDerivation::RawKey, [5; SALT_LEN])
            .unwrap();
        let restored = Keyring::unwrap(&wrapped, &material(1)).unwrap();
        let aad = Aad {
            store: "messages",
            key: b"k",
        };
        let sealed = keyring.seal(aad, b"secret").unwrap();
        assert_eq!(restored.open(aad, &sealed).unwrap(), b"secret");
    }

    #[test]
    fn unwrap_with_a_wrong_key_is_wrong_key() {
        let wrapped = Keyring::generate()
            .unwrap()
            .wrap(&material(1), KeyDerivation::RawKey, [5; SALT_LEN])
            .unwrap();
        assert!(matches!(
            Keyring::unwrap(&wrapped, &material(2)),
            Err(CryptoError::WrongKey)
        ));
    }

    #[test]
    fn rewrapping_changes_the_key_but_not_the_data_key() {
        let keyring = Keyring::generate().unwrap();
        let aad = Aad {
            store: "messages",
            key: b"k",
        };
        let sealed = keyring.seal(aad, b"secret").unwrap();
        let rewrapped = keyring
            .wrap(&material(2), KeyDerivation::RawKey, [6; SALT_LEN])
            .unwrap();
        assert!(matches!(
            Keyring::unwrap(&rewrapped, &material(1)),
            Err(CryptoError::WrongKey)
        ));
        let restored = Keyring::unwrap(&rewrapped, &material(2)).unwrap();
        assert_eq!(restored.open(aad, &sealed).unwrap(), b"secret");
    }

    #[test]
    fn altered_header_is_wrong_key() {
        let wrapped = Keyring::generate()
            .unwrap()
            .wrap(
                &material(1),
                KeyDerivation::Pbkdf2Sha256 {
                    iterations: 600_000,
                },
                [5; SALT_LEN],
            )
            .unwrap();
        let mut bytes = wrapped.as_bytes().to_vec();
        bytes[5] ^= 1;
        let altered = WrappedKeyring::from_bytes(bytes).unwrap();
        assert!(matches!(
            Keyring::unwrap(&altered, &material(1)),
            Err(CryptoError::WrongKey)
        ));
    }

    #[test]
    fn header_round_trips_derivation_and_salt() {
        let derivation = KeyDerivation::Pbkdf2Sha256 {
            iterations: 600_000,
        };
        let wrapped = Keyring::generate()
            .unwrap()
            .wrap(&material(1), derivation, [7; SALT_LEN])
            .unwrap();
        let parsed = WrappedKeyring::from_bytes(wrapped.as_bytes().to_vec()).unwrap();
        assert_eq!(parsed.derivation(), derivation);
        assert_eq!(parsed.salt(), [7; SALT_LEN]);
    }

    #[test]
    fn garbage_is_not_a_wrapped_keyring() {
        assert!(WrappedKeyring::from_bytes(vec![]).is_none());
        assert!(WrappedKeyring::from_bytes(vec![9; 80]).is_none());
    }

    #[test]
    fn key_material_must_be_32_bytes() {
        assert!(matches!(
            KeyMaterial::from_slice(&[0; 31]),
            Err(CryptoError::KeyLength {
                expected: 32,
                actual: 31
            })
        ));
    }

    #[test]
    fn a_value_from_another_users_database_fails_with_integrity() {
        let alice = Keyring::generate().unwrap();
        let bob = Keyring::generate().unwrap();
        let aad = Aad {
            store: "messages",
            key: b"same-key",
        };
        let sealed = alice.seal(aad, b"alice's mail").unwrap();
        assert_eq!(bob.open(aad, &sealed), Err(CryptoError::Integrity));
    }
}
