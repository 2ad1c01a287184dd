//! Writes: whole items (`put*`), Graph delta pages, and dropping a sync scope.
//! Every write is one transaction that also keeps the folder counts right.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::crypto::Aad;
use crate::model::{
    merge, protection, touches_only_summary, withhold_body, Item, Kind, ModelError, Protection,
};
use crate::search::changes_indexed_text;
use crate::store::{
    fields, indexes, Key, KeyPart, QuarantinedRecord, Query, Record, STORE_MESSAGE_BODIES,
    STORE_QUARANTINE, STORE_SYNC_STATE,
};
use crate::sync::{Change, DeltaPage, Outbox, Placement, RemovalReason};
use crate::Error;

use super::records::{
    as_stored, stored_placement, SealedItem, Sealing, BODY_EVICTED, DEFAULT_SCOPE,
};
use super::search::{is_indexed, INDEX_STORES};
use super::state::{busy, WRITE_ATTEMPTS};
use super::Mailbox;

/// What a delta page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeltaSummary {
    /// Items that were not stored before.
    pub created: u32,
    /// Stored items that were replaced or merged.
    pub updated: u32,
    /// Stored items that were dropped.
    pub removed: u32,
}

/// One change to apply inside the write transaction.
pub(super) enum Op {
    Put(SealedItem),
    Remove {
        key: Vec<u8>,
        /// The item's id, when the write knows it (named in the change notice).
        id: Option<String>,
        /// Drop only if the stored item belongs to one of these (blinded) scopes.
        only_in_scopes: Option<Vec<Vec<u8>>>,
    },
}

