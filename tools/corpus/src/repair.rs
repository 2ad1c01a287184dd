//! Repairs for malformed mail that `mail-parser` decodes faithfully but
//! not usefully.
//!
//! * Text whose charset was not declared (or declared with a name no
//!   decoder knows, such as `3Dbig5` or `default_charset`): `mail-parser`
//!   decodes it as UTF-8 and replaces invalid bytes with U+FFFD, while old
//!   mail often carries raw 8-bit Latin-1, Windows-1252, Big5 or EUC-KR.
//!   When a decoded text contains U+FFFD and its bytes are not valid UTF-8,
//!   they are decoded again with the first usable charset among: the part's
//!   own (cleaned up) charset, the other charsets declared in the message,
//!   and finally Windows-1252. The same applies to raw 8-bit headers.
//! * Base64 bodies followed by a plain-text mailing-list footer: strict
//!   decoding fails, so the leading base64 lines are decoded and the rest is
//!   kept as it is (what mail clients show).

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::charsets::DecoderFnc;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders};

/// Charset used when nothing better is declared.
const LAST_RESORT: &[u8] = b"windows-1252";

/// Re-decodes a text or HTML part whose `decoded` text contains U+FFFD
/// because its bytes were not UTF-8. `None` when no repair applies.
pub fn repair_part(message: &Message<'_>, part: &MessagePart<'_>, decoded: &str) -> Option<String> {
    if !decoded.contains('\u{fffd}') {
        return None;
    }
    let start = usize::try_from(part.offset_body).ok()?;
    let end = usize::try_from(part.offset_end).ok()?;
    let raw = message.raw_message.get(start..end)?;
    let bytes = match part.encoding {
        Encoding::QuotedPrintable => quoted_printable_decode(raw)?,
        Encoding::Base64 => base64_decode(raw)?,
        Encoding::None => raw.to_vec(),
    };
    if std::str::from_utf8(&bytes).is_ok() {
        return None;
    }
    let own = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(str::to_string);
    Some(decode_with_fallback(&bytes, own.as_deref(), message))
}

/// The message's header block decoded again, when it holds raw 8-bit bytes
/// that are not UTF-8 (so that `mail-parser` had to replace them with
/// U+FFFD in subjects and display names). The result can be parsed again
/// as a header-only message. `None` when the headers are valid UTF-8.
pub fn redecoded_headers(message: &Message<'_>) -> Option<String> {
    let root = message.root_part();
    let start = usize::try_from(root.offset_header).ok()?;
    let end = usize::try_from(root.offset_body).ok()?;
    let raw = message.raw_message.get(start..end)?;
    if std::str::from_utf8(raw).is_ok() {
        return None;
    }
    let mut text = decode_with_fallback(raw, None, message);
    text.push('\n');
    Some(text)
}

/// The text of a part that `mail-parser` could only keep as raw text
/// (`is_encoding_problem`): base64 is decoded leniently, then the bytes are
/// decoded from the part's charset (or the message's, or Windows-1252 when
/// they are not UTF-8).
pub fn salvage_part(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let start = usize::try_from(part.offset_body).ok()?;
    let end = usize::try_from(part.offset_end).ok()?;
    let raw = message.raw_message.get(start..end)?;
    // After a decoding failure `part.encoding` says None; the header still
    // tells what was intended.
    let declared = part
        .content_transfer_encoding()
        .map(|e| e.trim().to_ascii_lowercase());
    let bytes = match (part.encoding, declared.as_deref()) {
        (Encoding::Base64, _) | (_, Some("base64")) => lenient_base64(raw),
        (Encoding::QuotedPrintable, _) | (_, Some("quoted-printable")) => {
            quoted_printable_decode(raw).unwrap_or_else(|| raw.to_vec())
        }
        _ => raw.to_vec(),
    };
    let own = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .and_then(decoder_for);
    Some(match (own, String::from_utf8(bytes)) {
        (Some(decode), Ok(text)) => decode(text.as_bytes()),
        (None, Ok(text)) => text,
        (Some(decode), Err(err)) => decode(err.as_bytes()),
        (None, Err(err)) => decode_with_fallback(err.as_bytes(), None, message),
    })
}

