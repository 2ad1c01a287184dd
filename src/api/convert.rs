//! Reading options and items from JavaScript values, with errors that name the field.

use js_sys::{Array, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

use crate::crypto::KeyMaterial;
use crate::directory::{
    org_origin, DirectoryConfig, PhotoApi, DEFAULT_CARD_PATH, DEFAULT_PHOTO_SIZE, PHOTO_SIZES,
};
use crate::mailbox::{Unlock, DEFAULT_PBKDF2_ITERATIONS};
use crate::model::{validate_batch, Item, Kind, Timestamp};
use crate::policy::{AllowOfflineOn, Computer, Policy};
use crate::session::ExpectedEpoch;
use crate::sync::DeltaPage;
use crate::sync::Epoch;
use crate::Error;

/// Reads an optional property of an options object.
pub fn property(options: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(options, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
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
        (Some(_), Some(_)) => Err(Error::invalid(
            "key",
            "give either key or passphrase, not both",
        )),
        (None, None) => Err(Error::invalid(
            "key",
            "a 32-byte key or a passphrase is required",
        )),
    }
}

/// Reads optional `{ key }` / `{ passphrase }` options: `None` when neither is given.
pub fn optional_unlock(options: &JsValue) -> Result<Option<Unlock>, Error> {
    let given = property(options, "key").is_some() || property(options, "passphrase").is_some();
    given.then(|| unlock(options)).transpose()
}

/// Reads `expectedEpoch`: absent (not checked), `null` (offline was turned off), or
/// a value of `mailbox.epoch`.
pub fn expected_epoch(options: &JsValue) -> Result<ExpectedEpoch, Error> {
    let value = Reflect::get(options, &JsValue::from_str("expectedEpoch"))
        .map_err(|_| Error::invalid("expectedEpoch", "could not be read"))?;
    if value.is_undefined() {
        return Ok(ExpectedEpoch::Unknown);
    }
    if value.is_null() {
        return Ok(ExpectedEpoch::NoOfflineData);
    }
    value
        .as_string()
        .and_then(|text| Epoch::parse(&text))
        .map(ExpectedEpoch::AtLeast)
        .ok_or_else(|| {
            Error::invalid(
                "expectedEpoch",
                "must be a value of mailbox.epoch, or null when offline was turned off",
            )
        })
}

/// Reads an optional function option.
pub fn optional_function(options: &JsValue, name: &str) -> Result<Option<js_sys::Function>, Error> {
    match property(options, name) {
        None => Ok(None),
        Some(value) => value
            .dyn_into::<js_sys::Function>()
            .map(Some)
            .map_err(|_| Error::invalid(name, "must be a function")),
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
            _ => {
                return Err(Error::invalid(
                    "passphraseIterations",
                    "must be a positive integer",
                ))
            }
        },
    };
    Ok(Unlock::Passphrase {
        passphrase,
        iterations,
    })
}

/// Validates an array of Graph-shaped items; the first malformed one is named by index and field.
pub fn items(kind: Kind, value: &JsValue) -> Result<Vec<Item>, Error> {
    let Some(array) = value.dyn_ref::<Array>() else {
        return Err(Error::invalid("items", "must be an array"));
    };
    let mut values = Vec::with_capacity(array.length() as usize);
    for (index, element) in array.iter().enumerate() {
        values.push(to_json(index, &element)?);
    }
    Ok(validate_batch(kind, values)?)
}

/// Reads a Graph delta page object.
pub fn delta_page(page: &JsValue) -> Result<DeltaPage, Error> {
    if !page.is_object() {
        return Err(Error::invalid("page", "must be a Graph delta page object"));
    }
    Ok(DeltaPage::parse(to_json(0, page)?)?)
}

/// Reads a kind name: `"messages"`, `"mailFolders"`, `"contacts"` or `"events"`.
pub fn kind(name: &str) -> Result<Kind, Error> {
    Kind::from_api_name(name).ok_or_else(|| {
        Error::invalid(
            "kind",
            "must be \"messages\", \"mailFolders\", \"contacts\" or \"events\"",
        )
    })
}

