//! The key hierarchy.
//!
//! ```text
//! host key material (32 bytes)  ─┐
//!   or passphrase ─PBKDF2 (WebCrypto)─┘─ HKDF-SHA256(salt) ─> KEK ─wraps─> Keyring { data keys by id, blind key }
//! data key ─ HKDF ─> fields key (HMAC over a record's clear index fields)
//! ```
//!
//! Only the wrapped keyring is stored. Changing the key re-wraps the same keyring
//! under a new KEK; rotating the data key adds a new data key, re-seals every
//! record under it, then drops the old one.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::envelope::{self, Aad};
use super::{random_bytes, BlindIndex, CryptoError};

/// Length of every symmetric key and of host key material, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the per-database KDF salt, in bytes.
pub const SALT_LEN: usize = 16;
/// Length of the tag that authenticates a record's clear index fields.
pub const FIELDS_TAG_LEN: usize = 16;
const FORMAT: u8 = 2;
const HEADER_LEN: usize = 1 + 1 + 4 + SALT_LEN;
const KEK_INFO: &[u8] = b"offline-mailbox/kek/v1";
const FIELDS_INFO: &[u8] = b"offline-mailbox/fields/v1";
const KEYRING_STORE: &str = "meta";
/// The wrap is sealed under the KEK, which has no id of its own.
const KEK_ID: u32 = 0;
const MAX_DATA_KEYS: usize = 4;

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

    /// The key-encryption key for a wrap with `derivation` and `salt`.
    pub fn kek(&self, derivation: KeyDerivation, salt: [u8; SALT_LEN]) -> Kek {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(Some(&salt), &self.0)
            .expand(KEK_INFO, key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Kek {
            key,
            derivation,
            salt,
        }
    }
}

/// A key-encryption key with the header that says how it was derived. Kept by an
/// open mailbox instead of the host's secret, so that the keyring can be re-wrapped
/// (during data key rotation) without holding the secret itself; wiped on drop.
pub struct Kek {
    key: Zeroizing<[u8; KEY_LEN]>,
    derivation: KeyDerivation,
    salt: [u8; SALT_LEN],
}

impl Kek {
    /// Whether `wrapped` was made under this KEK (same derivation and salt); if not,
    /// the keyring was wrapped again elsewhere: the key was changed.
    pub fn wrapped(&self, wrapped: &WrappedKeyring) -> bool {
        self.header() == wrapped.header()
    }

    fn header(&self) -> Vec<u8> {
        let (tag, iterations) = self.derivation.encode();
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.push(FORMAT);
        out.push(tag);
        out.extend_from_slice(&iterations.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out
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

/// One data key: it seals values (AES-256-GCM) and, through a derived key,
/// authenticates the clear index fields stored beside them (HMAC-SHA256).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct DataKey {
    id: u32,
    key: [u8; KEY_LEN],
    fields: [u8; KEY_LEN],
}

impl DataKey {
    fn new(id: u32, key: [u8; KEY_LEN]) -> Self {
        let mut fields = [0u8; KEY_LEN];
        Hkdf::<Sha256>::new(None, &key)
            .expand(FIELDS_INFO, &mut fields)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { id, key, fields }
    }

    fn fields_tag(&self, store: &str, key: &[u8], fields: &[u8]) -> [u8; FIELDS_TAG_LEN] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.fields).expect("HMAC accepts any key length");
        // Length prefixes keep (store, key, fields) unambiguous.
        for part in [store.as_bytes(), key] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.update(fields);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; FIELDS_TAG_LEN];
        out.copy_from_slice(&full[..FIELDS_TAG_LEN]);
        out
    }
}

/// A record's place and clear fields, as sealing and opening see them.
#[derive(Debug, Clone, Copy)]
pub struct RecordPlace<'a> {
    /// Object store name.
    pub store: &'a str,
    /// The blinded key the record is stored under.
    pub key: &'a [u8],
    /// The canonical encoding of the record's clear index fields.
    pub fields: &'a [u8],
}

/// A value sealed for a record, and the tag of its clear fields to store beside it.
pub struct SealedRecord {
    /// The envelope.
    pub value: Vec<u8>,
    /// The fields tag (stored as the record's `m` field).
    pub fields_tag: [u8; FIELDS_TAG_LEN],
}

