//! The outbox: what the user did offline, in order, until the server has it.
//!
//! Each action applies to the stored item at once ([`Action::apply`]) and is queued
//! ([`Outbox::push`]); actions on the same item coalesce where the result is the
//! same (read then unread again is nothing; two moves keep the last; a delete
//! supersedes what came before it). Until the server acknowledges an action, it
//! is applied again over every version of the item the server sends
//! ([`Outbox::reapply`]), so a delta page never undoes it. [`Action::request`]
//! is the Graph call that carries it. Pure Rust: the store seals the queue.

use serde_json::{json, Map, Value};

use super::codec::{put_bytes, Reader};
use super::plan::encode_segment;

/// How the user answered a meeting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventResponse {
    /// `accept`.
    Accept,
    /// `tentativelyAccept`.
    TentativelyAccept,
    /// `decline`.
    Decline,
}

impl EventResponse {
    /// The response named as Graph names its action; `None` for anything else.
    pub fn from_graph_name(name: &str) -> Option<Self> {
        match name {
            "accept" => Some(Self::Accept),
            "tentativelyAccept" => Some(Self::TentativelyAccept),
            "decline" => Some(Self::Decline),
            _ => None,
        }
    }

    /// The Graph action's name, as in `POST /me/events/{id}/accept`.
    pub fn graph_name(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::TentativelyAccept => "tentativelyAccept",
            Self::Decline => "decline",
        }
    }
}

/// One thing the user did to one item while offline.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Marked a message read or unread; `was` is the stored value before the first
    /// queued change, so changing it back cancels out.
    MarkRead {
        /// Message id.
        id: String,
        /// The new value.
        is_read: bool,
        /// The value before the first pending change.
        was: Option<bool>,
    },
    /// Set a message's follow-up flag (a Graph `followupFlag` object).
    SetFlag {
        /// Message id.
        id: String,
        /// The new flag.
        flag: Value,
        /// The flag before the first pending change.
        was: Option<Value>,
    },
    /// Set a message's categories.
    SetCategories {
        /// Message id.
        id: String,
        /// The new categories.
        categories: Vec<String>,
        /// The categories before the first pending change.
        was: Option<Vec<String>>,
    },
    /// Moved a message to another folder.
    Move {
        /// Message id.
        id: String,
        /// The destination folder id.
        folder_id: String,
        /// The folder before the first pending move.
        was: Option<String>,
    },
    /// Deleted a message: to Deleted Items, or for good.
    Delete {
        /// Message id.
        id: String,
        /// Whether it skips Deleted Items.
        permanent: bool,
    },
    /// Saved a draft: created on the server when its id is a local one (see
    /// [`is_local_id`]), updated otherwise.
    SaveDraft {
        /// The draft's id (local until the server has created it).
        id: String,
        /// The whole draft, as a Graph message.
        message: Value,
    },
    /// Sent a message: a draft the server has, by its id, or else the message
    /// itself.
    Send {
        /// The message's id (local for a message the server has never seen).
        id: String,
        /// The whole message, as a Graph message.
        message: Value,
    },
    /// Answered a meeting request.
    RespondToEvent {
        /// Event id.
        id: String,
        /// The answer.
        response: EventResponse,
        /// The comment sent with it.
        comment: String,
    },
}

impl Action {
    /// The change that puts the item back as it was before this action, where
    /// the action remembers it (read state, flag, categories, folder).
    pub fn undo(&self) -> Option<Action> {
        match self {
            Action::MarkRead { id, was, .. } => Some(Action::MarkRead {
                id: id.clone(),
                is_read: (*was)?,
                was: None,
            }),
            Action::SetFlag { id, was, .. } => Some(Action::SetFlag {
                id: id.clone(),
                flag: was.clone()?,
                was: None,
            }),
            Action::SetCategories { id, was, .. } => Some(Action::SetCategories {
                id: id.clone(),
                categories: was.clone()?,
                was: None,
            }),
            Action::Move { id, was, .. } => Some(Action::Move {
                id: id.clone(),
                folder_id: was.clone()?,
                was: None,
            }),
            _ => None,
        }
    }

    /// Renames the item this action is on, from `from` to `to`.
    pub fn rename(&mut self, from: &str, to: &str) {
        let id = match self {
            Self::MarkRead { id, .. }
            | Self::SetFlag { id, .. }
            | Self::SetCategories { id, .. }
            | Self::Move { id, .. }
            | Self::Delete { id, .. }
            | Self::SaveDraft { id, .. }
            | Self::Send { id, .. }
            | Self::RespondToEvent { id, .. } => id,
        };
        if id != from {
            return;
        }
        *id = to.to_owned();
        if let Self::SaveDraft { message, .. } | Self::Send { message, .. } = self {
            if let Some(fields) = message.as_object_mut() {
                fields.insert("id".into(), Value::String(to.to_owned()));
            }
        }
    }

    /// The id of the item the action is about.
    pub fn item_id(&self) -> &str {
        match self {
            Self::MarkRead { id, .. }
            | Self::SetFlag { id, .. }
            | Self::SetCategories { id, .. }
            | Self::Move { id, .. }
            | Self::Delete { id, .. }
            | Self::SaveDraft { id, .. }
            | Self::Send { id, .. }
            | Self::RespondToEvent { id, .. } => id,
        }
    }

