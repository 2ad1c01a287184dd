//! Rotating the data key: a new data key becomes current, every record is sealed
//! again under it in small batches, then the old key is dropped from the keyring.
//!
//! The store stays readable throughout (the keyring holds both keys until the
//! end, and each envelope names its key), other tabs follow (they see the new key
//! id in the state and read the keyring again), and a rotation cut short (a closed
//! tab) resumes where it stopped: its progress is part of the sealed state, saved
//! with each batch.

use crate::crypto::{key_id, Aad, Kek, Keyring};
use crate::model::Kind;
use crate::store::{
    fields, FieldValue, QuarantinedRecord, Record, STORE_DIRECTORY, STORE_MESSAGE_BODIES,
    STORE_QUARANTINE, STORE_SEARCH_DOCS, STORE_SEARCH_POSTINGS, STORE_SYNC_STATE,
};
use crate::sync::{MailboxState, RotationCursor};
use crate::Error;

use super::state::{busy, WRITE_ATTEMPTS};
use super::Mailbox;

/// Every store holding sealed values, in the order a rotation walks them. A
/// rotation's cursor names a store by its place here, so new stores go last.
const ROTATED_STORES: [&str; 10] = [
    "messages",
    "folders",
    "contacts",
    "events",
    STORE_SYNC_STATE,
    STORE_DIRECTORY,
    STORE_QUARANTINE,
    STORE_MESSAGE_BODIES,
    STORE_SEARCH_POSTINGS,
    STORE_SEARCH_DOCS,
];
/// Records re-sealed per transaction: small enough that other writes never wait long.
const BATCH: u32 = 200;
const QUARANTINE_STORE_FIELD: &str = "store";
const QUARANTINE_ID_FIELD: &str = "id";

/// How far a rotation has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationProgress {
    /// Records walked so far (re-sealed, or already under the new key).
    pub done: u64,
    /// Records to walk in all.
    pub total: u64,
}

/// What a batch does with one record.
enum Reseal {
    /// Store this record instead.
    Replace(Record),
    /// It failed authentication: move it to quarantine.
    Quarantine,
    /// A cache entry that failed authentication: just drop it.
    Drop,
}

impl Mailbox {
    /// Seals every record again under a new data key, then destroys the old one.
    /// Resumes a rotation that was cut short instead of starting another. A walk
    /// belongs to one rotation: if that rotation is finished meanwhile (by another
    /// call or tab), the walk stops and leaves the rest to it.
    pub async fn rotate_data_key(
        &self,
        on_progress: &dyn Fn(RotationProgress),
    ) -> Result<(), Error> {
        let cursor = self.start_rotation().await?;
        let target = cursor.key_id;
        let mut total = 0u64;
        let mut done = 0u64;
        for (index, store) in ROTATED_STORES.iter().enumerate() {
            let count = u64::from(self.db.count(store).await?);
            total += count;
            if index < usize::from(cursor.store) {
                done += count;
            }
        }
        on_progress(RotationProgress { done, total });
        let first = usize::from(cursor.store);
        for (index, store) in ROTATED_STORES.iter().enumerate().skip(first) {
            let mut after = (index == first).then(|| cursor.after.clone()).flatten();
            loop {
                let page = self
                    .db
                    .records_after(store, after.as_deref(), BATCH)
                    .await?;
                if !self.reseal_batch(target, index, &page.records).await? {
                    return Ok(());
                }
                done += page.records.len() as u64;
                on_progress(RotationProgress {
                    done: done.min(total),
                    total: total.max(done),
                });
                // The end of a store is a page that is not full, counted in keys: a
                // page short of readable records (foreign keys left out) is not the end.
                if !page.full {
                    break;
                }
                after = Some(page.last_key.ok_or_else(|| {
                    Error::Storage(format!(
                        "the {store} store holds a key too large to page past; the rotation stopped and the old key is kept"
                    ))
                })?);
            }
        }
        self.end_rotation(target).await?;
        on_progress(RotationProgress {
            done: total.max(done),
            total: total.max(done),
        });
        Ok(())
    }

