//! Message dates: the Date header converted to UTC, with repairs for the
//! malformed dates found in old mail, then the mbox `From ` line, then a
//! deterministic date in 2002.

use crate::util::pick;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use mail_parser::Message;

/// Where a message's date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// A valid Date header.
    Header,
    /// A Date header that `mail-parser` rejects but that is readable: a
    /// year counted from 1900 ("0102"), a missing zone, or an unusual order.
    RepairedHeader,
    /// The mbox "From " line.
    MboxLine,
    /// Deterministic fallback in 2002.
    Fallback,
}

/// Date header in UTC, else the mbox line's date, else a stable date in
/// 2002 derived from `key`.
pub fn message_date(
    message: &Message<'_>,
    mbox_line: Option<&str>,
    key: &[&str],
) -> (DateTime<Utc>, DateSource) {
    if let Some(date) = header_date(message) {
        return (date, DateSource::Header);
    }
    if let Some(date) = repaired_header_date(message) {
        return (date, DateSource::RepairedHeader);
    }
    if let Some(date) = mbox_line.and_then(mbox_line_date) {
        return (date, DateSource::MboxLine);
    }
    (fallback_date(key), DateSource::Fallback)
}

/// The Date header converted to UTC, if `mail-parser` reads it as valid.
pub fn header_date(message: &Message<'_>) -> Option<DateTime<Utc>> {
    let date = message.date().filter(|d| d.is_valid())?;
    DateTime::from_timestamp(date.to_timestamp(), 0)
}

/// The Date header read leniently: a year below 200 is taken as counted
/// from 1900 (a common bug of 2002-era bulk mailers: "Thu, 22 Aug 0102"),
/// and dates without a zone or in other common layouts are parsed as text.
pub fn repaired_header_date(message: &Message<'_>) -> Option<DateTime<Utc>> {
    if let Some(mut date) = message.date().copied() {
        if (100..200).contains(&date.year) {
            date.year += 1900;
        }
        if date.is_valid() {
            return DateTime::from_timestamp(date.to_timestamp(), 0);
        }
    }
    message.header_raw("Date").and_then(lenient_date)
}

/// Layouts tried by [`lenient_date`] (after the zone has been removed).
const LENIENT_FORMATS: &[&str] = &[
    "%a, %d %b %Y %H:%M:%S",
    "%a,%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%a, %d %b %Y %H:%M",
    "%Y/%m/%d %a %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
];

/// Parses a date in one of [`LENIENT_FORMATS`], with an optional trailing
/// zone (`+hhmm`, `-hhmm` or an RFC 822 name); no zone means UTC.
pub fn lenient_date(raw: &str) -> Option<DateTime<Utc>> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let (text, offset) = split_zone(&text);
    LENIENT_FORMATS.iter().find_map(|format| {
        let naive = NaiveDateTime::parse_from_str(text, format).ok()?;
        let utc = naive.checked_sub_signed(Duration::seconds(offset))?;
        Some(Utc.from_utc_datetime(&utc))
    })
}

/// Splits a trailing zone off a date: returns the rest and the offset in
/// seconds east of UTC (0 when there is no zone).
fn split_zone(text: &str) -> (&str, i64) {
    let Some((rest, last)) = text.rsplit_once(' ') else {
        return (text, 0);
    };
    match zone_offset(last.trim_matches(|c| c == '(' || c == ')')) {
        Some(offset) => (rest, offset),
        None => (text, 0),
    }
}

/// Zone names of RFC 822 (section 5.1) and their offsets in hours.
const RFC822_ZONES: &[(&str, i64)] = &[
    ("UT", 0),
    ("UTC", 0),
    ("GMT", 0),
    ("Z", 0),
    ("EST", -5),
    ("EDT", -4),
    ("CST", -6),
    ("CDT", -5),
    ("MST", -7),
    ("MDT", -6),
    ("PST", -8),
    ("PDT", -7),
];

/// Offset in seconds of `+hhmm` / `-hhmm` or an RFC 822 zone name.
fn zone_offset(zone: &str) -> Option<i64> {
    RFC822_ZONES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(zone))
        .map(|(_, hours)| hours * 3600)
        .or_else(|| numeric_zone(zone))
}