    /// Applies the action to a stored item's fields; `false` means the item is
    /// gone (deleted).
    pub fn apply(&self, item: &mut Map<String, Value>) -> bool {
        match self {
            Self::MarkRead { is_read, .. } => {
                item.insert("isRead".into(), Value::Bool(*is_read));
            }
            Self::SetFlag { flag, .. } => {
                item.insert("flag".into(), flag.clone());
            }
            Self::SetCategories { categories, .. } => {
                item.insert("categories".into(), json!(categories));
            }
            Self::Move { folder_id, .. } => {
                item.insert("parentFolderId".into(), Value::String(folder_id.clone()));
            }
            Self::SaveDraft { message, .. } => {
                if let Value::Object(draft) = message {
                    *item = draft.clone();
                    item.insert("isDraft".into(), Value::Bool(true));
                }
            }
            Self::Delete { .. } | Self::Send { .. } => return false,
            Self::RespondToEvent { response, .. } => {
                let status = json!({ "response": response_status(*response) });
                item.insert("responseStatus".into(), status);
            }
        }
        true
    }

    /// Whether the server may be asked again after an answer that was lost (a
    /// gateway error): `false` for calls that would do it twice (create a
    /// draft, move to Deleted Items again and so delete for good, answer an
    /// invitation twice). Throttling answers (`429`, `503`) are retried anyway:
    /// the server did nothing.
    pub fn safe_to_repeat(&self) -> bool {
        match self {
            Self::Delete { permanent, .. } => *permanent,
            Self::SaveDraft { id, .. } | Self::Send { id, .. } => !is_local_id(id),
            Self::RespondToEvent { .. } => false,
            Self::MarkRead { .. }
            | Self::SetFlag { .. }
            | Self::SetCategories { .. }
            | Self::Move { .. } => true,
        }
    }

    /// The Graph calls that carry this action, in order: one, except for sending
    /// a draft the server has, which first writes what the user sent into it.
    /// Sending a message the server never had starts by creating it as a draft;
    /// the sync then gives the action the draft's id and sends that.
    pub fn requests(&self) -> Vec<GraphRequest> {
        match self {
            Self::Send { id, message } if !is_local_id(id) => vec![
                GraphRequest::patch(message_path(id), without_id(message)),
                self.request(),
            ],
            _ => vec![self.request()],
        }
    }

    /// The Graph call that carries the action to the server: method, path (under
    /// the API root, e.g. `/me/messages/{id}`) and JSON body.
    pub fn request(&self) -> GraphRequest {
        let message = message_path;
        match self {
            Self::MarkRead { id, is_read, .. } => {
                GraphRequest::patch(message(id), json!({ "isRead": is_read }))
            }
            Self::SetFlag { id, flag, .. } => {
                GraphRequest::patch(message(id), json!({ "flag": flag }))
            }
            Self::SetCategories { id, categories, .. } => {
                GraphRequest::patch(message(id), json!({ "categories": categories }))
            }
            Self::Move { id, folder_id, .. } => GraphRequest {
                method: "POST",
                path: format!("{}/move", message(id)),
                body: Some(json!({ "destinationId": folder_id })),
            },
            Self::Delete {
                id,
                permanent: false,
            } => GraphRequest {
                method: "DELETE",
                path: message(id),
                body: None,
            },
            Self::Delete {
                id,
                permanent: true,
            } => GraphRequest {
                method: "POST",
                path: format!("{}/permanentDelete", message(id)),
                body: None,
            },
            Self::SaveDraft { id, message } if is_local_id(id) => GraphRequest {
                method: "POST",
                path: "/me/messages".into(),
                body: Some(without_id(message)),
            },
            Self::SaveDraft { id, message } => {
                GraphRequest::patch(message_path(id), without_id(message))
            }
            // Created as a draft first, then sent by its id (see `requests`): a
            // send whose answer is lost and is tried again finds nothing (404),
            // so a message is never sent twice.
            Self::Send { id, message } if is_local_id(id) => GraphRequest {
                method: "POST",
                path: "/me/messages".into(),
                body: Some(without_id(message)),
            },
            Self::Send { id, .. } => GraphRequest {
                method: "POST",
                path: format!("{}/send", message_path(id)),
                body: None,
            },
            Self::RespondToEvent {
                id,
                response,
                comment,
            } => GraphRequest {
                method: "POST",
                path: format!(
                    "/me/events/{}/{}",
                    encode_segment(id),
                    response.graph_name()
                ),
                body: Some(json!({ "comment": comment, "sendResponse": true })),
            },
        }
    }
}

/// What the ids of messages created offline start with: the server has not
/// given them an id yet.
pub const LOCAL_ID_PREFIX: &str = "offline-draft-";

/// Whether `id` is a local id (a message created offline that the server has
/// not seen).
pub fn is_local_id(id: &str) -> bool {
    id.starts_with(LOCAL_ID_PREFIX)
}

fn message_path(id: &str) -> String {
    format!("/me/messages/{}", encode_segment(id))
}

/// The message properties a client may write when it creates or updates a
/// draft; everything else is the server's (ids, folder, dates, draft state).
const WRITABLE: [&str; 13] = [
    "subject",
    "body",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "from",
    "importance",
    "isReadReceiptRequested",
    "isDeliveryReceiptRequested",
    "categories",
    "flag",
    "internetMessageHeaders",
];

