//! The browser half of the directory: `fetch` to the organization's server,
//! through the answer cache, with concurrent lookups of one address sharing one
//! request.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::future::{FutureExt, Shared};
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Request, RequestCache, RequestCredentials, RequestInit, RequestMode, RequestRedirect, Response,
    ResponseType,
};

use super::cache::{CacheEntry, Freshness};
use super::config::{DirectoryConfig, LookupKind};
use crate::mailbox::Mailbox;
use crate::Error;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, in a window or a worker.
    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn global_fetch(request: &Request) -> Promise;
}

/// A directory answer: the body and its content type.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `Content-Type` of the body.
    pub content_type: String,
    /// The photo bytes or the card's JSON.
    pub body: Rc<Vec<u8>>,
}

type Lookup = Pin<Box<dyn Future<Output = Result<Option<Answer>, Error>>>>;

/// Lookups against one organization's server.
pub struct Directory {
    config: DirectoryConfig,
    memory: RefCell<HashMap<String, CacheEntry>>,
    in_flight: RefCell<HashMap<String, Shared<Lookup>>>,
    /// Bumped by [`Directory::forget`]: a lookup that started before it does not
    /// cache its answer, so a purge cannot be undone by a request still under way.
    generation: Cell<u64>,
}

struct HttpResponse {
    status: u16,
    etag: Option<String>,
    content_type: String,
    cache_control: Option<String>,
    body: Vec<u8>,
}

impl Directory {
    /// A directory for `config`.
    pub fn new(config: DirectoryConfig) -> Rc<Self> {
        Rc::new(Self {
            config,
            memory: RefCell::new(HashMap::new()),
            in_flight: RefCell::new(HashMap::new()),
            generation: Cell::new(0),
        })
    }

    /// The settings it was made with.
    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    /// Forgets every answer of `kind` kept in memory, and makes lookups already
    /// under way keep nothing. (The sealed IndexedDB copies are the caller's to
    /// clear: their keys are blinded, so their kind cannot be told apart there.)
    pub fn forget(&self, kind: LookupKind) {
        self.generation.set(self.generation.get() + 1);
        let prefix = kind.key_prefix();
        self.memory
            .borrow_mut()
            .retain(|key, _| !key.starts_with(prefix));
    }

    /// Looks `url` up under cache `key`. Concurrent calls with the same key share one
    /// request. Answers are cached sealed in `store` when offline is on, in memory
    /// otherwise; an answer marked `Cache-Control: no-store` (a 404 too) is kept
    /// nowhere and removes what was kept under `key`. `Ok(None)` means the server
    /// has nothing (404).
    pub async fn lookup(
        self: &Rc<Self>,
        key: String,
        url: String,
        store: Option<Rc<Mailbox>>,
    ) -> Result<Option<Answer>, Error> {
        let running = self.in_flight.borrow().get(&key).cloned();
        if let Some(shared) = running {
            return shared.await;
        }
        let this = Rc::clone(self);
        let cache_key = key.clone();
        let lookup: Lookup = Box::pin(async move {
            let result = this.through_cache(&cache_key, &url, store.as_deref()).await;
            this.in_flight.borrow_mut().remove(&cache_key);
            result
        });
        let shared = lookup.shared();
        self.in_flight.borrow_mut().insert(key, shared.clone());
        shared.await
    }

    async fn through_cache(
        &self,
        key: &str,
        url: &str,
        store: Option<&Mailbox>,
    ) -> Result<Option<Answer>, Error> {
        let now = js_sys::Date::now();
        let generation = self.generation.get();
        let cached = self.cached(key, store).await;
        if let Some(entry) = cached.as_ref().filter(|e| e.is_fresh(now)) {
            return Ok(answer(entry));
        }
        let etag = cached.as_ref().and_then(|e| e.etag.clone());
        let response = match fetch(url, etag.as_deref()).await {
            Ok(response) => response,
            // Offline or unreachable: what we have beats nothing.
            Err(error) => return cached.map(|e| answer(&e)).ok_or(error),
        };
        let freshness = Freshness::parse(response.cache_control.as_deref(), now);
        let entry = match (response.status, cached) {
            (200, _) => CacheEntry {
                etag: response.etag,
                content_type: response.content_type,
                fresh_until: freshness.fresh_until,
                body: Some(response.body),
            },
            (304, Some(cached)) => CacheEntry {
                fresh_until: freshness.fresh_until,
                ..cached
            },
            (404, _) => CacheEntry::missing(now),
            (status, cached) => {
                let error = Error::Network(format!("the organization's server answered {status}"));
                return cached.map(|e| answer(&e)).ok_or(error);
            }
        };
        if !freshness.cacheable {
            // `no-store`: the server does not want this answer kept, so neither it
            // nor what was kept before under this key may stay.
            self.forget_key(key, store).await;
        } else if self.caught_up(store).await {
            // `directory_put` checks the generation after sealing, with no await
            // between that check and its transaction opening, so a purge's clear,
            // opened later, is ordered after this write and removes it.
            self.remember(key, &entry, store, generation).await;
        }
        Ok(answer(&entry))
    }

