//! The JavaScript surface: the `OfflineMailbox` class. The only layer that touches
//! `JsValue`; every error leaves through [`error::to_js`].

mod convert;
mod error;
mod types;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::crypto::database_name;
use crate::mailbox::{wipe_user, Mailbox};
use crate::model::Kind;
use crate::Error;

/// An open, unlocked offline mailbox for one user.
///
/// ```js
/// import init, { OfflineMailbox } from "offline-mailbox";
/// await init();
/// const key = crypto.getRandomValues(new Uint8Array(32)); // in practice: from your org server or the customer
/// const mailbox = await OfflineMailbox.open({ userId: "8f2c…", key });
/// await mailbox.putMessages([{ id: "AAMk1", subject: "Hello" }]);
/// console.log(await mailbox.getMessage("AAMk1"));
/// ```
#[wasm_bindgen]
pub struct OfflineMailbox {
    mailbox: RefCell<Option<Rc<Mailbox>>>,
}

#[wasm_bindgen]
impl OfflineMailbox {
    /// Opens (creating on first use) and unlocks the user's encrypted mailbox.
    ///
    /// Rejects with `code: "WrongKey"` if the key or passphrase does not match the
    /// one the mailbox was created or last re-keyed with, and with
    /// `"VersionTooNew"` if a newer library version wrote it.
    ///
    /// ```js
    /// const mailbox = await OfflineMailbox.open({ userId: "8f2c…", passphrase: "correct horse battery staple" });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<OfflineMailbox>")]
    pub fn open(#[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> Promise {
        promise(async move {
            let user_id = convert::required_string(&options, "userId")?;
            let unlock = convert::unlock(&options)?;
            let mailbox = Mailbox::open(&user_id, &unlock).await?;
            Ok(OfflineMailbox { mailbox: RefCell::new(Some(Rc::new(mailbox))) }.into())
        })
    }

    /// The IndexedDB database name used for `userId`: a keyed hash, never the id itself.
    ///
    /// ```js
    /// OfflineMailbox.databaseName("8f2c…"); // "offline-mailbox-3b1f…"
    /// ```
    #[wasm_bindgen(js_name = databaseName)]
    pub fn database_name(#[wasm_bindgen(js_name = userId)] user_id: &str) -> String {
        database_name(user_id)
    }

    /// Deletes everything stored for `userId` without opening it (for example after
    /// the key was lost). Resolves once the database is gone.
    ///
    /// ```js
    /// await OfflineMailbox.wipeUser("8f2c…");
    /// ```
    #[wasm_bindgen(js_name = wipeUser, unchecked_return_type = "Promise<void>")]
    pub fn wipe_user(#[wasm_bindgen(js_name = userId)] user_id: String) -> Promise {
        promise(async move { wipe_user(&user_id).await.map(|_| JsValue::UNDEFINED) })
    }

    /// Closes the mailbox. Later calls reject with `code: "Closed"`.
    pub fn close(&self) {
        if let Some(mailbox) = self.mailbox.borrow_mut().take() {
            mailbox.close();
        }
    }

    /// Stores Graph `message` objects in one transaction; a malformed item rejects
    /// with `code: "InvalidInput"` naming its `index` and `field`, and nothing is written.
    ///
    /// ```js
    /// await mailbox.putMessages([{ id: "AAMk1", subject: "Quarterly report", isRead: false }]);
    /// ```
    #[wasm_bindgen(js_name = putMessages, unchecked_return_type = "Promise<void>")]
    pub fn put_messages(&self, #[wasm_bindgen(unchecked_param_type = "GraphItem[]")] items: JsValue) -> Promise {
        self.put(Kind::Message, items)
    }

    /// Stores Graph `mailFolder` objects in one transaction (see `putMessages`).
    #[wasm_bindgen(js_name = putFolders, unchecked_return_type = "Promise<void>")]
    pub fn put_folders(&self, #[wasm_bindgen(unchecked_param_type = "GraphItem[]")] items: JsValue) -> Promise {
        self.put(Kind::MailFolder, items)
    }

    /// Stores Graph `contact` objects in one transaction (see `putMessages`).
    #[wasm_bindgen(js_name = putContacts, unchecked_return_type = "Promise<void>")]
    pub fn put_contacts(&self, #[wasm_bindgen(unchecked_param_type = "GraphItem[]")] items: JsValue) -> Promise {
        self.put(Kind::Contact, items)
    }

