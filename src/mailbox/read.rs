//! Reads: single items, folder pages, conversations, folders with counts,
//! calendar ranges, contact autocomplete.

use serde_json::Value;

use crate::crypto::Aad;
use crate::model::{normalize_address, search_prefix, words, Kind, Timestamp};
use crate::store::{
    fields, indexes, Key, KeyPart, Query, Record, STORE_FOLDER_COUNTS, STORE_META, STORE_SYNC_STATE,
};
use crate::Error;

use super::records::{EMAIL_SCOPE, PREFIX_SCOPE};
use super::write::{counts_of, EVENT_SPAN_KEY};
use super::Mailbox;

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
    /// quarantined and reported as [`Error::Integrity`].
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let key = self.record_key(kind, id);
        let Some(record) = self.db.get(kind.store(), &key).await? else {
            return Ok(None);
        };
        self.open_record(kind.store(), &record, Some(id))
            .await
            .map(Some)
    }

    /// Up to `limit` messages of a folder, newest first, starting after `cursor`.
    pub async fn list_messages(
        &self,
        folder_id: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<MessagePage, Error> {
        let folder = KeyPart::Bytes(self.folder_key(folder_id));
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
        let records = self
            .db
            .query(
                Kind::Message.store(),
                indexes::BY_FOLDER_RECENCY,
                &query,
                Some(limit),
            )
            .await?;
        let next_cursor = if records.len() == limit as usize {
            records.last().map(cursor_after)
        } else {
            None
        };
        let messages = self.open_records(Kind::Message, &records).await?;
        Ok(MessagePage {
            messages,
            next_cursor,
        })
    }

    /// Every message of a conversation, oldest first.
    pub async fn conversation(&self, conversation_id: &str) -> Result<Vec<Vec<u8>>, Error> {
        let blinded = self
            .blind
            .blind(
                super::records::CONVERSATION_SCOPE,
                conversation_id.as_bytes(),
            )
            .to_vec();
        let query = Query::Only(Key::One(KeyPart::Bytes(blinded)));
        let mut records = self
            .db
            .query(
                Kind::Message.store(),
                indexes::BY_CONVERSATION,
                &query,
                None,
            )
            .await?;
        records.sort_by(|a, b| number(b, fields::RECENCY).total_cmp(&number(a, fields::RECENCY)));
        self.open_records(Kind::Message, &records).await
    }

    /// Every stored folder, with `totalItemCount` and `unreadItemCount` counting
    /// the messages stored offline, sorted by `displayName`.
    pub async fn folders(&self) -> Result<Vec<Value>, Error> {
        let records = self.db.get_all(Kind::MailFolder.store()).await?;
        let counts = self.db.get_all(STORE_FOLDER_COUNTS).await?;
        let mut folders = Vec::with_capacity(records.len());
        for plaintext in self.open_records(Kind::MailFolder, &records).await? {
            let Ok(Value::Object(mut folder)) = serde_json::from_slice::<Value>(&plaintext) else {
                continue;
            };
            let id = folder.get("id").and_then(Value::as_str).unwrap_or_default();
            let key = self.folder_key(id);
            let count = counts
                .iter()
                .find(|r| r.bytes(fields::KEY) == Some(key.as_slice()))
                .map(counts_of)
                .unwrap_or_default();
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
        let span = self
            .db
            .get(STORE_META, EVENT_SPAN_KEY)
            .await?
            .and_then(|r| r.number(fields::END))
            .unwrap_or(0.0);
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
        let mut overlapping: Vec<Record> = records
            .into_iter()
            .filter(|r| {
                let (s, e) = (number(r, fields::START), number(r, fields::END));
                e > start || (e == s && s >= start)
            })
            .collect();
        overlapping.sort_by(|a, b| number(a, fields::START).total_cmp(&number(b, fields::START)));
        self.open_records(Kind::Event, &overlapping).await
    }

    /// Contacts whose name words or addresses start with `prefix`, by display name.
    pub async fn contacts(&self, prefix: &str, limit: usize) -> Result<Vec<Value>, Error> {
        let wanted = prefix.trim().to_lowercase();
        let records = if wanted.is_empty() {
            self.db.get_all(Kind::Contact.store()).await?
        } else {
            let tag = self
                .blind
                .blind(PREFIX_SCOPE, search_prefix(&wanted).as_bytes())
                .to_vec();
            let query = Query::Only(Key::One(KeyPart::Bytes(tag)));
            self.db
                .query(
                    Kind::Contact.store(),
                    indexes::BY_PREFIX,
                    &query,
                    Some(PREFIX_CANDIDATES),
                )
                .await?
        };
        let mut contacts: Vec<Value> = self
            .open_records(Kind::Contact, &records)
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
        let query = Query::Only(Key::One(KeyPart::Bytes(tag)));
        let records = self
            .db
            .query(Kind::Contact.store(), indexes::BY_EMAIL, &query, None)
            .await?;
        Ok(self
            .open_records(Kind::Contact, &records)
            .await?
            .into_iter()
            .next())
    }

    /// The `@odata.deltaLink` last stored for a scope.
    pub async fn delta_link(&self, kind: Kind, scope: &str) -> Result<Option<String>, Error> {
        let key = self.sync_state_key(kind, scope);
        let Some(record) = self.db.get(STORE_SYNC_STATE, &key).await? else {
            return Ok(None);
        };
        let sealed = record.value.as_deref().unwrap_or_default();
        match self.keyring.open(
            Aad {
                store: STORE_SYNC_STATE,
                key: &key,
            },
            sealed,
        ) {
            Ok(link) => Ok(String::from_utf8(link).ok()),
            Err(_) => Err(self
                .quarantine(STORE_SYNC_STATE, &record, Some(scope))
                .await),
        }
    }
}

fn number(record: &Record, field: &str) -> f64 {
    record.number(field).unwrap_or(0.0)
}

fn display_name(item: &Value) -> String {
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

/// The cursor after `record`: its recency and key, as `recency.hexkey`.
fn cursor_after(record: &Record) -> String {
    let key: String = record
        .bytes(fields::KEY)
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}.{key}", number(record, fields::RECENCY))
}

fn parse_cursor(cursor: &str) -> Result<(f64, Vec<u8>), Error> {
    let invalid = || Error::invalid("cursor", "is not a cursor returned by listMessages");
    let (time, key) = cursor.split_once('.').ok_or_else(invalid)?;
    let time: f64 = time
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite())
        .ok_or_else(invalid)?;
    if key.len() % 2 != 0 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let key = key
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    Ok((time, key))
}
