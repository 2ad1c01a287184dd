//! The browser half of the store: IndexedDB through `indexed_db_futures`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use indexed_db_futures::database::Database as IdbDatabase;
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionDone, TransactionMode};
use indexed_db_futures::{KeyPath, KeyRange};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::record::{FieldValue, Key, KeyPart, Query, Record};
use super::schema::{fields, steps_from, upgrade_drops_data, SCHEMA_VERSION, STORE_QUARANTINE};
use super::StoreError;

const VALUE_FIELD: &str = "v";
const QUARANTINE_STORE_FIELD: &str = fields::ORIGIN_STORE;
const QUARANTINE_ID_FIELD: &str = fields::SEALED_ID;
/// Longest key this library writes (a quarantine key: a store name, a zero byte
/// and a 16-byte blinded key); a longer one was not written by it.
const MAX_KEY_LEN: u32 = 64;
/// Largest sealed value this library writes (an item of 16 M UTF-16 characters of
/// JSON is at most 48 MiB of UTF-8); a larger one is malformed.
const MAX_VALUE_BYTES: u32 = 64 * 1024 * 1024;
/// Most bytes one read copies into WebAssembly memory: a store stuffed with junk
/// gives an error rather than an allocation failure (which would abort the module).
const MAX_READ_BYTES: u64 = 512 * 1024 * 1024;

/// Counts the bytes a read copies out of IndexedDB against [`MAX_READ_BYTES`].
struct ReadBudget(u64);

impl ReadBudget {
    fn new() -> Self {
        Self(MAX_READ_BYTES)
    }

    fn take(&mut self, bytes: u32) -> Result<(), StoreError> {
        self.0 = self.0.checked_sub(u64::from(bytes)).ok_or_else(|| {
            StoreError::Failed(format!(
                "a read would copy more than {MAX_READ_BYTES} bytes out of IndexedDB; the store holds records this library did not write"
            ))
        })?;
        Ok(())
    }
}

type Pending = Pin<Box<dyn Future<Output = indexed_db_futures::Result<()>>>>;

/// A record moved to quarantine: where it was and, if known, its sealed id.
#[derive(Debug, Clone)]
pub struct QuarantinedRecord {
    /// The object store it was read from.
    pub store: String,
    /// Its blinded key.
    pub key: Vec<u8>,
    /// The record id, sealed by the caller, when the caller knew it.
    pub sealed_id: Option<Vec<u8>>,
}

/// An open connection to one user's database.
pub struct Database {
    db: IdbDatabase,
    closed: Rc<Cell<bool>>,
    /// Called once if another tab's upgrade or deletion closes this connection.
    on_version_change: VersionChangeHook,
    data_dropped: bool,
}

/// What to call when another tab's upgrade or deletion closes the connection.
type VersionChangeHook = Rc<RefCell<Option<Box<dyn Fn()>>>>;

