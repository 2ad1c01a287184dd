//! The search layer's parts over the real corpus, on the host: every message of
//! the 6,046-message corpus indexed into bucketed segments and the document
//! table, then 250 queries generated from the corpus (rare, medium and common
//! terms, two and three words, prefixes, phrases, each operator, non-ASCII
//! terms) answered from the index and compared with a plain scan of every
//! message: identical messages, identical order.
//!
//! Needs the corpus that `scripts/setup.sh` generates into `target/corpus`.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use offline_mailbox::search::docs::{flags, DocEntry, DocTable, KEY_LEN};
use offline_mailbox::search::{
    bucket_text, candidates, matches, DocumentTerms, Field, Plan, Postings, Query, SearchDocument,
    Segment, SegmentBuilder, Term,
};
use serde_json::{Map, Value};

const BUCKETS: u16 = 64;

struct Corpus {
    docs: Vec<SearchDocument>,
    keys: Vec<[u8; KEY_LEN]>,
}

struct Index {
    buckets: BTreeMap<u16, Segment>,
    table: DocTable,
}

impl Postings for Index {
    fn lookup(&self, term: &Term, field: Option<Field>) -> Vec<u32> {
        self.buckets
            .get(&bucket(&term.text))
            .map(|segment| segment.lookup(term, field))
            .unwrap_or_default()
    }
}

/// A stand-in for the blinded bucket number: any fixed hash of the bucket text.
fn bucket(term: &str) -> u16 {
    let text = bucket_text(term);
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    (hash % u64::from(BUCKETS)) as u16
}

fn folder_tag(id: &str) -> u32 {
    id.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
}

/// The corpus and its index, built once for every test of this file.
fn indexed() -> &'static (Corpus, Index) {
    static BUILT: OnceLock<(Corpus, Index)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let corpus = load();
        let index = build(&corpus);
        (corpus, index)
    })
}

fn load() -> Corpus {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/corpus/messages.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}; run `bash scripts/setup.sh` to generate the corpus")
    });
    let messages: Vec<Map<String, Value>> = serde_json::from_str(&text).unwrap();
    let docs: Vec<SearchDocument> = messages.iter().map(SearchDocument::of_message).collect();
    let keys = messages
        .iter()
        .map(|m| {
            let id = m["id"].as_str().unwrap();
            let mut key = [0u8; KEY_LEN];
            for (i, b) in id.bytes().enumerate() {
                key[i % KEY_LEN] = key[i % KEY_LEN].wrapping_mul(33).wrapping_add(b);
            }
            key
        })
        .collect();
    Corpus { docs, keys }
}

/// Indexes the corpus as the store would: batches of 500, each batch one
/// segment per bucket, merged into the bucket's segment.
fn build(corpus: &Corpus) -> Index {
    let mut index = Index {
        buckets: BTreeMap::new(),
        table: DocTable::default(),
    };
    for (start, batch) in corpus
        .docs
        .chunks(500)
        .enumerate()
        .map(|(i, b)| (i * 500, b))
    {
        let mut segment = SegmentBuilder::default();
        for (offset, doc) in batch.iter().enumerate() {
            let number = (start + offset) as u32;
            segment.add_document(number, doc);
            index
                .table
                .insert(number, entry(corpus.keys[number as usize], doc));
        }
        for (bucket, part) in segment.build().split(bucket) {
            index.buckets.entry(bucket).or_default().merge(part);
        }
    }
    index
}

fn entry(key: [u8; KEY_LEN], doc: &SearchDocument) -> DocEntry {
    let mut bits = 0;
    for (set, bit) in [
        (doc.unread, flags::UNREAD),
        (doc.flagged, flags::FLAGGED),
        (doc.has_attachments, flags::ATTACHMENTS),
    ] {
        if set {
            bits |= bit;
        }
    }
    DocEntry {
        key,
        received: doc.received,
        folder: folder_tag(&doc.folder),
        flags: bits,
    }
}

/// A small deterministic generator (xorshift), so the queries never change.
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Words as a user would type them: every character of the term kept.
fn plain(term: &str) -> bool {
    term.chars().all(|c| c.is_alphanumeric()) && !term.is_empty()
}

