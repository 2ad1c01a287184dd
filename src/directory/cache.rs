//! Cached directory answers: what the server said, its validator, and until when it
//! is fresh. Encoded compactly so the entry can be sealed into IndexedDB. Pure Rust.

/// How long a "not found" is remembered before the server is asked again.
pub const MISSING_TTL_MS: f64 = 60.0 * 60.0 * 1000.0;

/// One cached answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    /// The server's `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The answer's `Content-Type`.
    pub content_type: String,
    /// Until when (ms since epoch) the answer may be used without asking; 0 = always revalidate.
    pub fresh_until: f64,
    /// The body; `None` records a 404 ("no photo", "no such person").
    pub body: Option<Vec<u8>>,
}

impl CacheEntry {
    /// A remembered 404, fresh for [`MISSING_TTL_MS`].
    pub fn missing(now: f64) -> Self {
        Self {
            etag: None,
            content_type: String::new(),
            fresh_until: now + MISSING_TTL_MS,
            body: None,
        }
    }

    /// Whether it may be used at `now` without asking the server.
    pub fn is_fresh(&self, now: f64) -> bool {
        now < self.fresh_until
    }

    /// Serializes: `etag len (u32 BE) ‖ etag ‖ type len ‖ type ‖ fresh_until (f64 BE) ‖ has body (u8) ‖ body`.
    pub fn encode(&self) -> Vec<u8> {
        let etag = self.etag.as_deref().unwrap_or_default().as_bytes();
        let body = self.body.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(17 + etag.len() + self.content_type.len() + body.len());
        for part in [etag, self.content_type.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.fresh_until.to_be_bytes());
        out.push(u8::from(self.body.is_some()));
        out.extend_from_slice(body);
        out
    }

    /// Parses [`CacheEntry::encode`]'s output; `None` if malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut rest = bytes;
        let etag = take_text(&mut rest)?;
        let content_type = take_text(&mut rest)?;
        let fresh_until = f64::from_be_bytes(take(&mut rest, 8)?.try_into().ok()?);
        let has_body = take(&mut rest, 1)?[0] == 1;
        Some(Self {
            etag: (!etag.is_empty()).then_some(etag),
            content_type,
            fresh_until,
            body: has_body.then(|| rest.to_vec()),
        })
    }
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if rest.len() < len {
        return None;
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Some(head)
}

fn take_text(rest: &mut &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(take(rest, 4)?.try_into().ok()?) as usize;
    String::from_utf8(take(rest, len)?.to_vec()).ok()
}

/// Until when a response is fresh, from its `Cache-Control` (`max-age`; `no-cache`
/// and `no-store` mean revalidate every time).
///
/// ```
/// use offline_mailbox::directory::fresh_until;
/// assert_eq!(fresh_until(Some("private, max-age=60"), 1000.0), 61000.0);
/// assert_eq!(fresh_until(None, 1000.0), 0.0);
/// ```
pub fn fresh_until(cache_control: Option<&str>, now: f64) -> f64 {
    let Some(header) = cache_control else {
        return 0.0;
    };
    let directives: Vec<String> = header
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-cache" || d == "no-store")
    {
        return 0.0;
    }
    directives
        .iter()
        .find_map(|d| {
            d.strip_prefix("max-age=")
                .and_then(|s| s.parse::<u32>().ok())
        })
        .map_or(0.0, |seconds| now + f64::from(seconds) * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entry = CacheEntry {
            etag: Some("\"v1\"".into()),
            content_type: "image/jpeg".into(),
            fresh_until: 12.5,
            body: Some(vec![0, 1, 2, 255]),
        };
        assert_eq!(CacheEntry::decode(&entry.encode()), Some(entry));
        let missing = CacheEntry::missing(100.0);
        assert_eq!(CacheEntry::decode(&missing.encode()), Some(missing));
    }

    #[test]
    fn truncated_entries_are_rejected() {
        let bytes = CacheEntry::missing(1.0).encode();
        for len in 0..bytes.len() {
            assert_eq!(CacheEntry::decode(&bytes[..len]), None, "{len}");
        }
    }

    #[test]
    fn freshness_follows_cache_control() {
        assert_eq!(fresh_until(Some("max-age=10, no-cache"), 0.0), 0.0);
        assert_eq!(fresh_until(Some("no-store"), 0.0), 0.0);
        assert_eq!(fresh_until(Some("Max-Age=2"), 5.0), 2005.0);
        assert!(CacheEntry::missing(0.0).is_fresh(MISSING_TTL_MS - 1.0));
        assert!(!CacheEntry::missing(0.0).is_fresh(MISSING_TTL_MS));
    }
}
