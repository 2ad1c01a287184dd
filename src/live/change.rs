//! What one committed write changed, as the writing tab tells every tab of the
//! same user (itself included): the kinds, the (blinded) folders whose listings
//! moved, and the item ids when the write knows them.
//!
//! Between tabs a notice travels as JSON over a `BroadcastChannel`, which stays
//! within the origin. Folders travel blinded (the keyed hash the counts use): each
//! tab names them with the folder ids it has itself seen, so the channel carries
//! no folder id, and a folder a tab never listed is not one it shows.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::Kind;

/// The format of a notice on the channel; a notice of another format is ignored.
const FORMAT: u32 = 1;

/// One committed write, as announced to every tab.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeNotice {
    /// The write counter the write committed at: notices of one mailbox are
    /// ordered by it, and no two writes share one.
    pub version: u64,
    /// The kinds of item the write stored or removed.
    pub kinds: BTreeSet<Kind>,
    /// The blinded folder ids whose messages changed (a message moved, arrived,
    /// left or changed its read state), from before and after the write.
    pub folders: BTreeSet<Vec<u8>>,
    /// The ids of the items written or removed, or `None` when the write does not
    /// name them (a scope reset, pruning, a quarantined record): then anything of
    /// `kinds` may have changed.
    pub ids: Option<BTreeSet<String>>,
}

impl ChangeNotice {
    /// Whether the write changed any item (an index or keyring write alone does not).
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// The notice as the JSON text sent on the channel.
    pub fn encode(&self) -> String {
        let wire = Wire {
            format: FORMAT,
            version: self.version,
            kinds: self
                .kinds
                .iter()
                .map(|kind| kind.api_name().to_owned())
                .collect(),
            folders: self
                .folders
                .iter()
                .map(|tag| crate::hex::encode(tag))
                .collect(),
            ids: self.ids.as_ref().map(|ids| ids.iter().cloned().collect()),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// A notice read from the channel, or `None` for anything this library did
    /// not send (any script of the origin may post to the channel).
    pub fn decode(text: &str) -> Option<Self> {
        let wire: Wire = serde_json::from_str(text).ok()?;
        if wire.format != FORMAT {
            return None;
        }
        let kinds = wire
            .kinds
            .iter()
            .map(|name| Kind::from_api_name(name))
            .collect::<Option<BTreeSet<Kind>>>()?;
        let folders = wire
            .folders
            .iter()
            .map(|text| crate::hex::decode(text).filter(|tag| tag.len() <= 64))
            .collect::<Option<BTreeSet<Vec<u8>>>>()?;
        Some(Self {
            version: wire.version,
            kinds,
            folders,
            ids: wire.ids.map(|ids| ids.into_iter().collect()),
        })
    }
}

/// A notice as JSON.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "f")]
    format: u32,
    version: u64,
    kinds: Vec<String>,
    folders: Vec<String>,
    ids: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> ChangeNotice {
        ChangeNotice {
            version: 42,
            kinds: [Kind::Message, Kind::Contact].into_iter().collect(),
            folders: [vec![0xab, 0x01], vec![0x00]].into_iter().collect(),
            ids: Some(["AAMk1".to_owned(), "c1".to_owned()].into_iter().collect()),
        }
    }

    #[test]
    fn a_notice_survives_the_channel() {
        let sent = notice();
        assert_eq!(ChangeNotice::decode(&sent.encode()), Some(sent));
        let unnamed = ChangeNotice {
            ids: None,
            ..notice()
        };
        assert_eq!(ChangeNotice::decode(&unnamed.encode()), Some(unnamed));
    }

    #[test]
    fn anything_else_on_the_channel_is_ignored() {
        for text in [
            "",
            "null",
            "{}",
            r#"{"f":2,"version":1,"kinds":[],"folders":[],"ids":null}"#,
            r#"{"f":1,"version":1,"kinds":["mail"],"folders":[],"ids":null}"#,
            r#"{"f":1,"version":1,"kinds":[],"folders":["abc"],"ids":null}"#,
            r#"{"f":1,"version":1,"kinds":[],"folders":["zz"],"ids":null}"#,
            r#"{"f":1,"version":-1,"kinds":[],"folders":[],"ids":null}"#,
        ] {
            assert_eq!(ChangeNotice::decode(text), None, "{text}");
        }
    }

    #[test]
    fn a_write_of_no_item_announces_nothing() {
        assert!(ChangeNotice::default().is_empty());
        assert!(!notice().is_empty());
    }
}
