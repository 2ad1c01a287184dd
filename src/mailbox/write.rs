//! Writes: whole items (`put*`), Graph delta pages, and dropping a sync scope.
//! Every write is one transaction that also keeps the folder counts right.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::crypto::Aad;
use crate::model::{merge, Item, Kind, ModelError};
use crate::store::{
    fields, indexes, FieldValue, Key, KeyPart, Query, Record, WriteTx, STORE_FOLDER_COUNTS,
    STORE_META, STORE_SYNC_STATE,
};
use crate::sync::{count_changes, Change, DeltaPage, FolderCounts, Placement, RemovalReason};
use crate::Error;

use super::records::{stored_placement, SealedItem, DEFAULT_SCOPE};
use super::Mailbox;

/// Key, in the `meta` store, of the longest event duration seen (clear, milliseconds).
pub const EVENT_SPAN_KEY: &[u8] = b"eventSpan";

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
enum Op {
    Put(SealedItem),
    Remove {
        key: Vec<u8>,
        /// Drop only if the stored item belongs to one of these (blinded) scopes.
        only_in_scopes: Option<Vec<Vec<u8>>>,
    },
}

impl Mailbox {
    /// Seals and stores whole items, replacing any stored under the same ids.
    pub async fn put(&self, kind: Kind, items: &[Item]) -> Result<DeltaSummary, Error> {
        let scope_key = self.scope_key(kind, DEFAULT_SCOPE);
        let ops = items
            .iter()
            .map(|item| self.seal_item(kind, &scope_key, item).map(Op::Put))
            .collect::<Result<_, _>>()?;
        self.commit(kind, ops, None).await
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
        let mut merged = self.stored_versions(kind, &page.changes).await?;
        let scope_key = self.scope_key(kind, scope);
        let default_scope_key = self.scope_key(kind, DEFAULT_SCOPE);
        let mut ops = Vec::with_capacity(page.changes.len());
        for change in page.changes {
            match change {
                Change::Upsert { index, fields } => {
                    let id = upsert_id(index, &fields)?;
                    let mut item_fields = merged.remove(&id).unwrap_or_default();
                    merge(&mut item_fields, fields);
                    let item = Item::validate(kind, index, Value::Object(item_fields.clone()))?;
                    ops.push(Op::Put(self.seal_item(kind, &scope_key, &item)?));
                    merged.insert(id, item_fields);
                }
                Change::Remove { id, reason, .. } => {
                    merged.remove(&id);
                    // An item that left this scope is dropped unless another delta scope
                    // has claimed it since; items stored with put* belong to no delta scope.
                    let only_in_scopes = (reason == RemovalReason::LeftScope)
                        .then(|| vec![scope_key.clone(), default_scope_key.clone()]);
                    ops.push(Op::Remove {
                        key: self.record_key(kind, &id).to_vec(),
                        only_in_scopes,
                    });
                }
            }
        }
        let link = page
            .delta_link
            .map(|link| self.sealed_sync_state(kind, scope, &link))
            .transpose()?;
        self.commit(kind, ops, link).await
    }

