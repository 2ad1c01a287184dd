//! Turning validated items into sealed, blinded records, and records back into JSON.

use std::future::Future;

use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};

use crate::crypto::{key_id, RecordPlace, BLINDED_LEN};
use crate::model::{join_json_objects, split_message_json, Facts, Item, Kind, Selection};
use crate::search::docs::flags as doc_flags;
use crate::search::{DocEntry, SearchDocument};
use crate::store::{fields, FieldValue, Record, STORE_MESSAGE_BODIES};
use crate::sync::Placement;
use crate::Error;

use super::Mailbox;

/// The body pointer (`b`) of a message whose body was evicted to make room: the
/// summary stays, and reads say the body must be fetched again.
pub const BODY_EVICTED: f64 = -1.0;
/// What a read adds to a message whose body was evicted.
const EVICTED_MARKER: &[u8] = br#"{"@offlineMailbox.bodyEvicted":true}"#;

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

/// A [`SealedItem`] being sealed by WebCrypto.
pub type Sealing = LocalBoxFuture<'static, Result<SealedItem, Error>>;

/// A sealed item ready for a write transaction.
#[derive(Clone)]
pub struct SealedItem {
    /// Blinded record key.
    pub key: [u8; BLINDED_LEN],
    /// The item's id, when the write knows it (named in the change notice).
    pub id: Option<String>,
    /// The record to store.
    pub record: Record,
    /// Where it counts (messages only).
    pub placement: Option<Placement>,
    /// A message's body record (the rest of it, for `messageBodies`), or `None`
    /// when the write changes only the summary and the stored body stays.
    pub body: Option<Record>,
    /// What the search index learns from the write (`None`: the index stays as
    /// it is, as when only a message's body pointer changes, or for a folder).
    pub search: Option<SearchItem>,
}

