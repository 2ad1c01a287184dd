//! The browser half of the store: IndexedDB through `indexed_db_futures`.

use std::cell::Cell;
use std::rc::Rc;

use indexed_db_futures::database::Database as IdbDatabase;
use indexed_db_futures::error::{DomException, Error as IdbError, OpenDbError};
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{Transaction, TransactionDone, TransactionMode};
use indexed_db_futures::KeyRange;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::schema::{steps_from, SCHEMA_VERSION, STORE_QUARANTINE};
use super::StoreError;

const VALUE_FIELD: &str = "v";

type Pending = std::pin::Pin<Box<dyn std::future::Future<Output = indexed_db_futures::Result<()>>>>;

/// One change in a batch.
#[derive(Debug, Clone)]
pub enum Write {
    /// Store `value` (sealed bytes) under `key` (a blinded key) in `store`.
    Put {
        /// Object store name.
        store: &'static str,
        /// Blinded record key.
        key: Vec<u8>,
        /// Sealed value.
        value: Vec<u8>,
    },
    /// Remove the record under `key` from `store`.
    Delete {
        /// Object store name.
        store: &'static str,
        /// Blinded record key.
        key: Vec<u8>,
    },
}

impl Write {
    fn store(&self) -> &'static str {
        match self {
            Self::Put { store, .. } | Self::Delete { store, .. } => store,
        }
    }
}

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
}

