//! Turning validated items into sealed, blinded records, and records back into JSON.

use crate::crypto::{key_id, RecordPlace, BLINDED_LEN};
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
    /// scope, computed once per batch by the caller. The seal binds every clear
    /// field, including the write counter `n` of the transaction it is for.
    pub(super) fn seal_item(
        &self,
        kind: Kind,
        scope_key: &[u8],
        item: &Item,
    ) -> Result<SealedItem, Error> {
        let key = self.record_key(kind, &item.id);
        let (record, placement) = self.index_fields(scope_key, item);
        let record = self.seal_fields(kind.store(), &key, record, &item.to_json_bytes())?;
        Ok(SealedItem {
            key,
            record,
            placement,
        })
    }

    /// Seals `plaintext` into `record`, bound to its place and clear fields.
    pub(super) fn seal_fields(
        &self,
        store: &str,
        key: &[u8],
        mut record: Record,
        plaintext: &[u8],
    ) -> Result<Record, Error> {
        let canonical = record.canonical_fields();
        let place = RecordPlace {
            store,
            key,
            fields: &canonical,
        };
        let sealed = self.keyring.borrow().seal_record(place, plaintext)?;
        record.value = Some(sealed.value);
        record.set(
            fields::FIELDS_TAG,
            FieldValue::Bytes(sealed.fields_tag.to_vec()),
        );
        Ok(record)
    }

    fn index_fields(&self, scope_key: &[u8], item: &Item) -> (Record, Option<Placement>) {
        let mut record = Record::default()
            .with(fields::SCOPE, FieldValue::Bytes(scope_key.to_vec()))
            .with(
                fields::WRITTEN_AT,
                FieldValue::Number(self.next_counter() as f64),
            );
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
        (record, placement)
    }

    /// Opens an item record read from `store`. A record that fails authentication
    /// (its value, its place or any clear field altered), or that was written
    /// before its sync scope was last reset (an old copy put back), is quarantined
    /// and reported as [`Error::Integrity`].
    pub(super) async fn open_record(
        &self,
        store: &str,
        record: &Record,
        id: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        match self.try_open(store, record).await? {
            Some(plaintext) if !self.predates_reset(record) => Ok(plaintext),
            _ => Err(self.quarantine(store, record, id).await),
        }
    }

    /// Opens each record that belongs in the answer to a query: one that fails
    /// authentication, or whose authenticated fields show it does not match the
    /// query (`belongs` is false: the index led somewhere it should not), is
    /// quarantined and left out; the rest are returned in order.
    pub(super) async fn open_matching(
        &self,
        kind: Kind,
        records: &[Record],
        belongs: impl Fn(&Record) -> bool,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            let opened = match self.open_record(kind.store(), record, None).await {
                Ok(plaintext) => plaintext,
                Err(Error::Integrity { .. }) => continue,
                Err(other) => return Err(other),
            };
            if belongs(record) {
                out.push(opened);
            } else {
                self.quarantine(kind.store(), record, None).await;
            }
        }
        Ok(out)
    }

    /// Decrypts a record, or `None` if it fails authentication. A record sealed
    /// under a data key this connection does not hold may come from another tab's
    /// rotation: the keyring is read again before giving up.
    pub(super) async fn try_open(
        &self,
        store: &str,
        record: &Record,
    ) -> Result<Option<Vec<u8>>, Error> {
        let Some(sealed) = record.value.as_deref() else {
            return Ok(None);
        };
        if key_id(sealed).is_some_and(|id| !self.keyring.borrow().holds_key(id)) {
            self.reload_keyring().await?;
        }
        Ok(with_place(store, record, |place| {
            self.keyring.borrow().open_record(place, sealed).ok()
        }))
    }

    /// Whether an (authenticated) item record was written before its scope's last reset.
    fn predates_reset(&self, record: &Record) -> bool {
        let (Some(scope), Some(written)) = (
            record.bytes(fields::SCOPE),
            record.number(fields::WRITTEN_AT),
        ) else {
            return false;
        };
        self.state
            .borrow()
            .predates_reset(scope, written.max(0.0) as u64)
    }
}

/// Calls `use_place` with the place a stored record was found at and its clear
/// fields as found: what its seal is checked against.
pub fn with_place<T>(
    store: &str,
    record: &Record,
    use_place: impl FnOnce(RecordPlace<'_>) -> T,
) -> T {
    let key = record.bytes(fields::KEY).unwrap_or_default();
    let canonical = record.canonical_fields();
    use_place(RecordPlace {
        store,
        key,
        fields: &canonical,
    })
}

/// Where a stored message record counts, read from its clear index fields.
pub fn stored_placement(record: &Record) -> Option<Placement> {
    let folder = record.bytes(fields::FOLDER)?.to_vec();
    Some(Placement {
        folder,
        unread: record.number(fields::UNREAD) == Some(1.0),
    })
}
