//! The administrator's policy, the sign-in choice of computer and the user's own
//! choice, and the one decision function every write and every network call asks.
//! Pure Rust. Names follow Exchange's OWA mailbox policy so an administrator
//! recognizes them.

/// Exchange's `AllowOfflineOn`: where offline mail may be used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AllowOfflineOn {
    /// Offline is not offered anywhere.
    NoComputers,
    /// Only when the user signed in on a private computer.
    PrivateComputersOnly,
    /// On private and public computers (Exchange's default).
    #[default]
    AllComputers,
}

impl AllowOfflineOn {
    /// Parses Exchange's spelling.
    ///
    /// ```
    /// use offline_mailbox::policy::AllowOfflineOn;
    /// assert_eq!(AllowOfflineOn::parse("PrivateComputersOnly"), Some(AllowOfflineOn::PrivateComputersOnly));
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "NoComputers" => Some(Self::NoComputers),
            "PrivateComputersOnly" => Some(Self::PrivateComputersOnly),
            "AllComputers" => Some(Self::AllComputers),
            _ => None,
        }
    }
}

/// What the user chose at sign-in: "This is a private computer" or a public one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Computer {
    /// A computer only this user uses.
    Private,
    /// A shared or public computer (the safe default).
    #[default]
    Public,
}

/// The administrator's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// `allowOfflineOn`.
    pub allow_offline_on: AllowOfflineOn,
    /// `displayPhotosEnabled`: sender photos may be looked up.
    pub display_photos_enabled: bool,
    /// `contactCardEnabled`: contact cards may be looked up.
    pub contact_card_enabled: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_offline_on: AllowOfflineOn::AllComputers,
            display_photos_enabled: true,
            contact_card_enabled: true,
        }
    }
}

/// What is allowed right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The policy offers offline on this computer (so the user may turn it on).
    pub offline_available: bool,
    /// Mail may be written to IndexedDB: offered, and turned on by the user.
    pub store_offline: bool,
    /// Sender photos may be requested from the organization's server.
    pub photos: bool,
    /// Contact cards may be requested from the organization's server.
    pub contact_card: bool,
    /// Signing out may keep the offline data (only on a private computer).
    pub may_keep_data_at_sign_out: bool,
}

/// The decision for `policy`, the sign-in `computer` and the user's `offline_enabled` choice.
///
/// ```
/// use offline_mailbox::policy::{decide, Computer, Policy};
/// let decision = decide(Policy::default(), Computer::Private, false);
/// assert!(decision.offline_available && !decision.store_offline); // off until the user turns it on
/// ```
pub fn decide(policy: Policy, computer: Computer, offline_enabled: bool) -> Decision {
    let offline_available = match policy.allow_offline_on {
        AllowOfflineOn::NoComputers => false,
        AllowOfflineOn::PrivateComputersOnly => computer == Computer::Private,
        AllowOfflineOn::AllComputers => true,
    };
    Decision {
        offline_available,
        store_offline: offline_available && offline_enabled,
        photos: policy.display_photos_enabled,
        contact_card: policy.contact_card_enabled,
        may_keep_data_at_sign_out: computer == Computer::Private
            && offline_available
            && offline_enabled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AllowOfflineOn::*;
    use Computer::*;

    /// Every policy × computer × consent combination, with the expected
    /// (offline_available, store_offline, may_keep_data_at_sign_out).
    const TABLE: [(AllowOfflineOn, Computer, bool, bool, bool, bool); 12] = [
        (NoComputers, Private, false, false, false, false),
        (NoComputers, Private, true, false, false, false),
        (NoComputers, Public, false, false, false, false),
        (NoComputers, Public, true, false, false, false),
        (PrivateComputersOnly, Private, false, true, false, false),
        (PrivateComputersOnly, Private, true, true, true, true),
        (PrivateComputersOnly, Public, false, false, false, false),
        (PrivateComputersOnly, Public, true, false, false, false),
        (AllComputers, Private, false, true, false, false),
        (AllComputers, Private, true, true, true, true),
        (AllComputers, Public, false, true, false, false),
        (AllComputers, Public, true, true, true, false),
    ];

    #[test]
    fn every_policy_computer_and_consent_combination() {
        for (allow, computer, consent, available, store, keep) in TABLE {
            for photos in [false, true] {
                for card in [false, true] {
                    let policy = Policy {
                        allow_offline_on: allow,
                        display_photos_enabled: photos,
                        contact_card_enabled: card,
                    };
                    let decision = decide(policy, computer, consent);
                    let case = format!(
                        "{allow:?} {computer:?} consent={consent} photos={photos} card={card}"
                    );
                    assert_eq!(decision.offline_available, available, "{case}");
                    assert_eq!(decision.store_offline, store, "{case}");
                    assert_eq!(decision.may_keep_data_at_sign_out, keep, "{case}");
                    assert_eq!(decision.photos, photos, "{case}");
                    assert_eq!(decision.contact_card, card, "{case}");
                }
            }
        }
    }

    #[test]
    fn defaults_are_exchanges_and_the_safe_computer() {
        assert_eq!(Policy::default().allow_offline_on, AllComputers);
        assert!(Policy::default().display_photos_enabled && Policy::default().contact_card_enabled);
        assert_eq!(Computer::default(), Public);
    }

    #[test]
    fn exchange_spellings_parse_and_others_do_not() {
        assert_eq!(AllowOfflineOn::parse("NoComputers"), Some(NoComputers));
        assert_eq!(AllowOfflineOn::parse("AllComputers"), Some(AllComputers));
        assert_eq!(AllowOfflineOn::parse("allcomputers"), None);
    }
}
