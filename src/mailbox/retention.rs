//! Pruning the offline copy to its retention window (see [`Retention`]).
//!
//! Messages are found through the folder index by recency, reading keys only:
//! per folder, those received before the cutoff and those beyond the newest
//! `max_messages_per_folder`. Events are found through the start index. Items
//! with actions waiting in the outbox stay. Removals go in transactions of
//! [`BATCH`], each a compare-and-swap write like any other, so folder counts
//! stay right and other tabs are never blocked long.

use std::collections::HashSet;

use crate::crypto::BLINDED_LEN;
use crate::model::{Item, Kind};
use crate::store::{
    fields, indexes, FieldValue, Key, KeyPart, Query, Record, STORE_MESSAGE_BODIES,
};
use crate::sync::{is_local_id, Entry, Retention};
use crate::Error;

use super::records::{stored_placement, SealedItem, SearchItem, BODY_EVICTED};
use super::rotate::without_seal;
use super::state::{busy, WRITE_ATTEMPTS};
use super::write::Op;
use super::Mailbox;

/// Items removed per transaction.
const BATCH: usize = 500;

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Messages removed (their summaries and bodies).
    pub messages: u32,
    /// Events removed.
    pub events: u32,
}

impl Mailbox {
    /// Removes what `retention` does not keep at `now_ms` (ms since the epoch).
    pub async fn prune(&self, retention: &Retention, now_ms: i64) -> Result<PruneReport, Error> {
        let keep = self.keys_with_pending_actions().await?;
        let messages = self.messages_beyond(retention, now_ms, &keep).await?;
        let events = self.events_beyond(retention, now_ms, &keep).await?;
        Ok(PruneReport {
            messages: self.remove_keys(Kind::Message, &messages).await?,
            events: self.remove_keys(Kind::Event, &events).await?,
        })
    }

    /// The record keys of the messages and events the outbox has actions on
    /// (a refused action keeps its item only when the server never had it: a
    /// draft made offline exists nowhere else).
    async fn keys_with_pending_actions(&self) -> Result<HashSet<Vec<u8>>, Error> {
        let outbox = self.read_outbox().await?;
        let mut keys = HashSet::new();
        let keeps = |e: &&Entry| e.failure.is_none() || is_local_id(e.action.item_id());
        for entry in outbox.entries.iter().filter(keeps) {
            for kind in [Kind::Message, Kind::Event] {
                keys.insert(self.record_key(kind, entry.action.item_id()).to_vec());
            }
        }
        Ok(keys)
    }

    async fn messages_beyond(
        &self,
        retention: &Retention,
        now_ms: i64,
        keep: &HashSet<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let state = self.current_state().await?;
        // Recency is minus the received time: older messages sort after the cutoff.
        let cutoff = -(retention.mail_cutoff(now_ms) as f64);
        let limit = retention.max_messages_per_folder as usize;
        let mut out = Vec::new();
        for folder in state.counts.keys() {
            let newest_first = self.folder_newest_first(folder).await?;
            let folder = KeyPart::Bytes(folder.clone());
            let upper = Key::Array(vec![folder.clone(), KeyPart::Number(f64::INFINITY)]);
            let old = self
                .db
                .query_keys(
                    Kind::Message.store(),
                    indexes::BY_FOLDER_RECENCY,
                    &Query::Range {
                        lower: Key::Array(vec![folder, KeyPart::Number(cutoff)]),
                        upper,
                        lower_open: true,
                        upper_open: false,
                    },
                )
                .await?;
            let beyond = newest_first.into_iter().skip(limit);
            let mut seen = HashSet::new();
            for key in old.into_iter().chain(beyond) {
                if !keep.contains(&key) && seen.insert(key.clone()) {
                    out.push(key);
                }
            }
        }
        Ok(out)
    }

    async fn events_beyond(
        &self,
        retention: &Retention,
        now_ms: i64,
        keep: &HashSet<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let (start, end) = retention.calendar_window(now_ms);
        let (start, end) = (start as f64, end as f64);
        let number = |n: f64| Key::One(KeyPart::Number(n));
        let store = Kind::Event.store();
        let before = self
            .db
            .query(
                store,
                indexes::BY_START,
                &Query::Range {
                    lower: number(f64::NEG_INFINITY),
                    upper: number(start),
                    lower_open: false,
                    upper_open: true,
                },
                None,
            )
            .await?;
        let after = self
            .db
            .query(
                store,
                indexes::BY_START,
                &Query::Range {
                    lower: number(end),
                    upper: number(f64::INFINITY),
                    lower_open: false,
                    upper_open: false,
                },
                None,
            )
            .await?;
        // An event that began before the window but ends in it is kept.
        let ended = before
            .iter()
            .filter(|r| r.number(fields::END).is_some_and(|e| e <= start));
        Ok(ended
            .chain(after.iter())
            .filter_map(|r| r.bytes(fields::KEY).map(<[u8]>::to_vec))
            .filter(|key| !keep.contains(key))
            .collect())
    }