impl Mailbox {
    /// Seals and stores whole items, replacing any stored under the same ids. A
    /// message stored as protected stays protected: a later copy of it without the
    /// protection markers is stored without its body too.
    pub async fn put(&self, kind: Kind, mut items: Vec<Item>) -> Result<DeltaSummary, Error> {
        let scope_key = self.scope_key(kind, DEFAULT_SCOPE);
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            // Read after `base` was taken: if the commit finds the counter still at
            // `base`, nothing was written since, and these are the stored records.
            let stored = match kind {
                Kind::Message => Some(self.carry_protection(&mut items).await?),
                _ => None,
            };
            // Every item is handed to WebCrypto before any is awaited: one batch.
            let sealing: Vec<Sealing> = items
                .iter()
                .map(|item| self.seal_item(kind, &scope_key, item))
                .collect();
            let mut ops = Vec::with_capacity(sealing.len());
            for item in sealing {
                ops.push(Op::Put(item.await?));
            }
            if let Some(summary) = self.commit(kind, ops, None, base, stored).await? {
                return Ok(summary);
            }
        }
        Err(busy())
    }

    /// Applies one Graph delta page to `scope`: creations, partial updates merged
    /// into the stored items, and removals; stores its `@odata.deltaLink`.
    /// Validates everything first: a malformed entry writes nothing.
    pub async fn apply_delta(
        &self,
        kind: Kind,
        scope: &str,
        page: DeltaPage,
    ) -> Result<DeltaSummary, Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let ops = self.delta_ops(kind, scope, &page.changes).await?;
            let link = match page.delta_link.as_deref() {
                Some(link) => {
                    let (key, record) = self.sealed_sync_state(kind, scope, link).await?;
                    Some(Beside::DeltaLink(key, record))
                }
                None => None,
            };
            if let Some(summary) = self.commit(kind, ops, link, base, None).await? {
                return Ok(summary);
            }
        }
        Err(busy())
    }

    /// Drops every item written to `scope` and its delta link (after Graph's 410
    /// Gone), and records the reset, so a copy of one of those items put back later
    /// is recognized as older than the reset. Only records whose scope field is
    /// authentic are dropped; one with an altered scope is quarantined instead.
    pub async fn reset_scope(&self, kind: Kind, scope: &str) -> Result<(), Error> {
        let store = kind.store();
        let scope_key = self.scope_key(kind, scope);
        let query = Query::Only(Key::One(KeyPart::Bytes(scope_key.clone())));
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            // Every record of the scope leaves the index, deleted or quarantined.
            let index = match is_indexed(kind) {
                true => {
                    let records = self
                        .db
                        .query(store, indexes::BY_SCOPE, &query, None)
                        .await?;
                    let prepared = self.index_removal(&records, base).await;
                    let Some(index) = self.or_again(prepared).await? else {
                        continue;
                    };
                    index
                }
                false => None,
            };
            let mut stores = with_bodies(kind, &[store, STORE_SYNC_STATE, STORE_QUARANTINE]);
            if index.is_some() {
                stores.extend(INDEX_STORES);
            }
            // An indexed scope's changes were prepared against `base`: the
            // records read inside must be the ones they were prepared from.
            let expected = is_indexed(kind).then_some(base);
            let Some(mut txn) = self.begin(&stores, expected).await? else {
                continue;
            };
            let records = txn.tx.query(store, indexes::BY_SCOPE, &query).await?;
            let mut moves = Vec::with_capacity(records.len());
            for record in &records {
                let key = record.bytes(fields::KEY).unwrap_or_default();
                let in_scope = record.bytes(fields::SCOPE) == Some(scope_key.as_slice());
                if kind == Kind::Message {
                    txn.tx.delete(STORE_MESSAGE_BODIES, key)?;
                }
                if in_scope && self.fields_are_authentic(store, record) {
                    moves.push((stored_placement(record), None));
                    txn.tx.delete(store, key)?;
                } else {
                    let entry = QuarantinedRecord {
                        store: store.to_owned(),
                        key: key.to_vec(),
                        sealed_id: None,
                    };
                    txn.tx
                        .quarantine(&entry, record.value.as_deref().unwrap_or_default())?;
                }
            }
            txn.count_moves(moves);
            txn.tx
                .delete(STORE_SYNC_STATE, &self.sync_state_key(kind, scope))?;
            let reset_at = txn.state.counter + 1;
            txn.state.floors.insert(scope_key.clone(), reset_at);
            self.finish_indexed(txn, index).await?;
            return Ok(());
        }
        Err(busy())
    }

    /// The key of a scope's sync state record.
    pub(super) fn sync_state_key(&self, kind: Kind, scope: &str) -> Vec<u8> {
        self.blind
            .blind(
                STORE_SYNC_STATE,
                format!("{}\u{0}{scope}", kind.store()).as_bytes(),
            )
            .to_vec()
    }

    /// A delta link sealed for the scope's sync state record: `n ‖ link`.
    async fn sealed_sync_state(
        &self,
        kind: Kind,
        scope: &str,
        link: &str,
    ) -> Result<(Vec<u8>, Record), Error> {
        let key = self.sync_state_key(kind, scope);
        // The write counter goes in with the link, so a link stored before a reset
        // of its scope is recognized if it is put back.
        let mut plaintext = self.next_counter().to_be_bytes().to_vec();
        plaintext.extend_from_slice(link.as_bytes());
        let sealed = self
            .keys()
            .seal(Aad::at(STORE_SYNC_STATE, &key), &plaintext)
            .await?;
        Ok((key, Record::sealed(sealed)))
    }

    /// The changes of a delta page, merged into the stored items and sealed. An
    /// update of a split message that changes only summary fields seals only its
    /// summary: its body is neither read nor written.
    async fn delta_ops(
        &self,
        kind: Kind,
        scope: &str,
        changes: &[Change],
    ) -> Result<Vec<Op>, Error> {
        let mut ids = Vec::new();
        let mut need_rest = HashSet::new();
        for change in changes {
            let Change::Upsert { fields, .. } = change else {
                continue;
            };
            let Some(id) = fields.get("id").and_then(Value::as_str) else {
                continue;
            };
            ids.push(id.to_owned());
            if !summary_only(fields) {
                need_rest.insert(id.to_owned());
            }
        }
        let (mut merged, _) = self.stored_versions(kind, &ids, &need_rest).await?;
        // What the user did offline is applied again over the server's versions
        // until the server has it.
        let outbox = match kind {
            Kind::Message | Kind::Event => self.read_outbox().await?,
            Kind::MailFolder | Kind::Contact => Outbox::default(),
        };
        // Protection outlives a removal entry: an id stored (or earlier in this page
        // written) as protected stays protected for the rest of the page.
        let mut protected: HashMap<String, Protection> = HashMap::new();
        if kind == Kind::Message {
            for (id, stored) in &merged {
                if let Some(how) = protection(&stored.fields) {
                    protected.insert(id.clone(), how);
                }
            }
        }
        let scope_key = self.scope_key(kind, scope);
        let default_scope_key = self.scope_key(kind, DEFAULT_SCOPE);
        let mut ops = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Upsert { index, fields } => {
                    let id = upsert_id(*index, fields)?;
                    let mut stored = merged.remove(&id).unwrap_or_default();
                    // The whole message as stored, to tell a replayed entry.
                    let before = (stored.body_at.is_none() && !stored.fields.is_empty())
                        .then(|| stored.fields.clone());
                    // An update without a body leaves an evicted body evicted.
                    let body_at = stored.body_at.filter(|at| {
                        summary_only(fields)
                            || (*at == BODY_EVICTED && !fields.contains_key("body"))
                    });
                    merge(&mut stored.fields, fields.clone());
                    if let Some(how) = protected.get(&id) {
                        withhold_body(&mut stored.fields, *how);
                    }
                    if !outbox.reapply(&id, &mut stored.fields) {
                        // Deleted here and not yet on the server: its version stays out.
                        ops.push(Planned::Remove(Op::Remove {
                            key: self.record_key(kind, &id).to_vec(),
                            id: Some(id.clone()),
                            only_in_scopes: None,
                        }));
                        continue;
                    }
                    let item = Item::validate(kind, *index, Value::Object(stored.fields))?;
                    if let Some(how) = (kind == Kind::Message)
                        .then(|| protection(&item.fields))
                        .flatten()
                    {
                        protected.insert(id.clone(), how);
                    }
                    // The next entry for this id merges into what is stored, not what
                    // was sent: withheld fields stay out.
                    // Sealed once the page is merged, all started before any is awaited.
                    let sealing = match body_at {
                        Some(body_at) => {
                            self.seal_summary(&scope_key, &item, &item.fields, body_at)
                        }
                        None if before.as_ref() == Some(&item.fields) => {
                            unchanged_terms(self.seal_item(kind, &scope_key, &item))
                        }
                        None => self.seal_item(kind, &scope_key, &item),
                    };
                    ops.push(Planned::Put(sealing));
                    merged.insert(
                        id,
                        Stored {
                            fields: item.fields,
                            body_at,
                        },
                    );
                }
                Change::Remove { id, reason, .. } => {
                    merged.remove(id);
                    // An item that left this scope is dropped unless another delta scope
                    // has claimed it since; items stored with put* belong to no delta scope.
                    let only_in_scopes = (*reason == RemovalReason::LeftScope)
                        .then(|| vec![scope_key.clone(), default_scope_key.clone()]);
                    ops.push(Planned::Remove(Op::Remove {
                        key: self.record_key(kind, id).to_vec(),
                        id: Some(id.clone()),
                        only_in_scopes,
                    }));
                }
            }
        }
        let mut sealed = Vec::with_capacity(ops.len());
        for op in ops {
            sealed.push(match op {
                Planned::Put(sealing) => Op::Put(sealing.await?),
                Planned::Remove(op) => op,
            });
        }
        Ok(sealed)
    }

    /// Withholds the body of each message whose stored version is protected (the
    /// summary carries the withheld-body marker, so no body is read). Returns the
    /// stored records it read, by key.
    async fn carry_protection(&self, items: &mut [Item]) -> Result<StoredRecords, Error> {
        let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
        let (stored, records) = self
            .stored_versions(Kind::Message, &ids, &HashSet::new())
            .await?;
        for item in items {
            if let Some(kind) = stored.get(&item.id).and_then(|s| protection(&s.fields)) {
                withhold_body(&mut item.fields, kind);
            }
        }
        Ok(records)
    }

    /// The stored JSON of the items with these ids, as stored. For a split
    /// message, only the summary is read unless its id is in `need_rest`; then the
    /// body record is read in the same transaction and joined to it.
    pub(super) async fn stored_versions(
        &self,
        kind: Kind,
        ids: &[String],
        need_rest: &HashSet<String>,
    ) -> Result<(HashMap<String, Stored>, StoredRecords), Error> {
        let keys: Vec<Vec<u8>> = ids
            .iter()
            .map(|id| self.record_key(kind, id).to_vec())
            .collect();
        let (records, bodies) = self.read_with_bodies(kind, &keys, ids, need_rest).await?;
        let read: StoredRecords = keys.into_iter().zip(records.iter().cloned()).collect();
        let mut stored = HashMap::new();
        for ((id, record), body) in ids.iter().zip(records).zip(bodies) {
            let Some(record) = record else { continue };
            // A stored version that fails authentication is quarantined and the update
            // starts afresh; any other failure stops the write rather than lose fields.
            let mut plaintext = match self.open_record(kind.store(), &record, Some(id)).await {
                Ok(plaintext) => plaintext,
                Err(Error::Integrity { .. }) => continue,
                Err(other) => return Err(other),
            };
            let mut body_at = record.number(fields::BODY_AT);
            // An evicted rest is not read: the update starts from the summary
            // alone, and says whether the body stays evicted (see `delta_ops`).
            let evicted = body_at == Some(BODY_EVICTED);
            if !evicted && body_at.is_some() && need_rest.contains(id) {
                // A body that fails is quarantined; the summary is kept and the
                // update writes a new body from it.
                plaintext = match self.with_body(&record, body, &plaintext, Some(id)).await {
                    Ok(whole) => whole,
                    Err(Error::Integrity { .. }) => plaintext,
                    Err(other) => return Err(other),
                };
                body_at = None;
            }
            if let Ok(Value::Object(fields)) = serde_json::from_slice(&plaintext) {
                stored.insert(id.clone(), Stored { fields, body_at });
            }
        }
        Ok((stored, read))
    }

    /// The records under `keys` and, for messages whose id is in `need_rest`, their
    /// body records, read in one transaction.
    async fn read_with_bodies(
        &self,
        kind: Kind,
        keys: &[Vec<u8>],
        ids: &[String],
        need_rest: &HashSet<String>,
    ) -> Result<(Vec<Option<Record>>, Vec<Option<Record>>), Error> {
        let body_keys: Vec<Vec<u8>> = ids
            .iter()
            .zip(keys)
            .filter(|(id, _)| need_rest.contains(*id))
            .map(|(_, key)| key.clone())
            .collect();
        if kind != Kind::Message || body_keys.is_empty() {
            let records = self.db.get_many(kind.store(), keys).await?;
            return Ok((records, vec![None; keys.len()]));
        }
        let tx = self.db.begin_read(&[kind.store(), STORE_MESSAGE_BODIES])?;
        let (records, found) = futures_util::future::try_join(
            tx.get_many(kind.store(), keys),
            tx.get_many(STORE_MESSAGE_BODIES, &body_keys),
        )
        .await?;
        let mut found = found.into_iter();
        let bodies = ids
            .iter()
            .map(|id| match need_rest.contains(id) {
                true => found.next().flatten(),
                false => None,
            })
            .collect();
        Ok((records, bodies))
    }

    /// Writes prepared ops in one transaction, if no other write committed since
    /// `base`; `None` means one did, and the ops must be prepared again. `stored`
    /// holds the records under every key the ops touch when they were read after
    /// `base` was taken (then still current if the commit goes ahead); without
    /// it, they are read inside the transaction.
    pub(super) async fn commit(
        &self,
        kind: Kind,
        ops: Vec<Op>,
        beside: Option<Beside>,
        base: u64,
        stored: Option<StoredRecords>,
    ) -> Result<Option<DeltaSummary>, Error> {
        let store = kind.store();
        let keys: Vec<Vec<u8>> = ops
            .iter()
            .map(|op| match op {
                Op::Put(item) => item.key.to_vec(),
                Op::Remove { key, .. } => key.clone(),
            })
            .collect();
        let stored = match stored {
            Some(stored) if keys.iter().all(|key| stored.contains_key(key)) => Some(stored),
            // Read after `base` was taken: if the commit finds the counter still at
            // `base`, these are the stored records, which the index changes need.
            _ if is_indexed(kind) => {
                let olds = self.db.get_many(store, &keys).await?;
                Some(keys.iter().cloned().zip(olds).collect())
            }
            _ => None,
        };
        let index = match &stored {
            Some(before) if is_indexed(kind) => {
                let prepared = self.prepare_index(kind, &ops, before, base).await;
                // The index moved on or was dropped: the write is prepared again.
                let Some(index) = self.or_again(prepared).await? else {
                    return Ok(None);
                };
                index
            }
            _ => None,
        };
        let mut stores = with_bodies(kind, &[store, STORE_SYNC_STATE]);
        if index.is_some() {
            stores.extend(INDEX_STORES);
        }
        let Some(mut txn) = self.begin(&stores, Some(base)).await? else {
            return Ok(None);
        };
        let mut current = match stored {
            Some(stored) => stored,
            None => {
                let olds = txn.tx.get_many(store, &keys).await?;
                keys.into_iter().zip(olds).collect()
            }
        };
        if let Some(ids) = named_ids(&ops) {
            txn.names_items(ids);
        }
        let mut summary = DeltaSummary::default();
        let mut moves: Vec<(Option<Placement>, Option<Placement>)> = Vec::new();
        for op in ops {
            match op {
                Op::Put(item) => {
                    let key = item.key.to_vec();
                    let before = current.get(&key).cloned().flatten();
                    if before.is_some() {
                        summary.updated += 1
                    } else {
                        summary.created += 1
                    }
                    moves.push((
                        before
                            .as_ref()
                            .and_then(|b| self.authentic_placement(store, b)),
                        item.placement.clone(),
                    ));
                    txn.state.event_span = txn.state.event_span.max(event_span(&item.record));
                    txn.tx.put(store, &key, &item.record)?;
                    match &item.body {
                        Some(body) => txn.tx.put(STORE_MESSAGE_BODIES, &key, body)?,
                        // A summary put alone leaves the body as it is, unless
                        // it says the body was evicted.
                        None if item.record.number(fields::BODY_AT) == Some(BODY_EVICTED) => {
                            txn.tx.delete(STORE_MESSAGE_BODIES, &key)?
                        }
                        None => {}
                    }
                    current.insert(key.clone(), Some(as_stored(&key, item.record)));
                }
                Op::Remove {
                    key,
                    only_in_scopes,
                    ..
                } => {
                    let Some(before) = current.get(&key).cloned().flatten() else {
                        continue;
                    };
                    if self.removal_skipped(store, &before, only_in_scopes.as_deref()) {
                        continue;
                    }
                    let authentic = self.fields_are_authentic(store, &before);
                    summary.removed += 1;
                    moves.push((authentic.then(|| stored_placement(&before)).flatten(), None));
                    txn.tx.delete(store, &key)?;
                    if kind == Kind::Message {
                        txn.tx.delete(STORE_MESSAGE_BODIES, &key)?;
                    }
                    current.insert(key, None);
                }
            }
        }
        txn.count_moves(moves);
        match beside {
            Some(Beside::DeltaLink(key, record)) => txn.tx.put(STORE_SYNC_STATE, &key, &record)?,
            Some(Beside::Outbox(key, record)) => {
                txn.tx.put(STORE_SYNC_STATE, &key, &record)?;
                // The counter this transaction commits at, which the outbox carries.
                txn.state.outbox_at = txn.state.counter + 1;
            }
            None => {}
        }
        self.finish_indexed(txn, index).await?;
        Ok(Some(summary))
    }
}

