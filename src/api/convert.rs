//! Reading options and items from JavaScript values, with errors that name the field.
//!
//! The caller's values may be Proxies, objects with throwing getters or `toJSON`,
//! or arrays claiming four billion elements. An exception thrown through
//! WebAssembly, or a panic (a trap under `panic = "abort"`), would kill the module
//! and leave every promise pending, so every read here goes through a path that
//! catches (`Reflect.get`, `JSON.stringify`, the imports below, `typeof` checks) and
//! turns a failure into `InvalidInput`, and nothing is ever allocated from a length
//! the caller supplied.

use js_sys::{Array, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use zeroize::Zeroizing;

use crate::crypto::KeyMaterial;
use crate::directory::{
    org_origin, DirectoryConfig, PhotoApi, DEFAULT_CARD_PATH, DEFAULT_PHOTO_SIZE, PHOTO_SIZES,
};
use crate::mailbox::{Unlock, DEFAULT_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS};
use crate::model::{parse_cost, validate_batch, Item, Kind, Selection, Timestamp};
use crate::policy::{AllowOfflineOn, Computer, Policy};
use crate::session::ExpectedEpoch;
use crate::sync::DeltaPage;
use crate::sync::Epoch;
use crate::Error;

/// The most items one `put*` call, or one `applyDelta` page, may carry. Graph
/// pages hold at most 1,000 items; the cap only has to stop absurd lengths.
pub const MAX_BATCH_ITEMS: u32 = 10_000;
/// Most JSON text one item may take (UTF-16 code units), measured before it is
/// copied into WebAssembly memory.
pub const MAX_ITEM_TEXT: u32 = 16 * 1024 * 1024;
/// Most memory the parsed items of one call may take, estimated from their JSON
/// before it is parsed ([`parse_cost`]), so no input can make an allocation fail in
/// WebAssembly memory (which would abort the module). Merging and sealing copy a
/// batch a few times more after parsing, hence the margin below the 4 GiB a
/// module can have. The real corpus's median message is estimated at 12.5 KB,
/// so 10,000 such messages (119 MiB) fit, and so does the whole 6,046-message
/// corpus in one call (90 MiB).
pub const MAX_CALL_COST: u64 = 256 * 1024 * 1024;
/// Longest string argument (an id, a scope, an address), in UTF-16 code units.
pub const MAX_STRING_ARG: u32 = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, catching: it throws for a revoked Proxy (js-sys's does not catch).
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `Date.prototype.getTime.call(value)`: the time value of a real `Date`
    /// (subclasses included, whatever they override), and a caught `TypeError`
    /// for anything else, a Proxy around a `Date` included.
    #[wasm_bindgen(catch, js_namespace = ["Date", "prototype", "getTime"], js_name = call)]
    fn date_time_value(value: &JsValue) -> Result<JsValue, JsValue>;

    /// The global `Uint8Array` constructor, to copy a key with `Reflect.construct`.
    #[wasm_bindgen(thread_local_v2, js_name = Uint8Array)]
    static UINT8_ARRAY: js_sys::Function;
}

/// Reads an optional property of an options object. `undefined` or `null` options
/// have no properties; other non-objects, and a getter or Proxy trap that throws,
/// are `InvalidInput` naming the property.
pub fn property(options: &JsValue, name: &str) -> Result<Option<JsValue>, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() && !options.is_function() {
        return Err(Error::invalid(
            name,
            "cannot be read: the options must be an object",
        ));
    }
    let value = Reflect::get(options, &JsValue::from_str(name))
        .map_err(|_| Error::invalid(name, "could not be read: its getter or a Proxy trap threw"))?;
    Ok(Some(value).filter(|v| !v.is_undefined() && !v.is_null()))
}

