//! Offline actions: each applies to the stored items at once and is queued in the
//! sealed outbox, in the same transaction (see [`crate::sync::Outbox`]).
//!
//! The outbox is one sealed record in `syncState`, so it rotates with the data
//! key and goes with the database. It carries the write counter it was stored at,
//! and the state records that counter: an older copy put back is recognized and
//! quarantined rather than sent again.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::crypto::Aad;
use crate::model::{Item, Kind};
use crate::store::{fields, FieldValue, Record, STORE_SYNC_STATE};
use crate::sync::{Action, Entry, Failure, Outbox};
use crate::Error;

use super::records::{Sealing, DEFAULT_SCOPE};
use super::state::{busy, WRITE_ATTEMPTS};
use super::write::{Beside, Op, Stored};
use super::Mailbox;

/// The most the outbox may hold, well under what a stored value may be read back as.
const MAX_OUTBOX: usize = 32 << 20;
/// What the outbox record is blinded from (no sync scope has this form).
const OUTBOX_NAME: &[u8] = b"outbox";

impl Mailbox {
    /// The actions not yet acknowledged by the server, oldest first.
    pub async fn pending_actions(&self) -> Result<Vec<Entry>, Error> {
        Ok(self.read_outbox().await?.entries)
    }

    /// Applies `actions` (all on items of `kind`) to the stored items and queues
    /// them, in one transaction. An action on an item not stored offline is
    /// queued all the same: the server has it.
    pub async fn act(&self, kind: Kind, actions: Vec<Action>) -> Result<(), Error> {
        let ids: Vec<String> = actions.iter().map(|a| a.item_id().to_owned()).collect();
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut outbox = self.read_outbox().await?;
            let need_rest = reindexed(&actions);
            let (mut stored, records) = self.stored_versions(kind, &ids, &need_rest).await?;
            let mut changed = Vec::new();
            let mut removed = HashSet::new();
            for action in &actions {
                let id = action.item_id().to_owned();
                outbox.push(action.clone(), stored.get(&id).map(|s| &s.fields));
                if let Action::SaveDraft { .. } = action {
                    // A draft is stored whole (its body changes with it), new or not.
                    stored.entry(id.clone()).or_default().body_at = None;
                }
                let Some(item) = stored.get_mut(&id) else {
                    continue;
                };
                match action.apply(&mut item.fields) {
                    true => changed.push(id),
                    false => {
                        removed.insert(id);
                    }
                }
            }
            let ops = self
                .action_ops(kind, &mut stored, &changed, &removed, &records)
                .await?;
            let outbox = self.sealed_outbox(&outbox).await?;
            if self
                .commit(kind, ops, Some(outbox), base, Some(records))
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(busy())
    }

    /// The writes that store the items `changed` (in their order, each once) and
    /// drop those `removed`, every seal started before any is awaited.
    async fn action_ops(
        &self,
        kind: Kind,
        stored: &mut HashMap<String, Stored>,
        changed: &[String],
        removed: &HashSet<String>,
        records: &super::write::StoredRecords,
    ) -> Result<Vec<Op>, Error> {
        let mut sealing: Vec<Sealing> = Vec::new();
        let mut done = HashSet::new();
        for id in changed {
            if removed.contains(id) || !done.insert(id.clone()) {
                continue;
            }
            let Some(item) = stored.remove(id) else {
                continue;
            };
            let key = self.record_key(kind, id).to_vec();
            let scope = records
                .get(&key)
                .cloned()
                .flatten()
                .and_then(|r| r.bytes(fields::SCOPE).map(<[u8]>::to_vec))
                .unwrap_or_else(|| self.scope_key(kind, DEFAULT_SCOPE));
            let body_at = item.body_at;
            let validated = Item::validate(kind, 0, Value::Object(item.fields))?;
            sealing.push(match body_at {
                Some(body_at) => self.seal_summary(&scope, &validated, &validated.fields, body_at),
                None => self.seal_item(kind, &scope, &validated),
            });
        }
        let mut ops: Vec<Op> = removed
            .iter()
            .map(|id| Op::Remove {
                key: self.record_key(kind, id).to_vec(),
                id: Some(id.clone()),
                only_in_scopes: None,
            })
            .collect();
        for item in sealing {
            ops.push(Op::Put(item.await?));
        }
        Ok(ops)
    }

