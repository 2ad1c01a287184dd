//! Reading options and items from JavaScript values, with errors that name the field.

use js_sys::{Array, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

use crate::crypto::KeyMaterial;
use crate::mailbox::{Unlock, DEFAULT_PBKDF2_ITERATIONS};
use crate::model::{validate_batch, Item};
use crate::Error;

/// Reads an optional property of an options object.
pub fn property(options: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

/// Reads a required, non-empty string option.
pub fn required_string(options: &JsValue, name: &str) -> Result<String, Error> {
    match property(options, name).map(|v| v.as_string()) {
        Some(Some(value)) if !value.is_empty() => Ok(value),
        Some(_) => Err(Error::invalid(name, "must be a non-empty string")),
        None => Err(Error::invalid(name, "is required")),
    }
}

/// Reads `{ key }` or `{ passphrase, passphraseIterations? }`; exactly one of the two.
pub fn unlock(options: &JsValue) -> Result<Unlock, Error> {
    if !options.is_object() {
        return Err(Error::invalid("options", "must be an object"));
    }
    match (property(options, "key"), property(options, "passphrase")) {
        (Some(key), None) => key_material(&key).map(Unlock::Key),
        (None, Some(passphrase)) => passphrase_unlock(options, &passphrase),
        (Some(_), Some(_)) => Err(Error::invalid("key", "give either key or passphrase, not both")),
        (None, None) => Err(Error::invalid("key", "a 32-byte key or a passphrase is required")),
    }
}

fn key_material(key: &JsValue) -> Result<KeyMaterial, Error> {
    let Some(array) = key.dyn_ref::<Uint8Array>() else {
        return Err(Error::invalid("key", "must be a Uint8Array of 32 bytes"));
    };
    let bytes = Zeroizing::new(array.to_vec());
    Ok(KeyMaterial::from_slice(&bytes)?)
}

fn passphrase_unlock(options: &JsValue, passphrase: &JsValue) -> Result<Unlock, Error> {
    let passphrase = match passphrase.as_string() {
        Some(text) if !text.is_empty() => Zeroizing::new(text),
        _ => return Err(Error::invalid("passphrase", "must be a non-empty string")),
    };
    let iterations = match property(options, "passphraseIterations") {
        None => DEFAULT_PBKDF2_ITERATIONS,
        Some(value) => match value.as_f64() {
            Some(n) if n.fract() == 0.0 && (1.0..=u32::MAX as f64).contains(&n) => n as u32,
            _ => return Err(Error::invalid("passphraseIterations", "must be a positive integer")),
        },
    };
    Ok(Unlock::Passphrase { passphrase, iterations })
}

/// Validates an array of Graph-shaped items; the first malformed one is named by index and field.
pub fn items(value: &JsValue) -> Result<Vec<Item>, Error> {
    let Some(array) = value.dyn_ref::<Array>() else {
        return Err(Error::invalid("items", "must be an array"));
    };
    let mut values = Vec::with_capacity(array.length() as usize);
    for (index, element) in array.iter().enumerate() {
        values.push(to_json(index, &element)?);
    }
    Ok(validate_batch(values)?)
}

fn to_json(index: usize, element: &JsValue) -> Result<serde_json::Value, Error> {
    let not_json = |reason: &str| Error::InvalidInput { index: Some(index), field: "(item)".into(), reason: reason.into() };
    let text = JSON::stringify(element)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| not_json("is not JSON-serialisable"))?;
    serde_json::from_str(&text).map_err(|_| not_json("is not valid JSON"))
}

/// Parses stored JSON bytes back into a JavaScript object.
pub fn from_json(bytes: &[u8]) -> Result<JsValue, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Storage("a stored item is not UTF-8".into()))?;
    JSON::parse(text).map_err(|_| Error::Storage("a stored item is not valid JSON".into()))
}
