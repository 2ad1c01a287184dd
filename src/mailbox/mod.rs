//! Reads and writes of the model through the store and the crypto layer.
//!
//! Everything is sealed (by WebCrypto) before a write transaction opens and opened
//! after a read transaction completes, so no IndexedDB transaction ever waits on
//! cryptography; the one exception, the state record, is sealed synchronously.

mod actions;
mod directory;
mod layout;
mod read;
mod records;
mod retention;
mod rotate;
mod search;
mod state;
mod unlock;
mod verify;
mod write;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

use crate::crypto::{database_name, Aad, BlindIndex, Kek, Keyring, WrappedKeyring, SALT_LEN};
use crate::live::ChangeNotice;
use crate::model::Kind;
use crate::store::{
    delete_database, fields, Database, QuarantinedRecord, Record, STORE_MESSAGE_BODIES, STORE_META,
    STORE_QUARANTINE, STORE_SYNC_STATE,
};
use crate::sync::MailboxState;
use crate::Error;

pub use layout::UpgradeProgress;
pub use retention::{Eviction, PruneReport};
pub use rotate::RotationProgress;
pub use search::{SearchOptions, MAX_SEARCH_LIMIT};
pub use unlock::{Unlock, DEFAULT_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS};
pub use verify::{VerifyProgress, VerifyReport};
pub use write::DeltaSummary;

const KEYRING_KEY: &[u8] = b"keyring";
/// Folder ids remembered to name blinded folders in change notices; past this
/// many (only ids the host passed in), the memory starts again.
const MAX_FOLDER_NAMES: usize = 10_000;

/// Told of each committed write that changed items.
pub type ChangeSink = Rc<dyn Fn(ChangeNotice)>;

/// A quarantined record as the host sees it.
#[derive(Debug, Clone)]
pub struct QuarantineEntry {
    /// Object store the record came from.
    pub store: String,
    /// The record's id, when it was known at the time it was quarantined.
    pub id: Option<String>,
}

/// One user's unlocked, open mailbox.
pub struct Mailbox {
    db: Database,
    name: String,
    /// The key-encryption key, kept (instead of the host's secret) to re-wrap the
    /// keyring when the data key rotates or another tab changed the keyring.
    kek: RefCell<Kek>,
    keyring: RefCell<Keyring>,
    blind: BlindIndex,
    /// The sealed state as this connection last read or wrote it.
    state: RefCell<MailboxState>,
    /// The sealed bytes `state` was last read from or written as: a read that
    /// finds the same bytes again needs no decryption.
    state_sealed: RefCell<Vec<u8>>,
    /// Whether the stored keyring is of an earlier release's format, with the raw
    /// data keys sealed inside (see [`Mailbox::upgrade_keyring`]).
    raw_wrap: Cell<bool>,
    /// The last ticket handed out to a keyring read or store: keyring reads await
    /// WebCrypto, so they can finish out of order; see [`Mailbox::install_keys`].
    keys_ticket: Cell<u64>,
    /// The ticket of the keyring `keyring` holds now.
    keys_installed: Cell<u64>,
    /// The search index as this connection last saw it, and decoded buckets.
    search: RefCell<search::SearchCache>,
    /// Told of each write this connection commits.
    on_change: RefCell<Option<ChangeSink>>,
    /// Folder ids by their blinded form, as this connection has met them: what
    /// names a change notice's folders.
    folder_names: RefCell<HashMap<Vec<u8>, String>>,
}

