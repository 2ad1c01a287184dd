//! `navigator.storage` (in a window or a worker): the origin's usage and
//! quota, whether the browser keeps its data under pressure, and asking it to.

use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::Error;

/// The origin's usage and quota in bytes (`navigator.storage.estimate()`),
/// `None` where the browser does not say.
pub async fn estimate() -> Option<(f64, f64)> {
    let estimate = call("estimate").await.ok()?;
    let number = |name: &str| Reflect::get(&estimate, &name.into()).ok()?.as_f64();
    Some((number("usage")?, number("quota")?))
}

/// Whether the browser keeps this origin's data under storage pressure
/// (`navigator.storage.persisted()`), `false` where it cannot say.
pub async fn persisted() -> bool {
    call("persisted")
        .await
        .ok()
        .and_then(|answer| answer.as_bool())
        .unwrap_or(false)
}

/// Asks the browser to keep this origin's data under storage pressure
/// (`navigator.storage.persist()`) without waiting for its answer: Firefox asks
/// the user, who may never answer (headless, the prompt dismissed), and Chromium
/// decides by itself. [`persisted`] tells later whether it agreed.
pub fn request_persistence() {
    wasm_bindgen_futures::spawn_local(async {
        // The answer is read through `persisted`; a refusal is no error.
        let _ = call("persist").await;
    });
}

/// Calls a method of `navigator.storage` that returns a promise, and awaits it.
async fn call(name: &str) -> Result<JsValue, Error> {
    let unavailable = || Error::Unsupported(format!("navigator.storage.{name} is unavailable"));
    let manager = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| Reflect::get(&navigator, &"storage".into()))
        .map_err(|_| unavailable())?;
    let method: js_sys::Function = Reflect::get(&manager, &name.into())
        .ok()
        .and_then(|m| m.dyn_into().ok())
        .ok_or_else(unavailable)?;
    let answer = method.call0(&manager).map_err(|_| unavailable())?;
    JsFuture::from(Promise::resolve(&answer))
        .await
        .map_err(|_| unavailable())
}