/// Reads a string argument such as an id, a scope or an email address. A
/// non-string (a number, a Symbol, an object with a `toString`) is
/// `InvalidInput` naming the parameter; nothing of it is called.
pub fn string_arg(value: &JsValue, name: &str) -> Result<String, Error> {
    let text = value
        .dyn_ref::<js_sys::JsString>()
        .ok_or_else(|| Error::invalid(name, "must be a string"))?;
    if text.length() > MAX_STRING_ARG {
        return Err(Error::invalid(
            name,
            &format!("is longer than {MAX_STRING_ARG} characters"),
        ));
    }
    Ok(String::from(text))
}

/// Reads a required, non-empty string option.
pub fn required_string(options: &JsValue, name: &str) -> Result<String, Error> {
    match optional_string(options, name)? {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(Error::invalid(name, "must be a non-empty string")),
        None => Err(Error::invalid(name, "is required")),
    }
}

/// Reads `{ key }` or `{ passphrase, passphraseIterations? }`; exactly one of the two.
pub fn unlock(options: &JsValue) -> Result<Unlock, Error> {
    if !options.is_object() {
        return Err(Error::invalid("options", "must be an object"));
    }
    match (property(options, "key")?, property(options, "passphrase")?) {
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
    let given = property(options, "key")?.is_some() || property(options, "passphrase")?.is_some();
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
    match property(options, name)? {
        None => Ok(None),
        Some(value) => value
            .dyn_into::<js_sys::Function>()
            .map(Some)
            .map_err(|_| Error::invalid(name, "must be a function")),
    }
}

/// Copies the key's bytes. The bytes are read from a fresh copy, since a
/// subclass could make `length` or the element reads throw.
fn key_material(key: &JsValue) -> Result<KeyMaterial, Error> {
    let not_bytes = || Error::invalid("key", "must be a Uint8Array of 32 bytes");
    // `instanceof` is caught by wasm-bindgen's glue; `ArrayBuffer.isView` looks at
    // internal slots only, so a Proxy or an object that merely borrowed
    // `Uint8Array.prototype` is refused without running any of its code.
    if !key.is_instance_of::<Uint8Array>() || !js_sys::ArrayBuffer::is_view(key) {
        return Err(not_bytes());
    }
    // `new Uint8Array(key)` through the catching `Reflect.construct`: for a real
    // typed array it copies through internal slots, never calling the caller's
    // `length` getter or iterator; for a Proxy it throws, and that is caught.
    let copy: Uint8Array = UINT8_ARRAY
        .with(|constructor| Reflect::construct(constructor, &Array::of1(key)))
        .map_err(|_| not_bytes())?
        .unchecked_into();
    let bytes = Zeroizing::new(copy.to_vec());
    // The extra JavaScript copy of the key is overwritten at once.
    copy.fill(0, 0, copy.length());
    Ok(KeyMaterial::from_slice(&bytes)?)
}

fn passphrase_unlock(options: &JsValue, passphrase: &JsValue) -> Result<Unlock, Error> {
    let passphrase = match string_arg(passphrase, "passphrase") {
        Ok(text) if !text.is_empty() => Zeroizing::new(text),
        Ok(_) => return Err(Error::invalid("passphrase", "must be a non-empty string")),
        Err(error) => return Err(error),
    };
    let iterations = match property(options, "passphraseIterations")? {
        None => DEFAULT_PBKDF2_ITERATIONS,
        Some(value) => iterations(&value)?,
    };
    Ok(Unlock::Passphrase {
        passphrase,
        iterations,
    })
}

/// Reads `passphraseIterations`: an integer within [`PBKDF2_ITERATIONS`], the
/// range a stored header is held to, so a count accepted here always reopens.
fn iterations(value: &JsValue) -> Result<u32, Error> {
    let (min, max) = (*PBKDF2_ITERATIONS.start(), *PBKDF2_ITERATIONS.end());
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n >= f64::from(min) && n <= f64::from(max) => Ok(n as u32),
        _ => Err(Error::invalid(
            "passphraseIterations",
            &format!("must be an integer from {min} to {max}"),
        )),
    }
}