/// Offset in seconds of `+hhmm` / `-hhmm`.
fn numeric_zone(zone: &str) -> Option<i64> {
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits = zone.get(1..)?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    Some(sign * ((value / 100) * 3600 + (value % 100) * 60))
}

/// The asctime date of an mbox `From sender  Thu Aug 22 12:36:23 2002`
/// line, taken as UTC.
pub fn mbox_line_date(line: &str) -> Option<DateTime<Utc>> {
    let mut words = line.split_whitespace();
    if words.next() != Some("From") {
        return None;
    }
    words.next()?; // envelope sender
    let rest: Vec<&str> = words.collect();
    NaiveDateTime::parse_from_str(&rest.join(" "), "%a %b %d %H:%M:%S %Y")
        .ok()
        .map(|naive| Utc.from_utc_datetime(&naive))
}

/// A deterministic date in 2002 for messages without any usable date.
pub fn fallback_date(key: &[&str]) -> DateTime<Utc> {
    let mut parts = key.to_vec();
    parts.push("date");
    let offset = i64::try_from(pick(&parts, 365 * 86_400)).unwrap_or(0);
    Utc.with_ymd_and_hms(2002, 1, 1, 0, 0, 0)
        .single()
        .and_then(|start| start.checked_add_signed(Duration::seconds(offset)))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::graph_utc;
    use mail_parser::MessageParser;

    fn date_of(raw: &str) -> (String, DateSource) {
        let message = MessageParser::default()
            .parse(raw.as_bytes())
            .expect("parses");
        let (date, source) = message_date(&message, None, &["k"]);
        (graph_utc(&date), source)
    }

    #[test]
    fn date_header_is_converted_to_utc() {
        assert_eq!(
            date_of("Date: Thu, 22 Aug 2002 23:36:16 -0400\nSubject: x\n\nb\n"),
            ("2002-08-23T03:36:16Z".into(), DateSource::Header)
        );
        assert_eq!(
            date_of("Date: Sat, 5 Oct 2002 17:23:18 +0100 (BST)\n\nb\n"),
            ("2002-10-05T16:23:18Z".into(), DateSource::Header)
        );
    }

    #[test]
    fn malformed_date_headers_are_repaired() {
        // Year counted from 1900.
        assert_eq!(
            date_of("Date: Thu, 22 Aug 0102 12:07:35 +0800\n\nb\n"),
            ("2002-08-22T04:07:35Z".into(), DateSource::RepairedHeader)
        );
        // No zone: UTC.
        assert_eq!(
            date_of("Date: Fri, 23 Aug 2002 19:27:52\n\nb\n"),
            ("2002-08-23T19:27:52Z".into(), DateSource::RepairedHeader)
        );
        // Unusual order with an RFC 822 zone name.
        assert_eq!(
            date_of("Date: 2002/09/14 Sat 02:29:32 CDT\n\nb\n"),
            ("2002-09-14T07:29:32Z".into(), DateSource::RepairedHeader)
        );
    }

    #[test]
    fn mbox_line_and_fallback() {
        let date = mbox_line_date("From a@b.c  Sat Oct  5 17:23:18 2002").expect("asctime");
        assert_eq!(graph_utc(&date), "2002-10-05T17:23:18Z");
        assert_eq!(mbox_line_date("From a@b.c garbage"), None);
        let fallback = fallback_date(&["g", "f"]);
        assert_eq!(fallback, fallback_date(&["g", "f"]));
        assert_eq!(fallback.format("%Y").to_string(), "2002");
    }

    #[test]
    fn zones() {
        assert_eq!(numeric_zone("+0530"), Some(19_800));
        assert_eq!(numeric_zone("-0100"), Some(-3_600));
        assert_eq!(numeric_zone("+5"), None);
        assert_eq!(zone_offset("EDT"), Some(-4 * 3600));
        assert_eq!(zone_offset("cdt"), Some(-5 * 3600));
    }
}
