//! What a sync does with each answer from Graph: go on, wait and retry, start a
//! scope over, or give up on one outbox entry. Pure Rust; the engine that sends
//! the requests applies these decisions.

use std::time::Duration;

/// The first retry waits this long when the server says nothing.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// No retry waits longer than this, whatever `Retry-After` says.
const LONGEST_RETRY: Duration = Duration::from_secs(120);

/// What to do after a response (or a failed request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It worked: go on.
    Done,
    /// Wait this long, then send the same request again.
    RetryAfter(Duration),
    /// The delta token is too old (`410 Gone`): drop the scope and sync it from scratch.
    ResetScope,
    /// The item is gone on the server (`404`): drop the outbox entry, nothing to do.
    Gone,
    /// The server refused the request for good (another `4xx`): keep the entry
    /// out of the queue and report it to the app.
    Refused(u16),
}

/// The outcome of an HTTP `status` (or of a request that never got one: `None`,
/// a network error), at retry `attempt` (0 for the first try), given the
/// response's `Retry-After` header.
///
/// ```
/// use std::time::Duration;
/// use offline_mailbox::sync::{outcome, Outcome};
/// assert_eq!(outcome(Some(204), 0, None), Outcome::Done);
/// assert_eq!(outcome(Some(429), 0, Some("7")), Outcome::RetryAfter(Duration::from_secs(7)));
/// assert_eq!(outcome(Some(410), 0, None), Outcome::ResetScope);
/// ```
pub fn outcome(status: Option<u16>, attempt: u32, retry_after: Option<&str>) -> Outcome {
    let Some(status) = status else {
        return Outcome::RetryAfter(backoff(attempt));
    };
    match status {
        200..=299 => Outcome::Done,
        410 => Outcome::ResetScope,
        404 => Outcome::Gone,
        408 | 429 | 500..=599 => Outcome::RetryAfter(
            retry_after
                .and_then(parse_retry_after)
                .map_or_else(|| backoff(attempt), |wait| wait.min(LONGEST_RETRY)),
        ),
        other => Outcome::Refused(other),
    }
}

/// Doubling waits from [`FIRST_RETRY`], capped at [`LONGEST_RETRY`].
fn backoff(attempt: u32) -> Duration {
    FIRST_RETRY
        .checked_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
        .map_or(LONGEST_RETRY, |wait| wait.min(LONGEST_RETRY))
}

/// `Retry-After` in delta-seconds (what Graph sends). An HTTP date, or anything
/// else, is not understood: the caller falls back to its own backoff.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_gone_reset_and_refusal_are_told_apart() {
        assert_eq!(outcome(Some(200), 0, None), Outcome::Done);
        assert_eq!(outcome(Some(204), 3, None), Outcome::Done);
        assert_eq!(outcome(Some(404), 0, None), Outcome::Gone);
        assert_eq!(outcome(Some(410), 0, None), Outcome::ResetScope);
        assert_eq!(outcome(Some(400), 0, None), Outcome::Refused(400));
        assert_eq!(outcome(Some(403), 0, Some("5")), Outcome::Refused(403));
    }

    #[test]
    fn throttling_and_server_errors_wait_as_told_up_to_a_cap() {
        let secs = Duration::from_secs;
        assert_eq!(
            outcome(Some(429), 0, Some("7")),
            Outcome::RetryAfter(secs(7))
        );
        assert_eq!(
            outcome(Some(503), 0, Some(" 30 ")),
            Outcome::RetryAfter(secs(30))
        );
        assert_eq!(
            outcome(Some(429), 0, Some("86400")),
            Outcome::RetryAfter(LONGEST_RETRY)
        );
        assert_eq!(
            outcome(Some(503), 2, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            Outcome::RetryAfter(secs(4))
        );
    }

    #[test]
    fn network_errors_back_off_doubling_to_the_cap() {
        let waits: Vec<u64> = (0..10)
            .map(|attempt| match outcome(None, attempt, None) {
                Outcome::RetryAfter(wait) => wait.as_secs(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
        assert_eq!(
            outcome(None, u32::MAX, None),
            Outcome::RetryAfter(LONGEST_RETRY)
        );
    }
}
