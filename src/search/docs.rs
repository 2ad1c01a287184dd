//! The document table: what the index knows of each document number it hands
//! out (messages, contacts and events alike; a kind bit tells them apart).
//! Every indexed version of an item gets a new number; the entry of the
//! version it replaces is removed, so postings of removed numbers are dead and
//! are dropped when segments merge. The table orders answers (newest first,
//! then by record key, as folder listings do) and filters them by the facts the
//! operators ask about, without opening a single message.
//!
//! It is stored sealed in pages of [`PAGE_DOCS`] consecutive numbers.
//! Encoding of a page: entry count, then per entry the gap from the previous
//! number, the 16-byte record key, the received time (zig-zag varint, ms), the
//! folder tag and the flags.

use std::collections::BTreeMap;

use super::postings::{get_varint, put_varint};

/// Document numbers per stored page.
pub const PAGE_DOCS: u32 = 512;

/// Length of a message's record key.
pub const KEY_LEN: usize = 16;

/// Flag bits of [`DocEntry::flags`].
pub mod flags {
    /// `isRead` is false.
    pub const UNREAD: u8 = 1;
    /// Flagged for follow-up.
    pub const FLAGGED: u8 = 2;
    /// Has attachments.
    pub const ATTACHMENTS: u8 = 4;
    /// The body was evicted for space: the message's body and attachment-name
    /// postings no longer count, as a scan of what is stored would not find them.
    pub const BODY_GONE: u8 = 8;
    /// The document is a contact, not a message.
    pub const CONTACT: u8 = 16;
    /// The document is an event instance, not a message.
    pub const EVENT: u8 = 32;
    /// The bits that say which kind of item a document is (none: a message).
    pub const KINDS: u8 = CONTACT | EVENT;
}

/// What the index keeps of one indexed message version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocEntry {
    /// The message's record key (its blinded id).
    pub key: [u8; KEY_LEN],
    /// `receivedDateTime` of a message, the start of an event, 0 for a contact;
    /// ms since the epoch.
    pub received: i64,
    /// The first four bytes of the blinded folder id.
    pub folder: u32,
    /// [`flags`] bits.
    pub flags: u8,
}

impl DocEntry {
    /// Whether this entry sorts before `other` in answers: newer first, then by key.
    pub fn order_key(&self) -> (i64, [u8; KEY_LEN]) {
        (-self.received, self.key)
    }
}

/// Document numbers and their entries, kept page by page: opening the index
/// decodes each stored page straight into its own sorted list, and a write
/// re-encodes only the pages it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocTable {
    /// Per page number, its live documents sorted by number; no page is empty.
    pages: BTreeMap<u32, Vec<(u32, DocEntry)>>,
    len: usize,
}

/// The page a document number is stored in.
pub fn page_of(doc: u32) -> u32 {
    doc / PAGE_DOCS
}

impl DocTable {
    /// The entry of a live document.
    pub fn get(&self, doc: u32) -> Option<&DocEntry> {
        let page = self.pages.get(&page_of(doc))?;
        let at = page.binary_search_by_key(&doc, |(d, _)| *d).ok()?;
        Some(&page[at].1)
    }

    /// Records (or replaces) a document's entry.
    pub fn insert(&mut self, doc: u32, entry: DocEntry) {
        let page = self.pages.entry(page_of(doc)).or_default();
        // New documents take the next number: most inserts append.
        if page.last().is_none_or(|(last, _)| *last < doc) {
            page.push((doc, entry));
            self.len += 1;
            return;
        }
        match page.binary_search_by_key(&doc, |(d, _)| *d) {
            Ok(at) => page[at].1 = entry,
            Err(at) => {
                page.insert(at, (doc, entry));
                self.len += 1;
            }
        }
    }

    /// Removes a document; its postings are dead from now on.
    pub fn remove(&mut self, doc: u32) -> Option<DocEntry> {
        let number = page_of(doc);
        let page = self.pages.get_mut(&number)?;
        let at = page.binary_search_by_key(&doc, |(d, _)| *d).ok()?;
        let (_, entry) = page.remove(at);
        if page.is_empty() {
            self.pages.remove(&number);
        }
        self.len -= 1;
        Some(entry)
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no document is live.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every number from `low` to `high` is a live document with its body:
    /// a merge of postings in that range then has nothing to drop.
    pub fn all_whole(&self, low: u32, high: u32) -> bool {
        if high < low {
            return true;
        }
        let expected = u64::from(high - low) + 1;
        let mut count = 0u64;
        for page in self
            .pages
            .range(page_of(low)..=page_of(high))
            .map(|(_, page)| page)
        {
            for (_, entry) in page.iter().filter(|(doc, _)| (low..=high).contains(doc)) {
                if entry.flags & flags::BODY_GONE != 0 {
                    return false;
                }
                count += 1;
            }
        }
        count == expected
    }

    /// Every live document, by number.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &DocEntry)> {
        self.pages
            .values()
            .flatten()
            .map(|(doc, entry)| (*doc, entry))
    }