/// A message cut down to what a client may write (see [`WRITABLE`]).
fn without_id(message: &Value) -> Value {
    let mut message = message.clone();
    if let Value::Object(fields) = &mut message {
        fields.retain(|name, _| WRITABLE.contains(&name.as_str()));
    }
    message
}

/// An HTTP request to Graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphRequest {
    /// `GET`, `PATCH`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The path under the API root, segments percent-encoded.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

impl GraphRequest {
    fn patch(path: String, body: Value) -> Self {
        Self {
            method: "PATCH",
            path,
            body: Some(body),
        }
    }
}

/// One queued action and its place in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Increases with every action queued; orders the queue.
    pub seq: u64,
    /// What was done.
    pub action: Action,
    /// Why the server refused it, once it did (the entry is then not sent again).
    pub failure: Option<Failure>,
    /// Whether a sync has sent it: later actions on the item no longer merge
    /// into it (the server may have it already), they queue after it.
    pub sent: bool,
}

/// The server's refusal of an action: its status and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status: a 4xx other than 404, or a server error answered to a
    /// call that is not repeated (see [`Action::safe_to_repeat`]).
    pub status: u16,
    /// The server's error message, if it gave one.
    pub message: String,
}

/// The queue of actions the server does not have yet, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outbox {
    /// The pending entries, in order.
    pub entries: Vec<Entry>,
    /// The sequence number the next entry gets.
    pub next_seq: u64,
}

impl Outbox {
    /// Queues `action`, coalescing it with what is already pending for its item.
    /// `stored` is the item as stored before the action applies (for the value a
    /// change would return to).
    pub fn push(&mut self, action: Action, stored: Option<&Map<String, Value>>) {
        let action = remember_previous(action, stored);
        let id = action.item_id().to_owned();
        if let Action::Delete { .. } = action {
            // A delete supersedes everything before it on the item; a message the
            // server never had is simply forgotten.
            let sent = self
                .entries
                .iter()
                .any(|e| e.sent && e.action.item_id() == id);
            self.entries.retain(|entry| entry.action.item_id() != id);
            if sent || !is_local_id(&id) {
                self.append(action);
            }
            return;
        }
        if let Action::Send { .. } = action {
            // Sending carries the message itself: unsent saves of a draft the
            // server never had are not needed any more.
            if is_local_id(&id) {
                self.entries.retain(|e| {
                    e.sent
                        || e.action.item_id() != id
                        || !matches!(e.action, Action::SaveDraft { .. })
                });
            }
            self.append(action);
            return;
        }
        // The user's newer choice of the same thing supersedes a refused one, so
        // retrying the refused one later cannot put the older choice on the server.
        self.entries
            .retain(|entry| entry.failure.is_none() || !replaces(&entry.action, &action));
        let same = self
            .entries
            .iter()
            .position(|entry| !entry.sent && replaces(&entry.action, &action));
        let Some(at) = same else {
            self.append(action);
            return;
        };
        match coalesce(&self.entries[at].action, action) {
            Some(merged) => self.entries[at].action = merged,
            None => {
                self.entries.remove(at);
            }
        }
    }

    /// Re-applies the pending actions on `id` to a version of the item the server
    /// sent, so they are not undone before the server has them; `false` means a
    /// pending delete removes it.
    pub fn reapply(&self, id: &str, item: &mut Map<String, Value>) -> bool {
        // A refused action is not the server's future: it is not applied again.
        self.entries
            .iter()
            .filter(|entry| entry.failure.is_none() && entry.action.item_id() == id)
            .all(|entry| entry.action.apply(item))
    }

    /// Drops the entry the server acknowledged (or no longer has the item of).
    pub fn acknowledge(&mut self, seq: u64) {
        self.entries.retain(|entry| entry.seq != seq);
    }

    /// Gives every entry on the local id `local` the id the server gave the
    /// message when it created it.
    pub fn adopt_id(&mut self, local: &str, server: &str) {
        for entry in &mut self.entries {
            entry.action.rename(local, server);
        }
    }

    /// Marks every entry not yet refused as sent and returns them, in order: what
    /// a sync sends now. Each returned copy keeps the `sent` it had before, so
    /// the sync can tell which ones an earlier sync may already have delivered.
    pub fn start_sending(&mut self) -> Vec<Entry> {
        self.entries
            .iter_mut()
            .filter(|entry| entry.failure.is_none())
            .map(|entry| {
                let before = entry.clone();
                entry.sent = true;
                before
            })
            .collect()
    }

    /// Records the server's refusal of an entry; it stays, for the app to show,
    /// unless the user has since queued a newer choice of the same thing (made
    /// while this one was on its way), which supersedes it.
    pub fn fail(&mut self, seq: u64, failure: Failure) {
        let Some(at) = self.entries.iter().position(|entry| entry.seq == seq) else {
            return;
        };
        // Only a definite refusal (4xx) is superseded: after a server error the
        // server may have done it, and the app is to see that.
        let refused = &self.entries[at].action;
        let definite = (400..500).contains(&failure.status);
        if definite
            && self.entries[at + 1..]
                .iter()
                .any(|later| replaces(refused, &later.action))
        {
            self.entries.remove(at);
            return;
        }
        self.entries[at].failure = Some(failure);
    }

