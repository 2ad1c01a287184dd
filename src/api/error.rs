//! The one place a Rust [`Error`] becomes a JavaScript `Error`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::Error;

/// Builds `Error { name: "OfflineMailboxError", code, message, ...details }`.
pub fn to_js(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("OfflineMailboxError");
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &JsValue::from_str(name), &value);
    };
    set("code", JsValue::from_str(error.code()));
    match &error {
        Error::Integrity { store, id } => {
            set("store", JsValue::from_str(store));
            set("id", id.as_deref().map_or(JsValue::NULL, JsValue::from_str));
        }
        Error::InvalidInput { index, field, .. } => {
            set("field", JsValue::from_str(field));
            set(
                "index",
                index.map_or(JsValue::NULL, |i| JsValue::from(i as u32)),
            );
        }
        Error::Rollback { expected, found } => {
            set("expected", JsValue::from_str(expected));
            set("found", JsValue::from_str(found));
        }
        Error::VersionTooNew { found, supported } => {
            set("found", JsValue::from(*found));
            set("supported", JsValue::from(*supported));
        }
        _ => {}
    }
    js.into()
}