impl Mailbox {
    /// Opens the user's database and unlocks it. With `create`, a database without a
    /// keyring gets a fresh one; without it, a missing keyring is an
    /// [`Error::Integrity`] (someone removed it) rather than a silent new key. A
    /// database of an older format is dropped by the upgrade and set up as new. A
    /// wrong key gives [`Error::WrongKey`] and reads or writes no record (opening may
    /// still run pending schema steps).
    ///
    /// Opening writes nothing to an existing database (so that the caller can
    /// check its epoch first); messages still in the layout of schema 3 are moved
    /// by [`Mailbox::split_whole_messages`].
    pub async fn open(user_id: &str, unlock: &Unlock, create: bool) -> Result<Self, Error> {
        let name = database_name(user_id);
        let db = Database::open(&name).await?;
        let create = create || db.data_dropped();
        let (keyring, kek, raw_wrap) = match db.get(STORE_META, KEYRING_KEY).await? {
            Some(record) => unwrap_keyring(record, unlock).await?,
            None if create => create_keyring(&db, unlock).await?,
            None => return Err(missing(STORE_META, "keyring")),
        };
        let state = state::load_or_create(&db, &keyring).await?;
        let blind = keyring.blind_index();
        Ok(Self {
            db,
            name,
            kek: RefCell::new(kek),
            keyring: RefCell::new(keyring),
            blind,
            state: RefCell::new(state),
            state_sealed: RefCell::new(Vec::new()),
            raw_wrap: Cell::new(raw_wrap),
            keys_ticket: Cell::new(0),
            keys_installed: Cell::new(0),
            search: RefCell::new(search::SearchCache::default()),
            on_change: RefCell::new(None),
            folder_names: RefCell::new(HashMap::new()),
        })
    }

    /// Tells `sink` of every write this connection commits from now on that
    /// changes items.
    pub fn on_change(&self, sink: ChangeSink) {
        *self.on_change.borrow_mut() = Some(sink);
    }

    /// Calls `hook` if another tab upgrades or deletes the database, which
    /// closes this connection.
    pub fn on_closed_by_other_tab(&self, hook: Box<dyn Fn()>) {
        self.db.on_version_change(hook);
    }

    /// The ids of the blinded folders this connection has met (listed, stored
    /// into, or seen in the folder list); others are left out.
    pub fn folder_ids(&self, folders: &std::collections::BTreeSet<Vec<u8>>) -> Vec<String> {
        let names = self.folder_names.borrow();
        folders
            .iter()
            .filter_map(|folder| names.get(folder).cloned())
            .collect()
    }

    /// Remembers the id of a blinded folder, to name it in change notices.
    fn remember_folder(&self, folder: &[u8], id: &str) {
        let mut names = self.folder_names.borrow_mut();
        if names.contains_key(folder) {
            return;
        }
        if names.len() >= MAX_FOLDER_NAMES {
            names.clear();
        }
        names.insert(folder.to_vec(), id.to_owned());
    }

    /// Tells the sink of a committed write, if it changed items.
    fn announce(&self, notice: ChangeNotice) {
        if notice.is_empty() {
            return;
        }
        let sink = self.on_change.borrow().clone();
        if let Some(sink) = sink {
            sink(notice);
        }
    }

    /// Stores a keyring of an earlier release's format (the raw data keys sealed
    /// inside) in the current one, where each data key is wrapped for WebCrypto
    /// to unwrap: from then on, opening never decrypts the raw keys at all. The
    /// data is not re-encrypted. It writes, so it runs only after the caller
    /// accepted the database's epoch.
    pub async fn upgrade_keyring(&self) -> Result<(), Error> {
        if !self.raw_wrap.get() {
            return Ok(());
        }
        let same =
            async |current: &Keyring, _: &Kek, _: &mut MailboxState| Ok(Some(current.clone()));
        self.replace_keyring(None, same).await?;
        self.raw_wrap.set(false);
        Ok(())
    }

    /// Re-wraps the keyring under a new key; the data is not re-encrypted.
    pub async fn change_key(&self, unlock: &Unlock) -> Result<(), Error> {
        let new_kek = new_kek(unlock).await?;
        let rewrap = async |current: &Keyring, kek: &Kek, _: &mut MailboxState| {
            Ok(Some(current.rewrapped(kek, &new_kek).await?))
        };
        self.replace_keyring(Some(new_kek.clone()), rewrap)
            .await
            .map(|_| ())
    }