impl Database {
    /// Opens (creating or upgrading as needed) the database called `name`.
    ///
    /// If another tab later upgrades or deletes the database, this connection closes
    /// itself at once so that tab never waits, and later calls fail with
    /// [`StoreError::Closed`].
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let upgraded_from = Rc::new(Cell::new(None));
        let seen = upgraded_from.clone();
        let request = IdbDatabase::open(name)
            .with_version(SCHEMA_VERSION)
            .with_on_blocked(|_| Ok(()))
            .with_on_upgrade_needed(move |event, db| {
                let old = event.old_version() as u32;
                seen.set(Some(old));
                upgrade(old, &db)
            });
        let db = match request.await {
            Ok(db) => db,
            Err(error) if open_error_name(&error).as_deref() == Some("VersionError") => {
                return Err(version_too_new(name).await)
            }
            Err(error) => return Err(map_open_error(error)),
        };
        let closed = Rc::new(Cell::new(false));
        let on_version_change: VersionChangeHook = Rc::new(RefCell::new(None));
        watch_version_changes(&db, closed.clone(), on_version_change.clone());
        Ok(Self {
            db,
            closed,
            on_version_change,
            data_dropped: upgraded_from.get().is_some_and(upgrade_drops_data),
        })
    }

    /// Calls `hook` when another tab upgrades or deletes the database and this
    /// connection closes for it (not when this tab closes it).
    pub fn on_version_change(&self, hook: Box<dyn Fn()>) {
        *self.on_version_change.borrow_mut() = Some(hook);
    }

    /// Whether opening upgraded an older format whose data (keyring included) the
    /// upgrade dropped, so the database must be set up again as new.
    pub fn data_dropped(&self) -> bool {
        self.data_dropped
    }

    /// How many records `store` holds.
    pub async fn count(&self, store: &str) -> Result<u32, StoreError> {
        let tx = self.transaction(&[store], TransactionMode::Readonly)?;
        let object_store = tx.object_store(store).map_err(map_error)?;
        let count = object_store.count().primitive().map_err(map_error)?;
        Ok(count.await.map_err(map_error)? as u32)
    }

    /// Closes the connection; later calls fail with [`StoreError::Closed`].
    pub fn close(&self) {
        if !self.closed.replace(true) {
            self.db.clone().close();
        }
    }

    /// Starts a readwrite transaction over `stores`.
    pub fn begin_write(&self, stores: &[&str]) -> Result<WriteTx<'_>, StoreError> {
        let tx = self.transaction(stores, TransactionMode::Readwrite)?;
        let done = tx.on_done().map_err(map_error)?;
        Ok(WriteTx {
            tx,
            done,
            pending: Vec::new(),
            written: BTreeSet::new(),
        })
    }

    /// Starts a readonly transaction over `stores`: every read in it sees the same
    /// moment, so records and the state they are checked against agree.
    pub fn begin_read(&self, stores: &[&str]) -> Result<ReadTx<'_>, StoreError> {
        Ok(ReadTx {
            tx: self.transaction(stores, TransactionMode::Readonly)?,
        })
    }

    /// Reads the record stored under `key` in `store`.
    pub async fn get(&self, store: &str, key: &[u8]) -> Result<Option<Record>, StoreError> {
        self.begin_read(&[store])?.get(store, key).await
    }

    /// Reads the records stored under `keys` in `store`, in order.
    pub async fn get_many(
        &self,
        store: &str,
        keys: &[Vec<u8>],
    ) -> Result<Vec<Option<Record>>, StoreError> {
        self.begin_read(&[store])?.get_many(store, keys).await
    }

    /// Stores `record` under `key` unless a record is there already, in one
    /// transaction (so two tabs racing to create it end with one); returns the
    /// record that was there, if any.
    pub async fn put_if_absent(
        &self,
        store: &str,
        key: &[u8],
        record: &Record,
    ) -> Result<Option<Record>, StoreError> {
        let mut tx = self.begin_write(&[store])?;
        let existing = tx.get_many(store, &[key.to_vec()]).await?.pop().flatten();
        if existing.is_none() {
            tx.put(store, key, record)?;
        }
        tx.commit().await?;
        Ok(existing)
    }

    /// Every record of `store`, in key order.
    pub async fn get_all(&self, store: &str) -> Result<Vec<Record>, StoreError> {
        self.begin_read(&[store])?.get_all(store).await
    }

    /// One page of a walk over the whole store: up to `limit` records with keys
    /// after `after` (from the first key when `None`), in key order. A page is cut
    /// by keys, not by the records on it: records under foreign keys are left out,
    /// but the page says the last key it reached and whether it was full.
    pub async fn records_after(
        &self,
        store: &str,
        after: Option<&[u8]>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let tx = self.begin_read(&[store])?;
        store_records(&tx.tx, store, after, Some(limit)).await
    }

    /// Records of `store` whose `index` entry matches `query`, in ascending index order.
    pub async fn query(
        &self,
        store: &str,
        index: &str,
        query: &Query,
        limit: Option<u32>,
    ) -> Result<Vec<Record>, StoreError> {
        self.begin_read(&[store])?
            .query(store, index, query, limit)
            .await
    }

    /// The keys of the records of `store` whose `index` entry matches `query`, in
    /// ascending index order, without reading the records (keys this library
    /// does not write are left out).
    pub async fn query_keys(
        &self,
        store: &str,
        index: &str,
        query: &Query,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let tx = self.begin_read(&[store])?;
        let object_store = tx.tx.object_store(store).map_err(map_error)?;
        let keys = object_store
            .index(index)
            .map_err(map_error)?
            .get_all_keys::<JsValue>()
            .with_query::<JsValue, _>(key_range(query))
            .primitive()
            .map_err(map_error)?
            .await
            .map_err(map_error)?;
        let mut out = Vec::new();
        for key in keys {
            let key = key.map_err(map_error)?;
            if let Some(buffer) = key.dyn_ref::<js_sys::ArrayBuffer>() {
                if buffer.byte_length() <= MAX_KEY_LEN {
                    out.push(Uint8Array::new(buffer).to_vec());
                }
            }
        }
        Ok(out)
    }

    /// Every quarantined record (entries too malformed to describe are left out).
    pub async fn quarantined(&self) -> Result<Vec<QuarantinedRecord>, StoreError> {
        let records = self.get_all(STORE_QUARANTINE).await?;
        Ok(records.into_iter().filter_map(to_quarantined).collect())
    }

    fn transaction(
        &self,
        stores: &[&str],
        mode: TransactionMode,
    ) -> Result<Transaction<'_>, StoreError> {
        if self.closed.get() {
            return Err(StoreError::Closed);
        }
        self.db
            .transaction(stores)
            .with_mode(mode)
            .build()
            .map_err(|error| {
                if matches!(
                    error,
                    IdbError::DomException(DomException::InvalidStateError(_))
                ) {
                    self.closed.set(true);
                    return StoreError::Closed;
                }
                map_error(error)
            })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.close();
    }
}

