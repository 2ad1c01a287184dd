//! The encrypted search index, kept in step with the messages (every message
//! write updates it in the same transaction), and queries answered from it.
//!
//! Stored (see `crate::search` for the parts and their encodings):
//! - `searchPostings`: one sealed segment per key `bucket ‖ segment number`.
//!   Segments are written once and never changed; merging writes a new one.
//! - `searchDocs`: the document table in sealed pages (key: page number) and the
//!   sealed manifest (key `manifest`) listing every segment and page. Each page
//!   carries the write counter that stored it, the manifest lists those counters,
//!   and the sealed state records the counter that stored the manifest
//!   (`index_at`): a page or manifest put back from an older copy, or a segment
//!   removed, is detected.
//!
//! A write prepares its index changes (new documents, segments, merges, pages,
//! manifest), all sealed, before its transaction, against the same state counter
//! as the rest of the write; the transaction stores them only if that counter is
//! still current.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use futures_util::future::{join_all, try_join, try_join3, try_join4};
use futures_util::{FutureExt, TryFutureExt};
use serde_json::{Map, Value};

use crate::crypto::{Aad, BLINDED_LEN};
use crate::model::{Item, Kind, Timestamp};
use crate::search::docs::{flags as doc_flags, page_of};
use crate::search::manifest::{SegmentRef, BUCKETS, BUILD_STAGES, LOG_BUCKET};
use crate::search::matcher::holds;
use crate::search::postings::union;
use crate::search::{
    bucket_text, candidates, matches, segment::TermHasher, Built, Clause, DocEntry, DocTable,
    Field, Manifest, Plan, Postings, Query, SearchDocument, Segment, SegmentBuilder, Term,
};
use crate::store::{
    Record, STORE_MESSAGE_BODIES, STORE_META, STORE_SEARCH_DOCS, STORE_SEARCH_POSTINGS,
};
use crate::Error;

use super::layout::UpgradeProgress;
use super::read::{cursor_of, display_name, MessagePage};
use super::records::{as_stored, item_search, SearchItem, BODY_EVICTED};
use super::state::{busy, StateTx, WRITE_ATTEMPTS};
use super::write::{with_bodies, Op, StoredRecords};
use super::Mailbox;

/// Key of the manifest in `searchDocs` (page keys are four bytes).
const MANIFEST_KEY: &[u8] = b"manifest";
/// Blinding scope of bucket texts.
const BUCKET_SCOPE: &str = "search/bucket";
/// Most bucket texts a connection remembers: mail in many scripts could
/// otherwise fill memory with them.
const MAX_BUCKET_TEXTS: usize = 200_000;
/// Most results one search page returns.
pub const MAX_SEARCH_LIMIT: u32 = 10_000;

/// The index as one committed write left it, with the reverse map from message
/// key to document number.
#[derive(Debug, Clone)]
pub struct IndexSnapshot {
    manifest: Manifest,
    table: DocTable,
    /// Made on first use: a search alone never needs it.
    by_key: OnceCell<HashMap<[u8; BLINDED_LEN], u32>>,
}

impl IndexSnapshot {
    fn new(manifest: Manifest, table: DocTable) -> IndexSnapshot {
        IndexSnapshot {
            manifest,
            table,
            by_key: OnceCell::new(),
        }
    }

    /// The document number of each indexed message key.
    fn by_key(&self) -> &HashMap<[u8; BLINDED_LEN], u32> {
        self.by_key.get_or_init(|| keys_of(&self.table))
    }
}

fn keys_of(table: &DocTable) -> HashMap<[u8; BLINDED_LEN], u32> {
    table.iter().map(|(doc, entry)| (entry.key, doc)).collect()
}

/// A bucket's decoded segments, each with its number, oldest first.
type BucketSegments = Vec<(u32, Rc<Segment>)>;

/// What this connection keeps of the index between calls.
#[derive(Debug, Default)]
pub struct SearchCache {
    snapshot: Option<Rc<IndexSnapshot>>,
    /// Decoded segments by bucket, each bucket's with the index generation they
    /// belong to: a segment is never rewritten, so one stays usable for as long
    /// as the manifest lists it.
    buckets: HashMap<u16, (u64, BucketSegments)>,
    /// The bucket of bucket texts met so far (at most [`MAX_BUCKET_TEXTS`];
    /// keyed at random, as mailed words choose the texts).
    bucket_texts: HashMap<String, u16, TermHasher>,
}

/// The index changes of one write, sealed, ready for its transaction.
pub struct IndexWrite {
    puts: Vec<(&'static str, Vec<u8>, Record)>,
    deletes: Vec<(&'static str, Vec<u8>)>,
    snapshot: IndexSnapshot,
}

impl IndexWrite {
    /// Issues the changes in `txn` and records the manifest's counter in the state.
    pub fn apply(&self, txn: &mut StateTx<'_>) -> Result<(), Error> {
        for (store, key, record) in &self.puts {
            txn.tx.put(store, key, record)?;
        }
        for (store, key) in &self.deletes {
            txn.tx.delete(store, key)?;
        }
        txn.state.index_at = txn.state.counter + 1;
        Ok(())
    }
}

/// Whether items of `kind` are in the search index (messages, contacts, events).
pub(super) fn is_indexed(kind: Kind) -> bool {
    matches!(kind, Kind::Message | Kind::Contact | Kind::Event)
}

/// The document table's kind bit of `kind` (none for messages).
fn kind_bit(kind: Kind) -> u8 {
    match kind {
        Kind::Contact => doc_flags::CONTACT,
        Kind::Event => doc_flags::EVENT,
        _ => 0,
    }
}

/// The stores a write of an indexed kind touches for the index.
pub const INDEX_STORES: [&str; 2] = [STORE_SEARCH_POSTINGS, STORE_SEARCH_DOCS];

/// Options of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Only messages of this folder (an id).
    pub folder_id: Option<String>,
    /// Most results (1 to [`MAX_SEARCH_LIMIT`]).
    pub limit: u32,
    /// Where the page starts: a `nextCursor` of an earlier page of the same search.
    pub cursor: Option<String>,
    /// Answer by opening every message instead of the index (slow; for checking
    /// the index and for benchmarks).
    pub scan: bool,
}

/// The decoded segments of the buckets a query reads. They are not merged
/// into one per bucket: a query needs a few terms of each, and looking them up
/// in every segment costs less than merging whole buckets.
struct LoadedBuckets<'a> {
    mailbox: &'a Mailbox,
    buckets: HashMap<u16, Vec<Rc<Segment>>>,
}

impl Postings for LoadedBuckets<'_> {
    fn lookup(&self, term: &Term, field: Option<Field>) -> Vec<u32> {
        let bucket = self.mailbox.bucket_of(&term.text);
        let found: Vec<Vec<u32>> = [bucket, LOG_BUCKET]
            .iter()
            .filter_map(|bucket| self.buckets.get(bucket))
            .flatten()
            .map(|segment| segment.lookup(term, field))
            .collect();
        union(&found.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }
}

fn own_key(record: &Record) -> Vec<u8> {
    record
        .bytes(crate::store::fields::KEY)
        .unwrap_or_default()
        .to_vec()
}