impl Database {
    /// Opens (creating or upgrading as needed) the database called `name`.
    ///
    /// If another tab later upgrades or deletes the database, this connection closes
    /// itself at once so that tab never waits, and later calls fail with
    /// [`StoreError::Closed`].
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let request = IdbDatabase::open(name)
            .with_version(SCHEMA_VERSION)
            .with_on_blocked(|_| Ok(()))
            .with_on_upgrade_needed(|event, db| upgrade(event.old_version() as u32, &db));
        let db = match request.await {
            Ok(db) => db,
            Err(error) if open_error_name(&error).as_deref() == Some("VersionError") => {
                return Err(version_too_new(name).await)
            }
            Err(error) => return Err(map_open_error(error)),
        };
        let closed = Rc::new(Cell::new(false));
        watch_version_changes(&db, closed.clone());
        Ok(Self { db, closed })
    }

    /// Whether the connection has been closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes the connection; later calls fail with [`StoreError::Closed`].
    pub fn close(&self) {
        if !self.closed.replace(true) {
            self.db.clone().close();
        }
    }

    /// Applies every write in one transaction and waits for it to commit. If any
    /// write fails, the transaction aborts and nothing is written.
    pub async fn write(&self, writes: &[Write]) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        let stores = distinct_stores(writes);
        let tx = self.transaction(&stores, TransactionMode::Readwrite)?;
        let done = tx.on_done().map_err(map_error)?;
        let mut pending = Vec::with_capacity(writes.len());
        for write in writes {
            let store = tx.object_store(write.store()).map_err(map_error)?;
            let request: Pending = match write {
                Write::Put { key, value, .. } => {
                    let put = store.put(record(value)?).with_key(bytes(key)).primitive().map_err(map_error)?;
                    Box::pin(async move { put.await.map(|_| ()) })
                }
                Write::Delete { key, .. } => Box::pin(store.delete(bytes(key)).primitive().map_err(map_error)?),
            };
            pending.push(request);
        }
        // Every request is already issued; awaiting them in turn surfaces the first
        // failure with its own DOMException (e.g. QuotaExceededError).
        for request in pending {
            request.await.map_err(map_error)?;
        }
        finish(tx, done).await
    }

    /// Reads the sealed value stored under `key` in `store`.
    pub async fn get(&self, store: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.transaction(&[store], TransactionMode::Readonly)?;
        let object_store = tx.object_store(store).map_err(map_error)?;
        let found: Option<JsValue> = object_store
            .get::<JsValue, JsValue, _>(KeyRange::Only(bytes(key)))
            .primitive()
            .map_err(map_error)?
            .await
            .map_err(map_error)?;
        found.map(|value| record_bytes(&value)).transpose()
    }

    /// Moves a record that failed authentication out of `store` into quarantine, in one transaction.
    pub async fn quarantine(&self, entry: &QuarantinedRecord, raw: &[u8]) -> Result<(), StoreError> {
        let store: &str = &entry.store;
        let tx = self.transaction(&[store, STORE_QUARANTINE], TransactionMode::Readwrite)?;
        let done = tx.on_done().map_err(map_error)?;
        let value = quarantine_value(entry, raw)?;
        let quarantine_key = js_sys::Array::of2(&JsValue::from_str(store), &bytes(&entry.key));
        let put = tx
            .object_store(STORE_QUARANTINE)
            .map_err(map_error)?
            .put(value)
            .with_key(JsValue::from(quarantine_key))
            .primitive()
            .map_err(map_error)?;
        let delete = tx.object_store(store).map_err(map_error)?.delete(bytes(&entry.key)).primitive().map_err(map_error)?;
        put.await.map_err(map_error)?;
        delete.await.map_err(map_error)?;
        finish(tx, done).await
    }

    /// Every quarantined record.
    pub async fn quarantined(&self) -> Result<Vec<QuarantinedRecord>, StoreError> {
        let tx = self.transaction(&[STORE_QUARANTINE], TransactionMode::Readonly)?;
        let values: Vec<JsValue> = tx
            .object_store(STORE_QUARANTINE)
            .map_err(map_error)?
            .get_all::<JsValue>()
            .primitive()
            .map_err(map_error)?
            .await
            .map_err(map_error)?
            .collect::<Result<_, _>>()
            .map_err(map_error)?;
        values.iter().map(parse_quarantine_value).collect()
    }

    fn transaction(&self, stores: &[&str], mode: TransactionMode) -> Result<Transaction<'_>, StoreError> {
        if self.closed.get() {
            return Err(StoreError::Closed);
        }
        self.db.transaction(stores).with_mode(mode).build().map_err(|error| {
            if matches!(error, IdbError::DomException(DomException::InvalidStateError(_))) {
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

/// Deletes the database called `name`. Other tabs holding it open close on the
/// `versionchange` event this fires, so the deletion does not wait on them.
pub async fn delete_database(name: &str) -> Result<(), StoreError> {
    IdbDatabase::delete_by_name(name).map_err(map_open_error)?.await.map_err(map_error)
}

/// Waits for a readwrite transaction to settle once its requests have. Some
/// failures, such as running out of quota, surface only here, as the transaction's
/// own error, which is why this reads `tx.error()` rather than committing blindly.
async fn finish(tx: Transaction<'_>, done: TransactionDone) -> Result<(), StoreError> {
    if done.await.is_ok() {
        return Ok(());
    }
    Err(tx.error().map(map_error).unwrap_or_else(|| StoreError::Failed("the transaction was aborted".into())))
}

fn upgrade(old_version: u32, db: &IdbDatabase) -> indexed_db_futures::Result<()> {
    for step in steps_from(old_version) {
        for store in step.create_stores {
            db.create_object_store(*store).build()?;
        }
    }
    Ok(())
}

fn watch_version_changes(db: &IdbDatabase, closed: Rc<Cell<bool>>) {
    let Ok(mut listener) = db.version_changes() else {
        return;
    };
    let db = db.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if listener.recv().await.is_some() && !closed.replace(true) {
            db.close();
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
    StoreError::VersionTooNew { found, supported: SCHEMA_VERSION }
}

fn distinct_stores(writes: &[Write]) -> Vec<&'static str> {
    let mut stores: Vec<&'static str> = Vec::new();
    for write in writes {
        if !stores.contains(&write.store()) {
            stores.push(write.store());
        }
    }
    stores
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

fn record(value: &[u8]) -> Result<JsValue, StoreError> {
    let object = Object::new();
    set(&object, VALUE_FIELD, &bytes(value))?;
    Ok(object.into())
}

fn record_bytes(record: &JsValue) -> Result<Vec<u8>, StoreError> {
    Reflect::get(record, &JsValue::from_str(VALUE_FIELD))
        .ok()
        .and_then(|value| value.dyn_into::<Uint8Array>().ok())
        .map(|array| array.to_vec())
        .ok_or_else(|| StoreError::Failed("a stored record has no value bytes".into()))
}

fn quarantine_value(entry: &QuarantinedRecord, raw: &[u8]) -> Result<JsValue, StoreError> {
    let object = Object::new();
    set(&object, "store", &JsValue::from_str(&entry.store))?;
    set(&object, "key", &bytes(&entry.key))?;
    set(&object, VALUE_FIELD, &bytes(raw))?;
    if let Some(sealed_id) = &entry.sealed_id {
        set(&object, "id", &bytes(sealed_id))?;
    }
    Ok(object.into())
}

fn parse_quarantine_value(value: &JsValue) -> Result<QuarantinedRecord, StoreError> {
    let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok();
    let as_bytes = |js: Option<JsValue>| js.and_then(|v| v.dyn_into::<Uint8Array>().ok()).map(|a| a.to_vec());
    let store = field("store")
        .and_then(|v| v.as_string())
        .ok_or_else(|| StoreError::Failed("a quarantine entry has no store".into()))?;
    let key = as_bytes(field("key")).ok_or_else(|| StoreError::Failed("a quarantine entry has no key".into()))?;
    Ok(QuarantinedRecord { store, key, sealed_id: as_bytes(field("id")) })
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

fn map_error(error: IdbError) -> StoreError {
    match dom_exception_name(&error).as_deref() {
        Some("QuotaExceededError") => StoreError::QuotaExceeded,
        Some("InvalidStateError") => StoreError::Closed,
        _ => StoreError::Failed(error.to_string()),
    }
}
