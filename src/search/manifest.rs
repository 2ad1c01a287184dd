//! The index manifest: which segments each bucket has, which document-table pages
//! exist and when each was written, and the counters that number new documents
//! and segments. It is sealed and stored beside the pages, and the sealed mailbox
//! state records the write that stored it, so a manifest put back from an older
//! copy, a page put back, or a segment removed is detected rather than believed.
//!
//! Segments are never rewritten: each write adds one segment (level 0) to the
//! write log ([`LOG_BUCKET`]); [`FANOUT`] of those are merged and split into one
//! level-1 segment per bucket, and [`FANOUT`] segments of one level of a bucket
//! are merged into one of the next level, dropping the postings of removed
//! documents. A bucket so holds at most `FANOUT - 1` segments per level, and each
//! posting is rewritten once per level.
//!
//! Encoding: the generation (8 bytes), written-at, next document, next segment, bucket count, per bucket
//! its number, segment count and per segment its number and level; page count,
//! per page its number and written-at; then the build cursor (2: built; 3, a
//! stage and a key: items of that stage from that key on, and every later
//! stage, are still to be indexed). The cursor bytes 0 and 1 of indexes written
//! before contacts and events were indexed are refused, so such an index is
//! dropped and rebuilt whole.

use std::collections::BTreeMap;

use super::postings::{get_varint, put_varint};

/// Segments of one level that are merged into one of the next: the more, the
/// fewer times a posting is rewritten (at 100,000 messages written in pages of
/// 100, 8 took ingest from 141 s to 126 s against 4; 16 saved 2 s more and
/// leaves a query twice the segments to read).
pub const FANOUT: usize = 8;
/// Buckets the terms are spread over. Few enough that a write of a delta page
/// (which touches nearly every bucket) adds few segments, many enough that a
/// query reads a small part of the index.
pub const BUCKETS: u16 = 64;
/// The bucket number of the write log: each write's postings, every bucket's
/// together, as one segment, until [`FANOUT`] of them are merged and split into
/// the buckets (as level-1 segments). A write so stores one segment, not one per
/// bucket it touches, and a query reads the log besides its buckets.
pub const LOG_BUCKET: u16 = BUCKETS;

/// One stored segment of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRef {
    /// Its number, unique across the index (never reused).
    pub seq: u32,
    /// How many merges built it (0: written by one write).
    pub level: u8,
}

/// Stages of a build: the stores it walks, in order (the caller names them:
/// messages, contacts, events).
pub const BUILD_STAGES: u8 = 3;

/// How far indexing the items stored before the index existed has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Built {
    /// Every stored item is indexed.
    Done,
    /// Items of stage `.0` whose record key is at or after `.1`, and all items
    /// of later stages, may not be indexed yet.
    From(u8, Vec<u8>),
}

impl Built {
    /// A build from the start of the first stage.
    pub fn from_start() -> Built {
        Built::From(0, Vec::new())
    }
}

/// The index manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Random for each index (a new one after every reset), and sealed inside
    /// every segment and page: parts of an earlier index, whose numbers the new
    /// one reuses, are never read as its own.
    pub generation: u64,
    /// The write counter of the transaction that stored it.
    pub written_at: u64,
    /// The number the next indexed document gets.
    pub next_doc: u32,
    /// The number the next segment gets.
    pub next_seq: u32,
    /// Per bucket, its segments, oldest first.
    pub buckets: BTreeMap<u16, Vec<SegmentRef>>,
    /// Per document-table page, the write counter that stored it.
    pub pages: BTreeMap<u32, u64>,
    /// Whether older messages still wait to be indexed.
    pub built: Built,
}

impl Manifest {
    /// The manifest of an empty index of this `generation`; `built` says whether
    /// messages stored before it still need indexing.
    pub fn new(built: Built, generation: u64) -> Manifest {
        Manifest {
            generation,
            written_at: 0,
            next_doc: 0,
            next_seq: 0,
            buckets: BTreeMap::new(),
            pages: BTreeMap::new(),
            built,
        }
    }

