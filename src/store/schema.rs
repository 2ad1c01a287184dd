//! The database schema as numbered migration steps. Step `n` upgrades a database
//! from version `n - 1` to `n`; the schema version is the number of steps. Once a
//! version has shipped, its step is never edited: later steps only add stores and
//! indexes, or move data.

/// Object store of the wrapped keyring and the sealed mailbox state.
pub const STORE_META: &str = "meta";
/// Object store of records that failed authentication, kept so the host can refetch them.
pub const STORE_QUARANTINE: &str = "quarantine";
/// Object store of per-folder message counts in clear (versions 1 and 2; version 3
/// keeps the counts in the sealed state record in `meta` instead).
pub const STORE_FOLDER_COUNTS: &str = "folderCounts";
/// Object store of sealed sync state (delta links) per kind and scope.
pub const STORE_SYNC_STATE: &str = "syncState";
/// Object store of sealed directory answers (sender photos, contact cards).
pub const STORE_DIRECTORY: &str = "directory";
/// Object store of the rest of each message (body, headers, attachments, every
/// field outside its summary), under the same key as its summary in `messages`.
pub const STORE_MESSAGE_BODIES: &str = "messageBodies";
/// Object store of the search index's sealed posting segments, keyed by bucket
/// and segment number.
pub const STORE_SEARCH_POSTINGS: &str = "searchPostings";
/// Object store of the search index's sealed document-table pages and its manifest.
pub const STORE_SEARCH_DOCS: &str = "searchDocs";

/// Names of the fields records carry beside their sealed value `v`.
pub mod fields {
    /// The record's own key (every record), so index keys can end with it.
    pub const KEY: &str = "k";
    /// Blinded sync scope (every item record).
    pub const SCOPE: &str = "s";
    /// Blinded folder id (messages).
    pub const FOLDER: &str = "f";
    /// Clear recency: minus the received time in ms since the epoch, so that
    /// ascending index order is newest first (messages).
    pub const RECENCY: &str = "r";
    /// Blinded conversation id (messages).
    pub const CONVERSATION: &str = "c";
    /// Clear unread flag, 1 or 0 (messages).
    pub const UNREAD: &str = "u";
    /// Blinded name and address prefixes (contacts).
    pub const PREFIXES: &str = "p";
    /// Blinded addresses (contacts).
    pub const EMAILS: &str = "e";
    /// Clear start time, ms (events).
    pub const START: &str = "st";
    /// Clear end time, ms (events).
    pub const END: &str = "en";
    /// The write counter of the transaction that wrote the record (item records).
    pub const WRITTEN_AT: &str = "n";
    /// On a message summary: the write counter of its body record in
    /// `messageBodies`. A message record without it is a whole message in the
    /// layout of schema 3, not yet split.
    pub const BODY_AT: &str = "b";
    /// The tag authenticating the record's other clear fields (every sealed record
    /// that has clear fields).
    pub const FIELDS_TAG: &str = "m";
    /// Where a quarantined record came from (quarantine entries).
    pub const ORIGIN_STORE: &str = "store";
    /// The sealed id of a quarantined record (quarantine entries).
    pub const SEALED_ID: &str = "id";
    /// Every field this library writes beside `v` and `k`: the only ones it reads back.
    pub const INDEXED: [&str; 14] = [
        SCOPE,
        FOLDER,
        RECENCY,
        CONVERSATION,
        UNREAD,
        PREFIXES,
        EMAILS,
        START,
        END,
        WRITTEN_AT,
        BODY_AT,
        FIELDS_TAG,
        ORIGIN_STORE,
        SEALED_ID,
    ];
}

/// Index names.
pub mod indexes {
    /// Messages of a folder, newest first, then by key: `[f, r, k]`.
    pub const BY_FOLDER_RECENCY: &str = "byFolderRecency";
    /// Messages of a conversation: `c`.
    pub const BY_CONVERSATION: &str = "byConversation";
    /// Items of a sync scope: `s`.
    pub const BY_SCOPE: &str = "byScope";
    /// Contacts by name or address prefix: `p` (multi-entry).
    pub const BY_PREFIX: &str = "byPrefix";
    /// Contacts by address: `e` (multi-entry).
    pub const BY_EMAIL: &str = "byEmail";
    /// Events by start time: `st`.
    pub const BY_START: &str = "byStart";
}

/// An index a step creates.
#[derive(Debug, Clone, Copy)]
pub struct IndexSpec {
    /// Index name.
    pub name: &'static str,
    /// Key path: one field, or several for an array key.
    pub key_path: &'static [&'static str],
    /// Whether an array field yields one entry per element.
    pub multi_entry: bool,
}