impl Mailbox {
    /// Whether a removal limited to `only_in_scopes` leaves the stored record
    /// `before` where it is: its authentic scope is none of them. A record whose
    /// scope was altered goes anyway: it is leaving, and its altered scope must
    /// not decide that it stays.
    pub(super) fn removal_skipped(
        &self,
        store: &str,
        before: &Record,
        only_in_scopes: Option<&[Vec<u8>]>,
    ) -> bool {
        let stored_scope = before.bytes(fields::SCOPE);
        self.fields_are_authentic(store, before)
            && only_in_scopes
                .is_some_and(|scopes| !scopes.iter().any(|s| stored_scope == Some(s.as_slice())))
    }
}

/// A change of a delta page, merged and validated, while it is being sealed.
enum Planned {
    /// An item (or only its summary) being sealed.
    Put(Sealing),
    /// A removal, as it goes into the transaction.
    Remove(Op),
}

/// Stored records by key, as read (`None`: nothing stored under the key).
pub(super) type StoredRecords = HashMap<Vec<u8>, Option<Record>>;

/// A `syncState` record written in the same transaction as the ops.
pub(super) enum Beside {
    /// A scope's sealed delta link.
    DeltaLink(Vec<u8>, Record),
    /// The sealed outbox (the state records the counter it was written at).
    Outbox(Vec<u8>, Record),
}