/// What the search index learns from a write of a message, contact or event.
#[derive(Clone)]
pub struct SearchItem {
    /// The document table's entry for the item (time, folder tag, flags).
    pub entry: DocEntry,
    /// The terms of a whole message; `None` when only its summary is written
    /// (the terms stay as indexed, the entry is updated).
    pub document: Option<SearchDocument>,
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
        let key = self
            .blind
            .blind(FOLDER_SCOPE, folder_id.as_bytes())
            .to_vec();
        self.remember_folder(&key, folder_id);
        key
    }

    /// Seals `item` and derives its index fields; `scope_key` is the blinded sync
    /// scope, computed once per batch by the caller. The seal binds every clear
    /// field, including the write counter `n` of the transaction it is for. A
    /// message becomes two records: its summary and the rest (its body record).
    /// The sealing starts now: start a batch of them, then await each.
    pub(super) fn seal_item(&self, kind: Kind, scope_key: &[u8], item: &Item) -> Sealing {
        if kind == Kind::Message {
            return self.seal_message(scope_key, item);
        }
        let key = self.record_key(kind, &item.id);
        let (record, placement) = self.index_fields(scope_key, item);
        let record = self.seal_fields(kind.store(), &key, record, &item.to_json_bytes());
        let search = item_search(&key, item);
        let sealing = sealed_item(key, &item.id, record, placement);
        Box::pin(async move {
            let mut sealed = sealing.await?;
            sealed.search = search;
            Ok(sealed)
        })
    }

    /// A whole message as a summary record and a body record, both written now.
    fn seal_message(&self, scope_key: &[u8], item: &Item) -> Sealing {
        let key = self.record_key(Kind::Message, &item.id);
        let (summary, rest) = split_message_json(&item.fields);
        let written = self.next_counter() as f64;
        let body_fields = Record::default().with(fields::WRITTEN_AT, FieldValue::Number(written));
        let body = self.seal_fields(STORE_MESSAGE_BODIES, &key, body_fields, &rest);
        let sealed = self.seal_summary_json(scope_key, item, &summary, written);
        let document = SearchDocument::of_message(&item.fields);
        Box::pin(async move {
            let mut sealed = sealed.await?;
            sealed.body = Some(body.await?);
            if let Some(search) = &mut sealed.search {
                search.document = Some(document);
            }
            Ok(sealed)
        })
    }

    /// A message's summary record alone, pointing at the body record written at
    /// `body_at`; `summary` holds the item's summary fields. The sealing starts now.
    pub(super) fn seal_summary(
        &self,
        scope_key: &[u8],
        item: &Item,
        summary: &Map<String, Value>,
        body_at: f64,
    ) -> Sealing {
        self.seal_summary_json(scope_key, item, &to_json(summary), body_at)
    }

    /// [`Mailbox::seal_summary`] from the summary's JSON text.
    fn seal_summary_json(
        &self,
        scope_key: &[u8],
        item: &Item,
        summary: &[u8],
        body_at: f64,
    ) -> Sealing {
        let key = self.record_key(Kind::Message, &item.id);
        let (record, placement) = self.index_fields(scope_key, item);
        let record = record.with(fields::BODY_AT, FieldValue::Number(body_at));
        let record = self.seal_fields(Kind::Message.store(), &key, record, summary);
        let evicted = body_at == BODY_EVICTED;
        let search = self.search_entry(&key, item, evicted);
        // A message whose body was evicted is indexed anew by its summary alone,
        // so a changed subject, sender or category is found (and the old not).
        let document = evicted.then(|| SearchDocument::of_message(&item.fields));
        let sealing = sealed_item(key, &item.id, record, placement);
        Box::pin(async move {
            let mut sealed = sealing.await?;
            sealed.search = search.map(|entry| SearchItem { entry, document });
            Ok(sealed)
        })
    }

    /// The document table's entry for a message item (`None` for other kinds);
    /// `body_gone` when its body was evicted.
    pub(super) fn search_entry(
        &self,
        key: &[u8; BLINDED_LEN],
        item: &Item,
        body_gone: bool,
    ) -> Option<DocEntry> {
        let Facts::Message {
            folder,
            received,
            unread,
            ..
        } = &item.facts
        else {
            return None;
        };
        let flagged = item
            .fields
            .get("flag")
            .and_then(|flag| flag.get("flagStatus"))
            .and_then(Value::as_str)
            == Some("flagged");
        let attachments = item.fields.get("hasAttachments").and_then(Value::as_bool) == Some(true);
        let mut bits = 0;
        for (set, bit) in [
            (*unread, doc_flags::UNREAD),
            (flagged, doc_flags::FLAGGED),
            (attachments, doc_flags::ATTACHMENTS),
            (body_gone, doc_flags::BODY_GONE),
        ] {
            if set {
                bits |= bit;
            }
        }
        Some(DocEntry {
            key: *key,
            received: received.map_or(0, |time| time.0),
            folder: folder.as_deref().map_or(0, |id| self.folder_tag(id)),
            flags: bits,
        })
    }

    /// The document table's tag of a folder id: the first bytes of its blinded form.
    pub(super) fn folder_tag(&self, folder_id: &str) -> u32 {
        let blinded = self.blind.blind(FOLDER_SCOPE, folder_id.as_bytes());
        u32::from_be_bytes([blinded[0], blinded[1], blinded[2], blinded[3]])
    }

    /// Seals `plaintext` into `record`, bound to its place and clear fields. The
    /// sealing starts now.
    pub(super) fn seal_fields(
        &self,
        store: &str,
        key: &[u8],
        mut record: Record,
        plaintext: &[u8],
    ) -> impl Future<Output = Result<Record, Error>> {
        let canonical = record.canonical_fields();
        let place = RecordPlace {
            store,
            key,
            fields: &canonical,
        };
        let sealed = self.keyring.borrow().seal_record(place, plaintext);
        async move {
            let sealed = sealed.await?;
            record.value = Some(sealed.value);
            record.set(
                fields::FIELDS_TAG,
                FieldValue::Bytes(sealed.fields_tag.to_vec()),
            );
            Ok(record)
        }
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
        Ok(self
            .open_matching_at(kind, records, belongs)
            .await?
            .into_iter()
            .map(|(_, plaintext)| plaintext)
            .collect())
    }

    /// [`Mailbox::open_matching`], each plaintext with the index of its record.
    pub(super) async fn open_matching_at(
        &self,
        kind: Kind,
        records: &[Record],
        belongs: impl Fn(&Record) -> bool,
    ) -> Result<Vec<(usize, Vec<u8>)>, Error> {
        // Every record is handed to WebCrypto before any is awaited: one batch.
        let attempts: Vec<_> = records
            .iter()
            .map(|record| self.try_open(kind.store(), record))
            .collect();
        let mut out = Vec::with_capacity(records.len());
        for (index, (record, attempt)) in records.iter().zip(attempts).enumerate() {
            let opened = match attempt.await? {
                Some(plaintext) if !self.predates_reset(record) => plaintext,
                _ => {
                    self.quarantine(kind.store(), record, None).await;
                    continue;
                }
            };
            if belongs(record) {
                out.push((index, opened));
            } else {
                self.quarantine(kind.store(), record, None).await;
            }
        }
        Ok(out)
    }

    /// Opens the message summaries that belong in an answer (see
    /// [`Mailbox::open_matching`]) and gives each in the `selection`'s shape.
    /// `bodies` holds the body records under the same keys, read in the same
    /// transaction when the selection needs them; a message whose body fails is
    /// left out.
    pub(super) async fn open_messages(
        &self,
        summaries: &[Record],
        bodies: Option<Vec<Option<Record>>>,
        selection: &Selection,
        belongs: impl Fn(&Record) -> bool,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let opened = self
            .open_matching_at(Kind::Message, summaries, belongs)
            .await?;
        let mut out = Vec::with_capacity(opened.len());
        for (index, plaintext) in opened {
            let summary = &summaries[index];
            let body = bodies
                .as_ref()
                .and_then(|b| b.get(index).cloned().flatten());
            // A record without a body pointer is a whole message in the layout of
            // schema 3, not yet split.
            let split = summary.number(fields::BODY_AT).is_some();
            let message = match (&bodies, split) {
                (Some(_), true) => match self.with_body(summary, body, &plaintext, None).await {
                    Ok(whole) => whole,
                    Err(Error::Integrity { .. }) => continue,
                    Err(other) => return Err(other),
                },
                _ => plaintext,
            };
            let shaped = split && bodies.is_none() && *selection == Selection::Summary;
            out.push(if shaped {
                message
            } else {
                selection.select(&message)
            });
        }
        Ok(out)
    }

    /// A whole message: the opened `summary_plaintext` of `summary` joined with its
    /// body record. A body that is missing, fails authentication, or is not the one
    /// the summary names (an older copy put back) gives [`Error::Integrity`] and is
    /// reported in quarantine under the message's id (taken from the summary when
    /// the caller does not know it), so the host fetches the message again.
    pub(super) async fn with_body(
        &self,
        summary: &Record,
        body: Option<Record>,
        summary_plaintext: &[u8],
        id: Option<&str>,
    ) -> Result<Vec<u8>, Error> {
        let expected = summary.number(fields::BODY_AT);
        if expected == Some(BODY_EVICTED) {
            // Evicted for space, on purpose: the summary says so (it is authenticated).
            return Ok(join_json_objects(summary_plaintext, EVICTED_MARKER));
        }
        let body = match body {
            Some(body) => body,
            // A missing body is reported like a failed one: an empty record at its key.
            None => Record::default().with(
                fields::KEY,
                FieldValue::Bytes(summary.bytes(fields::KEY).unwrap_or_default().to_vec()),
            ),
        };
        if let Some(rest) = self.try_open(STORE_MESSAGE_BODIES, &body).await? {
            if body.number(fields::WRITTEN_AT) == expected {
                return Ok(join_json_objects(summary_plaintext, &rest));
            }
        }
        let id = id.map(str::to_owned).or_else(|| id_of(summary_plaintext));
        Err(self
            .quarantine(STORE_MESSAGE_BODIES, &body, id.as_deref())
            .await)
    }

    /// Decrypts a record, or `None` if it fails authentication. A record sealed
    /// under a data key this connection does not hold may come from another tab's
    /// rotation: the keyring is read again before giving up. The decryption starts
    /// now (unless the keyring must be read first): start a batch, then await each.
    pub(super) fn try_open<'a>(
        &'a self,
        store: &'a str,
        record: &'a Record,
    ) -> LocalBoxFuture<'a, Result<Option<Vec<u8>>, Error>> {
        let sealed = record.value.as_deref().unwrap_or_default();
        let held = key_id(sealed).is_none_or(|id| self.keyring.borrow().holds_key(id));
        let started = held.then(|| self.start_open(store, record));
        Box::pin(async move {
            if record.value.is_none() {
                return Ok(None);
            }
            let opening = match started {
                Some(opening) => opening,
                None => {
                    self.catch_up_with(record).await?;
                    self.start_open(store, record)
                }
            };
            Ok(opening.await.ok())
        })
    }

    fn start_open(
        &self,
        store: &str,
        record: &Record,
    ) -> impl Future<Output = Result<Vec<u8>, crate::crypto::CryptoError>> {
        let sealed = record.value.as_deref().unwrap_or_default();
        with_place(store, record, |place| {
            self.keyring.borrow().open_record(place, sealed)
        })
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

/// The item whose one record is being sealed by `record`.
/// What the search index learns from a contact or an event: its terms, and an
/// entry of its kind (an event's start orders it); `None` for other kinds.
pub(super) fn item_search(key: &[u8; BLINDED_LEN], item: &Item) -> Option<SearchItem> {
    let (kind, received, document) = match &item.facts {
        Facts::Contact { .. } => (
            doc_flags::CONTACT,
            0,
            SearchDocument::of_contact(&item.fields),
        ),
        Facts::Event { start, .. } => (
            doc_flags::EVENT,
            start.0,
            SearchDocument::of_event(&item.fields),
        ),
        _ => return None,
    };
    let entry = DocEntry {
        key: *key,
        received,
        folder: 0,
        flags: kind,
    };
    Some(SearchItem {
        entry,
        document: Some(document),
    })
}

fn sealed_item(
    key: [u8; BLINDED_LEN],
    id: &str,
    record: impl Future<Output = Result<Record, Error>> + 'static,
    placement: Option<Placement>,
) -> Sealing {
    let id = Some(id.to_owned());
    Box::pin(async move {
        Ok(SealedItem {
            key,
            id,
            record: record.await?,
            placement,
            body: None,
            search: None,
        })
    })
}

/// A record about to be stored under `key`, as reading it back would give it
/// (with its own key, `k`): a later write of the same transaction then
/// authenticates it, and counts it where it is, as it would a stored one.
pub(super) fn as_stored(key: &[u8], record: Record) -> Record {
    let mut record = record;
    record.set(fields::KEY, FieldValue::Bytes(key.to_vec()));
    record
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

/// The `id` of an item's JSON text.
fn id_of(plaintext: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct WithId {
        id: String,
    }
    serde_json::from_slice::<WithId>(plaintext)
        .ok()
        .map(|item| item.id)
}

fn to_json(fields: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(fields).unwrap_or_default()
}

/// Where a stored message record counts, read from its clear index fields.
pub fn stored_placement(record: &Record) -> Option<Placement> {
    let folder = record.bytes(fields::FOLDER)?.to_vec();
    Some(Placement {
        folder,
        unread: record.number(fields::UNREAD) == Some(1.0),
    })
}