/// A readonly transaction: every read in it sees the same moment.
pub struct ReadTx<'a> {
    tx: Transaction<'a>,
}

impl ReadTx<'_> {
    /// Reads the record stored under `key` in `store`.
    pub async fn get(&self, store: &str, key: &[u8]) -> Result<Option<Record>, StoreError> {
        Ok(get_many(&self.tx, store, &[key.to_vec()])
            .await?
            .pop()
            .flatten())
    }

    /// Reads the records stored under `keys` in `store`, in order.
    pub async fn get_many(
        &self,
        store: &str,
        keys: &[Vec<u8>],
    ) -> Result<Vec<Option<Record>>, StoreError> {
        get_many(&self.tx, store, keys).await
    }

    /// Every record of `store`, in key order.
    pub async fn get_all(&self, store: &str) -> Result<Vec<Record>, StoreError> {
        Ok(store_records(&self.tx, store, None, None).await?.records)
    }

    /// Up to `limit` records of `store` with keys after `after`, in key order
    /// (see [`Database::records_after`]).
    pub async fn records_after(
        &self,
        store: &str,
        after: Option<&[u8]>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        store_records(&self.tx, store, after, Some(limit)).await
    }

    /// Every record of `store` with a key from `lower` to `upper` (both
    /// included), in key order.
    pub async fn records_between(
        &self,
        store: &str,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Vec<Record>, StoreError> {
        let range = Query::Range {
            lower: Key::One(KeyPart::Bytes(lower.to_vec())),
            upper: Key::One(KeyPart::Bytes(upper.to_vec())),
            lower_open: false,
            upper_open: false,
        };
        Ok(records_in(&self.tx, store, &range, u32::MAX).await?.records)
    }

    /// Records of `store` whose `index` entry matches `query`, in ascending index order.
    pub async fn query(
        &self,
        store: &str,
        index: &str,
        query: &Query,
        limit: Option<u32>,
    ) -> Result<Vec<Record>, StoreError> {
        query_records(&self.tx, store, index, query, limit).await
    }
}