/// Validates an array of Graph-shaped items; the first malformed one is named by index and field.
pub fn items(kind: Kind, value: &JsValue) -> Result<Vec<Item>, Error> {
    Ok(validate_batch(kind, json_elements(value, "items")?)?)
}

/// Reads a Graph delta page object: its `value` array and `@odata.deltaLink`,
/// each read once, so a getter cannot show the cap check one array and the
/// conversion another. Other fields (`@odata.nextLink`, `@odata.context`) are
/// the host's to follow and are not read.
pub fn delta_page(page: &JsValue) -> Result<DeltaPage, Error> {
    if !page.is_object() {
        return Err(Error::invalid("page", "must be a Graph delta page object"));
    }
    let mut fields = serde_json::Map::new();
    // `value` is checked against the cap before any element is serialised:
    // stringifying a sparse array of four billion holes would not return.
    if let Some(value) = property(page, "value")? {
        fields.insert("value".into(), json_elements(&value, "value")?.into());
    }
    if let Some(link) = property(page, "@odata.deltaLink")? {
        let link = string_arg(&link, "@odata.deltaLink")?;
        fields.insert("@odata.deltaLink".into(), link.into());
    }
    Ok(DeltaPage::parse(fields.into())?)
}

/// Serialises each element of an array to JSON, index by index. A missing or
/// unreadable element is `InvalidInput` naming its index.
fn json_elements(value: &JsValue, field: &str) -> Result<Vec<serde_json::Value>, Error> {
    let length = array_length(value, field)?;
    if let Some(values) = whole_array_json(value, length) {
        return Ok(values);
    }
    // No capacity from `length`: the Vec grows only as elements actually convert.
    let mut values = Vec::new();
    let mut budget = MAX_CALL_COST;
    for index in 0..length {
        let item = element(value, index, "(item)")?;
        values.push(to_json(index as usize, &item, &mut budget)?);
    }
    Ok(values)
}

/// The fast path of [`json_elements`]: the whole array as one JSON text, copied
/// into WebAssembly and parsed at once. `None` (a throwing getter or trap, a hole,
/// an element that is not an object, a text over the limits) sends the caller to
/// the element-by-element path, which names the element at fault.
fn whole_array_json(value: &JsValue, length: u32) -> Option<Vec<serde_json::Value>> {
    // Stringify a plain copy of the first `length` elements, never `value` itself:
    // a Proxy could report another length to `JSON.stringify` than the checked one.
    let copy = Array::new();
    for index in 0..length {
        copy.push(&element(value, index, "(item)").ok()?);
    }
    let text: js_sys::JsString = JSON::stringify(&copy).ok().filter(|s| s.is_string())?;
    if text.length() > MAX_ITEM_TEXT {
        return None;
    }
    let text = String::from(text);
    if parse_cost(&text) > MAX_CALL_COST {
        return None;
    }
    let values: Vec<serde_json::Value> = serde_json::from_str(&text).ok()?;
    let complete = values.len() == length as usize && values.iter().all(|v| v.is_object());
    complete.then_some(values)
}

/// The length of an array, read through `Reflect.get` (a Proxy may trap it) and
/// held to [`MAX_BATCH_ITEMS`].
fn array_length(value: &JsValue, field: &str) -> Result<u32, Error> {
    if !is_array(value).unwrap_or(false) {
        return Err(Error::invalid(field, "must be an array"));
    }
    let length = Reflect::get(value, &JsValue::from_str("length"))
        .map_err(|_| Error::invalid(field, "its length could not be read"))?
        .as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= 0.0)
        .ok_or_else(|| Error::invalid(field, "its length is not a valid array length"))?;
    if length > f64::from(MAX_BATCH_ITEMS) {
        return Err(Error::invalid(
            field,
            &format!("has {length} elements; at most {MAX_BATCH_ITEMS} are accepted in one call"),
        ));
    }
    Ok(length as u32)
}