    /// Removes the `kind` items under `keys`, [`BATCH`] per transaction; the
    /// count of those that were there.
    async fn remove_keys(&self, kind: Kind, keys: &[Vec<u8>]) -> Result<u32, Error> {
        let mut removed = 0;
        for batch in keys.chunks(BATCH) {
            removed += self.remove_batch(kind, batch).await?;
        }
        Ok(removed)
    }

    async fn remove_batch(&self, kind: Kind, keys: &[Vec<u8>]) -> Result<u32, Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            // Read against the base the commit checks: an action queued while
            // this batch was chosen makes the commit retry, and it is kept.
            let base = self.base();
            let keep = self.keys_with_pending_actions().await?;
            let ops = keys
                .iter()
                .filter(|key| !keep.contains(*key))
                .map(|key| Op::Remove {
                    key: key.clone(),
                    id: None,
                    only_in_scopes: None,
                })
                .collect();
            if let Some(summary) = self.commit(kind, ops, None, base, None).await? {
                return Ok(summary.removed);
            }
        }
        Err(busy())
    }
}

/// How much one kind of item takes, as estimated by [`Mailbox::stored_sizes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSize {
    /// The kind.
    pub kind: Kind,
    /// Items stored.
    pub count: u32,
    /// Sealed bytes, estimated from a sample (a message counts its summary and
    /// its body).
    pub bytes: u64,
}

/// Records whose sealed size is averaged per store.
const SIZE_SAMPLE: u32 = 100;

impl Mailbox {
    /// Items and sealed bytes per kind: counts exactly, bytes as the count times
    /// the mean sealed size of the first [`SIZE_SAMPLE`] records by key (blinded
    /// keys are random, so that is a fair sample), without reading every record.
    pub async fn stored_sizes(&self) -> Result<Vec<KindSize>, Error> {
        let mut out = Vec::new();
        for kind in Kind::ALL {
            let (count, mut bytes) = self.store_size(kind.store()).await?;
            if kind == Kind::Message {
                bytes += self.store_size(STORE_MESSAGE_BODIES).await?.1;
            }
            out.push(KindSize { kind, count, bytes });
        }
        Ok(out)
    }

    async fn store_size(&self, store: &str) -> Result<(u32, u64), Error> {
        let count = self.db.count(store).await?;
        let sample = self
            .db
            .records_after(store, None, SIZE_SAMPLE)
            .await?
            .records;
        let sampled: u64 = sample
            .iter()
            .map(|r| r.value.as_ref().map_or(0, Vec::len) as u64)
            .sum();
        let mean = sampled.checked_div(sample.len() as u64).unwrap_or(0);
        Ok((count, mean * u64::from(count)))
    }
}

/// What one eviction removed to make room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Eviction {
    /// Message bodies evicted (their summaries stay).
    pub bodies: u32,
    /// Messages removed whole.
    pub messages: u32,
}

/// Summaries read per request while looking for the oldest bodies.
const EVICTION_SCAN: usize = 200;

impl Mailbox {
    /// Makes room: evicts the bodies of up to `count` of the oldest messages
    /// that still have one (see [`Mailbox::evict_bodies`]); once no body is
    /// left, removes up to `count` of the oldest messages whole. Items with
    /// actions waiting in the outbox are never touched. Nothing left: zeros.
    pub async fn evict_oldest(&self, count: usize) -> Result<Eviction, Error> {
        let bodies = self.evict_bodies(count).await?;
        if bodies > 0 {
            return Ok(Eviction {
                bodies,
                messages: 0,
            });
        }
        let keep = self.keys_with_pending_actions().await?;
        let oldest = self.oldest_keys(count, &keep).await?;
        let messages = self.remove_keys(Kind::Message, &oldest).await?;
        Ok(Eviction {
            bodies: 0,
            messages,
        })
    }

