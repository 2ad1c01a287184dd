//! The keys of one open mailbox, held in WebCrypto where they can be.
//!
//! The KEK and every data key are non-extractable `CryptoKey`s: their bytes
//! never sit in WebAssembly memory, so no bug that leaks that memory can leak
//! them. Three smaller keys do live there, because an IndexedDB transaction
//! cannot wait on WebCrypto's promises: the blind key (HMAC for blinded keys),
//! and for each data key its fields key and state key (see [`super::wrap`]).
//! None of them can decrypt a stored message, contact or event.

use std::future::Future;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;
use zeroize::Zeroizing;

use super::envelope::{self, Aad, Decoding, Frame};
use super::subtle;
use super::wrap::{
    data_key_aad, keyring_aad, wrap_header, FieldsKey, Format2Layout, KeyDerivation, KeyMaterial,
    KeyringContents, RecordPlace, SealedRecord, StateKey, WrappedKeyring, FIELDS_INFO, KEK_ID,
    KEK_INFO, KEY_LEN, SALT_LEN, STATE_INFO, WRAPPED_KEY_LEN,
};
use super::{BlindIndex, CryptoError};

/// A key-encryption key (non-extractable, in WebCrypto) with the header that
/// says how it was derived. Kept by an open mailbox instead of the host's secret,
/// so that the keyring can be re-wrapped (during data key rotation) without it.
#[derive(Clone)]
pub struct Kek {
    key: CryptoKey,
    header: Vec<u8>,
}

impl Kek {
    /// Derives the KEK of a wrap with `derivation` and `salt` from `material`.
    pub async fn derive(
        material: &KeyMaterial,
        derivation: KeyDerivation,
        salt: [u8; SALT_LEN],
    ) -> Result<Self, CryptoError> {
        let key = subtle::derive_kek(material.as_bytes(), &salt, KEK_INFO).await?;
        Ok(Self {
            key,
            header: wrap_header(derivation, salt),
        })
    }

    /// Whether `wrapped` was made under this KEK (same derivation and salt); if
    /// not, the keyring was wrapped again elsewhere: the key was changed.
    pub fn wrapped(&self, wrapped: &WrappedKeyring) -> bool {
        wrapped.made_under(&self.header)
    }
}

/// One data key: a non-extractable AES-256-GCM `CryptoKey` that seals values,
/// the same key wrapped under the KEK (what the keyring stores), and the two keys
/// derived from it that live in WebAssembly.
#[derive(Clone)]
struct DataKey {
    id: u32,
    cipher: CryptoKey,
    wrapped: [u8; WRAPPED_KEY_LEN],
    fields: Rc<FieldsKey>,
    state: Rc<StateKey>,
}

impl DataKey {
    /// Unwraps a data key wrapped under `kek`: once as the AES-GCM key, once as
    /// an HKDF key its fields and state keys are derived from.
    async fn unwrap(
        kek: &Kek,
        id: u32,
        wrapped: [u8; WRAPPED_KEY_LEN],
    ) -> Result<Self, CryptoError> {
        let aad = data_key_aad(&kek.header, id);
        let cipher = subtle::unwrap(
            &wrapped,
            &kek.key,
            &aad,
            "AES-GCM",
            false,
            &["encrypt", "decrypt"],
        )
        .await?;
        let base = subtle::unwrap(&wrapped, &kek.key, &aad, "HKDF", false, &["deriveBits"]).await?;
        let fields = FieldsKey::new(subtle::derive_bytes(&base, FIELDS_INFO).await?);
        let state = StateKey::new(subtle::derive_bytes(&base, STATE_INFO).await?);
        Ok(Self {
            id,
            cipher,
            wrapped,
            fields: Rc::new(fields),
            state: Rc::new(state),
        })
    }
}

/// The keys that protect one mailbox: one or (during rotation) two data keys, and
/// the blind-index key. Cloning shares the keys; the WebAssembly-held ones are
/// wiped when the last clone is dropped.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<DataKey>,
    current: u32,
    blind_key: Rc<Zeroizing<[u8; KEY_LEN]>>,
    /// The header of the KEK the data keys are wrapped under.
    wrapped_under: Vec<u8>,
}