    /// The cursor to continue from: a rotation in progress (here or in another
    /// tab), or a new one (the new data key is stored, wrapped, in the same
    /// transaction that records it).
    async fn start_rotation(&self) -> Result<RotationCursor, Error> {
        let begin = async |current: &Keyring, kek: &Kek, state: &mut MailboxState| {
            if state.rotation.is_some() {
                return Ok(None);
            }
            let next = current.with_new_data_key(kek).await?;
            state.rotation = Some(RotationCursor {
                key_id: next.current_key_id(),
                store: 0,
                after: None,
            });
            Ok(Some(next))
        };
        let started = self.replace_keyring(None, begin).await?;
        let state = match started {
            true => self.state.borrow().clone(),
            false => self.current_state().await?,
        };
        state.rotation.ok_or_else(|| {
            Error::Storage(
                "the data key rotation ended before it could be joined; try again".into(),
            )
        })
    }

    /// Drops the old data key once every record is under the new one, unless the
    /// rotation `target` names was already ended (by another call or tab).
    async fn end_rotation(&self, target: u32) -> Result<(), Error> {
        let end = async |current: &Keyring, _: &Kek, state: &mut MailboxState| {
            if state.rotation.as_ref().map(|cursor| cursor.key_id) != Some(target) {
                return Ok(None);
            }
            let mut next = current.clone();
            next.finish_rotation();
            state.rotation = None;
            Ok(Some(next))
        };
        self.replace_keyring(None, end).await.map(|_| ())
    }

    /// Re-seals one page of a store under rotation `target`'s key and saves the
    /// rotation's progress with it; `false` if that rotation is no longer the one
    /// in progress (another call or tab finished it). A record that changed since
    /// the page was read was written by a current writer, under the new key
    /// already, and is left alone.
    async fn reseal_batch(
        &self,
        target: u32,
        index: usize,
        page: &[Record],
    ) -> Result<bool, Error> {
        if self.keyring.borrow().current_key_id() != target {
            // The stored state decides whether this rotation still runs; a keyring
            // behind it (another tab started it) is read again.
            let state = self.current_state().await?;
            if state.rotation.as_ref().map(|cursor| cursor.key_id) != Some(target) {
                return Ok(false);
            }
            self.reload_keyring().await?;
            if self.keyring.borrow().current_key_id() != target {
                return Err(rotation_key_missing());
            }
        }
        let store = ROTATED_STORES[index];
        let Some(last) = page.last().map(own_key) else {
            return Ok(true);
        };
        let mut plan = Vec::new();
        for record in page {
            // Quarantine entries are walked whole: their sealed id may be under an old key.
            let current = record.value.as_deref().and_then(key_id) == Some(target);
            if current && store != STORE_QUARANTINE {
                continue;
            }
            plan.push((record, self.resealed(store, record).await?));
        }
        // Everything must be under the rotation's key before its cursor passes it:
        // the old key is destroyed at the end.
        let stale = plan.iter().any(|(_, action)| match action {
            Reseal::Replace(resealed) if store != STORE_QUARANTINE => {
                resealed.value.as_deref().and_then(key_id) != Some(target)
            }
            _ => false,
        });
        if stale {
            return Err(rotation_key_missing());
        }
        for _ in 0..WRITE_ATTEMPTS {
            let Some(mut txn) = self.begin(&[store, STORE_QUARANTINE], None).await? else {
                continue;
            };
            if txn.state.rotation.as_ref().map(|cursor| cursor.key_id) != Some(target) {
                // This rotation was finished (and maybe another begun) elsewhere.
                return Ok(false);
            }
            let keys: Vec<Vec<u8>> = plan.iter().map(|(r, _)| own_key(r)).collect();
            let now = txn.tx.get_many(store, &keys).await?;
            for ((record, action), stored) in plan.iter().zip(now) {
                if stored.map(|s| s.value) != Some(record.value.clone()) {
                    continue;
                }
                let key = own_key(record);
                match action {
                    Reseal::Replace(resealed) => txn.tx.put(store, &key, resealed)?,
                    Reseal::Drop => txn.tx.delete(store, &key)?,
                    Reseal::Quarantine => {
                        let entry = QuarantinedRecord {
                            store: store.to_owned(),
                            key,
                            sealed_id: None,
                        };
                        txn.tx
                            .quarantine(&entry, record.value.as_deref().unwrap_or_default())?;
                    }
                }
            }
            txn.state.rotation = Some(RotationCursor {
                key_id: target,
                store: index as u8,
                after: Some(last.clone()),
            });
            // The same items, sealed under the new key (a quarantined one aside).
            txn.changes_no_item();
            return self.finish(txn).await.map(|_| true);
        }
        Err(busy())
    }