    /// Stores the keyring `next` makes of the current one (it may also change the
    /// state; it gets this connection's KEK), wrapped under `new_kek` or else this
    /// connection's KEK. It is prepared against the latest state (WebCrypto cannot
    /// run inside a transaction) and committed only if no other write came first,
    /// so it always starts from the keyring every tab uses now. The stored wrap
    /// must still be the one this connection unwrapped: if another tab changed the
    /// key meanwhile, this tab's secret is out of date (`WrongKey`) and nothing is
    /// written. `next` returning `None` (nothing to do) writes nothing and gives
    /// `false`.
    async fn replace_keyring(
        &self,
        new_kek: Option<Kek>,
        next: impl AsyncFn(&Keyring, &Kek, &mut MailboxState) -> Result<Option<Keyring>, Error>,
    ) -> Result<bool, Error> {
        let _turn = self.write_turn().await;
        for _ in 0..state::WRITE_ATTEMPTS {
            let mut state = self.current_state().await?;
            let base = state.counter;
            let kek = self.kek.borrow().clone();
            let Some(keyring) = next(&self.keys(), &kek, &mut state).await? else {
                return Ok(false);
            };
            let new_kek = new_kek.clone().unwrap_or(kek);
            if self.store_keyring(base, state, keyring, new_kek).await? {
                return Ok(true);
            }
        }
        Err(state::busy())
    }

    /// Stores `keyring` wrapped under `kek` with `state`, if no write committed
    /// since `base` (`false`: prepare again), and switches this connection to
    /// both. Not generic, so each caller of [`Mailbox::replace_keyring`] shares
    /// this code.
    async fn store_keyring(
        &self,
        base: u64,
        state: MailboxState,
        keyring: Keyring,
        kek: Kek,
    ) -> Result<bool, Error> {
        let wrapped = keyring.wrap(&kek).await?;
        let Some(mut txn) = self.begin(&[], Some(base)).await? else {
            return Ok(false);
        };
        let stored = txn
            .tx
            .get_many(STORE_META, &[KEYRING_KEY.to_vec()])
            .await?
            .pop()
            .flatten()
            .ok_or_else(|| missing(STORE_META, "keyring"))?;
        if !self.kek.borrow().wrapped(&wrapped_keyring(stored)?) {
            return Err(Error::WrongKey);
        }
        // The transaction found the counter `state` was prepared from.
        txn.state = state;
        txn.put_keyring(&wrapped)?;
        // Switch only once committed: nothing may be sealed under a key not stored.
        self.finish_with(txn, Some(&keyring)).await?;
        let ticket = self.next_keys_ticket();
        self.install_keys(ticket, keyring, Some(kek));
        Ok(true)
    }

    fn next_keys_ticket(&self) -> u64 {
        let ticket = self.keys_ticket.get() + 1;
        self.keys_ticket.set(ticket);
        ticket
    }

    /// Switches this connection to a keyring (and KEK) read or stored under
    /// `ticket`, unless one with a later ticket is in place already: a keyring
    /// read before this tab stored a newer one (or before another read that
    /// finished first) must not replace it. `false` if it was not installed.
    fn install_keys(&self, ticket: u64, keyring: Keyring, kek: Option<Kek>) -> bool {
        if ticket < self.keys_installed.get() {
            return false;
        }
        *self.keyring.borrow_mut() = keyring;
        if let Some(kek) = kek {
            *self.kek.borrow_mut() = kek;
        }
        self.keys_installed.set(ticket);
        true
    }

    /// The epoch as this connection last saw it (see [`crate::sync::Epoch`]).
    pub fn epoch(&self) -> String {
        self.state.borrow().epoch().to_text()
    }

