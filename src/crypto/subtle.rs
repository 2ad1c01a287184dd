//! The browser edge of the crypto layer: WebCrypto calls for the keys that never
//! enter WebAssembly memory (the KEK and the data keys, both non-extractable
//! `CryptoKey`s). Bytes go in as views of WebAssembly memory, which WebCrypto
//! copies when the call is made, and come back as `ArrayBuffer`s.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};
use zeroize::Zeroizing;

use super::wrap::{KEY_LEN, WRAPPED_KEY_LEN};
use super::CryptoError;

const NONCE_LEN: usize = 12;

/// The page's (or worker's) `crypto.subtle`.
pub fn subtle() -> Result<SubtleCrypto, CryptoError> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .and_then(|crypto| crypto.dyn_into::<web_sys::Crypto>().ok())
        .map(|crypto| crypto.subtle())
        .ok_or_else(|| {
            unavailable("WebCrypto (crypto.subtle) is unavailable; serve the page over https or http://127.0.0.1")
        })
}

/// Awaits a WebCrypto promise; a rejection is `on_reject`.
pub async fn settle(
    promise: Result<js_sys::Promise, JsValue>,
    on_reject: CryptoError,
) -> Result<JsValue, CryptoError> {
    let promise =
        promise.map_err(|e| unavailable(&format!("WebCrypto refused the call: {e:?}")))?;
    JsFuture::from(promise).await.map_err(|_| on_reject)
}

/// The parameters of one AES-GCM operation.
pub fn aes_gcm(nonce: &[u8], aad: &[u8]) -> Result<Object, CryptoError> {
    let params = Object::new();
    set(&params, "name", &JsValue::from_str("AES-GCM"))?;
    set(&params, "iv", &Uint8Array::from(nonce))?;
    set(&params, "additionalData", &Uint8Array::from(aad))?;
    Ok(params)
}

/// An AES-GCM direction: `SubtleCrypto`'s `encrypt` or `decrypt`.
pub type Direction =
    fn(&SubtleCrypto, &Object, &CryptoKey, &[u8]) -> Result<js_sys::Promise, JsValue>;

/// Encryption: the ciphertext comes back with its tag appended.
pub const ENCRYPT: Direction = SubtleCrypto::encrypt_with_object_and_u8_array;
/// Decryption and authentication of a ciphertext with its tag appended.
pub const DECRYPT: Direction = SubtleCrypto::decrypt_with_object_and_u8_array;

/// Starts one AES-GCM operation on `data` under `key` now; its bytes come from
/// [`bytes_of`]. Starting many before awaiting any runs them as one batch.
pub fn start(
    direction: Direction,
    key: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Result<JsFuture, CryptoError> {
    let params = aes_gcm(nonce, aad)?;
    let promise = direction(&subtle()?, &params, key, data)
        .map_err(|e| unavailable(&format!("WebCrypto refused the call: {e:?}")))?;
    Ok(JsFuture::from(promise))
}

/// The bytes an encryption or decryption started earlier resolves to; a
/// rejection is `on_reject`.
pub async fn bytes_of(pending: JsFuture, on_reject: CryptoError) -> Result<Vec<u8>, CryptoError> {
    let buffer = pending.await.map_err(|_| on_reject)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Encrypts `data` under `key`; the ciphertext comes back with its tag appended.
pub async fn encrypt(
    key: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let pending = start(ENCRYPT, key, nonce, aad, data)?;
    bytes_of(pending, unavailable("AES-GCM encryption failed")).await
}

/// Decrypts and authenticates `ciphertext` (with its tag) under `key`, into a
/// buffer that stays in JavaScript. A failed check is [`CryptoError::Integrity`].
pub async fn decrypt_buffer(
    key: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Uint8Array, CryptoError> {
    let params = aes_gcm(nonce, aad)?;
    let promise = subtle()?.decrypt_with_object_and_u8_array(&params, key, ciphertext);
    let out = settle(promise, CryptoError::Integrity).await?;
    Ok(Uint8Array::new(&out))
}

/// The KEK: HKDF-SHA256 of the host's material under `salt`, as a
/// non-extractable AES-256-GCM key that seals the keyring and wraps data keys.
pub async fn derive_kek(
    material: &[u8; KEY_LEN],
    salt: &[u8],
    info: &[u8],
) -> Result<CryptoKey, CryptoError> {
    let base = import_hkdf(material).await?;
    let derive = hkdf(salt, info)?;
    let target = algorithm("AES-GCM")?;
    set(&target, "length", &JsValue::from(256))?;
    let usages = usages(&["encrypt", "decrypt", "wrapKey", "unwrapKey"]);
    let promise =
        subtle()?.derive_key_with_object_and_object(&derive, &base, &target, false, &usages);
    Ok(settle(promise, unavailable("HKDF key derivation failed"))
        .await?
        .unchecked_into())
}

/// 32 bytes derived from an HKDF key with an empty salt and `info`, for a key
/// that must live in WebAssembly (the fields and state keys).
pub async fn derive_bytes(
    base: &CryptoKey,
    info: &[u8],
) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let params = hkdf(&[], info)?;
    let promise = subtle()?.derive_bits_with_object(&params, base, (KEY_LEN * 8) as u32);
    let bits = Uint8Array::new(&settle(promise, unavailable("HKDF failed")).await?);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    bits.copy_to(out.as_mut());
    bits.fill(0, 0, bits.length());
    Ok(out)
}

/// A fresh AES-256-GCM key wrapped under `kek` (`nonce ‖ ciphertext ‖ tag`): the
/// key is generated inside WebCrypto and its bytes never reach script memory.
pub async fn new_wrapped_key(
    kek: &CryptoKey,
    aad: &[u8],
) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    let target = algorithm("AES-GCM")?;
    set(&target, "length", &JsValue::from(256))?;
    let promise = subtle()?.generate_key_with_object(&target, true, &usages(&["encrypt"]));
    let key: CryptoKey = settle(promise, unavailable("AES key generation failed"))
        .await?
        .unchecked_into();
    wrap(&key, kek, aad).await
}

/// `key` (extractable) wrapped under `kek` with a fresh nonce.
async fn wrap(
    key: &CryptoKey,
    kek: &CryptoKey,
    aad: &[u8],
) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    let nonce: [u8; NONCE_LEN] = super::random_bytes()?;
    let params = aes_gcm(&nonce, aad)?;
    let promise = subtle()?.wrap_key_with_object("raw", key, kek, &params);
    let wrapped = Uint8Array::new(&settle(promise, unavailable("key wrapping failed")).await?);
    wrapped_entry(&nonce, &wrapped)
}

