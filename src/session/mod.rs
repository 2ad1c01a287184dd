//! One signed-in user: the administrator's policy, the sign-in computer kind, the
//! user's consent, the encrypted store (present only while offline is on) and the
//! directory. Every write and every network call asks [`decide`] first.
//!
//! Consent is remembered as the database itself: it exists only once the user
//! turned offline on (`enableOffline`), and is deleted when they turn it off, when
//! the policy stops allowing it, or at sign-out. Because a restored copy of the
//! browser profile brings the database back, the host may also keep the
//! mailbox's epoch on its server and pass it back ([`ExpectedEpoch`]).
//!
//! The host's secret is kept only until the store is unlocked; after that the
//! store holds derived keys only.

pub mod storage;
mod sync;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::crypto::database_name;
use crate::directory::{Answer, Directory, LookupKind, LookupTarget};
use crate::mailbox::{wipe_user, ChangeSink, Mailbox, Unlock};
use crate::policy::{decide, Computer, Decision, Policy};
use crate::store::database_exists;
use crate::sync::{Epoch, Retention};
use crate::Error;

pub use crate::mailbox::{PruneReport, RotationProgress, UpgradeProgress};
pub use sync::{SyncHooks, SyncOptions, SyncReport};

/// What the host knows about the offline copy from its own records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedEpoch {
    /// Nothing: the copy found is trusted as it is.
    Unknown,
    /// Offline was turned off: any copy found is a restored backup and is deleted.
    NoOfflineData,
    /// The epoch the host last saw: an older copy is refused with [`Error::Rollback`].
    AtLeast(Epoch),
}

/// A signed-in user's session.
pub struct Session {
    user_id: String,
    unlock: RefCell<Option<Unlock>>,
    policy: Cell<Policy>,
    computer: Computer,
    mailbox: RefCell<Option<Rc<Mailbox>>>,
    directory: Option<Rc<Directory>>,
    closed: Cell<bool>,
    /// Told how far moving data stored by an older layout has got, when opening the store.
    on_upgrade: Box<dyn Fn(UpgradeProgress)>,
    /// What the offline copy keeps (applied by `sync` and `prune`).
    retention: Cell<Retention>,
    /// Held while a sync runs: a second sync in this tab waits for the first, so
    /// no action is sent twice by two syncs at once.
    syncing: futures_util::lock::Mutex<()>,
    /// Told of each write the store commits, and of the store closing because
    /// another tab upgraded or deleted it (handed to every store attached).
    live: RefCell<Option<Watchers>>,
}

/// Told of each committed write, and of the store closing for another tab.
type Watchers = (ChangeSink, Rc<dyn Fn()>);

impl Session {
    /// Starts a session. If the user turned offline on earlier (their database
    /// exists) and the policy still allows it, the store is opened and unlocked
    /// (`WrongKey` if the secret does not match); if the policy no longer allows
    /// it, the stored data is deleted now. Nothing is written otherwise. Data
    /// stored in an older layout is moved to the current one while the store opens,
    /// reporting to `on_upgrade`.
    pub async fn open(
        user_id: String,
        unlock: Unlock,
        policy: Policy,
        computer: Computer,
        directory: Option<Rc<Directory>>,
        expected: ExpectedEpoch,
        on_upgrade: Box<dyn Fn(UpgradeProgress)>,
    ) -> Result<Rc<Self>, Error> {
        let found = database_exists(&database_name(&user_id)).await?;
        if found && expected == ExpectedEpoch::NoOfflineData {
            wipe_user(&user_id).await?;
        }
        let consented = found && expected != ExpectedEpoch::NoOfflineData;
        let session = Self {
            user_id,
            unlock: RefCell::new(Some(unlock)),
            policy: Cell::new(policy),
            computer,
            mailbox: RefCell::new(None),
            retention: Cell::new(Retention::default()),
            syncing: futures_util::lock::Mutex::new(()),
            directory,
            closed: Cell::new(false),
            on_upgrade,
            live: RefCell::new(None),
        };
        if consented {
            match session.decision_for(true).offline_available {
                true => session.attach_store(false).await?,
                false => wipe_user(&session.user_id).await?,
            }
        }
        if let ExpectedEpoch::AtLeast(expected) = expected {
            session.check_epoch(&expected)?;
        }
        // Only once the copy is accepted: moving it writes (and so advances its epoch).
        session.finish_layout_upgrade().await?;
        // The policy may have turned photos or cards off since the answers were cached.
        session.forget_denied_lookups().await?;
        Ok(Rc::new(session))
    }

