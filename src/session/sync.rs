//! Syncing with Microsoft Graph on the organization's server: the outbox is
//! pushed first (in order), then each delta query is pulled page by page into the
//! offline copy. Every request goes to `orgServer` and nowhere else: links the
//! server sends are followed only if they stay on it.
//!
//! What to do with each answer is decided by [`crate::sync::outcome`]: throttling
//! and server errors wait as `Retry-After` says (capped) and try again, `410 Gone`
//! resets the scope and starts it over, `404` on an action drops it (the item is
//! gone), any other `4xx` on an action is recorded on it for the app to show, and a
//! network failure stops the sync with the outbox kept.

use std::time::Duration;

use futures_util::future::LocalBoxFuture;
use js_sys::{Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Request, RequestCache, RequestCredentials, RequestInit, RequestMode,
    RequestRedirect, Response, ResponseType,
};

use crate::directory::global_fetch;
use crate::mailbox::{Eviction, Mailbox};
use crate::model::Kind;
use crate::sync::{
    bodies_to_evict, is_local_id, on_origin, outcome, pulls, Action, CalendarWindow, DeltaPage,
    Failure, Outcome, Pull, Retention,
};
use crate::Error;

use super::storage;

/// Requests tried per call before a sync gives up (throttling, server errors,
/// network failures).
const ATTEMPTS: u32 = 5;
/// How long one request may take before it is given up (and tried again).
const REQUEST_TIMEOUT_MS: u32 = 60_000;
/// The largest answer read (a delta page of 1,000 items is a few MiB).
const MAX_ANSWER: u64 = 64 << 20;
/// The most pages one delta query may take in one sync (a link that never
/// ends is the server's fault).
const MAX_PAGES: u32 = 100_000;
/// Messages evicted at a time when the browser refused a page for quota.
const EVICTION_BATCH: usize = 50;
/// Tries of a page the browser refused for quota, each after evicting more.
const QUOTA_ROUNDS: u32 = 3;
/// The pause before the first retry of such a page (then twice, three times).
const QUOTA_PAUSE: Duration = Duration::from_secs(1);
/// How often a wait checks the abort signal.
const ABORT_POLL: Duration = Duration::from_millis(100);

/// What to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Graph's base URL on the organization's server, such as
    /// `https://mail.contoso.com/v1.0` (checked to be on it).
    pub base_url: String,
    /// The mail folders whose messages are kept offline.
    pub folders: Vec<String>,
    /// Whether contacts are kept offline.
    pub contacts: bool,
    /// The calendar window kept offline, if any.
    pub calendar: Option<CalendarWindow>,
    /// Items per page asked for (`Prefer: odata.maxpagesize`).
    pub page_size: u32,
    /// What the offline copy keeps once the pages are applied.
    pub retention: Retention,
    /// Now, in ms since the epoch (for the retention window).
    pub now_ms: i64,
}

/// What the app lends a sync: access tokens, an abort check and a progress report.
pub struct SyncHooks {
    /// A fresh (or cached) access token for the organization's server.
    pub token: Box<dyn Fn() -> LocalBoxFuture<'static, Result<String, Error>>>,
    /// The app's abort signal: it ends a request under way, and the sync
    /// between requests and pages.
    pub signal: Option<AbortSignal>,
    /// Called after each action sent and each page applied.
    pub progress: Box<dyn Fn(&SyncReport)>,
}

/// How far a sync has got, and what it did; reported as it goes, and at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// `"push"`, `"pull"` or `"done"`.
    pub phase: &'static str,
    /// The kind being pulled (pull phase).
    pub kind: Option<Kind>,
    /// The scope being pulled (pull phase).
    pub scope: String,
    /// Actions the server took.
    pub pushed: u32,
    /// Actions the server refused (kept, with the refusal, in `pendingActions`).
    pub failed: u32,
    /// Delta pages applied.
    pub pages: u32,
    /// Items created, updated and removed by those pages.
    pub created: u32,
    /// See `created`.
    pub updated: u32,
    /// See `created`.
    pub removed: u32,
    /// Messages and events pruned at the end, beyond the retention window.
    pub pruned: u32,
    /// Message bodies evicted to make room when the browser's quota ran out
    /// (the summaries stay; `getMessage` says the body must be fetched again).
    pub evicted_bodies: u32,
    /// Messages removed whole to make room, once no body was left to evict.
    pub evicted_messages: u32,
}

/// A server answer: its status and body text.
struct Reply {
    status: u16,
    body: String,
}

