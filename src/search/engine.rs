//! Answering a query from the index: the documents whose postings hold every
//! term, filtered by the document table's facts, in answer order. What the
//! postings cannot decide (a phrase's word order) and what the table only
//! approximates (a folder tag) is marked for the caller to check on the opened
//! message with [`crate::search::matches`]; every answer's authenticated summary
//! is checked against the query's other clauses too.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::docs::{flags, DocEntry, DocTable, KEY_LEN};
use super::postings::{intersect, union};
use super::query::{Clause, Field, Query, Term};

/// Where an answer page starts: after this message (exclusive), in answer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    /// The last answer's received time, ms.
    pub received: i64,
    /// The last answer's record key.
    pub key: [u8; KEY_LEN],
}

impl After {
    /// The answer a search cursor (made by [`crate::store::cursor::encode`] from
    /// minus the received time and the key) names, or `None` if the text is not one.
    ///
    /// ```
    /// use offline_mailbox::search::After;
    /// use offline_mailbox::store::cursor;
    /// let after = After::from_cursor(&cursor::encode(-1_700_000_000_000.0, &[7; 16])).unwrap();
    /// assert_eq!((after.received, after.key), (1_700_000_000_000, [7; 16]));
    /// assert!(After::from_cursor("1.2").is_none());
    /// ```
    pub fn from_cursor(text: &str) -> Option<Self> {
        let (recency, key) = crate::store::cursor::decode(text)?;
        // Received times are within ±2^53 ms; anything beyond was not made here.
        if recency.abs() > 9.0e15 {
            return None;
        }
        Some(Self {
            received: -(recency as i64),
            key: key.try_into().ok()?,
        })
    }
}

/// A source of postings: the merged segments of the buckets a query reads.
pub trait Postings {
    /// The documents matching `term` in `field` (or any field), sorted; dead
    /// documents may be among them.
    fn lookup(&self, term: &Term, field: Option<Field>) -> Vec<u32>;
}

/// A query prepared against the document table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The folder tag every answer must have, from `folder:` (and the folder option).
    pub folder_tags: Vec<u32>,
    /// Whether answers must be opened with their body to check a phrase.
    pub needs_body: bool,
    /// The [`flags::KINDS`] bits every answer has: 0 for messages,
    /// [`flags::CONTACT`] or [`flags::EVENT`].
    pub kind: u8,
}

impl Plan {
    /// The plan for `query` over messages; `folder_tag` gives the table's tag
    /// of a resolved folder id.
    pub fn new(query: &Query, folder_tag: impl Fn(&str) -> u32) -> Plan {
        let folder_tags = query
            .clauses
            .iter()
            .filter_map(|clause| match clause {
                Clause::Folder(id) => Some(folder_tag(id)),
                _ => None,
            })
            .collect();
        let needs_body = query.clauses.iter().any(|clause| match clause {
            Clause::Phrase { field, .. } => field.is_none_or(|f| f == Field::Body),
            _ => false,
        });
        Plan {
            folder_tags,
            needs_body,
            kind: 0,
        }
    }

    /// The plan for `query` over the items of `kind` ([`flags::CONTACT`] or
    /// [`flags::EVENT`]): words and phrases only, checked on the opened item.
    pub fn of_kind(query: &Query, kind: u8) -> Plan {
        Plan {
            kind,
            ..Plan::new(query, |_| 0)
        }
    }
}

/// Every live document that may match `query`, in answer order, starting after
/// `after`. Term and phrase clauses are decided by the postings (a phrase only by
/// its words: the caller checks the order); flags and dates by the table.
pub fn candidates(
    query: &Query,
    plan: &Plan,
    postings: &impl Postings,
    table: &DocTable,
    after: Option<After>,
) -> Candidates {
    let mut found: Vec<Reverse<Ranked>> = match matching_docs(query, postings, table) {
        Some(docs) => docs
            .into_iter()
            .filter_map(|doc| table.get(doc).map(|entry| Ranked::new(doc, *entry)))
            .collect(),
        None => table
            .iter()
            .map(|(doc, entry)| Ranked::new(doc, *entry))
            .collect(),
    };
    found.retain(|Reverse(ranked)| {
        passes_facts(query, plan, &ranked.entry) && is_after(&ranked.entry, after)
    });
    Candidates {
        heap: BinaryHeap::from(found),
    }
}

