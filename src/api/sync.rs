//! `OfflineMailbox.sync`: the options and hooks read from JavaScript, and the
//! progress and report handed back.

use futures_util::FutureExt;
use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::session::{SyncHooks, SyncOptions, SyncReport};
use crate::sync::{CalendarWindow, Retention};
use crate::Error;

use super::{convert, promise, set, OfflineMailbox};

/// The longest retention setting in days (a century).
const MAX_DAYS: u32 = 36_500;

/// Items per delta page asked for by default, and at most.
const PAGE_SIZE: (u32, u32) = (100, 1000);

#[wasm_bindgen]
impl OfflineMailbox {
    /// Removes from the offline copy what the `retention` option of `open` does
    /// not keep (sync does this at its end): messages older than `mailDays` or
    /// beyond the newest `maxMessagesPerFolder` of their folder, events outside
    /// `calendarPastDays` behind and `calendarFutureDays` ahead. Items with
    /// actions waiting in the outbox stay. Resolves to what it removed.
    ///
    /// ```js
    /// const { messages, events } = await mailbox.prune();
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<PruneReport>")]
    pub fn prune(&self) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let report = session.prune(js_sys::Date::now() as i64).await?;
            let object = Object::new();
            set(&object, "messages", &report.messages.into());
            set(&object, "events", &report.events.into());
            Ok(object.into())
        })
    }

    /// Syncs the offline copy with Microsoft Graph on the organization's server
    /// (`orgServer`, and nowhere else): first sends the outbox's actions in
    /// order, then pulls the delta of the mail folders, of each folder in
    /// `folders`, of contacts and of the `calendarWindow`, storing each
    /// `@odata.deltaLink` so the next sync asks only for what changed.
    /// Throttling (`429`, `503`) waits as `Retry-After` says; `410 Gone` starts the
    /// scope over; an action the server refuses stays in `pendingActions` with the
    /// refusal; a network failure rejects with `Network` and keeps the outbox.
    /// `signal` aborts between requests (`Aborted`); what was stored stays.
    ///
    /// ```js
    /// const report = await mailbox.sync({
    ///   getAccessToken: () => msal.acquireTokenSilent(request).then((r) => r.accessToken),
    ///   folders: ["inbox", "sentitems"],
    ///   calendarWindow: { start: "2024-05-01T00:00:00Z", end: "2024-06-01T00:00:00Z" },
    ///   signal: controller.signal,
    ///   onProgress: ({ phase, pages }) => console.log(phase, pages),
    /// });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<SyncReport>")]
    pub fn sync(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SyncOptions")] options: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            let origin = session.org_origin().unwrap_or_default();
            let sync_options = sync_options(&options, &origin, session.retention())?;
            let hooks = hooks(&options)?;
            // One sync at a time across the user's tabs: a second waits for the
            // first, unless its signal aborts the wait.
            let _syncing =
                tabs.sync_lock(hooks.signal.as_ref())
                    .await
                    .map_err(
                        |error| match hooks.signal.as_ref().is_some_and(|s| s.aborted()) {
                            true => Error::Aborted,
                            false => Error::Storage(format!(
                                "the sync lock (Web Locks) refused this page: {error:?}"
                            )),
                        },
                    )?;
            let report = session.sync(&sync_options, &hooks).await?;
            Ok(report_object(&report))
        })
    }
}

/// Reads the `retention` option of `open`: each setting a whole number in its
/// range, the defaults for those left out.
pub fn retention(options: &JsValue) -> Result<Option<Retention>, Error> {
    let Some(value) = convert::property(options, "retention")? else {
        return Ok(None);
    };
    let defaults = Retention::default();
    let setting = |name: &str, default: u32, max: u32| {
        convert::limit_named(&value, name, default, max).map_err(|_| {
            Error::invalid(
                &format!("retention.{name}"),
                &format!("must be a whole number from 1 to {max}"),
            )
        })
    };
    Ok(Some(Retention {
        mail_days: setting("mailDays", defaults.mail_days, MAX_DAYS)?,
        max_messages_per_folder: setting(
            "maxMessagesPerFolder",
            defaults.max_messages_per_folder,
            1_000_000,
        )?,
        calendar_past_days: setting("calendarPastDays", defaults.calendar_past_days, MAX_DAYS)?,
        calendar_future_days: setting(
            "calendarFutureDays",
            defaults.calendar_future_days,
            MAX_DAYS,
        )?,
    }))
}

