//! The mailbox across tabs: `change`, `leaderchange` and `close` events,
//! `isLeader`, and `verify`.

use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::live::tabs::Tabs;
use crate::live::ChangeNotice;
use crate::mailbox::{VerifyProgress, VerifyReport};
use crate::session::Session;
use crate::Error;

use super::types::{AddListenerOptionsArg, RemoveListenerOptionsArg, VerifyOptionsArg};
use super::{convert, promise, report_progress, set, OfflineMailbox};

#[wasm_bindgen]
impl OfflineMailbox {
    /// Listens to the mailbox, as on any `EventTarget`:
    /// - `change`: after each committed write, in the tab that wrote and in every
    ///   other tab (and worker) of the same user, with `event.detail` =
    ///   `{ kinds, folders, ids, version, local }`: the item kinds written; the
    ///   folders whose messages changed (named when this tab has met them: listed
    ///   them, written to them or read the folder list); the ids of the items, or
    ///   `null` when the write does not name them (a scope reset, pruning); the
    ///   write counter it committed at (increasing, one per write); whether this
    ///   tab wrote it.
    /// - `leaderchange`: this tab became (or stopped being) the leader, with
    ///   `event.detail.isLeader`.
    /// - `close`: another tab upgraded or deleted the database (a newer version
    ///   of the app, or `disableOffline`/`signOut` there), and this mailbox closed
    ///   so that tab need not wait; open it again.
    ///
    /// ```js
    /// mailbox.addEventListener("change", ({ detail }) => {
    ///   if (detail.kinds.includes("messages") && detail.folders.includes(shownFolder)) refreshList();
    /// });
    /// mailbox.addEventListener("close", () => location.reload());
    /// ```
    // Declared for TypeScript in `types.rs`, typed by event name (wasm-bindgen cannot
    // declare overloads); the parameter types below still type the glue's JSDoc.
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(js_name = type, unchecked_param_type = "\"change\" | \"leaderchange\" | \"close\"")]
        kind: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EventListenerOrEventListenerObject | null")]
        listener: JsValue,
        options: Option<AddListenerOptionsArg>,
    ) -> Result<(), JsValue> {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        self.forward("addEventListener", &kind, &listener, &options)
    }

    /// Stops a listener added with `addEventListener`.
    ///
    /// ```js
    /// mailbox.removeEventListener("change", onChange);
    /// ```
    // Declared for TypeScript in `types.rs`, like `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(
        &self,
        #[wasm_bindgen(js_name = type, unchecked_param_type = "\"change\" | \"leaderchange\" | \"close\"")]
        kind: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EventListenerOrEventListenerObject | null")]
        listener: JsValue,
        options: Option<RemoveListenerOptionsArg>,
    ) -> Result<(), JsValue> {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        self.forward("removeEventListener", &kind, &listener, &options)
    }

    /// Whether this tab leads: of all the user's tabs (and workers) with the
    /// offline copy open (offline on), one at a time holds the leader lock (Web
    /// Locks), and when it closes, turns offline off or its tab goes, the next one
    /// takes over (`leaderchange`). Run the periodic sync where this is true.
    /// `sync()` itself never runs in two tabs at once: a second one waits for the
    /// first (its `signal` aborts the wait). Without Web Locks (an insecure
    /// context) every tab with offline on leads.
    ///
    /// ```js
    /// setInterval(() => { if (mailbox.isLeader) mailbox.sync(options); }, 60_000);
    /// ```
    #[wasm_bindgen(getter, js_name = isLeader)]
    pub fn is_leader(&self) -> bool {
        self.tabs.is_leader()
    }

    /// Checks the whole offline copy: opens every stored item (each message with
    /// its body), delta link and the outbox again, moving what fails to
    /// quarantine (see `quarantine()`), then counts every folder's messages and
    /// unread messages again and repairs counts that disagree. Other tabs keep
    /// working while it reads; the recount is one transaction that their reads
    /// and writes wait for. A repair fires no `change`: read `folders()` again.
    /// Resolves to `{ checked, quarantined, countErrors }`; `onProgress`
    /// (optional) gets `{ done, total }` records.
    ///
    /// ```js
    /// const { quarantined, countErrors } = await mailbox.verify({ onProgress: ({ done, total }) => bar.value = done / total });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyReport>")]
    pub fn verify(&self, options: Option<VerifyOptionsArg>) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let on_progress = convert::optional_function(&options, "onProgress")?;
            let Some(mailbox) = session.store()? else {
                return Ok(report_object(&VerifyReport::default()));
            };
            let report = mailbox
                .verify(&|progress: VerifyProgress| {
                    report_progress(&on_progress, progress.done, progress.total)
                })
                .await?;
            Ok(report_object(&report))
        })
    }
}

impl OfflineMailbox {
    /// Calls `method` of the events target with the host's own arguments, so
    /// every form the platform accepts works (functions, `handleEvent` objects,
    /// `once`, `signal`).
    fn forward(
        &self,
        method: &str,
        kind: &JsValue,
        listener: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue> {
        let target = self.tabs.events();
        let function: Function = Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
        function.call3(target, kind, listener, options).map(|_| ())
    }
}

/// Joins the user's tabs: this mailbox's writes reach them, theirs reach it, and
/// it seeks the lead.
pub fn join_tabs(session: &Rc<Session>, database: &str) -> Result<Rc<Tabs>, Error> {
    let tabs = Tabs::join(database)?;
    let namer_session = Rc::downgrade(session);
    tabs.listen(Box::new(move |folders| match namer_session.upgrade() {
        Some(session) => session.folder_ids(folders),
        None => Vec::new(),
    }));
    let announcing = Rc::downgrade(&tabs);
    let naming = Rc::downgrade(session);
    let on_change = Rc::new(move |notice: ChangeNotice| {
        let (Some(tabs), Some(session)) = (announcing.upgrade(), naming.upgrade()) else {
            return;
        };
        tabs.announce(&notice, session.folder_ids(&notice.folders));
    });
    let closing = Rc::downgrade(&tabs);
    let on_closed = Rc::new(move || {
        if let Some(tabs) = closing.upgrade() {
            tabs.closed_by_other_tab();
        }
    });
    session.watch(on_change, on_closed);
    if session.offline_enabled() {
        tabs.seek_leadership();
    }
    Ok(tabs)
}

/// `{ checked, quarantined, countErrors }`.
fn report_object(report: &VerifyReport) -> JsValue {
    let object = Object::new();
    set(
        &object,
        "checked",
        &JsValue::from_f64(report.checked as f64),
    );
    set(
        &object,
        "quarantined",
        &JsValue::from_f64(report.quarantined as f64),
    );
    set(&object, "countErrors", &report.count_errors.into());
    object.into()
}