/// Runs one sync of `mailbox` against `origin` (the organization's server).
pub async fn run(
    mailbox: &Mailbox,
    origin: &str,
    options: &SyncOptions,
    hooks: &SyncHooks,
) -> Result<SyncReport, Error> {
    if !on_origin(&options.base_url, origin) && options.base_url != origin {
        return Err(Error::invalid(
            "baseUrl",
            "must be on the organization's server (orgServer)",
        ));
    }
    let client = Client {
        origin,
        hooks,
        page_size: options.page_size,
    };
    if client.aborted() {
        // Before the outbox is touched: an aborted sync marks nothing as sent.
        return Err(Error::Aborted);
    }
    let mut report = SyncReport {
        phase: "push",
        ..SyncReport::default()
    };
    push(mailbox, &client, &options.base_url, &mut report).await?;
    report.phase = "pull";
    for pull in pulls(
        &options.folders,
        options.contacts,
        options.calendar.as_ref(),
    ) {
        pull_scope(mailbox, &client, &options.base_url, &pull, &mut report).await?;
    }
    let pruned = mailbox.prune(&options.retention, options.now_ms).await?;
    report.pruned = pruned.messages + pruned.events;
    report.phase = "done";
    report.kind = None;
    report.scope.clear();
    (hooks.progress)(&report);
    Ok(report)
}

/// Sends the outbox's actions in order. Each answer is recorded at once, so a
/// sync cut short sends again at most the action it was waiting on.
async fn push(
    mailbox: &Mailbox,
    client: &Client<'_>,
    base: &str,
    report: &mut SyncReport,
) -> Result<(), Error> {
    // Drafts the server created in this push, by local id: later entries of the
    // same push on them go to the server's draft (the outbox was renamed too).
    let mut created: Vec<(String, String)> = Vec::new();
    let entries = mailbox.begin_push().await?;
    for (at, mut entry) in entries.iter().cloned().enumerate() {
        for (local, server) in &created {
            entry.action.rename(local, server);
        }
        let sent = match &entry.action {
            Action::Send { id, message } if is_local_id(id) => {
                send_new_message(mailbox, client, base, id, message).await
            }
            action => send_action(client, base, action).await,
        };
        let reply = match sent {
            Ok(reply) => reply,
            Err(error) => {
                // The entries after this one did not leave in this sync; those
                // no earlier sync sent either are the user's again
                // (discardable, and merged into). Should that write fail, they
                // stay marked sent, which only costs that.
                let unsent: Vec<u64> = entries[at + 1..]
                    .iter()
                    .filter(|e| !e.sent)
                    .map(|e| e.seq)
                    .collect();
                mailbox.release_actions(&unsent).await.ok();
                return Err(error);
            }
        };
        match outcome(Some(reply.status), 0, None) {
            Outcome::Done => {
                // Settled first: an answer that cannot be adopted must not make
                // the next sync create the draft again.
                mailbox.settle_actions(&[entry.seq], Vec::new()).await?;
                if let Action::SaveDraft { id, .. } = &entry.action {
                    if let Some(server) = adopt_created(mailbox, id, &reply.body).await? {
                        created.push((id.clone(), server));
                    }
                }
                report.pushed += 1;
            }
            Outcome::Gone => {
                mailbox.settle_actions(&[entry.seq], Vec::new()).await?;
                report.pushed += 1;
            }
            _ => {
                let failure = Failure {
                    status: reply.status,
                    message: graph_message(&reply.body),
                };
                mailbox
                    .settle_actions(&[], vec![(entry.seq, failure)])
                    .await?;
                report.failed += 1;
            }
        }
        (client.hooks.progress)(report);
    }
    Ok(())
}

/// Sends an action's calls in order; the answer that decides it is the last
/// one, or the first that is not a success.
async fn send_action(client: &Client<'_>, base: &str, action: &Action) -> Result<Reply, Error> {
    let mut last = None;
    for request in action.requests() {
        let url = format!("{base}{}", request.path);
        let body = request.body.as_ref();
        let reply = match action.safe_to_repeat() {
            true => client.call(request.method, &url, body).await?,
            false => client.call_once(request.method, &url, body).await?,
        };
        refuse_token(&reply)?;
        let done = outcome(Some(reply.status), 0, None) == Outcome::Done;
        last = Some(reply);
        if !done {
            break;
        }
    }
    last.ok_or_else(unreachable_server)
}

