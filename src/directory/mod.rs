//! Sender photos and contact cards, from the organization's own server only.
//!
//! The pure part says where a lookup may go ([`DirectoryConfig`], [`org_origin`]),
//! under which one normalized address it is cached and requested ([`LookupTarget`]),
//! and how answers are cached ([`CacheEntry`], [`Freshness`]); the browser part
//! (`lookup`) makes the requests: one origin, credentials only there, no referrer,
//! no redirects followed, `If-None-Match` revalidation, a remembered 404, nothing
//! kept of a `no-store` answer, and one request for concurrent lookups of the same
//! address.

mod cache;
mod config;
#[cfg(target_arch = "wasm32")]
mod lookup;

pub use cache::{padded_len, CacheEntry, Freshness, MIN_PADDED_LEN, MISSING_TTL_MS};
pub use config::{
    encode_component, org_origin, DirectoryConfig, LookupKind, LookupTarget, PhotoApi,
    DEFAULT_CARD_PATH, DEFAULT_PHOTO_SIZE, PHOTO_SIZES,
};
#[cfg(target_arch = "wasm32")]
pub(crate) use lookup::global_fetch;
#[cfg(target_arch = "wasm32")]
pub use lookup::{Answer, Directory};