fn segment_key(bucket: u16, seq: u32) -> Vec<u8> {
    let mut key = bucket.to_be_bytes().to_vec();
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

fn page_key(page: u32) -> Vec<u8> {
    page.to_be_bytes().to_vec()
}

/// One change to the index.
enum IndexChange<'a> {
    /// A message written: indexed anew with its terms, or its entry updated.
    Index([u8; BLINDED_LEN], &'a SearchItem),
    /// A message removed.
    Remove([u8; BLINDED_LEN]),
}

/// Items indexed per build transaction.
const BUILD_BATCH: u32 = 200;

/// The kind each build stage indexes.
const BUILD_KINDS: [Kind; BUILD_STAGES as usize] = [Kind::Message, Kind::Contact, Kind::Event];

/// The rest of a segment's or page's plaintext, which starts with the generation
/// of the index it belongs to: a part of an earlier index (whose numbers the new
/// one reuses) is [`index_integrity`], never read as this one's. It is carried
/// inside the seal, not in its AAD, so a key rotation re-seals the part like any
/// other value.
fn of_generation(plaintext: &[u8], generation: u64) -> Result<&[u8], Error> {
    match plaintext.split_at_checked(8) {
        Some((found, rest)) if found == generation.to_be_bytes() => Ok(rest),
        _ => Err(index_integrity()),
    }
}

/// A random generation for a new index.
fn new_generation() -> Result<u64, Error> {
    Ok(u64::from_be_bytes(crate::crypto::random_bytes()?))
}

/// The signal that the index moved on (another tab wrote) while parts of it were
/// being read: start again from the new manifest. Never reported to the app.
fn index_moved() -> Error {
    Error::Integrity {
        store: STORE_SEARCH_POSTINGS.into(),
        id: Some("moved".into()),
    }
}

/// Whether an error is [`index_moved`].
pub(super) fn is_index_moved(error: &Error) -> bool {
    *error == index_moved()
}

/// Whether an error is the index failing authentication.
pub(super) fn is_index_integrity(error: &Error) -> bool {
    matches!(error, Error::Integrity { store, .. } if store == STORE_SEARCH_DOCS)
}

/// The error for an index that does not authenticate: it is rebuilt.
fn index_integrity() -> Error {
    Error::Integrity {
        store: STORE_SEARCH_DOCS.into(),
        id: None,
    }
}

/// The error for an index whose manifest authenticates but is in a format an
/// earlier version wrote (before contacts and events were indexed): handled as
/// [`index_integrity`], and rebuilt while opening rather than at first use.
fn index_superseded() -> Error {
    Error::Integrity {
        store: STORE_SEARCH_DOCS.into(),
        id: Some("superseded".into()),
    }
}

impl Mailbox {
    /// The bucket a term is stored in: its bucket text, blinded, remembered
    /// while this connection lives (a mailbox has some tens of thousands of
    /// bucket texts, and every write and query asks for many of them), up to
    /// [`MAX_BUCKET_TEXTS`] at a time.
    pub(super) fn bucket_of(&self, term: &str) -> u16 {
        let text = bucket_text(term);
        if let Some(bucket) = self.search.borrow().bucket_texts.get(text) {
            return *bucket;
        }
        let blinded = self.blind.blind(BUCKET_SCOPE, text.as_bytes());
        let bucket = u16::from_be_bytes([blinded[0], blinded[1]]) % BUCKETS;
        let texts = &mut self.search.borrow_mut().bucket_texts;
        if texts.len() >= MAX_BUCKET_TEXTS {
            texts.clear();
        }
        texts.insert(text.to_owned(), bucket);
        bucket
    }

    /// The index as of the stored state: this connection's copy if the state
    /// says the manifest has not changed since, else read and opened again.
    pub(super) async fn index_snapshot(&self) -> Result<Rc<IndexSnapshot>, Error> {
        Ok(self.index_snapshot_with(&BTreeSet::new()).await?.0)
    }

    /// [`Mailbox::index_snapshot`], and when it is read again, the stored
    /// segments of `buckets` read in the same transaction (a first search then
    /// waits for one read, not two in turn).
    async fn index_snapshot_with(
        &self,
        buckets: &BTreeSet<u16>,
    ) -> Result<(Rc<IndexSnapshot>, Vec<Record>), Error> {
        // Without a copy (the first search after open), the state is read with
        // the index below rather than on its own first.
        let cached = self.search.borrow().snapshot.clone();
        if let Some(cached) = &cached {
            let tx = self.db.begin_read(&[STORE_META])?;
            let state = self.state_in(&tx).await?;
            drop(tx);
            if self.take_state(state).await?.index_at == cached.manifest.written_at {
                return Ok((cached.clone(), Vec::new()));
            }
        }
        // A connection that had a copy has most segments decoded already: only
        // the first search reads whole buckets here.
        let none = BTreeSet::new();
        let buckets = if cached.is_some() { &none } else { buckets };
        // The manifest, the pages and the segments are read in one transaction
        // with the state, so they all agree.
        let tx = self
            .db
            .begin_read(&[STORE_META, STORE_SEARCH_DOCS, STORE_SEARCH_POSTINGS])?;
        let manifest = tx.get(STORE_SEARCH_DOCS, MANIFEST_KEY).err_into();
        let pages = tx.get_all(STORE_SEARCH_DOCS).err_into();
        let reading = &tx;
        let segments = join_all(buckets.iter().map(|bucket| {
            let (first, last) = (segment_key(*bucket, 0), segment_key(*bucket, u32::MAX));
            async move {
                reading
                    .records_between(STORE_SEARCH_POSTINGS, &first, &last)
                    .await
            }
        }))
        .map(|read| read.into_iter().collect::<Result<Vec<_>, _>>())
        .err_into();
        let (state, manifest, pages, segments) =
            try_join4(self.state_in(&tx), manifest, pages, segments).await?;
        drop(tx);
        let index_at = self.take_state(state).await?.index_at;
        // Before any index was committed, items already stored (by a version
        // without search) wait for the build.
        let unindexed = index_at == 0 && self.indexed_count().await? > 0;
        let manifest = self.open_manifest(manifest, index_at, unindexed).await?;
        let table = self.open_pages(&manifest, &pages).await?;
        let snapshot = Rc::new(IndexSnapshot::new(manifest, table));
        self.search.borrow_mut().snapshot = Some(snapshot.clone());
        Ok((snapshot, segments.into_iter().flatten().collect()))
    }

    async fn open_manifest(
        &self,
        record: Option<Record>,
        index_at: u64,
        unindexed: bool,
    ) -> Result<Manifest, Error> {
        let empty = || -> Result<Manifest, Error> {
            let built = match unindexed {
                true => Built::from_start(),
                false => Built::Done,
            };
            Ok(Manifest::new(built, new_generation()?))
        };
        let Some(record) = record else {
            return match index_at {
                0 => empty(),
                _ => Err(index_integrity()),
            };
        };
        let sealed = record.value.unwrap_or_default();
        let opened = self
            .keys()
            .open(Aad::at(STORE_SEARCH_DOCS, MANIFEST_KEY), &sealed)
            .await
            .ok();
        let manifest = opened.as_deref().and_then(Manifest::decode);
        match manifest {
            Some(manifest) if manifest.written_at == index_at => Ok(manifest),
            // No index was ever committed in this state: whatever is there is left over.
            _ if index_at == 0 => empty(),
            // Sealed by this mailbox, in a format this version no longer reads.
            None if opened.is_some() => Err(index_superseded()),
            _ => Err(index_integrity()),
        }
    }

    /// The document table from the page records the manifest lists.
    async fn open_pages(&self, manifest: &Manifest, records: &[Record]) -> Result<DocTable, Error> {
        let by_key: HashMap<&[u8], &Record> = records
            .iter()
            .filter_map(|record| Some((record.bytes(crate::store::fields::KEY)?, record)))
            .collect();
        let keyring = self.keys();
        let mut opening = Vec::with_capacity(manifest.pages.len());
        for (page, written_at) in &manifest.pages {
            let key = page_key(*page);
            let record = by_key.get(key.as_slice()).ok_or_else(index_integrity)?;
            let sealed = record.value.as_deref().unwrap_or_default();
            let aad = Aad::at(STORE_SEARCH_DOCS, &key);
            opening.push((*page, *written_at, keyring.open(aad, sealed)));
        }
        let mut pages = Vec::with_capacity(opening.len());
        for (page, written_at, opened) in opening {
            let plaintext = opened.await.map_err(|_| index_integrity())?;
            let body = of_generation(&plaintext, manifest.generation)?;
            let (stamp, body) = body.split_at_checked(8).ok_or_else(index_integrity)?;
            let stamp = u64::from_be_bytes(stamp.try_into().map_err(|_| index_integrity())?);
            let entries = DocTable::decode(body).ok_or_else(index_integrity)?;
            let in_page = entries.page_numbers().all(|number| number == page);
            if stamp != written_at || !in_page {
                return Err(index_integrity());
            }
            pages.push(entries);
        }
        Ok(DocTable::of_pages(pages))
    }

    /// The index changes of a message write (`ops`, with the records stored under
    /// their keys before it), sealed for the transaction committing at `base + 1`;
    /// `None` when the write changes nothing the index holds.
    pub(super) async fn prepare_index(
        &self,
        kind: Kind,
        ops: &[Op],
        before: &StoredRecords,
        base: u64,
    ) -> Result<Option<IndexWrite>, Error> {
        // The ops run in order, as `commit` runs them: a removal decides on the
        // record an earlier op of the same write left.
        let mut current = before.clone();
        let mut changes = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                Op::Put(item) => {
                    current.insert(
                        item.key.to_vec(),
                        Some(as_stored(&item.key, item.record.clone())),
                    );
                    if let Some(search) = &item.search {
                        changes.push(IndexChange::Index(item.key, search));
                    }
                }
                Op::Remove {
                    key,
                    only_in_scopes,
                    ..
                } => {
                    let stored = current.get(key).cloned().flatten();
                    let removed = stored.is_some_and(|record| {
                        !self.removal_skipped(kind.store(), &record, only_in_scopes.as_deref())
                    });
                    if !removed {
                        continue;
                    }
                    current.insert(key.clone(), None);
                    if let Ok(key) = <[u8; BLINDED_LEN]>::try_from(key.as_slice()) {
                        changes.push(IndexChange::Remove(key));
                    }
                }
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        self.prepare_changes(&changes, base, None).await
    }

    /// The index changes that remove the messages of `records` (read after
    /// `base` was taken), whatever their fields say.
    pub(super) async fn index_removal(
        &self,
        records: &[Record],
        base: u64,
    ) -> Result<Option<IndexWrite>, Error> {
        let changes: Vec<IndexChange<'_>> = records
            .iter()
            .filter_map(|record| record.bytes(crate::store::fields::KEY))
            .filter_map(|key| <[u8; BLINDED_LEN]>::try_from(key).ok())
            .map(IndexChange::Remove)
            .collect();
        self.prepare_changes(&changes, base, None).await
    }

    /// `changes` applied to the index as it is, sealed for the transaction
    /// committing at `base + 1` (with `built`, the build's progress too); `None`
    /// when nothing changes.
    async fn prepare_changes(
        &self,
        changes: &[IndexChange<'_>],
        base: u64,
        built: Option<Built>,
    ) -> Result<Option<IndexWrite>, Error> {
        let snapshot = self.index_snapshot().await?;
        // The write changes the snapshot in place rather than copying a document
        // table of every message per write: the cache gives it up, and gets it
        // back once the write commits (a write that does not commit leaves the
        // cache empty, and the next call reads the index again).
        self.search.borrow_mut().snapshot = None;
        let mut next = Rc::try_unwrap(snapshot).unwrap_or_else(|shared| (*shared).clone());
        let mut by_key = next.by_key.take().unwrap_or_else(|| keys_of(&next.table));
        let mut pages = BTreeSet::new();
        let mut segment = SegmentBuilder::default();
        for change in changes {
            let (key, search) = match change {
                IndexChange::Index(key, search) => (key, Some(*search)),
                IndexChange::Remove(key) => (key, None),
            };
            let old = by_key.get(key).copied();
            match (search, old) {
                (
                    Some(SearchItem {
                        entry,
                        document: Some(document),
                    }),
                    _,
                ) => {
                    if let Some(old) = old {
                        next.table.remove(old);
                        pages.insert(page_of(old));
                    }
                    let doc = next.manifest.next_doc;
                    next.manifest.next_doc = doc.checked_add(1).ok_or_else(|| {
                        Error::Storage("the search index has numbered 4 billion documents; clear the offline copy".into())
                    })?;
                    next.table.insert(doc, *entry);
                    by_key.insert(*key, doc);
                    pages.insert(page_of(doc));
                    segment.add_document(doc, document);
                }
                (
                    Some(SearchItem {
                        entry,
                        document: None,
                    }),
                    Some(old),
                ) => {
                    // An entry written again as it was changes no page.
                    if next.table.get(old) != Some(entry) {
                        next.table.insert(old, *entry);
                        pages.insert(page_of(old));
                    }
                }
                (None, Some(old)) => {
                    next.table.remove(old);
                    by_key.remove(key);
                    pages.insert(page_of(old));
                }
                (_, None) => {}
            }
        }
        next.by_key = OnceCell::from(by_key);
        if segment.is_empty() && pages.is_empty() && built.is_none() {
            // Nothing changed: the snapshot goes back to the cache as it was.
            self.search.borrow_mut().snapshot = Some(Rc::new(next));
            return Ok(None);
        }
        if let Some(built) = built {
            next.manifest.built = built;
        }
        let written_at = base + 1;
        let mut write = IndexWrite {
            puts: Vec::new(),
            deletes: Vec::new(),
            snapshot: next,
        };
        let log = (!segment.is_empty()).then(|| segment.encode());
        self.write_segments(&mut write, log).await?;
        self.write_pages(&mut write, &pages, written_at).await?;
        self.seal_manifest(&mut write, written_at).await?;
        Ok(Some(write))
    }

    async fn seal_manifest(&self, write: &mut IndexWrite, written_at: u64) -> Result<(), Error> {
        write.snapshot.manifest.written_at = written_at;
        let manifest = self
            .keys()
            .seal(
                Aad::at(STORE_SEARCH_DOCS, MANIFEST_KEY),
                &write.snapshot.manifest.encode(),
            )
            .await?;
        write.puts.push((
            STORE_SEARCH_DOCS,
            MANIFEST_KEY.to_vec(),
            Record::sealed(manifest),
        ));
        Ok(())
    }

    /// Indexes the items stored before the index existed (or before it was
    /// rebuilt): messages, then contacts, then events, in resumable batches. Each
    /// batch is one write that also records how far the build got, so a tab
    /// closed midway resumes at the next call. Items written since are indexed
    /// already and skipped.
    pub async fn build_index(&self, on_progress: &dyn Fn(UpgradeProgress)) -> Result<(), Error> {
        if self.index_is_built().await? {
            return Ok(());
        }
        let total = self.indexed_count().await?;
        let mut done = 0u64;
        for _ in 0..u32::MAX {
            let base = self.base();
            let snapshot = self.usable_index().await?;
            let Built::From(stage, after) = &snapshot.manifest.built else {
                return Ok(());
            };
            let kind = *BUILD_KINDS
                .get(usize::from(*stage))
                .ok_or_else(index_integrity)?;
            let after = (!after.is_empty()).then(|| after.clone());
            let store = kind.store();
            // A message's summary and body are read in one transaction, so each
            // body is the one its summary names.
            let tx = self.db.begin_read(&with_bodies(kind, &[store]))?;
            let page = tx
                .records_after(store, after.as_deref(), BUILD_BATCH)
                .await?;
            let fresh: Vec<Record> = page
                .records
                .iter()
                .filter(|record| {
                    let key = record.bytes(crate::store::fields::KEY).unwrap_or_default();
                    <[u8; BLINDED_LEN]>::try_from(key)
                        .is_ok_and(|key| !snapshot.by_key().contains_key(&key))
                })
                .cloned()
                .collect();
            let bodies = match kind {
                Kind::Message => {
                    let keys: Vec<Vec<u8>> = fresh.iter().map(own_key).collect();
                    tx.get_many(STORE_MESSAGE_BODIES, &keys).await?
                }
                _ => Vec::new(),
            };
            drop(tx);
            let items = self.search_items(kind, &fresh, bodies).await?;
            let changes: Vec<IndexChange<'_>> = items
                .iter()
                .map(|(key, item)| IndexChange::Index(*key, item))
                .collect();
            let built = match (page.full, page.last_key) {
                (true, Some(last)) => Built::From(*stage, last),
                _ if *stage + 1 < BUILD_STAGES => Built::From(*stage + 1, Vec::new()),
                _ => Built::Done,
            };
            // A part of the index that fails drops it: the build starts over.
            let prepared = self.prepare_changes(&changes, base, Some(built)).await;
            let Some(Some(write)) = self.or_again(prepared).await? else {
                continue;
            };
            let Some(mut txn) = self.begin(&INDEX_STORES, Some(base)).await? else {
                continue;
            };
            write.apply(&mut txn)?;
            self.finish(txn).await?;
            self.install_index(write);
            done += page.records.len() as u64;
            // A stage with nothing stored (no contacts, say) reports nothing.
            if total > 0 && !page.records.is_empty() {
                on_progress(UpgradeProgress {
                    done: done.min(total),
                    total,
                });
            }
        }
        Err(busy())
    }

    /// Whether the index has every stored item, read from the manifest alone
    /// (opening a mailbox asks, and must not load the document table for it). An
    /// index that fails authentication counts as built here: it is dropped and
    /// rebuilt when it is next used, not while the mailbox opens.
    async fn index_is_built(&self) -> Result<bool, Error> {
        let tx = self.db.begin_read(&[STORE_META, STORE_SEARCH_DOCS])?;
        let manifest = tx.get(STORE_SEARCH_DOCS, MANIFEST_KEY).err_into();
        let (state, manifest) = try_join(self.state_in(&tx), manifest).await?;
        drop(tx);
        let index_at = self.take_state(state).await?.index_at;
        let unindexed = index_at == 0 && self.indexed_count().await? > 0;
        match self.open_manifest(manifest, index_at, unindexed).await {
            Ok(manifest) => Ok(manifest.built == Built::Done),
            // An index of an earlier version is built again while opening (with
            // progress), as after an upgrade of the schema.
            Err(error) if error == index_superseded() => Ok(false),
            Err(error) if is_index_integrity(&error) => Ok(true),
            Err(other) => Err(other),
        }
    }

    /// How many items of the indexed kinds are stored.
    async fn indexed_count(&self) -> Result<u64, Error> {
        let mut total = 0;
        for kind in BUILD_KINDS {
            total += u64::from(self.db.count(kind.store()).await?);
        }
        Ok(total)
    }

    /// What the index learns from stored items of `kind` (message summaries with
    /// their `bodies`, read together): each opened whole, in the order given.
    /// Items that fail are left out (a read quarantines them); a body that fails
    /// is quarantined and the message indexed by its summary.
    async fn search_items(
        &self,
        kind: Kind,
        summaries: &[Record],
        bodies: Vec<Option<Record>>,
    ) -> Result<Vec<([u8; BLINDED_LEN], SearchItem)>, Error> {
        let keys: Vec<Vec<u8>> = summaries.iter().map(own_key).collect();
        // Every item is handed to WebCrypto before any is awaited: one batch.
        let attempts: Vec<_> = summaries
            .iter()
            .map(|summary| self.try_open(kind.store(), summary))
            .collect();
        let mut opened = Vec::with_capacity(attempts.len());
        for (index, attempt) in attempts.into_iter().enumerate() {
            // One that fails is left out here, and quarantined when it is read.
            if let Some(plaintext) = attempt.await? {
                opened.push((index, plaintext));
            }
        }
        let wholes = join_all(opened.into_iter().map(|(index, plaintext)| {
            let summary = &summaries[index];
            let body = bodies.get(index).cloned().flatten();
            async move {
                let whole = match summary.number(crate::store::fields::BODY_AT) {
                    None => Ok(plaintext),
                    Some(_) => match self.with_body(summary, body, &plaintext, None).await {
                        Err(Error::Integrity { .. }) => Ok(plaintext),
                        other => other,
                    },
                };
                (index, whole)
            }
        }))
        .await;
        let mut out = Vec::with_capacity(wholes.len());
        for (index, whole) in wholes {
            let whole = whole?;
            let Ok(key) = <[u8; BLINDED_LEN]>::try_from(keys[index].as_slice()) else {
                continue;
            };
            let Ok(value) = serde_json::from_slice::<Value>(&whole) else {
                continue;
            };
            let Ok(item) = Item::validate(kind, index, value) else {
                continue;
            };
            let evicted =
                summaries[index].number(crate::store::fields::BODY_AT) == Some(BODY_EVICTED);
            let search = match self.search_entry(&key, &item, evicted) {
                Some(entry) => Some(SearchItem {
                    entry,
                    document: Some(SearchDocument::of_message(&item.fields)),
                }),
                None => item_search(&key, &item),
            };
            if let Some(search) = search {
                out.push((key, search));
            }
        }
        Ok(out)
    }

    /// The outcome of preparing index changes, with the index's own failures
    /// handled: `None` when the write must be prepared again (another tab moved
    /// the index on, or an index that failed authentication was just dropped).
    pub(super) async fn or_again<T>(&self, prepared: Result<T, Error>) -> Result<Option<T>, Error> {
        match prepared {
            Ok(value) => Ok(Some(value)),
            Err(error) if is_index_moved(&error) => Ok(None),
            Err(error) if is_index_integrity(&error) => {
                self.reset_index().await?;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// The index, dropped and started again (to be rebuilt from the messages) if
    /// it fails authentication: an altered or removed part of it is never believed,
    /// and never stops the mailbox.
    pub(super) async fn usable_index(&self) -> Result<Rc<IndexSnapshot>, Error> {
        Ok(self.usable_index_with(&BTreeSet::new()).await?.0)
    }

    /// [`Mailbox::usable_index`] with [`Mailbox::index_snapshot_with`]'s segments.
    async fn usable_index_with(
        &self,
        buckets: &BTreeSet<u16>,
    ) -> Result<(Rc<IndexSnapshot>, Vec<Record>), Error> {
        match self.index_snapshot_with(buckets).await {
            Err(error) if is_index_integrity(&error) => {
                self.reset_index().await?;
                self.index_snapshot_with(buckets).await
            }
            other => other,
        }
    }

    /// Clears the index in one write; every stored message then waits for
    /// [`Mailbox::build_index`].
    pub(super) async fn reset_index(&self) -> Result<(), Error> {
        for _ in 0..WRITE_ATTEMPTS {
            let base = self.base();
            let mut write = IndexWrite {
                puts: Vec::new(),
                deletes: Vec::new(),
                snapshot: IndexSnapshot::new(
                    Manifest::new(Built::from_start(), new_generation()?),
                    DocTable::default(),
                ),
            };
            self.seal_manifest(&mut write, base + 1).await?;
            let Some(mut txn) = self.begin(&INDEX_STORES, Some(base)).await? else {
                continue;
            };
            txn.tx.clear(STORE_SEARCH_POSTINGS)?;
            txn.tx.clear(STORE_SEARCH_DOCS)?;
            write.apply(&mut txn)?;
            self.finish(txn).await?;
            self.search.borrow_mut().buckets.clear();
            self.install_index(write);
            return Ok(());
        }
        Err(busy())
    }

    /// Adds a write's new postings (`log`, encoded) to the write log, merges what
    /// is due (dropping postings of removed documents), and seals every new
    /// segment.
    async fn write_segments(
        &self,
        write: &mut IndexWrite,
        log: Option<Vec<u8>>,
    ) -> Result<(), Error> {
        let mut fresh: HashMap<(u16, u32), Segment> = HashMap::new();
        let mut encoded: Vec<((u16, u32), Vec<u8>)> = Vec::new();
        if let Some(bytes) = log {
            let manifest = &mut write.snapshot.manifest;
            let seq = manifest.add_segment(LOG_BUCKET, 0);
            if manifest.due_merge(LOG_BUCKET).is_empty() {
                // Stored as it was encoded: a segment is made of it only when
                // the log is split.
                encoded.push(((LOG_BUCKET, seq), bytes));
            } else {
                let segment = Segment::decode(&bytes).ok_or_else(index_integrity)?;
                fresh.insert((LOG_BUCKET, seq), segment);
            }
        }
        self.split_log(write, &mut fresh).await?;
        let touched: BTreeSet<u16> = fresh.keys().map(|(bucket, _)| *bucket).collect();
        // One bucket at a time, each encoded as soon as its merges are done: after
        // a split every bucket may merge in the same write, and holding all their
        // segments decoded at once would take the whole index's worth of memory.
        for bucket in touched {
            self.merge_bucket(write, bucket, &mut fresh).await?;
            let done: Vec<(u16, u32)> = fresh
                .keys()
                .filter(|(of, _)| *of == bucket)
                .copied()
                .collect();
            for at in done {
                if let Some(segment) = fresh.remove(&at) {
                    encoded.push((at, segment.encode()));
                }
            }
        }
        let keyring = self.keys();
        let generation = write.snapshot.manifest.generation;
        let sealing: Vec<_> = encoded
            .into_iter()
            .map(|((bucket, seq), bytes)| {
                let key = segment_key(bucket, seq);
                let mut plaintext = generation.to_be_bytes().to_vec();
                plaintext.extend_from_slice(&bytes);
                let sealed = keyring.seal(Aad::at(STORE_SEARCH_POSTINGS, &key), &plaintext);
                (key, sealed)
            })
            .collect();
        for (key, sealed) in sealing {
            write
                .puts
                .push((STORE_SEARCH_POSTINGS, key, Record::sealed(sealed.await?)));
        }
        Ok(())
    }

    /// When the write log holds [`FANOUT`] segments (with this write's, in
    /// `fresh`), merges them and splits the result into one new level-1 segment
    /// per bucket, in `fresh`; the stored log segments go.
    async fn split_log(
        &self,
        write: &mut IndexWrite,
        fresh: &mut HashMap<(u16, u32), Segment>,
    ) -> Result<(), Error> {
        let manifest = &write.snapshot.manifest;
        let due = manifest.due_merge(LOG_BUCKET);
        if due.is_empty() {
            return Ok(());
        }
        let wanted: Vec<(u16, u32)> = due
            .iter()
            .map(|s| (LOG_BUCKET, s.seq))
            .filter(|at| !fresh.contains_key(at))
            .collect();
        let mut stored = self
            .read_segments(&wanted, manifest.generation, manifest.written_at)
            .await?;
        let mut sources = MergeSources {
            fresh,
            stored: &mut stored,
            deletes: &mut write.deletes,
        };
        let merged = sources.merge(LOG_BUCKET, &due, &write.snapshot.table)?;
        let manifest = &mut write.snapshot.manifest;
        manifest.replace_merged(LOG_BUCKET, &due, true);
        for (bucket, part) in merged.split(|term| self.bucket_of(term)) {
            let seq = manifest.add_segment(bucket, 1);
            fresh.insert((bucket, seq), part);
        }
        Ok(())
    }

    /// Runs the merges due in `bucket` after this write (their results join
    /// `fresh`), reading the stored segments they take.
    async fn merge_bucket(
        &self,
        write: &mut IndexWrite,
        bucket: u16,
        fresh: &mut HashMap<(u16, u32), Segment>,
    ) -> Result<(), Error> {
        let mut stored = self
            .segments_to_merge(&write.snapshot.manifest, bucket, fresh)
            .await?;
        let manifest = &mut write.snapshot.manifest;
        loop {
            let due = manifest.due_merge(bucket);
            if due.is_empty() {
                return Ok(());
            }
            let mut sources = MergeSources {
                fresh: &mut *fresh,
                stored: &mut stored,
                deletes: &mut write.deletes,
            };
            let merged = sources.merge(bucket, &due, &write.snapshot.table)?;
            if let Some(seq) = manifest.replace_merged(bucket, &due, merged.is_empty()) {
                fresh.insert((bucket, seq), merged);
            }
        }
    }

    /// The stored segments the merges due in `bucket` after this write will
    /// read, opened: found by running the merges on a copy of the manifest first.
    async fn segments_to_merge(
        &self,
        manifest: &Manifest,
        bucket: u16,
        fresh: &HashMap<(u16, u32), Segment>,
    ) -> Result<HashMap<(u16, u32), Segment>, Error> {
        let mut dry = manifest.clone();
        let mut wanted: Vec<(u16, u32)> = Vec::new();
        loop {
            let due: Vec<SegmentRef> = dry.due_merge(bucket);
            if due.is_empty() {
                break;
            }
            wanted.extend(
                due.iter()
                    .map(|s| (bucket, s.seq))
                    .filter(|at| !fresh.contains_key(at) && at.1 < manifest.next_seq),
            );
            dry.replace_merged(bucket, &due, false);
        }
        self.read_segments(&wanted, manifest.generation, manifest.written_at)
            .await
    }

    /// Reads and opens stored segments of the index of `generation` whose
    /// manifest was stored at `index_at`, with the state in the same transaction:
    /// if the index has moved on since (another tab merged those segments away),
    /// [`index_moved`] asks the caller to start again; a listed segment that is
    /// missing or does not open is [`index_integrity`].
    async fn read_segments(
        &self,
        wanted: &[(u16, u32)],
        generation: u64,
        index_at: u64,
    ) -> Result<HashMap<(u16, u32), Segment>, Error> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<Vec<u8>> = wanted.iter().map(|(b, s)| segment_key(*b, *s)).collect();
        let tx = self.db.begin_read(&[STORE_META, STORE_SEARCH_POSTINGS])?;
        let records = tx.get_many(STORE_SEARCH_POSTINGS, &keys).err_into();
        let (state, records) = try_join(self.state_in(&tx), records).await?;
        drop(tx);
        if self.take_state(state).await?.index_at != index_at {
            return Err(index_moved());
        }
        self.open_segments(wanted, records, generation).await
    }

    /// Opens the stored segments `wanted` of the index of `generation`, from
    /// their `records` (in the same order); a missing one, or one that does not
    /// open, is [`index_integrity`].
    async fn open_segments(
        &self,
        wanted: &[(u16, u32)],
        records: Vec<Option<Record>>,
        generation: u64,
    ) -> Result<HashMap<(u16, u32), Segment>, Error> {
        let keyring = self.keys();
        let keys: Vec<Vec<u8>> = wanted.iter().map(|(b, s)| segment_key(*b, *s)).collect();
        let mut opening = Vec::with_capacity(records.len());
        for ((at, key), record) in wanted.iter().zip(&keys).zip(records) {
            let record = record.ok_or_else(index_integrity)?;
            let sealed = record.value.unwrap_or_default();
            opening.push((
                *at,
                keyring.open(Aad::at(STORE_SEARCH_POSTINGS, key), &sealed),
            ));
        }
        let mut out = HashMap::with_capacity(opening.len());
        for (at, opened) in opening {
            let plaintext = opened.await.map_err(|_| index_integrity())?;
            let encoded = of_generation(&plaintext, generation)?;
            out.insert(at, Segment::decode(encoded).ok_or_else(index_integrity)?);
        }
        Ok(out)
    }

    /// Seals the document-table pages a write changed (an emptied page goes).
    async fn write_pages(
        &self,
        write: &mut IndexWrite,
        pages: &BTreeSet<u32>,
        written_at: u64,
    ) -> Result<(), Error> {
        let keyring = self.keys();
        let mut sealing = Vec::new();
        for page in pages {
            let entries = write.snapshot.table.page(*page);
            let key = page_key(*page);
            if entries.is_empty() {
                write.snapshot.manifest.pages.remove(page);
                write.deletes.push((STORE_SEARCH_DOCS, key));
                continue;
            }
            write.snapshot.manifest.pages.insert(*page, written_at);
            let mut plaintext = write.snapshot.manifest.generation.to_be_bytes().to_vec();
            plaintext.extend_from_slice(&written_at.to_be_bytes());
            plaintext.extend_from_slice(&entries.encode());
            let sealed = keyring.seal(Aad::at(STORE_SEARCH_DOCS, &key), &plaintext);
            sealing.push((key, sealed));
        }
        for (key, sealed) in sealing {
            write
                .puts
                .push((STORE_SEARCH_DOCS, key, Record::sealed(sealed.await?)));
        }
        Ok(())
    }

    /// Finishes a write with its index changes, if any: they are issued in its
    /// transaction, and this connection takes in the index once it commits.
    pub(super) async fn finish_indexed(
        &self,
        mut txn: StateTx<'_>,
        index: Option<IndexWrite>,
    ) -> Result<(), Error> {
        if let Some(index) = &index {
            index.apply(&mut txn)?;
        }
        self.finish(txn).await?;
        if let Some(index) = index {
            self.install_index(index);
        }
        Ok(())
    }

    /// Takes in the index a committed write left.
    pub(super) fn install_index(&self, write: IndexWrite) {
        self.search.borrow_mut().snapshot = Some(Rc::new(write.snapshot));
    }

    /// Up to `options.limit` messages matching `text`, newest first, as summaries.
    pub async fn search(&self, text: &str, options: &SearchOptions) -> Result<MessagePage, Error> {
        let query = self.prepared_query(text, options).await?;
        if options.scan {
            return self.search_by_scan(&query, options).await;
        }
        let after = options.cursor.as_deref().map(parse_after).transpose()?;
        let (snapshot, postings) = self.searchable_index(&query).await?;
        let plan = Plan::new(&query, |id| self.folder_tag(id));
        let mut found = candidates(&query, &plan, &postings, &snapshot.table, after);
        let limit = options.limit as usize;
        let mut messages = Vec::with_capacity(limit);
        let mut last = None;
        let mut more = false;
        'pages: while !found.is_empty() {
            let want = (limit - messages.len()).clamp(16, 500);
            let chunk = found.take_next(want);
            let keys: Vec<Vec<u8>> = chunk.iter().map(|(_, entry)| entry.key.to_vec()).collect();
            for (index, summary) in self.verified(&query, plan.needs_body, &keys).await? {
                if messages.len() == limit {
                    more = true;
                    break 'pages;
                }
                last = Some(chunk[index].1);
                messages.push(summary);
            }
            if messages.len() == limit {
                more = !found.is_empty();
                break;
            }
        }
        let next_cursor = match (more, last) {
            (true, Some(entry)) => Some(cursor_of(-(entry.received as f64), &entry.key)),
            _ => None,
        };
        Ok(MessagePage {
            messages,
            next_cursor,
        })
    }

    /// [`Mailbox::readable_index`], started again when another tab moved the index
    /// on meanwhile, and after dropping an index that fails authentication.
    async fn searchable_index(
        &self,
        query: &Query,
    ) -> Result<(Rc<IndexSnapshot>, LoadedBuckets<'_>), Error> {
        for _ in 0..WRITE_ATTEMPTS {
            if let Some(readable) = self.or_again(self.readable_index(query).await).await? {
                return Ok(readable);
            }
        }
        Err(busy())
    }

    /// The built index and the buckets `query` reads from it: a build left
    /// unfinished (a tab closed while opening, or an index dropped for failing
    /// authentication) is finished first.
    async fn readable_index(
        &self,
        query: &Query,
    ) -> Result<(Rc<IndexSnapshot>, LoadedBuckets<'_>), Error> {
        let buckets = self.query_buckets(query);
        let (mut snapshot, mut read) = self.usable_index_with(&buckets).await?;
        if snapshot.manifest.built != Built::Done {
            self.build_index(&|_| {}).await?;
            (snapshot, read) = (self.usable_index().await?, Vec::new());
        }
        let postings = self.load_buckets(&buckets, &snapshot, read).await?;
        Ok((snapshot, postings))
    }

    /// Contacts matching `text` (words and phrases over names, addresses,
    /// company and phones), sorted by display name, at most `limit`. The index
    /// names the candidates; each is opened and checked against the query.
    pub async fn search_contacts(&self, text: &str, limit: usize) -> Result<Vec<Value>, Error> {
        let query = words_query(text, "searchContacts")?;
        let records = self
            .indexed_records(&query, Kind::Contact, |_| true)
            .await?;
        let mut found: Vec<Value> = self
            .open_matching(Kind::Contact, &records, |_| true)
            .await?
            .iter()
            .filter_map(|plaintext| serde_json::from_slice::<Value>(plaintext).ok())
            .filter(|contact| {
                contact.as_object().is_some_and(|fields| {
                    matches(&query, &SearchDocument::of_contact(fields).cut())
                })
            })
            .collect();
        found.sort_by_key(display_name);
        found.truncate(limit);
        Ok(found)
    }

    /// Event instances overlapping `[start, end)` that match `text` (words and
    /// phrases over subject, location, organizer and attendees), sorted by
    /// start. The index names the candidates that start before `end`; each is
    /// opened and checked against the range and the query.
    pub async fn search_events(
        &self,
        text: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let query = words_query(text, "searchEvents")?;
        // An empty range overlaps nothing.
        if end.0 <= start.0 {
            return Ok(Vec::new());
        }
        let records = self
            .indexed_records(&query, Kind::Event, |entry| entry.received < end.0)
            .await?;
        let events = self
            .open_overlapping(records, start.0 as f64, end.0 as f64)
            .await?;
        Ok(events
            .into_iter()
            .filter(|json| {
                serde_json::from_slice::<Map<String, Value>>(json)
                    .is_ok_and(|fields| matches(&query, &SearchDocument::of_event(&fields).cut()))
            })
            .collect())
    }

    /// The stored records of the `kind` items (contacts or events) whose
    /// postings hold the query's words and whose table entries `keep` accepts.
    async fn indexed_records(
        &self,
        query: &Query,
        kind: Kind,
        keep: impl Fn(&DocEntry) -> bool,
    ) -> Result<Vec<Record>, Error> {
        let (snapshot, postings) = self.searchable_index(query).await?;
        let plan = Plan::of_kind(query, kind_bit(kind));
        let keys: Vec<Vec<u8>> = candidates(query, &plan, &postings, &snapshot.table, None)
            .filter(|(_, entry)| keep(entry))
            .map(|(_, entry)| entry.key.to_vec())
            .collect();
        let records = self.db.get_many(kind.store(), &keys).await?;
        Ok(records.into_iter().flatten().collect())
    }

    /// The query of a search box text, its folders resolved to ids and the
    /// folder option added; a malformed query is `InvalidInput` naming the problem.
    async fn prepared_query(&self, text: &str, options: &SearchOptions) -> Result<Query, Error> {
        let mut query = Query::parse(text).map_err(|e| Error::invalid("query", &e.0))?;
        if query.clauses.iter().any(|c| matches!(c, Clause::Folder(_))) {
            let folders = self.folders().await?;
            query
                .resolve_folders(|name| folder_id(&folders, name))
                .map_err(|e| Error::invalid("query", &e.0))?;
        }
        if let Some(id) = &options.folder_id {
            query.clauses.push(Clause::Folder(id.clone()));
        }
        Ok(query)
    }

    /// The buckets the query's terms fall in, with the write log's: none for a
    /// query of operators alone.
    fn query_buckets(&self, query: &Query) -> BTreeSet<u16> {
        let mut wanted: BTreeSet<u16> = BTreeSet::new();
        for clause in &query.clauses {
            match clause {
                Clause::Term { term, .. } => {
                    wanted.insert(self.bucket_of(&term.text));
                }
                Clause::Phrase { terms, .. } => {
                    wanted.extend(terms.iter().map(|term| self.bucket_of(&term.text)));
                }
                _ => {}
            }
        }
        if !wanted.is_empty() {
            wanted.insert(LOG_BUCKET);
        }
        wanted
    }

    /// The decoded segments of `buckets`, from this connection's cache where
    /// the manifest still lists them, else from the records `read` with the
    /// snapshot, else read now.
    async fn load_buckets<'a>(
        &'a self,
        buckets: &BTreeSet<u16>,
        snapshot: &IndexSnapshot,
        read: Vec<Record>,
    ) -> Result<LoadedBuckets<'a>, Error> {
        let generation = snapshot.manifest.generation;
        let mut kept: HashMap<(u16, u32), Rc<Segment>> = HashMap::new();
        let mut missing = Vec::new();
        for &bucket in buckets {
            if let Some((cached_generation, cached)) = self.search.borrow().buckets.get(&bucket) {
                if *cached_generation == generation {
                    kept.extend(cached.iter().map(|(seq, s)| ((bucket, *seq), s.clone())));
                }
            }
            for part in snapshot.manifest.segments(bucket) {
                if !kept.contains_key(&(bucket, part.seq)) {
                    missing.push((bucket, part.seq));
                }
            }
        }
        let manifest = &snapshot.manifest;
        let mut read: HashMap<Vec<u8>, Record> = read
            .into_iter()
            .map(|record| (own_key(&record), record))
            .collect();
        let (have, need): (Vec<_>, Vec<_>) = missing
            .into_iter()
            .map(|(bucket, seq)| ((bucket, seq), read.remove(&segment_key(bucket, seq))))
            .partition(|(_, record)| record.is_some());
        let (have, records): (Vec<_>, Vec<_>) = have.into_iter().unzip();
        let need: Vec<(u16, u32)> = need.into_iter().map(|(at, _)| at).collect();
        let mut read = self.open_segments(&have, records, generation).await?;
        read.extend(
            self.read_segments(&need, generation, manifest.written_at)
                .await?,
        );
        kept.extend(read.into_iter().map(|(at, segment)| (at, Rc::new(segment))));
        // Each bucket's segments as the manifest lists them now; the cache
        // forgets those it no longer lists.
        let mut loaded = HashMap::new();
        let mut cache = self.search.borrow_mut();
        for &bucket in buckets {
            let listed = manifest
                .segments(bucket)
                .iter()
                .map(|part| {
                    let segment = kept.get(&(bucket, part.seq)).ok_or_else(index_integrity)?;
                    Ok((part.seq, segment.clone()))
                })
                .collect::<Result<BucketSegments, Error>>()?;
            loaded.insert(bucket, listed.iter().map(|(_, s)| s.clone()).collect());
            cache.buckets.insert(bucket, (generation, listed));
        }
        Ok(LoadedBuckets {
            mailbox: self,
            buckets: loaded,
        })
    }

    /// Opens the summaries under `keys` (with their bodies when a phrase needs
    /// them) and keeps those that satisfy the query's clauses checkable on them:
    /// the index decided the rest. Returns each kept summary with its place in `keys`.
    async fn verified(
        &self,
        query: &Query,
        with_body: bool,
        keys: &[Vec<u8>],
    ) -> Result<Vec<(usize, Vec<u8>)>, Error> {
        let store = Kind::Message.store();
        let stores = match with_body {
            true => vec![store, STORE_MESSAGE_BODIES, STORE_META],
            false => vec![store, STORE_META],
        };
        let tx = self.db.begin_read(&stores)?;
        let summaries = tx.get_many(store, keys).err_into();
        let bodies = async {
            match with_body {
                true => tx.get_many(STORE_MESSAGE_BODIES, keys).await.map(Some),
                false => Ok(None),
            }
        }
        .err_into();
        let (state, summaries, bodies) = try_join3(self.state_in(&tx), summaries, bodies).await?;
        drop(tx);
        self.take_state(state).await?;
        let records: Vec<(usize, Record)> = summaries
            .into_iter()
            .enumerate()
            .filter_map(|(index, record)| Some((index, record?)))
            .collect();
        let plain: Vec<Record> = records.iter().map(|(_, record)| record.clone()).collect();
        let opened = self
            .open_matching_at(Kind::Message, &plain, |_| true)
            .await?;
        let wholes = match &bodies {
            // Every body is handed to WebCrypto before any is awaited: one batch.
            Some(bodies) => {
                join_all(opened.iter().map(|(at, summary)| {
                    let (index, record) = &records[*at];
                    let body = bodies.get(*index).cloned().flatten();
                    async move { Some(self.with_body(record, body, summary, None).await) }
                }))
                .await
            }
            None => opened.iter().map(|_| None).collect(),
        };
        let mut out = Vec::with_capacity(opened.len());
        for ((at, summary), whole) in opened.into_iter().zip(wholes) {
            let whole = match whole.transpose() {
                Ok(whole) => whole,
                Err(Error::Integrity { .. }) => continue,
                Err(other) => return Err(other),
            };
            let json = whole.as_deref().unwrap_or(&summary);
            let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(json) else {
                continue;
            };
            if satisfies(query, &fields, whole.is_some()) {
                out.push((records[at].0, summary));
            }
        }
        Ok(out)
    }

    /// The plain decrypt-and-scan answer: every message opened with its body and
    /// matched, then ordered and paged like the index's answers.
    async fn search_by_scan(
        &self,
        query: &Query,
        options: &SearchOptions,
    ) -> Result<MessagePage, Error> {
        let after = options.cursor.as_deref().map(parse_after).transpose()?;
        let store = Kind::Message.store();
        let mut found: Vec<((i64, [u8; BLINDED_LEN]), Vec<u8>)> = Vec::new();
        let mut from: Option<Vec<u8>> = None;
        loop {
            let page = self.db.records_after(store, from.as_deref(), 500).await?;
            let keys: Vec<Vec<u8>> = page
                .records
                .iter()
                .filter_map(|r| r.bytes(crate::store::fields::KEY).map(<[u8]>::to_vec))
                .collect();
            for (index, summary) in self.verified(query, true, &keys).await? {
                let Ok(key) = <[u8; BLINDED_LEN]>::try_from(keys[index].as_slice()) else {
                    continue;
                };
                let fields: Map<String, Value> =
                    serde_json::from_slice(&summary).unwrap_or_default();
                let received = crate::search::document::received(&fields);
                found.push(((-received, key), summary));
            }
            if !page.full {
                break;
            }
            from = page.last_key;
        }
        found.sort_by_key(|found| found.0);
        if let Some(after) = after {
            found.retain(|(order, _)| *order > (-after.received, after.key));
        }
        let limit = options.limit as usize;
        let next_cursor = (found.len() > limit)
            .then(|| found.get(limit - 1))
            .flatten()
            .map(|((received, key), _)| cursor_of(*received as f64, key));
        found.truncate(limit);
        Ok(MessagePage {
            messages: found.into_iter().map(|(_, summary)| summary).collect(),
            next_cursor,
        })
    }
}

/// Where the segments a merge takes come from: this write's new ones, or stored
/// ones read for it (which the write then deletes).
struct MergeSources<'a> {
    fresh: &'a mut HashMap<(u16, u32), Segment>,
    stored: &'a mut HashMap<(u16, u32), Segment>,
    deletes: &'a mut Vec<(&'static str, Vec<u8>)>,
}