    /// Tells `on_change` of every write the store commits, and `on_closed` when
    /// another tab's upgrade or deletion closes it; also for a store attached later.
    pub fn watch(&self, on_change: ChangeSink, on_closed: Rc<dyn Fn()>) {
        *self.live.borrow_mut() = Some((on_change, on_closed));
        if let Some(mailbox) = self.mailbox.borrow().as_ref() {
            self.hand_watchers_to(mailbox);
        }
    }

    /// The ids of the blinded folders the store has met (see [`Mailbox::folder_ids`]).
    pub fn folder_ids(&self, folders: &std::collections::BTreeSet<Vec<u8>>) -> Vec<String> {
        match self.mailbox.borrow().as_ref() {
            Some(mailbox) => mailbox.folder_ids(folders),
            None => Vec::new(),
        }
    }

    fn hand_watchers_to(&self, mailbox: &Mailbox) {
        let Some((on_change, on_closed)) = self.live.borrow().clone() else {
            return;
        };
        mailbox.on_change(on_change);
        mailbox.on_closed_by_other_tab(Box::new(move || on_closed()));
    }

    /// The epoch of the offline copy, or `None` while offline is off.
    pub fn epoch(&self) -> Option<String> {
        self.mailbox
            .borrow()
            .as_ref()
            .map(|mailbox| mailbox.epoch())
    }

    fn check_epoch(&self, expected: &Epoch) -> Result<(), Error> {
        let Some(found) = self.epoch() else {
            return Ok(());
        };
        if Epoch::parse(&found).is_some_and(|found| found.satisfies(expected)) {
            return Ok(());
        }
        self.close();
        Err(Error::Rollback {
            expected: expected.to_text(),
            found,
        })
    }

    /// What is allowed now.
    pub fn decision(&self) -> Decision {
        self.decision_for(self.mailbox.borrow().is_some())
    }

    /// Whether mail is being stored offline.
    pub fn offline_enabled(&self) -> bool {
        self.mailbox.borrow().is_some()
    }

    /// The store, when offline is on; `Closed` after `close`, `signOut` or `wipe`.
    pub fn store(&self) -> Result<Option<Rc<Mailbox>>, Error> {
        if self.closed.get() {
            return Err(Error::Closed);
        }
        Ok(self.mailbox.borrow().clone())
    }

    /// What the offline copy keeps.
    pub fn retention(&self) -> Retention {
        self.retention.get()
    }

    /// Sets what the offline copy keeps from now on.
    pub fn set_retention(&self, retention: Retention) {
        self.retention.set(retention);
    }

    /// Removes from the offline copy what the retention does not keep at
    /// `now_ms`; nothing while offline is off.
    pub async fn prune(&self, now_ms: i64) -> Result<PruneReport, Error> {
        match self.store()? {
            Some(mailbox) => mailbox.prune(&self.retention(), now_ms).await,
            None => Ok(PruneReport::default()),
        }
    }

    /// The organization's server (`orgServer`), if one was configured.
    pub fn org_origin(&self) -> Option<String> {
        self.directory.as_ref().map(|d| d.config().origin.clone())
    }

    /// Syncs the offline copy with Microsoft Graph on the organization's server
    /// (see [`sync`]): pushes the outbox, then pulls every delta query.
    pub async fn sync(
        &self,
        options: &SyncOptions,
        hooks: &SyncHooks,
    ) -> Result<SyncReport, Error> {
        let Some(origin) = self.org_origin() else {
            return Err(Error::invalid(
                "orgServer",
                "sync talks only to the organization's server: pass orgServer to open",
            ));
        };
        let _running = self.syncing.lock().await;
        let Some(mailbox) = self.store()? else {
            return Err(Error::PolicyDenied(
                "sync stores into the offline copy: turn offline on (enableOffline)".into(),
            ));
        };
        sync::run(&mailbox, &origin, options, hooks).await
    }

