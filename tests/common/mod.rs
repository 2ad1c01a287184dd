//! Helpers shared by the browser suites: calling the JavaScript API from Rust, and
//! reading IndexedDB with the browser's own API (never ours) to check what is stored.
#![allow(dead_code)]

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use offline_mailbox::OfflineMailbox;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/tests/common/raw_idb.js")]
extern "C" {
    /// Every byte the origin's IndexedDB holds, flattened (see raw_idb.js).
    #[wasm_bindgen(js_name = dumpOrigin)]
    pub fn dump_origin() -> Promise;
    /// Names of every database of the origin.
    #[wasm_bindgen(js_name = databaseNames)]
    pub fn database_names() -> Promise;
    /// Flips one bit of the first record's value in `store`; resolves to the record count.
    #[wasm_bindgen(js_name = tamperFirst)]
    pub fn tamper_first(db: &str, store: &str) -> Promise;
    /// Copies the first record of `store` (value and all) over the second one.
    #[wasm_bindgen(js_name = copyFirstOntoSecond)]
    pub fn copy_first_onto_second(db: &str, store: &str) -> Promise;
    /// Opens `db` at `version` with the raw API, then closes it.
    #[wasm_bindgen(js_name = openAtVersion)]
    pub fn open_at_version(db: &str, version: u32) -> Promise;
    /// Deletes every database of the origin.
    #[wasm_bindgen(js_name = deleteAll)]
    pub fn delete_all() -> Promise;
    /// The `code` of a rejected promise's error, or "resolved".
    #[wasm_bindgen(js_name = codeOf)]
    pub fn code_of(promise: Promise) -> Promise;
}

#[wasm_bindgen(module = "/tests/common/attacks.js")]
extern "C" {
    /// Sets `field` of every record that differs from the most common value to it; resolves to how many changed.
    #[wasm_bindgen(js_name = setFieldToMajority)]
    pub fn set_field_to_majority(db: &str, store: &str, field: &str) -> Promise;
    /// Gives the second record of `store` the first record's `field`.
    #[wasm_bindgen(js_name = copyFieldFirstToSecond)]
    pub fn copy_field_first_to_second(db: &str, store: &str, field: &str) -> Promise;
    /// Stores `value` under `key` in `store` with the raw API.
    #[wasm_bindgen(js_name = putRaw)]
    pub fn put_raw(db: &str, store: &str, key: &JsValue, value: &JsValue) -> Promise;
    /// The names of the keys in `meta`.
    #[wasm_bindgen(js_name = metaKeys)]
    pub fn meta_keys(db: &str) -> Promise;
    /// Flips one bit of the `meta` record called `name`.
    #[wasm_bindgen(js_name = tamperMeta)]
    pub fn tamper_meta(db: &str, name: &str) -> Promise;
    /// A copy of every store of the database.
    pub fn snapshot(db: &str) -> Promise;
    /// Puts a snapshot back in place.
    pub fn restore(db: &str, copy: &JsValue) -> Promise;
    /// Puts back only the named stores of a snapshot.
    #[wasm_bindgen(js_name = restoreStores)]
    pub fn restore_stores(db: &str, copy: &JsValue, stores: &JsValue) -> Promise;
    /// How many records `store` holds.
    #[wasm_bindgen(js_name = countRecords)]
    pub fn count_records(db: &str, store: &str) -> Promise;
    /// The distinct data key ids the envelopes of `store` name.
    #[wasm_bindgen(js_name = keyIds)]
    pub fn key_ids(db: &str, store: &str) -> Promise;
    /// Copies the first record of `store` under `n` new random keys.
    #[wasm_bindgen(js_name = copyFirstToNewKeys)]
    pub fn copy_first_to_new_keys(db: &str, store: &str, n: u32) -> Promise;
    /// Sets the stored copy of every record's key (`k`) in `store` to 0xff bytes.
    #[wasm_bindgen(js_name = setStoredKey)]
    pub fn set_stored_key(db: &str, store: &str) -> Promise;
    /// Puts a junk record under a long key in `store`, sorting last (or first).
    #[wasm_bindgen(js_name = putLongKey)]
    pub fn put_long_key(db: &str, store: &str, last: bool) -> Promise;
    /// A progress handler logging "done/total" into `log`, closing `mailbox` after `close_after` reports.
    #[wasm_bindgen(js_name = envelopeFormats)]
    pub fn envelope_formats(db: &str, store: &str) -> Promise;

    #[wasm_bindgen(js_name = clearStore)]
    pub fn clear_store(db: &str, store: &str) -> Promise;

    #[wasm_bindgen(js_name = deleteMetaKey)]
    pub fn delete_meta_key(db: &str, name: &str) -> Promise;

    #[wasm_bindgen(js_name = stuffJunk)]
    pub fn stuff_junk(db: &str, store: &str, n: u32) -> Promise;

    #[wasm_bindgen(js_name = swapFirstTwo)]
    pub fn swap_first_two(db: &str, store: &str) -> Promise;

    #[wasm_bindgen(js_name = progressLog)]
    pub fn progress_log(log: &js_sys::Array, mailbox: &JsValue, close_after: u32) -> JsValue;
}

/// Awaits a promise, panicking with the JS error (test code only).
pub async fn wait(promise: Promise) -> JsValue {
    JsFuture::from(promise)
        .await
        .unwrap_or_else(|e| panic!("rejected: {e:?}"))
}

/// Awaits a promise that must reject; returns the error's `code`.
pub async fn rejection_code(promise: Promise) -> String {
    wait(code_of(promise)).await.as_string().unwrap()
}

/// Awaits a promise that must reject; returns the error object.
pub async fn rejection(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => panic!("expected a rejection, got {value:?}"),
        Err(error) => error,
    }
}

/// Reads `error[name]`.
pub fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap()
}

/// `{ userId, key }` options with a key of 32 copies of `byte`.
pub fn key_options(user_id: &str, byte: u8) -> JsValue {
    let options = Object::new();
    Reflect::set(&options, &"userId".into(), &user_id.into()).unwrap();
    Reflect::set(&options, &"key".into(), &Uint8Array::from(&[byte; 32][..])).unwrap();
    options.into()
}

/// Opens a mailbox that must open, with offline turned on (the user's choice).
pub async fn open(options: JsValue) -> OfflineMailbox {
    let value = wait(OfflineMailbox::open(options)).await;
    let mailbox = OfflineMailbox::try_from_js_value(value).unwrap();
    wait(mailbox.enable_offline(None)).await;
    mailbox
}

/// Parses a JSON literal into a JS value.
pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap()
}

/// A JS array of the given values.
pub fn array(values: impl IntoIterator<Item = JsValue>) -> JsValue {
    values.into_iter().collect::<Array>().into()
}

/// `JSON.stringify(value)`.
pub fn stringify(value: &JsValue) -> String {
    js_sys::JSON::stringify(value).unwrap().as_string().unwrap()
}

/// Every database name of the origin.
pub async fn names() -> Vec<String> {
    let names: Array = wait(database_names()).await.unchecked_into();
    names.iter().map(|n| n.as_string().unwrap()).collect()
}

/// `OfflineMailbox.databaseName(user)`, which must succeed.
pub fn db_name(user: &str) -> String {
    OfflineMailbox::database_name(user.into()).unwrap()
}
