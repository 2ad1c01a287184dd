//! The offline actions of [`OfflineMailbox`]: what the user does to mail and
//! meetings, applied to the offline copy at once and queued in the sealed outbox.

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::model::Kind;
use crate::sync::{Action, EventResponse, LOCAL_ID_PREFIX};
use crate::Error;

use super::types::{CommentArg, DeleteOptionsArg};
use super::{convert, promise, OfflineMailbox};

#[wasm_bindgen]
impl OfflineMailbox {
    /// Marks messages read (`true`) or unread (`false`). Listings and folder
    /// counts show it at once; the change waits in the outbox for the server.
    /// Marking a message back before the server has it cancels both.
    ///
    /// ```js
    /// await mailbox.markRead(["AAMk1", "AAMk2"], true);
    /// ```
    #[wasm_bindgen(js_name = markRead, unchecked_return_type = "Promise<void>")]
    pub fn mark_read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(js_name = isRead, unchecked_param_type = "boolean")] is_read: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let ids = convert::ids(&ids, "ids")?;
            let is_read = is_read
                .as_bool()
                .ok_or_else(|| Error::invalid("isRead", "must be true or false"))?;
            let actions = ids
                .into_iter()
                .map(|id| Action::MarkRead {
                    id,
                    is_read,
                    was: None,
                })
                .collect();
            act(&session, Kind::Message, actions).await
        })
    }

    /// Sets messages' follow-up flag (a Graph `followupFlag`, such as
    /// `{ flagStatus: "flagged" }`).
    ///
    /// ```js
    /// await mailbox.setFlag(["AAMk1"], { flagStatus: "flagged" });
    /// ```
    #[wasm_bindgen(js_name = setFlag, unchecked_return_type = "Promise<void>")]
    pub fn set_flag(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FollowupFlag")] flag: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let ids = convert::ids(&ids, "ids")?;
            let flag = convert::json_arg(&flag, "flag")?;
            if !flag.is_object() {
                return Err(Error::invalid("flag", "must be a followupFlag object"));
            }
            let actions = ids
                .into_iter()
                .map(|id| Action::SetFlag {
                    id,
                    flag: flag.clone(),
                    was: None,
                })
                .collect();
            act(&session, Kind::Message, actions).await
        })
    }

    /// Replaces messages' categories.
    ///
    /// ```js
    /// await mailbox.setCategories(["AAMk1"], ["Blue category"]);
    /// ```
    #[wasm_bindgen(js_name = setCategories, unchecked_return_type = "Promise<void>")]
    pub fn set_categories(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] categories: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let ids = convert::ids(&ids, "ids")?;
            let categories = convert::ids(&categories, "categories")?;
            let actions = ids
                .into_iter()
                .map(|id| Action::SetCategories {
                    id,
                    categories: categories.clone(),
                    was: None,
                })
                .collect();
            act(&session, Kind::Message, actions).await
        })
    }

    /// Moves messages to another folder (by its id). Two moves of a message keep
    /// the last; moving it back cancels both.
    ///
    /// ```js
    /// await mailbox.move(["AAMk1"], archiveFolderId);
    /// ```
    #[wasm_bindgen(js_name = move, unchecked_return_type = "Promise<void>")]
    pub fn move_to(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        #[wasm_bindgen(js_name = folderId, unchecked_param_type = "string")] folder_id: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let ids = convert::ids(&ids, "ids")?;
            let folder_id = convert::string_arg(&folder_id, "folderId")?;
            if folder_id.is_empty() {
                return Err(Error::invalid("folderId", "must not be empty"));
            }
            let actions = ids
                .into_iter()
                .map(|id| Action::Move {
                    id,
                    folder_id: folder_id.clone(),
                    was: None,
                })
                .collect();
            act(&session, Kind::Message, actions).await
        })
    }

    /// Deletes messages: the server moves them to Deleted Items, or with
    /// `{ permanent: true }` deletes them for good. They leave the offline copy
    /// at once, and a delete replaces any earlier pending action on them.
    ///
    /// ```js
    /// await mailbox.delete(["AAMk1"]);
    /// await mailbox.delete(["AAMk2"], { permanent: true });
    /// ```
    #[wasm_bindgen(js_name = delete, unchecked_return_type = "Promise<void>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] ids: JsValue,
        options: Option<DeleteOptionsArg>,
    ) -> Promise {
        let options: JsValue = options.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let ids = convert::ids(&ids, "ids")?;
            let permanent = convert::optional_bool(&options, "permanent")?.unwrap_or(false);
            let actions = ids
                .into_iter()
                .map(|id| Action::Delete { id, permanent })
                .collect();
            act(&session, Kind::Message, actions).await
        })
    }

    /// Saves a draft (a Graph message): stored at once (in `parentFolderId`, by
    /// default the well-known `"drafts"`), created or updated on the server at
    /// the next sync. Resolves to its id: for a new draft a local one
    /// (`offline-draft-…`), which the server's id replaces once it has created
    /// it (the outbox's later actions on it follow).
    ///
    /// ```js
    /// const id = await mailbox.saveDraft({ subject: "Minutes", body: { contentType: "text", content: "…" },
    ///   toRecipients: [{ emailAddress: { address: "adele@contoso.example" } }] });
    /// ```
    #[wasm_bindgen(js_name = saveDraft, unchecked_return_type = "Promise<string>")]
    pub fn save_draft(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Message")] message: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let (id, message) = message_with_id(&message)?;
            let action = Action::SaveDraft {
                id: id.clone(),
                message,
            };
            act(&session, Kind::Message, vec![action]).await?;
            Ok(JsValue::from_str(&id))
        })
    }

    /// Sends a message: a saved draft (by its `id`) or a new message. It leaves
    /// the offline copy's drafts at once and goes to the server at the next sync
    /// (the server files it in Sent Items).
    ///
    /// ```js
    /// await mailbox.send({ id: draftId, subject: "Minutes", toRecipients: [...] });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Message")] message: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let (id, message) = message_with_id(&message)?;
            act(&session, Kind::Message, vec![Action::Send { id, message }]).await
        })
    }

    /// Answers a meeting request: `"accept"`, `"tentativelyAccept"` or
    /// `"decline"`, with an optional comment for the organizer. The stored
    /// event's `responseStatus` shows it at once.
    ///
    /// ```js
    /// await mailbox.respondToEvent(eventId, "accept", "See you there");
    /// ```
    #[wasm_bindgen(js_name = respondToEvent, unchecked_return_type = "Promise<void>")]
    pub fn respond_to_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EventResponse")] response: JsValue,
        comment: Option<CommentArg>,
    ) -> Promise {
        let comment: JsValue = comment.map(Into::into).unwrap_or_default();
        let session = self.session.clone();
        promise(async move {
            let id = convert::string_arg(&id, "id")?;
            if !convert::is_item_id(&id) {
                return Err(Error::invalid(
                    "id",
                    "must be an event id (not empty, \".\" or \"..\")",
                ));
            }
            let response = match convert::string_arg(&response, "response")?.as_str() {
                "accept" => EventResponse::Accept,
                "tentativelyAccept" => EventResponse::TentativelyAccept,
                "decline" => EventResponse::Decline,
                _ => {
                    return Err(Error::invalid(
                        "response",
                        "must be \"accept\", \"tentativelyAccept\" or \"decline\"",
                    ))
                }
            };
            let comment = match comment.is_undefined() {
                true => String::new(),
                false => convert::string_arg(&comment, "comment")?,
            };
            let action = Action::RespondToEvent {
                id,
                response,
                comment,
            };
            act(&session, Kind::Event, vec![action]).await
        })
    }

    /// The actions waiting for the server, oldest first: `{ seq, kind, id, ... }`
    /// with the action's own fields (`isRead`, `flag`, `categories`, `folderId`,
    /// `permanent`, `response`, `comment`).
    ///
    /// ```js
    /// const pending = await mailbox.pendingActions();
    /// badge.textContent = pending.length ? String(pending.length) : "";
    /// ```
    #[wasm_bindgen(js_name = pendingActions, unchecked_return_type = "Promise<PendingAction[]>")]
    pub fn pending_actions(&self) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let Some(mailbox) = session.store()? else {
                return convert::from_json(b"[]");
            };
            let entries: Vec<Value> = mailbox
                .pending_actions()
                .await?
                .into_iter()
                .map(|entry| {
                    let mut action = entry.action.describe();
                    if let Value::Object(fields) = &mut action {
                        fields.insert("seq".into(), entry.seq.into());
                        if let Some(failure) = &entry.failure {
                            let failure = serde_json::json!({"status": failure.status, "message": failure.message});
                            fields.insert("failure".into(), failure);
                        }
                    }
                    action
                })
                .collect();
            convert::from_json(&serde_json::to_vec(&entries).unwrap_or_default())
        })
    }
}