    /// The segments of `bucket`.
    pub fn segments(&self, bucket: u16) -> &[SegmentRef] {
        self.buckets.get(&bucket).map_or(&[], Vec::as_slice)
    }

    /// Adds a new segment of `level` to `bucket`; returns its number.
    pub fn add_segment(&mut self, bucket: u16, level: u8) -> u32 {
        let seq = self.take_seq();
        self.buckets
            .entry(bucket)
            .or_default()
            .push(SegmentRef { seq, level });
        seq
    }

    /// The segments of `bucket` that should be merged now (the lowest level with
    /// [`FANOUT`] of them), or none.
    pub fn due_merge(&self, bucket: u16) -> Vec<SegmentRef> {
        let segments = self.segments(bucket);
        let mut levels: BTreeMap<u8, Vec<SegmentRef>> = BTreeMap::new();
        for segment in segments {
            levels.entry(segment.level).or_default().push(*segment);
        }
        levels
            .into_values()
            .find(|same| same.len() >= FANOUT)
            .unwrap_or_default()
    }

    /// Replaces `merged` segments of `bucket` by one new segment a level above
    /// the highest of them; returns its number. With `empty`, the merge left no
    /// posting and no segment replaces them (`None`).
    pub fn replace_merged(
        &mut self,
        bucket: u16,
        merged: &[SegmentRef],
        empty: bool,
    ) -> Option<u32> {
        let level = merged
            .iter()
            .map(|s| s.level)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        let seq = (!empty).then(|| self.take_seq());
        let segments = self.buckets.entry(bucket).or_default();
        segments.retain(|s| !merged.contains(s));
        if let Some(seq) = seq {
            segments.push(SegmentRef { seq, level });
        }
        if segments.is_empty() {
            self.buckets.remove(&bucket);
        }
        seq
    }