    /// Drops every item written to `scope` and its delta link (after Graph's 410 Gone).
    pub async fn reset_scope(&self, kind: Kind, scope: &str) -> Result<(), Error> {
        let store = kind.store();
        let mut tx = self
            .db
            .begin_write(&[store, STORE_FOLDER_COUNTS, STORE_SYNC_STATE])?;
        let query = Query::Only(Key::One(KeyPart::Bytes(self.scope_key(kind, scope))));
        let records = tx.query(store, indexes::BY_SCOPE, &query).await?;
        let mut moves = Vec::with_capacity(records.len());
        for record in &records {
            moves.push((stored_placement(record), None));
            tx.delete(store, record.bytes(fields::KEY).unwrap_or_default())?;
        }
        update_counts(&mut tx, moves).await?;
        tx.delete(STORE_SYNC_STATE, &self.sync_state_key(kind, scope))?;
        Ok(tx.commit().await?)
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

    fn sealed_sync_state(
        &self,
        kind: Kind,
        scope: &str,
        link: &str,
    ) -> Result<(Vec<u8>, Record), Error> {
        let key = self.sync_state_key(kind, scope);
        let sealed = self.keyring.seal(
            Aad {
                store: STORE_SYNC_STATE,
                key: &key,
            },
            link.as_bytes(),
        )?;
        Ok((key, Record::sealed(sealed)))
    }

    /// The stored JSON of every item a page updates, so partial updates can be merged.
    async fn stored_versions(
        &self,
        kind: Kind,
        changes: &[Change],
    ) -> Result<HashMap<String, Map<String, Value>>, Error> {
        let ids: Vec<String> = changes
            .iter()
            .filter_map(|change| match change {
                Change::Upsert { fields, .. } => {
                    fields.get("id").and_then(Value::as_str).map(str::to_owned)
                }
                Change::Remove { .. } => None,
            })
            .collect();
        let keys: Vec<Vec<u8>> = ids
            .iter()
            .map(|id| self.record_key(kind, id).to_vec())
            .collect();
        let records = self.db.get_many(kind.store(), &keys).await?;
        let mut stored = HashMap::new();
        for (id, record) in ids.into_iter().zip(records) {
            let Some(record) = record else { continue };
            // A stored version that fails authentication is quarantined and the update
            // starts afresh; any other failure stops the page rather than lose fields.
            let plaintext = match self.open_record(kind.store(), &record, Some(&id)).await {
                Ok(plaintext) => plaintext,
                Err(Error::Integrity { .. }) => continue,
                Err(other) => return Err(other),
            };
            if let Ok(Value::Object(fields)) = serde_json::from_slice(&plaintext) {
                stored.insert(id, fields);
            }
        }
        Ok(stored)
    }

    async fn commit(
        &self,
        kind: Kind,
        ops: Vec<Op>,
        sync_state: Option<(Vec<u8>, Record)>,
    ) -> Result<DeltaSummary, Error> {
        let store = kind.store();
        let mut tx =
            self.db
                .begin_write(&[store, STORE_FOLDER_COUNTS, STORE_SYNC_STATE, STORE_META])?;
        let keys: Vec<Vec<u8>> = ops
            .iter()
            .map(|op| match op {
                Op::Put(item) => item.key.to_vec(),
                Op::Remove { key, .. } => key.clone(),
            })
            .collect();
        let olds = tx.get_many(store, &keys).await?;
        let mut current: HashMap<Vec<u8>, Option<Record>> = keys.into_iter().zip(olds).collect();
        let mut summary = DeltaSummary::default();
        let mut moves: Vec<(Option<Placement>, Option<Placement>)> = Vec::new();
        let mut longest_event = 0.0f64;
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
                        before.as_ref().and_then(stored_placement),
                        item.placement.clone(),
                    ));
                    longest_event = longest_event.max(event_span(&item.record));
                    tx.put(store, &key, &item.record)?;
                    current.insert(key, Some(item.record));
                }
                Op::Remove {
                    key,
                    only_in_scopes,
                } => {
                    let Some(before) = current.get(&key).cloned().flatten() else {
                        continue;
                    };
                    let stored_scope = before.bytes(fields::SCOPE);
                    if only_in_scopes.is_some_and(|scopes| {
                        !scopes.iter().any(|s| stored_scope == Some(s.as_slice()))
                    }) {
                        continue;
                    }
                    summary.removed += 1;
                    moves.push((stored_placement(&before), None));
                    tx.delete(store, &key)?;
                    current.insert(key, None);
                }
            }
        }
        update_counts(&mut tx, moves).await?;
        if longest_event > 0.0 {
            widen_event_span(&mut tx, longest_event).await?;
        }
        if let Some((key, record)) = sync_state {
            tx.put(STORE_SYNC_STATE, &key, &record)?;
        }
        tx.commit().await?;
        Ok(summary)
    }
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

fn event_span(record: &Record) -> f64 {
    match (record.number(fields::START), record.number(fields::END)) {
        (Some(start), Some(end)) => end - start,
        _ => 0.0,
    }
}

/// Applies the count changes of `moves` to the folder counts, inside the transaction.
pub(super) async fn update_counts(
    tx: &mut WriteTx<'_>,
    moves: Vec<(Option<Placement>, Option<Placement>)>,
) -> Result<(), Error> {
    let changes = count_changes(moves);
    if changes.is_empty() {
        return Ok(());
    }
    let folders: Vec<Vec<u8>> = changes.keys().cloned().collect();
    let stored = tx.get_many(STORE_FOLDER_COUNTS, &folders).await?;
    for ((folder, change), record) in changes.into_iter().zip(stored) {
        let counts = record
            .map(|r| counts_of(&r))
            .unwrap_or_default()
            .apply(change);
        if counts.total == 0 {
            tx.delete(STORE_FOLDER_COUNTS, &folder)?;
        } else {
            tx.put(STORE_FOLDER_COUNTS, &folder, &counts_record(counts))?;
        }
    }
    Ok(())
}

/// Reads a folder counts record.
pub fn counts_of(record: &Record) -> FolderCounts {
    let count = |name| record.number(name).unwrap_or(0.0).max(0.0) as u64;
    FolderCounts {
        total: count(fields::TOTAL),
        unread: count(fields::UNREAD_COUNT),
    }
}

fn counts_record(counts: FolderCounts) -> Record {
    Record::default()
        .with(fields::TOTAL, FieldValue::Number(counts.total as f64))
        .with(
            fields::UNREAD_COUNT,
            FieldValue::Number(counts.unread as f64),
        )
}

/// Records the longest event seen, so range queries know how far back to look.
async fn widen_event_span(tx: &mut WriteTx<'_>, span: f64) -> Result<(), Error> {
    let stored = tx
        .get_many(STORE_META, &[EVENT_SPAN_KEY.to_vec()])
        .await?
        .pop()
        .flatten();
    let known = stored.and_then(|r| r.number(fields::END)).unwrap_or(0.0);
    if span > known {
        tx.put(
            STORE_META,
            EVENT_SPAN_KEY,
            &Record::default().with(fields::END, FieldValue::Number(span)),
        )?;
    }
    Ok(())
}