impl Keyring {
    /// Creates a keyring with fresh random keys, its data key wrapped under `kek`.
    pub async fn generate(kek: &Kek) -> Result<Self, CryptoError> {
        let wrapped = subtle::new_wrapped_key(&kek.key, &data_key_aad(&kek.header, 1)).await?;
        Ok(Self {
            keys: vec![DataKey::unwrap(kek, 1, wrapped).await?],
            current: 1,
            blind_key: Rc::new(Zeroizing::new(super::random_bytes()?)),
            wrapped_under: kek.header.clone(),
        })
    }

    /// Unwraps a stored keyring; a wrong key (or altered header) gives
    /// [`CryptoError::WrongKey`]. A format-2 wrap (raw data keys inside) is opened
    /// into a JavaScript buffer, its keys wrapped under `kek` from there and the
    /// buffer zeroed: the raw keys never enter WebAssembly memory.
    pub async fn unwrap(wrapped: &WrappedKeyring, kek: &Kek) -> Result<Self, CryptoError> {
        if !kek.wrapped(wrapped) {
            return Err(CryptoError::WrongKey);
        }
        let aad = keyring_aad(wrapped.header());
        let opening = envelope::parse(aad, wrapped.sealed()).map_err(|_| CryptoError::WrongKey)?;
        // The keyring is sealed uncompressed: random keys do not compress.
        if opening.key_id != KEK_ID || !opening.is_uncompressed() {
            return Err(CryptoError::WrongKey);
        }
        let plaintext =
            subtle::decrypt_buffer(&kek.key, opening.nonce, &opening.aad, opening.ciphertext)
                .await
                .map_err(|_| CryptoError::WrongKey)?;
        let contents = match wrapped.holds_raw_keys() {
            true => from_format_2(&plaintext, kek).await,
            false => KeyringContents::decode(&Zeroizing::new(plaintext.to_vec()))
                .ok_or(CryptoError::WrongKey),
        };
        plaintext.fill(0, 0, plaintext.length());
        Self::from_contents(contents?, kek).await
    }

    async fn from_contents(contents: KeyringContents, kek: &Kek) -> Result<Self, CryptoError> {
        let mut keys = Vec::with_capacity(contents.keys.len());
        for (id, wrapped) in &contents.keys {
            keys.push(DataKey::unwrap(kek, *id, *wrapped).await?);
        }
        Ok(Self {
            keys,
            current: contents.current,
            blind_key: Rc::new(contents.blind_key),
            wrapped_under: kek.header.clone(),
        })
    }

    /// Seals the keyring under `kek` (the KEK its data keys are wrapped under).
    pub async fn wrap(&self, kek: &Kek) -> Result<WrappedKeyring, CryptoError> {
        if kek.header != self.wrapped_under {
            return Err(CryptoError::WrongKey);
        }
        let contents = KeyringContents {
            blind_key: Zeroizing::new(**self.blind_key),
            current: self.current,
            keys: self.keys.iter().map(|k| (k.id, k.wrapped)).collect(),
        };
        let plaintext = contents.encode();
        let sealing = envelope::prepare(KEK_ID, keyring_aad(&kek.header), &plaintext, false)?;
        let ciphertext =
            subtle::encrypt(&kek.key, &sealing.nonce, &sealing.aad, &sealing.plaintext).await?;
        Ok(WrappedKeyring::from_parts(
            &kek.header,
            &sealing.finish(&ciphertext),
        ))
    }

    /// The same keys, wrapped under `to` instead of `from` (changing the key).
    pub async fn rewrapped(&self, from: &Kek, to: &Kek) -> Result<Self, CryptoError> {
        let mut next = self.clone();
        for key in &mut next.keys {
            key.wrapped = subtle::rewrap(
                &key.wrapped,
                &from.key,
                &data_key_aad(&from.header, key.id),
                &to.key,
                &data_key_aad(&to.header, key.id),
            )
            .await?;
        }
        next.wrapped_under = to.header.clone();
        Ok(next)
    }