    /// Turns offline on (the user's choice): creates and unlocks the store. `unlock`
    /// is needed only if the secret given at open was already used (and dropped).
    pub async fn enable_offline(&self, unlock: Option<Unlock>) -> Result<(), Error> {
        self.store()?;
        if let Some(unlock) = unlock {
            *self.unlock.borrow_mut() = Some(unlock);
        }
        if !self.decision_for(true).offline_available {
            return Err(Error::PolicyDenied(
                "offline mail is not allowed on this computer".into(),
            ));
        }
        if self.offline_enabled() {
            return Ok(());
        }
        self.attach_store(true).await?;
        self.finish_layout_upgrade().await
    }

    /// Moves data stored in an older layout to the current one (see
    /// [`Mailbox::upgrade_keyring`] and [`Mailbox::split_whole_messages`]) and
    /// indexes messages stored before the search index existed
    /// ([`Mailbox::build_index`]), reporting to `on_upgrade`.
    async fn finish_layout_upgrade(&self) -> Result<(), Error> {
        let mailbox = self.mailbox.borrow().clone();
        let Some(mailbox) = mailbox else {
            return Ok(());
        };
        mailbox.upgrade_keyring().await?;
        mailbox.split_whole_messages(&*self.on_upgrade).await?;
        mailbox.build_index(&*self.on_upgrade).await
    }

    /// Re-wraps the store's keys under a new secret (data is not re-encrypted).
    /// While offline is off, the new secret is the one a later `enable_offline` uses.
    pub async fn change_key(&self, unlock: Unlock) -> Result<(), Error> {
        match self.store()? {
            Some(mailbox) => mailbox.change_key(&unlock).await,
            None => {
                *self.unlock.borrow_mut() = Some(unlock);
                Ok(())
            }
        }
    }

    /// Seals everything again under a new data key and destroys the old one
    /// (nothing to do while offline is off).
    pub async fn rotate_data_key(
        &self,
        on_progress: &dyn Fn(RotationProgress),
    ) -> Result<(), Error> {
        match self.store()? {
            Some(mailbox) => mailbox.rotate_data_key(on_progress).await,
            None => Ok(()),
        }
    }

    /// Turns offline off: everything stored is deleted at once.
    pub async fn disable_offline(&self) -> Result<(), Error> {
        self.store()?;
        self.delete_store().await
    }

    /// Applies a new policy; if it no longer allows offline, everything stored is
    /// deleted. If it turns photos or cards off, their cached answers are forgotten
    /// (see `forget_denied_lookups`).
    pub async fn apply_policy(&self, policy: Policy) -> Result<(), Error> {
        self.store()?;
        self.policy.set(policy);
        if self.offline_enabled() && !self.decision().offline_available {
            self.delete_store().await?;
        }
        self.forget_denied_lookups().await
    }

    /// Signs out: keeps the offline data only if asked to and allowed (a private
    /// computer with offline on), otherwise deletes it; then closes the session.
    pub async fn sign_out(&self, keep_offline_data: bool) -> Result<(), Error> {
        self.store()?;
        if !(keep_offline_data && self.decision().may_keep_data_at_sign_out) {
            self.delete_store().await?;
        }
        self.close();
        Ok(())
    }

    /// Deletes everything stored and closes the session.
    pub async fn wipe(&self) -> Result<(), Error> {
        self.store()?;
        self.delete_store().await?;
        self.close();
        Ok(())
    }

    /// Closes the session; later calls fail with `Closed`.
    pub fn close(&self) {
        self.closed.set(true);
        if let Some(mailbox) = self.mailbox.borrow_mut().take() {
            mailbox.close();
        }
    }