/// A readwrite transaction: reads inside it see a consistent state, writes are
/// issued at once and either all land at [`WriteTx::commit`] or none do.
pub struct WriteTx<'a> {
    tx: Transaction<'a>,
    done: TransactionDone,
    pending: Vec<Pending>,
    /// The stores a put, delete or clear was issued on, for the change notice.
    written: BTreeSet<String>,
}

impl WriteTx<'_> {
    /// Reads the records under `keys` in `store`, in order.
    pub async fn get_many(
        &self,
        store: &str,
        keys: &[Vec<u8>],
    ) -> Result<Vec<Option<Record>>, StoreError> {
        get_many(&self.tx, store, keys).await
    }

    /// Records of `store` whose `index` entry matches `query`.
    pub async fn query(
        &self,
        store: &str,
        index: &str,
        query: &Query,
    ) -> Result<Vec<Record>, StoreError> {
        query_records(&self.tx, store, index, query, None).await
    }

    /// Up to `limit` records of `store` with keys after `after`, in key order
    /// (see [`Database::records_after`]).
    pub async fn records_after(
        &self,
        store: &str,
        after: Option<&[u8]>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        store_records(&self.tx, store, after, Some(limit)).await
    }

    /// The stores this transaction has written to so far.
    pub fn written(&self) -> impl Iterator<Item = &str> {
        self.written.iter().map(String::as_str)
    }

    /// Stores `record` under `key` in `store` (the record's own key is added as field `k`).
    pub fn put(&mut self, store: &str, key: &[u8], record: &Record) -> Result<(), StoreError> {
        self.note_written(store);
        let value = to_js(key, record)?;
        let object_store = self.tx.object_store(store).map_err(map_error)?;
        let put = object_store
            .put(value)
            .with_key(bytes(key))
            .primitive()
            .map_err(map_mutation_error)?;
        self.pending
            .push(Box::pin(async move { put.await.map(|_| ()) }));
        Ok(())
    }

    /// Moves a record that failed authentication out of its store into quarantine.
    pub fn quarantine(&mut self, entry: &QuarantinedRecord, raw: &[u8]) -> Result<(), StoreError> {
        let mut record = Record::sealed(raw.to_vec()).with(
            QUARANTINE_STORE_FIELD,
            FieldValue::Bytes(entry.store.as_bytes().to_vec()),
        );
        if let Some(sealed_id) = &entry.sealed_id {
            record = record.with(QUARANTINE_ID_FIELD, FieldValue::Bytes(sealed_id.clone()));
        }
        let mut quarantine_key = entry.store.as_bytes().to_vec();
        quarantine_key.push(0);
        quarantine_key.extend_from_slice(&entry.key);
        self.put(STORE_QUARANTINE, &quarantine_key, &record)?;
        self.delete(&entry.store, &entry.key)
    }

    /// Deletes every record of `store`.
    pub fn clear(&mut self, store: &str) -> Result<(), StoreError> {
        self.note_written(store);
        let object_store = self.tx.object_store(store).map_err(map_error)?;
        self.pending
            .push(Box::pin(object_store.clear().map_err(map_mutation_error)?));
        Ok(())
    }

    /// Deletes the record under `key` in `store`.
    pub fn delete(&mut self, store: &str, key: &[u8]) -> Result<(), StoreError> {
        self.note_written(store);
        let object_store = self.tx.object_store(store).map_err(map_error)?;
        self.pending.push(Box::pin(
            object_store
                .delete(bytes(key))
                .primitive()
                .map_err(map_mutation_error)?,
        ));
        Ok(())
    }

    /// Waits for every write and for the transaction to complete. Some failures,
    /// such as running out of quota, surface only here, as the transaction's own
    /// error; any failure means nothing from this transaction was written.
    pub async fn commit(self) -> Result<(), StoreError> {
        let Self {
            tx, done, pending, ..
        } = self;
        for request in pending {
            request.await.map_err(map_error)?;
        }
        if done.await.is_ok() {
            return Ok(());
        }
        Err(tx
            .error()
            .map(map_error)
            .unwrap_or_else(|| StoreError::Failed("the transaction was aborted".into())))
    }

    fn note_written(&mut self, store: &str) {
        if !self.written.contains(store) {
            self.written.insert(store.to_owned());
        }
    }
}