    /// Starts a rotation: a new data key, generated inside WebCrypto and wrapped
    /// under `kek`, becomes current; the old one is kept, so everything stays
    /// readable until [`Keyring::finish_rotation`].
    pub async fn with_new_data_key(&self, kek: &Kek) -> Result<Self, CryptoError> {
        let id = self.keys.iter().map(|k| k.id).max().unwrap_or(0) + 1;
        let wrapped = subtle::new_wrapped_key(&kek.key, &data_key_aad(&kek.header, id)).await?;
        let mut next = self.clone();
        next.keys.push(DataKey::unwrap(kek, id, wrapped).await?);
        next.current = id;
        Ok(next)
    }

    /// Ends a rotation: every data key but the current one is dropped.
    pub fn finish_rotation(&mut self) {
        let current = self.current;
        self.keys.retain(|k| k.id == current);
    }

    /// Encrypts a value stored alone (no clear fields beside it) under the current
    /// data key. The work starts now, not when the result is awaited: start many,
    /// then await them, and WebCrypto runs them as one batch.
    pub fn seal(
        &self,
        aad: Aad<'_>,
        plaintext: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, CryptoError>> {
        self.seal_with(aad, plaintext, true)
    }

    /// Encrypts a value padded to a size class under the current data key, never
    /// compressing it (compression would undo the padding).
    pub fn seal_padded(
        &self,
        aad: Aad<'_>,
        plaintext: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, CryptoError>> {
        self.seal_with(aad, plaintext, false)
    }

    fn seal_with(
        &self,
        aad: Aad<'_>,
        plaintext: &[u8],
        compress: bool,
    ) -> impl Future<Output = Result<Vec<u8>, CryptoError>> {
        let started = self.start_seal(aad, plaintext, compress);
        async move {
            let (frame, pending) = started?;
            let unavailable = subtle::unavailable("AES-GCM encryption failed");
            Ok(frame.finish(&subtle::bytes_of(pending, unavailable).await?))
        }
    }

    fn start_seal(
        &self,
        aad: Aad<'_>,
        plaintext: &[u8],
        compress: bool,
    ) -> Result<(Frame, JsFuture), CryptoError> {
        let current = self.current_key();
        let sealing = envelope::prepare(current.id, aad, plaintext, compress)?;
        let pending = subtle::start(
            subtle::ENCRYPT,
            &current.cipher,
            &sealing.nonce,
            &sealing.aad,
            &sealing.plaintext,
        )?;
        Ok((sealing.frame(), pending))
    }

    /// Decrypts a value sealed by [`Keyring::seal`] with any data key this keyring
    /// holds. Like sealing, the work starts now.
    pub fn open(
        &self,
        aad: Aad<'_>,
        sealed: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, CryptoError>> {
        opened(self.start_open(aad, sealed))
    }

    fn start_open(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<(Decoding, JsFuture), CryptoError> {
        let opening = envelope::parse(aad, sealed)?;
        let data_key = self.key(opening.key_id).ok_or(CryptoError::Integrity)?;
        let pending = subtle::start(
            subtle::DECRYPT,
            &data_key.cipher,
            opening.nonce,
            &opening.aad,
            opening.ciphertext,
        )?;
        Ok((opening.decoding(), pending))
    }

    /// Seals a record's value under the current data key, binding it to the
    /// record's place and clear fields. The work starts now.
    pub fn seal_record(
        &self,
        place: RecordPlace<'_>,
        plaintext: &[u8],
    ) -> impl Future<Output = Result<SealedRecord, CryptoError>> {
        let fields_tag = self.current_key().fields.tag(place);
        let aad = Aad {
            store: place.store,
            key: place.key,
            bound: &fields_tag,
        };
        let value = self.seal(aad, plaintext);
        async move {
            Ok(SealedRecord {
                value: value.await?,
                fields_tag,
            })
        }
    }

    /// Opens a record sealed by [`Keyring::seal_record`]; altered fields, place or
    /// value give [`CryptoError::Integrity`]. The work starts now.
    pub fn open_record(
        &self,
        place: RecordPlace<'_>,
        sealed: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>, CryptoError>> {
        let fields_tag = envelope::key_id(sealed)
            .and_then(|id| self.key(id))
            .map(|data_key| data_key.fields.tag(place));
        let started = fields_tag.ok_or(CryptoError::Integrity).and_then(|tag| {
            let aad = Aad {
                store: place.store,
                key: place.key,
                bound: &tag,
            };
            self.start_open(aad, sealed)
        });
        opened(started)
    }

    /// Whether a record's clear fields are the ones it was sealed with, checked
    /// without decrypting its value (synchronous: usable inside a transaction).
    pub fn fields_are_authentic(
        &self,
        place: RecordPlace<'_>,
        sealed: &[u8],
        stored_tag: &[u8],
    ) -> bool {
        envelope::key_id(sealed)
            .and_then(|id| self.key(id))
            .is_some_and(|data_key| data_key.fields.is_tag_of(place, stored_tag))
    }

    /// Seals the state record under the current data key's state key
    /// (synchronous: write transactions seal the state they commit).
    pub fn seal_state(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let current = self.current_key();
        current.state.seal(current.id, aad, plaintext)
    }

    /// Opens a state sealed by [`Keyring::seal_state`] (synchronous).
    pub fn open_state(&self, aad: Aad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let id = envelope::key_id(sealed).ok_or(CryptoError::Integrity)?;
        let data_key = self.key(id).ok_or(CryptoError::Integrity)?;
        data_key.state.open(aad, sealed)
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
        self.key(id).is_some()
    }

    /// Whether an older data key is still held (a rotation has not finished).
    pub fn is_rotating(&self) -> bool {
        self.keys.len() > 1
    }

    fn current_key(&self) -> &DataKey {
        self.key(self.current)
            .expect("the current key is always held")
    }

    fn key(&self, id: u32) -> Option<&DataKey> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// The plaintext of an opening started earlier.
async fn opened(
    started: Result<(Decoding, JsFuture), CryptoError>,
) -> Result<Vec<u8>, CryptoError> {
    let (decoding, pending) = started?;
    decoding.finish(subtle::bytes_of(pending, CryptoError::Integrity).await?)
}

/// Reads an opened format-2 keyring where WebCrypto left it, wrapping each raw
/// data key under `kek` straight from that buffer.
async fn from_format_2(plaintext: &Uint8Array, kek: &Kek) -> Result<KeyringContents, CryptoError> {
    let len = plaintext.length() as usize;
    let count = match len > Format2Layout::COUNT_AT {
        true => plaintext.get_index(Format2Layout::COUNT_AT as u32),
        false => return Err(CryptoError::WrongKey),
    };
    let layout = Format2Layout::of(len, count).ok_or(CryptoError::WrongKey)?;
    let part =
        |range: std::ops::Range<usize>| plaintext.subarray(range.start as u32, range.end as u32);
    let mut keys = Vec::with_capacity(layout.count);
    for index in 0..layout.count {
        let id = u32::from_be_bytes(
            part(layout.id(index))
                .to_vec()
                .try_into()
                .map_err(|_| CryptoError::WrongKey)?,
        );
        let aad = data_key_aad(&kek.header, id);
        keys.push((
            id,
            subtle::wrap_raw(&part(layout.key(index)), &kek.key, &aad).await?,
        ));
    }
    let current = u32::from_be_bytes(
        part(layout.current())
            .to_vec()
            .try_into()
            .map_err(|_| CryptoError::WrongKey)?,
    );
    let mut blind_key = Zeroizing::new([0u8; KEY_LEN]);
    part(layout.blind_key()).copy_to(blind_key.as_mut());
    if !keys.iter().any(|(id, _)| *id == current) {
        return Err(CryptoError::WrongKey);
    }
    Ok(KeyringContents {
        blind_key,
        current,
        keys,
    })
}
