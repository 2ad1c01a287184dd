//! What the host unlocks a mailbox with, and turning it into key material.
//! Passphrases go through WebCrypto's native PBKDF2, which is far faster than a
//! software PBKDF2 compiled to WebAssembly, so a high iteration count stays usable.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

use crate::crypto::{KeyDerivation, KeyMaterial, SALT_LEN};
use crate::Error;

/// PBKDF2-HMAC-SHA256 iterations for new passphrase-protected mailboxes (OWASP's 2023 figure).
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 600_000;
/// The PBKDF2 iteration counts this library accepts, from either side: the host
/// asking for a count at `open` or `changeKey` (outside it, `InvalidInput`), and a
/// stored keyring header naming one (outside it, the header was tampered with:
/// `WrongKey`). One range for both, so a mailbox the host created always reopens.
pub const PBKDF2_ITERATIONS: std::ops::RangeInclusive<u32> = 1_000..=10_000_000;

/// The secret a mailbox is unlocked with.
#[derive(Clone)]
pub enum Unlock {
    /// 32 bytes of key material from the host.
    Key(KeyMaterial),
    /// A passphrase, and the iteration count to use when wrapping with it.
    Passphrase {
        /// The passphrase; wiped from Rust memory on drop.
        passphrase: Zeroizing<String>,
        /// PBKDF2 iterations for a new wrap.
        iterations: u32,
    },
}

impl Unlock {
    /// How a new wrap with this secret derives its KEK.
    pub fn derivation(&self) -> KeyDerivation {
        match self {
            Self::Key(_) => KeyDerivation::RawKey,
            Self::Passphrase { iterations, .. } => KeyDerivation::Pbkdf2Sha256 {
                iterations: *iterations,
            },
        }
    }

    /// Key material for `salt`. A passphrase uses the iteration count of `stored`
    /// (the wrap being opened) when it names one.
    pub async fn material(
        &self,
        salt: &[u8; SALT_LEN],
        stored: KeyDerivation,
    ) -> Result<KeyMaterial, Error> {
        match self {
            Self::Key(material) => Ok(material.clone()),
            Self::Passphrase {
                passphrase,
                iterations,
            } => {
                let iterations = match stored {
                    KeyDerivation::Pbkdf2Sha256 { iterations }
                        if PBKDF2_ITERATIONS.contains(&iterations) =>
                    {
                        iterations
                    }
                    KeyDerivation::Pbkdf2Sha256 { .. } => return Err(Error::WrongKey),
                    KeyDerivation::RawKey => *iterations,
                };
                pbkdf2(passphrase, salt, iterations).await
            }
        }
    }
}

async fn pbkdf2(passphrase: &str, salt: &[u8], iterations: u32) -> Result<KeyMaterial, Error> {
    let subtle = subtle_crypto()?;
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let secret = Uint8Array::from(passphrase.as_bytes());
    let import = subtle
        .import_key_with_str("raw", &secret, "PBKDF2", false, &usages)
        .map_err(|_| unsupported("crypto.subtle.importKey(PBKDF2) failed"))?;
    // The JS copy of the passphrase is overwritten as soon as WebCrypto has it.
    secret.fill(0, 0, secret.length());
    let base_key: web_sys::CryptoKey = await_js(import).await?.unchecked_into();
    let params = Object::new();
    set(&params, "name", &JsValue::from_str("PBKDF2"))?;
    set(&params, "hash", &JsValue::from_str("SHA-256"))?;
    set(&params, "salt", &Uint8Array::from(salt))?;
    set(&params, "iterations", &JsValue::from(iterations))?;
    let derive = subtle
        .derive_bits_with_object(&params, &base_key, 256)
        .map_err(|_| unsupported("crypto.subtle.deriveBits(PBKDF2) failed"))?;
    let bits = Uint8Array::new(&await_js(derive).await?);
    let bytes = Zeroizing::new(bits.to_vec());
    bits.fill(0, 0, bits.length());
    Ok(KeyMaterial::from_slice(&bytes)?)
}

fn subtle_crypto() -> Result<web_sys::SubtleCrypto, Error> {
    Ok(crate::crypto::subtle::subtle()?)
}

async fn await_js(promise: js_sys::Promise) -> Result<JsValue, Error> {
    JsFuture::from(promise)
        .await
        .map_err(|e| unsupported(&format!("WebCrypto failed: {e:?}")))
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), Error> {
    Reflect::set(object, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| unsupported("could not build WebCrypto parameters"))
}

fn unsupported(message: &str) -> Error {
    Error::Unsupported(message.to_owned())
}