    /// Evicts the bodies of up to `count` of the oldest messages that still
    /// have one, in one transaction: their summaries stay, and reads say the
    /// body must be fetched again. Messages with actions waiting in the outbox
    /// keep theirs. Returns how many were evicted.
    pub async fn evict_bodies(&self, count: usize) -> Result<u32, Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            // Chosen against the base the commit checks: a message changed
            // meanwhile makes it choose again, so no newer version is undone.
            let base = self.base();
            let keep = self.keys_with_pending_actions().await?;
            let with_body = self.oldest_with_body(count, &keep).await?;
            if with_body.is_empty() {
                return Ok(0);
            }
            let ops = self.without_bodies(&with_body).await?;
            if let Some(summary) = self.commit(Kind::Message, ops, None, base, None).await? {
                return Ok(summary.updated);
            }
        }
        Err(busy())
    }

    /// Up to `count` of the oldest message summaries that still have a body,
    /// oldest first across folders, none in `keep`.
    async fn oldest_with_body(
        &self,
        count: usize,
        keep: &HashSet<Vec<u8>>,
    ) -> Result<Vec<Record>, Error> {
        let state = self.current_state().await?;
        let mut with_body = Vec::new();
        for folder in state.counts.keys() {
            let mut keys = self.folder_newest_first(folder).await?;
            keys.reverse();
            keys.retain(|key| !keep.contains(key));
            let mut found = 0;
            for chunk in keys.chunks(EVICTION_SCAN) {
                let records = self.db.get_many(Kind::Message.store(), chunk).await?;
                for record in records.into_iter().flatten() {
                    if record.number(fields::BODY_AT).is_some_and(|b| b >= 0.0) {
                        with_body.push(record);
                        found += 1;
                    }
                }
                if found >= count {
                    break;
                }
            }
        }
        // The largest recency (minus the received time) is the oldest.
        with_body.sort_by(|a, b| {
            let recency = |r: &Record| r.number(fields::RECENCY).unwrap_or(0.0);
            recency(b).total_cmp(&recency(a))
        });
        with_body.truncate(count);
        Ok(with_body)
    }

    /// The keys of up to `count` of the oldest messages, none in `keep`: the
    /// `count` oldest of each folder, as many as `count` in all.
    async fn oldest_keys(
        &self,
        count: usize,
        keep: &HashSet<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let state = self.current_state().await?;
        let mut oldest = Vec::new();
        for folder in state.counts.keys() {
            let keys = self.folder_newest_first(folder).await?;
            let oldest_first = keys.into_iter().rev().filter(|key| !keep.contains(key));
            oldest.extend(oldest_first.take(count));
        }
        oldest.truncate(count);
        Ok(oldest)
    }

    /// The keys of a folder's messages, newest first (the folder index's order).
    async fn folder_newest_first(&self, folder: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let part = KeyPart::Bytes(folder.to_vec());
        let keys = self
            .db
            .query_keys(
                Kind::Message.store(),
                indexes::BY_FOLDER_RECENCY,
                &Query::Range {
                    lower: Key::Array(vec![part.clone()]),
                    upper: Key::Array(vec![part, KeyPart::Number(f64::INFINITY)]),
                    lower_open: false,
                    upper_open: false,
                },
            )
            .await?;
        Ok(keys)
    }

    /// What the index keeps of a message whose body goes: its entry, marked so
    /// that only its summary's terms count (a search finds it by what is still
    /// stored, as a scan would). No postings are written: eviction must stay small.
    fn evicted_search_item(&self, key: &[u8], summary: &[u8]) -> Option<SearchItem> {
        let key: [u8; BLINDED_LEN] = key.try_into().ok()?;
        let value = serde_json::from_slice(summary).ok()?;
        let item = Item::validate(Kind::Message, 0, value).ok()?;
        let entry = self.search_entry(&key, &item, true)?;
        Some(SearchItem {
            entry,
            document: None,
        })
    }

    /// The puts that store these summaries again without their bodies:
    /// sealed anew with the body pointer [`BODY_EVICTED`] (such a put deletes
    /// the stored body).
    async fn without_bodies(&self, summaries: &[Record]) -> Result<Vec<Op>, Error> {
        let store = Kind::Message.store();
        let mut sealing = Vec::with_capacity(summaries.len());
        for summary in summaries {
            let Some(plaintext) = self.try_open(store, summary).await? else {
                // Quarantined, so that the next round does not pick it again.
                match self.quarantine(store, summary, None).await {
                    Error::Integrity { .. } => continue,
                    other => return Err(other),
                }
            };
            let key = summary.bytes(fields::KEY).unwrap_or_default().to_vec();
            let mut fields = without_seal(summary);
            fields.set(fields::BODY_AT, FieldValue::Number(BODY_EVICTED));
            let placement = stored_placement(summary);
            let search = self.evicted_search_item(&key, &plaintext);
            sealing.push((
                key.clone(),
                placement,
                search,
                self.seal_fields(store, &key, fields, &plaintext),
            ));
        }
        let mut ops = Vec::with_capacity(sealing.len());
        for (key, placement, search, sealed) in sealing {
            let record = sealed.await?;
            ops.push(Op::Put(SealedItem {
                key: key
                    .try_into()
                    .map_err(|_| Error::Storage("a message key has an unexpected length".into()))?,
                id: None,
                record,
                placement,
                body: None,
                search,
            }));
        }
        Ok(ops)
    }
}
