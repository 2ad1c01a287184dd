//! Reads: single items, folder pages, conversations, folders with counts,
//! calendar ranges, contact autocomplete.

use serde_json::Value;

use crate::crypto::Aad;
use crate::model::{normalize_address, search_prefix, words, Kind, Selection, Timestamp};
use futures_util::future::{try_join, try_join3};
use futures_util::TryFutureExt;

use crate::store::{
    cursor, fields, indexes, FieldValue, Key, KeyPart, Query, ReadTx, Record, STORE_MESSAGE_BODIES,
    STORE_META, STORE_SYNC_STATE,
};
use crate::Error;

use super::records::{CONVERSATION_SCOPE, EMAIL_SCOPE, PREFIX_SCOPE};
use super::{Mailbox, MailboxState};

/// Most contacts a prefix search opens before ranking; a one-letter prefix can match many.
const PREFIX_CANDIDATES: u32 = 2000;

/// One page of a folder, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePage {
    /// The messages' JSON.
    pub messages: Vec<Vec<u8>>,
    /// Where the next page starts, or `None` after the last page.
    pub next_cursor: Option<String>,
}

impl Mailbox {
    /// The stored item's JSON, or `None`. A value that fails authentication is
    /// quarantined and reported as [`Error::Integrity`]. A message comes back whole:
    /// its summary joined with its body record, read in the same transaction.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>, Error> {
        if kind == Kind::Message {
            return self.get_message(id).await;
        }
        let key = self.record_key(kind, id);
        let tx = self.db.begin_read(&[kind.store(), STORE_META])?;
        let found = tx.get(kind.store(), &key).err_into();
        let (state, record) = try_join(self.state_in(&tx), found).await?;
        self.take_state(state).await?;
        let Some(record) = record else {
            return Ok(None);
        };
        self.open_record(kind.store(), &record, Some(id))
            .await
            .map(Some)
    }

    async fn get_message(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let store = Kind::Message.store();
        let key = self.record_key(Kind::Message, id);
        let tx = self
            .db
            .begin_read(&[store, STORE_MESSAGE_BODIES, STORE_META])?;
        let summary = tx.get(store, &key).err_into();
        let body = tx.get(STORE_MESSAGE_BODIES, &key).err_into();
        let (state, summary, body) = try_join3(self.state_in(&tx), summary, body).await?;
        self.take_state(state).await?;
        let Some(summary) = summary else {
            return Ok(None);
        };
        let plaintext = self.open_record(store, &summary, Some(id)).await?;
        if summary.number(fields::BODY_AT).is_none() {
            // A whole message in the layout of schema 3, not yet split.
            return Ok(Some(plaintext));
        }
        self.with_body(&summary, body, &plaintext, Some(id))
            .await
            .map(Some)
    }

    /// Up to `limit` messages of a folder, newest first, starting after `cursor`,
    /// in the shape `selection` asks for (summaries unless told otherwise).
    pub async fn list_messages(
        &self,
        folder_id: &str,
        limit: u32,
        cursor: Option<&str>,
        selection: &Selection,
    ) -> Result<MessagePage, Error> {
        let folder_key = self.folder_key(folder_id);
        let folder = KeyPart::Bytes(folder_key.clone());
        // Recency is minus the received time, so ascending index order is newest
        // first and one getAll answers the page. [f] sorts before every [f, r, k]
        // and [f, +inf] after them, and both after/before every other folder.
        let lower = match cursor {
            Some(cursor) => {
                let (recency, key) = parse_cursor(cursor)?;
                vec![
                    folder.clone(),
                    KeyPart::Number(recency),
                    KeyPart::Bytes(key),
                ]
            }
            None => vec![folder.clone()],
        };
        let query = Query::Range {
            lower: Key::Array(lower),
            upper: Key::Array(vec![folder, KeyPart::Number(f64::INFINITY)]),
            lower_open: cursor.is_some(),
            upper_open: false,
        };
        let tx = self.begin_message_read(selection)?;
        let page = tx
            .query(
                Kind::Message.store(),
                indexes::BY_FOLDER_RECENCY,
                &query,
                Some(limit),
            )
            .err_into();
        let (state, records) = try_join(self.state_in(&tx), page).await?;
        self.take_state(state).await?;
        let next_cursor = if records.len() == limit as usize {
            records.last().map(cursor_after)
        } else {
            None
        };
        let bodies = self.bodies_of(&tx, &records, selection).await?;
        let in_folder = |r: &Record| r.bytes(fields::FOLDER) == Some(folder_key.as_slice());
        let messages = self
            .open_messages(&records, bodies, selection, in_folder)
            .await?;
        Ok(MessagePage {
            messages,
            next_cursor,
        })
    }

    /// Every message of a conversation, oldest first, in the shape `selection` asks for.
    pub async fn conversation(
        &self,
        conversation_id: &str,
        selection: &Selection,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let blinded = self
            .blind
            .blind(CONVERSATION_SCOPE, conversation_id.as_bytes())
            .to_vec();
        let query = Query::Only(Key::One(KeyPart::Bytes(blinded.clone())));
        let tx = self.begin_message_read(selection)?;
        let thread = tx
            .query(
                Kind::Message.store(),
                indexes::BY_CONVERSATION,
                &query,
                None,
            )
            .err_into();
        let (state, mut records) = try_join(self.state_in(&tx), thread).await?;
        self.take_state(state).await?;
        records.sort_by(|a, b| number(b, fields::RECENCY).total_cmp(&number(a, fields::RECENCY)));
        let bodies = self.bodies_of(&tx, &records, selection).await?;
        let in_conversation =
            |r: &Record| r.bytes(fields::CONVERSATION) == Some(blinded.as_slice());
        self.open_messages(&records, bodies, selection, in_conversation)
            .await
    }

    /// A read transaction over the message summaries, the state and, when the
    /// selection needs them, the body records.
    fn begin_message_read(&self, selection: &Selection) -> Result<ReadTx<'_>, Error> {
        let store = Kind::Message.store();
        let stores = match selection.needs_rest() {
            true => vec![store, STORE_MESSAGE_BODIES, STORE_META],
            false => vec![store, STORE_META],
        };
        Ok(self.db.begin_read(&stores)?)
    }

    /// The body records under the keys of `summaries`, read in `tx`, when the
    /// selection needs them; `None` (and no read) otherwise.
    async fn bodies_of(
        &self,
        tx: &ReadTx<'_>,
        summaries: &[Record],
        selection: &Selection,
    ) -> Result<Option<Vec<Option<Record>>>, Error> {
        if !selection.needs_rest() {
            return Ok(None);
        }
        let keys: Vec<Vec<u8>> = summaries
            .iter()
            .map(|r| r.bytes(fields::KEY).unwrap_or_default().to_vec())
            .collect();
        Ok(Some(tx.get_many(STORE_MESSAGE_BODIES, &keys).await?))
    }

    /// Every stored folder, with `totalItemCount` and `unreadItemCount` counting
    /// the messages stored offline, sorted by `displayName`.
    pub async fn folders(&self) -> Result<Vec<Value>, Error> {
        let tx = self
            .db
            .begin_read(&[Kind::MailFolder.store(), STORE_META])?;
        let all = tx.get_all(Kind::MailFolder.store()).err_into();
        let (state, records) = try_join(self.state_in(&tx), all).await?;
        let state = self.take_state(state).await?;
        let mut folders = Vec::with_capacity(records.len());
        for plaintext in self
            .open_matching(Kind::MailFolder, &records, |_| true)
            .await?
        {
            let Ok(Value::Object(mut folder)) = serde_json::from_slice::<Value>(&plaintext) else {
                continue;
            };
            let id = folder.get("id").and_then(Value::as_str).unwrap_or_default();
            let count = state.counts_of(&self.folder_key(id));
            folder.insert("totalItemCount".into(), count.total.into());
            folder.insert("unreadItemCount".into(), count.unread.into());
            folders.push(Value::Object(folder));
        }
        folders.sort_by_key(display_name);
        Ok(folders)
    }

    /// Event instances overlapping `[start, end)`, sorted by start. An instance
    /// `[s, e)` overlaps when `s < end` and `e > start`; a zero-length instance
    /// overlaps when `start <= s < end`.
    pub async fn events(&self, start: Timestamp, end: Timestamp) -> Result<Vec<Vec<u8>>, Error> {
        let span = self.current_state().await?.event_span as f64;
        let (start, end) = (start.0 as f64, end.0 as f64);
        let query = Query::Range {
            lower: Key::One(KeyPart::Number(start - span)),
            upper: Key::One(KeyPart::Number(end)),
            lower_open: false,
            upper_open: true,
        };
        let records = self
            .db
            .query(Kind::Event.store(), indexes::BY_START, &query, None)
            .await?;
        self.open_overlapping(records, start, end).await
    }

    /// The event `records` whose interval overlaps `[start, end)` (ms), opened,
    /// sorted by start.
    pub(super) async fn open_overlapping(
        &self,
        records: Vec<Record>,
        start: f64,
        end: f64,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let overlaps = |r: &Record| {
            let (s, e) = (number(r, fields::START), number(r, fields::END));
            s < end && (e > start || (e == s && s >= start))
        };
        let mut overlapping: Vec<Record> = records.into_iter().filter(overlaps).collect();
        overlapping.sort_by(|a, b| number(a, fields::START).total_cmp(&number(b, fields::START)));
        // The filter ran on fields read in clear; it runs again once they are authenticated.
        self.open_matching(Kind::Event, &overlapping, overlaps)
            .await
    }

    /// Contacts whose name words or addresses start with `prefix`, by display name.
    pub async fn contacts(&self, prefix: &str, limit: usize) -> Result<Vec<Value>, Error> {
        let wanted = prefix.trim().to_lowercase();
        let tag = self
            .blind
            .blind(PREFIX_SCOPE, search_prefix(&wanted).as_bytes())
            .to_vec();
        let store = Kind::Contact.store();
        let tx = self.db.begin_read(&[store, STORE_META])?;
        let query = Query::Only(Key::One(KeyPart::Bytes(tag.clone())));
        let candidates = async {
            match wanted.is_empty() {
                true => tx.get_all(store).await,
                false => {
                    let limit = Some(PREFIX_CANDIDATES);
                    tx.query(store, indexes::BY_PREFIX, &query, limit).await
                }
            }
        };
        let (state, records) = try_join(self.state_in(&tx), candidates.err_into()).await?;
        self.take_state(state).await?;
        let has_prefix = |r: &Record| wanted.is_empty() || has_tag(r, fields::PREFIXES, &tag);
        let mut contacts: Vec<Value> = self
            .open_matching(Kind::Contact, &records, has_prefix)
            .await?
            .iter()
            .filter_map(|plaintext| serde_json::from_slice::<Value>(plaintext).ok())
            .filter(|contact| wanted.is_empty() || matches_prefix(contact, &wanted))
            .collect();
        contacts.sort_by_key(display_name);
        contacts.truncate(limit);
        Ok(contacts)
    }

    /// The contact with this email address, if any.
    pub async fn contact_by_email(&self, email: &str) -> Result<Option<Vec<u8>>, Error> {
        let wanted = normalize_address(email);
        let tag = self.blind.blind(EMAIL_SCOPE, wanted.as_bytes()).to_vec();
        let query = Query::Only(Key::One(KeyPart::Bytes(tag.clone())));
        let tx = self.db.begin_read(&[Kind::Contact.store(), STORE_META])?;
        let found = tx
            .query(Kind::Contact.store(), indexes::BY_EMAIL, &query, None)
            .err_into();
        let (state, records) = try_join(self.state_in(&tx), found).await?;
        self.take_state(state).await?;
        let has_address = |r: &Record| has_tag(r, fields::EMAILS, &tag);
        Ok(self
            .open_matching(Kind::Contact, &records, has_address)
            .await?
            .into_iter()
            .next())
    }

    /// A `syncState` record and the state, read in one transaction (so the
    /// record is checked against the state it was written under).
    pub(super) async fn sync_record_with_state(
        &self,
        key: &[u8],
    ) -> Result<(MailboxState, Option<Record>), Error> {
        let tx = self.db.begin_read(&[STORE_SYNC_STATE, STORE_META])?;
        let found = tx.get(STORE_SYNC_STATE, key).err_into();
        let (state, record) = try_join(self.state_in(&tx), found).await?;
        Ok((self.take_state(state).await?, record))
    }

    /// A `syncState` record's plaintext; `None` when it fails authentication.
    pub(super) async fn open_sync_record(&self, key: &[u8], record: &Record) -> Option<Vec<u8>> {
        let sealed = record.value.as_deref().unwrap_or_default();
        self.keys()
            .open(Aad::at(STORE_SYNC_STATE, key), sealed)
            .await
            .ok()
    }

    /// The `@odata.deltaLink` last stored for a scope. A link stored before the
    /// scope's last reset (an old copy put back) is quarantined: `Integrity`.
    pub async fn delta_link(&self, kind: Kind, scope: &str) -> Result<Option<String>, Error> {
        let key = self.sync_state_key(kind, scope);
        let (state, record) = self.sync_record_with_state(&key).await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let opened = self
            .open_sync_record(&key, &record)
            .await
            .and_then(|plaintext| parse_sync_state(&plaintext));
        match opened {
            Some((written, link))
                if !state.predates_reset(&self.scope_key(kind, scope), written) =>
            {
                Ok(Some(link))
            }
            _ => Err(self
                .quarantine(STORE_SYNC_STATE, &record, Some(scope))
                .await),
        }
    }
}

