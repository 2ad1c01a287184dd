//! Cached directory answers: what the server said, its validator, and until when it
//! is fresh, or whether it may be kept at all. Encoded padded to a size bucket so
//! the entry can be sealed into IndexedDB without its size naming the person. Pure Rust.

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

    /// Serializes, padded with zeros to [`padded_len`] so that the stored size tells
    /// only a size class, not which person's photo or card it is (anyone in the
    /// organization can fetch the same answer and compare sizes):
    ///
    /// `format (u8 = 2) ‖ etag len (u32 BE) ‖ etag ‖ type len ‖ type ‖ fresh_until (f64 BE) ‖
    /// has body (u8) ‖ body len (u32 BE) ‖ body ‖ zeros`.
    ///
    /// (The unpadded format before it had no format byte; its first byte, the top of
    /// the ETag length, is 0, so such entries are rejected and fetched again.)
    pub fn encode(&self) -> Vec<u8> {
        let etag = self.etag.as_deref().unwrap_or_default().as_bytes();
        let body = self.body.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(padded_len(
            HEADER_LEN + etag.len() + self.content_type.len() + body.len(),
        ));
        out.push(FORMAT);
        for part in [etag, self.content_type.as_bytes()] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.fresh_until.to_be_bytes());
        out.push(u8::from(self.body.is_some()));
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(body);
        out.resize(padded_len(out.len()), 0);
        out
    }

    /// Parses [`CacheEntry::encode`]'s output; `None` if malformed: another format,
    /// a length past the end, a flag other than 0 or 1, or padding that is not
    /// zeros up to exactly the bucket (so a truncated entry is never accepted).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut rest = bytes;
        if take(&mut rest, 1)? != [FORMAT] {
            return None;
        }
        let etag = take_text(&mut rest)?;
        let content_type = take_text(&mut rest)?;
        let fresh_until = f64::from_be_bytes(take(&mut rest, 8)?.try_into().ok()?);
        let has_body = match take(&mut rest, 1)?[0] {
            0 => false,
            1 => true,
            _ => return None,
        };
        let body = take_sized(&mut rest)?;
        if !has_body && !body.is_empty() {
            return None;
        }
        let unpadded = bytes.len() - rest.len();
        if bytes.len() != padded_len(unpadded) || rest.iter().any(|&b| b != 0) {
            return None;
        }
        Some(Self {
            etag: (!etag.is_empty()).then_some(etag),
            content_type,
            fresh_until,
            body: has_body.then(|| body.to_vec()),
        })
    }
}

/// The encoding's format byte.
const FORMAT: u8 = 2;
/// Bytes of an encoding besides the ETag, content type and body.
const HEADER_LEN: usize = 1 + 4 + 4 + 8 + 1 + 4;
/// The smallest bucket: every remembered 404 and most cards fit in it.
pub const MIN_PADDED_LEN: usize = 512;

/// The size an encoding of `len` bytes is padded to: the next power of two, at
/// least [`MIN_PADDED_LEN`].
///
/// ```
/// use offline_mailbox::directory::padded_len;
/// assert_eq!(padded_len(1), 512);
/// assert_eq!(padded_len(513), 1024);
/// assert_eq!(padded_len(4096), 4096);
/// ```
pub fn padded_len(len: usize) -> usize {
    // Past the largest power of two there is no bucket left; such a size cannot
    // be allocated anyway, so it is left as is.
    len.max(MIN_PADDED_LEN)
        .checked_next_power_of_two()
        .unwrap_or(len)
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if rest.len() < len {
        return None;
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Some(head)
}

fn take_sized<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(take(rest, 4)?.try_into().ok()?) as usize;
    take(rest, len)
}

fn take_text(rest: &mut &[u8]) -> Option<String> {
    String::from_utf8(take_sized(rest)?.to_vec()).ok()
}

/// What a response's `Cache-Control` allows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Freshness {
    /// Whether the answer may be kept at all: false for `no-store`, which also means
    /// any copy kept earlier under the same key must go.
    pub cacheable: bool,
    /// Until when (ms since epoch) it may be used without asking: `now + max-age`,
    /// or 0 (revalidate every time) for `no-cache`, `no-store` or no `max-age`.
    pub fresh_until: f64,
}

