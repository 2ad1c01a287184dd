//! `verify`: every stored item, body and sync record authenticated again, and every
//! folder counted again. What fails goes to quarantine (as a read would put it
//! there); counts that disagree with the messages are replaced by the recount.

use std::collections::BTreeMap;

use crate::model::Kind;
use crate::store::{fields, Record, STORE_MESSAGE_BODIES, STORE_SYNC_STATE};
use crate::sync::{FolderCounts, MailboxState};
use crate::Error;

use super::records::BODY_EVICTED;
use super::state::{busy, WRITE_ATTEMPTS};
use super::Mailbox;

/// Records read and opened per transaction.
const BATCH: u32 = 200;
/// Message records counted per read inside the recount's transaction.
const COUNT_BATCH: u32 = 500;

/// What [`Mailbox::verify`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records authenticated (items, message bodies, sync records).
    pub checked: u64,
    /// Records that failed and were moved to quarantine.
    pub quarantined: u64,
    /// Folders whose stored counts disagreed with their messages (now repaired).
    pub count_errors: u32,
}

/// How far [`Mailbox::verify`] has got, in records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyProgress {
    /// Records checked so far.
    pub done: u64,
    /// Records to check in all (as counted when the walk began).
    pub total: u64,
}

impl Mailbox {
    /// Authenticates every item record (a message with its body), every delta
    /// link and the outbox, quarantining what fails; then counts every folder's
    /// messages and unread messages again and stores the recount where the
    /// stored counts disagree. Other tabs may write meanwhile: the recount and its
    /// repair share one transaction, so they describe one moment.
    pub async fn verify(
        &self,
        on_progress: &dyn Fn(VerifyProgress),
    ) -> Result<VerifyReport, Error> {
        // The reset floors the records are checked against must be current.
        self.current_state().await?;
        let mut total = 0u64;
        for kind in Kind::ALL {
            total += u64::from(self.db.count(kind.store()).await?);
        }
        total += u64::from(self.db.count(STORE_SYNC_STATE).await?);
        let mut report = VerifyReport::default();
        on_progress(VerifyProgress { done: 0, total });
        for kind in Kind::ALL {
            let mut after = None;
            loop {
                let (records, bodies, last_key, full) = self.verify_page(kind, after).await?;
                let (checked, failed) = self.check_items(kind, &records, bodies).await?;
                report.checked += checked;
                report.quarantined += failed;
                on_progress(progress(&report, total));
                match (full, last_key) {
                    (true, Some(last)) => after = Some(last),
                    _ => break,
                }
            }
        }
        let (checked, failed) = self.check_sync_records().await?;
        report.checked += checked;
        report.quarantined += failed;
        report.count_errors = self.recount().await?;
        on_progress(progress(&report, total));
        Ok(report)
    }

    /// One page of `kind`'s records after `after`; for messages, their body
    /// records read in the same transaction (so each pair is one moment).
    async fn verify_page(
        &self,
        kind: Kind,
        after: Option<Vec<u8>>,
    ) -> Result<PageWithBodies, Error> {
        let store = kind.store();
        if kind != Kind::Message {
            let page = self
                .db
                .records_after(store, after.as_deref(), BATCH)
                .await?;
            return Ok((page.records, None, page.last_key, page.full));
        }
        let tx = self.db.begin_read(&[store, STORE_MESSAGE_BODIES])?;
        let page = tx.records_after(store, after.as_deref(), BATCH).await?;
        let keys: Vec<Vec<u8>> = page.records.iter().map(own_key).collect();
        let bodies = tx.get_many(STORE_MESSAGE_BODIES, &keys).await?;
        Ok((page.records, Some(bodies), page.last_key, page.full))
    }

