//! `OfflineMailbox.storage` and asking the browser to keep the offline copy
//! (`navigator.storage`, in a window or a worker).

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use crate::session::storage;

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
            let estimate = storage::estimate().await;
            let number = |value: Option<f64>| value.map_or(JsValue::NULL, JsValue::from);
            set(&report, "usage", &number(estimate.map(|(usage, _)| usage)));
            set(&report, "quota", &number(estimate.map(|(_, quota)| quota)));
            let persisted = storage::persisted().await;
            set(&report, "persisted", &JsValue::from(persisted));
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