/// Whether a database called `name` exists, found without opening (and so
/// without creating) it.
pub async fn database_exists(name: &str) -> Result<bool, StoreError> {
    let factory = indexed_db_futures::factory::DBFactory::new().map_err(map_open_error)?;
    let databases = factory
        .databases()
        .map_err(map_error)?
        .await
        .map_err(map_error)?;
    let mut names = databases.filter_map(Result::ok);
    Ok(names.any(|db| db.name() == name))
}

/// Deletes the database called `name`. Other tabs holding it open close on the
/// `versionchange` event this fires, so the deletion does not wait on them.
pub async fn delete_database(name: &str) -> Result<(), StoreError> {
    IdbDatabase::delete_by_name(name)
        .map_err(map_open_error)?
        .await
        .map_err(map_error)
}

async fn get_many(
    tx: &Transaction<'_>,
    store: &str,
    keys: &[Vec<u8>],
) -> Result<Vec<Option<Record>>, StoreError> {
    let object_store = tx.object_store(store).map_err(map_error)?;
    let mut requests = Vec::with_capacity(keys.len());
    for key in keys {
        let request = object_store
            .get::<JsValue, JsValue, _>(KeyRange::Only(bytes(key)))
            .primitive()
            .map_err(map_error)?;
        requests.push(request);
    }
    let mut out = Vec::with_capacity(keys.len());
    let mut budget = ReadBudget::new();
    for (request, key) in requests.into_iter().zip(keys) {
        let found: Option<JsValue> = request.await.map_err(map_error)?;
        out.push(
            found
                .map(|value| to_record(&value, key, &mut budget))
                .transpose()?,
        );
    }
    Ok(out)
}

/// One page of a store, in key order.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records on it this library can read (records under foreign keys left out).
    pub records: Vec<Record>,
    /// The last key the page reached, foreign ones included: where the next page starts.
    pub last_key: Option<Vec<u8>>,
    /// Whether the page was full, so more records may follow it.
    pub full: bool,
}

/// Records of `store` with keys after `after` (every key this library writes when
/// `None`), in key order, up to `limit` when given.
async fn store_records(
    tx: &Transaction<'_>,
    store: &str,
    after: Option<&[u8]>,
    limit: Option<u32>,
) -> Result<Page, StoreError> {
    // Every key this library writes is binary; binary keys sort before any array
    // key, so the empty array bounds them all from above.
    let range = Query::Range {
        lower: Key::One(KeyPart::Bytes(after.unwrap_or_default().to_vec())),
        upper: Key::Array(Vec::new()),
        lower_open: after.is_some(),
        upper_open: true,
    };
    records_in(tx, store, &range, limit.unwrap_or(u32::MAX)).await
}