/// The keys that protect one mailbox: one or (during rotation) two data keys, and
/// the blind-index key (HMAC for record and index keys). A clone is wiped on drop
/// like the original.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<DataKey>,
    current: u32,
    blind_key: Zeroizing<[u8; KEY_LEN]>,
}

impl Keyring {
    /// Creates a keyring with fresh random keys.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self {
            keys: vec![DataKey::new(1, random_bytes()?)],
            current: 1,
            blind_key: Zeroizing::new(random_bytes()?),
        })
    }

    /// Seals the keyring under `kek`.
    ///
    /// ```
    /// use offline_mailbox::crypto::{KeyDerivation, KeyMaterial, Keyring};
    /// let keyring = Keyring::generate().unwrap();
    /// let kek = KeyMaterial::from_slice(&[9u8; 32]).unwrap().kek(KeyDerivation::RawKey, [1u8; 16]);
    /// let wrapped = keyring.wrap(&kek).unwrap();
    /// assert!(Keyring::unwrap(&wrapped, &kek).is_ok());
    /// ```
    pub fn wrap(&self, kek: &Kek) -> Result<WrappedKeyring, CryptoError> {
        let mut out = kek.header();
        let mut secret = Zeroizing::new(Vec::with_capacity(KEY_LEN + 5 + 36 * self.keys.len()));
        secret.extend_from_slice(self.blind_key.as_ref());
        secret.extend_from_slice(&self.current.to_be_bytes());
        secret.push(self.keys.len() as u8);
        for data_key in &self.keys {
            secret.extend_from_slice(&data_key.id.to_be_bytes());
            secret.extend_from_slice(&data_key.key);
        }
        let sealed = envelope::seal(&kek.key, KEK_ID, Aad::at(KEYRING_STORE, &out), &secret)?;
        out.extend_from_slice(&sealed);
        Ok(WrappedKeyring(out))
    }

    /// Unwraps a stored keyring; a wrong key (or altered header) gives [`CryptoError::WrongKey`].
    pub fn unwrap(wrapped: &WrappedKeyring, kek: &Kek) -> Result<Self, CryptoError> {
        if kek.header() != wrapped.header() {
            return Err(CryptoError::WrongKey);
        }
        let aad = Aad::at(KEYRING_STORE, wrapped.header());
        let secret = Zeroizing::new(
            envelope::open(&kek.key, aad, &wrapped.0[HEADER_LEN..])
                .map_err(|_| CryptoError::WrongKey)?,
        );
        Self::decode(&secret).ok_or(CryptoError::WrongKey)
    }

    fn decode(secret: &[u8]) -> Option<Self> {
        let (blind, rest) = secret.split_at_checked(KEY_LEN)?;
        let (current, rest) = rest.split_at_checked(4)?;
        let (&count, mut rest) = rest.split_first()?;
        if count == 0 || usize::from(count) > MAX_DATA_KEYS || rest.len() != 36 * usize::from(count)
        {
            return None;
        }
        let mut keys = Vec::with_capacity(usize::from(count));
        while let Some((entry, tail)) = rest.split_at_checked(36) {
            let id = u32::from_be_bytes(entry[..4].try_into().ok()?);
            let key: [u8; KEY_LEN] = entry[4..].try_into().ok()?;
            keys.push(DataKey::new(id, key));
            rest = tail;
        }
        let current = u32::from_be_bytes(current.try_into().ok()?);
        keys.iter().any(|k| k.id == current).then(|| Self {
            keys,
            current,
            blind_key: Zeroizing::new(blind.try_into().expect("split at KEY_LEN")),
        })
    }

    /// Encrypts a value stored alone (no clear fields beside it) under the current data key.
    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let current = self.current_key();
        envelope::seal(&current.key, current.id, aad, plaintext)
    }

    /// Encrypts a value padded to a size class under the current data key, never
    /// compressing it (compression would undo the padding).
    pub fn seal_padded(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let current = self.current_key();
        envelope::seal_padded(&current.key, current.id, aad, plaintext)
    }

    /// Decrypts a value sealed by [`Keyring::seal`] with any data key this keyring holds.
    pub fn open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let data_key = self.key_of(sealed).ok_or(CryptoError::Integrity)?;
        envelope::open(&data_key.key, aad, sealed)
    }

    /// Seals a record's value under the current data key, binding it to the
    /// record's place and clear fields.
    ///
    /// ```
    /// use offline_mailbox::crypto::{Keyring, RecordPlace};
    /// let keyring = Keyring::generate().unwrap();
    /// let place = RecordPlace { store: "messages", key: b"k1", fields: b"f=inbox" };
    /// let sealed = keyring.seal_record(place, b"{}").unwrap();
    /// assert_eq!(keyring.open_record(place, &sealed.value).unwrap(), b"{}");
    /// let moved = RecordPlace { fields: b"f=junk", ..place };
    /// assert!(keyring.open_record(moved, &sealed.value).is_err());
    /// ```
    pub fn seal_record(
        &self,
        place: RecordPlace<'_>,
        plaintext: &[u8],
    ) -> Result<SealedRecord, CryptoError> {
        let current = self.current_key();
        let fields_tag = current.fields_tag(place.store, place.key, place.fields);
        let aad = Aad {
            store: place.store,
            key: place.key,
            bound: &fields_tag,
        };
        let value = envelope::seal(&current.key, current.id, aad, plaintext)?;
        Ok(SealedRecord { value, fields_tag })
    }

    /// Opens a record sealed by [`Keyring::seal_record`]; altered fields, place or
    /// value give [`CryptoError::Integrity`].
    pub fn open_record(
        &self,
        place: RecordPlace<'_>,
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let data_key = self.key_of(sealed).ok_or(CryptoError::Integrity)?;
        let fields_tag = data_key.fields_tag(place.store, place.key, place.fields);
        let aad = Aad {
            store: place.store,
            key: place.key,
            bound: &fields_tag,
        };
        envelope::open(&data_key.key, aad, sealed)
    }

    /// Whether a record's clear fields are the ones it was sealed with, checked
    /// without decrypting its value (cheap enough for inside a write transaction).
    pub fn fields_are_authentic(
        &self,
        place: RecordPlace<'_>,
        sealed: &[u8],
        stored_tag: &[u8],
    ) -> bool {
        let Some(data_key) = self.key_of(sealed) else {
            return false;
        };
        let expected = data_key.fields_tag(place.store, place.key, place.fields);
        constant_time_eq(&expected, stored_tag)
    }

    /// The blind index keyed by this keyring's blind key.
    pub fn blind_index(&self) -> BlindIndex {
        BlindIndex::new(&self.blind_key)
    }

    /// The id of the data key new values are sealed with.
    pub fn current_key_id(&self) -> u32 {
        self.current
    }

    /// Whether the data key with this id is held.
    pub fn holds_key(&self, id: u32) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// Whether an older data key is still held (a rotation has not finished).
    pub fn is_rotating(&self) -> bool {
        self.keys.len() > 1
    }

    /// Starts a rotation: a new random data key becomes current; the old one is
    /// kept, so everything stays readable until [`Keyring::finish_rotation`].
    pub fn begin_rotation(&mut self) -> Result<(), CryptoError> {
        let id = self.keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        self.keys.push(DataKey::new(id, random_bytes()?));
        self.current = id;
        Ok(())
    }

    /// Ends a rotation: every data key but the current one is dropped (and wiped).
    pub fn finish_rotation(&mut self) {
        let current = self.current;
        self.keys.retain(|k| k.id == current);
    }

    fn current_key(&self) -> &DataKey {
        self.keys
            .iter()
            .find(|k| k.id == self.current)
            .expect("the current key is always held")
    }

    fn key_of(&self, sealed: &[u8]) -> Option<&DataKey> {
        let id = envelope::key_id(sealed)?;
        self.keys.iter().find(|k| k.id == id)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8, derivation: KeyDerivation, salt: u8) -> Kek {
        KeyMaterial::from_slice(&[byte; KEY_LEN])
            .unwrap()
            .kek(derivation, [salt; SALT_LEN])
    }

    fn raw(byte: u8) -> Kek {
        kek(byte, KeyDerivation::RawKey, 5)
    }

    const PLACE: RecordPlace<'static> = RecordPlace {
        store: "messages",
        key: b"k",
        fields: b"fields",
    };

    #[test]
    fn unwrap_with_the_right_key_restores_the_same_keys() {
        let keyring = Keyring::generate().unwrap();
        let wrapped = keyring.wrap(&raw(1)).unwrap();
        let restored = Keyring::unwrap(&wrapped, &raw(1)).unwrap();
        let sealed = keyring.seal_record(PLACE, b"secret").unwrap();
        assert_eq!(
            restored.open_record(PLACE, &sealed.value).unwrap(),
            b"secret"
        );
        let aad = Aad::at("syncState", b"k");
        let alone = keyring.seal(aad, b"link").unwrap();
        assert_eq!(restored.open(aad, &alone).unwrap(), b"link");
    }

    #[test]
    fn unwrap_with_a_wrong_key_is_wrong_key() {
        let wrapped = Keyring::generate().unwrap().wrap(&raw(1)).unwrap();
        assert!(matches!(
            Keyring::unwrap(&wrapped, &raw(2)),
            Err(CryptoError::WrongKey)
        ));
    }

    #[test]
    fn rewrapping_changes_the_key_but_not_the_data_key() {
        let keyring = Keyring::generate().unwrap();
        let sealed = keyring.seal_record(PLACE, b"secret").unwrap();
        let rewrapped = keyring.wrap(&kek(2, KeyDerivation::RawKey, 6)).unwrap();
        assert!(matches!(
            Keyring::unwrap(&rewrapped, &kek(1, KeyDerivation::RawKey, 6)),
            Err(CryptoError::WrongKey)
        ));
        let restored = Keyring::unwrap(&rewrapped, &kek(2, KeyDerivation::RawKey, 6)).unwrap();
        assert_eq!(
            restored.open_record(PLACE, &sealed.value).unwrap(),
            b"secret"
        );
    }

    #[test]
    fn altered_header_is_wrong_key() {
        let derivation = KeyDerivation::Pbkdf2Sha256 {
            iterations: 600_000,
        };
        let wrapped = Keyring::generate()
            .unwrap()
            .wrap(&kek(1, derivation, 5))
            .unwrap();
        let mut bytes = wrapped.as_bytes().to_vec();
        bytes[5] ^= 1;
        let altered = WrappedKeyring::from_bytes(bytes).unwrap();
        let altered_kek = kek(1, altered.derivation(), 5);
        assert!(matches!(
            Keyring::unwrap(&altered, &altered_kek),
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
            .wrap(&kek(1, derivation, 7))
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
        let sealed = alice.seal_record(PLACE, b"alice's mail").unwrap();
        assert_eq!(
            bob.open_record(PLACE, &sealed.value),
            Err(CryptoError::Integrity)
        );
    }

    #[test]
    fn altered_fields_fail_to_open_and_fail_the_cheap_check() {
        let keyring = Keyring::generate().unwrap();
        let sealed = keyring.seal_record(PLACE, b"mail").unwrap();
        assert!(keyring.fields_are_authentic(PLACE, &sealed.value, &sealed.fields_tag));
        let moved = RecordPlace {
            fields: b"fieldz",
            ..PLACE
        };
        assert!(!keyring.fields_are_authentic(moved, &sealed.value, &sealed.fields_tag));
        assert_eq!(
            keyring.open_record(moved, &sealed.value),
            Err(CryptoError::Integrity)
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable_until_it_finishes_then_locks_out_the_old_wrap() {
        let mut keyring = Keyring::generate().unwrap();
        let old = keyring.seal_record(PLACE, b"old").unwrap();
        let old_wrap = keyring.wrap(&raw(1)).unwrap();
        keyring.begin_rotation().unwrap();
        assert!(keyring.is_rotating());
        let new = keyring.seal_record(PLACE, b"new").unwrap();
        assert_eq!(keyring.open_record(PLACE, &old.value).unwrap(), b"old");
        let during = Keyring::unwrap(&keyring.wrap(&raw(1)).unwrap(), &raw(1)).unwrap();
        assert_eq!(during.open_record(PLACE, &old.value).unwrap(), b"old");
        assert_eq!(during.open_record(PLACE, &new.value).unwrap(), b"new");

        keyring.finish_rotation();
        assert!(!keyring.is_rotating());
        assert_eq!(
            keyring.open_record(PLACE, &old.value),
            Err(CryptoError::Integrity)
        );
        // A copy of the keyring taken before the rotation opens nothing sealed after it.
        let stolen = Keyring::unwrap(&old_wrap, &raw(1)).unwrap();
        assert_eq!(
            stolen.open_record(PLACE, &new.value),
            Err(CryptoError::Integrity)
        );
        assert_eq!(
            Keyring::unwrap(&keyring.wrap(&raw(1)).unwrap(), &raw(1))
                .unwrap()
                .open_record(PLACE, &new.value)
                .unwrap(),
            b"new"
        );
    }
}