    /// Whether the store (if any) is up to date with other tabs, so an answer may
    /// be sealed into it now.
    async fn caught_up(&self, store: Option<&Mailbox>) -> bool {
        match store {
            Some(store) => store.catch_up().await.is_ok(),
            None => true,
        }
    }

    async fn cached(&self, key: &str, store: Option<&Mailbox>) -> Option<CacheEntry> {
        match store {
            Some(store) => store
                .directory_get(key)
                .await
                .ok()
                .flatten()
                .and_then(|bytes| CacheEntry::decode(&bytes)),
            None => self.memory.borrow().get(key).cloned(),
        }
    }

    async fn remember(
        &self,
        key: &str,
        entry: &CacheEntry,
        store: Option<&Mailbox>,
        generation: u64,
    ) {
        let current = || self.generation.get() == generation;
        match store {
            // A cache write that fails (quota, closed) only costs a request later.
            Some(store) => {
                let _ = store.directory_put(key, &entry.encode(), current).await;
            }
            None if !current() => {}
            None => {
                self.memory
                    .borrow_mut()
                    .insert(key.to_owned(), entry.clone());
            }
        }
    }

    async fn forget_key(&self, key: &str, store: Option<&Mailbox>) {
        self.memory.borrow_mut().remove(key);
        if let Some(store) = store {
            // If this fails the store is closed or broken; a later lookup with a
            // working store forgets it again.
            let _ = store.directory_delete(key).await;
        }
    }
}

fn answer(entry: &CacheEntry) -> Option<Answer> {
    let body = entry.body.as_ref()?;
    Some(Answer {
        content_type: entry.content_type.clone(),
        body: Rc::new(body.clone()),
    })
}

/// One GET to the organization's server: credentials included (it is the only
/// origin ever asked), no referrer, no redirect followed, no HTTP cache in between.
async fn fetch(url: &str, etag: Option<&str>) -> Result<HttpResponse, Error> {
    let network = |what: &str| Error::Network(what.to_owned());
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Include);
    init.set_cache(RequestCache::NoStore);
    init.set_redirect(RequestRedirect::Manual);
    init.set_referrer_policy(web_sys::ReferrerPolicy::NoReferrer);
    let request = Request::new_with_str_and_init(url, &init)
        .map_err(|_| network("could not build the request"))?;
    if let Some(etag) = etag {
        request
            .headers()
            .set("If-None-Match", etag)
            .map_err(|_| network("could not set If-None-Match"))?;
    }
    let response: Response = JsFuture::from(global_fetch(&request))
        .await
        .map_err(|_| network("the organization's server could not be reached"))?
        .unchecked_into();
    if response.type_() == ResponseType::Opaqueredirect {
        return Err(network(
            "the organization's server answered with a redirect, which is not followed",
        ));
    }
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let body = if response.status() == 200 {
        let buffer = response
            .array_buffer()
            .map_err(|_| network("could not read the answer"))?;
        let buffer = JsFuture::from(buffer)
            .await
            .map_err(|_| network("could not read the answer"))?;
        Uint8Array::new(&buffer).to_vec()
    } else {
        Vec::new()
    };
    Ok(HttpResponse {
        status: response.status(),
        etag: header("etag"),
        content_type: header("content-type").unwrap_or_default(),
        cache_control: header("cache-control"),
        body,
    })
}
