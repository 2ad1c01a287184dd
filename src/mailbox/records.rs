//! Turning validated items into sealed, blinded records, and records back into JSON.

use crate::crypto::{Aad, BLINDED_LEN};
use crate::model::{Facts, Item, Kind};
use crate::store::{fields, FieldValue, Record};
use crate::sync::Placement;
use crate::Error;

use super::Mailbox;

/// Blinding scope of message folder ids; also the key of the folder's counts.
pub const FOLDER_SCOPE: &str = "messages/folder";
/// Blinding scope of conversation ids.
pub const CONVERSATION_SCOPE: &str = "messages/conversation";
/// Blinding scope of contact search prefixes.
pub const PREFIX_SCOPE: &str = "contacts/prefix";
/// Blinding scope of contact addresses.
pub const EMAIL_SCOPE: &str = "contacts/email";
/// The scope items written by the `put*` methods belong to.
pub const DEFAULT_SCOPE: &str = "";

/// A sealed item ready for a write transaction.
pub struct SealedItem {
    /// Blinded record key.
    pub key: [u8; BLINDED_LEN],
    /// The record to store.
    pub record: Record,
    /// Where it counts (messages only).
    pub placement: Option<Placement>,
}

impl Mailbox {
    /// The blinded record key of `id` in `kind`'s store.
    pub(super) fn record_key(&self, kind: Kind, id: &str) -> [u8; BLINDED_LEN] {
        self.blind.blind(kind.store(), id.as_bytes())
    }

    /// The blinded form of a scope name.
    pub(super) fn scope_key(&self, kind: Kind, scope: &str) -> Vec<u8> {
        self.blind
            .blind(&format!("scope/{}", kind.store()), scope.as_bytes())
            .to_vec()
    }

    /// The blinded folder id used by the folder index and as the counts key.
    pub(super) fn folder_key(&self, folder_id: &str) -> Vec<u8> {
        self.blind
            .blind(FOLDER_SCOPE, folder_id.as_bytes())
            .to_vec()
    }

    /// Seals `item` and derives its index fields; `scope_key` is the blinded sync
    /// scope, computed once per batch by the caller.
    pub(super) fn seal_item(
        &self,
        kind: Kind,
        scope_key: &[u8],
        item: &Item,
    ) -> Result<SealedItem, Error> {
        let store = kind.store();
        let key = self.record_key(kind, &item.id);
        let value = self
            .keyring
            .seal(Aad { store, key: &key }, &item.to_json_bytes())?;
        let mut record =
            Record::sealed(value).with(fields::SCOPE, FieldValue::Bytes(scope_key.to_vec()));
        let mut placement = None;
        match &item.facts {
            Facts::Message {
                folder,
                conversation,
                received,
                unread,
            } => {
                record = record.with(
                    fields::RECENCY,
                    FieldValue::Number(received.map_or(0.0, |t| -(t.0 as f64))),
                );
                record = record.with(
                    fields::UNREAD,
                    FieldValue::Number(f64::from(u8::from(*unread))),
                );
                if let Some(conversation) = conversation {
                    let blinded = self
                        .blind
                        .blind(CONVERSATION_SCOPE, conversation.as_bytes())
                        .to_vec();
                    record = record.with(fields::CONVERSATION, FieldValue::Bytes(blinded));
                }
                if let Some(folder) = folder {
                    let folder = self.folder_key(folder);
                    record = record.with(fields::FOLDER, FieldValue::Bytes(folder.clone()));
                    placement = Some(Placement {
                        folder,
                        unread: *unread,
                    });
                }
            }
            Facts::Contact { prefixes, emails } => {
                let tags = |scope: &str, values: &[String]| {
                    FieldValue::BytesList(
                        values
                            .iter()
                            .map(|v| self.blind.blind(scope, v.as_bytes()).to_vec())
                            .collect(),
                    )
                };
                record = record.with(fields::PREFIXES, tags(PREFIX_SCOPE, prefixes));
                record = record.with(fields::EMAILS, tags(EMAIL_SCOPE, emails));
            }
            Facts::Event { start, end } => {
                record = record.with(fields::START, FieldValue::Number(start.0 as f64));
                record = record.with(fields::END, FieldValue::Number(end.0 as f64));
            }
            Facts::Folder => {}
        }
        Ok(SealedItem {
            key,
            record,
            placement,
        })
    }

    /// Opens a record read from `kind`'s store. A record that fails authentication
    /// is quarantined and reported as [`Error::Integrity`].
    pub(super) async fn open_record(
        &self,
        store: &str,
        record: &Record,
        id: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        let key = record.bytes(fields::KEY).unwrap_or_default();
        let sealed = record.value.as_deref().unwrap_or_default();
        match self.keyring.open(Aad { store, key }, sealed) {
            Ok(plaintext) => Ok(plaintext),
            Err(_) => Err(self.quarantine(store, record, id).await),
        }
    }

    /// Opens every record, setting aside (quarantining) any that fail; the rest are returned.
    pub(super) async fn open_records(
        &self,
        kind: Kind,
        records: &[Record],
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            match self.open_record(kind.store(), record, None).await {
                Ok(plaintext) => out.push(plaintext),
                Err(Error::Integrity { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(out)
    }
}

/// Where a stored message record counts, read from its clear index fields.
pub fn stored_placement(record: &Record) -> Option<Placement> {
    let folder = record.bytes(fields::FOLDER)?.to_vec();
    Some(Placement {
        folder,
        unread: record.number(fields::UNREAD) == Some(1.0),
    })
}
