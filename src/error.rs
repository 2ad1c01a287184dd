//! The library's one public error type. Each layer has its own error
//! ([`crate::crypto::CryptoError`], `store::StoreError`, [`crate::model::ModelError`]);
//! they are mapped here, and this type is mapped once more, at the JavaScript
//! boundary, to an `Error` with a stable `code`.

use crate::crypto::CryptoError;
use crate::model::ModelError;

/// Everything a caller can be told went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The key or passphrase does not open this mailbox. Nothing was read or written.
    #[error("the key or passphrase does not open this mailbox; nothing was changed")]
    WrongKey,
    /// A stored value failed authentication. It has been moved to quarantine so the
    /// host can fetch it again; every other record still reads.
    #[error("stored {store} record{} failed its integrity check and was quarantined; fetch it again from the server", id.as_deref().map(|id| format!(" \"{id}\"")).unwrap_or_default())]
    Integrity {
        /// Object store of the record (`messages`, `folders`, `contacts`, `events`).
        store: String,
        /// The record's id, when the caller named it.
        id: Option<String>,
    },
    /// The browser refused to store more data for this origin.
    #[error("the browser's storage quota for this site is exhausted; nothing from this batch was written")]
    QuotaExceeded,
    /// The database was written by a newer version of this library.
    #[error("this mailbox was written by a newer version of offline-mailbox (schema {found}, this version reads up to {supported}); update the library")]
    VersionTooNew {
        /// Schema version found in the browser.
        found: u32,
        /// Newest schema version this build understands.
        supported: u32,
    },
    /// The stored mailbox is older than the epoch the host kept (`expectedEpoch`), or
    /// another database altogether: a copy restored from a backup or an old disk
    /// image. Nothing was read or changed.
    #[error("the offline mailbox is an older copy than the one this app last saw (found epoch {found}, expected {expected} or later); wipe it with wipeUser and sync again")]
    Rollback {
        /// The epoch the host passed.
        expected: String,
        /// The epoch found in the browser.
        found: String,
    },
    /// The mailbox was closed, wiped, or closed because another tab upgraded or deleted it.
    #[error("the mailbox is closed; open it again")]
    Closed,
    /// The caller passed something malformed. Nothing from the batch was written.
    #[error("invalid input: {}{field}: {reason}", index.map(|i| format!("item {i}, ")).unwrap_or_default())]
    InvalidInput {
        /// Index of the offending item within the batch, if the input was a batch.
        index: Option<usize>,
        /// Name of the offending field (Graph's spelling), or option name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The administrator's policy does not allow this (e.g. offline, contact cards).
    #[error("not allowed by your organization's policy: {0}")]
    PolicyDenied(String),
    /// The organization's server could not answer (unreachable, error status, redirect).
    #[error("the organization's server could not be used: {0}")]
    Network(String),
    /// The browser lacks something the library needs (IndexedDB, WebCrypto).
    #[error("this environment cannot run offline-mailbox: {0}")]
    Unsupported(String),
    /// The app aborted the operation (its `AbortSignal`); what was done before
    /// stays done.
    #[error("the operation was aborted")]
    Aborted,
    /// IndexedDB failed in a way not listed above; the message is the browser's.
    #[error("the browser's storage failed: {0}")]
    Storage(String),
}

impl Error {
    /// The stable, machine-readable code the JavaScript `Error` carries as `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongKey => "WrongKey",
            Self::Integrity { .. } => "Integrity",
            Self::QuotaExceeded => "QuotaExceeded",
            Self::VersionTooNew { .. } => "VersionTooNew",
            Self::Rollback { .. } => "Rollback",
            Self::Closed => "Closed",
            Self::InvalidInput { .. } => "InvalidInput",
            Self::PolicyDenied(_) => "PolicyDenied",
            Self::Network(_) => "Network",
            Self::Unsupported(_) => "Unsupported",
            Self::Aborted => "Aborted",
            Self::Storage(_) => "Storage",
        }
    }

    /// An [`Error::InvalidInput`] for an option or field outside any batch.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::InvalidInput {
            index: None,
            field: field.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

impl From<CryptoError> for Error {
    fn from(error: CryptoError) -> Self {
        match error {
            CryptoError::WrongKey => Self::WrongKey,
            CryptoError::Integrity => Self::Integrity {
                store: String::new(),
                id: None,
            },
            CryptoError::KeyLength { expected, actual } => Self::invalid(
                "key",
                &format!("must be exactly {expected} bytes, got {actual}"),
            ),
            CryptoError::Random => {
                Self::Unsupported("crypto.getRandomValues is unavailable".into())
            }
            CryptoError::Unavailable(message) => Self::Unsupported(message),
        }
    }
}

impl From<ModelError> for Error {
    fn from(error: ModelError) -> Self {
        Self::InvalidInput {
            index: Some(error.index),
            field: error.field,
            reason: error.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_item_and_field() {
        let error = Error::from(ModelError {
            index: 3,
            field: "id".into(),
            reason: "is missing".into(),
        });
        assert_eq!(error.code(), "InvalidInput");
        assert_eq!(error.to_string(), "invalid input: item 3, id: is missing");
    }

    #[test]
    fn integrity_names_the_record() {
        let error = Error::Integrity {
            store: "messages".into(),
            id: Some("AAMk1".into()),
        };
        assert!(error.to_string().contains("messages record \"AAMk1\""));
    }
}
