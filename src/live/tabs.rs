//! The browser side of several tabs: the events an `OfflineMailbox` dispatches
//! (`change`, `leaderchange`, `close`), the `BroadcastChannel` that carries each
//! committed write to the user's other tabs (and workers), and the Web Locks that
//! pick one leading tab and keep two syncs from running at once.
//!
//! Without `BroadcastChannel` a tab still hears its own writes; without Web Locks
//! (an insecure context) every tab leads, and syncs are kept apart only within
//! a tab.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, BroadcastChannel, CustomEvent, CustomEventInit, EventTarget, MessageEvent,
};

use super::ChangeNotice;
use crate::Error;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (not in `web-sys`' stable API).
    type LockManager;

    #[wasm_bindgen(method, js_name = request)]
    fn request(this: &LockManager, name: &str, options: &Object, callback: &JsValue) -> Promise;
}

/// The channel's message handler, kept alive while the channel is open.
type MessageHandler = Closure<dyn FnMut(MessageEvent)>;

/// Names the blinded folders of a notice with the folder ids this tab has met.
pub type FolderNamer = Box<dyn Fn(&BTreeSet<Vec<u8>>) -> Vec<String>>;

/// One `OfflineMailbox`'s link to the user's other tabs.
pub struct Tabs {
    /// What the host listens to (`addEventListener`).
    events: EventTarget,
    /// Named after the user's database (a keyed hash): only their tabs share it.
    channel: Option<BroadcastChannel>,
    on_message: RefCell<Option<MessageHandler>>,
    lock_prefix: String,
    leader: Cell<bool>,
    /// Held while this tab leads; dropping it hands the lead to the next tab.
    leadership: RefCell<Option<HeldLock>>,
    /// Counts requests for the lead: a grant for an older one (the tab stepped
    /// down since) is handed straight back.
    asked: Cell<u64>,
    /// Whether this tab wants the lead (it has the offline copy open).
    seeking: Cell<bool>,
    closed: Cell<bool>,
}

impl Tabs {
    /// Joins the tabs of the user whose database is called `database`;
    /// `Unsupported` where `EventTarget` cannot be constructed.
    pub fn join(database: &str) -> Result<Rc<Self>, Error> {
        let events = EventTarget::new().map_err(|_| {
            Error::Unsupported("this browser cannot construct an EventTarget".into())
        })?;
        Ok(Rc::new(Self {
            events,
            channel: BroadcastChannel::new(&format!("{database}/changes")).ok(),
            on_message: RefCell::new(None),
            lock_prefix: database.to_owned(),
            leader: Cell::new(false),
            leadership: RefCell::new(None),
            asked: Cell::new(0),
            seeking: Cell::new(false),
            closed: Cell::new(false),
        }))
    }

    /// The target the host's listeners are added to.
    pub fn events(&self) -> &EventTarget {
        &self.events
    }

    /// Whether this tab leads (holds the leader lock).
    pub fn is_leader(&self) -> bool {
        self.leader.get()
    }

