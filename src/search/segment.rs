//! An index segment: for each term, the documents holding it, per field. The
//! store keeps one bucket's postings as a few sealed segments (one per write
//! that touched the bucket, merged as they pile up), and a query merges the
//! segments of the buckets its terms fall in.
//!
//! Which bucket a term falls in depends only on its first three characters (the
//! first one for CJK terms), blinded with the mailbox's key: every term that
//! starts like a prefix query lives in the prefix's bucket, so a prefix reads
//! one bucket, and the disk shows only bucket numbers, never terms.
//!
//! Encoding (sealed before it is stored): term count, then per term (sorted) the
//! bytes shared with the previous term, the rest's length and bytes, its field
//! count, and per field its number and posting list (see [`encode_postings`]).

use std::collections::BTreeMap;

use super::document::SearchDocument;
use super::postings::{decode_postings, encode_postings, get_varint, put_varint, union};
use super::query::{Field, Term};
use super::text::starts_cjk;

/// Characters of a term that choose its bucket (one for CJK terms).
pub const BUCKET_PREFIX_CHARS: usize = 3;

/// The postings of one term: per field number, the sorted documents.
pub type FieldPostings = BTreeMap<u8, Vec<u32>>;

/// Terms and their postings: a whole bucket, or the part of a write that falls in one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    terms: BTreeMap<String, FieldPostings>,
}

/// The text that chooses a term's bucket: its first three characters, or the
/// first one for a CJK term. A prefix query of at least that length has the same
/// bucket text as every term it matches.
///
/// ```
/// use offline_mailbox::search::bucket_text;
/// assert_eq!(bucket_text("budget"), "bud");
/// assert_eq!(bucket_text("of"), "of");
/// assert_eq!(bucket_text("東京"), "東");
/// ```
pub fn bucket_text(term: &str) -> &str {
    let chars = if starts_cjk(term) {
        1
    } else {
        BUCKET_PREFIX_CHARS
    };
    match term.char_indices().nth(chars) {
        Some((at, _)) => &term[..at],
        None => term,
    }
}

impl Segment {
    /// The segment of one document's terms.
    pub fn of_document(doc: u32, document: &SearchDocument) -> Segment {
        let mut segment = Segment::default();
        segment.add_document(doc, document);
        segment
    }

