//! The database schema as numbered migration steps. Step `n` upgrades a database
//! from version `n - 1` to `n`; the schema version is the number of steps. A step
//! only ever adds (stores, indexes) or moves data; it never edits an earlier step.

/// Object store of clear, non-personal metadata (the wrapped keyring, format markers).
pub const STORE_META: &str = "meta";
/// Object store of records that failed authentication, kept so the host can refetch them.
pub const STORE_QUARANTINE: &str = "quarantine";

/// One schema step: the object stores it creates.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// What the step is for, for humans.
    pub description: &'static str,
    /// Object stores created by this step (out-of-line keys, no auto-increment).
    pub create_stores: &'static [&'static str],
}

/// Every step in order; index `i` is the step to version `i + 1`.
pub const MIGRATIONS: &[Migration] = &[Migration {
    description: "initial stores: metadata, the four item kinds, quarantine",
    create_stores: &[STORE_META, "messages", "folders", "contacts", "events", STORE_QUARANTINE],
}];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The steps needed to bring a database at `old` up to [`SCHEMA_VERSION`].
pub fn steps_from(old: u32) -> &'static [Migration] {
    MIGRATIONS.get(old as usize..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn every_item_kind_has_a_store() {
        let stores: Vec<&str> = MIGRATIONS.iter().flat_map(|m| m.create_stores.iter().copied()).collect();
        for kind in Kind::ALL {
            assert!(stores.contains(&kind.store()), "{}", kind.store());
        }
    }

    #[test]
    fn a_new_database_runs_every_step_and_a_current_one_none() {
        assert_eq!(steps_from(0).len(), MIGRATIONS.len());
        assert!(steps_from(SCHEMA_VERSION).is_empty());
        assert!(steps_from(SCHEMA_VERSION + 5).is_empty());
    }
}