/// Candidates in answer order, ordered as they are taken: a page of a common
/// word's answers needs its first few dozen of thousands, so the rest are never
/// sorted.
#[derive(Debug, Clone)]
pub struct Candidates {
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl Candidates {
    /// How many are left.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether none is left.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The next `count` (fewer at the end), in answer order.
    pub fn take_next(&mut self, count: usize) -> Vec<(u32, DocEntry)> {
        self.by_ref().take(count).collect()
    }
}

impl Iterator for Candidates {
    type Item = (u32, DocEntry);

    fn next(&mut self) -> Option<(u32, DocEntry)> {
        self.heap
            .pop()
            .map(|Reverse(ranked)| (ranked.doc, ranked.entry))
    }
}

/// A candidate with the key it is answered by.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    order: (i64, [u8; KEY_LEN]),
    doc: u32,
    entry: DocEntry,
}

impl Ranked {
    fn new(doc: u32, entry: DocEntry) -> Reverse<Ranked> {
        Reverse(Ranked {
            order: entry.order_key(),
            doc,
            entry,
        })
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Ranked) -> bool {
        (self.order, self.doc) == (other.order, other.doc)
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Ranked) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Ranked) -> Ordering {
        (self.order, self.doc).cmp(&(other.order, other.doc))
    }
}

/// The documents whose postings hold every term of every term and phrase
/// clause, or `None` when the query has no such clause. A document whose body
/// was evicted counts only by its summary's terms.
fn matching_docs(query: &Query, postings: &impl Postings, table: &DocTable) -> Option<Vec<u32>> {
    let mut lists: Vec<Vec<u32>> = Vec::new();
    for clause in &query.clauses {
        match clause {
            Clause::Term { field, term } => {
                lists.push(stored_lookup(postings, table, term, *field))
            }
            Clause::Phrase { field, terms } => {
                lists.extend(
                    terms
                        .iter()
                        .map(|term| stored_lookup(postings, table, term, *field)),
                );
            }
            _ => {}
        }
    }
    lists.sort_by_key(Vec::len);
    let mut lists = lists.into_iter();
    let first = lists.next()?;
    Some(lists.fold(first, |acc, list| intersect(&acc, &list)))
}

/// The documents holding `term` in `field` (or any field) as stored now: the
/// body and attachment-name postings of a message whose body was evicted no
/// longer count.
fn stored_lookup(
    postings: &impl Postings,
    table: &DocTable,
    term: &Term,
    field: Option<Field>,
) -> Vec<u32> {
    let gone = |doc: &u32| {
        table
            .get(*doc)
            .is_some_and(|e| e.flags & flags::BODY_GONE != 0)
    };
    let in_body = |f: Field| matches!(f, Field::Body | Field::Attachments);
    match field {
        Some(f) if in_body(f) => postings
            .lookup(term, Some(f))
            .into_iter()
            .filter(|d| !gone(d))
            .collect(),
        Some(f) => postings.lookup(term, Some(f)),
        None => {
            let lists: Vec<Vec<u32>> = Field::ALL
                .into_iter()
                .map(|f| {
                    let found = postings.lookup(term, Some(f));
                    match in_body(f) {
                        true => found.into_iter().filter(|d| !gone(d)).collect(),
                        false => found,
                    }
                })
                .collect();
            let lists: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            union(&lists)
        }
    }
}

fn passes_facts(query: &Query, plan: &Plan, entry: &DocEntry) -> bool {
    let has = |bit: u8| entry.flags & bit != 0;
    let facts = query.clauses.iter().all(|clause| match clause {
        Clause::HasAttachment => has(flags::ATTACHMENTS),
        Clause::Unread(unread) => has(flags::UNREAD) == *unread,
        Clause::Flagged => has(flags::FLAGGED),
        Clause::Before(time) => entry.received < *time,
        Clause::After(time) => entry.received >= *time,
        _ => true,
    });
    facts
        && entry.flags & flags::KINDS == plan.kind
        && plan.folder_tags.iter().all(|tag| entry.folder == *tag)
}