    /// Adds a document's terms. Documents must be added in increasing number
    /// (each write numbers its documents after every earlier one).
    pub fn add_document(&mut self, doc: u32, document: &SearchDocument) {
        // Each distinct term once: a body repeats most of its words, and a term
        // already in the segment needs no copy of its text.
        let mut found: Vec<(&str, u8)> = Field::ALL
            .into_iter()
            .flat_map(|field| {
                document
                    .terms(field)
                    .map(move |token| (token.term.as_str(), field.number()))
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        for (term, field) in found {
            let postings = match self.terms.get_mut(term) {
                Some(postings) => postings,
                None => self.terms.entry(term.to_owned()).or_default(),
            };
            let docs = postings.entry(field).or_default();
            if docs.last() != Some(&doc) {
                docs.push(doc);
            }
        }
    }

    /// Whether the segment holds no term.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Number of distinct terms.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// Splits the segment by bucket, `bucket` naming each term's.
    pub fn split(self, mut bucket: impl FnMut(&str) -> u16) -> BTreeMap<u16, Segment> {
        let mut out: BTreeMap<u16, Segment> = BTreeMap::new();
        for (term, postings) in self.terms {
            out.entry(bucket(&term))
                .or_default()
                .terms
                .insert(term, postings);
        }
        out
    }

    /// Merges `other` into this segment (postings of the same term and field are united).
    pub fn merge(&mut self, other: Segment) {
        for (term, postings) in other.terms {
            let mine = self.terms.entry(term).or_default();
            for (field, docs) in postings {
                let entry = mine.entry(field).or_default();
                // Later segments number their documents after earlier ones: the
                // usual merge only appends.
                let appends = match (entry.last(), docs.first()) {
                    (Some(last), Some(first)) => last < first,
                    _ => true,
                };
                match appends {
                    true => entry.extend_from_slice(&docs),
                    false => *entry = union(&[entry, &docs]),
                }
            }
        }
    }

    /// The lowest and highest document number it holds, or `None` when empty.
    pub fn doc_range(&self) -> Option<(u32, u32)> {
        let lists = self.terms.values().flat_map(|postings| postings.values());
        lists.fold(None, |range, docs| {
            let (Some(&first), Some(&last)) = (docs.first(), docs.last()) else {
                return range;
            };
            Some(match range {
                None => (first, last),
                Some((low, high)) => (low.min(first), high.max(last)),
            })
        })
    }

    /// Keeps only the postings `keep(document, field)` accepts, dropping terms
    /// left with none.
    pub fn retain(&mut self, keep: impl Fn(u32, Field) -> bool) {
        self.terms.retain(|_, postings| {
            postings.retain(|number, docs| {
                let Some(field) = Field::from_number(*number) else {
                    return false;
                };
                docs.retain(|&doc| keep(doc, field));
                !docs.is_empty()
            });
            !postings.is_empty()
        });
    }

    /// The documents matching `term` in `field` (or in any field), sorted.
    pub fn lookup(&self, term: &Term, field: Option<Field>) -> Vec<u32> {
        let wanted = |number: &u8| field.is_none_or(|f| f.number() == *number);
        let lists: Vec<&[u32]> = self
            .matching_terms(term)
            .flat_map(|postings| postings.iter())
            .filter(|(number, _)| wanted(number))
            .map(|(_, docs)| docs.as_slice())
            .collect();
        union(&lists)
    }

    fn matching_terms<'a>(&'a self, term: &'a Term) -> impl Iterator<Item = &'a FieldPostings> {
        let exact = (!term.prefix).then(|| self.terms.get(&term.text)).flatten();
        let prefixed = term.prefix.then(|| {
            self.terms
                .range(term.text.clone()..)
                .take_while(|(text, _)| text.starts_with(&term.text))
                .map(|(_, postings)| postings)
        });
        exact.into_iter().chain(prefixed.into_iter().flatten())
    }

    /// The segment's bytes (to be sealed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, self.terms.len() as u64);
        let mut previous: &[u8] = &[];
        for (term, postings) in &self.terms {
            let bytes = term.as_bytes();
            let shared = common_prefix(previous, bytes);
            put_varint(&mut out, shared as u64);
            put_varint(&mut out, (bytes.len() - shared) as u64);
            out.extend_from_slice(&bytes[shared..]);
            put_varint(&mut out, postings.len() as u64);
            for (field, docs) in postings {
                out.push(*field);
                encode_postings(&mut out, docs);
            }
            previous = bytes;
        }
        out
    }

    /// Reads bytes written by [`Segment::encode`]; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Segment> {
        let mut at = 0;
        let count = get_varint(bytes, &mut at)?;
        let mut terms = BTreeMap::new();
        let mut previous: Vec<u8> = Vec::new();
        for _ in 0..count {
            let shared = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
            let rest = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
            let tail = bytes.get(at..at.checked_add(rest)?)?;
            at += rest;
            let mut term = previous.get(..shared)?.to_vec();
            term.extend_from_slice(tail);
            let fields = get_varint(bytes, &mut at)?;
            let mut postings = FieldPostings::new();
            for _ in 0..fields {
                let field = *bytes.get(at)?;
                at += 1;
                Field::from_number(field)?;
                let docs = decode_postings(bytes, &mut at)?;
                if docs.is_empty() || postings.insert(field, docs).is_some() {
                    return None;
                }
            }
            let text = String::from_utf8(term.clone()).ok()?;
            if postings.is_empty() || terms.insert(text, postings).is_some() {
                return None;
            }
            previous = term;
        }
        (at == bytes.len()).then_some(Segment { terms })
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(subject: &str, body: &str) -> SearchDocument {
        SearchDocument::of_message(
            json!({"subject": subject, "body": {"contentType": "text", "content": body}})
                .as_object()
                .unwrap(),
        )
    }

    fn term(text: &str, prefix: bool) -> Term {
        Term {
            text: text.into(),
            prefix,
        }
    }

    fn sample() -> Segment {
        let mut segment = Segment::of_document(1, &document("Budget", "budget budgets"));
        segment.add_document(4, &document("Lunch", "the budget"));
        segment.add_document(9, &document("東京", "bud"));
        segment
    }

    #[test]
    fn lookups_by_term_field_and_prefix() {
        let segment = sample();
        assert_eq!(segment.lookup(&term("budget", false), None), [1, 4]);
        assert_eq!(
            segment.lookup(&term("budget", false), Some(Field::Subject)),
            [1]
        );
        assert_eq!(segment.lookup(&term("budget", true), None), [1, 4]);
        assert_eq!(segment.lookup(&term("bud", true), None), [1, 4, 9]);
        assert_eq!(segment.lookup(&term("bud", false), None), [9]);
        assert_eq!(segment.lookup(&term("京", true), Some(Field::Subject)), [9]);
        assert!(segment.lookup(&term("nothing", true), None).is_empty());
    }

    #[test]
    fn encoding_round_trips_and_refuses_every_truncation() {
        let segment = sample();
        let bytes = segment.encode();
        assert_eq!(Segment::decode(&bytes), Some(segment));
        for cut in 0..bytes.len() {
            assert_eq!(Segment::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Segment::decode(&longer), None);
        assert_eq!(
            Segment::decode(&Segment::default().encode()),
            Some(Segment::default())
        );
    }

    #[test]
    fn doc_range_spans_every_posting() {
        assert_eq!(Segment::default().doc_range(), None);
        let mut segment = Segment::of_document(7, &document("b", "z"));
        segment.merge(Segment::of_document(9, &document("a", "")));
        segment.merge(Segment::of_document(12, &document("", "y")));
        assert_eq!(segment.doc_range(), Some((7, 12)));
    }

    #[test]
    fn merge_split_and_retain() {
        let mut a = Segment::of_document(1, &document("alpha", "beta"));
        let b = Segment::of_document(2, &document("alpha", "gamma"));
        a.merge(b);
        assert_eq!(a.lookup(&term("alpha", false), None), [1, 2]);
        a.retain(|doc, _| doc != 1);
        assert_eq!(a.lookup(&term("alpha", false), None), [2]);
        assert!(a.lookup(&term("beta", false), None).is_empty());
        assert_eq!(a.term_count(), 2);
        let parts = a.split(|term| u16::from(term.starts_with('g')));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[&1].lookup(&term("gamma", false), None), [2]);
    }
}