/// Sends a message the server never had: creates it as a draft, gives the
/// outbox's action the draft's id (stored, so a sync cut short from here on only
/// sends that draft, and a second send finds nothing: 404), then sends it.
async fn send_new_message(
    mailbox: &Mailbox,
    client: &Client<'_>,
    base: &str,
    local: &str,
    message: &Value,
) -> Result<Reply, Error> {
    let create = Action::Send {
        id: local.to_owned(),
        message: message.clone(),
    }
    .request();
    let url = format!("{base}{}", create.path);
    let reply = client
        .call_once(create.method, &url, create.body.as_ref())
        .await?;
    refuse_token(&reply)?;
    if outcome(Some(reply.status), 0, None) != Outcome::Done {
        return Ok(reply);
    }
    let created: Value = serde_json::from_str(&reply.body)
        .map_err(|_| Error::Network("the server's answer to a new message is not JSON".into()))?;
    let Some(id) = created.get("id").and_then(Value::as_str) else {
        return Err(Error::Network(
            "the server's answer to a new message has no id".into(),
        ));
    };
    mailbox.rename_actions(local, id).await?;
    let send = Action::Send {
        id: id.to_owned(),
        message: message.clone(),
    }
    .request();
    let url = format!("{base}{}", send.path);
    let reply = client.call(send.method, &url, None).await?;
    refuse_token(&reply)?;
    Ok(reply)
}

/// After the server created a draft made offline, stores its version under the
/// server's id in place of the local one.
/// The server's id for it, when it was a local draft.
async fn adopt_created(mailbox: &Mailbox, id: &str, body: &str) -> Result<Option<String>, Error> {
    if !is_local_id(id) {
        return Ok(None);
    }
    let created: Value = serde_json::from_str(body)
        .map_err(|_| Error::Network("the server's answer to a new draft is not JSON".into()))?;
    let server = created.get("id").and_then(Value::as_str).map(str::to_owned);
    mailbox.adopt_draft(id, created).await?;
    Ok(server)
}

/// Pulls one delta query to its end, from the stored delta link when there is
/// one on the organization's server. A `410 Gone` resets the scope and starts it
/// over, once per sync.
async fn pull_scope(
    mailbox: &Mailbox,
    client: &Client<'_>,
    base: &str,
    pull: &Pull,
    report: &mut SyncReport,
) -> Result<(), Error> {
    report.kind = Some(pull.kind);
    report.scope.clone_from(&pull.scope);
    let first = format!("{base}{}", pull.path);
    let mut url = match mailbox.delta_link(pull.kind, &pull.scope).await? {
        Some(link) if on_origin(&link, client.origin) => link,
        _ => first.clone(),
    };
    let mut restarted = false;
    let mut pages = 0u32;
    loop {
        let reply = client.call("GET", &url, None).await?;
        refuse_token(&reply)?;
        match outcome(Some(reply.status), 0, None) {
            Outcome::Done => {}
            Outcome::ResetScope if !restarted => {
                mailbox.reset_scope(pull.kind, &pull.scope).await?;
                restarted = true;
                url.clone_from(&first);
                continue;
            }
            _ => {
                return Err(Error::Network(format!(
                    "the organization's server answered {} to the {} delta query: {}",
                    reply.status,
                    pull.kind.api_name(),
                    graph_message(&reply.body)
                )))
            }
        }
        let json: Value = serde_json::from_str(&reply.body)
            .map_err(|_| Error::Network("the server's delta page is not JSON".into()))?;
        let next = json
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let page = DeltaPage::parse(json).map_err(|error| {
            Error::Network(format!(
                "the server's delta page does not validate: {error}"
            ))
        })?;
        let incoming = reply.body.len() as u64;
        let summary = apply_within_budget(mailbox, client, pull, page, incoming, report)
            .await
            .map_err(server_item_error)?;
        report.pages += 1;
        report.created += summary.created;
        report.updated += summary.updated;
        report.removed += summary.removed;
        (client.hooks.progress)(report);
        let Some(next) = next else {
            return Ok(());
        };
        if !on_origin(&next, client.origin) {
            return Err(Error::Network(
                "the server sent a link to another host; it is not followed".into(),
            ));
        }
        pages += 1;
        if next == url || pages > MAX_PAGES {
            return Err(Error::Network(
                "the server's delta query does not end (a link to itself, or too many pages)"
                    .into(),
            ));
        }
        url = next;
    }
}