    /// Replaces a draft made offline (stored under its local id) with the
    /// message the server created from it, and gives the outbox's later actions
    /// on it the server's id, in one transaction.
    pub async fn adopt_draft(&self, local: &str, created: Value) -> Result<(), Error> {
        let created = Item::validate(Kind::Message, 0, created)?;
        let scope = self.scope_key(Kind::Message, DEFAULT_SCOPE);
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut outbox = self.read_outbox().await?;
            outbox.adopt_id(local, &created.id);
            // What the user did to the draft while the server created it (saved
            // it again, deleted it) applies over the server's version.
            let mut fields = created.fields.clone();
            let keep = outbox.reapply(&created.id, &mut fields);
            let mut ops = vec![Op::Remove {
                key: self.record_key(Kind::Message, local).to_vec(),
                id: Some(local.to_owned()),
                only_in_scopes: None,
            }];
            let item = match keep {
                true => Some(Item::validate(Kind::Message, 0, Value::Object(fields))?),
                false => None,
            };
            let sealing = item
                .as_ref()
                .map(|item| self.seal_item(Kind::Message, &scope, item));
            let sealed = self.sealed_outbox(&outbox).await?;
            if let Some(sealing) = sealing {
                ops.push(Op::Put(sealing.await?));
            }
            if self
                .commit(Kind::Message, ops, Some(sealed), base, None)
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(busy())
    }

    /// Gives the outbox's actions on `local` the id the server gave the message
    /// (created as a draft to be sent), so that the next try sends that draft.
    pub async fn rename_actions(&self, local: &str, server: &str) -> Result<(), Error> {
        self.change_outbox(|outbox| {
            outbox.adopt_id(local, server);
            Ok(())
        })
        .await
    }

    /// Queues the refused action `seq` again, for the next sync to send.
    pub async fn retry_action(&self, seq: u64) -> Result<(), Error> {
        self.change_outbox(|outbox| match outbox.retry(seq) {
            true => Ok(()),
            false => Err(Error::invalid("seq", "no refused action has this seq")),
        })
        .await
    }

