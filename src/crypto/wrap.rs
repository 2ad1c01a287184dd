//! The stored form of the key hierarchy, and the keys that live in WebAssembly.
//!
//! ```text
//! host key material (32 bytes)  ─┐
//!   or passphrase ─PBKDF2─────────┘─ HKDF-SHA256(salt) ─> KEK (WebCrypto, non-extractable)
//! KEK ─seals─> keyring { blind key, current id, data keys by id, each wrapped under the KEK }
//! data key (WebCrypto, non-extractable AES-256-GCM) ─ HKDF ─> fields key, state key (in wasm)
//! ```
//!
//! Everything here is pure: the wrapped keyring's layout (format 3, and format 2
//! of earlier releases, read once and written as format 3 from then on), and the
//! two keys derived from a data key that the library keeps in WebAssembly
//! because IndexedDB transactions use them synchronously: the fields key (HMAC
//! over a record's clear index fields) and the state key (AES-256-GCM over the
//! one state record). The data keys themselves never leave WebCrypto.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::envelope::{self, Aad};
use super::CryptoError;

/// Length of every symmetric key and of host key material, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the per-database KDF salt, in bytes.
pub const SALT_LEN: usize = 16;
/// Length of the tag that authenticates a record's clear index fields.
pub const FIELDS_TAG_LEN: usize = 16;
/// Length of a wrapped data key: nonce ‖ AES-256-GCM ciphertext of the key ‖ tag.
pub const WRAPPED_KEY_LEN: usize = 12 + KEY_LEN + 16;
/// The wrap format written now.
const FORMAT: u8 = 3;
/// The wrap format of releases before data keys moved into WebCrypto: the data
/// keys themselves sealed in the keyring. Still read.
const FORMAT_2: u8 = 2;
const HEADER_LEN: usize = 1 + 1 + 4 + SALT_LEN;
/// HKDF info of the KEK.
pub const KEK_INFO: &[u8] = b"offline-mailbox/kek/v1";
/// HKDF info of a data key's fields key.
pub const FIELDS_INFO: &[u8] = b"offline-mailbox/fields/v1";
/// HKDF info of a data key's state key.
pub const STATE_INFO: &[u8] = b"offline-mailbox/state/v1";
const DATA_KEY_DOMAIN: &[u8] = b"offline-mailbox/data-key/v1";
/// The store the keyring lives in, bound into its seal.
const KEYRING_STORE: &str = "meta";
/// The keyring is sealed under the KEK, which has no id of its own.
pub const KEK_ID: u32 = 0;
/// Most data keys a keyring holds (two during a rotation).
const MAX_DATA_KEYS: usize = 4;
/// Bytes before the first data key entry: blind key, current id, count.
const ENTRIES_AT: usize = KEY_LEN + 4 + 1;
/// A format-2 entry: id ‖ raw data key.
const FORMAT_2_ENTRY: usize = 4 + KEY_LEN;
/// A format-3 entry: id ‖ wrapped data key.
const ENTRY: usize = 4 + WRAPPED_KEY_LEN;

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

    /// The material, to hand to WebCrypto's HKDF.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// The clear header of a wrap written now: format, derivation, salt. It is
/// bound into the keyring's seal and into every wrapped data key.
pub fn wrap_header(derivation: KeyDerivation, salt: [u8; SALT_LEN]) -> Vec<u8> {
    let (tag, iterations) = derivation.encode();
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.push(FORMAT);
    out.push(tag);
    out.extend_from_slice(&iterations.to_be_bytes());
    out.extend_from_slice(&salt);
    out
}

/// The AAD of the keyring sealed under the KEK, for a wrap with `header`.
pub fn keyring_aad(header: &[u8]) -> Aad<'_> {
    Aad::at(KEYRING_STORE, header)
}