    /// Records currently in quarantine.
    pub async fn quarantined(&self) -> Result<Vec<QuarantineEntry>, Error> {
        let records = self.db.quarantined().await?;
        let keyring = self.keys();
        let described: Vec<_> = records
            .into_iter()
            .map(|record| describe(&keyring, record))
            .collect();
        let mut out = Vec::with_capacity(described.len());
        for entry in described {
            out.push(entry.await);
        }
        Ok(out)
    }

    /// This connection's keyring, to seal or open with across awaits (a clone
    /// shares the keys; no borrow is held while WebCrypto works).
    fn keys(&self) -> Keyring {
        self.keyring.borrow().clone()
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.db.close();
    }

    /// Closes the connection and deletes the whole database; the keys die with it.
    pub async fn wipe(&self) -> Result<(), Error> {
        self.db.close();
        Ok(delete_database(&self.name).await?)
    }

    /// Reads the keyring again (after another tab rotated the data key), unwrapping
    /// it with the KEK this connection holds. A read overtaken by a newer keyring
    /// (stored by this tab, or read by a later call) leaves that one in place, and
    /// its failure to unwrap (the KEK changed meanwhile) is no error.
    async fn reload_keyring(&self) -> Result<(), Error> {
        let ticket = self.next_keys_ticket();
        let record = self
            .db
            .get(STORE_META, KEYRING_KEY)
            .await?
            .ok_or_else(|| missing(STORE_META, "keyring"))?;
        let wrapped = wrapped_keyring(record)?;
        let kek = self.kek.borrow().clone();
        match Keyring::unwrap(&wrapped, &kek).await {
            Ok(keyring) => {
                self.install_keys(ticket, keyring, None);
                Ok(())
            }
            Err(_) if self.keys_installed.get() > ticket => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Moves a record that failed authentication (or does not belong where it was
    /// found) to quarantine, in one transaction that also takes a message whose
    /// clear fields are authentic out of its folder's counts; returns the error to
    /// report.
    async fn quarantine(&self, store: &str, record: &Record, id: Option<&str>) -> Error {
        match self.move_to_quarantine(store, record, id).await {
            Ok(()) => Error::Integrity {
                store: store.to_owned(),
                id: id.map(str::to_owned),
            },
            Err(error) => error,
        }
    }

    async fn move_to_quarantine(
        &self,
        store: &str,
        record: &Record,
        id: Option<&str>,
    ) -> Result<(), Error> {
        let key = record.bytes(fields::KEY).unwrap_or_default();
        let message = store == Kind::Message.store();
        let indexed = Kind::from_store(store).is_some_and(search::is_indexed);
        for _ in 0..state::WRITE_ATTEMPTS {
            let base = self.base();
            // A quarantined item leaves the search index in the same transaction.
            let index = match indexed {
                true => {
                    let prepared = self.index_removal(std::slice::from_ref(record), base).await;
                    let Some(index) = self.or_again(prepared).await? else {
                        continue;
                    };
                    index
                }
                false => None,
            };
            let mut stores = vec![store, STORE_QUARANTINE];
            if message {
                stores.push(STORE_MESSAGE_BODIES);
            }
            if index.is_some() {
                stores.extend(search::INDEX_STORES);
            }
            let keyring = self.keys();
            let sealed_id = match id {
                Some(id) => {
                    let aad = Aad::at(STORE_QUARANTINE, key);
                    keyring.seal(aad, id.as_bytes()).await.ok()
                }
                None => None,
            };
            // An indexed item's change was prepared against `base`.
            let expected = indexed.then_some(base);
            let Some(mut txn) = self.begin(&stores, expected).await? else {
                continue;
            };
            if txn.state.key_id != keyring.current_key_id() {
                // The data key rotated while the id was sealed: seal it again.
                continue;
            }
            let entry = QuarantinedRecord {
                store: store.to_owned(),
                key: key.to_vec(),
                sealed_id,
            };
            let current = txn
                .tx
                .get_many(store, &[key.to_vec()])
                .await?
                .pop()
                .flatten();
            // Only the record that was read goes: if it changed meanwhile, the new one
            // stays. A record read as missing (no value) is reported only while it is.
            if current.and_then(|r| r.value) != record.value {
                return Ok(());
            }
            txn.tx
                .quarantine(&entry, record.value.as_deref().unwrap_or_default())?;
            if store == STORE_SYNC_STATE && key == self.outbox_key() {
                // The outbox is reported once; the next read starts an empty one.
                txn.state.outbox_at = 0;
            }
            if let Some(id) = id {
                txn.names_items([id]);
            }
            if store == Kind::Message.store() {
                txn.count_moves(vec![(self.authentic_placement(store, record), None)]);
                // The message's body goes with it: nothing can reach it any more.
                txn.tx.delete(STORE_MESSAGE_BODIES, key)?;
            }
            self.finish_indexed(txn, index).await?;
            return Ok(());
        }
        Err(state::busy())
    }
}

/// A quarantined record as the host sees it, its id opened if it was sealed
/// (the opening starts now).
fn describe(keyring: &Keyring, record: QuarantinedRecord) -> impl Future<Output = QuarantineEntry> {
    let aad = Aad::at(STORE_QUARANTINE, &record.key);
    let opening = record
        .sealed_id
        .as_deref()
        .map(|sealed| keyring.open(aad, sealed));
    async move {
        let id = match opening {
            Some(opening) => opening.await.ok(),
            None => None,
        };
        QuarantineEntry {
            store: record.store,
            id: id.and_then(|bytes| String::from_utf8(bytes).ok()),
        }
    }
}

/// Deletes a user's database without opening it (for a lost key, or sign-out).
pub async fn wipe_user(user_id: &str) -> Result<(), Error> {
    Ok(delete_database(&database_name(user_id)).await?)
}

fn missing(store: &str, id: &str) -> Error {
    Error::Integrity {
        store: store.into(),
        id: Some(id.into()),
    }
}

fn wrapped_keyring(record: Record) -> Result<WrappedKeyring, Error> {
    record
        .value
        .and_then(WrappedKeyring::from_bytes)
        .ok_or_else(|| missing(STORE_META, "keyring"))
}

/// The keyring in `record`, its KEK, and whether it was stored in an earlier
/// release's format.
async fn unwrap_keyring(record: Record, unlock: &Unlock) -> Result<(Keyring, Kek, bool), Error> {
    let wrapped = wrapped_keyring(record)?;
    let material = unlock
        .material(&wrapped.salt(), wrapped.derivation())
        .await?;
    let kek = Kek::derive(&material, wrapped.derivation(), wrapped.salt()).await?;
    let keyring = Keyring::unwrap(&wrapped, &kek).await?;
    Ok((keyring, kek, wrapped.holds_raw_keys()))
}

/// Creates the keyring, unless another tab or call got there first: the check and
/// the write share one transaction, and the loser unwraps the winner's keyring.
async fn create_keyring(db: &Database, unlock: &Unlock) -> Result<(Keyring, Kek, bool), Error> {
    let kek = new_kek(unlock).await?;
    let keyring = Keyring::generate(&kek).await?;
    let wrapped = Record::sealed(keyring.wrap(&kek).await?.as_bytes().to_vec());
    let existing = db.put_if_absent(STORE_META, KEYRING_KEY, &wrapped).await?;
    match existing {
        Some(record) => unwrap_keyring(record, unlock).await,
        None => Ok((keyring, kek, false)),
    }
}

/// A KEK for a new wrap with `unlock`, under a fresh random salt.
async fn new_kek(unlock: &Unlock) -> Result<Kek, Error> {
    let salt: [u8; SALT_LEN] = crate::crypto::random_bytes()?;
    let derivation = unlock.derivation();
    let material = unlock.material(&salt, derivation).await?;
    Ok(Kek::derive(&material, derivation, salt).await?)
}
