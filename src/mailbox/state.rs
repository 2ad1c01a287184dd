//! The sealed state record (`meta`/`state`, see [`crate::sync::MailboxState`]) and
//! the write transactions built around it.
//!
//! Every write is prepared (read, merged, sealed by WebCrypto) outside any
//! transaction against the state's counter as this connection last saw it, then
//! committed in one transaction that first reads the state: if another tab wrote
//! in between, the counter differs, nothing is written, and the write is prepared
//! again. The state is the one record a transaction opens and seals itself: it is
//! sealed under the data key's state key, which lives in WebAssembly so that the
//! work is synchronous and the transaction never waits. A state this connection
//! wrote or read last is recognized by its bytes and not opened at all.
use std::collections::BTreeSet;

use crate::crypto::{key_id, random_bytes, Aad, Keyring, WrappedKeyring};
use crate::live::tabs::{exclusive, HeldLock};
use crate::live::ChangeNotice;
use crate::model::Kind;
use crate::store::{
    fields, Database, ReadTx, Record, WriteTx, STORE_MESSAGE_BODIES, STORE_META, STORE_SYNC_STATE,
};
use crate::sync::{count_changes, Epoch, MailboxState, Placement};
use crate::Error;

use super::records::{stored_placement, with_place};
use super::{missing, Mailbox, KEYRING_KEY};

/// Key of the state record in `meta`.
const STATE_KEY: &[u8] = b"state";
/// How often a write is prepared again when other tabs keep writing first.
pub const WRITE_ATTEMPTS: usize = 16;

/// A write transaction and the state it will store when it finishes.
pub struct StateTx<'a> {
    /// The transaction (over the caller's stores and `meta`).
    pub tx: WriteTx<'a>,
    /// The state read inside it; changes to it are stored by [`Mailbox::finish`].
    pub state: MailboxState,
    moves: Vec<(Option<Placement>, Option<Placement>)>,
    /// The ids of the items written, for the change notice (`None`: not named).
    ids: Option<BTreeSet<String>>,
    /// Whether the write leaves every item as it was (a key rotation's re-sealing,
    /// a layout move): no change is announced.
    quiet: bool,
}

impl StateTx<'_> {
    /// Stores a wrapped keyring in this transaction.
    pub fn put_keyring(&mut self, wrapped: &WrappedKeyring) -> Result<(), Error> {
        let record = Record::sealed(wrapped.as_bytes().to_vec());
        Ok(self.tx.put(STORE_META, KEYRING_KEY, &record)?)
    }

    /// Records messages leaving and entering folders, for the counts.
    pub fn count_moves(&mut self, moves: Vec<(Option<Placement>, Option<Placement>)>) {
        self.moves.extend(moves);
    }

    /// Names the items this write changes, for the change notice every tab gets.
    pub fn names_items<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        self.ids
            .get_or_insert_with(BTreeSet::new)
            .extend(ids.into_iter().map(str::to_owned));
    }

    /// Marks a write that stores the same items again (nothing to announce).
    pub fn changes_no_item(&mut self) {
        self.quiet = true;
    }

    /// What this write changes, as every tab is told once it commits at `version`.
    fn notice(&self, version: u64) -> ChangeNotice {
        if self.quiet {
            return ChangeNotice::default();
        }
        let kinds = self
            .tx
            .written()
            .filter_map(|store| match store {
                STORE_MESSAGE_BODIES => Some(Kind::Message),
                store => Kind::from_store(store),
            })
            .collect();
        let folders = self
            .moves
            .iter()
            .flat_map(|(before, after)| [before, after])
            .flatten()
            .map(|placement| placement.folder.clone())
            .collect();
        ChangeNotice {
            version,
            kinds,
            folders,
            ids: self.ids.clone(),
        }
    }
}

/// The error when other tabs kept committing first for every attempt.
pub fn busy() -> Error {
    Error::Storage("other tabs kept writing to this mailbox at the same time; try again".into())
}

/// Reads the state, or creates it for a database that has none yet. A missing
/// state is accepted only while the mailbox holds no items: otherwise it was
/// removed, and with it the counts, the event span and the epoch.
pub async fn load_or_create(db: &Database, keyring: &Keyring) -> Result<MailboxState, Error> {
    if let Some(record) = db.get(STORE_META, STATE_KEY).await? {
        return open_any_state(keyring, &record).await;
    }
    for kind in Kind::ALL {
        if db.count(kind.store()).await? > 0 {
            return Err(missing(STORE_META, "state"));
        }
    }
    if db.count(STORE_SYNC_STATE).await? > 0 {
        return Err(missing(STORE_META, "state"));
    }
    let fresh = MailboxState::new(random_bytes()?);
    let sealed = seal_state(keyring, &fresh)?;
    // Two tabs enabling at once share one state.
    match db.put_if_absent(STORE_META, STATE_KEY, &sealed).await? {
        Some(record) => open_any_state(keyring, &record).await,
        None => Ok(fresh),
    }
}