fn queries(corpus: &Corpus) -> Vec<String> {
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for doc in &corpus.docs {
        let mut seen: Vec<&str> = Field::ALL
            .into_iter()
            .flat_map(|f| doc.terms(f))
            .filter(|t| plain(t))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            *frequency.entry(term).or_default() += 1;
        }
    }
    let by_band = |low: usize, high: usize| {
        let mut terms: Vec<&str> = frequency
            .iter()
            .filter(|(_, n)| (low..=high).contains(*n))
            .map(|(t, _)| *t)
            .collect();
        terms.sort_unstable();
        terms
    };
    let rare = by_band(1, 3);
    let medium = by_band(20, 200);
    let common = by_band(1000, usize::MAX);
    let non_ascii: Vec<&str> = rare
        .iter()
        .chain(&medium)
        .copied()
        .filter(|t| !t.is_ascii() && t.chars().count() >= 2)
        .collect();
    assert!(common.len() > 20 && medium.len() > 100 && rare.len() > 100);
    assert!(!non_ascii.is_empty(), "the corpus has non-ASCII terms");

    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..20 {
        out.push(format!("{} ", draw.pick(&rare)));
        out.push(format!("{} ", draw.pick(&medium)));
        out.push(format!("{} ", draw.pick(&common)));
    }
    for _ in 0..15 {
        out.push(format!("{} {}", draw.pick(&common), draw.pick(&medium)));
        out.push(format!(
            "{} {} {} ",
            draw.pick(&common),
            draw.pick(&common),
            draw.pick(&medium)
        ));
    }
    for _ in 0..15 {
        let term = draw.pick(&medium);
        let cut: String = term.chars().take(3 + draw.below(3)).collect();
        out.push(format!("{} {cut}", draw.pick(&common)));
    }
    for _ in 0..25 {
        out.push(phrase(corpus, &mut draw, Field::Body, ""));
    }
    for (field, op) in [
        (Field::From, "from:"),
        (Field::To, "to:"),
        (Field::Cc, "cc:"),
        (Field::Subject, "subject:"),
    ] {
        for _ in 0..5 {
            out.push(format!(
                "{} {}",
                word_in(corpus, &mut draw, field, op),
                draw.pick(&common)
            ));
        }
        out.push(phrase(corpus, &mut draw, field, op));
    }
    let days = ["2002-08-01", "2002-09-15", "2002-12-01", "2003-01-01"];
    for _ in 0..4 {
        out.push(format!("has:attachment {}", draw.pick(&common)));
        out.push(format!("is:unread {} ", draw.pick(&medium)));
        out.push(format!("is:read {}", draw.pick(&common)));
        out.push(format!("is:flagged {}", draw.pick(&common)));
        out.push(format!(
            "before:{} {} ",
            draw.pick(&days),
            draw.pick(&medium)
        ));
        out.push(format!("after:{} {}", draw.pick(&days), draw.pick(&common)));
        let folder = &corpus.docs[draw.below(corpus.docs.len())].folder;
        out.push(format!("folder:{folder} {} ", draw.pick(&medium)));
    }
    out.push("is:flagged".into());
    out.push("has:attachment is:unread".into());
    for _ in 0..10 {
        let term = draw.pick(&non_ascii);
        out.push(format!("{} ", term.to_uppercase()));
        out.push(format!("{} {}", draw.pick(&common), term));
    }
    out
}

/// A word of `field` from a random message that has one, behind `op`.
fn word_in(corpus: &Corpus, draw: &mut Draw, field: Field, op: &str) -> String {
    loop {
        let doc = &corpus.docs[draw.below(corpus.docs.len())];
        let words: Vec<&str> = doc.terms(field).into_iter().filter(|t| plain(t)).collect();
        if !words.is_empty() {
            return format!("{op}{}", draw.pick(&words));
        }
    }
}

/// Two or three consecutive words of one value of `field`, quoted.
fn phrase(corpus: &Corpus, draw: &mut Draw, field: Field, op: &str) -> String {
    loop {
        let doc = &corpus.docs[draw.below(corpus.docs.len())];
        let cut = doc.cut();
        let values = cut.values(field);
        if values.is_empty() {
            continue;
        }
        let value = draw.pick(values);
        let len = 2 + draw.below(2);
        if value.len() < len {
            continue;
        }
        let start = draw.below(value.len() - len + 1);
        let words = &value[start..start + len];
        if words.iter().all(|w| plain(w)) {
            return format!("{op}\"{}\"", words.join(" "));
        }
    }
}

fn reference(corpus: &Corpus, cut: &[DocumentTerms], query: &Query) -> Vec<u32> {
    let mut found: Vec<u32> = (0..corpus.docs.len() as u32)
        .filter(|&n| matches(query, &cut[n as usize]))
        .collect();
    found.sort_by_key(|&n| (-corpus.docs[n as usize].received, corpus.keys[n as usize]));
    found
}

#[test]
fn index_answers_equal_a_plain_scan_on_the_real_corpus() {
    let (corpus, index) = indexed();
    assert_eq!(corpus.docs.len(), 6046);
    let texts = queries(corpus);
    assert!(texts.len() >= 200, "{} queries", texts.len());
    let cut: Vec<DocumentTerms> = corpus.docs.iter().map(SearchDocument::cut).collect();
    let mut nonempty = 0;
    for text in &texts {
        let mut query = Query::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        query.resolve_folders(|id| Some(id.to_owned())).unwrap();
        let plan = Plan::new(&query, folder_tag);
        let found = candidates(&query, &plan, index, &index.table, None);
        let has_phrase = query
            .clauses
            .iter()
            .any(|c| matches!(c, offline_mailbox::search::Clause::Phrase { .. }));
        let checked: Vec<u32> = found
            .map(|(n, _)| n)
            .filter(|&n| !has_phrase || matches(&query, &cut[n as usize]))
            .collect();
        let want = reference(corpus, &cut, &query);
        assert_eq!(checked, want, "query {text:?}");
        if !want.is_empty() {
            nonempty += 1;
        }
    }
    assert!(
        nonempty * 10 >= texts.len() * 9,
        "only {nonempty} of {} queries found anything",
        texts.len()
    );
}

#[test]
fn the_index_is_small_beside_the_messages() {
    let (corpus, index) = indexed();
    let postings: usize = index.buckets.values().map(|s| s.encode().len()).sum();
    let table: usize = (0..=(corpus.docs.len() as u32 / 512))
        .map(|page| index.table.page(page).encode().len())
        .sum();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/corpus/messages.json");
    let messages = std::fs::metadata(path).unwrap().len() as usize;
    println!(
        "index: {postings} bytes of postings in {} buckets (largest {}), {table} bytes of document table; messages JSON {messages} bytes",
        index.buckets.len(),
        index.buckets.values().map(|s| s.encode().len()).max().unwrap_or(0),
    );
    assert!(
        (postings + table) * 2 < messages,
        "the index is more than half the messages' JSON"
    );
}