/// Reads an optional positive integer option with a default and a ceiling.
pub fn limit(options: &JsValue, default: u32, max: u32) -> Result<u32, Error> {
    match property(options, "limit") {
        None => Ok(default),
        Some(value) => match value.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= f64::from(max) => Ok(n as u32),
            _ => Err(Error::invalid(
                "limit",
                &format!("must be an integer from 1 to {max}"),
            )),
        },
    }
}

/// Reads an optional string option.
pub fn optional_string(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    match property(options, name) {
        None => Ok(None),
        Some(value) => value
            .as_string()
            .map(Some)
            .ok_or_else(|| Error::invalid(name, "must be a string")),
    }
}

/// Reads a required date option: a `Date`, an ISO 8601 string with offset, or epoch milliseconds.
pub fn timestamp(options: &JsValue, name: &str) -> Result<Timestamp, Error> {
    let Some(value) = property(options, name) else {
        return Err(Error::invalid(name, "is required"));
    };
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        let ms = date.get_time();
        return if ms.is_finite() {
            Ok(Timestamp(ms as i64))
        } else {
            Err(Error::invalid(name, "is an invalid Date"))
        };
    }
    if let Some(ms) = value.as_f64().filter(|ms| ms.is_finite()) {
        return Ok(Timestamp(ms as i64));
    }
    value
        .as_string()
        .and_then(|text| Timestamp::parse(&text))
        .ok_or_else(|| {
            Error::invalid(
                name,
                "must be a Date, an ISO 8601 date-time with offset, or epoch milliseconds",
            )
        })
}

/// Parses a list of JSON documents into one JavaScript array with a single `JSON.parse`.
pub fn json_array(items: &[Vec<u8>]) -> Result<JsValue, Error> {
    let mut text = Vec::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    text.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.extend_from_slice(item);
    }
    text.push(b']');
    from_json(&text)
}

fn to_json(index: usize, element: &JsValue) -> Result<serde_json::Value, Error> {
    let not_json = |reason: &str| Error::InvalidInput {
        index: Some(index),
        field: "(item)".into(),
        reason: reason.into(),
    };
    let text = JSON::stringify(element)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| not_json("is not JSON-serialisable"))?;
    serde_json::from_str(&text).map_err(|_| not_json("is not valid JSON"))
}

/// Parses stored JSON bytes back into a JavaScript object.
pub fn from_json(bytes: &[u8]) -> Result<JsValue, Error> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::Storage("a stored item is not UTF-8".into()))?;
    JSON::parse(text).map_err(|_| Error::Storage("a stored item is not valid JSON".into()))
}

/// Reads an optional boolean option.
pub fn optional_bool(options: &JsValue, name: &str) -> Result<Option<bool>, Error> {
    match property(options, name) {
        None => Ok(None),
        Some(value) => value
            .as_bool()
            .map(Some)
            .ok_or_else(|| Error::invalid(name, "must be true or false")),
    }
}

/// Reads `{ allowOfflineOn, displayPhotosEnabled, contactCardEnabled }`; missing fields take Exchange's defaults.
pub fn policy(value: &JsValue, field: &str) -> Result<Policy, Error> {
    if !value.is_object() {
        return Err(Error::invalid(
            field,
            "must be an object like { allowOfflineOn: \"AllComputers\" }",
        ));
    }
    let mut policy = Policy::default();
    if let Some(allow) = property(value, "allowOfflineOn") {
        policy.allow_offline_on = allow
            .as_string()
            .as_deref()
            .and_then(AllowOfflineOn::parse)
            .ok_or_else(|| {
                Error::invalid(
                    &format!("{field}.allowOfflineOn"),
                    "must be \"NoComputers\", \"PrivateComputersOnly\" or \"AllComputers\"",
                )
            })?;
    }
    if let Some(flag) = optional_bool(value, "displayPhotosEnabled").map_err(|_| {
        Error::invalid(
            &format!("{field}.displayPhotosEnabled"),
            "must be true or false",
        )
    })? {
        policy.display_photos_enabled = flag;
    }
    if let Some(flag) = optional_bool(value, "contactCardEnabled").map_err(|_| {
        Error::invalid(
            &format!("{field}.contactCardEnabled"),
            "must be true or false",
        )
    })? {
        policy.contact_card_enabled = flag;
    }
    Ok(policy)
}