    /// Marks entries a sync took but never sent (it stopped before them), and
    /// no earlier sync had sent either, as unsent again: they can be
    /// discarded, and later actions merge into them.
    pub fn release(&mut self, seqs: &[u64]) {
        for entry in &mut self.entries {
            if seqs.contains(&entry.seq) && entry.failure.is_none() {
                entry.sent = false;
            }
        }
    }

    /// Queues a refused entry again: the next sync sends it. `false` when no
    /// entry `seq` was refused.
    pub fn retry(&mut self, seq: u64) -> bool {
        let Some(entry) = self
            .entries
            .iter_mut()
            .find(|entry| entry.seq == seq && entry.failure.is_some())
        else {
            return false;
        };
        entry.failure = None;
        entry.sent = false;
        true
    }

    /// Takes entry `seq` out of the queue, if it is refused or not yet sent
    /// (one a sync has sent may be on the server already), and returns it.
    pub fn discard(&mut self, seq: u64) -> Option<Entry> {
        let at = self
            .entries
            .iter()
            .position(|entry| entry.seq == seq && (entry.failure.is_some() || !entry.sent))?;
        Some(self.entries.remove(at))
    }

    /// Whether any action on `id` is pending (retention never drops such an item).
    pub fn has_pending(&self, id: &str) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.action.item_id() == id)
    }

    fn append(&mut self, action: Action) {
        self.entries.push(Entry {
            seq: self.next_seq,
            action,
            failure: None,
            sent: false,
        });
        self.next_seq += 1;
    }
}

/// Fills in the value the action changes, as stored before it, unless the caller did.
fn remember_previous(action: Action, stored: Option<&Map<String, Value>>) -> Action {
    let field = |name: &str| stored.and_then(|item| item.get(name)).cloned();
    match action {
        Action::MarkRead {
            id,
            is_read,
            was: None,
        } => Action::MarkRead {
            id,
            is_read,
            was: field("isRead").and_then(|v| v.as_bool()),
        },
        Action::SetFlag {
            id,
            flag,
            was: None,
        } => Action::SetFlag {
            id,
            flag,
            was: field("flag"),
        },
        Action::SetCategories {
            id,
            categories,
            was: None,
        } => Action::SetCategories {
            id,
            categories,
            was: field("categories").and_then(|v| strings(&v)),
        },
        Action::Move {
            id,
            folder_id,
            was: None,
        } => Action::Move {
            id,
            folder_id,
            was: field("parentFolderId").and_then(|v| v.as_str().map(str::to_owned)),
        },
        other => other,
    }
}

/// Whether `pending` and `new` change the same thing of the same item.
fn replaces(pending: &Action, new: &Action) -> bool {
    pending.item_id() == new.item_id()
        && std::mem::discriminant(pending) == std::mem::discriminant(new)
}

/// The one action that has the effect of `pending` then `new` (same kind, same
/// item), or `None` when together they change nothing.
fn coalesce(pending: &Action, new: Action) -> Option<Action> {
    match (pending, new) {
        (Action::MarkRead { was, .. }, Action::MarkRead { id, is_read, .. }) => {
            (*was != Some(is_read)).then_some(Action::MarkRead {
                id,
                is_read,
                was: *was,
            })
        }
        (Action::SetFlag { was, .. }, Action::SetFlag { id, flag, .. }) => {
            (was.as_ref() != Some(&flag)).then(|| Action::SetFlag {
                id,
                flag,
                was: was.clone(),
            })
        }
        (Action::SetCategories { was, .. }, Action::SetCategories { id, categories, .. }) => {
            (was.as_ref() != Some(&categories)).then(|| Action::SetCategories {
                id,
                categories,
                was: was.clone(),
            })
        }
        (Action::Move { was, .. }, Action::Move { id, folder_id, .. }) => {
            (was.as_ref() != Some(&folder_id)).then(|| Action::Move {
                id,
                folder_id,
                was: was.clone(),
            })
        }
        (_, new) => Some(new),
    }
}

fn response_status(response: EventResponse) -> &'static str {
    match response {
        EventResponse::Accept => "accepted",
        EventResponse::TentativelyAccept => "tentativelyAccepted",
        EventResponse::Decline => "declined",
    }
}

/// The outbox's stored form: `FORMAT ‖ next seq ‖ count ‖ entries`, each entry
/// `seq ‖ flags (sent, refused) ‖ [status ‖ message] ‖ action`, each action a tag
/// and its fields, JSON values as JSON text.
const FORMAT: u8 = 1;
const SENT: u8 = 1;
const REFUSED: u8 = 2;

