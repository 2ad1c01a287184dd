//! The JavaScript surface: the `OfflineMailbox` class. The only layer that touches
//! `JsValue`; every error leaves through [`error::to_js`].

mod actions;
mod convert;
mod error;
mod live;
mod storage;
mod sync;
mod types;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::crypto::database_name;
use crate::directory::Directory;
use crate::mailbox::{wipe_user, DeltaSummary, SearchOptions, MAX_SEARCH_LIMIT};
use crate::model::Kind;
use crate::policy::Policy;
use crate::session::{RotationProgress, Session, UpgradeProgress};
use crate::store::STORE_MESSAGE_BODIES;
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
    session: Rc<Session>,
    /// The user's other tabs: change events, the lead, the sync lock.
    tabs: Rc<crate::live::tabs::Tabs>,
}

#[wasm_bindgen]
impl OfflineMailbox {
    /// Opens the user's mailbox. Offline storage stays off until the user turns it
    /// on with `enableOffline()`; once they have, later opens find their data and
    /// unlock it (rejecting with `WrongKey` if the key or passphrase does not match,
    /// `VersionTooNew` if a newer library version wrote it), unless the policy no
    /// longer allows offline on this computer, in which case the data is deleted.
    /// `orgServer` must be a bare https origin (plain http only for loopback).
    /// `expectedEpoch` (optional) is the value of `mailbox.epoch` the app last saved
    /// on its server: an older or different offline copy (a restored backup) rejects
    /// with `Rollback`; `null` means the app knows offline was turned off, and any
    /// copy found is deleted. A mailbox written by an older version is moved to the
    /// current layout and its messages, contacts and events are indexed for search
    /// before `open` resolves (once; a tab closed midway resumes at the next open);
    /// `onUpgradeProgress` (optional) is called with `{ done, total }` records as
    /// each step goes.
    ///
    /// ```js
    /// const mailbox = await OfflineMailbox.open({
    ///   userId: "8f2c…", key, orgServer: "https://mail.contoso.com", orgDomains: ["contoso.com"],
    ///   policy: { allowOfflineOn: "PrivateComputersOnly" }, computer: "private",
    /// });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<OfflineMailbox>")]
    pub fn open(#[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue) -> Promise {
        promise(async move {
            let user_id = convert::required_string(&options, "userId")?;
            let unlock = convert::unlock(&options)?;
            let policy = match convert::property(&options, "policy")? {
                Some(policy) => convert::policy(&policy, "policy")?,
                None => Policy::default(),
            };
            let computer = convert::computer(&options)?;
            let directory = convert::directory(&options)?.map(Directory::new);
            let expected = convert::expected_epoch(&options)?;
            let on_upgrade =
                upgrade_reporter(convert::optional_function(&options, "onUpgradeProgress")?);
            let retention = sync::retention(&options)?;
            let database = database_name(&user_id);
            let session = Session::open(
                user_id, unlock, policy, computer, directory, expected, on_upgrade,
            )
            .await?;
            if let Some(retention) = retention {
                session.set_retention(retention);
            }
            let tabs = live::join_tabs(&session, &database)?;
            Ok(OfflineMailbox { session, tabs }.into())
        })
    }

    /// The IndexedDB database name used for `userId`: a keyed hash, never the id itself.
    /// Throws an `OfflineMailboxError` with `code: "InvalidInput"` if `userId` is not a string.
    ///
    /// ```js
    /// OfflineMailbox.databaseName("8f2c…"); // "offline-mailbox-3b1f…"
    /// ```
    #[wasm_bindgen(js_name = databaseName)]
    pub fn database_name(
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
    ) -> Result<String, JsValue> {
        convert::string_arg(&user_id, "userId")
            .map(|user_id| database_name(&user_id))
            .map_err(error::to_js)
    }

    /// Deletes everything stored for `userId` without opening it (for example after
    /// the key was lost). Resolves once the database is gone.
    ///
    /// ```js
    /// await OfflineMailbox.wipeUser("8f2c…");
    /// ```
    #[wasm_bindgen(js_name = wipeUser, unchecked_return_type = "Promise<void>")]
    pub fn wipe_user(
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id: JsValue,
    ) -> Promise {
        promise(async move {
            let user_id = convert::string_arg(&user_id, "userId")?;
            wipe_user(&user_id).await.map(|_| JsValue::UNDEFINED)
        })
    }