/// Records of `store` with keys in `range`, in key order, up to `limit`.
async fn records_in(
    tx: &Transaction<'_>,
    store: &str,
    range: &Query,
    limit: u32,
) -> Result<Page, StoreError> {
    let range = key_range(range);
    let object_store = tx.object_store(store).map_err(map_error)?;
    let values = object_store
        .get_all::<JsValue>()
        .with_query::<JsValue, _>(range.clone())
        .with_limit(limit)
        .primitive()
        .map_err(map_error)?;
    let keys = object_store
        .get_all_keys::<JsValue>()
        .with_query::<JsValue, _>(range)
        .with_limit(limit)
        .primitive()
        .map_err(map_error)?;
    // Both requests run in this transaction, so they see the same records in the same order.
    let values = values.await.map_err(map_error)?;
    let keys: Vec<_> = keys.await.map_err(map_error)?.collect();
    let full = keys.len() as u64 >= u64::from(limit);
    // Keys come back as ArrayBuffers; a page's last key may be a foreign one.
    let last_key = match keys.last() {
        Some(Ok(key)) => match key.dyn_ref::<js_sys::ArrayBuffer>() {
            Some(buffer) => {
                let view = JsValue::from(Uint8Array::new(buffer));
                bytes_within(&view, MAX_VALUE_BYTES, &mut ReadBudget::new())?
            }
            None => None,
        },
        _ => None,
    };
    let records = with_primary_keys(values, keys.into_iter())?;
    Ok(Page {
        records,
        last_key,
        full,
    })
}

async fn query_records(
    tx: &Transaction<'_>,
    store: &str,
    index: &str,
    query: &Query,
    limit: Option<u32>,
) -> Result<Vec<Record>, StoreError> {
    let object_store = tx.object_store(store).map_err(map_error)?;
    let index = object_store.index(index).map_err(map_error)?;
    let values = index
        .get_all::<JsValue>()
        .with_query::<JsValue, _>(key_range(query));
    let keys = index
        .get_all_keys::<JsValue>()
        .with_query::<JsValue, _>(key_range(query));
    // Both requests run in this transaction, so they see the same entries in the same order.
    let (values, keys) = match limit {
        Some(limit) => (
            values.with_limit(limit).primitive().map_err(map_error)?,
            keys.with_limit(limit).primitive().map_err(map_error)?,
        ),
        None => (
            values.primitive().map_err(map_error)?,
            keys.primitive().map_err(map_error)?,
        ),
    };
    let values = values.await.map_err(map_error)?;
    let keys = keys.await.map_err(map_error)?;
    with_primary_keys(values, keys)
}

/// Pairs values with the primary keys they are stored under. Records under a key
/// that is not binary, or longer than any this library writes, were not written by
/// it (every key it writes is a short blinded byte string): no call can name them,
/// so they are left out rather than allowed to break a listing.
fn with_primary_keys<V, K>(values: V, keys: K) -> Result<Vec<Record>, StoreError>
where
    V: Iterator<Item = indexed_db_futures::Result<JsValue>>,
    K: Iterator<Item = indexed_db_futures::Result<JsValue>>,
{
    let mut out = Vec::new();
    let mut budget = ReadBudget::new();
    for (value, key) in values.zip(keys) {
        let (value, key) = (value.map_err(map_error)?, key.map_err(map_error)?);
        let Some(buffer) = key.dyn_ref::<js_sys::ArrayBuffer>() else {
            continue;
        };
        if buffer.byte_length() > MAX_KEY_LEN {
            continue;
        }
        let key = Uint8Array::new(buffer).to_vec();
        out.push(to_record(&value, &key, &mut budget)?);
    }
    Ok(out)
}

fn upgrade(old_version: u32, db: &IdbDatabase) -> indexed_db_futures::Result<()> {
    for step in steps_from(old_version) {
        for name in step.delete_stores {
            // A store of a step that ran in this same upgrade exists too: both are deleted.
            if db.object_store_names().any(|existing| existing == *name) {
                db.delete_object_store(name)?;
            }
        }
        for spec in step.create_stores {
            let store = db.create_object_store(spec.name).build()?;
            for index in spec.indexes {
                let key_path = match index.key_path {
                    [single] => KeyPath::One(*single),
                    many => many.iter().copied().collect(),
                };
                store
                    .create_index(index.name, key_path)
                    .with_multi_entry(index.multi_entry)
                    .build()?;
            }
        }
    }
    Ok(())
}