impl Outbox {
    /// The bytes to seal.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        out.extend_from_slice(&self.next_seq.to_be_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        for entry in &self.entries {
            out.extend_from_slice(&entry.seq.to_be_bytes());
            let flags = u8::from(entry.sent) * SENT + u8::from(entry.failure.is_some()) * REFUSED;
            out.push(flags);
            if let Some(failure) = &entry.failure {
                out.extend_from_slice(&failure.status.to_be_bytes());
                put_bytes(&mut out, failure.message.as_bytes());
            }
            entry.action.encode(&mut out);
        }
        out
    }

    /// Reads [`Outbox::encode`]'s output; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut reader = Reader(bytes);
        if reader.byte()? != FORMAT {
            return None;
        }
        let next_seq = reader.u64()?;
        let mut entries = Vec::new();
        for _ in 0..reader.count()? {
            let seq = reader.u64()?;
            let flags = reader.byte()?;
            let failure = match flags & REFUSED {
                0 => None,
                _ => Some(Failure {
                    status: reader.u16()?,
                    message: reader.string()?,
                }),
            };
            let action = Action::decode(&mut reader)?;
            entries.push(Entry {
                seq,
                action,
                failure,
                sent: flags & SENT != 0,
            });
        }
        reader.is_done().then_some(Self { entries, next_seq })
    }
}

impl Action {
    /// The action as the app sees it in `pendingActions()`: its kind, the item's
    /// id and its own fields, by their Graph-style names.
    pub fn describe(&self) -> Value {
        match self {
            Self::MarkRead { id, is_read, .. } => {
                json!({"kind": "markRead", "id": id, "isRead": is_read})
            }
            Self::SetFlag { id, flag, .. } => json!({"kind": "setFlag", "id": id, "flag": flag}),
            Self::SetCategories { id, categories, .. } => {
                json!({"kind": "setCategories", "id": id, "categories": categories})
            }
            Self::Move { id, folder_id, .. } => {
                json!({"kind": "move", "id": id, "folderId": folder_id})
            }
            Self::Delete { id, permanent } => {
                json!({"kind": "delete", "id": id, "permanent": permanent})
            }
            Self::SaveDraft { id, message } => {
                json!({"kind": "saveDraft", "id": id, "message": message})
            }
            Self::Send { id, message } => json!({"kind": "send", "id": id, "message": message}),
            Self::RespondToEvent {
                id,
                response,
                comment,
            } => json!({
                "kind": "respondToEvent", "id": id, "response": response.graph_name(), "comment": comment,
            }),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let text = |out: &mut Vec<u8>, value: &str| put_bytes(out, value.as_bytes());
        let value = |out: &mut Vec<u8>, value: &Value| put_bytes(out, value.to_string().as_bytes());
        match self {
            Self::MarkRead { id, is_read, was } => {
                out.push(0);
                text(out, id);
                out.push(u8::from(*is_read));
                out.push(was.map_or(0, |was| 1 + u8::from(was)));
            }
            Self::SetFlag { id, flag, was } => {
                out.push(1);
                text(out, id);
                value(out, flag);
                value(out, was.as_ref().unwrap_or(&Value::Null));
            }
            Self::SetCategories {
                id,
                categories,
                was,
            } => {
                out.push(2);
                text(out, id);
                value(out, &json!(categories));
                value(out, &was.as_ref().map_or(Value::Null, |was| json!(was)));
            }
            Self::Move { id, folder_id, was } => {
                out.push(3);
                text(out, id);
                text(out, folder_id);
                value(out, &was.as_ref().map_or(Value::Null, |was| json!(was)));
            }
            Self::Delete { id, permanent } => {
                out.push(4);
                text(out, id);
                out.push(u8::from(*permanent));
            }
            Self::SaveDraft { id, message } | Self::Send { id, message } => {
                out.push(if matches!(self, Self::SaveDraft { .. }) {
                    5
                } else {
                    6
                });
                text(out, id);
                value(out, message);
            }
            Self::RespondToEvent {
                id,
                response,
                comment,
            } => {
                out.push(7);
                text(out, id);
                text(out, response.graph_name());
                text(out, comment);
            }
        }
    }

    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        let tag = reader.byte()?;
        let id = reader.string()?;
        let value =
            |reader: &mut Reader<'_>| serde_json::from_slice::<Value>(&reader.bytes()?).ok();
        let was = |reader: &mut Reader<'_>| value(reader).filter(|v| !v.is_null());
        Some(match tag {
            0 => Self::MarkRead {
                id,
                is_read: reader.byte()? != 0,
                was: match reader.byte()? {
                    0 => None,
                    was => Some(was == 2),
                },
            },
            1 => Self::SetFlag {
                id,
                flag: value(reader)?,
                was: was(reader),
            },
            2 => Self::SetCategories {
                id,
                categories: strings(&value(reader)?)?,
                was: was(reader).and_then(|v| strings(&v)),
            },
            3 => Self::Move {
                id,
                folder_id: reader.string()?,
                was: was(reader).and_then(|v| v.as_str().map(str::to_owned)),
            },
            4 => Self::Delete {
                id,
                permanent: reader.byte()? != 0,
            },
            5 => Self::SaveDraft {
                id,
                message: value(reader)?,
            },
            6 => Self::Send {
                id,
                message: value(reader)?,
            },
            7 => Self::RespondToEvent {
                id,
                response: EventResponse::from_graph_name(&reader.string()?)?,
                comment: reader.string()?,
            },
            _ => return None,
        })
    }
}