/// Reads `computer`: `"private"` or `"public"` (the default, the safe choice).
pub fn computer(options: &JsValue) -> Result<Computer, Error> {
    match optional_string(options, "computer")?.as_deref() {
        None | Some("public") => Ok(Computer::Public),
        Some("private") => Ok(Computer::Private),
        Some(_) => Err(Error::invalid(
            "computer",
            "must be \"private\" or \"public\"",
        )),
    }
}

/// Reads the directory settings: `orgServer`, `orgDomains`, `photoApi`, `contactCardPath`.
pub fn directory(options: &JsValue) -> Result<Option<DirectoryConfig>, Error> {
    let Some(server) = optional_string(options, "orgServer")? else {
        return Ok(None);
    };
    let origin = org_origin(&server).map_err(|reason| Error::invalid("orgServer", reason))?;
    let domains = match property(options, "orgDomains") {
        None => Vec::new(),
        Some(value) => {
            let array = value
                .dyn_ref::<Array>()
                .ok_or_else(|| Error::invalid("orgDomains", "must be an array of domain names"))?;
            array
                .iter()
                .map(|d| d.as_string().and_then(|d| org_domain(&d)))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    Error::invalid(
                        "orgDomains",
                        "must be an array of ASCII domain names like \"contoso.com\" (internationalized ones in punycode, xn--…)",
                    )
                })?
        }
    };
    let photo_api = match optional_string(options, "photoApi")?.as_deref() {
        None | Some("ews") => PhotoApi::Ews,
        Some("graph") => PhotoApi::Graph,
        Some(_) => return Err(Error::invalid("photoApi", "must be \"ews\" or \"graph\"")),
    };
    let card_path =
        optional_string(options, "contactCardPath")?.unwrap_or_else(|| DEFAULT_CARD_PATH.into());
    if !card_path.starts_with('/') || !card_path.contains("{email}") {
        return Err(Error::invalid(
            "contactCardPath",
            "must be a path starting with / that contains {email}",
        ));
    }
    Ok(Some(DirectoryConfig {
        origin,
        domains,
        photo_api,
        card_path,
    }))
}

/// One `orgDomains` entry, lowercased; `None` unless plain ASCII without `@`.
/// Addresses are matched and looked up in ASCII only (a Unicode domain could never
/// match one), so a Unicode domain is refused here rather than silently never used.
fn org_domain(domain: &str) -> Option<String> {
    let domain = domain.trim();
    let valid = !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_graphic() && b != b'@');
    valid.then(|| domain.to_ascii_lowercase())
}

/// Reads `{ size }` for a photo: one of Exchange's sizes, default `HR96x96`.
pub fn photo_size(options: &JsValue) -> Result<String, Error> {
    let size = optional_string(options, "size")?.unwrap_or_else(|| DEFAULT_PHOTO_SIZE.into());
    if !PHOTO_SIZES.contains(&size.as_str()) {
        return Err(Error::invalid("size", "must be one of HR48x48, HR64x64, HR96x96, HR120x120, HR240x240, HR360x360, HR432x432, HR504x504, HR648x648"));
    }
    Ok(size)
}

/// A `Blob` of `bytes` with `content_type`.
pub fn blob(bytes: &[u8], content_type: &str) -> Result<JsValue, Error> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(content_type);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map(JsValue::from)
        .map_err(|_| Error::Unsupported("Blob is unavailable".into()))
}