    /// The sender photo of `email` at `size`, or `None`: photos off, outside the
    /// organization, no photo, or the server unreachable with nothing cached.
    /// `InvalidInput` for an organization address that is not plain ASCII (see
    /// [`crate::directory::DirectoryConfig::photo_target`]).
    pub async fn sender_photo(&self, email: &str, size: &str) -> Result<Option<Answer>, Error> {
        let store = self.store()?;
        let directory = self.directory()?;
        if !self.decision().photos {
            return Ok(None);
        }
        let Some(target) = checked(directory.config().photo_target(email, size))? else {
            return Ok(None);
        };
        match directory.lookup(target.key, target.url, store).await {
            Err(Error::Network(_)) => Ok(None),
            other => other,
        }
    }

    /// The contact card of `email`, or `None` outside the organization or when the
    /// server has none. `PolicyDenied` when the administrator turned cards off;
    /// `InvalidInput` for an organization address that is not plain ASCII.
    pub async fn contact_card(&self, email: &str) -> Result<Option<Answer>, Error> {
        let store = self.store()?;
        let directory = self.directory()?;
        if !self.decision().contact_card {
            return Err(Error::PolicyDenied(
                "contact cards are turned off by your administrator".into(),
            ));
        }
        let Some(target) = checked(directory.config().card_target(email))? else {
            return Ok(None);
        };
        directory.lookup(target.key, target.url, store).await
    }

    /// Forgets the cached answers of each kind the policy has turned off: from the
    /// directory's memory, and by clearing the whole sealed `directory` store (its
    /// keys are blinded, so photos cannot be told from cards without opening every
    /// entry; the other kind is simply fetched again). Done whenever the policy has
    /// a kind off, not only when it changes: it is cheap, and it also removes what
    /// an earlier session cached before the administrator's change.
    async fn forget_denied_lookups(&self) -> Result<(), Error> {
        let decision = self.decision();
        let denied: Vec<LookupKind> = [
            (LookupKind::Photo, decision.photos),
            (LookupKind::Card, decision.contact_card),
        ]
        .into_iter()
        .filter_map(|(kind, allowed)| (!allowed).then_some(kind))
        .collect();
        if denied.is_empty() {
            return Ok(());
        }
        if let Some(directory) = &self.directory {
            denied.into_iter().for_each(|kind| directory.forget(kind));
        }
        let mailbox = self.mailbox.borrow().clone();
        match mailbox {
            Some(mailbox) => mailbox.directory_clear().await,
            None => Ok(()),
        }
    }

    fn directory(&self) -> Result<Rc<Directory>, Error> {
        self.directory.clone().ok_or_else(|| {
            Error::invalid(
                "orgServer",
                "is required for photo and contact card lookups",
            )
        })
    }

    fn decision_for(&self, offline_enabled: bool) -> Decision {
        decide(self.policy.get(), self.computer, offline_enabled)
    }

    /// Opens and unlocks the store, then forgets the host's secret: from here on
    /// only derived keys are held, wiped when the mailbox closes.
    async fn attach_store(&self, create: bool) -> Result<(), Error> {
        let unlock = self.unlock.borrow_mut().take().ok_or_else(|| {
            Error::invalid(
                "key",
                "pass the key or passphrase to enableOffline: it is not kept after unlocking",
            )
        })?;
        let opened = Mailbox::open(&self.user_id, &unlock, create).await;
        let mailbox = match opened {
            Ok(mailbox) => mailbox,
            Err(error) => {
                // A failed unlock leaves the secret for the next attempt.
                *self.unlock.borrow_mut() = Some(unlock);
                return Err(error);
            }
        };
        self.hand_watchers_to(&mailbox);
        *self.mailbox.borrow_mut() = Some(Rc::new(mailbox));
        Ok(())
    }

    async fn delete_store(&self) -> Result<(), Error> {
        let mailbox = self.mailbox.borrow_mut().take();
        match mailbox {
            Some(mailbox) => mailbox.wipe().await,
            None => wipe_user(&self.user_id).await,
        }
    }
}

/// A lookup target, or `InvalidInput` (field `email`) for a malformed address.
fn checked(
    target: Result<Option<LookupTarget>, &'static str>,
) -> Result<Option<LookupTarget>, Error> {
    target.map_err(|reason| Error::invalid("email", reason))
}
