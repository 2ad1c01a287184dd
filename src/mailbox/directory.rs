//! The sealed cache of directory answers (sender photos, contact cards) in the
//! `directory` store. Keys are blinded, so neither the address nor the kind of an
//! entry can be read without the key.

use crate::crypto::{key_id, Aad, BLINDED_LEN};
use crate::store::{Record, STORE_DIRECTORY};
use crate::Error;

use super::Mailbox;

impl Mailbox {
    /// A sealed directory answer cached under `key`, opened; `None` if absent or unreadable.
    pub async fn directory_get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let blinded = self.directory_key(key);
        let Some(record) = self.db.get(STORE_DIRECTORY, &blinded).await? else {
            return Ok(None);
        };
        let sealed = record.value.as_deref().unwrap_or_default();
        // A cache entry that fails authentication is simply fetched again.
        Ok(self
            .keys()
            .open(Aad::at(STORE_DIRECTORY, &blinded), sealed)
            .await
            .ok())
    }

    /// Seals and caches a directory answer under `key`, if `still_wanted` says so
    /// once it is sealed. Nothing is awaited between that check and the
    /// transaction opening: the directory relies on that to order a purge's
    /// `directory_clear` after a write it let through. `false` if it was dropped.
    pub async fn directory_put(
        &self,
        key: &str,
        entry: &[u8],
        still_wanted: impl Fn() -> bool,
    ) -> Result<bool, Error> {
        let blinded = self.directory_key(key);
        // Entries are padded to a size class: compressing them would undo that.
        let sealed = self
            .keys()
            .seal_padded(Aad::at(STORE_DIRECTORY, &blinded), entry)
            .await?;
        // A key rotated meanwhile (in this tab) would leave the entry under a
        // destroyed key: it is a cache, so it is simply not kept.
        let current = Some(self.keyring.borrow().current_key_id());
        if !still_wanted() || key_id(&sealed) != current {
            return Ok(false);
        }
        let mut tx = self.db.begin_write(&[STORE_DIRECTORY])?;
        tx.put(STORE_DIRECTORY, &blinded, &Record::sealed(sealed))?;
        tx.commit().await?;
        Ok(true)
    }

    /// Catches up with other tabs before a write that is sealed without a state
    /// transaction: reads the state again, reloading the keyring if another tab
    /// rotated the data key (so nothing is sealed under a key being destroyed).
    pub async fn catch_up(&self) -> Result<(), Error> {
        self.current_state().await.map(|_| ())
    }

    /// Removes the answer cached under `key`, if any.
    pub async fn directory_delete(&self, key: &str) -> Result<(), Error> {
        let blinded = self.directory_key(key);
        let mut tx = self.db.begin_write(&[STORE_DIRECTORY])?;
        tx.delete(STORE_DIRECTORY, &blinded)?;
        Ok(tx.commit().await?)
    }

    /// Removes every cached answer, photos and cards alike: the blinded keys do not
    /// say which is which.
    pub async fn directory_clear(&self) -> Result<(), Error> {
        let mut tx = self.db.begin_write(&[STORE_DIRECTORY])?;
        tx.clear(STORE_DIRECTORY)?;
        Ok(tx.commit().await?)
    }

    fn directory_key(&self, key: &str) -> [u8; BLINDED_LEN] {
        self.blind.blind(STORE_DIRECTORY, key.as_bytes())
    }
}