/// A JSON array of strings, or `None`.
fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn read(id: &str, is_read: bool) -> Action {
        Action::MarkRead {
            id: id.into(),
            is_read,
            was: None,
        }
    }

    fn moved(id: &str, folder: &str) -> Action {
        Action::Move {
            id: id.into(),
            folder_id: folder.into(),
            was: None,
        }
    }

    #[test]
    fn a_refused_entry_is_retried_and_a_sent_one_is_never_discarded() {
        let message = stored(json!({"id": "m", "parentFolderId": "inbox"}));
        let mut outbox = Outbox::default();
        outbox.push(moved("m", "archive"), Some(&message));
        outbox.push(read("n", true), None);
        let seq = outbox.entries[0].seq;
        assert!(!outbox.retry(seq), "not refused: nothing to retry");
        outbox.start_sending();
        assert_eq!(outbox.discard(seq), None, "sent: it may be on the server");
        let failure = Failure {
            status: 403,
            message: "denied".into(),
        };
        outbox.fail(seq, failure);
        assert!(outbox.retry(seq));
        assert_eq!(outbox.entries[0].failure, None);
        assert!(!outbox.entries[0].sent, "sent again by the next sync");
        let discarded = outbox.discard(seq).unwrap();
        assert_eq!(
            discarded.action.undo(),
            Some(Action::Move {
                id: "m".into(),
                folder_id: "inbox".into(),
                was: None
            })
        );
        assert_eq!(outbox.entries.len(), 1);
        assert_eq!(outbox.discard(9_999), None);
    }

    #[test]
    fn a_newer_choice_of_the_same_thing_supersedes_a_refused_one() {
        let message = stored(json!({"id": "m", "parentFolderId": "inbox", "isRead": false}));
        let mut outbox = Outbox::default();
        outbox.push(moved("m", "archive"), Some(&message));
        outbox.push(read("m", true), Some(&message));
        outbox.start_sending();
        let refused = outbox.entries[0].seq;
        let failure = Failure {
            status: 403,
            message: "denied".into(),
        };
        outbox.fail(refused, failure);
        outbox.acknowledge(outbox.entries[1].seq);
        outbox.push(moved("m", "deleted"), Some(&message));
        assert!(!outbox.retry(refused), "superseded: nothing left to retry");
        let actions: Vec<_> = outbox.entries.iter().map(|e| e.action.clone()).collect();
        assert_eq!(
            actions,
            vec![Action::Move {
                id: "m".into(),
                folder_id: "deleted".into(),
                was: Some("inbox".into())
            }]
        );
    }

    #[test]
    fn a_refusal_of_a_choice_superseded_while_it_was_sent_is_dropped() {
        let message = stored(json!({"id": "m", "parentFolderId": "inbox"}));
        let mut outbox = Outbox::default();
        outbox.push(moved("m", "archive"), Some(&message));
        outbox.start_sending();
        let first = outbox.entries[0].seq;
        outbox.push(moved("m", "deleted"), Some(&message));
        let failure = Failure {
            status: 403,
            message: "denied".into(),
        };
        outbox.fail(first, failure.clone());
        assert_eq!(outbox.entries.len(), 1, "only the newer move is left");
        assert!(!outbox.retry(first));
        let alone = outbox.entries[0].seq;
        outbox.start_sending();
        outbox.fail(alone, failure);
        assert!(
            outbox.entries[0].failure.is_some(),
            "nothing newer: kept for the app"
        );
        let lost = outbox.entries[0].seq;
        outbox.retry(lost);
        outbox.start_sending();
        outbox.push(moved("m", "inbox"), Some(&message));
        let gateway = Failure {
            status: 504,
            message: "gateway timeout".into(),
        };
        outbox.fail(lost, gateway);
        assert!(
            outbox.entries[0].failure.is_some(),
            "after a server error the server may have done it: kept for the app"
        );
    }

    #[test]
    fn entries_a_sync_never_sent_are_released_and_merge_again() {
        let message = stored(json!({"id": "m", "isRead": false}));
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), Some(&message));
        let taken = outbox.start_sending();
        assert!(!taken[0].sent, "the copy says no earlier sync sent it");
        assert!(
            outbox.start_sending()[0].sent,
            "a second sync sees the first one's mark"
        );
        let taken: Vec<u64> = taken.iter().map(|e| e.seq).collect();
        outbox.release(&taken);
        assert!(!outbox.entries[0].sent);
        outbox.push(read("m", false), Some(&message));
        assert!(
            outbox.entries.is_empty(),
            "read then unread again is nothing"
        );
    }

    #[test]
    fn calls_that_would_act_twice_are_not_repeated() {
        let local = format!("{LOCAL_ID_PREFIX}1");
        let draft = |id: &str| Action::SaveDraft {
            id: id.into(),
            message: json!({}),
        };
        assert!(
            !draft(&local).safe_to_repeat(),
            "would create a second draft"
        );
        assert!(draft("m").safe_to_repeat());
        let delete = |permanent| Action::Delete {
            id: "m".into(),
            permanent,
        };
        assert!(
            !delete(false).safe_to_repeat(),
            "a second delete deletes for good"
        );
        assert!(delete(true).safe_to_repeat());
        assert!(moved("m", "archive").safe_to_repeat());
    }

    #[test]
    fn only_changes_that_remember_the_previous_value_can_be_undone() {
        let message = stored(json!({"id": "m", "isRead": false}));
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), Some(&message));
        outbox.push(read("unknown", true), None);
        assert_eq!(outbox.entries[0].action.undo(), Some(read("m", false)));
        assert_eq!(outbox.entries[1].action.undo(), None);
        let delete = Action::Delete {
            id: "m".into(),
            permanent: false,
        };
        assert_eq!(delete.undo(), None);
    }

    #[test]
    fn read_then_unread_again_is_nothing() {
        let message = stored(json!({"id": "m", "isRead": false}));
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), Some(&message));
        outbox.push(
            read("m", false),
            Some(&stored(json!({"id": "m", "isRead": true}))),
        );
        assert!(outbox.entries.is_empty());
    }

    #[test]
    fn two_moves_keep_the_last_and_a_move_back_is_nothing() {
        let message = stored(json!({"id": "m", "parentFolderId": "inbox"}));
        let mut outbox = Outbox::default();
        outbox.push(moved("m", "archive"), Some(&message));
        outbox.push(moved("m", "projects"), None);
        assert_eq!(outbox.entries.len(), 1);
        assert_eq!(
            outbox.entries[0].action,
            Action::Move {
                id: "m".into(),
                folder_id: "projects".into(),
                was: Some("inbox".into())
            }
        );
        outbox.push(moved("m", "inbox"), None);
        assert!(outbox.entries.is_empty());
    }

    #[test]
    fn a_delete_supersedes_earlier_actions_on_that_item_only() {
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), None);
        outbox.push(moved("m", "archive"), None);
        outbox.push(read("other", true), None);
        outbox.push(
            Action::Delete {
                id: "m".into(),
                permanent: false,
            },
            None,
        );
        let ids: Vec<&str> = outbox.entries.iter().map(|e| e.action.item_id()).collect();
        assert_eq!(ids, ["other", "m"]);
        assert!(matches!(outbox.entries[1].action, Action::Delete { .. }));
    }

    #[test]
    fn entries_keep_their_order_and_sequence_numbers_grow() {
        let mut outbox = Outbox::default();
        for id in ["a", "b", "c"] {
            outbox.push(read(id, true), None);
        }
        let seqs: Vec<u64> = outbox.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1, 2]);
        outbox.acknowledge(1);
        outbox.push(read("d", true), None);
        let seqs: Vec<u64> = outbox.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 2, 3]);
    }

    #[test]
    fn pending_actions_are_reapplied_over_the_servers_version() {
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), None);
        outbox.push(moved("m", "archive"), None);
        let mut from_server = stored(
            json!({"id": "m", "isRead": false, "parentFolderId": "inbox", "subject": "new"}),
        );
        assert!(outbox.reapply("m", &mut from_server));
        assert_eq!(
            Value::Object(from_server),
            json!({"id": "m", "isRead": true, "parentFolderId": "archive", "subject": "new"})
        );
        outbox.push(
            Action::Delete {
                id: "m".into(),
                permanent: true,
            },
            None,
        );
        assert!(!outbox.reapply("m", &mut stored(json!({"id": "m"}))));
        assert!(outbox.has_pending("m") && !outbox.has_pending("x"));
    }

    fn draft(id: &str, subject: &str) -> Value {
        json!({"id": id, "subject": subject, "@offlineMailbox.bodyWithheld": false})
    }

    #[test]
    fn a_draft_made_offline_is_created_then_its_later_actions_follow_the_server_id() {
        let local = format!("{LOCAL_ID_PREFIX}1");
        let mut outbox = Outbox::default();
        outbox.push(
            Action::SaveDraft {
                id: local.clone(),
                message: draft(&local, "v1"),
            },
            None,
        );
        outbox.push(
            Action::SaveDraft {
                id: local.clone(),
                message: draft(&local, "v2"),
            },
            None,
        );
        assert_eq!(outbox.entries.len(), 1, "two saves keep the last");
        let request = outbox.entries[0].action.request();
        assert_eq!(
            (request.method, request.path.as_str()),
            ("POST", "/me/messages")
        );
        assert_eq!(
            request.body,
            Some(json!({"subject": "v2"})),
            "no local id, no markers"
        );
        outbox.start_sending();
        outbox.push(read(&local, true), None);
        outbox.adopt_id(&local, "AAMk=");
        let request = outbox.entries[1].action.request();
        assert_eq!(request.path, "/me/messages/AAMk%3D");
    }

    #[test]
    fn sending_a_draft_made_offline_sends_the_message_and_drops_its_saves() {
        let local = format!("{LOCAL_ID_PREFIX}2");
        let mut outbox = Outbox::default();
        outbox.push(
            Action::SaveDraft {
                id: local.clone(),
                message: draft(&local, "hello"),
            },
            None,
        );
        outbox.push(
            Action::Send {
                id: local.clone(),
                message: draft(&local, "hello"),
            },
            None,
        );
        assert_eq!(outbox.entries.len(), 1);
        let request = outbox.entries[0].action.request();
        assert_eq!(
            (request.method, request.path.as_str()),
            ("POST", "/me/messages"),
            "created as a draft, then sent by its id"
        );
        assert_eq!(request.body, Some(json!({"subject": "hello"})));
        let sent = Action::Send {
            id: "AAMk1".into(),
            message: draft("AAMk1", "x"),
        }
        .request();
        assert_eq!(
            (sent.method, sent.path.as_str(), sent.body),
            ("POST", "/me/messages/AAMk1/send", None)
        );
    }

    #[test]
    fn sending_a_draft_the_server_has_writes_what_the_user_sent_first() {
        let message = json!({"id": "AAMk1", "subject": "v2", "isDraft": true, "parentFolderId": "drafts",
            "toRecipients": [{"emailAddress": {"address": "cfo@contoso.example"}}]});
        let calls = Action::Send {
            id: "AAMk1".into(),
            message,
        }
        .requests();
        let shape: Vec<(&str, &str)> = calls.iter().map(|c| (c.method, c.path.as_str())).collect();
        assert_eq!(
            shape,
            [
                ("PATCH", "/me/messages/AAMk1"),
                ("POST", "/me/messages/AAMk1/send")
            ]
        );
        assert_eq!(
            calls[0].body,
            Some(
                json!({"subject": "v2", "toRecipients": [{"emailAddress": {"address": "cfo@contoso.example"}}]})
            ),
            "only what a client may write"
        );
    }

    #[test]
    fn deleting_a_draft_the_server_never_had_leaves_nothing_to_send() {
        let local = format!("{LOCAL_ID_PREFIX}3");
        let mut outbox = Outbox::default();
        outbox.push(
            Action::SaveDraft {
                id: local.clone(),
                message: draft(&local, "x"),
            },
            None,
        );
        outbox.push(
            Action::Delete {
                id: local.clone(),
                permanent: false,
            },
            None,
        );
        assert!(outbox.entries.is_empty());
    }

    #[test]
    fn each_action_becomes_its_graph_call_with_the_id_encoded() {
        let id = "AAMk+a/b=";
        let cases = [
            (
                read(id, true),
                "PATCH",
                "/me/messages/AAMk%2Ba%2Fb%3D",
                Some(json!({"isRead": true})),
            ),
            (
                moved(id, "archive"),
                "POST",
                "/me/messages/AAMk%2Ba%2Fb%3D/move",
                Some(json!({"destinationId": "archive"})),
            ),
            (
                Action::Delete {
                    id: id.into(),
                    permanent: false,
                },
                "DELETE",
                "/me/messages/AAMk%2Ba%2Fb%3D",
                None,
            ),
            (
                Action::Delete {
                    id: id.into(),
                    permanent: true,
                },
                "POST",
                "/me/messages/AAMk%2Ba%2Fb%3D/permanentDelete",
                None,
            ),
            (
                Action::RespondToEvent {
                    id: "e1".into(),
                    response: EventResponse::TentativelyAccept,
                    comment: "maybe".into(),
                },
                "POST",
                "/me/events/e1/tentativelyAccept",
                Some(json!({"comment": "maybe", "sendResponse": true})),
            ),
        ];
        for (action, method, path, body) in cases {
            let request = action.request();
            assert_eq!(
                (request.method, request.path.as_str(), request.body),
                (method, path, body)
            );
        }
    }

    #[test]
    fn every_action_with_its_state_round_trips_and_truncations_are_refused() {
        let actions = vec![
            Action::MarkRead {
                id: "a".into(),
                is_read: true,
                was: Some(false),
            },
            Action::MarkRead {
                id: "b".into(),
                is_read: false,
                was: None,
            },
            Action::SetFlag {
                id: "c".into(),
                flag: json!({"flagStatus": "flagged"}),
                was: Some(json!({"flagStatus": "notFlagged"})),
            },
            Action::SetCategories {
                id: "d".into(),
                categories: vec!["Blue".into()],
                was: Some(vec![]),
            },
            Action::Move {
                id: "e".into(),
                folder_id: "archive".into(),
                was: Some("inbox".into()),
            },
            Action::Delete {
                id: "f".into(),
                permanent: true,
            },
            Action::SaveDraft {
                id: format!("{LOCAL_ID_PREFIX}1"),
                message: json!({"subject": "é ✓", "n": 1.50}),
            },
            Action::Send {
                id: "g".into(),
                message: json!({"subject": null}),
            },
            Action::RespondToEvent {
                id: "h".into(),
                response: EventResponse::TentativelyAccept,
                comment: "maybe".into(),
            },
        ];
        let mut outbox = Outbox {
            entries: Vec::new(),
            next_seq: 41,
        };
        for (seq, action) in actions.into_iter().enumerate() {
            outbox.entries.push(Entry {
                seq: seq as u64,
                action,
                failure: (seq == 3).then(|| Failure {
                    status: 400,
                    message: "no".into(),
                }),
                sent: seq % 2 == 0,
            });
        }
        let bytes = outbox.encode();
        assert_eq!(Outbox::decode(&bytes), Some(outbox));
        for len in 0..bytes.len() {
            assert_eq!(Outbox::decode(&bytes[..len]), None, "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Outbox::decode(&longer), None);
    }

    #[test]
    fn an_outbox_survives_serialization() {
        let mut outbox = Outbox::default();
        outbox.push(read("m", true), None);
        outbox.push(
            Action::SetFlag {
                id: "m".into(),
                flag: json!({"flagStatus": "flagged"}),
                was: None,
            },
            None,
        );
        assert_eq!(Outbox::decode(&outbox.encode()), Some(outbox.clone()));
    }
}