/// Element `index` of an array, through `Reflect.get` so a throwing getter or
/// Proxy trap becomes `InvalidInput` naming the index.
fn element(array: &JsValue, index: u32, field: &str) -> Result<JsValue, Error> {
    Reflect::get_u32(array, index).map_err(|_| Error::InvalidInput {
        index: Some(index as usize),
        field: field.into(),
        reason: "could not be read: its getter or a Proxy trap threw".into(),
    })
}

/// Reads an array of item ids: each a non-empty string of at most
/// [`MAX_STRING_ARG`] characters, at most [`MAX_BATCH_ITEMS`] of them.
pub fn ids(value: &JsValue, field: &str) -> Result<Vec<String>, Error> {
    let length = array_length(value, field)?;
    let mut ids = Vec::new();
    for index in 0..length {
        let id = element(value, index, field)?
            .as_string()
            // "." and ".." would be path steps in a request URL, whatever their encoding.
            .filter(|id| is_item_id(id) && id.chars().count() <= MAX_STRING_ARG as usize)
            .ok_or_else(|| Error::InvalidInput {
                index: Some(index as usize),
                field: field.into(),
                reason: format!(
                    "must be a non-empty string of at most {MAX_STRING_ARG} characters, other than \".\" and \"..\""
                ),
            })?;
        ids.push(id);
    }
    Ok(ids)
}

/// Whether `id` may name an item in a request path: not empty, and not `.` or
/// `..`, which a URL parser takes as path steps whatever their encoding.
pub fn is_item_id(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".."
}

/// Reads one JSON-serialisable argument (an object or an array) as JSON.
pub fn json_arg(value: &JsValue, field: &str) -> Result<serde_json::Value, Error> {
    let mut budget = MAX_CALL_COST;
    to_json(0, value, &mut budget).map_err(|error| match error {
        Error::InvalidInput { reason, .. } => Error::invalid(field, &reason),
        other => other,
    })
}

/// Reads a kind argument: `"messages"`, `"mailFolders"`, `"contacts"` or `"events"`.
pub fn kind(value: &JsValue) -> Result<Kind, Error> {
    let name = string_arg(value, "kind")?;
    Kind::from_api_name(&name).ok_or_else(|| {
        Error::invalid(
            "kind",
            "must be \"messages\", \"mailFolders\", \"contacts\" or \"events\"",
        )
    })
}

/// Reads an optional positive integer option with a default and a ceiling.
pub fn limit(options: &JsValue, default: u32, max: u32) -> Result<u32, Error> {
    limit_named(options, "limit", default, max)
}

/// Reads the optional positive integer option `name` with a default and a ceiling.
pub fn limit_named(options: &JsValue, name: &str, default: u32, max: u32) -> Result<u32, Error> {
    match property(options, name)? {
        None => Ok(default),
        Some(value) => match value.as_f64() {
            Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= f64::from(max) => Ok(n as u32),
            _ => Err(Error::invalid(
                name,
                &format!("must be an integer from 1 to {max}"),
            )),
        },
    }
}

/// Most field names a `fields` option may list.
const MAX_SELECTED_FIELDS: u32 = 256;

/// Reads the `fields` option of a listing: `"summary"` (the default), `"full"`, or
/// an array of Graph field names (like `$select`).
pub fn selection(options: &JsValue) -> Result<Selection, Error> {
    let invalid = || {
        Error::invalid(
            "fields",
            &format!("must be \"summary\", \"full\" or an array of at most {MAX_SELECTED_FIELDS} field names"),
        )
    };
    let Some(value) = property(options, "fields")? else {
        return Ok(Selection::Summary);
    };
    if let Some(name) = value.as_string() {
        return match name.as_str() {
            "summary" => Ok(Selection::Summary),
            "full" => Ok(Selection::Full),
            _ => Err(invalid()),
        };
    }
    let length = array_length(&value, "fields").map_err(|_| invalid())?;
    if length > MAX_SELECTED_FIELDS {
        return Err(invalid());
    }
    let mut names = Vec::with_capacity(length as usize);
    for index in 0..length {
        let name = element(&value, index, "fields")?;
        names.push(string_arg(&name, "fields").map_err(|_| invalid())?);
    }
    Ok(Selection::Fields(names))
}