/// A stored item as an update starts from.
#[derive(Default)]
pub(super) struct Stored {
    /// Its fields: a whole item, or a split message's summary alone.
    pub(super) fields: Map<String, Value>,
    /// For a split message read without its body: the body record's write
    /// counter; such an item may only be updated in summary fields.
    pub(super) body_at: Option<f64>,
}

/// `stores`, plus the body store when writing messages.
pub(super) fn with_bodies<'a>(kind: Kind, stores: &[&'a str]) -> Vec<&'a str> {
    let mut all = stores.to_vec();
    if kind == Kind::Message {
        all.push(STORE_MESSAGE_BODIES);
    }
    all
}

/// The ids of the items `ops` write, if every op names its item.
fn named_ids(ops: &[Op]) -> Option<Vec<&str>> {
    ops.iter()
        .map(|op| match op {
            Op::Put(item) => item.id.as_deref(),
            Op::Remove { id, .. } => id.as_deref(),
        })
        .collect()
}

/// A whole message written again exactly as it was stored (a replayed delta
/// entry): its indexed terms stay as they are, so the index keeps its document.
fn unchanged_terms(sealing: Sealing) -> Sealing {
    Box::pin(async move {
        let mut sealed = sealing.await?;
        if let Some(search) = &mut sealed.search {
            search.document = None;
        }
        Ok(sealed)
    })
}

/// Whether an update leaves a message's body record and its indexed terms as
/// they are, so only the summary is sealed again.
fn summary_only(fields: &Map<String, Value>) -> bool {
    touches_only_summary(fields) && !changes_indexed_text(fields)
}

fn upsert_id(index: usize, fields: &Map<String, Value>) -> Result<String, ModelError> {
    match fields.get("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id.clone()),
        _ => Err(ModelError {
            index,
            field: "id".into(),
            reason: "is required and must be a non-empty string".into(),
        }),
    }
}

/// How long an event record lasts, in milliseconds (0 for other records).
fn event_span(record: &Record) -> u64 {
    match (record.number(fields::START), record.number(fields::END)) {
        (Some(start), Some(end)) if end > start => (end - start) as u64,
        _ => 0,
    }
}