    /// The record sealed again under the current data key, with the same clear fields.
    async fn resealed(&self, store: &str, record: &Record) -> Result<Reseal, Error> {
        if Kind::from_store(store).is_some() || store == STORE_MESSAGE_BODIES {
            return Ok(match self.try_open(store, record).await? {
                Some(plaintext) => {
                    let fields = without_seal(record);
                    Reseal::Replace(
                        self.seal_fields(store, &own_key(record), fields, &plaintext)
                            .await?,
                    )
                }
                None => Reseal::Quarantine,
            });
        }
        if store == STORE_QUARANTINE {
            return Ok(Reseal::Replace(
                self.resealed_quarantine_entry(record).await,
            ));
        }
        let key = own_key(record);
        let aad = Aad::at(store, &key);
        let keyring = self.keys();
        let opened = keyring
            .open(aad, record.value.as_deref().unwrap_or_default())
            .await;
        Ok(match opened {
            Ok(plaintext) => {
                // Directory entries keep their padded size: never compressed.
                let sealed = match store == STORE_DIRECTORY {
                    true => keyring.seal_padded(aad, &plaintext).await?,
                    false => keyring.seal(aad, &plaintext).await?,
                };
                Reseal::Replace(Record::sealed(sealed))
            }
            // A cache entry, or a part of the search index (which notices the part
            // missing, and is rebuilt from the messages): dropped, not reported.
            Err(_)
                if [STORE_DIRECTORY, STORE_SEARCH_POSTINGS, STORE_SEARCH_DOCS].contains(&store) =>
            {
                Reseal::Drop
            }
            Err(_) => Reseal::Quarantine,
        })
    }

    /// A quarantine entry keeps the envelope that failed (it opens under no key);
    /// only its sealed id is sealed again, or dropped if it does not open.
    async fn resealed_quarantine_entry(&self, record: &Record) -> Record {
        let mut entry = record.clone();
        entry.fields.retain(|(name, _)| name != QUARANTINE_ID_FIELD);
        let origin_len = record
            .bytes(QUARANTINE_STORE_FIELD)
            .map_or(0, |store| store.len() + 1);
        let full_key = own_key(record);
        let Some(original_key) = full_key.get(origin_len..) else {
            return entry;
        };
        let aad = Aad::at(STORE_QUARANTINE, original_key);
        let keyring = self.keys();
        let Some(sealed) = record.bytes(QUARANTINE_ID_FIELD) else {
            return entry;
        };
        let resealed = match keyring.open(aad, sealed).await {
            Ok(id) => keyring.seal(aad, &id).await.ok(),
            Err(_) => None,
        };
        if let Some(sealed_id) = resealed {
            entry.set(QUARANTINE_ID_FIELD, FieldValue::Bytes(sealed_id));
        }
        entry
    }
}

/// The error when this connection cannot seal under the key of the rotation it
/// walks; nothing of the batch was written, and calling again resumes.
fn rotation_key_missing() -> Error {
    Error::Storage(
        "the data key rotation's new key is not loaded in this tab; call rotateDataKey again to resume".into(),
    )
}

fn own_key(record: &Record) -> Vec<u8> {
    record.bytes(fields::KEY).unwrap_or_default().to_vec()
}

/// The record's clear fields without its seal (value and fields tag).
pub(super) fn without_seal(record: &Record) -> Record {
    let mut fields = record.clone();
    fields.value = None;
    fields
        .fields
        .retain(|(name, _)| name != fields::FIELDS_TAG && name != fields::KEY);
    fields
}
