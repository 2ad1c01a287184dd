//! Moving messages stored by schema 3 (one sealed record each) to the current
//! layout: a summary record in `messages` and a body record in `messageBodies`.
//!
//! Splitting needs the data key, so it runs after unlocking, not in the schema
//! upgrade: `messages` is walked by key in batches, and each batch is one
//! compare-and-swap write like any other. A walk cut short (a closed tab) simply
//! runs again at the next open: split records are recognized by their body
//! pointer and skipped without being decrypted. A marker in `meta` records that
//! the walk finished, so later opens skip it; the marker is not secret, and a
//! removed or forged one costs at most a walk (reads handle both layouts).

use serde_json::Value;

use crate::model::{Item, Kind};
use crate::store::{fields, Record, STORE_MESSAGE_BODIES, STORE_META};
use crate::Error;

use super::state::{busy, WRITE_ATTEMPTS};
use super::Mailbox;

/// Records split per transaction: small enough that other writes never wait long.
const BATCH: u32 = 200;
/// Key in `meta` of the marker saying every message is in the current layout.
const SPLIT_DONE_KEY: &[u8] = b"layout/split";

/// How far the move to the current layout has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpgradeProgress {
    /// Records walked so far (messages being split, or items being indexed).
    pub done: u64,
    /// Records to walk in all.
    pub total: u64,
}

impl Mailbox {
    /// Splits every message still stored whole into a summary and a body record,
    /// unless a finished walk was recorded. Reports progress per batch. It writes,
    /// so it must run only after the caller accepted the database's epoch.
    pub async fn split_whole_messages(
        &self,
        on_progress: &dyn Fn(UpgradeProgress),
    ) -> Result<(), Error> {
        if self.db.get(STORE_META, SPLIT_DONE_KEY).await?.is_some() {
            return Ok(());
        }
        let store = Kind::Message.store();
        let total = u64::from(self.db.count(store).await?);
        let mut done = 0u64;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self
                .db
                .records_after(store, after.as_deref(), BATCH)
                .await?;
            let whole: Vec<&Record> = page
                .records
                .iter()
                .filter(|record| record.number(fields::BODY_AT).is_none())
                .collect();
            if !whole.is_empty() {
                self.split_batch(&whole).await?;
            }
            done += page.records.len() as u64;
            if total > 0 {
                on_progress(UpgradeProgress {
                    done: done.min(total),
                    total,
                });
            }
            if !page.full {
                break;
            }
            after = Some(page.last_key.ok_or_else(|| {
                Error::Storage(
                    "the messages store holds a key too large to page past; the layout upgrade stopped".into(),
                )
            })?);
        }
        let marker = Record::default();
        self.db
            .put_if_absent(STORE_META, SPLIT_DONE_KEY, &marker)
            .await?;
        Ok(())
    }

    /// Splits one batch of whole messages in one transaction. A record that fails
    /// authentication, predates its scope's reset or no longer validates is
    /// quarantined, as a read would; a record changed since it was read (another
    /// tab wrote it, in the new layout) is left alone.
    async fn split_batch(&self, whole: &[&Record]) -> Result<(), Error> {
        let store = Kind::Message.store();
        let records: Vec<Record> = whole.iter().map(|record| (*record).clone()).collect();
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            // Every record is opened, then every message sealed, each as one
            // WebCrypto batch.
            let opened = self
                .open_matching_at(Kind::Message, &records, |_| true)
                .await?;
            let mut sealing = Vec::with_capacity(opened.len());
            for (index, plaintext) in opened {
                let record = &records[index];
                let parsed = serde_json::from_slice::<Value>(&plaintext)
                    .ok()
                    .and_then(|value| Item::validate(Kind::Message, 0, value).ok());
                let Some(item) = parsed else {
                    self.quarantine(store, record, None).await;
                    continue;
                };
                let scope = record.bytes(fields::SCOPE).unwrap_or_default();
                sealing.push((record, self.seal_item(Kind::Message, scope, &item)));
            }
            let mut plan = Vec::with_capacity(sealing.len());
            for (record, sealed) in sealing {
                plan.push((record, sealed.await?));
            }
            let stores = [store, STORE_MESSAGE_BODIES];
            let Some(mut txn) = self.begin(&stores, Some(base)).await? else {
                continue;
            };
            let keys: Vec<Vec<u8>> = plan.iter().map(|(_, sealed)| sealed.key.to_vec()).collect();
            let now = txn.tx.get_many(store, &keys).await?;
            for ((record, sealed), stored) in plan.iter().zip(now) {
                if stored.map(|s| s.value) != Some(record.value.clone()) {
                    continue;
                }
                txn.tx.put(store, &sealed.key, &sealed.record)?;
                if let Some(body) = &sealed.body {
                    txn.tx.put(STORE_MESSAGE_BODIES, &sealed.key, body)?;
                }
            }
            // The same messages, each now in two records.
            txn.changes_no_item();
            return self.finish(txn).await;
        }
        Err(busy())
    }
}