fn watch_version_changes(db: &IdbDatabase, closed: Rc<Cell<bool>>, hook: VersionChangeHook) {
    let Ok(mut listener) = db.version_changes() else {
        return;
    };
    let db = db.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if listener.recv().await.is_some() && !closed.replace(true) {
            db.close();
            if let Some(hook) = hook.borrow_mut().take() {
                hook();
            }
        }
    });
}

/// Reads the version of a database that refused our version, to name it in the error.
async fn version_too_new(name: &str) -> StoreError {
    let found = match IdbDatabase::open(name).await {
        Ok(db) => {
            let version = db.version() as u32;
            db.close();
            version
        }
        Err(_) => SCHEMA_VERSION + 1,
    };
    StoreError::VersionTooNew {
        found,
        supported: SCHEMA_VERSION,
    }
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

fn key_part(part: &KeyPart) -> JsValue {
    match part {
        KeyPart::Bytes(data) => bytes(data),
        KeyPart::Number(n) => JsValue::from_f64(*n),
    }
}

fn key(key: &Key) -> JsValue {
    match key {
        Key::One(part) => key_part(part),
        Key::Array(parts) => parts.iter().map(key_part).collect::<Array>().into(),
    }
}

fn key_range(query: &Query) -> KeyRange<JsValue> {
    match query {
        Query::Only(only) => KeyRange::Only(key(only)),
        Query::Range {
            lower,
            upper,
            lower_open,
            upper_open,
        } => KeyRange::Bound(key(lower), *lower_open, key(upper), *upper_open),
    }
}

fn to_js(own_key: &[u8], record: &Record) -> Result<JsValue, StoreError> {
    let object = Object::new();
    if let Some(value) = &record.value {
        set(&object, VALUE_FIELD, &bytes(value))?;
    }
    set(&object, fields::KEY, &bytes(own_key))?;
    for (name, value) in &record.fields {
        let js = match value {
            FieldValue::Bytes(data) => bytes(data),
            FieldValue::Number(n) => JsValue::from_f64(*n),
            FieldValue::BytesList(list) => list.iter().map(|b| bytes(b)).collect::<Array>().into(),
        };
        set(&object, name, &js)?;
    }
    Ok(object.into())
}

/// Reads a stored record. Its `k` field is set from the key it is actually stored
/// under, never from the stored copy, so a record moved onto another key is opened
/// against (and fails authentication for) the key it was found at; a stored copy
/// that disagrees with that key (it orders the folder index) marks the record as
/// altered. Only the fields this library writes are read. A value that is not an
/// object of the expected shape, or is larger than any this library writes, still
/// becomes a record (without a sealed value, or without the odd fields), which then
/// fails authentication and is quarantined, so one malformed record never breaks a
/// query.
fn to_record(
    js: &JsValue,
    primary_key: &[u8],
    budget: &mut ReadBudget,
) -> Result<Record, StoreError> {
    let mut record = Record::default();
    if !js.is_object() {
        record.set(fields::KEY, FieldValue::Bytes(primary_key.to_vec()));
        return Ok(record);
    }
    let read = |name: &str| Reflect::get(js, &JsValue::from_str(name)).unwrap_or_default();
    record.value = bytes_within(&read(VALUE_FIELD), MAX_VALUE_BYTES, budget)?;
    for name in fields::INDEXED {
        if let Some(field) = to_field(&read(name), budget)? {
            record.fields.push((name.to_owned(), field));
        }
    }
    let stored_key = read(fields::KEY);
    let key_agrees = stored_key.is_undefined()
        || bytes_within(&stored_key, MAX_KEY_LEN, budget)?.as_deref() == Some(primary_key);
    if !key_agrees {
        record.value = None;
    }
    record.set(fields::KEY, FieldValue::Bytes(primary_key.to_vec()));
    Ok(record)
}

/// The bytes of a `Uint8Array` no longer than `max`, charged to `budget`.
fn bytes_within(
    value: &JsValue,
    max: u32,
    budget: &mut ReadBudget,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(array) = value.dyn_ref::<Uint8Array>() else {
        return Ok(None);
    };
    if array.length() > max {
        return Ok(None);
    }
    budget.take(array.length())?;
    Ok(Some(array.to_vec()))
}

/// One stored field, if it has a shape this library writes. An element of a list
/// that is not binary makes the whole field unreadable (`None`), so the record
/// fails authentication instead of being read with part of a field missing.
fn to_field(value: &JsValue, budget: &mut ReadBudget) -> Result<Option<FieldValue>, StoreError> {
    if value.is_instance_of::<Uint8Array>() {
        return Ok(bytes_within(value, MAX_VALUE_BYTES, budget)?.map(FieldValue::Bytes));
    }
    if let Some(n) = value.as_f64() {
        return Ok(Some(FieldValue::Number(n)));
    }
    let Some(list) = value.dyn_ref::<Array>() else {
        return Ok(None);
    };
    let mut tags = Vec::new();
    for element in list.iter() {
        // Each tag costs its bookkeeping too, so a list of many empty arrays is bounded.
        budget.take(32)?;
        match bytes_within(&element, MAX_VALUE_BYTES, budget)? {
            Some(tag) => tags.push(tag),
            None => return Ok(None),
        }
    }
    Ok(Some(FieldValue::BytesList(tags)))
}

fn to_quarantined(record: Record) -> Option<QuarantinedRecord> {
    let store = record.bytes(QUARANTINE_STORE_FIELD)?;
    let store = String::from_utf8(store.to_vec()).ok()?;
    let key = record.bytes(fields::KEY)?.get(store.len() + 1..)?.to_vec();
    let sealed_id = record.bytes(QUARANTINE_ID_FIELD).map(<[u8]>::to_vec);
    Some(QuarantinedRecord {
        store,
        key,
        sealed_id,
    })
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), StoreError> {
    Reflect::set(object, &JsValue::from_str(name), value)
        .map(|_| ())
        .map_err(|_| StoreError::Failed(format!("could not build the stored record field {name}")))
}

fn open_error_name(error: &OpenDbError) -> Option<String> {
    match error {
        OpenDbError::Base(base) => dom_exception_name(base),
        _ => None,
    }
}

fn dom_exception_name(error: &IdbError) -> Option<String> {
    let IdbError::DomException(exception) = error else {
        return None;
    };
    let js: &JsValue = exception.as_ref();
    js.dyn_ref::<web_sys::DomException>().map(|e| e.name())
}

fn map_open_error(error: OpenDbError) -> StoreError {
    match error {
        OpenDbError::Base(base) => map_error(base),
        OpenDbError::UnsupportedEnvironment | OpenDbError::NullFactory => {
            StoreError::Unavailable("indexedDB is not available in this context".into())
        }
        other => StoreError::Failed(other.to_string()),
    }
}

/// An error thrown by a put, delete or clear as it is issued. Firefox, for a
/// while after a write ran out of quota, refuses the next mutations with
/// `InvalidStateError` ("a mutation operation was attempted on a database that
/// did not allow mutations") while the connection stays open and reads work: that
/// is the quota still, not a closed connection (which fails the transaction's
/// creation instead, see [`Database::transaction`]).
fn map_mutation_error(error: IdbError) -> StoreError {
    match dom_exception_name(&error).as_deref() {
        Some("InvalidStateError") => StoreError::QuotaExceeded,
        _ => map_error(error),
    }
}

fn map_error(error: IdbError) -> StoreError {
    match dom_exception_name(&error).as_deref() {
        Some("QuotaExceededError") => StoreError::QuotaExceeded,
        Some("InvalidStateError") => StoreError::Closed,
        _ => StoreError::Failed(error.to_string()),
    }
}