    /// Opens each record (and each message's body); returns how many were
    /// checked and how many failed (and were quarantined).
    async fn check_items(
        &self,
        kind: Kind,
        records: &[Record],
        bodies: Option<Vec<Option<Record>>>,
    ) -> Result<(u64, u64), Error> {
        let opened = self.open_matching_at(kind, records, |_| true).await?;
        let mut failed = (records.len() - opened.len()) as u64;
        let Some(mut bodies) = bodies else {
            return Ok((records.len() as u64, failed));
        };
        let mut checked = records.len() as u64;
        for (index, plaintext) in opened {
            let summary = &records[index];
            let split = summary
                .number(fields::BODY_AT)
                .is_some_and(|at| at != BODY_EVICTED);
            if !split {
                continue;
            }
            checked += 1;
            let body = bodies.get_mut(index).and_then(Option::take);
            match self.with_body(summary, body, &plaintext, None).await {
                Ok(_) => {}
                Err(Error::Integrity { .. }) => failed += 1,
                Err(other) => return Err(other),
            }
        }
        Ok((checked, failed))
    }

    /// Opens every `syncState` record (delta links, the outbox); quarantines
    /// those that fail.
    async fn check_sync_records(&self) -> Result<(u64, u64), Error> {
        let records = self.db.get_all(STORE_SYNC_STATE).await?;
        let mut failed = 0;
        for record in &records {
            let key = own_key(record);
            if self.open_sync_record(&key, record).await.is_none() {
                self.quarantine(STORE_SYNC_STATE, record, None).await;
                failed += 1;
            }
        }
        Ok((records.len() as u64, failed))
    }

    /// Counts every folder's messages again, in one transaction with the state,
    /// and stores the recount if it differs: the number of folders that did.
    async fn recount(&self) -> Result<u32, Error> {
        for _ in 0..WRITE_ATTEMPTS {
            // `None`: a state of an earlier release was taken in; begin again.
            if let Some(errors) = self.try_recount().await? {
                return Ok(errors);
            }
        }
        Err(busy())
    }

    async fn try_recount(&self) -> Result<Option<u32>, Error> {
        let store = Kind::Message.store();
        let Some(mut txn) = self.begin(&[store], None).await? else {
            return Ok(None);
        };
        let mut counted: BTreeMap<Vec<u8>, FolderCounts> = BTreeMap::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = txn
                .tx
                .records_after(store, after.as_deref(), COUNT_BATCH)
                .await?;
            for record in &page.records {
                let Some(placement) = self.authentic_placement(store, record) else {
                    continue;
                };
                let counts = counted.entry(placement.folder).or_default();
                counts.total += 1;
                counts.unread += u64::from(placement.unread);
            }
            match (page.full, page.last_key) {
                (true, Some(last)) => after = Some(last),
                _ => break,
            }
        }
        let errors = disagreements(&txn.state, &counted);
        if errors == 0 {
            // Nothing is written: the transaction completes empty.
            return Ok(Some(0));
        }
        txn.state.counts = counted;
        // The same items: only their counts were wrong.
        txn.changes_no_item();
        self.finish(txn).await?;
        Ok(Some(errors))
    }
}

/// A page of records, their bodies (messages only), its last key and whether it was full.
type PageWithBodies = (
    Vec<Record>,
    Option<Vec<Option<Record>>>,
    Option<Vec<u8>>,
    bool,
);

/// The folders whose stored counts differ from `counted` (a folder missing on
/// one side counts as zero there).
fn disagreements(state: &MailboxState, counted: &BTreeMap<Vec<u8>, FolderCounts>) -> u32 {
    let zero = FolderCounts::default();
    let folders: std::collections::BTreeSet<&Vec<u8>> =
        state.counts.keys().chain(counted.keys()).collect();
    folders
        .into_iter()
        .filter(|folder| {
            state.counts.get(*folder).unwrap_or(&zero) != counted.get(*folder).unwrap_or(&zero)
        })
        .count() as u32
}

fn progress(report: &VerifyReport, total: u64) -> VerifyProgress {
    let done = report.checked;
    VerifyProgress {
        done,
        total: total.max(done),
    }
}

fn own_key(record: &Record) -> Vec<u8> {
    record.bytes(fields::KEY).unwrap_or_default().to_vec()
}