#[wasm_bindgen]
impl OfflineMailbox {
    /// Sends a refused action again at the next sync (after the user fixed
    /// what the server objected to, for instance). `seq` is from
    /// `pendingActions()`; an action that was not refused is `InvalidInput`, and
    /// so is one the user has since superseded (a later move, flag, read state,
    /// categories, save or answer on the same item replaces a refused one).
    ///
    /// ```js
    /// for (const a of await mailbox.pendingActions()) if (a.failure) await mailbox.retryAction(a.seq);
    /// ```
    #[wasm_bindgen(js_name = retryAction, unchecked_return_type = "Promise<void>")]
    pub fn retry_action(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] seq: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let seq = action_seq(&seq)?;
            outbox_of(&session)?.retry_action(seq).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Gives up an action, refused or not yet sent: it leaves the outbox, and
    /// a read state, flag, categories or folder it changed is put back in the
    /// offline copy (other changes, such as a delete, show the server's
    /// version when the server next sends the item). An action a sync is
    /// sending cannot be taken back: `InvalidInput`.
    ///
    /// ```js
    /// await mailbox.discardAction(pending[0].seq);
    /// ```
    #[wasm_bindgen(js_name = discardAction, unchecked_return_type = "Promise<void>")]
    pub fn discard_action(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] seq: JsValue,
    ) -> Promise {
        let session = self.session.clone();
        promise(async move {
            let seq = action_seq(&seq)?;
            outbox_of(&session)?.discard_action(seq).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// An action's `seq` argument: a whole number from `pendingActions()`.
fn action_seq(seq: &JsValue) -> Result<u64, Error> {
    seq.as_f64()
        .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= 9_007_199_254_740_991.0)
        .map(|n| n as u64)
        .ok_or_else(|| Error::invalid("seq", "must be the seq of an entry of pendingActions()"))
}

/// The mailbox whose outbox an action on the queue changes.
fn outbox_of(
    session: &crate::session::Session,
) -> Result<std::rc::Rc<crate::mailbox::Mailbox>, Error> {
    session.store()?.ok_or_else(|| {
        Error::PolicyDenied(
            "offline actions are kept only while offline is on (enableOffline)".into(),
        )
    })
}

/// A message argument as JSON with its id (a new local one if it has none) and
/// its folder (Drafts if it names none).
fn message_with_id(message: &JsValue) -> Result<(String, Value), Error> {
    let mut message = convert::json_arg(message, "message")?;
    let Value::Object(fields) = &mut message else {
        return Err(Error::invalid("message", "must be a Graph message object"));
    };
    let id = match fields.get("id") {
        Some(Value::String(id)) if convert::is_item_id(id) => id.clone(),
        None | Some(Value::Null) => {
            let random: [u8; 16] = crate::crypto::random_bytes()?;
            let hex: String = crate::hex::encode(&random);
            format!("{LOCAL_ID_PREFIX}{hex}")
        }
        Some(_) => {
            return Err(Error::invalid(
                "message.id",
                "must be a non-empty string when given",
            ))
        }
    };
    fields.insert("id".into(), Value::String(id.clone()));
    fields
        .entry("parentFolderId")
        .or_insert_with(|| Value::String("drafts".into()));
    fields.insert("isDraft".into(), Value::Bool(true));
    Ok((id, message))
}

/// Applies and queues `actions` in the offline copy; while offline is off there
/// is nowhere to keep them sealed.
async fn act(
    session: &crate::session::Session,
    kind: Kind,
    actions: Vec<Action>,
) -> Result<JsValue, Error> {
    outbox_of(session)?.act(kind, actions).await?;
    Ok(JsValue::UNDEFINED)
}
