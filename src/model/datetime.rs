//! Graph date-times as milliseconds since the Unix epoch (UTC), the form the
//! store orders by.

use serde::{Deserialize, Deserializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// A Graph `DateTimeOffset` (e.g. `receivedDateTime`), parsed to UTC milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses an RFC 3339 date-time with offset, e.g. `2024-05-01T10:00:00Z`.
    ///
    /// ```
    /// use offline_mailbox::model::Timestamp;
    /// assert_eq!(Timestamp::parse("1970-01-01T00:00:01Z"), Some(Timestamp(1000)));
    /// assert_eq!(Timestamp::parse("yesterday"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(to_millis)
    }

    /// Parses a Graph `dateTimeTimeZone.dateTime` (no offset, e.g.
    /// `2024-06-01T09:00:00.0000000`) as UTC.
    pub fn parse_utc_local(text: &str) -> Option<Self> {
        PrimitiveDateTime::parse(text, &Iso8601::DEFAULT)
            .ok()
            .map(|local| to_millis(local.assume_utc()))
    }
}

fn to_millis(time: OffsetDateTime) -> Timestamp {
    Timestamp((time.unix_timestamp_nanos() / 1_000_000) as i64)
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{text}\" is not an ISO 8601 date-time with offset, e.g. 2024-05-01T10:00:00Z"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_forms_parse() {
        assert_eq!(
            Timestamp::parse("2024-05-01T10:00:00Z"),
            Some(Timestamp(1_714_557_600_000))
        );
        assert_eq!(
            Timestamp::parse("2024-05-01T12:00:00+02:00"),
            Some(Timestamp(1_714_557_600_000))
        );
        assert_eq!(
            Timestamp::parse("2024-05-01T10:00:00.1234567Z"),
            Some(Timestamp(1_714_557_600_123))
        );
        assert_eq!(
            Timestamp::parse("2024-05-01T10:00:00.123Z"),
            Some(Timestamp(1_714_557_600_123))
        );
        assert_eq!(
            Timestamp::parse_utc_local("2024-05-01T10:00:00.0000000"),
            Some(Timestamp(1_714_557_600_000))
        );
        assert_eq!(
            Timestamp::parse_utc_local("2024-05-01T10:00:00"),
            Some(Timestamp(1_714_557_600_000))
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        assert_eq!(Timestamp::parse("2024-13-01T10:00:00Z"), None);
        assert_eq!(Timestamp::parse("2024-05-01"), None);
        assert_eq!(Timestamp::parse_utc_local("not a date"), None);
    }
}
