//! The mailbox's own bookkeeping, kept as one sealed record (`meta`/`state`) so
//! none of it can be edited, or deleted piece by piece, without detection:
//!
//! - the **epoch**: a random id of this database instance and a counter that every
//!   committed write transaction advances (the host can keep it and pass it back at
//!   `open` to detect a restored older copy);
//! - **folder counts** (what `folders()` reports);
//! - the **longest event** seen (how far back a calendar range query must look);
//! - **scope floors**: the counter at which a sync scope was last reset, so a record
//!   of that scope written before the reset and restored afterwards is detected;
//! - the progress of a **data key rotation**, so it can resume.
//!
//! Every write transaction reads this record, checks that its counter is the one the
//! write was prepared against (otherwise another tab wrote in between and the write
//! is prepared again), and stores it back advanced. Pure Rust.

use std::collections::BTreeMap;

use super::codec::{put_bytes, Reader};
use super::counts::{CountChange, FolderCounts};

const FORMAT: u8 = 1;
/// Length of the random database instance id.
pub const INSTANCE_LEN: usize = 16;

/// Where a data key rotation has got to: which rotation (the id of the data key
/// it seals everything under), the store being re-sealed (an index into the
/// caller's list of stores) and the last key done in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationCursor {
    /// The data key this rotation re-seals everything under; a walk belongs to one
    /// rotation and stops when the state names another.
    pub key_id: u32,
    /// Index of the store being re-sealed.
    pub store: u8,
    /// The last record key re-sealed in that store, if any.
    pub after: Option<Vec<u8>>,
}

/// The sealed bookkeeping of one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxState {
    /// Random id of this database instance (a new one each time offline is turned on).
    pub instance: [u8; INSTANCE_LEN],
    /// Advanced by every committed write transaction.
    pub counter: u64,
    /// The id of the data key new values are sealed with (tabs notice a rotation by it).
    pub key_id: u32,
    /// Longest event instance seen, in milliseconds.
    pub event_span: u64,
    /// Message counts per blinded folder id.
    pub counts: BTreeMap<Vec<u8>, FolderCounts>,
    /// Counter value at which each blinded sync scope was last reset.
    pub floors: BTreeMap<Vec<u8>, u64>,
    /// A data key rotation in progress.
    pub rotation: Option<RotationCursor>,
    /// The write counter the outbox was last stored at (0: never), so an older
    /// copy of it put back is recognized.
    pub outbox_at: u64,
    /// The write counter the search index's manifest was last stored at (0:
    /// never), so an older manifest put back is recognized.
    pub index_at: u64,
}

/// The epoch the host keeps: which database instance, and how far its writes had got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch {
    /// The database instance id.
    pub instance: [u8; INSTANCE_LEN],
    /// The write counter.
    pub counter: u64,
}

impl Epoch {
    /// Parses the text form `hex(instance).counter` made by [`Epoch::to_text`].
    ///
    /// ```
    /// use offline_mailbox::sync::Epoch;
    /// let epoch = Epoch { instance: [0xab; 16], counter: 42 };
    /// assert_eq!(Epoch::parse(&epoch.to_text()), Some(epoch));
    /// assert_eq!(Epoch::parse("not an epoch"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let (hex, counter) = text.split_once('.')?;
        if hex.len() != 2 * INSTANCE_LEN || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut instance = [0u8; INSTANCE_LEN];
        for (i, byte) in instance.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self {
            instance,
            counter: counter.parse().ok()?,
        })
    }

    /// The text form the host stores.
    pub fn to_text(&self) -> String {
        let hex: String = crate::hex::encode(&self.instance);
        format!("{hex}.{}", self.counter)
    }

    /// Whether a store at this epoch may be what the host last saw at `expected`:
    /// the same instance, and at least as many writes (the host may have saved its
    /// copy a while ago; anything older than that copy is a restored backup).
    pub fn satisfies(&self, expected: &Epoch) -> bool {
        self.instance == expected.instance && self.counter >= expected.counter
    }
}