    fn take_seq(&mut self) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The manifest's bytes (to be sealed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.generation.to_be_bytes().to_vec();
        put_varint(&mut out, self.written_at);
        put_varint(&mut out, u64::from(self.next_doc));
        put_varint(&mut out, u64::from(self.next_seq));
        put_varint(&mut out, self.buckets.len() as u64);
        for (bucket, segments) in &self.buckets {
            put_varint(&mut out, u64::from(*bucket));
            put_varint(&mut out, segments.len() as u64);
            for segment in segments {
                put_varint(&mut out, u64::from(segment.seq));
                out.push(segment.level);
            }
        }
        put_varint(&mut out, self.pages.len() as u64);
        for (page, written_at) in &self.pages {
            put_varint(&mut out, u64::from(*page));
            put_varint(&mut out, *written_at);
        }
        match &self.built {
            Built::Done => out.push(2),
            Built::From(stage, key) => {
                out.push(3);
                out.push(*stage);
                put_varint(&mut out, key.len() as u64);
                out.extend_from_slice(key);
            }
        }
        out
    }

    /// Reads bytes written by [`Manifest::encode`]; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Manifest> {
        let generation = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let mut at = 8;
        let number = |at: &mut usize| get_varint(bytes, at).and_then(|n| u32::try_from(n).ok());
        let written_at = get_varint(bytes, &mut at)?;
        let next_doc = number(&mut at)?;
        let next_seq = number(&mut at)?;
        let mut buckets = BTreeMap::new();
        for _ in 0..get_varint(bytes, &mut at)? {
            let bucket = u16::try_from(get_varint(bytes, &mut at)?).ok()?;
            let mut segments = Vec::new();
            for _ in 0..get_varint(bytes, &mut at)? {
                let seq = number(&mut at)?;
                let level = *bytes.get(at)?;
                at += 1;
                segments.push(SegmentRef { seq, level });
            }
            buckets.insert(bucket, segments);
        }
        let mut pages = BTreeMap::new();
        for _ in 0..get_varint(bytes, &mut at)? {
            let page = number(&mut at)?;
            pages.insert(page, get_varint(bytes, &mut at)?);
        }
        let built = match *bytes.get(at)? {
            2 => {
                at += 1;
                Built::Done
            }
            3 => {
                let stage = *bytes.get(at + 1)?;
                at += 2;
                if stage >= BUILD_STAGES {
                    return None;
                }
                let len = usize::try_from(get_varint(bytes, &mut at)?).ok()?;
                let key = bytes.get(at..at.checked_add(len)?)?.to_vec();
                at += len;
                Built::From(stage, key)
            }
            _ => return None,
        };
        (at == bytes.len()).then_some(Manifest {
            generation,
            written_at,
            next_doc,
            next_seq,
            buckets,
            pages,
            built,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_truncation() {
        let mut manifest = Manifest::new(Built::From(2, vec![1, 2, 3]), 0xfeed);
        manifest.written_at = 77;
        manifest.next_doc = 1000;
        manifest.add_segment(5, 0);
        manifest.add_segment(255, 0);
        manifest.pages.insert(0, 12);
        manifest.pages.insert(3, 70_000);
        let bytes = manifest.encode();
        assert_eq!(Manifest::decode(&bytes), Some(manifest.clone()));
        for cut in 0..bytes.len() {
            assert_eq!(Manifest::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        manifest.built = Built::Done;
        assert_eq!(Manifest::decode(&manifest.encode()), Some(manifest.clone()));
        manifest.built = Built::From(BUILD_STAGES, Vec::new());
        assert_eq!(Manifest::decode(&manifest.encode()), None, "no such stage");
    }

    #[test]
    fn a_manifest_from_before_contacts_and_events_were_indexed_is_refused() {
        let mut bytes = Manifest::new(Built::Done, 7).encode();
        assert_eq!(bytes.pop(), Some(2));
        for old_cursor in [&[0u8][..], &[1, 0]] {
            let old = [bytes.as_slice(), old_cursor].concat();
            assert_eq!(Manifest::decode(&old), None);
        }
    }

    #[test]
    fn segments_merge_fanout_at_a_time_level_by_level() {
        let mut manifest = Manifest::new(Built::Done, 1);
        for _ in 0..FANOUT - 1 {
            manifest.add_segment(1, 0);
        }
        assert!(manifest.due_merge(1).is_empty());
        manifest.add_segment(1, 0);
        let due = manifest.due_merge(1);
        assert_eq!(due.len(), FANOUT);
        let merged = manifest.replace_merged(1, &due, false).unwrap();
        assert_eq!(
            manifest.segments(1),
            [SegmentRef {
                seq: merged,
                level: 1
            }]
        );
        for _ in 0..FANOUT * FANOUT - FANOUT {
            manifest.add_segment(1, 0);
            loop {
                let due = manifest.due_merge(1);
                if due.is_empty() {
                    break;
                }
                manifest.replace_merged(1, &due, false);
            }
        }
        // FANOUT² writes in all: one level-2 segment; 3 more: three level-0 ones beside it.
        assert_eq!(
            manifest
                .segments(1)
                .iter()
                .map(|s| s.level)
                .collect::<Vec<_>>(),
            [2]
        );
        for _ in 0..3 {
            manifest.add_segment(1, 0);
        }
        assert!(manifest.due_merge(1).is_empty());
        let seqs: Vec<u32> = manifest.segments(1).iter().map(|s| s.seq).collect();
        let mut sorted = seqs.clone();
        sorted.dedup();
        assert_eq!(seqs.len(), sorted.len());
    }

    #[test]
    fn an_empty_merge_removes_the_bucket() {
        let mut manifest = Manifest::new(Built::Done, 1);
        for _ in 0..FANOUT {
            manifest.add_segment(9, 0);
        }
        let due = manifest.due_merge(9);
        assert_eq!(manifest.replace_merged(9, &due, true), None);
        assert!(manifest.buckets.is_empty());
    }
}