/// Opens a state sealed under the state key (synchronous), or `None`.
fn open_state(keyring: &Keyring, record: &Record) -> Option<MailboxState> {
    let sealed = record.value.as_deref().unwrap_or_default();
    keyring
        .open_state(Aad::at(STORE_META, STATE_KEY), sealed)
        .ok()
        .and_then(|plaintext| MailboxState::decode(&plaintext))
}

/// Opens a state, including one sealed under the data key itself by a release
/// before the data keys moved into WebCrypto (it is sealed under the state key
/// by the next write).
async fn open_any_state(keyring: &Keyring, record: &Record) -> Result<MailboxState, Error> {
    if let Some(state) = open_state(keyring, record) {
        return Ok(state);
    }
    let sealed = record.value.as_deref().unwrap_or_default();
    keyring
        .open(Aad::at(STORE_META, STATE_KEY), sealed)
        .await
        .ok()
        .and_then(|plaintext| MailboxState::decode(&plaintext))
        .ok_or_else(|| missing(STORE_META, "state"))
}

fn seal_state(keyring: &Keyring, state: &MailboxState) -> Result<Record, Error> {
    let sealed = keyring.seal_state(Aad::at(STORE_META, STATE_KEY), &state.encode())?;
    Ok(Record::sealed(sealed))
}

impl Mailbox {
    /// Waits for this user's turn to write, across tabs and workers (a Web Lock
    /// held until the guard is dropped). Writes are still checked against the
    /// state's counter; the turn keeps two busy tabs from preparing against each
    /// other's commits until one gives up. Taken by each write's outer loop only,
    /// never while held (a quarantine inside a write does not take it). `None`
    /// where Web Locks are missing or refused: the counter check alone remains.
    pub(super) async fn write_turn(&self) -> Option<HeldLock> {
        exclusive(&format!("{}/write", self.name))
            .await
            .ok()
            .flatten()
    }

    /// The counter the state had when this connection last saw it: what a write
    /// prepared now is checked against.
    pub(super) fn base(&self) -> u64 {
        self.state.borrow().counter
    }

    /// The write counter records sealed now carry (`n`): the one their transaction
    /// will commit with.
    pub(super) fn next_counter(&self) -> u64 {
        self.base() + 1
    }

    /// Reads the state from the database (another tab may have written since).
    pub(super) async fn current_state(&self) -> Result<MailboxState, Error> {
        let record = self.db.get(STORE_META, STATE_KEY).await?;
        self.take_state(record).await
    }

    /// Reads the state in a read transaction that also covers `meta`, alongside
    /// the records being read, so the two agree.
    pub(super) async fn state_in(&self, tx: &ReadTx<'_>) -> Result<Option<Record>, Error> {
        Ok(tx.get(STORE_META, STATE_KEY).await?)
    }

    /// Takes in a state record read from the database: opens it (reloading the
    /// keyring first if another tab rotated the data key) and remembers it.
    pub(super) async fn take_state(&self, record: Option<Record>) -> Result<MailboxState, Error> {
        let record = record.ok_or_else(|| missing(STORE_META, "state"))?;
        // What this connection had seen when the record was read: while it is
        // opened below, this tab may commit newer states, which do not make the
        // record a rollback.
        let seen = self.state.borrow().epoch();
        let sealed = record.value.as_deref().unwrap_or_default();
        if !sealed.is_empty() && *self.state_sealed.borrow() == sealed {
            // The state this connection already holds: authenticated when it was taken in.
            return Ok(self.state.borrow().clone());
        }
        self.catch_up_with(&record).await?;
        let state = open_any_state(&self.keys(), &record).await?;
        self.remember(state.clone(), &seen, sealed).await?;
        Ok(state)
    }

    /// Reads the keyring again until it holds the data key `record` was sealed
    /// with (another tab rotated it), within [`WRITE_ATTEMPTS`] reads.
    pub(super) async fn catch_up_with(&self, record: &Record) -> Result<(), Error> {
        for _ in 0..WRITE_ATTEMPTS {
            if !self.sealed_with_newer_key(record) {
                return Ok(());
            }
            self.reload_keyring().await?;
        }
        Ok(())
    }