impl MailboxState {
    /// The state of a new, empty database.
    pub fn new(instance: [u8; INSTANCE_LEN]) -> Self {
        Self {
            instance,
            counter: 0,
            key_id: 1,
            event_span: 0,
            counts: BTreeMap::new(),
            floors: BTreeMap::new(),
            rotation: None,
            outbox_at: 0,
            index_at: 0,
        }
    }

    /// The current epoch.
    pub fn epoch(&self) -> Epoch {
        Epoch {
            instance: self.instance,
            counter: self.counter,
        }
    }

    /// Adds count changes, dropping folders left with no messages.
    pub fn apply_counts(&mut self, changes: BTreeMap<Vec<u8>, CountChange>) {
        for (folder, change) in changes {
            let counts = self.counts.get(&folder).copied().unwrap_or_default();
            let counts = counts.apply(change);
            if counts.total == 0 {
                self.counts.remove(&folder);
            } else {
                self.counts.insert(folder, counts);
            }
        }
    }

    /// The counts of one blinded folder.
    pub fn counts_of(&self, folder: &[u8]) -> FolderCounts {
        self.counts.get(folder).copied().unwrap_or_default()
    }

    /// Whether a record of `scope` written at `counter` predates that scope's last reset.
    pub fn predates_reset(&self, scope: &[u8], counter: u64) -> bool {
        self.floors
            .get(scope)
            .is_some_and(|floor| counter <= *floor)
    }