fn sync_options(
    options: &JsValue,
    origin: &str,
    retention: Retention,
) -> Result<SyncOptions, Error> {
    let now_ms = js_sys::Date::now() as i64;
    let folders = match convert::property(options, "folders")? {
        Some(folders) => convert::ids(&folders, "folders")?,
        None => vec!["inbox".to_owned()],
    };
    let calendar = match convert::property(options, "calendarWindow")? {
        Some(window) => Some(CalendarWindow {
            start: iso(&window, "start")?,
            end: iso(&window, "end")?,
        }),
        // By default the calendar that retention keeps.
        None => {
            let (start, end) = retention.calendar_window(now_ms);
            Some(CalendarWindow {
                start: iso_of(start),
                end: iso_of(end),
            })
        }
    };
    let base_url =
        convert::optional_string(options, "baseUrl")?.unwrap_or_else(|| format!("{origin}/v1.0"));
    Ok(SyncOptions {
        base_url: base_url.trim_end_matches('/').to_owned(),
        folders,
        contacts: convert::optional_bool(options, "contacts")?.unwrap_or(true),
        calendar,
        page_size: convert::limit_named(options, "pageSize", PAGE_SIZE.0, PAGE_SIZE.1)?,
        retention,
        now_ms,
    })
}

/// An instant (ms since the epoch) as an ISO 8601 UTC text.
fn iso_of(ms: i64) -> String {
    String::from(js_sys::Date::new(&JsValue::from(ms as f64)).to_iso_string())
}

/// A calendar window bound as an ISO 8601 UTC text.
fn iso(window: &JsValue, name: &str) -> Result<String, Error> {
    let field = format!("calendarWindow.{name}");
    let value =
        convert::property(window, name)?.ok_or_else(|| Error::invalid(&field, "is required"))?;
    // Only what `new Date()` takes without calling into the value (a Symbol, a
    // BigInt or an object with a throwing valueOf would throw).
    let plain =
        value.is_string() || value.as_f64().is_some() || value.is_instance_of::<js_sys::Date>();
    let invalid = || Error::invalid(&field, "must be a date, a date string or a time in ms");
    if !plain {
        return Err(invalid());
    }
    let date = js_sys::Date::new(&value);
    if date.get_time().is_nan() {
        return Err(invalid());
    }
    Ok(String::from(date.to_iso_string()))
}

fn hooks(options: &JsValue) -> Result<SyncHooks, Error> {
    let get_token = convert::optional_function(options, "getAccessToken")?.ok_or_else(|| {
        Error::invalid(
            "getAccessToken",
            "is required: a function resolving to an access token",
        )
    })?;
    let signal = match convert::property(options, "signal")? {
        Some(signal) => Some(
            signal
                .dyn_into::<web_sys::AbortSignal>()
                .map_err(|_| Error::invalid("signal", "must be an AbortSignal"))?,
        ),
        None => None,
    };
    let on_progress = convert::optional_function(options, "onProgress")?;
    Ok(SyncHooks {
        token: Box::new(move || token(get_token.clone()).boxed_local()),
        signal,
        progress: Box::new(move |report| {
            if let Some(callback) = &on_progress {
                // A throwing progress handler must not stop the sync.
                let _ = callback.call1(&JsValue::UNDEFINED, &report_object(report));
            }
        }),
    })
}

/// Calls the app's `getAccessToken` and awaits its answer: a non-empty token of
/// printable ASCII (it goes into a header).
async fn token(get_token: Function) -> Result<String, Error> {
    let invalid = || {
        Error::invalid(
            "getAccessToken",
            "must resolve to a non-empty access token string",
        )
    };
    let answer = get_token
        .call0(&JsValue::UNDEFINED)
        .map_err(|_| Error::invalid("getAccessToken", "threw"))?;
    let token = JsFuture::from(Promise::resolve(&answer))
        .await
        .map_err(|_| Error::invalid("getAccessToken", "rejected"))?
        .as_string()
        .ok_or_else(invalid)?;
    let printable = !token.is_empty() && token.bytes().all(|b| (0x21..0x7f).contains(&b));
    printable.then_some(token).ok_or_else(invalid)
}

/// `{ phase, kind, scope, pushed, failed, pages, created, updated, removed }`.
fn report_object(report: &SyncReport) -> JsValue {
    let object = Object::new();
    set(&object, "phase", &JsValue::from_str(report.phase));
    set(
        &object,
        "kind",
        &report
            .kind
            .map_or(JsValue::NULL, |kind| JsValue::from_str(kind.api_name())),
    );
    set(&object, "scope", &JsValue::from_str(&report.scope));
    for (name, value) in [
        ("pushed", report.pushed),
        ("failed", report.failed),
        ("pages", report.pages),
        ("created", report.created),
        ("updated", report.updated),
        ("removed", report.removed),
        ("pruned", report.pruned),
        ("evictedBodies", report.evicted_bodies),
        ("evictedMessages", report.evicted_messages),
    ] {
        set(&object, name, &value.into());
    }
    object.into()
}
