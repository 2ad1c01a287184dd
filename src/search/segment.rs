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

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use super::document::SearchDocument;
use super::postings::{decode_postings, encode_postings, get_varint, put_varint, union};
use super::query::{Field, Term};
use super::text::starts_cjk;

/// Characters of a term that choose its bucket (one for CJK terms).
pub const BUCKET_PREFIX_CHARS: usize = 3;

/// The postings of one term: per field number (increasing), the sorted documents.
pub type FieldPostings = Vec<(u8, Vec<u32>)>;

/// Terms and their postings: a whole bucket, a write's, or the part of one that
/// falls in a bucket. Kept as one sorted list, so building, merging, splitting,
/// encoding and decoding are each one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    /// Distinct terms in increasing order, each with its postings.
    terms: Vec<(String, FieldPostings)>,
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

/// The postings of a write's documents as they are added, made into a
/// [`Segment`] at the end: each distinct term found once through a hash map, and
/// only the distinct terms sorted.
#[derive(Debug, Default)]
pub struct SegmentBuilder<'a> {
    ids: HashMap<&'a str, usize, TermHasher>,
    terms: Vec<(&'a str, [Vec<u32>; FIELD_COUNT])>,
}

/// The hasher of a write's term map, keyed at random for each map, so that
/// words crafted to collide (in a mail anyone can send) cannot make indexing
/// quadratic: the standard hasher's keys are fixed on `wasm32-unknown-unknown`,
/// so colliding words could be computed once and mailed to everyone.
///
/// ```
/// use std::hash::BuildHasher;
/// use offline_mailbox::search::segment::TermHasher;
/// let (one, other) = (TermHasher::default(), TermHasher::default());
/// assert_ne!(one.hash_one("budget"), other.hash_one("budget"));
/// ```
#[derive(Debug, Clone)]
pub struct TermHasher(ahash::RandomState);

impl TermHasher {
    /// A hasher with the keys `seed` gives (for tests: a map's keys come from
    /// [`TermHasher::default`]).
    pub fn from_seed(seed: [u8; 32]) -> TermHasher {
        let [a, b, c, d] = [0, 8, 16, 24]
            .map(|at| u64::from_le_bytes(seed[at..at + 8].try_into().unwrap_or_default()));
        TermHasher(ahash::RandomState::with_seeds(a, b, c, d))
    }
}

impl Default for TermHasher {
    /// A hasher keyed from the platform's random source (the browser's
    /// `crypto.getRandomValues`).
    fn default() -> TermHasher {
        let mut seed = [0u8; 32];
        // Without randomness the map still works, only with fixed keys.
        if getrandom::getrandom(&mut seed).is_err() {
            seed = [0; 32];
        }
        TermHasher::from_seed(seed)
    }
}

impl std::hash::BuildHasher for TermHasher {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// Number of indexed fields ([`Field::ALL`]).
const FIELD_COUNT: usize = Field::ALL.len();

impl<'a> SegmentBuilder<'a> {
    /// Adds a document's terms. Documents must be added in increasing number.
    pub fn add_document(&mut self, doc: u32, document: &'a SearchDocument) {
        for field in Field::ALL {
            let slot = usize::from(field.number());
            document.each_term(field, |term| {
                let id = *self.ids.entry(term).or_insert_with(|| {
                    self.terms.push((term, Default::default()));
                    self.terms.len() - 1
                });
                let docs = &mut self.terms[id].1[slot];
                if docs.last() != Some(&doc) {
                    docs.push(doc);
                }
            });
        }
    }

    /// Whether no term was added.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The segment of every document added.
    pub fn build(mut self) -> Segment {
        self.terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let terms = self
            .terms
            .into_iter()
            .map(|(term, fields)| {
                let postings: FieldPostings = (0u8..)
                    .zip(fields)
                    .filter(|(_, docs)| !docs.is_empty())
                    .collect();
                (term.to_owned(), postings)
            })
            .collect();
        Segment { terms }
    }