/// A raw key held in a JavaScript buffer (an opened format-2 keyring), wrapped
/// under `kek` without being copied into WebAssembly memory.
pub async fn wrap_raw(
    raw: &Uint8Array,
    kek: &CryptoKey,
    aad: &[u8],
) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    let nonce: [u8; NONCE_LEN] = super::random_bytes()?;
    let params = aes_gcm(&nonce, aad)?;
    let promise = subtle()?.encrypt_with_object_and_js_u8_array(&params, kek, raw);
    let wrapped = Uint8Array::new(&settle(promise, unavailable("key wrapping failed")).await?);
    wrapped_entry(&nonce, &wrapped)
}

/// A wrapped key under `from`, wrapped again under `to` (with `to_aad`): it is
/// unwrapped as extractable only inside WebCrypto, for this one call.
pub async fn rewrap(
    entry: &[u8; WRAPPED_KEY_LEN],
    from: &CryptoKey,
    from_aad: &[u8],
    to: &CryptoKey,
    to_aad: &[u8],
) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    let key = unwrap(entry, from, from_aad, "AES-GCM", true, &["encrypt"]).await?;
    wrap(&key, to, to_aad).await
}

/// A wrapped key, unwrapped under `kek` as a key for `name` with `key_usages`. A
/// wrong KEK or altered entry is [`CryptoError::WrongKey`].
pub async fn unwrap(
    entry: &[u8; WRAPPED_KEY_LEN],
    kek: &CryptoKey,
    aad: &[u8],
    name: &str,
    extractable: bool,
    key_usages: &[&str],
) -> Result<CryptoKey, CryptoError> {
    let (nonce, wrapped) = entry.split_at(NONCE_LEN);
    let params = aes_gcm(nonce, aad)?;
    let target = algorithm(name)?;
    let promise = subtle()?.unwrap_key_with_u8_array_and_object_and_object(
        "raw",
        wrapped,
        kek,
        &params,
        &target,
        extractable,
        &usages(key_usages),
    );
    Ok(settle(promise, CryptoError::WrongKey)
        .await?
        .unchecked_into())
}

async fn import_hkdf(material: &[u8]) -> Result<CryptoKey, CryptoError> {
    let promise = subtle()?.import_key_with_object(
        "raw",
        &Uint8Array::from(material),
        &algorithm("HKDF")?,
        false,
        &usages(&["deriveKey", "deriveBits"]),
    );
    Ok(settle(promise, unavailable("HKDF key import failed"))
        .await?
        .unchecked_into())
}

fn hkdf(salt: &[u8], info: &[u8]) -> Result<Object, CryptoError> {
    let params = algorithm("HKDF")?;
    set(&params, "hash", &JsValue::from_str("SHA-256"))?;
    set(&params, "salt", &Uint8Array::from(salt))?;
    set(&params, "info", &Uint8Array::from(info))?;
    Ok(params)
}

fn wrapped_entry(nonce: &[u8], wrapped: &Uint8Array) -> Result<[u8; WRAPPED_KEY_LEN], CryptoError> {
    if wrapped.length() as usize != WRAPPED_KEY_LEN - NONCE_LEN {
        return Err(unavailable(
            "WebCrypto wrapped a key to an unexpected length",
        ));
    }
    let mut out = [0u8; WRAPPED_KEY_LEN];
    out[..NONCE_LEN].copy_from_slice(nonce);
    wrapped.copy_to(&mut out[NONCE_LEN..]);
    Ok(out)
}

fn algorithm(name: &str) -> Result<Object, CryptoError> {
    let object = Object::new();
    set(&object, "name", &JsValue::from_str(name))?;
    Ok(object)
}

fn usages(names: &[&str]) -> JsValue {
    names
        .iter()
        .map(|name| JsValue::from_str(name))
        .collect::<Array>()
        .into()
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), CryptoError> {
    Reflect::set(object, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| unavailable("could not build WebCrypto parameters"))
}

/// A [`CryptoError::Unavailable`] with `message`.
pub fn unavailable(message: &str) -> CryptoError {
    CryptoError::Unavailable(message.to_owned())
}