    /// The numbers of the pages that hold live documents.
    pub fn page_numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.pages.keys().copied()
    }

    /// The table of decoded pages: each page is moved in whole.
    pub fn of_pages(tables: Vec<DocTable>) -> DocTable {
        let mut out = DocTable::default();
        for table in tables {
            for (number, page) in table.pages {
                if out.pages.contains_key(&number) {
                    page.into_iter()
                        .for_each(|(doc, entry)| out.insert(doc, entry));
                    continue;
                }
                out.len += page.len();
                out.pages.insert(number, page);
            }
        }
        out
    }

    /// The entries of one page, as a table of their own.
    pub fn page(&self, page: u32) -> DocTable {
        let Some(entries) = self.pages.get(&page) else {
            return DocTable::default();
        };
        DocTable {
            pages: BTreeMap::from([(page, entries.clone())]),
            len: entries.len(),
        }
    }

    /// The bytes of this table (to be sealed): one page's worth, in practice.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len * 30);
        put_varint(&mut out, self.len as u64);
        let mut previous = 0u32;
        for (i, (doc, entry)) in self.iter().enumerate() {
            put_varint(
                &mut out,
                u64::from(if i == 0 { doc } else { doc - previous }),
            );
            out.extend_from_slice(&entry.key);
            put_varint(&mut out, zigzag(entry.received));
            out.extend_from_slice(&entry.folder.to_be_bytes());
            out.push(entry.flags);
            previous = doc;
        }
        out
    }

    /// Reads bytes written by [`DocTable::encode`]; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<DocTable> {
        let mut at = 0;
        let count = get_varint(bytes, &mut at)?;
        let mut table = DocTable::default();
        let mut previous = 0u32;
        for i in 0..count {
            let gap = u32::try_from(get_varint(bytes, &mut at)?).ok()?;
            if i > 0 && gap == 0 {
                return None;
            }
            let doc = if i == 0 {
                gap
            } else {
                previous.checked_add(gap)?
            };
            let key: [u8; KEY_LEN] = bytes.get(at..at + KEY_LEN)?.try_into().ok()?;
            at += KEY_LEN;
            let received = unzigzag(get_varint(bytes, &mut at)?);
            let folder = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
            let flags = *bytes.get(at + 4)?;
            at += 5;
            let entry = DocEntry {
                key,
                received,
                folder,
                flags,
            };
            // Numbers only grow, so each entry goes at the end of its page.
            table
                .pages
                .entry(page_of(doc))
                .or_default()
                .push((doc, entry));
            table.len += 1;
            previous = doc;
        }
        (at == bytes.len()).then_some(table)
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u8, received: i64) -> DocEntry {
        DocEntry {
            key: [n; KEY_LEN],
            received,
            folder: u32::from(n) * 7,
            flags: n & 7,
        }
    }

    #[test]
    fn all_whole_needs_every_number_live_with_its_body() {
        let mut table = DocTable::default();
        for doc in 4..=6 {
            table.insert(doc, entry(0, 1));
        }
        assert!(table.all_whole(4, 6));
        assert!(!table.all_whole(3, 6), "3 was removed");
        table.insert(
            5,
            DocEntry {
                flags: flags::BODY_GONE,
                ..entry(0, 1)
            },
        );
        assert!(!table.all_whole(4, 6), "5 lost its body");
        assert!(table.all_whole(6, 6));
    }

    #[test]
    fn pages_round_trip_and_refuse_truncation() {
        let mut table = DocTable::default();
        table.insert(3, entry(1, -5));
        table.insert(511, entry(2, 1_700_000_000_000));
        table.insert(512, entry(3, 0));
        let first = table.page(0);
        assert_eq!(first.len(), 2);
        let bytes = first.encode();
        assert_eq!(DocTable::decode(&bytes), Some(first));
        for cut in 0..bytes.len() {
            assert_eq!(DocTable::decode(&bytes[..cut]), None);
        }
        assert_eq!(page_of(511), 0);
        assert_eq!(page_of(512), 1);
        assert_eq!(table.page(1).get(512), Some(&entry(3, 0)));
    }

    #[test]
    fn zigzag_round_trips_extremes() {
        for value in [0, 1, -1, i64::MIN, i64::MAX, 1_700_000_000_000] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
    }

    #[test]
    fn newer_sorts_first_then_key() {
        let mut entries = [entry(2, 10), entry(1, 10), entry(3, 20)];
        entries.sort_by_key(DocEntry::order_key);
        assert_eq!(entries.map(|e| e.key[0]), [3, 1, 2]);
    }
}