/// Reads an optional string option.
pub fn optional_string(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    property(options, name)?
        .map(|value| string_arg(&value, name))
        .transpose()
}

/// Reads a required date option: a `Date`, an ISO 8601 string with offset, or epoch milliseconds.
pub fn timestamp(options: &JsValue, name: &str) -> Result<Timestamp, Error> {
    let Some(value) = property(options, name)? else {
        return Err(Error::invalid(name, "is required"));
    };
    let invalid = || {
        Error::invalid(
            name,
            "must be a Date, an ISO 8601 date-time with offset, or epoch milliseconds",
        )
    };
    if value.is_object() {
        // Only a real Date has a time value; its own methods are never called.
        let ms = date_time_value(&value)
            .ok()
            .and_then(|ms| ms.as_f64())
            .ok_or_else(invalid)?;
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
        .ok_or_else(invalid)
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

/// One item as JSON, its estimated parsed size charged to the call's `budget`.
fn to_json(index: usize, element: &JsValue, budget: &mut u64) -> Result<serde_json::Value, Error> {
    let not_json = |reason: &str| Error::InvalidInput {
        index: Some(index),
        field: "(item)".into(),
        reason: reason.into(),
    };
    if element.is_undefined() {
        return Err(not_json("is missing (a hole in the array, or undefined)"));
    }
    let text: js_sys::JsString = JSON::stringify(element)
        .ok()
        .filter(|s| s.is_string())
        .ok_or_else(|| not_json("is not JSON-serialisable"))?;
    let length = text.length();
    if length > MAX_ITEM_TEXT {
        return Err(not_json(&format!(
            "is larger than {MAX_ITEM_TEXT} characters of JSON"
        )));
    }
    let text = String::from(text);
    *budget = budget.checked_sub(parse_cost(&text)).ok_or_else(|| {
        not_json("brings the call over its memory budget (too much or too deeply nested JSON); split the batch")
    })?;
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
    match property(options, name)? {
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
    let within = |error: Error| nested(field, error);
    let mut policy = Policy::default();
    if let Some(allow) = property(value, "allowOfflineOn").map_err(within)? {
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
    if let Some(flag) = optional_bool(value, "displayPhotosEnabled").map_err(within)? {
        policy.display_photos_enabled = flag;
    }
    if let Some(flag) = optional_bool(value, "contactCardEnabled").map_err(within)? {
        policy.contact_card_enabled = flag;
    }
    Ok(policy)
}

/// Names an option's error by its full path (`policy.contactCardEnabled`), keeping the reason.
fn nested(parent: &str, error: Error) -> Error {
    match error {
        Error::InvalidInput {
            index,
            field,
            reason,
        } => Error::InvalidInput {
            index,
            field: format!("{parent}.{field}"),
            reason,
        },
        other => other,
    }
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
    let domains = match property(options, "orgDomains")? {
        None => Vec::new(),
        Some(value) => domains(&value)?,
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

/// Reads `orgDomains`: lower-cased ASCII domain names, no `@`. Addresses are
/// matched and looked up in ASCII only (a Unicode domain could never match one), so
/// a Unicode domain is refused here rather than silently never used.
fn domains(value: &JsValue) -> Result<Vec<String>, Error> {
    let invalid = |index: u32| {
        Error::InvalidInput {
        index: Some(index as usize),
        field: "orgDomains".into(),
        reason: "must be an ASCII domain name like \"contoso.com\" (internationalized ones in punycode, xn--…)".into(),
    }
    };
    let length = array_length(value, "orgDomains")?;
    let mut domains = Vec::new();
    for index in 0..length {
        let domain = element(value, index, "orgDomains")?
            .as_string()
            .and_then(|d| org_domain(&d))
            .ok_or_else(|| invalid(index))?;
        domains.push(domain);
    }
    Ok(domains)
}

/// One `orgDomains` entry, lowercased; `None` unless plain ASCII without `@`.
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