    /// Closes the mailbox. Later calls reject with `code: "Closed"`.
    ///
    /// ```js
    /// mailbox.close();
    /// ```
    pub fn close(&self) {
        self.session.close();
        self.tabs.close();
    }

    /// Stores Graph `message` objects in one transaction, replacing any stored under
    /// the same ids. A malformed item rejects with `code: "InvalidInput"` naming its
    /// `index` and `field`, and nothing is written. At most 10,000 items per call
    /// (more rejects with `InvalidInput`, `field: "items"`): split larger batches.
    /// Holes in the array, and items whose getters, `toJSON` or Proxy traps throw,
    /// reject with `InvalidInput` naming the index.
    ///
    /// ```js
    /// await mailbox.putMessages([{ id: "AAMk1", parentFolderId: "inbox", subject: "Quarterly report",
    ///   receivedDateTime: "2024-05-01T10:00:00Z", isRead: false }]);
    /// ```
    #[wasm_bindgen(js_name = putMessages, unchecked_return_type = "Promise<void>")]
    pub fn put_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Message[]")] items: JsValue,
    ) -> Promise {
        self.put(Kind::Message, items)
    }

    /// Stores Graph `mailFolder` objects in one transaction, at most 10,000 per call (see `putMessages`).
    ///
    /// ```js
    /// await mailbox.putFolders([{ id: "inbox", displayName: "Inbox" }]);
    /// ```
    #[wasm_bindgen(js_name = putFolders, unchecked_return_type = "Promise<void>")]
    pub fn put_folders(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MailFolder[]")] items: JsValue,
    ) -> Promise {
        self.put(Kind::MailFolder, items)
    }

    /// Stores Graph `contact` objects in one transaction, at most 10,000 per call (see `putMessages`).
    ///
    /// ```js
    /// await mailbox.putContacts([{ id: "c1", displayName: "Adele Vance", emailAddresses: [{ address: "adelev@contoso.example" }] }]);
    /// ```
    #[wasm_bindgen(js_name = putContacts, unchecked_return_type = "Promise<void>")]
    pub fn put_contacts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Contact[]")] items: JsValue,
    ) -> Promise {
        self.put(Kind::Contact, items)
    }

    /// Stores Graph `event` instances (from `calendarView`, in UTC) in one transaction,
    /// at most 10,000 per call (see `putMessages`).
    ///
    /// ```js
    /// await mailbox.putEvents([{ id: "e1", subject: "Standup",
    ///   start: { dateTime: "2024-06-03T09:00:00.0000000", timeZone: "UTC" },
    ///   end: { dateTime: "2024-06-03T09:15:00.0000000", timeZone: "UTC" } }]);
    /// ```
    #[wasm_bindgen(js_name = putEvents, unchecked_return_type = "Promise<void>")]
    pub fn put_events(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Event[]")] items: JsValue,
    ) -> Promise {
        self.put(Kind::Event, items)
    }

    /// Applies one page of a Graph delta query to `scope` (for mail: the folder id):
    /// new items, partial updates merged into stored items, and `@removed` entries.
    /// Stores the page's `@odata.deltaLink`. Applying a page twice is harmless.
    /// A page's `value` may hold at most 10,000 entries (Graph sends at most 1,000);
    /// more, or a malformed entry, rejects with `InvalidInput` and nothing is written.
    ///
    /// ```js
    /// let url = (await mailbox.deltaLink("messages", "inbox")) ?? "/me/mailFolders/inbox/messages/delta";
    /// while (url) {
    ///   const page = await (await fetch(orgServer + url)).json();
    ///   await mailbox.applyDelta("messages", "inbox", page);
    ///   url = page["@odata.nextLink"];
    /// }
    /// ```
    #[wasm_bindgen(js_name = applyDelta, unchecked_return_type = "Promise<DeltaSummary>")]
    pub fn apply_delta(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ItemKind")] kind: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] scope: JsValue,
        #[wasm_bindgen(unchecked_param_type = "DeltaPage")] page: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let kind = convert::kind(&kind)?;
            let scope = convert::string_arg(&scope, "scope")?;
            let page = convert::delta_page(&page)?;
            let Some(mailbox) = store else {
                return Ok(summary_object(Default::default()));
            };
            Ok(summary_object(
                mailbox.apply_delta(kind, &scope, page).await?,
            ))
        })
    }

    /// The `@odata.deltaLink` stored by the last `applyDelta` for this scope, or `null`.
    ///
    /// ```js
    /// const link = await mailbox.deltaLink("messages", "inbox");
    /// ```
    #[wasm_bindgen(js_name = deltaLink, unchecked_return_type = "Promise<string | null>")]
    pub fn delta_link(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ItemKind")] kind: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] scope: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let kind = convert::kind(&kind)?;
            let scope = convert::string_arg(&scope, "scope")?;
            let Some(mailbox) = store else {
                return Ok(JsValue::NULL);
            };
            Ok(mailbox
                .delta_link(kind, &scope)
                .await?
                .map_or(JsValue::NULL, |link| JsValue::from_str(&link)))
        })
    }

    /// Drops every item `applyDelta` wrote to this scope, and its delta link: what to
    /// do when the server answers `410 Gone` and the sync must start over.
    ///
    /// ```js
    /// if (response.status === 410) await mailbox.resetScope("messages", "inbox");
    /// ```
    #[wasm_bindgen(js_name = resetScope, unchecked_return_type = "Promise<void>")]
    pub fn reset_scope(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ItemKind")] kind: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] scope: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let kind = convert::kind(&kind)?;
            let scope = convert::string_arg(&scope, "scope")?;
            let Some(mailbox) = store else {
                return Ok(JsValue::UNDEFINED);
            };
            mailbox
                .reset_scope(kind, &scope)
                .await
                .map(|_| JsValue::UNDEFINED)
        })
    }

    /// One page of a folder's messages, newest first. Pass the returned
    /// `nextCursor` to get the next page; it is `null` after the last one. Each
    /// message appears exactly once across the pages.
    ///
    /// Messages come as summaries: what a message list shows (`id`,
    /// `parentFolderId`, `conversationId`, `subject`, `bodyPreview`, `from`,
    /// `sender`, `toRecipients`, `ccRecipients`, `receivedDateTime`, `sentDateTime`,
    /// `isRead`, `isDraft`, `flag`, `importance`, `hasAttachments`, `categories`,
    /// `inferenceClassification`, `@odata.type`, `meetingMessageType` and the
    /// withheld-body marker), read without touching any body. `fields: "full"` gives
    /// whole messages (as `getMessage` does); an array of field names gives those
    /// fields and `id`, like Graph's `$select` (bodies are read only if a named field
    /// is not a summary field).
    ///
    /// ```js
    /// let page = await mailbox.listMessages("inbox", { limit: 50 });
    /// while (page.nextCursor) page = await mailbox.listMessages("inbox", { limit: 50, cursor: page.nextCursor });
    /// const whole = await mailbox.listMessages("inbox", { limit: 10, fields: "full" });
    /// const some = await mailbox.listMessages("inbox", { fields: ["subject", "isRead", "body"] });
    /// ```
    #[wasm_bindgen(js_name = listMessages, unchecked_return_type = "Promise<MessagePage>")]
    pub fn list_messages(
        &self,
        #[wasm_bindgen(js_name = folderId, unchecked_param_type = "string")] folder_id: JsValue,
        options: Option<types::ListOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let folder_id = convert::string_arg(&folder_id, "folderId")?;
            let limit = convert::limit(&options, 50, 1000)?;
            let cursor = convert::optional_string(&options, "cursor")?;
            let selection = convert::selection(&options)?;
            let Some(mailbox) = store else {
                return Ok(page_object(Array::new().into(), None));
            };
            let page = mailbox
                .list_messages(&folder_id, limit, cursor.as_deref(), &selection)
                .await?;
            Ok(page_object(
                convert::json_array(&page.messages)?,
                page.next_cursor,
            ))
        })
    }

    /// Searches the offline copy's messages: one page of summaries matching
    /// `query`, newest first (ties in the order `listMessages` uses), with the same
    /// paging guarantees as `listMessages`. Answers come from the encrypted index
    /// and are checked against each message's authenticated summary.
    ///
    /// The query language: words (all must match, in any indexed field: subject,
    /// sender and recipients' names and addresses, body text, categories,
    /// attachment names; the last word also matches as a prefix once it has three
    /// characters and is not followed by a space), `"quoted phrases"`, `from:`,
    /// `to:`, `cc:`, `subject:` (a word or a quoted phrase), `has:attachment`,
    /// `is:unread`, `is:read`, `is:flagged`, `before:YYYY-MM-DD`,
    /// `after:YYYY-MM-DD` (UTC days), `folder:` (an id, a well-known name or a
    /// display name). Matching ignores case and diacritics; Chinese, Japanese and
    /// Korean text matches by character pairs. A malformed query rejects with
    /// `InvalidInput` naming the problem.
    ///
    /// ```js
    /// const page = await mailbox.search('from:ada "quarterly budget" is:unread');
    /// const more = await mailbox.search('budg', { folderId: "inbox", limit: 20, cursor: page.nextCursor });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<SearchPage>")]
    pub fn search(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        options: Option<types::SearchOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let query = convert::string_arg(&query, "query")?;
            let options = SearchOptions {
                folder_id: convert::optional_string(&options, "folderId")?,
                limit: convert::limit(&options, 50, MAX_SEARCH_LIMIT)?,
                cursor: convert::optional_string(&options, "cursor")?,
                scan: convert::optional_bool(&options, "scan")?.unwrap_or(false),
            };
            let Some(mailbox) = store else {
                crate::search::Query::parse(&query).map_err(|e| Error::invalid("query", &e.0))?;
                return Ok(page_object(Array::new().into(), None));
            };
            let page = mailbox.search(&query, &options).await?;
            Ok(page_object(
                convert::json_array(&page.messages)?,
                page.next_cursor,
            ))
        })
    }

    /// Every stored message of a conversation, oldest first, as summaries unless
    /// `fields` asks for more (see `listMessages`).
    ///
    /// ```js
    /// const thread = await mailbox.conversation(message.conversationId);
    /// const readingPane = await mailbox.conversation(message.conversationId, { fields: "full" });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<MessageSummary[] | Message[]>")]
    pub fn conversation(
        &self,
        #[wasm_bindgen(js_name = conversationId, unchecked_param_type = "string")]
        conversation_id: JsValue,
        options: Option<types::FieldsOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let conversation_id = convert::string_arg(&conversation_id, "conversationId")?;
            let selection = convert::selection(&options)?;
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            convert::json_array(&mailbox.conversation(&conversation_id, &selection).await?)
        })
    }

    /// Every stored folder, sorted by `displayName`, with `totalItemCount` and
    /// `unreadItemCount` counting the messages stored offline (kept up to date on
    /// every write, never computed by scanning).
    ///
    /// ```js
    /// for (const f of await mailbox.folders()) console.log(f.displayName, f.unreadItemCount);
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<MailFolder[]>")]
    pub fn folders(&self) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            let folders = mailbox.folders().await?;
            let bytes: Vec<Vec<u8>> = folders
                .iter()
                .map(|f| serde_json::to_vec(f).unwrap_or_default())
                .collect();
            convert::json_array(&bytes)
        })
    }

    /// Event instances overlapping `[start, end)`, sorted by start. `start` and `end`
    /// are `Date`s, ISO 8601 strings with an offset, or epoch milliseconds. An
    /// `end` before `start` rejects with `InvalidInput`; an empty range (`end`
    /// equal to `start`) resolves to `[]`.
    ///
    /// ```js
    /// const week = await mailbox.events({ start: "2024-06-03T00:00:00Z", end: "2024-06-10T00:00:00Z" });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<Event[]>")]
    pub fn events(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EventRange")] range: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let start = convert::timestamp(&range, "start")?;
            let end = convert::timestamp(&range, "end")?;
            if end.0 < start.0 {
                return Err(Error::invalid("end", "must not be before start"));
            }
            // An empty range overlaps nothing, and IndexedDB would refuse it as a key range.
            if end.0 == start.0 {
                return Ok(Array::new().into());
            }
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            convert::json_array(&mailbox.events(start, end).await?)
        })
    }

    /// Contacts whose name words or email addresses start with `prefix`
    /// (case-insensitive), sorted by `displayName` (case-insensitive, code-point order), at most `limit` (default 10).
    ///
    /// ```js
    /// const suggestions = await mailbox.contacts({ prefix: "ade", limit: 5 });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<Contact[]>")]
    pub fn contacts(&self, query: Option<types::ContactQueryArg>) -> Promise {
        let query: JsValue = query.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let prefix = convert::optional_string(&query, "prefix")?.unwrap_or_default();
            let limit = convert::limit(&query, 10, 10_000)?;
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            let contacts = mailbox.contacts(&prefix, limit as usize).await?;
            let bytes: Vec<Vec<u8>> = contacts
                .iter()
                .map(|c| serde_json::to_vec(c).unwrap_or_default())
                .collect();
            convert::json_array(&bytes)
        })
    }

    /// Contacts matching `query`, sorted by `displayName`, at most `limit`
    /// (default 50). The query is words and `"phrases"` (no operators), matched
    /// like `search` over names, email addresses, company, department, job title,
    /// office and phone numbers. Answered from the encrypted search index: only
    /// the contacts it names are opened.
    ///
    /// ```js
    /// const found = await mailbox.searchContacts("ada contoso");
    /// ```
    #[wasm_bindgen(js_name = searchContacts, unchecked_return_type = "Promise<Contact[]>")]
    pub fn search_contacts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        options: Option<types::ContactSearchOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let query = convert::string_arg(&query, "query")?;
            let limit = convert::limit(&options, 50, 10_000)?;
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            let contacts = mailbox.search_contacts(&query, limit as usize).await?;
            let bytes: Vec<Vec<u8>> = contacts
                .iter()
                .map(|c| serde_json::to_vec(c).unwrap_or_default())
                .collect();
            convert::json_array(&bytes)
        })
    }

    /// Event instances overlapping `[start, end)` that match `query`, sorted by
    /// start. The query is words and `"phrases"` (no operators), matched like
    /// `search` over the subject, the location, and the organizer's and
    /// attendees' names and addresses. `start` and `end` are as for `events`.
    /// Answered from the encrypted search index: only the events it names are
    /// opened.
    ///
    /// ```js
    /// const reviews = await mailbox.searchEvents("budget review", { start: "2024-06-01T00:00:00Z", end: "2024-07-01T00:00:00Z" });
    /// ```
    #[wasm_bindgen(js_name = searchEvents, unchecked_return_type = "Promise<Event[]>")]
    pub fn search_events(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EventRange")] range: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let query = convert::string_arg(&query, "query")?;
            let start = convert::timestamp(&range, "start")?;
            let end = convert::timestamp(&range, "end")?;
            if end.0 < start.0 {
                return Err(Error::invalid("end", "must not be before start"));
            }
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            convert::json_array(&mailbox.search_events(&query, start, end).await?)
        })
    }

    /// The contact with this email address (case-insensitive), or `null`.
    ///
    /// ```js
    /// const adele = await mailbox.contactByEmail("AdeleV@contoso.example");
    /// ```
    #[wasm_bindgen(js_name = contactByEmail, unchecked_return_type = "Promise<Contact | null>")]
    pub fn contact_by_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let email = convert::string_arg(&email, "email")?;
            let Some(mailbox) = store else {
                return Ok(JsValue::NULL);
            };
            match mailbox.contact_by_email(&email).await? {
                Some(bytes) => convert::from_json(&bytes),
                None => Ok(JsValue::NULL),
            }
        })
    }

    /// The stored message, or `null`. Rejects with `code: "Integrity"` if its stored
    /// value was tampered with; the record is then quarantined.
    ///
    /// ```js
    /// const message = await mailbox.getMessage("AAMk1");
    /// ```
    #[wasm_bindgen(js_name = getMessage, unchecked_return_type = "Promise<Message | null>")]
    pub fn get_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.get(Kind::Message, id)
    }

    /// The stored mail folder, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getFolder, unchecked_return_type = "Promise<MailFolder | null>")]
    pub fn get_folder(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.get(Kind::MailFolder, id)
    }

    /// The stored contact, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getContact, unchecked_return_type = "Promise<Contact | null>")]
    pub fn get_contact(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.get(Kind::Contact, id)
    }

    /// The stored event instance, or `null` (see `getMessage`).
    #[wasm_bindgen(js_name = getEvent, unchecked_return_type = "Promise<Event | null>")]
    pub fn get_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        self.get(Kind::Event, id)
    }

    /// Re-wraps the mailbox keys under a new key or passphrase. The data is not
    /// re-encrypted, so this is instant; afterwards only the new secret opens it.
    ///
    /// ```js
    /// await mailbox.changeKey({ key: newKeyBytes });
    /// ```
    #[wasm_bindgen(js_name = changeKey, unchecked_return_type = "Promise<void>")]
    pub fn change_key(
        &self,
        #[wasm_bindgen(unchecked_param_type = "KeyOptions")] options: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let unlock = convert::unlock(&options)?;
            session.change_key(unlock).await.map(|_| JsValue::UNDEFINED)
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
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let Some(mailbox) = store else {
                return Ok(Array::new().into());
            };
            let entries = mailbox.quarantined().await?;
            let array = Array::new();
            for entry in entries {
                let object = Object::new();
                // A message's body record counts as the message: refetch it.
                let kind: &str = match Kind::from_store(&entry.store) {
                    Some(kind) => kind.api_name(),
                    None if entry.store == STORE_MESSAGE_BODIES => Kind::Message.api_name(),
                    None => &entry.store,
                };
                set(&object, "kind", &JsValue::from_str(kind));
                set(
                    &object,
                    "id",
                    &entry.id.as_deref().map_or(JsValue::NULL, JsValue::from_str),
                );
                array.push(&object);
            }
            Ok(array.into())
        })
    }

    /// Deletes everything stored offline for this user and closes the mailbox; the
    /// keys are destroyed with the database.
    ///
    /// ```js
    /// await mailbox.wipe();
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn wipe(&self) -> Promise {
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            session.wipe().await?;
            tabs.close();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Whether mail is being stored offline: the user turned it on and the policy allows it.
    ///
    /// ```js
    /// toggle.checked = mailbox.offlineEnabled;
    /// ```
    #[wasm_bindgen(getter, js_name = offlineEnabled)]
    pub fn offline_enabled(&self) -> bool {
        self.session.offline_enabled()
    }

    /// Turns offline mail on, the user's choice. Until then nothing is written to
    /// IndexedDB: writes are validated and then dropped, reads find nothing. Rejects
    /// with `PolicyDenied` if the administrator's policy does not offer offline on
    /// this computer. The key or passphrase given to `open` is forgotten once the
    /// offline store is unlocked; to turn offline on again after `disableOffline`,
    /// pass it here (`InvalidInput` naming `key` otherwise).
    ///
    /// With `persist: true` it also asks the browser to keep the offline copy
    /// under storage pressure (`navigator.storage.persist()`; Chromium decides by
    /// itself, Firefox asks the user). It does not wait for the answer, which in
    /// Firefox may never come; `storage()` tells whether the browser agreed.
    ///
    /// ```js
    /// await mailbox.enableOffline(); // from the user's "Turn on offline" switch
    /// await mailbox.enableOffline({ key }); // again later in the same session
    /// await mailbox.enableOffline({ persist: true });
    /// ```
    #[wasm_bindgen(js_name = enableOffline, unchecked_return_type = "Promise<void>")]
    pub fn enable_offline(&self, options: Option<types::EnableOfflineOptionsArg>) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            let unlock = convert::optional_unlock(&options)?;
            let persist = convert::optional_bool(&options, "persist")?.unwrap_or(false);
            session.enable_offline(unlock).await?;
            // With the offline copy open, this tab can sync: it may lead.
            tabs.seek_leadership();
            if persist {
                crate::session::storage::request_persistence();
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The offline copy's epoch: which database instance it is and how many writes
    /// it has seen, as an opaque string (`null` while offline is off). Save it on
    /// your server now and then (after a sync, at sign-out) and pass it back as
    /// `expectedEpoch` to `open`: a copy restored from an older backup is then
    /// refused. It only grows, so a saved value that is a little old still passes.
    ///
    /// ```js
    /// await saveUserSetting("offlineEpoch", mailbox.epoch);
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn epoch(&self) -> JsValue {
        self.session
            .epoch()
            .map_or(JsValue::NULL, |epoch| JsValue::from_str(&epoch))
    }

    /// Seals every stored record again under a new random data key, then destroys
    /// the old one, so a copy of the database's keyring taken before (with the old
    /// key or passphrase) opens nothing written since. `changeKey` only re-wraps the
    /// keys and is instant; this rewrites everything, in small batches: the mailbox
    /// stays usable meanwhile, other tabs follow, and if the page closes midway,
    /// calling it again continues where it stopped. `onProgress` receives
    /// `{ done, total }` record counts.
    ///
    /// ```js
    /// await mailbox.rotateDataKey({ onProgress: ({ done, total }) => bar.value = done / total });
    /// ```
    #[wasm_bindgen(js_name = rotateDataKey, unchecked_return_type = "Promise<void>")]
    pub fn rotate_data_key(&self, options: Option<types::RotateOptionsArg>) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let callback = convert::optional_function(&options, "onProgress")?;
            let report = |progress: RotationProgress| {
                report_progress(&callback, progress.done, progress.total)
            };
            session
                .rotate_data_key(&report)
                .await
                .map(|_| JsValue::UNDEFINED)
        })
    }

    /// Turns offline mail off and deletes everything stored, at once.
    ///
    /// ```js
    /// await mailbox.disableOffline();
    /// ```
    #[wasm_bindgen(js_name = disableOffline, unchecked_return_type = "Promise<void>")]
    pub fn disable_offline(&self) -> Promise {
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            session.disable_offline().await?;
            tabs.step_down();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Applies a new administrator policy. If it no longer allows offline on this
    /// computer, everything stored is deleted now; photo and card lookups follow
    /// its flags from the next call. With `displayPhotosEnabled` or
    /// `contactCardEnabled` off, cached photos and cards are forgotten now (the
    /// whole sealed directory cache, as its entries cannot be told apart unopened).
    ///
    /// ```js
    /// await mailbox.applyPolicy({ allowOfflineOn: "NoComputers", displayPhotosEnabled: true, contactCardEnabled: true });
    /// ```
    #[wasm_bindgen(js_name = applyPolicy, unchecked_return_type = "Promise<void>")]
    pub fn apply_policy(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MailboxPolicy")] policy: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            let policy = convert::policy(&policy, "policy")?;
            session.apply_policy(policy).await?;
            if !session.offline_enabled() {
                tabs.step_down();
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Signs out and closes the mailbox. Deletes everything stored unless
    /// `keepOfflineData` is true and the user signed in on a private computer with
    /// offline on; on a public computer it always deletes.
    ///
    /// ```js
    /// await mailbox.signOut({ keepOfflineData: userTickedKeep });
    /// ```
    #[wasm_bindgen(js_name = signOut, unchecked_return_type = "Promise<void>")]
    pub fn sign_out(&self, options: Option<types::SignOutOptionsArg>) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        let tabs = self.tabs.clone();
        promise(async move {
            let keep = convert::optional_bool(&options, "keepOfflineData")?.unwrap_or(false);
            session.sign_out(keep).await?;
            tabs.close();
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The sender's photo as a `Blob`, or `null`. Only the address is sent, only to
    /// `orgServer`, only for addresses in `orgDomains`; with `displayPhotosEnabled`
    /// off, or for anyone outside the organization, it resolves `null` without a
    /// request (a photo is decoration: the UI shows initials). Repeated calls
    /// revalidate with `If-None-Match`; a 404 is remembered for an hour; concurrent
    /// calls for one address share one request; an unreachable server gives the
    /// cached photo or `null`; an answer marked `Cache-Control: no-store` is not
    /// kept. `size` is one of `HR48x48` … `HR648x648` (default `HR96x96`). An
    /// address in `orgDomains` must be plain ASCII (it is lowercased in ASCII only
    /// and asked for in that form); otherwise it rejects with `InvalidInput`.
    ///
    /// ```js
    /// const blob = await mailbox.senderPhoto("adelev@contoso.com", { size: "HR64x64" });
    /// img.src = blob ? URL.createObjectURL(blob) : initialsAvatar;
    /// ```
    #[wasm_bindgen(js_name = senderPhoto, unchecked_return_type = "Promise<Blob | null>")]
    pub fn sender_photo(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        options: Option<types::PhotoOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let email = convert::string_arg(&email, "email")?;
            let size = convert::photo_size(&options)?;
            match session.sender_photo(&email, &size).await? {
                Some(answer) => convert::blob(&answer.body, &answer.content_type),
                None => Ok(JsValue::NULL),
            }
        })
    }

    /// The contact card (a Graph `user`-shaped object) of the person clicked, or
    /// `null` outside the organization. Fetched only when called, never prefetched;
    /// cached like photos. Rejects with `PolicyDenied` when the administrator turned
    /// contact cards off (the user asked, so the UI should say why), with
    /// `InvalidInput` for an address in `orgDomains` that is not plain ASCII, and with
    /// `Network` when the server cannot answer and nothing is cached.
    ///
    /// ```js
    /// const card = await mailbox.contactCard("adelev@contoso.com");
    /// ```
    #[wasm_bindgen(js_name = contactCard, unchecked_return_type = "Promise<ContactCard | null>")]
    pub fn contact_card(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let email = convert::string_arg(&email, "email")?;
            match session.contact_card(&email).await? {
                Some(answer) => convert::from_json(&answer.body),
                None => Ok(JsValue::NULL),
            }
        })
    }
}