    /// Dispatches notices posted by other tabs as `change` events, their folders
    /// named by `namer`.
    pub fn listen(self: &Rc<Self>, namer: FolderNamer) {
        let Some(channel) = &self.channel else { return };
        let tabs = Rc::downgrade(self);
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let (Some(tabs), Some(text)) = (tabs.upgrade(), event.data().as_string()) else {
                return;
            };
            if let Some(notice) = ChangeNotice::decode(&text) {
                tabs.dispatch_change(&notice, namer(&notice.folders), false);
            }
        });
        channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        *self.on_message.borrow_mut() = Some(handler);
    }

    /// Tells this tab (a `change` event) and every other tab (the channel) of a
    /// write this tab committed; `folders` are the notice's folders as named here.
    pub fn announce(&self, notice: &ChangeNotice, folders: Vec<String>) {
        if self.closed.get() {
            return;
        }
        if let Some(channel) = &self.channel {
            // A channel closed under us only means no other tab hears it.
            let _ = channel.post_message(&JsValue::from_str(&notice.encode()));
        }
        self.dispatch_change(notice, folders, true);
    }

    /// Asks for the lead (once; again after [`Tabs::step_down`]): this tab leads
    /// once no other tab holds the leader lock (at once if none does), and
    /// announces it with a `leaderchange` event.
    pub fn seek_leadership(self: &Rc<Self>) {
        if self.closed.get() || self.seeking.replace(true) {
            return;
        }
        let ask = self.asked.get() + 1;
        self.asked.set(ask);
        let tabs = Rc::downgrade(self);
        let name = format!("{}/leader", self.lock_prefix);
        wasm_bindgen_futures::spawn_local(async move {
            let held = match lock_manager() {
                Some(locks) => acquire(&locks, &name, None).await.ok(),
                None => Some(HeldLock {
                    release: None,
                    _refused: None,
                }),
            };
            let (Some(tabs), Some(held)) = (tabs.upgrade(), held) else {
                return;
            };
            // Closed or stepped down while waiting: the lock goes back at once.
            if tabs.closed.get() || tabs.asked.get() != ask || !tabs.seeking.get() {
                return;
            }
            *tabs.leadership.borrow_mut() = Some(held);
            tabs.leader.set(true);
            tabs.dispatch("leaderchange", &leader_detail(true));
        });
    }

    /// Gives up the lead, or the wait for it: a tab without the offline copy
    /// (offline turned off here, or never on) cannot sync, so it must not lead.
    pub fn step_down(&self) {
        self.seeking.set(false);
        self.asked.set(self.asked.get() + 1);
        self.leadership.borrow_mut().take();
        if self.leader.replace(false) {
            self.dispatch("leaderchange", &leader_detail(false));
        }
    }

    /// Holds the user's sync lock until the returned guard is dropped: a sync in
    /// another tab (or worker) finishes first. `signal` (the sync's own) gives up
    /// the wait. `None` where Web Locks are missing.
    pub async fn sync_lock(
        &self,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<HeldLock>, JsValue> {
        let Some(locks) = lock_manager() else {
            return Ok(None);
        };
        acquire(&locks, &format!("{}/sync", self.lock_prefix), signal)
            .await
            .map(Some)
    }

    /// Another tab upgraded or deleted the database and this tab's connection
    /// closed for it: a `close` event, and the lead passes on.
    pub fn closed_by_other_tab(&self) {
        self.dispatch("close", &close_detail("versionchange"));
        self.close();
    }

    /// Leaves: the lead passes to another tab and no more events are dispatched.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(channel) = &self.channel {
            channel.set_onmessage(None);
            channel.close();
        }
        self.on_message.borrow_mut().take();
        self.step_down();
    }

    fn dispatch_change(&self, notice: &ChangeNotice, folders: Vec<String>, local: bool) {
        let detail = Object::new();
        let kinds: Array = notice
            .kinds
            .iter()
            .map(|kind| JsValue::from_str(kind.api_name()))
            .collect();
        let folders: Array = folders.into_iter().map(JsValue::from).collect();
        let ids = match &notice.ids {
            Some(ids) => ids
                .iter()
                .map(|id| JsValue::from_str(id))
                .collect::<Array>()
                .into(),
            None => JsValue::NULL,
        };
        set(&detail, "kinds", &kinds);
        set(&detail, "folders", &folders);
        set(&detail, "ids", &ids);
        set(
            &detail,
            "version",
            &JsValue::from_f64(notice.version as f64),
        );
        set(&detail, "local", &JsValue::from_bool(local));
        self.dispatch("change", &detail);
    }

    fn dispatch(&self, name: &str, detail: &Object) {
        let init = CustomEventInit::new();
        init.set_detail(detail);
        if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
            // A listener that throws is reported by the browser; it stops nothing here.
            let _ = self.events.dispatch_event(&event);
        }
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.close();
    }
}

/// A Web Lock held until this is dropped.
pub struct HeldLock {
    /// Resolves the promise the lock's callback returned, which releases the lock.
    release: Option<Function>,
    /// The request's rejection handler, kept alive while the request may reject.
    _refused: Option<Closure<dyn FnMut(JsValue)>>,
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Waits for the exclusive Web Lock `name` and holds it until the guard is
/// dropped; `None` where Web Locks are missing.
///
/// The wait must not be dropped before it ends: a grant after that would hold
/// the lock for as long as the page lives. Every caller awaits it to the end.
pub async fn exclusive(name: &str) -> Result<Option<HeldLock>, JsValue> {
    let Some(locks) = lock_manager() else {
        return Ok(None);
    };
    acquire(&locks, name, None).await.map(Some)
}

/// `navigator.locks` in a window or a worker, if the context has it.
fn lock_manager() -> Option<LockManager> {
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then(|| locks.unchecked_into())
}

/// Waits for the exclusive lock `name` and holds it: the lock's callback returns
/// a promise that stays pending until the [`HeldLock`] is dropped.
async fn acquire(
    locks: &LockManager,
    name: &str,
    signal: Option<&AbortSignal>,
) -> Result<HeldLock, JsValue> {
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted_fns = None;
    let granted = Promise::new(&mut |resolve, reject| granted_fns = Some((resolve, reject)));
    let Some((grant, refuse)) = granted_fns else {
        return Err(JsValue::from_str("the lock request could not start"));
    };
    let callback = Closure::once(move |_lock: JsValue| -> JsValue {
        let _ = grant.call0(&JsValue::UNDEFINED);
        held.into()
    })
    .into_js_value();
    let options = Object::new();
    if let Some(signal) = signal {
        set(&options, "signal", signal);
    }
    let request = locks.request(name, &options, &callback);
    // A request refused outright (an opaque origin) must not leave us waiting.
    let refused = Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
        let _ = refuse.call1(&JsValue::UNDEFINED, &error);
    });
    let _ = request.catch(&refused);
    JsFuture::from(granted).await?;
    // Once granted, the request can only resolve (at release): the handler is
    // never called again and goes with the lock.
    Ok(HeldLock {
        release,
        _refused: Some(refused),
    })
}

fn leader_detail(leader: bool) -> Object {
    let detail = Object::new();
    set(&detail, "isLeader", &JsValue::from_bool(leader));
    detail
}

fn close_detail(reason: &str) -> Object {
    let detail = Object::new();
    set(&detail, "reason", &JsValue::from_str(reason));
    detail
}

fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}