/// An object store a step creates (out-of-line keys), with its indexes.
#[derive(Debug, Clone, Copy)]
pub struct StoreSpec {
    /// Store name.
    pub name: &'static str,
    /// Its indexes.
    pub indexes: &'static [IndexSpec],
}

/// One schema step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// What the step is for, for humans.
    pub description: &'static str,
    /// Object stores deleted by this step, with their data, before it creates any.
    pub delete_stores: &'static [&'static str],
    /// Object stores created by this step.
    pub create_stores: &'static [StoreSpec],
}

const fn index(name: &'static str, key_path: &'static [&'static str]) -> IndexSpec {
    IndexSpec {
        name,
        key_path,
        multi_entry: false,
    }
}

const fn multi(name: &'static str, key_path: &'static [&'static str]) -> IndexSpec {
    IndexSpec {
        name,
        key_path,
        multi_entry: true,
    }
}

const fn plain(name: &'static str) -> StoreSpec {
    StoreSpec { name, indexes: &[] }
}

const SCOPE_INDEX: IndexSpec = index(indexes::BY_SCOPE, &[fields::SCOPE]);

/// Every step in order; index `i` is the step to version `i + 1`.
pub const MIGRATIONS: &[Migration] = &[
Migration {
    description: "stores for metadata, the four item kinds with their indexes, folder counts, sync state, quarantine",
    delete_stores: &[],
    create_stores: &[
        plain(STORE_META),
        StoreSpec {
            name: "messages",
            indexes: &[
                index(indexes::BY_FOLDER_RECENCY, &[fields::FOLDER, fields::RECENCY, fields::KEY]),
                index(indexes::BY_CONVERSATION, &[fields::CONVERSATION]),
                SCOPE_INDEX,
            ],
        },
        StoreSpec { name: "folders", indexes: &[SCOPE_INDEX] },
        StoreSpec {
            name: "contacts",
            indexes: &[SCOPE_INDEX, multi(indexes::BY_PREFIX, &[fields::PREFIXES]), multi(indexes::BY_EMAIL, &[fields::EMAILS])],
        },
        StoreSpec { name: "events", indexes: &[SCOPE_INDEX, index(indexes::BY_START, &[fields::START])] },
        plain(STORE_FOLDER_COUNTS),
        plain(STORE_SYNC_STATE),
        plain(STORE_QUARANTINE),
    ],
},
Migration {
    description: "a store for sealed sender photos and contact cards",
    delete_stores: &[],
    create_stores: &[plain(STORE_DIRECTORY)],
},
Migration {
    description: "records bind their clear fields and write counter; counts, event span and epoch move into one sealed state record. \
        The 0.1 format did not authenticate its clear fields, so its data cannot be carried over safely: every store is \
        dropped and made again, and the offline copy is fetched again from the server",
    delete_stores: &[
        STORE_META, "messages", "folders", "contacts", "events",
        STORE_FOLDER_COUNTS, STORE_SYNC_STATE, STORE_QUARANTINE, STORE_DIRECTORY,
    ],
    create_stores: &[
        plain(STORE_META),
        StoreSpec {
            name: "messages",
            indexes: &[
                index(indexes::BY_FOLDER_RECENCY, &[fields::FOLDER, fields::RECENCY, fields::KEY]),
                index(indexes::BY_CONVERSATION, &[fields::CONVERSATION]),
                SCOPE_INDEX,
            ],
        },
        StoreSpec { name: "folders", indexes: &[SCOPE_INDEX] },
        StoreSpec {
            name: "contacts",
            indexes: &[SCOPE_INDEX, multi(indexes::BY_PREFIX, &[fields::PREFIXES]), multi(indexes::BY_EMAIL, &[fields::EMAILS])],
        },
        StoreSpec { name: "events", indexes: &[SCOPE_INDEX, index(indexes::BY_START, &[fields::START])] },
        plain(STORE_SYNC_STATE),
        plain(STORE_QUARANTINE),
        plain(STORE_DIRECTORY),
    ],
},
Migration {
    description: "each message becomes two sealed records: its summary stays in `messages` (with the same indexes) and \
        the rest moves to `messageBodies`, so listings never read bodies. Records of schema 3 are split after the \
        keyring is unlocked (they need the data key), in batches, before open resolves",
    delete_stores: &[],
    create_stores: &[plain(STORE_MESSAGE_BODIES)],
},
Migration {
    description: "the encrypted search index: sealed posting segments per term bucket, and sealed document-table \
        pages with the manifest that lists them. Messages stored before it are indexed after the keyring is \
        unlocked, in resumable batches",
    delete_stores: &[],
    create_stores: &[plain(STORE_SEARCH_POSTINGS), plain(STORE_SEARCH_DOCS)],
},
Migration {
    description: "contacts and events join the search index. No store changes: the step makes tabs still running the \
        previous build close (and that build refuse the database), as it would keep contacts and events out of the \
        index; the index schema 5 wrote is rebuilt after the keyring is unlocked, in resumable batches",
    delete_stores: &[],
    create_stores: &[],
}];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The steps needed to bring a database at `old` up to [`SCHEMA_VERSION`].
pub fn steps_from(old: u32) -> &'static [Migration] {
    MIGRATIONS.get(old as usize..).unwrap_or(&[])
}

/// Whether upgrading an existing database from `old` drops its keyring (and so
/// all its data): it must then be set up again as new, not reported as tampered.
pub fn upgrade_drops_data(old: u32) -> bool {
    old > 0
        && steps_from(old)
            .iter()
            .any(|step| step.delete_stores.contains(&STORE_META))
}

/// The object stores a database at [`SCHEMA_VERSION`] has.
pub fn current_stores() -> Vec<&'static StoreSpec> {
    let mut live: Vec<&'static StoreSpec> = Vec::new();
    for step in MIGRATIONS {
        live.retain(|store| !step.delete_stores.contains(&store.name));
        live.extend(step.create_stores.iter());
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn stores() -> Vec<&'static StoreSpec> {
        current_stores()
    }

    #[test]
    fn every_item_kind_has_a_store_with_a_scope_index() {
        for kind in Kind::ALL {
            let store = stores()
                .into_iter()
                .find(|s| s.name == kind.store())
                .unwrap_or_else(|| panic!("no store {}", kind.store()));
            assert!(
                store.indexes.iter().any(|i| i.name == indexes::BY_SCOPE),
                "{}",
                kind.store()
            );
        }
    }

    #[test]
    fn store_names_are_unique() {
        let mut names: Vec<&str> = stores().iter().map(|s| s.name).collect();
        names.sort();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn the_current_schema_has_no_clear_counts_store() {
        assert!(stores().iter().all(|s| s.name != STORE_FOLDER_COUNTS));
        assert!(stores().iter().any(|s| s.name == STORE_DIRECTORY));
    }

    #[test]
    fn a_step_only_deletes_stores_that_exist_and_creates_ones_that_do_not() {
        let mut live: Vec<&str> = Vec::new();
        for step in MIGRATIONS {
            for name in step.delete_stores {
                assert!(live.contains(name), "{}: {name}", step.description);
            }
            live.retain(|name| !step.delete_stores.contains(name));
            for store in step.create_stores {
                assert!(
                    !live.contains(&store.name),
                    "{}: {}",
                    step.description,
                    store.name
                );
                live.push(store.name);
            }
        }
    }

    #[test]
    fn older_formats_are_dropped_and_new_databases_are_not() {
        assert!(upgrade_drops_data(1));
        assert!(upgrade_drops_data(2));
        assert!(!upgrade_drops_data(0));
        assert!(!upgrade_drops_data(SCHEMA_VERSION));
    }

    #[test]
    fn schema_4_adds_the_body_store_and_keeps_the_data_of_schema_3() {
        assert!(stores().iter().any(|s| s.name == STORE_MESSAGE_BODIES));
        assert!(!upgrade_drops_data(3));
    }

    #[test]
    fn schema_5_adds_the_search_stores_and_keeps_the_data() {
        assert!(stores().iter().any(|s| s.name == STORE_SEARCH_POSTINGS));
        assert!(stores().iter().any(|s| s.name == STORE_SEARCH_DOCS));
        assert!(!upgrade_drops_data(4));
    }

    #[test]
    fn schema_6_changes_no_store_and_keeps_the_data() {
        let step = &MIGRATIONS[5];
        assert!(step.create_stores.is_empty() && step.delete_stores.is_empty());
        assert!(!upgrade_drops_data(5));
    }

    #[test]
    fn a_new_database_runs_every_step_and_a_current_one_none() {
        assert_eq!(steps_from(0).len(), MIGRATIONS.len());
        assert!(steps_from(SCHEMA_VERSION).is_empty());
        assert!(steps_from(SCHEMA_VERSION + 5).is_empty());
    }
}
