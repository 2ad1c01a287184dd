//! Reads and writes of the model through the store and the crypto layer.
//!
//! Everything is sealed before a write transaction opens and opened after a read
//! transaction completes, so no IndexedDB transaction ever waits on cryptography.

mod read;
mod records;
mod unlock;
mod write;

use crate::crypto::{
    database_name, Aad, BlindIndex, KeyDerivation, Keyring, WrappedKeyring, SALT_LEN,
};
use crate::model::Kind;
use crate::store::{
    delete_database, fields, Database, QuarantinedRecord, Record, STORE_DIRECTORY,
    STORE_FOLDER_COUNTS, STORE_META, STORE_QUARANTINE,
};
use crate::Error;

pub use unlock::{Unlock, DEFAULT_PBKDF2_ITERATIONS, PBKDF2_ITERATIONS};
pub use write::DeltaSummary;

const KEYRING_KEY: &[u8] = b"keyring";

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
    keyring: Keyring,
    blind: BlindIndex,
}

impl Mailbox {
    /// Opens the user's database and unlocks it. With `create`, a database without a
    /// keyring gets a fresh one; without it, a missing keyring is an
    /// [`Error::Integrity`] (someone removed it) rather than a silent new key. A wrong
    /// key gives [`Error::WrongKey`] and reads or writes no record (opening may still
    /// run pending schema steps).
    pub async fn open(user_id: &str, unlock: &Unlock, create: bool) -> Result<Self, Error> {
        let name = database_name(user_id);
        let db = Database::open(&name).await?;
        let keyring = match db.get(STORE_META, KEYRING_KEY).await? {
            Some(record) => unwrap_keyring(record, unlock).await?,
            None if create => create_keyring(&db, unlock).await?,
            None => {
                return Err(Error::Integrity {
                    store: STORE_META.into(),
                    id: Some("keyring".into()),
                })
            }
        };
        let blind = keyring.blind_index();
        Ok(Self {
            db,
            name,
            keyring,
            blind,
        })
    }

    /// Re-wraps the keyring under a new key; the data is not re-encrypted.
    pub async fn change_key(&self, unlock: &Unlock) -> Result<(), Error> {
        let wrapped = wrap_keyring(&self.keyring, unlock).await?;
        store_keyring(&self.db, &wrapped).await
    }

    /// Records currently in quarantine.
    pub async fn quarantined(&self) -> Result<Vec<QuarantineEntry>, Error> {
        let records = self.db.quarantined().await?;
        Ok(records
            .into_iter()
            .map(|record| self.describe(record))
            .collect())
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

    /// A sealed directory answer cached under `key`, opened; `None` if absent or unreadable.
    pub async fn directory_get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let blinded = self.blind.blind(STORE_DIRECTORY, key.as_bytes());
        let Some(record) = self.db.get(STORE_DIRECTORY, &blinded).await? else {
            return Ok(None);
        };
        let sealed = record.value.as_deref().unwrap_or_default();
        // A cache entry that fails authentication is simply fetched again.
        Ok(self
            .keyring
            .open(
                Aad {
                    store: STORE_DIRECTORY,
                    key: &blinded,
                },
                sealed,
            )
            .ok())
    }

    /// Seals and caches a directory answer under `key`.
    pub async fn directory_put(&self, key: &str, entry: &[u8]) -> Result<(), Error> {
        let blinded = self.blind.blind(STORE_DIRECTORY, key.as_bytes());
        let sealed = self.keyring.seal(
            Aad {
                store: STORE_DIRECTORY,
                key: &blinded,
            },
            entry,
        )?;
        let mut tx = self.db.begin_write(&[STORE_DIRECTORY])?;
        tx.put(STORE_DIRECTORY, &blinded, &Record::sealed(sealed))?;
        Ok(tx.commit().await?)
    }

    /// Moves a record that failed authentication to quarantine, in one transaction
    /// that also takes a message out of its folder's counts; returns the error to report.
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
        let quarantine_aad = Aad {
            store: STORE_QUARANTINE,
            key,
        };
        let sealed_id = id.and_then(|id| self.keyring.seal(quarantine_aad, id.as_bytes()).ok());
        let entry = QuarantinedRecord {
            store: store.to_owned(),
            key: key.to_vec(),
            sealed_id,
        };
        let mut tx = self
            .db
            .begin_write(&[store, STORE_QUARANTINE, STORE_FOLDER_COUNTS])?;
        tx.quarantine(&entry, record.value.as_deref().unwrap_or_default())?;
        if store == Kind::Message.store() {
            write::update_counts(&mut tx, vec![(records::stored_placement(record), None)]).await?;
        }
        Ok(tx.commit().await?)
    }

    fn describe(&self, record: QuarantinedRecord) -> QuarantineEntry {
        let aad = Aad {
            store: STORE_QUARANTINE,
            key: &record.key,
        };
        let id = record
            .sealed_id
            .and_then(|sealed| self.keyring.open(aad, &sealed).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        QuarantineEntry {
            store: record.store,
            id,
        }
    }
}

/// Deletes a user's database without opening it (for a lost key, or sign-out).
pub async fn wipe_user(user_id: &str) -> Result<(), Error> {
    Ok(delete_database(&database_name(user_id)).await?)
}

async fn unwrap_keyring(record: Record, unlock: &Unlock) -> Result<Keyring, Error> {
    let wrapped = record
        .value
        .and_then(WrappedKeyring::from_bytes)
        .ok_or_else(|| Error::Integrity {
            store: STORE_META.into(),
            id: Some("keyring".into()),
        })?;
    let material = unlock
        .material(&wrapped.salt(), wrapped.derivation())
        .await?;
    Ok(Keyring::unwrap(&wrapped, &material)?)
}

/// Creates the keyring, unless another tab or call got there first: the check and
/// the write share one transaction, and the loser unwraps the winner's keyring.
async fn create_keyring(db: &Database, unlock: &Unlock) -> Result<Keyring, Error> {
    let keyring = Keyring::generate()?;
    let wrapped = wrap_keyring(&keyring, unlock).await?;
    let mut tx = db.begin_write(&[STORE_META])?;
    let existing = tx
        .get_many(STORE_META, &[KEYRING_KEY.to_vec()])
        .await?
        .pop()
        .flatten();
    if existing.is_none() {
        tx.put(
            STORE_META,
            KEYRING_KEY,
            &Record::sealed(wrapped.as_bytes().to_vec()),
        )?;
    }
    tx.commit().await?;
    match existing {
        Some(record) => unwrap_keyring(record, unlock).await,
        None => Ok(keyring),
    }
}

async fn wrap_keyring(keyring: &Keyring, unlock: &Unlock) -> Result<WrappedKeyring, Error> {
    let salt: [u8; SALT_LEN] = crate::crypto::random_bytes()?;
    let derivation: KeyDerivation = unlock.derivation();
    let material = unlock.material(&salt, derivation).await?;
    Ok(keyring.wrap(&material, derivation, salt)?)
}

async fn store_keyring(db: &Database, wrapped: &WrappedKeyring) -> Result<(), Error> {
    let mut tx = db.begin_write(&[STORE_META])?;
    tx.put(
        STORE_META,
        KEYRING_KEY,
        &Record::sealed(wrapped.as_bytes().to_vec()),
    )?;
    Ok(tx.commit().await?)
}