    /// Takes the action `seq` (refused, or not yet sent) out of the outbox and,
    /// where it remembers the previous value and nothing else is pending on its
    /// item, puts the offline copy back as it was, in one transaction.
    pub async fn discard_action(&self, seq: u64) -> Result<(), Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut outbox = self.read_outbox().await?;
            let Some(entry) = outbox.discard(seq) else {
                return Err(Error::invalid(
                    "seq",
                    "no refused or unsent action has this seq (one being sent cannot be taken back)",
                ));
            };
            // A refused action is not applied over the server's versions, so the
            // copy may already show a newer value of the server's: left as it is.
            let undo = entry
                .action
                .undo()
                .filter(|undo| entry.failure.is_none() && !outbox.has_pending(undo.item_id()));
            let ids: Vec<String> = undo.iter().map(|u| u.item_id().to_owned()).collect();
            let need_rest = reindexed(undo.as_slice());
            let (mut stored, records) = self
                .stored_versions(Kind::Message, &ids, &need_rest)
                .await?;
            let mut changed = Vec::new();
            if let Some(undo) = &undo {
                if let Some(item) = stored.get_mut(undo.item_id()) {
                    // Only while the copy still shows this action: a newer value
                    // the server sent since stays.
                    let mut acted = item.fields.clone();
                    entry.action.apply(&mut acted);
                    if acted == item.fields {
                        undo.apply(&mut item.fields);
                        changed.push(undo.item_id().to_owned());
                    }
                }
            }
            let ops = self
                .action_ops(
                    Kind::Message,
                    &mut stored,
                    &changed,
                    &HashSet::new(),
                    &records,
                )
                .await?;
            let sealed = self.sealed_outbox(&outbox).await?;
            if self
                .commit(Kind::Message, ops, Some(sealed), base, Some(records))
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(busy())
    }

    /// The actions a sync sends now, in order, marked as sent first (in the
    /// outbox), so that later actions on their items queue after them instead of
    /// merging into what the server may already have.
    pub async fn begin_push(&self) -> Result<Vec<Entry>, Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut outbox = self.read_outbox().await?;
            let sending = outbox.start_sending();
            if sending.is_empty() {
                return Ok(sending);
            }
            let sealed = self.sealed_outbox(&outbox).await?;
            if self
                .commit(Kind::Message, Vec::new(), Some(sealed), base, None)
                .await?
                .is_some()
            {
                return Ok(sending);
            }
        }
        Err(busy())
    }

    /// Records what the server did with sent actions: `done` ones leave the
    /// outbox, `failed` ones stay with the server's refusal.
    pub async fn settle_actions(
        &self,
        done: &[u64],
        failed: Vec<(u64, Failure)>,
    ) -> Result<(), Error> {
        if done.is_empty() && failed.is_empty() {
            return Ok(());
        }
        self.change_outbox(|outbox| {
            for seq in done {
                outbox.acknowledge(*seq);
            }
            for (seq, failure) in failed.iter().cloned() {
                outbox.fail(seq, failure);
            }
            Ok(())
        })
        .await
    }

    /// Gives back actions a sync took but never sent, because it stopped
    /// before them: they are unsent again (see [`Outbox::release`]).
    pub async fn release_actions(&self, seqs: &[u64]) -> Result<(), Error> {
        if seqs.is_empty() {
            return Ok(());
        }
        self.change_outbox(|outbox| {
            outbox.release(seqs);
            Ok(())
        })
        .await
    }

    /// Applies `change` to the stored outbox and stores it again, against the
    /// base the commit checks (read again when another write came between). An
    /// error from `change` writes nothing.
    async fn change_outbox(
        &self,
        change: impl Fn(&mut Outbox) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let _turn = self.write_turn().await;
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut outbox = self.read_outbox().await?;
            change(&mut outbox)?;
            let sealed = self.sealed_outbox(&outbox).await?;
            if self
                .commit(Kind::Message, Vec::new(), Some(sealed), base, None)
                .await?
                .is_some()
            {
                return Ok(());
            }
        }
        Err(busy())
    }

    /// The key of the outbox record in `syncState`.
    pub(super) fn outbox_key(&self) -> Vec<u8> {
        self.blind.blind(STORE_SYNC_STATE, OUTBOX_NAME).to_vec()
    }

    /// Reads the outbox with the state, in one transaction. A record that fails
    /// authentication, is not the one the state says was stored last (an older
    /// copy put back), or is missing while the state says one was stored, is
    /// quarantined and reported as `Integrity`, once: the next read starts an
    /// empty outbox.
    pub(super) async fn read_outbox(&self) -> Result<Outbox, Error> {
        let key = self.outbox_key();
        let (state, record) = self.sync_record_with_state(&key).await?;
        let record = match record {
            Some(record) => record,
            None if state.outbox_at == 0 => return Ok(Outbox::default()),
            None => Record::default().with(fields::KEY, FieldValue::Bytes(key.clone())),
        };
        let opened = self
            .open_sync_record(&key, &record)
            .await
            .and_then(|plaintext| parse_outbox(&plaintext));
        match opened {
            Some((written, outbox)) if written == state.outbox_at => Ok(outbox),
            _ => Err(self
                .quarantine(STORE_SYNC_STATE, &record, Some("outbox"))
                .await),
        }
    }

    /// The outbox sealed for the transaction about to be prepared: `n ‖ outbox`.
    async fn sealed_outbox(&self, outbox: &Outbox) -> Result<Beside, Error> {
        let key = self.outbox_key();
        let mut plaintext = self.next_counter().to_be_bytes().to_vec();
        plaintext.extend_from_slice(&outbox.encode());
        if plaintext.len() > MAX_OUTBOX {
            return Err(Error::invalid(
                "message",
                "the outbox cannot hold this as well (over 32 MiB would be waiting); sync first",
            ));
        }
        let sealed = self
            .keys()
            .seal(Aad::at(STORE_SYNC_STATE, &key), &plaintext)
            .await?;
        Ok(Beside::Outbox(key, Record::sealed(sealed)))
    }
}

/// Splits an opened outbox into the write counter it was stored at and the queue.
/// The items whose indexed terms these actions change (new categories): they are
/// sealed and indexed again whole, body included.
fn reindexed(actions: &[Action]) -> HashSet<String> {
    actions
        .iter()
        .filter(|a| matches!(a, Action::SetCategories { .. }))
        .map(|a| a.item_id().to_owned())
        .collect()
}

fn parse_outbox(plaintext: &[u8]) -> Option<(u64, Outbox)> {
    let (written, queue) = plaintext.split_at_checked(8)?;
    let written = u64::from_be_bytes(written.try_into().ok()?);
    Some((written, Outbox::decode(queue)?))
}
