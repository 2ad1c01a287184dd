//! # offline-mailbox
//!
//! An encrypted offline cache of mail, mail folders, contacts and calendar events
//! for browser mail clients, compiled to WebAssembly.
//!
//! Every value is sealed with AES-256-GCM before it reaches IndexedDB; record keys
//! are HMAC-blinded; the keys themselves are stored only wrapped by a key the host
//! supplies. See `SECURITY.md` for what is and is not in clear.
//!
//! ## Modules
//! - [`crypto`]: envelope, key hierarchy, blinded keys (pure Rust).
//! - [`directory`]: sender photos and contact cards from the org server only.
//! - [`model`]: the Graph-shaped item kinds and their validation (pure Rust).
//! - [`store`]: IndexedDB schema, migrations, transactions (browser).
//! - [`policy`]: admin policy, computer kind and consent -> what is allowed (pure Rust).
//! - [`sync`]: Graph delta pages, folder counts and the sealed mailbox state (pure Rust).
//! - [`search`]: query language, tokenizer, the encrypted index's parts (pure Rust).
//! - `mailbox`: reads and writes of the model through store and crypto (browser).
//! - `session`: one signed-in user: policy, consent, the store and the directory (browser).
//! - `api`: the `OfflineMailbox` JavaScript class and its errors (browser).
//!
//! The JavaScript API is documented in the README.

#![deny(missing_docs)]

pub mod crypto;
pub mod directory;
mod error;
mod hex;
pub mod live;
pub mod model;
pub mod policy;
pub mod search;
pub mod store;
pub mod sync;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod mailbox;
#[cfg(target_arch = "wasm32")]
mod session;

#[cfg(target_arch = "wasm32")]
pub use api::OfflineMailbox;
pub use error::Error;