impl MergeSources<'_> {
    /// The segments `due` of `bucket` merged into one, without the postings that
    /// no longer count.
    fn merge(
        &mut self,
        bucket: u16,
        due: &[SegmentRef],
        table: &DocTable,
    ) -> Result<Segment, Error> {
        let mut merged = Segment::default();
        for part in due {
            let at = (bucket, part.seq);
            let segment = match self.fresh.remove(&at) {
                Some(segment) => segment,
                None => {
                    self.deletes
                        .push((STORE_SEARCH_POSTINGS, segment_key(bucket, part.seq)));
                    self.stored.remove(&at).ok_or_else(index_integrity)?
                }
            };
            merged.merge(segment);
        }
        drop_dead(&mut merged, table);
        Ok(merged)
    }
}

/// Drops from a merged segment the postings that no longer count: those of
/// removed documents, and the body postings of one whose body was evicted. A run
/// of documents all still whole (as after a first sync) is not checked one by one.
fn drop_dead(merged: &mut Segment, table: &DocTable) {
    let whole = merged
        .doc_range()
        .is_none_or(|(low, high)| table.all_whole(low, high));
    if whole {
        return;
    }
    merged.retain(|doc, field| {
        table.get(doc).is_some_and(|entry| {
            entry.flags & doc_flags::BODY_GONE == 0
                || !matches!(field, Field::Body | Field::Attachments)
        })
    });
}