impl OfflineMailbox {
    fn put(&self, kind: Kind, items: JsValue) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let items = convert::items(kind, &items)?;
            let Some(mailbox) = store else {
                return Ok(JsValue::UNDEFINED);
            };
            mailbox.put(kind, items).await.map(|_| JsValue::UNDEFINED)
        })
    }

    fn get(&self, kind: Kind, id: JsValue) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let store = session.store()?;
            let id = convert::string_arg(&id, "id")?;
            let Some(mailbox) = store else {
                return Ok(JsValue::NULL);
            };
            match mailbox.get(kind, &id).await? {
                Some(bytes) => convert::from_json(&bytes),
                None => Ok(JsValue::NULL),
            }
        })
    }
}

/// Reports `{ done, total }` to the host's `onUpgradeProgress`, if it gave one.
fn upgrade_reporter(callback: Option<js_sys::Function>) -> Box<dyn Fn(UpgradeProgress)> {
    Box::new(move |progress: UpgradeProgress| {
        report_progress(&callback, progress.done, progress.total)
    })
}

/// Calls a host's progress callback, if it gave one, with `{ done, total }`. A
/// throwing handler must not stop the work it follows.
fn report_progress(callback: &Option<js_sys::Function>, done: u64, total: u64) {
    let Some(callback) = callback else { return };
    let event = Object::new();
    set(&event, "done", &JsValue::from_f64(done as f64));
    set(&event, "total", &JsValue::from_f64(total as f64));
    let _ = callback.call1(&JsValue::UNDEFINED, &event);
}

/// `{ created, updated, removed }`.
fn summary_object(summary: DeltaSummary) -> JsValue {
    let object = Object::new();
    set(&object, "created", &summary.created.into());
    set(&object, "updated", &summary.updated.into());
    set(&object, "removed", &summary.removed.into());
    object.into()
}

/// `{ value, nextCursor }`.
fn page_object(value: JsValue, next_cursor: Option<String>) -> JsValue {
    let object = Object::new();
    set(&object, "value", &value);
    set(
        &object,
        "nextCursor",
        &next_cursor.map_or(JsValue::NULL, |c| JsValue::from_str(&c)),
    );
    object.into()
}

/// Sets a property on a fresh plain object, which cannot fail.
fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}

fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    // Boxed, so that the promise machinery is compiled once rather than per method.
    boxed_promise(Box::pin(future))
}

fn boxed_promise(future: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>) -> Promise {
    future_to_promise(async move { future.await.map_err(error::to_js) })
}