    /// Begins a write over `stores` (and `meta`). With `expected`, the write was
    /// prepared against that counter: if the state moved on, nothing happens, this
    /// connection catches up (reloading the keyring if it rotated) and `None` asks
    /// the caller to prepare again.
    pub(super) async fn begin(
        &self,
        stores: &[&str],
        expected: Option<u64>,
    ) -> Result<Option<StateTx<'_>>, Error> {
        let mut all = stores.to_vec();
        all.push(STORE_META);
        let seen = self.state.borrow().epoch();
        let tx = self.db.begin_write(&all)?;
        let record = tx
            .get_many(STORE_META, &[STATE_KEY.to_vec()])
            .await?
            .pop()
            .flatten()
            .ok_or_else(|| missing(STORE_META, "state"))?;
        if self.sealed_with_newer_key(&record) {
            // Another tab rotated the data key: catch up outside this transaction.
            drop(tx);
            self.catch_up_with(&record).await?;
            if self.sealed_with_newer_key(&record) {
                return Err(missing(STORE_META, "state"));
            }
            return Ok(None);
        }
        let sealed = record.value.as_deref().unwrap_or_default();
        let known = !sealed.is_empty() && *self.state_sealed.borrow() == sealed;
        let opened = match known {
            true => Some(self.state.borrow().clone()),
            false => open_state(&self.keyring.borrow(), &record),
        };
        let Some(state) = opened else {
            // Sealed by an earlier release (or altered): opened outside the
            // transaction, which cannot wait on WebCrypto; the write is prepared again.
            drop(tx);
            self.take_state(Some(record)).await?;
            return Ok(None);
        };
        if expected.is_some_and(|base| base != state.counter) {
            // Nothing was written: the empty transaction just completes.
            drop(tx);
            let sealed = record.value.as_deref().unwrap_or_default();
            self.remember(state, &seen, sealed).await?;
            return Ok(None);
        }
        Ok(Some(StateTx {
            tx,
            state,
            moves: Vec::new(),
            ids: None,
            quiet: false,
        }))
    }

    /// Applies the counted moves, advances the counter, stores the state and
    /// commits; nothing of the transaction is written if any of it fails.
    pub(super) async fn finish(&self, txn: StateTx<'_>) -> Result<(), Error> {
        self.finish_with(txn, None).await
    }

    /// [`Mailbox::finish`], sealing the state under `keyring` when the transaction
    /// stores a new one (the connection switches to it only once it is committed).
    pub(super) async fn finish_with(
        &self,
        txn: StateTx<'_>,
        keyring: Option<&Keyring>,
    ) -> Result<(), Error> {
        let notice = txn.notice(txn.state.counter + 1);
        let StateTx {
            mut tx,
            mut state,
            moves,
            ..
        } = txn;
        state.apply_counts(count_changes(moves));
        state.counter += 1;
        let sealed = {
            let own = self.keys();
            let keyring = keyring.unwrap_or(&own);
            state.key_id = keyring.current_key_id();
            seal_state(keyring, &state)?
        };
        tx.put(STORE_META, STATE_KEY, &sealed)?;
        tx.commit().await?;
        *self.state.borrow_mut() = state;
        *self.state_sealed.borrow_mut() = sealed.value.unwrap_or_default();
        self.announce(notice);
        Ok(())
    }

    /// Whether `record` was sealed with a data key this connection does not hold
    /// (yet): another tab rotated the data key.
    fn sealed_with_newer_key(&self, record: &Record) -> bool {
        let id = record.value.as_deref().and_then(key_id);
        id.is_some_and(|id| !self.keyring.borrow().holds_key(id))
    }

    /// Takes in a state read from the database (as `sealed`), reloading the
    /// keyring when another tab moved it to a new data key. A state of another
    /// database instance, or with fewer writes than this connection had `seen` when
    /// it was read, means the database was put back from an older copy under this
    /// open mailbox: `Rollback`, and the connection closes rather than carry on (and
    /// advance the old copy's epoch past the one the app saved). A state older than
    /// one this tab committed or took in since it was read is not kept.
    async fn remember(
        &self,
        state: MailboxState,
        seen: &Epoch,
        sealed: &[u8],
    ) -> Result<(), Error> {
        let found = state.epoch();
        if !found.satisfies(seen) {
            self.close();
            return Err(Error::Rollback {
                expected: seen.to_text(),
                found: found.to_text(),
            });
        }
        if state.counter < self.state.borrow().counter {
            return Ok(());
        }
        let rotated = state.key_id != self.keyring.borrow().current_key_id();
        // The state and the bytes it was read as change together, so a read that
        // finds those bytes again may use the state without opening it.
        *self.state.borrow_mut() = state;
        *self.state_sealed.borrow_mut() = sealed.to_vec();
        if rotated {
            self.reload_keyring().await?;
        }
        Ok(())
    }

    /// Where a stored message counts, if its clear fields are authentic. An altered
    /// record, or a copy put under a new key, is counted nowhere: subtracting what
    /// its fields claim would let copies drive a folder's counts down at will.
    pub(super) fn authentic_placement(&self, store: &str, record: &Record) -> Option<Placement> {
        self.fields_are_authentic(store, record)
            .then(|| stored_placement(record))
            .flatten()
    }

    /// Whether a stored record's clear fields are the ones it was sealed with,
    /// checked without decrypting it.
    pub(super) fn fields_are_authentic(&self, store: &str, record: &Record) -> bool {
        let (Some(sealed), Some(tag)) = (record.value.as_deref(), record.bytes(fields::FIELDS_TAG))
        else {
            return false;
        };
        with_place(store, record, |place| {
            self.keyring
                .borrow()
                .fields_are_authentic(place, sealed, tag)
        })
    }
}
