//! `OfflineMailbox.storage` and asking the browser to keep the offline copy
//! (`navigator.storage`, in a window or a worker).

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::Error;

use super::{promise, set, OfflineMailbox};

#[wasm_bindgen]
impl OfflineMailbox {
    /// How much the origin stores and may store, whether the browser keeps it
    /// under storage pressure, and what the offline copy holds per kind:
    /// `{ usage, quota, persisted, byKind: { messages: { count, bytes }, ... } }`.
    /// `usage` and `quota` are the browser's estimate for the whole origin;
    /// `bytes` are sealed bytes, estimated from a sample of each store.
    ///
    /// ```js
    /// const { usage, quota, persisted } = await mailbox.storage();
    /// meter.value = usage / quota;
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<StorageReport>")]
    pub fn storage(&self) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let report = Object::new();
            let manager = storage_manager();
            let estimate = call(&manager, "estimate")
                .await
                .unwrap_or(JsValue::UNDEFINED);
            for name in ["usage", "quota"] {
                let value = Reflect::get(&estimate, &name.into()).unwrap_or(JsValue::UNDEFINED);
                set(
                    &report,
                    name,
                    &value.as_f64().map_or(JsValue::NULL, JsValue::from),
                );
            }
            let persisted = call(&manager, "persisted")
                .await
                .ok()
                .and_then(|p| p.as_bool());
            set(
                &report,
                "persisted",
                &JsValue::from(persisted.unwrap_or(false)),
            );
            let by_kind = Object::new();
            if let Some(mailbox) = session.store()? {
                for size in mailbox.stored_sizes().await? {
                    let kind = Object::new();
                    set(&kind, "count", &size.count.into());
                    set(&kind, "bytes", &(size.bytes as f64).into());
                    set(&by_kind, size.kind.api_name(), &kind);
                }
            }
            set(&report, "byKind", &by_kind);
            Ok(report.into())
        })
    }
}

/// Asks the browser to keep this origin's data under storage pressure
/// (`navigator.storage.persist()`); whether it agreed, `false` where it cannot.
pub async fn persist() -> bool {
    call(&storage_manager(), "persist")
        .await
        .ok()
        .and_then(|granted| granted.as_bool())
        .unwrap_or(false)
}

/// `navigator.storage`, or `undefined`.
fn storage_manager() -> JsValue {
    Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| Reflect::get(&navigator, &"storage".into()))
        .unwrap_or(JsValue::UNDEFINED)
}

/// Calls a method of the storage manager that returns a promise, and awaits it.
async fn call(manager: &JsValue, name: &str) -> Result<JsValue, Error> {
    let unavailable = || Error::Unsupported(format!("navigator.storage.{name} is unavailable"));
    let method: js_sys::Function = Reflect::get(manager, &name.into())
        .ok()
        .and_then(|m| m.dyn_into().ok())
        .ok_or_else(unavailable)?;
    let answer = method.call0(manager).map_err(|_| unavailable())?;
    JsFuture::from(Promise::resolve(&answer))
        .await
        .map_err(|_| unavailable())
}
