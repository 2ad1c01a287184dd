//! Folder counts, kept right incrementally: every write knows where each message
//! was and where it is now, and only those differences touch the counts.

use std::collections::BTreeMap;

/// Where a message counts: its (blinded) folder and whether it is unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Blinded folder id.
    pub folder: Vec<u8>,
    /// Whether it is unread.
    pub unread: bool,
}

/// How one folder's counts change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountChange {
    /// Change in the number of messages.
    pub total: i64,
    /// Change in the number of unread messages.
    pub unread: i64,
}

/// A folder's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderCounts {
    /// Messages in the folder.
    pub total: u64,
    /// Unread messages in the folder.
    pub unread: u64,
}

impl FolderCounts {
    /// These counts after `change`, never below zero.
    pub fn apply(self, change: CountChange) -> Self {
        let add = |count: u64, delta: i64| (count as i64 + delta).max(0) as u64;
        Self {
            total: add(self.total, change.total),
            unread: add(self.unread, change.unread),
        }
    }
}

/// Sums the count changes of a sequence of moves `(before, after)`, per folder.
///
/// ```
/// use offline_mailbox::sync::{CountChange, Placement};
/// let inbox = Placement { folder: b"inbox".to_vec(), unread: true };
/// let read = Placement { unread: false, ..inbox.clone() };
/// let changes = offline_mailbox::sync::count_changes([(Some(inbox), Some(read))]);
/// assert_eq!(changes[&b"inbox".to_vec()], CountChange { total: 0, unread: -1 });
/// ```
pub fn count_changes<I>(moves: I) -> BTreeMap<Vec<u8>, CountChange>
where
    I: IntoIterator<Item = (Option<Placement>, Option<Placement>)>,
{
    let mut changes: BTreeMap<Vec<u8>, CountChange> = BTreeMap::new();
    for (before, after) in moves {
        if before == after {
            continue;
        }
        if let Some(before) = before {
            let change = changes.entry(before.folder).or_default();
            change.total -= 1;
            change.unread -= i64::from(before.unread);
        }
        if let Some(after) = after {
            let change = changes.entry(after.folder).or_default();
            change.total += 1;
            change.unread += i64::from(after.unread);
        }
    }
    changes.retain(|_, change| *change != CountChange::default());
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(folder: &str, unread: bool) -> Option<Placement> {
        Some(Placement {
            folder: folder.as_bytes().to_vec(),
            unread,
        })
    }

    #[test]
    fn creation_move_flip_and_removal() {
        let changes = count_changes([
            (None, at("inbox", true)),
            (at("inbox", true), at("archive", true)),
            (at("archive", false), at("archive", true)),
            (at("inbox", false), None),
            (at("inbox", false), at("inbox", false)),
        ]);
        assert_eq!(
            changes[&b"inbox".to_vec()],
            CountChange {
                total: -1,
                unread: 0
            }
        );
        assert_eq!(
            changes[&b"archive".to_vec()],
            CountChange {
                total: 1,
                unread: 2
            }
        );
    }

    #[test]
    fn counts_never_go_negative() {
        let counts = FolderCounts {
            total: 1,
            unread: 0,
        }
        .apply(CountChange {
            total: -3,
            unread: -1,
        });
        assert_eq!(counts, FolderCounts::default());
    }
}
