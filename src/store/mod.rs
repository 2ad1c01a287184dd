//! IndexedDB: the schema, its numbered migrations, and transactions.
//!
//! This layer knows object stores, blinded keys and sealed bytes, never mail. The
//! schema description is pure Rust; the browser part lives in `idb` and only
//! compiles for `wasm32`.

pub mod cursor;
#[cfg(target_arch = "wasm32")]
mod idb;
mod record;
mod schema;

#[cfg(target_arch = "wasm32")]
pub use idb::{
    database_exists, delete_database, Database, Page, QuarantinedRecord, ReadTx, WriteTx,
};
pub use record::{FieldValue, Key, KeyPart, Query, Record};
pub use schema::{
    current_stores, fields, indexes, steps_from, upgrade_drops_data, IndexSpec, Migration,
    StoreSpec, MIGRATIONS, SCHEMA_VERSION, STORE_DIRECTORY, STORE_FOLDER_COUNTS,
    STORE_MESSAGE_BODIES, STORE_META, STORE_QUARANTINE, STORE_SEARCH_DOCS, STORE_SEARCH_POSTINGS,
    STORE_SYNC_STATE,
};

/// What can go wrong in the storage layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The connection was closed (by us, or because another tab upgraded or deleted the database).
    #[error("database connection is closed")]
    Closed,
    /// The browser refused the write for lack of quota.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// The database has a newer schema than this build knows.
    #[error("database schema {found} is newer than supported {supported}")]
    VersionTooNew {
        /// Version found in the browser.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// No IndexedDB in this environment.
    #[error("IndexedDB is unavailable: {0}")]
    Unavailable(String),
    /// Any other IndexedDB failure, with the browser's message.
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for crate::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Closed => Self::Closed,
            StoreError::QuotaExceeded => Self::QuotaExceeded,
            StoreError::VersionTooNew { found, supported } => {
                Self::VersionTooNew { found, supported }
            }
            StoreError::Unavailable(message) => Self::Unsupported(message),
            StoreError::Failed(message) => Self::Storage(message),
        }
    }
}