/// Splits a sealed sync state into the write counter it was stored at and the link.
fn parse_sync_state(plaintext: &[u8]) -> Option<(u64, String)> {
    let (written, link) = plaintext.split_at_checked(8)?;
    let written = u64::from_be_bytes(written.try_into().ok()?);
    Some((written, String::from_utf8(link.to_vec()).ok()?))
}

fn number(record: &Record, field: &str) -> f64 {
    record.number(field).unwrap_or(0.0)
}

/// Whether a multi-entry field of `record` holds `tag`.
fn has_tag(record: &Record, field: &str, tag: &[u8]) -> bool {
    match record.field(field) {
        Some(FieldValue::BytesList(tags)) => tags.iter().any(|t| t == tag),
        _ => false,
    }
}

/// The key contacts are sorted by: the display name, lowercased.
pub(super) fn display_name(item: &Value) -> String {
    item.get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase()
}

/// Whether a name word or address of `contact` starts with the normalized `prefix`.
fn matches_prefix(contact: &Value, prefix: &str) -> bool {
    let names = ["displayName", "givenName", "surname"]
        .iter()
        .filter_map(|field| contact.get(*field).and_then(Value::as_str))
        .flat_map(words);
    let addresses = contact
        .get("emailAddresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("address").and_then(Value::as_str))
        .map(normalize_address);
    names.chain(addresses).any(|word| word.starts_with(prefix))
}

/// The cursor after `record`: its recency and key.
fn cursor_after(record: &Record) -> String {
    let key = record.bytes(fields::KEY).unwrap_or_default();
    cursor_of(number(record, fields::RECENCY), key)
}

/// The cursor after a message of this recency (minus its received time) and key.
pub(super) fn cursor_of(recency: f64, key: &[u8]) -> String {
    cursor::encode(recency, key)
}

pub(super) fn parse_cursor(text: &str) -> Result<(f64, Vec<u8>), Error> {
    cursor::decode(text)
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor returned by listMessages"))
}