/// The AAD a data key is wrapped with: it binds the key to its id and to the wrap
/// (derivation and salt) it belongs to.
pub fn data_key_aad(header: &[u8], id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(DATA_KEY_DOMAIN.len() + header.len() + 4);
    out.extend_from_slice(DATA_KEY_DOMAIN);
    out.extend_from_slice(header);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// The stored, wrapped form of a keyring: a clear header (format, derivation,
/// salt) followed by the keyring sealed under the KEK with the header as AAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKeyring(Vec<u8>);

impl WrappedKeyring {
    /// Parses stored bytes; `None` if they are not a wrapped keyring of a known format.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let wrapped = Self(bytes);
        (wrapped.0.len() > HEADER_LEN
            && matches!(wrapped.0[0], FORMAT | FORMAT_2)
            && wrapped.derivation_tag().is_some())
        .then_some(wrapped)
    }

    /// A wrap from its header and the keyring sealed under the KEK.
    pub fn from_parts(header: &[u8], sealed: &[u8]) -> Self {
        let mut out = header.to_vec();
        out.extend_from_slice(sealed);
        Self(out)
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether this wrap seals the data keys themselves (format 2, written by
    /// releases before the data keys moved into WebCrypto).
    pub fn holds_raw_keys(&self) -> bool {
        self.0[0] == FORMAT_2
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

    /// Whether this wrap was made under a KEK with `header` (same derivation and
    /// salt, whatever the format); if not, the keyring was wrapped again elsewhere.
    pub fn made_under(&self, header: &[u8]) -> bool {
        header.len() == HEADER_LEN && self.0[1..HEADER_LEN] == header[1..]
    }

    /// The header as stored (bound into the seal).
    pub fn header(&self) -> &[u8] {
        &self.0[..HEADER_LEN]
    }

    /// The keyring sealed under the KEK.
    pub fn sealed(&self) -> &[u8] {
        &self.0[HEADER_LEN..]
    }

    fn derivation_tag(&self) -> Option<KeyDerivation> {
        let iterations = u32::from_be_bytes([self.0[2], self.0[3], self.0[4], self.0[5]]);
        KeyDerivation::decode(self.0[1], iterations)
    }
}

/// What a format-3 wrap seals under the KEK: the blind key, the current data key's
/// id and each data key wrapped under the KEK. Wiped on drop.
pub struct KeyringContents {
    /// The blind-index key.
    pub blind_key: Zeroizing<[u8; KEY_LEN]>,
    /// The id of the data key new values are sealed with.
    pub current: u32,
    /// Each data key's id and wrapped key.
    pub keys: Vec<(u32, [u8; WRAPPED_KEY_LEN])>,
}

impl KeyringContents {
    /// The plaintext to seal under the KEK.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(ENTRIES_AT + ENTRY * self.keys.len()));
        out.extend_from_slice(self.blind_key.as_ref());
        out.extend_from_slice(&self.current.to_be_bytes());
        out.push(self.keys.len() as u8);
        for (id, wrapped) in &self.keys {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(wrapped);
        }
        out
    }

    /// Reads an opened format-3 keyring; `None` if it is malformed.
    pub fn decode(plaintext: &[u8]) -> Option<Self> {
        let count = entry_count(plaintext.len(), *plaintext.get(KEY_LEN + 4)?, ENTRY)?;
        let mut keys = Vec::with_capacity(count);
        for entry in plaintext[ENTRIES_AT..].chunks_exact(ENTRY) {
            let id = u32::from_be_bytes(entry[..4].try_into().ok()?);
            keys.push((id, entry[4..].try_into().ok()?));
        }
        let current = u32::from_be_bytes(plaintext[KEY_LEN..KEY_LEN + 4].try_into().ok()?);
        let blind_key = Zeroizing::new(plaintext[..KEY_LEN].try_into().ok()?);
        keys.iter().any(|(id, _)| *id == current).then_some(Self {
            blind_key,
            current,
            keys,
        })
    }
}

/// Where the parts of an opened format-2 keyring are. Its plaintext holds raw
/// data keys, so it is read where it was decrypted (in WebCrypto's output, never
/// copied into WebAssembly) by these offsets.
pub struct Format2Layout {
    /// How many data keys it holds.
    pub count: usize,
}

impl Format2Layout {
    /// The layout of a `len`-byte plaintext whose count byte is `count`, or `None`
    /// if the two disagree.
    pub fn of(len: usize, count: u8) -> Option<Self> {
        entry_count(len, count, FORMAT_2_ENTRY).map(|count| Self { count })
    }

    /// Where the blind key is.
    pub fn blind_key(&self) -> std::ops::Range<usize> {
        0..KEY_LEN
    }

    /// Where the current data key's id is.
    pub fn current(&self) -> std::ops::Range<usize> {
        KEY_LEN..KEY_LEN + 4
    }

    /// Where the count byte is.
    pub const COUNT_AT: usize = KEY_LEN + 4;

    /// Where the `index`th data key's id is.
    pub fn id(&self, index: usize) -> std::ops::Range<usize> {
        let at = ENTRIES_AT + FORMAT_2_ENTRY * index;
        at..at + 4
    }

    /// Where the `index`th raw data key is.
    pub fn key(&self, index: usize) -> std::ops::Range<usize> {
        let at = ENTRIES_AT + FORMAT_2_ENTRY * index + 4;
        at..at + KEY_LEN
    }
}

fn entry_count(len: usize, count: u8, entry: usize) -> Option<usize> {
    let count = usize::from(count);
    (count > 0 && count <= MAX_DATA_KEYS && len == ENTRIES_AT + entry * count).then_some(count)
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

/// A data key's fields key: HMAC-SHA256 over a record's place and clear index
/// fields. It authenticates, it cannot decrypt; wiped on drop.
pub struct FieldsKey(Zeroizing<[u8; KEY_LEN]>);

impl FieldsKey {
    /// The fields key from its derived bytes.
    pub fn new(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// The tag of `place`.
    ///
    /// ```
    /// use offline_mailbox::crypto::{FieldsKey, RecordPlace};
    /// let key = FieldsKey::new([4u8; 32].into());
    /// let place = RecordPlace { store: "messages", key: b"k", fields: b"f=inbox" };
    /// let moved = RecordPlace { fields: b"f=junk", ..place };
    /// assert_ne!(key.tag(place), key.tag(moved));
    /// ```
    pub fn tag(&self, place: RecordPlace<'_>) -> [u8; FIELDS_TAG_LEN] {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.0.as_ref()).expect("HMAC accepts any key length");
        // Length prefixes keep (store, key, fields) unambiguous.
        for part in [place.store.as_bytes(), place.key] {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.update(place.fields);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; FIELDS_TAG_LEN];
        out.copy_from_slice(&full[..FIELDS_TAG_LEN]);
        out
    }

    /// Whether `stored_tag` is the tag of `place`, compared in constant time.
    pub fn is_tag_of(&self, place: RecordPlace<'_>, stored_tag: &[u8]) -> bool {
        constant_time_eq(&self.tag(place), stored_tag)
    }
}

/// A data key's state key: AES-256-GCM for the state record alone, which write
/// transactions open and seal synchronously; wiped on drop.
pub struct StateKey(Zeroizing<[u8; KEY_LEN]>);

impl StateKey {
    /// The state key from its derived bytes.
    pub fn new(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// Seals the state under this key, known by its data key's id.
    pub fn seal(
        &self,
        key_id: u32,
        aad: Aad<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        envelope::seal(&self.0, key_id, aad, plaintext)
    }

    /// Opens a state sealed by [`StateKey::seal`].
    pub fn open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        envelope::open(&self.0, aad, sealed)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(count: u32) -> KeyringContents {
        KeyringContents {
            blind_key: Zeroizing::new([7; KEY_LEN]),
            current: count,
            keys: (1..=count)
                .map(|id| (id, [id as u8; WRAPPED_KEY_LEN]))
                .collect(),
        }
    }

    #[test]
    fn keyring_contents_round_trip() {
        let decoded = KeyringContents::decode(&contents(2).encode()).unwrap();
        assert_eq!(*decoded.blind_key, [7; KEY_LEN]);
        assert_eq!(decoded.current, 2);
        assert_eq!(decoded.keys, contents(2).keys);
    }

    #[test]
    fn malformed_contents_are_refused() {
        let good = contents(2).encode();
        assert!(KeyringContents::decode(&good[..good.len() - 1]).is_none());
        let mut no_current = good.to_vec();
        no_current[KEY_LEN..KEY_LEN + 4].copy_from_slice(&9u32.to_be_bytes());
        assert!(KeyringContents::decode(&no_current).is_none());
        let mut zero = good.to_vec();
        zero[KEY_LEN + 4] = 0;
        assert!(KeyringContents::decode(&zero).is_none());
        assert!(KeyringContents::decode(&[]).is_none());
    }

    #[test]
    fn header_round_trips_derivation_and_salt() {
        let derivation = KeyDerivation::Pbkdf2Sha256 {
            iterations: 600_000,
        };
        let header = wrap_header(derivation, [7; SALT_LEN]);
        let wrapped = WrappedKeyring::from_parts(&header, &[1; 40]);
        let parsed = WrappedKeyring::from_bytes(wrapped.as_bytes().to_vec()).unwrap();
        assert_eq!(parsed.derivation(), derivation);
        assert_eq!(parsed.salt(), [7; SALT_LEN]);
        assert!(!parsed.holds_raw_keys());
        assert!(parsed.made_under(&header));
        assert!(!parsed.made_under(&wrap_header(derivation, [8; SALT_LEN])));
    }

    #[test]
    fn a_format_2_wrap_is_read_and_matches_its_kek_header() {
        let mut bytes = wrap_header(KeyDerivation::RawKey, [5; SALT_LEN]);
        bytes[0] = FORMAT_2;
        bytes.extend_from_slice(&[1; 40]);
        let wrapped = WrappedKeyring::from_bytes(bytes).unwrap();
        assert!(wrapped.holds_raw_keys());
        assert!(wrapped.made_under(&wrap_header(KeyDerivation::RawKey, [5; SALT_LEN])));
    }

    #[test]
    fn garbage_is_not_a_wrapped_keyring() {
        assert!(WrappedKeyring::from_bytes(vec![]).is_none());
        assert!(WrappedKeyring::from_bytes(vec![9; 80]).is_none());
    }

    #[test]
    fn format_2_layout_checks_its_length() {
        let layout = Format2Layout::of(ENTRIES_AT + 2 * FORMAT_2_ENTRY, 2).unwrap();
        assert_eq!(layout.key(1).end, ENTRIES_AT + 2 * FORMAT_2_ENTRY);
        assert!(Format2Layout::of(ENTRIES_AT + 2 * FORMAT_2_ENTRY, 3).is_none());
        assert!(Format2Layout::of(ENTRIES_AT, 0).is_none());
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
    fn fields_tags_bind_store_key_and_fields() {
        let key = FieldsKey::new(Zeroizing::new([3; KEY_LEN]));
        let place = RecordPlace {
            store: "messages",
            key: b"k",
            fields: b"fields",
        };
        let tag = key.tag(place);
        assert!(key.is_tag_of(place, &tag));
        for other in [
            RecordPlace {
                store: "contacts",
                ..place
            },
            RecordPlace { key: b"j", ..place },
            RecordPlace {
                fields: b"fieldz",
                ..place
            },
        ] {
            assert!(!key.is_tag_of(other, &tag));
        }
        let another = FieldsKey::new(Zeroizing::new([4; KEY_LEN]));
        assert!(!another.is_tag_of(place, &tag));
    }

    #[test]
    fn data_key_aad_names_the_wrap_and_the_id() {
        let header = wrap_header(KeyDerivation::RawKey, [1; SALT_LEN]);
        assert_ne!(data_key_aad(&header, 1), data_key_aad(&header, 2));
        let other = wrap_header(KeyDerivation::RawKey, [2; SALT_LEN]);
        assert_ne!(data_key_aad(&header, 1), data_key_aad(&other, 1));
    }
}