    /// Stores Graph `event` instances in one transaction (see `putMessages`).
    #[wasm_bindgen(js_name = putEvents, unchecked_return_type = "Promise<void>")]
    pub fn put_events(&self, #[wasm_bindgen(unchecked_param_type = "GraphItem[]")] items: JsValue) -> Promise {
        self.put(Kind::Event, items)
    }

    /// The stored message, or `null`. Rejects with `code: "Integrity"` if its stored
    /// value was tampered with; the record is then quarantined.
    ///
    /// ```js
    /// const message = await mailbox.getMessage("AAMk1");
    /// ```
    #[wasm_bindgen(js_name = getMessage, unchecked_return_type = "Promise<GraphItem | null>")]
    pub fn get_message(&self, id: String) -> Promise {
        self.get(Kind::Message, id)
    }

    /// The stored mail folder, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getFolder, unchecked_return_type = "Promise<GraphItem | null>")]
    pub fn get_folder(&self, id: String) -> Promise {
        self.get(Kind::MailFolder, id)
    }

    /// The stored contact, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getContact, unchecked_return_type = "Promise<GraphItem | null>")]
    pub fn get_contact(&self, id: String) -> Promise {
        self.get(Kind::Contact, id)
    }

    /// The stored event instance, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getEvent, unchecked_return_type = "Promise<GraphItem | null>")]
    pub fn get_event(&self, id: String) -> Promise {
        self.get(Kind::Event, id)
    }

    /// Re-wraps the mailbox keys under a new key or passphrase. The data is not
    /// re-encrypted, so this is instant; afterwards only the new secret opens it.
    ///
    /// ```js
    /// await mailbox.changeKey({ key: newKeyBytes });
    /// ```
    #[wasm_bindgen(js_name = changeKey, unchecked_return_type = "Promise<void>")]
    pub fn change_key(&self, #[wasm_bindgen(unchecked_param_type = "KeyOptions")] options: JsValue) -> Promise {
        let mailbox = self.current();
        promise(async move {
            let unlock = convert::unlock(&options)?;
            mailbox?.change_key(&unlock).await.map(|_| JsValue::UNDEFINED)
        })
    }

    /// Records that failed their integrity check and were set aside, so the host
    /// can fetch them again from the server.
    ///
    /// ```js
    /// for (const { kind, id } of await mailbox.quarantine()) refetch(kind, id);
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<QuarantineEntry[]>")]
    pub fn quarantine(&self) -> Promise {
        let mailbox = self.current();
        promise(async move {
            let entries = mailbox?.quarantined().await?;
            let array = Array::new();
            for entry in entries {
                let object = Object::new();
                let _ = Reflect::set(&object, &"kind".into(), &JsValue::from_str(&entry.store));
                let id = entry.id.as_deref().map_or(JsValue::NULL, JsValue::from_str);
                let _ = Reflect::set(&object, &"id".into(), &id);
                array.push(&object);
            }
            Ok(array.into())
        })
    }

    /// Closes the mailbox and deletes its database; the keys are destroyed with it.
    ///
    /// ```js
    /// await mailbox.wipe();
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn wipe(&self) -> Promise {
        let mailbox = self.mailbox.borrow_mut().take().ok_or(Error::Closed);
        promise(async move { mailbox?.wipe().await.map(|_| JsValue::UNDEFINED) })
    }
}

impl OfflineMailbox {
    fn current(&self) -> Result<Rc<Mailbox>, Error> {
        self.mailbox.borrow().clone().ok_or(Error::Closed)
    }

    fn put(&self, kind: Kind, items: JsValue) -> Promise {
        let mailbox = self.current();
        promise(async move {
            let mailbox = mailbox?;
            let items = convert::items(&items)?;
            mailbox.put(kind, &items).await.map(|_| JsValue::UNDEFINED)
        })
    }

    fn get(&self, kind: Kind, id: String) -> Promise {
        let mailbox = self.current();
        promise(async move {
            match mailbox?.get(kind, &id).await? {
                Some(bytes) => convert::from_json(&bytes),
                None => Ok(JsValue::NULL),
            }
        })
    }
}

fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    future_to_promise(async move { future.await.map_err(error::to_js) })
}
