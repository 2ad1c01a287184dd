//! Small helpers shared by the converters: stable hashes, date formatting,
//! text clean-up and display-name splitting.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// SHA-256 over the given parts, each followed by a 0x1f separator so that
/// `["ab", "c"]` and `["a", "bc"]` hash differently.
pub fn hash_parts(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.finalize().into()
}

/// A short, stable, lowercase hex id (16 hex digits = 64 bits) for the parts.
pub fn short_hash(parts: &[&str]) -> String {
    hex16(&hash_parts(parts))
}

/// The first 8 bytes of a digest as 16 lowercase hex digits.
fn hex16(digest: &[u8; 32]) -> String {
    use std::fmt::Write;
    digest[..8]
        .iter()
        .fold(String::with_capacity(16), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// A stable number in `0..100` for the parts, used for "random" choices
/// such as read / flagged states.
pub fn percent(parts: &[&str]) -> u64 {
    let digest = hash_parts(parts);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 100
}

/// A stable number in `0..modulus` for the parts (`modulus` 0 gives 0).
pub fn pick(parts: &[&str], modulus: u64) -> u64 {
    if modulus == 0 {
        return 0;
    }
    let digest = hash_parts(parts);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[8..16]);
    u64::from_be_bytes(first) % modulus
}

/// Graph's message date format: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn graph_utc(dt: &DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Graph's event date format: `YYYY-MM-DDTHH:MM:SS.0000000` (the time zone
/// is given next to it).
pub fn graph_event_time(dt: &DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S.0000000").to_string()
}

/// Collapses every run of whitespace into one space, trims, and keeps at
/// most `max_chars` characters.
pub fn collapse_whitespace(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        if count >= max_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for ch in word.chars() {
            if count >= max_chars {
                break;
            }
            out.push(ch);
            count += 1;
        }
    }
    // A trailing space can appear when the limit falls right after a word.
    out.truncate(out.trim_end().len());
    out
}

/// Decodes bytes as UTF-8, falling back to ISO-8859-1 (every byte is a
/// code point) when they are not valid UTF-8.
pub fn decode_utf8_or_latin1(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => err.into_bytes().iter().map(|&b| char::from(b)).collect(),
    }
}

/// Given name and surname split out of a display name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameParts {
    /// Everything but the last word (or the part after the comma in
    /// "Surname, Given").
    pub given_name: String,
    /// The last word (or the part before the comma in "Surname, Given").
    pub surname: String,
}

/// Splits a display name: the last word is the surname, the rest the given
/// name. "Surname, Given" is understood too. A name that is empty or looks
/// like an e-mail address gives empty strings.
pub fn split_display_name(display_name: &str) -> NameParts {
    let name = display_name
        .trim()
        .trim_matches(|c: char| c == '"' || c == '\'')
        .trim();
    if name.is_empty() || name.contains('@') {
        return NameParts::default();
    }
    if let Some((surname, given)) = name.split_once(',') {
        let (surname, given) = (surname.trim(), given.trim());
        if !surname.is_empty() && !given.is_empty() && !given.contains(',') {
            return NameParts {
                given_name: join_words(given),
                surname: join_words(surname),
            };
        }
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.split_last() {
        Some((last, rest)) => NameParts {
            given_name: rest.join(" "),
            surname: (*last).to_string(),
        },
        None => NameParts::default(),
    }
}

/// Normalises inner whitespace of a name fragment.
fn join_words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_splitting() {
        let parts = split_display_name("John Ronald Reuel Tolkien");
        assert_eq!(parts.given_name, "John Ronald Reuel");
        assert_eq!(parts.surname, "Tolkien");

        let parts = split_display_name("  \"Ada   Lovelace\" ");
        assert_eq!(parts.given_name, "Ada");
        assert_eq!(parts.surname, "Lovelace");

        let parts = split_display_name("Lovelace, Ada");
        assert_eq!(parts.given_name, "Ada");
        assert_eq!(parts.surname, "Lovelace");

        let parts = split_display_name("Cher");
        assert_eq!(parts.given_name, "");
        assert_eq!(parts.surname, "Cher");

        assert_eq!(split_display_name(""), NameParts::default());
        assert_eq!(split_display_name("bob@example.com"), NameParts::default());
    }

    #[test]
    fn whitespace_is_collapsed_and_cut() {
        assert_eq!(collapse_whitespace("  a \n\t b  c ", 255), "a b c");
        assert_eq!(collapse_whitespace("abc def", 4), "abc");
        assert_eq!(collapse_whitespace("abc def", 5), "abc d");
        assert_eq!(collapse_whitespace("héllo wörld", 7).chars().count(), 7);
    }

    #[test]
    fn hashes_are_stable_and_separated() {
        assert_eq!(short_hash(&["a", "b"]), short_hash(&["a", "b"]));
        assert_ne!(short_hash(&["ab", "c"]), short_hash(&["a", "bc"]));
        assert_eq!(short_hash(&["x"]).len(), 16);
        assert!(percent(&["x"]) < 100);
    }

    #[test]
    fn latin1_fallback() {
        assert_eq!(decode_utf8_or_latin1(vec![0x63, 0x61, 0x66, 0xe9]), "café");
        assert_eq!(decode_utf8_or_latin1("café".as_bytes().to_vec()), "café");
    }
}