impl Freshness {
    /// Parses `Cache-Control` (directive names are case-insensitive; `max-age` may
    /// be quoted; one that does not parse means revalidate).
    ///
    /// ```
    /// use offline_mailbox::directory::Freshness;
    /// assert_eq!(Freshness::parse(Some("private, max-age=60"), 1000.0), Freshness { cacheable: true, fresh_until: 61000.0 });
    /// assert_eq!(Freshness::parse(Some("no-store, max-age=60"), 1000.0), Freshness { cacheable: false, fresh_until: 0.0 });
    /// assert_eq!(Freshness::parse(None, 1000.0), Freshness { cacheable: true, fresh_until: 0.0 });
    /// ```
    pub fn parse(cache_control: Option<&str>, now: f64) -> Self {
        let directives: Vec<(String, &str)> = cache_control
            .unwrap_or_default()
            .split(',')
            .map(|directive| {
                let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
                (
                    name.trim().to_ascii_lowercase(),
                    value.trim().trim_matches('"'),
                )
            })
            .collect();
        let has = |wanted: &str| directives.iter().any(|(name, _)| name == wanted);
        if has("no-store") {
            return Self {
                cacheable: false,
                fresh_until: 0.0,
            };
        }
        let max_age = directives
            .iter()
            .find(|(name, _)| name == "max-age")
            .and_then(|(_, value)| value.parse::<u32>().ok());
        let fresh_until = match max_age {
            Some(seconds) if !has("no-cache") => now + f64::from(seconds) * 1000.0,
            _ => 0.0,
        };
        Self {
            cacheable: true,
            fresh_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(body_len: usize) -> CacheEntry {
        CacheEntry {
            etag: Some("\"v1\"".into()),
            content_type: "image/jpeg".into(),
            fresh_until: 12.5,
            body: Some((0..body_len).map(|i| i as u8).collect()),
        }
    }

    #[test]
    fn entries_round_trip() {
        for len in [0, 4, 480, 490, 600, 5000] {
            let entry = photo(len);
            assert_eq!(CacheEntry::decode(&entry.encode()), Some(entry), "{len}");
        }
        let no_etag = CacheEntry {
            etag: None,
            ..photo(3)
        };
        assert_eq!(CacheEntry::decode(&no_etag.encode()), Some(no_etag));
        let missing = CacheEntry::missing(100.0);
        assert_eq!(CacheEntry::decode(&missing.encode()), Some(missing));
    }

    #[test]
    fn truncated_entries_are_rejected() {
        for entry in [CacheEntry::missing(1.0), photo(700)] {
            let bytes = entry.encode();
            for len in 0..bytes.len() {
                assert_eq!(CacheEntry::decode(&bytes[..len]), None, "{len}");
            }
        }
    }

    #[test]
    fn malformed_entries_are_rejected() {
        let bytes = photo(10).encode();
        let altered = |at: usize, value: u8| {
            let mut copy = bytes.clone();
            copy[at] = value;
            CacheEntry::decode(&copy)
        };
        assert_eq!(altered(0, 0), None, "the old unpadded format");
        assert_eq!(
            altered(bytes.len() - 1, 1),
            None,
            "padding that is not zeros"
        );
        let flag = 1 + 4 + 4 + 4 + 10 + 8;
        assert_eq!(altered(flag, 2), None, "a body flag other than 0 or 1");
        assert_eq!(altered(flag + 1, 0xff), None, "a body length past the end");
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(CacheEntry::decode(&longer), None, "more than the bucket");
        let empty_with_body = CacheEntry {
            body: None,
            ..photo(0)
        };
        let mut flagged = empty_with_body.encode();
        flagged[flag + 4] = 5;
        assert_eq!(
            CacheEntry::decode(&flagged),
            None,
            "a body length with no body"
        );
    }

    #[test]
    fn sizes_in_one_bucket_encode_to_one_length() {
        assert_eq!(photo(0).encode().len(), 512);
        assert_eq!(photo(1).encode().len(), photo(400).encode().len());
        assert_eq!(photo(600).encode().len(), 1024);
        assert_eq!(photo(600).encode().len(), photo(900).encode().len());
        assert_eq!(photo(3000).encode().len(), 4096);
        assert_eq!(CacheEntry::missing(0.0).encode().len(), 512);
        for len in [0, 1, 511, 512, 513, 1000, 70_000] {
            let padded = padded_len(len);
            assert!(padded >= len && padded >= MIN_PADDED_LEN && padded.is_power_of_two());
            assert!(
                padded == MIN_PADDED_LEN || padded / 2 < len,
                "{len}: the smallest bucket"
            );
        }
    }

    #[test]
    fn freshness_follows_cache_control() {
        let parse = |header| Freshness::parse(Some(header), 5.0);
        assert_eq!(parse("max-age=10, no-cache").fresh_until, 0.0);
        assert!(parse("max-age=10, no-cache").cacheable);
        assert_eq!(parse("Max-Age=2").fresh_until, 2005.0);
        assert_eq!(parse("private, max-age=\"2\"").fresh_until, 2005.0);
        assert_eq!(parse("max-age=-1").fresh_until, 0.0);
        assert_eq!(parse("max-age=soon").fresh_until, 0.0);
        assert_eq!(Freshness::parse(None, 5.0).fresh_until, 0.0);
        assert!(CacheEntry::missing(0.0).is_fresh(MISSING_TTL_MS - 1.0));
        assert!(!CacheEntry::missing(0.0).is_fresh(MISSING_TTL_MS));
    }

    #[test]
    fn no_store_is_never_cacheable() {
        let not_kept = Freshness {
            cacheable: false,
            fresh_until: 0.0,
        };
        for header in [
            "no-store",
            "No-Store",
            "private, no-store",
            " no-store ,max-age=600",
            "max-age=600,NO-STORE",
        ] {
            assert_eq!(Freshness::parse(Some(header), 5.0), not_kept, "{header}");
        }
        for header in ["no-cache", "private, max-age=60", "no-storey", "x-no-store"] {
            assert!(Freshness::parse(Some(header), 5.0).cacheable, "{header}");
        }
    }
}