fn is_after(entry: &DocEntry, after: Option<After>) -> bool {
    after.is_none_or(|after| entry.order_key() > (-after.received, after.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{matches, SearchDocument, Segment};
    use serde_json::json;

    struct Fixture {
        docs: Vec<SearchDocument>,
        segment: Segment,
        table: DocTable,
    }

    impl Postings for Segment {
        fn lookup(&self, term: &Term, field: Option<Field>) -> Vec<u32> {
            Segment::lookup(self, term, field)
        }
    }

    fn fixture() -> Fixture {
        let messages = [
            json!({"subject": "Budget review", "isRead": false, "receivedDateTime": "2024-01-03T00:00:00Z", "parentFolderId": "a"}),
            json!({"subject": "review of the budget", "isRead": true, "receivedDateTime": "2024-01-02T00:00:00Z", "parentFolderId": "a", "hasAttachments": true}),
            json!({"subject": "Budget", "flag": {"flagStatus": "flagged"}, "receivedDateTime": "2024-01-02T00:00:00Z", "parentFolderId": "b"}),
        ];
        let mut fixture = Fixture {
            docs: Vec::new(),
            segment: Segment::default(),
            table: DocTable::default(),
        };
        for (n, message) in messages.iter().enumerate() {
            let doc = SearchDocument::of_message(message.as_object().unwrap());
            let number = n as u32 * 3;
            fixture.segment.add_document(number, &doc);
            let mut bits = 0;
            if doc.unread {
                bits |= flags::UNREAD;
            }
            if doc.flagged {
                bits |= flags::FLAGGED;
            }
            if doc.has_attachments {
                bits |= flags::ATTACHMENTS;
            }
            fixture.table.insert(
                number,
                DocEntry {
                    key: [9 - n as u8; KEY_LEN],
                    received: doc.received,
                    folder: folder_tag(&doc.folder),
                    flags: bits,
                },
            );
            fixture.docs.push(doc);
        }
        fixture
    }

    fn folder_tag(id: &str) -> u32 {
        id.bytes().map(u32::from).sum()
    }

    /// Candidates checked with the matcher, as documents in answer order.
    fn answer(fixture: &Fixture, text: &str, after: Option<After>) -> Vec<u32> {
        let query = Query::parse(text).unwrap();
        let plan = Plan::new(&query, folder_tag);
        candidates(&query, &plan, &fixture.segment, &fixture.table, after)
            .map(|(doc, _)| doc)
            .filter(|doc| matches(&query, &fixture.docs[*doc as usize / 3].cut()))
            .collect()
    }

    #[test]
    fn answers_are_newest_first_then_by_key_and_checked() {
        let f = fixture();
        // Documents 3 and 6 tie on time: the smaller key (document 6's) comes first.
        assert_eq!(answer(&f, "budget", None), [0, 6, 3]);
        assert_eq!(answer(&f, "\"budget review\"", None), [0]);
        assert_eq!(answer(&f, "review budg", None), [0, 3]);
        assert_eq!(answer(&f, "is:unread", None), [0]);
        assert_eq!(answer(&f, "is:flagged budget", None), [6]);
        assert_eq!(answer(&f, "has:attachment", None), [3]);
        assert_eq!(answer(&f, "folder:b", None), [6]);
        assert_eq!(answer(&f, "before:2024-01-03", None), [6, 3]);
        assert_eq!(answer(&f, "nothing", None), Vec::<u32>::new());
    }

    #[test]
    fn pages_continue_after_the_last_answer_and_dead_documents_vanish() {
        let mut f = fixture();
        let entry = *f.table.get(6).unwrap();
        let after = After {
            received: entry.received,
            key: entry.key,
        };
        assert_eq!(answer(&f, "budget", Some(after)), [3]);
        f.table.remove(3);
        assert_eq!(answer(&f, "budget", None), [0, 6]);
    }

    #[test]
    fn a_document_whose_body_was_evicted_counts_by_its_summary_alone() {
        let mut f = fixture();
        let mut entry = *f.table.get(3).unwrap();
        entry.flags |= flags::BODY_GONE;
        f.table.insert(3, entry);
        let query = Query::parse("review").unwrap();
        let plan = Plan::new(&query, folder_tag);
        let found: Vec<u32> = candidates(&query, &plan, &f.segment, &f.table, None)
            .map(|(d, _)| d)
            .collect();
        assert_eq!(found, [0, 3], "document 3 has the word in its subject");
        let mut body = Segment::default();
        body.add_document(
            3,
            &SearchDocument::of_message(json!({"body": {"content": "zebra"}}).as_object().unwrap()),
        );
        let query = Query::parse("zebra").unwrap();
        assert!(candidates(&query, &plan, &body, &f.table, None).is_empty());
    }

    #[test]
    fn a_plan_reads_bodies_only_for_phrases_that_may_be_in_them() {
        let plan = |text: &str| Plan::new(&Query::parse(text).unwrap(), |_| 0).needs_body;
        assert!(plan("\"a b\""));
        assert!(!plan("subject:\"a b\" c"));
        assert!(!plan("a b"));
    }
}