    /// The bytes of [`SegmentBuilder::build`]'s segment, [`Segment::encode`]d,
    /// without making the segment: a write stores its postings as they are.
    pub fn encode(mut self) -> Vec<u8> {
        self.terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut encoder = Encoder::new(self.terms.len());
        for (term, fields) in &self.terms {
            encoder.term(term, fields.iter().filter(|docs| !docs.is_empty()).count());
            for (field, docs) in (0u8..).zip(fields) {
                if !docs.is_empty() {
                    encoder.field(field, docs);
                }
            }
        }
        encoder.out
    }
}

/// Writes the encoding of a segment (see the module documentation), term by
/// term in order.
struct Encoder<'t> {
    out: Vec<u8>,
    previous: &'t [u8],
}

impl<'t> Encoder<'t> {
    fn new(terms: usize) -> Encoder<'t> {
        let mut out = Vec::new();
        put_varint(&mut out, terms as u64);
        Encoder { out, previous: &[] }
    }

    /// Starts a term that has postings in `fields` fields.
    fn term(&mut self, term: &'t str, fields: usize) {
        let bytes = term.as_bytes();
        let shared = common_prefix(self.previous, bytes);
        put_varint(&mut self.out, shared as u64);
        put_varint(&mut self.out, (bytes.len() - shared) as u64);
        self.out.extend_from_slice(&bytes[shared..]);
        put_varint(&mut self.out, fields as u64);
        self.previous = bytes;
    }

    /// The postings of the current term in one field.
    fn field(&mut self, field: u8, docs: &[u32]) {
        self.out.push(field);
        encode_postings(&mut self.out, docs);
    }
}

impl Segment {
    /// The segment of one document's terms.
    pub fn of_document(doc: u32, document: &SearchDocument) -> Segment {
        let mut builder = SegmentBuilder::default();
        builder.add_document(doc, document);
        builder.build()
    }

