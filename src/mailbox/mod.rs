//! Reads and writes of the model through the store and the crypto layer.
//!
//! Everything is sealed before a transaction opens and opened after it completes,
//! so no IndexedDB transaction ever waits on cryptography.

mod unlock;

use crate::crypto::{database_name, Aad, BlindIndex, KeyDerivation, Keyring, WrappedKeyring, SALT_LEN};
use crate::model::{Item, Kind};
use crate::store::{delete_database, Database, QuarantinedRecord, Write, STORE_META, STORE_QUARANTINE};
use crate::Error;

pub use unlock::{Unlock, DEFAULT_PBKDF2_ITERATIONS};

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
    /// Opens the user's database, creating it and a fresh keyring on first use, and
    /// unlocks it. A wrong key gives [`Error::WrongKey`] and writes nothing.
    pub async fn open(user_id: &str, unlock: &Unlock) -> Result<Self, Error> {
        let name = database_name(user_id);
        let db = Database::open(&name).await?;
        let keyring = match db.get(STORE_META, KEYRING_KEY).await? {
            Some(bytes) => unwrap_keyring(bytes, unlock).await?,
            None => create_keyring(&db, unlock).await?,
        };
        let blind = keyring.blind_index();
        Ok(Self { db, name, keyring, blind })
    }

    /// Seals and stores a validated batch in one transaction.
    pub async fn put(&self, kind: Kind, items: &[Item]) -> Result<(), Error> {
        let store = kind.store();
        let mut writes = Vec::with_capacity(items.len());
        for item in items {
            let key = self.blind.blind(store, item.id.as_bytes());
            let value = self.keyring.seal(Aad { store, key: &key }, &item.to_json_bytes())?;
            writes.push(Write::Put { store, key: key.to_vec(), value });
        }
        Ok(self.db.write(&writes).await?)
    }

    /// The stored item's JSON, or `None`. A value that fails authentication is
    /// quarantined and reported as [`Error::Integrity`].
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let store = kind.store();
        let key = self.blind.blind(store, id.as_bytes());
        let Some(sealed) = self.db.get(store, &key).await? else {
            return Ok(None);
        };
        match self.keyring.open(Aad { store, key: &key }, &sealed) {
            Ok(plaintext) => Ok(Some(plaintext)),
            Err(_) => Err(self.quarantine(store, &key, &sealed, Some(id)).await),
        }
    }

    /// Re-wraps the keyring under a new key; the data is not re-encrypted.
    pub async fn change_key(&self, unlock: &Unlock) -> Result<(), Error> {
        let wrapped = wrap_keyring(&self.keyring, unlock).await?;
        Ok(self.db.write(&[keyring_write(&wrapped)]).await?)
    }

    /// Records currently in quarantine.
    pub async fn quarantined(&self) -> Result<Vec<QuarantineEntry>, Error> {
        let records = self.db.quarantined().await?;
        Ok(records.into_iter().map(|record| self.describe(record)).collect())
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

    async fn quarantine(&self, store: &str, key: &[u8], sealed: &[u8], id: Option<&str>) -> Error {
        let quarantine_aad = Aad { store: STORE_QUARANTINE, key };
        let sealed_id = id.and_then(|id| self.keyring.seal(quarantine_aad, id.as_bytes()).ok());
        let entry = QuarantinedRecord { store: store.to_owned(), key: key.to_vec(), sealed_id };
        if let Err(error) = self.db.quarantine(&entry, sealed).await {
            return error.into();
        }
        Error::Integrity { store: store.to_owned(), id: id.map(str::to_owned) }
    }

    fn describe(&self, record: QuarantinedRecord) -> QuarantineEntry {
        let aad = Aad { store: STORE_QUARANTINE, key: &record.key };
        let id = record
            .sealed_id
            .and_then(|sealed| self.keyring.open(aad, &sealed).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        QuarantineEntry { store: record.store, id }
    }
}

/// Deletes a user's database without opening it (for a lost key, or sign-out).
pub async fn wipe_user(user_id: &str) -> Result<(), Error> {
    Ok(delete_database(&database_name(user_id)).await?)
}

async fn unwrap_keyring(bytes: Vec<u8>, unlock: &Unlock) -> Result<Keyring, Error> {
    let wrapped = WrappedKeyring::from_bytes(bytes)
        .ok_or_else(|| Error::Integrity { store: STORE_META.into(), id: Some("keyring".into()) })?;
    let material = unlock.material(&wrapped.salt(), wrapped.derivation()).await?;
    Ok(Keyring::unwrap(&wrapped, &material)?)
}

async fn create_keyring(db: &Database, unlock: &Unlock) -> Result<Keyring, Error> {
    let keyring = Keyring::generate()?;
    let wrapped = wrap_keyring(&keyring, unlock).await?;
    db.write(&[keyring_write(&wrapped)]).await?;
    Ok(keyring)
}

async fn wrap_keyring(keyring: &Keyring, unlock: &Unlock) -> Result<WrappedKeyring, Error> {
    let salt: [u8; SALT_LEN] = crate::crypto::random_bytes()?;
    let derivation: KeyDerivation = unlock.derivation();
    let material = unlock.material(&salt, derivation).await?;
    Ok(keyring.wrap(&material, derivation, salt)?)
}

fn keyring_write(wrapped: &WrappedKeyring) -> Write {
    Write::Put { store: STORE_META, key: KEYRING_KEY.to_vec(), value: wrapped.as_bytes().to_vec() }
}