/// Whether a message satisfies the clauses that can be checked on what was
/// opened: all of them with the body; without it, all but the words and
/// phrases that may be in the body or attachment names.
fn satisfies(query: &Query, fields: &Map<String, Value>, with_body: bool) -> bool {
    let doc = SearchDocument::of_message(fields);
    let doc = doc.cut();
    query.clauses.iter().all(|clause| {
        let checkable = match clause {
            Clause::Term { field, .. } | Clause::Phrase { field, .. } => {
                with_body || field.is_some_and(|f| !matches!(f, Field::Body | Field::Attachments))
            }
            _ => true,
        };
        !checkable || holds(clause, &doc)
    })
}

/// The id of the folder a `folder:` operator names: an id, a well-known name or
/// a display name (case-insensitive).
fn folder_id(folders: &[Value], name: &str) -> Option<String> {
    let text =
        |folder: &Value, field: &str| folder.get(field).and_then(Value::as_str).map(str::to_owned);
    let by = |field: &str, exact: bool| {
        folders.iter().find_map(|folder| {
            let value = text(folder, field)?;
            let same = if exact {
                value == name
            } else {
                value.eq_ignore_ascii_case(name) || value.to_lowercase() == name.to_lowercase()
            };
            same.then(|| text(folder, "id")).flatten()
        })
    };
    by("id", true)
        .or_else(|| by("wellKnownName", false))
        .or_else(|| by("displayName", false))
}

/// A query of words and phrases only (`what` names the call, for errors).
fn words_query(text: &str, what: &str) -> Result<Query, Error> {
    let query = Query::parse(text).map_err(|e| Error::invalid("query", &e.0))?;
    query
        .words_only(what)
        .map_err(|e| Error::invalid("query", &e.0))?;
    Ok(query)
}

fn parse_after(cursor: &str) -> Result<crate::search::After, Error> {
    crate::search::After::from_cursor(cursor)
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor returned by search"))
}