/// Applies a page within the storage budget. Before writing, evicts the
/// oldest bodies when the page would take the origin past the budget's high
/// water mark (see [`bodies_to_evict`]). If the browser still refuses the page
/// for quota, evicts more (whole messages once no body is left) and tries
/// again after a pause, since browsers give deleted room back only when they
/// compact; after [`QUOTA_ROUNDS`], or when the browser refuses the eviction
/// too (Chromium refuses every write that puts anything once the quota is
/// reached), it gives up with `QuotaExceeded`: nothing of the page is written,
/// and the next sync pulls it again.
async fn apply_within_budget(
    mailbox: &Mailbox,
    client: &Client<'_>,
    pull: &Pull,
    page: DeltaPage,
    incoming: u64,
    report: &mut SyncReport,
) -> Result<crate::mailbox::DeltaSummary, Error> {
    if let Some((usage, quota)) = storage::estimate().await {
        let count = bodies_to_evict(usage, quota, incoming, page.changes.len());
        if count > 0 {
            let bodies = mailbox.evict_bodies(count).await?;
            tell_evicted(
                client,
                report,
                Eviction {
                    bodies,
                    messages: 0,
                },
            );
        }
    }
    for round in 1..=QUOTA_ROUNDS {
        match mailbox
            .apply_delta(pull.kind, &pull.scope, page.clone())
            .await
        {
            Err(Error::QuotaExceeded) => {}
            other => return other,
        }
        let eviction = mailbox.evict_oldest(EVICTION_BATCH).await?;
        if eviction == Eviction::default() {
            break;
        }
        tell_evicted(client, report, eviction);
        client.sleep(QUOTA_PAUSE * round).await?;
    }
    Err(Error::QuotaExceeded)
}

/// Counts an eviction and tells the app (phase `"evict"`).
fn tell_evicted(client: &Client<'_>, report: &mut SyncReport, eviction: Eviction) {
    if eviction == Eviction::default() {
        return;
    }
    report.evicted_bodies += eviction.bodies;
    report.evicted_messages += eviction.messages;
    let phase = std::mem::replace(&mut report.phase, "evict");
    (client.hooks.progress)(report);
    report.phase = phase;
}

/// An item of the server's that does not validate is the server's fault, not
/// the caller's: `Network`, naming the item and field.
fn server_item_error(error: Error) -> Error {
    match error {
        Error::InvalidInput {
            index,
            field,
            reason,
        } => Error::Network(format!(
            "the server sent an item that does not validate (item {}, {field}: {reason})",
            index.unwrap_or_default()
        )),
        other => other,
    }
}

/// A `401` means the access token is not (or no longer) good: the sync stops,
/// and nothing is recorded as refused, so the app can sign in again and sync.
fn refuse_token(reply: &Reply) -> Result<(), Error> {
    if reply.status != 401 {
        return Ok(());
    }
    Err(Error::Network(format!(
        "the organization's server refused the access token (401): {}",
        graph_message(&reply.body)
    )))
}

/// The error message of a Graph error body (`{ error: { message } }`), or "".
fn graph_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|json| json.pointer("/error/message")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Requests to the organization's server, with the app's tokens, retried as
/// [`outcome`] says.
struct Client<'a> {
    origin: &'a str,
    hooks: &'a SyncHooks,
    page_size: u32,
}