/// Decodes the leading base64 lines of `raw` and appends the remaining
/// lines unchanged. Falls back to `raw` when nothing decodes.
pub fn lenient_base64(raw: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    let mut consumed = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let trimmed = line.trim_ascii();
        let is_base64 = !trimmed.is_empty()
            && trimmed
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let leading_blank = trimmed.is_empty() && encoded.is_empty();
        if !is_base64 && !leading_blank {
            break;
        }
        encoded.extend_from_slice(trimmed);
        consumed += line.len();
    }
    encoded.truncate(encoded.len() - encoded.len() % 4);
    let Some(mut decoded) = base64_decode(&encoded).filter(|d| !d.is_empty()) else {
        return raw.to_vec();
    };
    let rest = raw.get(consumed..).unwrap_or(&[]);
    if !rest.trim_ascii().is_empty() {
        if !decoded.ends_with(b"\n") {
            decoded.push(b'\n');
        }
        decoded.extend_from_slice(rest);
    }
    decoded
}

/// Decodes with the first known charset among `preferred`, the message's
/// declared charsets, and Windows-1252.
fn decode_with_fallback(bytes: &[u8], preferred: Option<&str>, message: &Message<'_>) -> String {
    let declared = message
        .parts
        .iter()
        .filter_map(|p| p.content_type().and_then(|ct| ct.attribute("charset")));
    let decoder = preferred
        .into_iter()
        .chain(declared)
        .filter_map(decoder_for)
        .find(|_| true)
        .or_else(|| charset_decoder(LAST_RESORT));
    match decoder {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A decoder for a charset name, after removing common garbage: a `3D`
/// prefix (a quoted-printable `=` that leaked into the header), quotes, and
/// `_charset` suffixes. UTF-8 and US-ASCII are not useful for repair.
pub fn decoder_for(name: &str) -> Option<DecoderFnc> {
    let mut name = name.trim().trim_matches('"').trim().to_ascii_lowercase();
    if name.starts_with("3d") {
        name.drain(..2);
    }
    for suffix in ["_charset", "-charset"] {
        if let Some(stripped) = name.strip_suffix(suffix) {
            name = stripped.to_string();
        }
    }
    if name.is_empty() || name.starts_with("utf") || name.contains("ascii") {
        return None;
    }
    charset_decoder(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn undeclared_8bit_body_and_headers_are_repaired() {
        let raw = b"Subject: Houses rise \xa31,100 a week\nContent-Type: text/plain\n\n\
Caf\xe9 cr\xe8me\n";
        let message = MessageParser::default().parse(&raw[..]).expect("parses");
        assert!(message.subject().unwrap_or("").contains('\u{fffd}'));
        let headers = redecoded_headers(&message).expect("8-bit headers");
        let reparsed = MessageParser::default().parse(&headers).expect("parses");
        assert_eq!(reparsed.subject(), Some("Houses rise £1,100 a week"));
        let part = message.text_part(0).expect("text part");
        let text = part.text_contents().unwrap_or("");
        assert_eq!(
            repair_part(&message, part, text).as_deref(),
            Some("Café crème\n")
        );
    }

    #[test]
    fn base64_with_a_plain_footer_is_salvaged() {
        let raw = b"PGh0bWw+SGk8L2h0bWw+\nDQo=\n\n____\nlist footer\n";
        assert_eq!(
            lenient_base64(raw),
            b"<html>Hi</html>\r\n\n____\nlist footer\n"
        );
        assert_eq!(
            lenient_base64(b"not base64 at all!\n"),
            b"not base64 at all!\n"
        );
    }

    #[test]
    fn garbled_charset_names_are_cleaned() {
        assert!(decoder_for("3Dbig5").is_some());
        assert!(decoder_for("\"gb2312_charset\"").is_some());
        assert!(decoder_for("us-ascii").is_none());
        assert!(decoder_for("default").is_none());
    }
}