    /// Serializes the state (the plaintext that gets sealed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        out.extend_from_slice(&self.instance);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.event_span.to_be_bytes());
        out.extend_from_slice(&(self.counts.len() as u32).to_be_bytes());
        for (folder, counts) in &self.counts {
            put_bytes(&mut out, folder);
            out.extend_from_slice(&counts.total.to_be_bytes());
            out.extend_from_slice(&counts.unread.to_be_bytes());
        }
        out.extend_from_slice(&(self.floors.len() as u32).to_be_bytes());
        for (scope, floor) in &self.floors {
            put_bytes(&mut out, scope);
            out.extend_from_slice(&floor.to_be_bytes());
        }
        match &self.rotation {
            None => out.push(0),
            Some(cursor) => {
                out.push(1);
                out.extend_from_slice(&cursor.key_id.to_be_bytes());
                out.push(cursor.store);
                match &cursor.after {
                    None => out.push(0),
                    Some(key) => {
                        out.push(1);
                        put_bytes(&mut out, key);
                    }
                }
            }
        }
        // Written only once there is an outbox or an index, so states without
        // either keep their form.
        if self.outbox_at != 0 || self.index_at != 0 {
            out.extend_from_slice(&self.outbox_at.to_be_bytes());
        }
        if self.index_at != 0 {
            out.extend_from_slice(&self.index_at.to_be_bytes());
        }
        out
    }

    /// Parses [`MailboxState::encode`]'s output; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut reader = Reader(bytes);
        if reader.byte()? != FORMAT {
            return None;
        }
        let instance = reader.take(INSTANCE_LEN)?.try_into().ok()?;
        let counter = reader.u64()?;
        let key_id = reader.u32()?;
        let event_span = reader.u64()?;
        let mut counts = BTreeMap::new();
        for _ in 0..reader.count()? {
            let folder = reader.bytes()?;
            let total = reader.u64()?;
            let unread = reader.u64()?;
            counts.insert(folder, FolderCounts { total, unread });
        }
        let mut floors = BTreeMap::new();
        for _ in 0..reader.count()? {
            let scope = reader.bytes()?;
            floors.insert(scope, reader.u64()?);
        }
        let rotation = match reader.byte()? {
            0 => None,
            1 => {
                let key_id = reader.u32()?;
                let store = reader.byte()?;
                let after = match reader.byte()? {
                    0 => None,
                    1 => Some(reader.bytes()?),
                    _ => return None,
                };
                Some(RotationCursor {
                    key_id,
                    store,
                    after,
                })
            }
            _ => return None,
        };
        let outbox_at = match reader.is_done() {
            true => 0,
            false => reader.u64()?,
        };
        let index_at = match reader.is_done() {
            true => 0,
            false => reader.u64()?,
        };
        reader.is_done().then_some(Self {
            instance,
            counter,
            key_id,
            event_span,
            counts,
            floors,
            rotation,
            outbox_at,
            index_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MailboxState {
        let mut state = MailboxState::new([7; INSTANCE_LEN]);
        state.counter = 99;
        state.key_id = 3;
        state.event_span = 3_600_000;
        state.counts.insert(
            vec![1; 16],
            FolderCounts {
                total: 5,
                unread: 2,
            },
        );
        state.floors.insert(vec![2; 16], 40);
        state.rotation = Some(RotationCursor {
            key_id: 4,
            store: 2,
            after: Some(vec![3; 16]),
        });
        state
    }

    #[test]
    fn state_round_trips() {
        let state = sample();
        assert_eq!(MailboxState::decode(&state.encode()), Some(state));
        let empty = MailboxState::new([0; INSTANCE_LEN]);
        assert_eq!(MailboxState::decode(&empty.encode()), Some(empty));
    }

    #[test]
    fn the_outbox_counter_round_trips_and_takes_no_bytes_until_there_is_an_outbox() {
        let mut state = sample();
        let without = state.encode();
        state.outbox_at = 77;
        let with = state.encode();
        assert_eq!(with.len(), without.len() + 8);
        assert_eq!(MailboxState::decode(&with), Some(state));
        assert_eq!(MailboxState::decode(&with[..with.len() - 1]), None);
    }

    #[test]
    fn the_index_counter_round_trips_with_or_without_an_outbox() {
        let mut state = sample();
        let without = state.encode();
        state.index_at = 9;
        let with = state.encode();
        assert_eq!(with.len(), without.len() + 16);
        assert_eq!(MailboxState::decode(&with), Some(state.clone()));
        state.outbox_at = 4;
        assert_eq!(MailboxState::decode(&state.encode()), Some(state));
    }

    #[test]
    fn a_long_key_round_trips() {
        let mut state = sample();
        state.rotation = Some(RotationCursor {
            key_id: 4,
            store: 1,
            after: Some(vec![0xff; 300]),
        });
        assert_eq!(MailboxState::decode(&state.encode()), Some(state));
    }

    #[test]
    fn truncated_or_extended_state_is_rejected() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            assert_eq!(MailboxState::decode(&bytes[..len]), None, "{len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(MailboxState::decode(&longer), None);
    }

    #[test]
    fn counts_apply_and_empty_folders_go() {
        let mut state = MailboxState::new([0; INSTANCE_LEN]);
        let folder = vec![1; 16];
        state.apply_counts(BTreeMap::from([(
            folder.clone(),
            CountChange {
                total: 2,
                unread: 1,
            },
        )]));
        assert_eq!(
            state.counts_of(&folder),
            FolderCounts {
                total: 2,
                unread: 1
            }
        );
        state.apply_counts(BTreeMap::from([(
            folder.clone(),
            CountChange {
                total: -2,
                unread: -1,
            },
        )]));
        assert!(state.counts.is_empty());
    }

    #[test]
    fn an_older_or_foreign_epoch_does_not_satisfy_the_expected_one() {
        let expected = Epoch {
            instance: [1; INSTANCE_LEN],
            counter: 10,
        };
        let same = |counter| Epoch {
            instance: [1; INSTANCE_LEN],
            counter,
        };
        assert!(same(10).satisfies(&expected));
        assert!(same(11).satisfies(&expected));
        assert!(!same(9).satisfies(&expected));
        let other = Epoch {
            instance: [2; INSTANCE_LEN],
            counter: 50,
        };
        assert!(!other.satisfies(&expected));
    }

    #[test]
    fn epoch_text_is_strict() {
        for bad in [
            "",
            ".",
            "00.1",
            &format!("{}.x", "0".repeat(32)),
            &format!("{}.", "0".repeat(32)),
            &format!("{}.-1", "0".repeat(32)),
            &format!("{}.1", "g".repeat(32)),
            &format!("{}.99999999999999999999999", "0".repeat(32)),
        ] {
            assert_eq!(Epoch::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn records_at_or_before_a_reset_predate_it() {
        let state = sample();
        assert!(state.predates_reset(&[2; 16], 40));
        assert!(state.predates_reset(&[2; 16], 3));
        assert!(!state.predates_reset(&[2; 16], 41));
        assert!(!state.predates_reset(&[9; 16], 1));
    }
}