impl Client<'_> {
    /// One call, tried again after throttling, server errors and network
    /// failures (at most [`ATTEMPTS`] times). Aborting stops it between tries.
    async fn call(&self, method: &str, url: &str, body: Option<&Value>) -> Result<Reply, Error> {
        for attempt in 0..ATTEMPTS {
            if self.aborted() {
                return Err(Error::Aborted);
            }
            let token = (self.hooks.token)().await?;
            let answer = self.send(method, url, &token, body).await?;
            if self.aborted() {
                return Err(Error::Aborted);
            }
            let (status, retry_after, reply) = match answer {
                Some((reply, retry_after)) => (Some(reply.status), retry_after, Some(reply)),
                None => (None, None, None),
            };
            let wait = match outcome(status, attempt, retry_after.as_deref()) {
                Outcome::RetryAfter(wait) => wait,
                _ => return reply.ok_or_else(unreachable_server),
            };
            if attempt + 1 < ATTEMPTS {
                self.sleep(wait).await?;
            }
        }
        // Still throttled or failing after every try: the sync stops, and an
        // action waiting on this answer stays in the outbox, not refused.
        Err(unreachable_server())
    }

    fn aborted(&self) -> bool {
        self.hooks.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// A call that must not be carried out twice (it creates a message, deletes
    /// to Deleted Items, answers an invitation): tried again only when the
    /// server said it did nothing (`429`, `503`). Any other answer is the
    /// outcome (a gateway's `504` is recorded as a refusal the app can retry
    /// once it has seen what the server did); with no answer at all the sync
    /// stops, and the next one sends it again.
    async fn call_once(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Error> {
        for attempt in 0..ATTEMPTS {
            if self.aborted() {
                return Err(Error::Aborted);
            }
            let token = (self.hooks.token)().await?;
            let Some((reply, retry_after)) = self.send(method, url, &token, body).await? else {
                return Err(unreachable_server());
            };
            if !matches!(reply.status, 429 | 503) {
                return Ok(reply);
            }
            let wait = match outcome(Some(reply.status), attempt, retry_after.as_deref()) {
                Outcome::RetryAfter(wait) => wait,
                _ => return Ok(reply),
            };
            if attempt + 1 < ATTEMPTS {
                self.sleep(wait).await?;
            }
        }
        Err(unreachable_server())
    }

    /// One request: the bearer token, JSON in and out, no cookies, no referrer,
    /// no redirect followed, no HTTP cache in between, ended by the app's abort
    /// signal or after [`REQUEST_TIMEOUT_MS`]. `None` when it got no answer (the
    /// network failed, or it timed out): worth trying again.
    async fn send(
        &self,
        method: &str,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Option<(Reply, Option<String>)>, Error> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_mode(RequestMode::Cors);
        init.set_credentials(RequestCredentials::Omit);
        init.set_cache(RequestCache::NoStore);
        init.set_redirect(RequestRedirect::Manual);
        init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
        let timeout = AbortSignal::timeout_with_u32(REQUEST_TIMEOUT_MS);
        let signal = match &self.hooks.signal {
            Some(app) => AbortSignal::any(&js_sys::Array::of2(app, &timeout)),
            None => timeout,
        };
        init.set_signal(Some(&signal));
        if let Some(body) = body {
            init.set_body(&JsValue::from_str(&body.to_string()));
        }
        let request =
            Request::new_with_str_and_init(url, &init).map_err(|_| unreachable_server())?;
        let headers = request.headers();
        let set =
            |name: &str, value: &str| headers.set(name, value).map_err(|_| unreachable_server());
        set("Authorization", &format!("Bearer {token}"))?;
        // Immutable ids: an id must not change when the message moves, or the
        // outbox's later actions on it would find nothing.
        set(
            "Prefer",
            &format!(
                "odata.maxpagesize={}, IdType=\"ImmutableId\"",
                self.page_size
            ),
        )?;
        if body.is_some() {
            set("Content-Type", "application/json")?;
        }
        let Ok(response) = JsFuture::from(global_fetch(&request)).await else {
            return Ok(None);
        };
        let response: Response = response.unchecked_into();
        if response.type_() == ResponseType::Opaqueredirect {
            return Err(Error::Network(
                "the organization's server answered with a redirect, which is not followed".into(),
            ));
        }
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        let declared = response.headers().get("Content-Length").ok().flatten();
        if declared
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n > MAX_ANSWER)
        {
            return Err(too_large());
        }
        let text = response.text().map_err(|_| unreachable_server())?;
        let Ok(text) = JsFuture::from(text).await else {
            return Ok(None);
        };
        let text: js_sys::JsString = text.unchecked_into();
        // Checked before it is copied into WebAssembly, where it could not fit.
        if u64::from(text.length()) > MAX_ANSWER {
            return Err(too_large());
        }
        let reply = Reply {
            status: response.status(),
            body: String::from(text),
        };
        Ok(Some((reply, retry_after)))
    }

    /// Waits `wait`, checking the abort signal every [`ABORT_POLL`].
    async fn sleep(&self, wait: Duration) -> Result<(), Error> {
        let mut left = wait;
        while !left.is_zero() {
            if self.aborted() {
                return Err(Error::Aborted);
            }
            let step = left.min(ABORT_POLL);
            timeout(step).await;
            left -= step;
        }
        Ok(())
    }
}

fn too_large() -> Error {
    Error::Network(format!(
        "the organization's server sent an answer over {} MiB; the sync stopped",
        MAX_ANSWER >> 20
    ))
}

fn unreachable_server() -> Error {
    Error::Network("the organization's server could not be reached; the outbox is kept".into())
}

/// Resolves after `wait`, through the global `setTimeout` (window or worker).
async fn timeout(wait: Duration) {
    let promise = Promise::new(&mut |resolve, _| {
        let set_timeout = Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(set_timeout) = set_timeout {
            let _ = set_timeout.call2(
                &JsValue::UNDEFINED,
                &resolve,
                &JsValue::from(wait.as_millis() as f64),
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}
