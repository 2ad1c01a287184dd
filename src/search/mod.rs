//! Offline search over the encrypted store (pure Rust).
//!
//! - [`text`]: normalization (case folding, diacritics, compatibility forms) and
//!   terms (UAX #29 words; CJK runs as character pairs).
//! - [`html`]: HTML bodies reduced to the text a reader sees.
//! - [`query`]: the search box's query language, parsed into clauses.
//! - [`document`]: a message as search sees it (terms per field, and facts).
//! - [`matcher`]: whether one message matches a query; the plain decrypt-and-scan
//!   reference is this applied to every message.
//! - [`postings`], [`segment`], [`docs`]: the encrypted index's parts (posting
//!   lists, per-bucket term segments, the document table) and their encodings.
//! - [`manifest`]: which segments and pages make up the index, bound to the state.
//! - [`engine`]: a query answered from those parts, in answer order.
//!
//! How the parts are stored, sealed and kept in step with the messages is
//! described in `ARCHITECTURE.md`; what they reveal on disk, in `SECURITY.md`.

pub mod docs;
pub mod document;
pub mod engine;
pub mod html;
pub mod manifest;
pub mod matcher;
pub mod postings;
pub mod query;
pub mod segment;
pub mod text;

pub use docs::{DocEntry, DocTable};
pub use document::{changes_indexed_text, DocumentTerms, SearchDocument};
pub use engine::{candidates, After, Candidates, Plan, Postings};
pub use html::html_to_text;
pub use manifest::{Built, Manifest, SegmentRef};
pub use matcher::matches;
pub use postings::{decode_postings, encode_postings};
pub use query::{Clause, Field, Query, QueryError, Term};
pub use segment::{bucket_text, Segment, SegmentBuilder};
pub use text::{each_term, normalize, tokens, Token};