    /// Adds a document's terms. Documents must be added in increasing number
    /// (each write numbers its documents after every earlier one). A write adds
    /// many through a [`SegmentBuilder`] instead.
    pub fn add_document(&mut self, doc: u32, document: &SearchDocument) {
        self.merge(Segment::of_document(doc, document));
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
                .push((term, postings));
        }
        out
    }

    /// Merges `other` into this segment (postings of the same term and field are united).
    pub fn merge(&mut self, other: Segment) {
        let mine = std::mem::take(&mut self.terms);
        self.terms = merge_sorted(mine, other.terms, |a, b| merge_sorted(a, b, unite));
    }

    /// The lowest and highest document number it holds, or `None` when empty.
    pub fn doc_range(&self) -> Option<(u32, u32)> {
        let lists = self.terms.iter().flat_map(|(_, postings)| postings.iter());
        lists.fold(None, |range, (_, docs)| {
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
        self.terms.retain_mut(|(_, postings)| {
            postings.retain_mut(|(number, docs)| {
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
        let text = term.text.as_str();
        let from = self.terms.partition_point(|(t, _)| t.as_str() < text);
        let matching = move |t: &str| match term.prefix {
            true => t.starts_with(text),
            false => t == text,
        };
        self.terms[from..]
            .iter()
            .take_while(move |(t, _)| matching(t))
            .map(|(_, postings)| postings)
    }

    /// The segment's bytes (to be sealed).
    pub fn encode(&self) -> Vec<u8> {
        let mut encoder = Encoder::new(self.terms.len());
        for (term, postings) in &self.terms {
            encoder.term(term, postings.len());
            for (field, docs) in postings {
                encoder.field(*field, docs);
            }
        }
        encoder.out
    }

    /// Reads bytes written by [`Segment::encode`]; `None` if malformed (terms
    /// or fields out of order or repeated included).
    pub fn decode(bytes: &[u8]) -> Option<Segment> {
        let mut at = 0;
        let count = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
        // Every term takes at least four bytes: a count beyond that is a lie.
        let mut terms: Vec<(String, FieldPostings)> =
            Vec::with_capacity(count.min(bytes.len() / 4));
        for _ in 0..count {
            let shared = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
            let rest = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
            let tail = bytes.get(at..at.checked_add(rest)?)?;
            at += rest;
            let previous = terms.last().map_or(&[][..], |(t, _)| t.as_bytes());
            let mut term = previous.get(..shared)?.to_vec();
            term.extend_from_slice(tail);
            if term.as_slice() <= previous && !terms.is_empty() {
                return None;
            }
            let fields = get_varint(bytes, &mut at)?;
            let mut postings = FieldPostings::new();
            for _ in 0..fields {
                let field = *bytes.get(at)?;
                at += 1;
                Field::from_number(field)?;
                let docs = decode_postings(bytes, &mut at)?;
                let ordered = postings.last().is_none_or(|(last, _)| *last < field);
                if docs.is_empty() || !ordered {
                    return None;
                }
                postings.push((field, docs));
            }
            if postings.is_empty() {
                return None;
            }
            terms.push((String::from_utf8(term).ok()?, postings));
        }
        (at == bytes.len()).then_some(Segment { terms })
    }
}

/// Two lists sorted by distinct keys merged into one; `both` combines the values
/// of a key in both. A list whose keys all follow the other's is simply appended.
fn merge_sorted<K: Ord, V>(
    a: Vec<(K, V)>,
    b: Vec<(K, V)>,
    mut both: impl FnMut(V, V) -> V,
) -> Vec<(K, V)> {
    let follows = match (a.last(), b.first()) {
        (Some((last, _)), Some((first, _))) => last < first,
        _ => true,
    };
    if follows {
        let mut a = a;
        a.extend(b);
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let order = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return out,
        };
        match order {
            Ordering::Less => out.extend(a.next()),
            Ordering::Greater => out.extend(b.next()),
            Ordering::Equal => {
                if let (Some((key, x)), Some((_, y))) = (a.next(), b.next()) {
                    out.push((key, both(x, y)));
                }
            }
        }
    }
}

/// The documents of two sorted lists; appended when one follows the other, as
/// later segments' documents usually do.
fn unite(mut a: Vec<u32>, b: Vec<u32>) -> Vec<u32> {
    match (a.last(), b.first()) {
        (Some(last), Some(first)) if last < first => {
            a.extend_from_slice(&b);
            a
        }
        (None, _) => b,
        (_, None) => a,
        _ => union(&[&a, &b]),
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
        // Two terms, "b" then "a" (each: shared 0, length 1, its byte, one field
        // with one posting): lookups rely on order, so this is refused.
        let unsorted = [2, 0, 1, b'b', 1, 0, 1, 5, 0, 1, b'a', 1, 0, 1, 5];
        assert_eq!(Segment::decode(&unsorted), None);
        let sorted = [2, 0, 1, b'a', 1, 0, 1, 5, 0, 1, b'b', 1, 0, 1, 5];
        assert!(Segment::decode(&sorted).is_some());
        let fields_unsorted = [1, 0, 1, b'a', 2, 4, 1, 5, 0, 1, 5];
        assert_eq!(Segment::decode(&fields_unsorted), None);
    }

    #[test]
    fn a_builder_encodes_what_it_builds() {
        let documents = [
            document("Budget", "budget budgets"),
            document("Lunch", "the budget"),
            document("東京", "bud"),
        ];
        let fill = || {
            let mut builder = SegmentBuilder::default();
            for (doc, document) in [1, 4, 9].into_iter().zip(&documents) {
                builder.add_document(doc, document);
            }
            builder
        };
        assert_eq!(fill().encode(), fill().build().encode());
        assert_eq!(Segment::decode(&fill().encode()), Some(sample()));
        assert!(SegmentBuilder::default().is_empty() && !fill().is_empty());
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
