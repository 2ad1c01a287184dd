//! Spam Assassin corpus → Graph `message` and `mailFolder` records.
//!
//! Each corpus file is JSON (`{"id", "group", "checksum", "text"}`); the
//! package also ships the original bytes next to it as `.txt`. The JSON
//! `text` was produced by decoding those bytes as UTF-8 with replacement
//! characters, so 8-bit bodies in other charsets are damaged there. The raw
//! `.txt` is therefore preferred whenever its MD5 matches the JSON
//! checksum; otherwise the JSON text is used.

use crate::dates::{message_date, DateSource};
use crate::graph::{self, CorpusSource, FollowupFlag, ItemBody, MailFolder, Recipient};
use crate::repair::{redecoded_headers, repair_part, salvage_part};
use crate::skips::Tally;
use crate::threading::{conversation_ids, normalize_message_id, ThreadLinks};
use crate::util::{collapse_whitespace, graph_utc, percent, short_hash};
use chrono::{DateTime, Duration, Utc};
use mail_parser::decoders::html::html_to_text;
use mail_parser::{
    Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use md5::{Digest, Md5};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Number of characters kept in `bodyPreview`.
pub const PREVIEW_CHARS: usize = 255;

/// Domain of synthesised Message-IDs.
const SYNTHETIC_DOMAIN: &str = "corpus.offline-mailbox.invalid";

/// Categories given to messages of the spam groups.
const SPAM_CATEGORIES: &[&str] = &["Spam"];

/// One corpus file as stored in the dataset package.
#[derive(Debug, Deserialize)]
struct DatasetFile {
    id: String,
    #[serde(default)]
    checksum: Option<Checksum>,
    text: String,
}

/// The checksum object of a dataset file.
#[derive(Debug, Deserialize)]
struct Checksum {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

/// One raw message read from the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMail {
    /// Corpus group (the folder name), e.g. `easy-ham-1`.
    pub group: String,
    /// File name of the JSON file.
    pub file: String,
    /// The dataset's `id`, e.g. `00001`.
    pub file_id: String,
    /// The RFC 822 bytes.
    pub raw: Vec<u8>,
}

/// The corpus as read from disk: groups (sorted) and their messages.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Group names, sorted.
    pub groups: Vec<String>,
    /// Messages, by group then file name.
    pub mails: Vec<SourceMail>,
}

/// Reads every group folder of the Spam Assassin dataset under `dir`.
/// Unreadable files are counted in `skipped`; notable repairs in `notes`.
pub fn load_corpus(dir: &Path, skipped: &mut Tally, notes: &mut Tally) -> io::Result<Corpus> {
    let mut corpus = Corpus::default();
    for group_dir in sorted_entries(dir, |p| p.is_dir())? {
        let Some(group) = file_name(&group_dir) else {
            continue;
        };
        let files = sorted_entries(&group_dir, |p| {
            p.is_file() && p.extension().is_some_and(|e| e == "json")
        })?;
        if files.is_empty() {
            continue;
        }
        for path in files {
            match read_source(&path, &group, notes) {
                Ok(mail) => corpus.mails.push(mail),
                Err(reason) => skipped.add(reason),
            }
        }
        corpus.groups.push(group);
    }
    Ok(corpus)
}

/// Entries of `dir` that satisfy `keep`, sorted by path.
pub fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| keep(path))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The last path component as a String.
fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Reads one dataset JSON file (and its raw `.txt` sibling if trustworthy).
fn read_source(path: &Path, group: &str, notes: &mut Tally) -> Result<SourceMail, &'static str> {
    let bytes = fs::read(path).map_err(|_| "mail: unreadable file")?;
    let dataset: DatasetFile =
        serde_json::from_slice(&bytes).map_err(|_| "mail: invalid dataset JSON")?;
    let file = file_name(path).unwrap_or_default();
    let raw = match raw_sibling(path, dataset.checksum.as_ref()) {
        RawSibling::Verified(raw) => raw,
        RawSibling::Mismatch => {
            notes.add("mail: raw .txt does not match its MD5, used the JSON text");
            dataset.text.into_bytes()
        }
        RawSibling::Missing => dataset.text.into_bytes(),
    };
    Ok(SourceMail {
        group: group.to_string(),
        file,
        file_id: dataset.id,
        raw,
    })
}

/// Outcome of looking for the raw bytes next to a dataset file.
enum RawSibling {
    Verified(Vec<u8>),
    Mismatch,
    Missing,
}

/// Reads `<name>.txt` next to `<name>.json` and checks it against the MD5
/// checksum of the dataset entry (when there is one).
fn raw_sibling(json_path: &Path, checksum: Option<&Checksum>) -> RawSibling {
    let Ok(raw) = fs::read(json_path.with_extension("txt")) else {
        return RawSibling::Missing;
    };
    match checksum {
        Some(sum) if sum.kind.eq_ignore_ascii_case("md5") => {
            if md5_hex(&raw).eq_ignore_ascii_case(sum.value.trim()) {
                RawSibling::Verified(raw)
            } else {
                RawSibling::Mismatch
            }
        }
        _ => RawSibling::Verified(raw),
    }
}

/// Lowercase hex MD5.
fn md5_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Md5::digest(bytes)
        .iter()
        .fold(String::with_capacity(32), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A parsed corpus message: everything needed to write Graph messages and
/// mail-derived contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItem {
    /// `msg-<group>-<file id>`.
    pub id: String,
    /// `folder-<group>`.
    pub folder_id: String,
    /// Corpus group.
    pub group: String,
    /// Corpus file name.
    pub file: String,
    /// Message-ID without angle brackets (synthesised if absent).
    pub message_id: String,
    /// In-Reply-To ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids, without angle brackets.
    pub references: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// `bodyPreview`.
    pub preview: String,
    /// `html` or `text`.
    pub body_type: &'static str,
    /// Decoded body.
    pub body: String,
    /// All From addresses (the first is Graph's `from`).
    pub from: Vec<Recipient>,
    /// Sender header.
    pub sender: Option<Recipient>,
    /// To.
    pub to: Vec<Recipient>,
    /// Cc.
    pub cc: Vec<Recipient>,
    /// Bcc.
    pub bcc: Vec<Recipient>,
    /// Reply-To.
    pub reply_to: Vec<Recipient>,
    /// Sent / received date in UTC.
    pub date: DateTime<Utc>,
    /// `low`, `normal` or `high`.
    pub importance: &'static str,
    /// Whether any attachment part exists.
    pub has_attachments: bool,
    /// Short hash of the raw bytes.
    pub content_hash: String,
    /// Conversation id (filled in by [`assign_conversations`]).
    pub conversation_id: String,
}

/// Parses one corpus message. Returns the reason when it has to be skipped.
pub fn parse_mail(src: &SourceMail) -> Result<(MailItem, DateSource), &'static str> {
    let (mbox_line, rfc822) = split_mbox_line(&src.raw);
    let message = MessageParser::default()
        .parse(rfc822)
        .ok_or("mail: unparseable message")?;
    if message.headers().is_empty() {
        return Err("mail: no headers");
    }
    // Raw 8-bit headers: parse them again after decoding with a fallback
    // charset, for subjects and display names damaged by U+FFFD.
    let redecoded = redecoded_headers(&message);
    let repaired = redecoded
        .as_deref()
        .and_then(|headers| MessageParser::default().parse(headers));
    let headers = Headers {
        original: &message,
        repaired: repaired.as_ref(),
    };
    let (date, date_source) = message_date(&message, mbox_line, &[&src.group, &src.file]);
    let body = main_body(&message);
    let has_attachments = message.attachments.iter().any(|&id| Some(id) != body.part);
    let from = headers.recipients(|m| Box::new(m.from().into_iter()));
    let sender = headers
        .recipients(|m| Box::new(m.sender().into_iter()))
        .into_iter()
        .next()
        .or_else(|| from.first().cloned());
    let item = MailItem {
        id: format!("msg-{}-{}", src.group, src.file_id),
        folder_id: folder_id(&src.group),
        group: src.group.clone(),
        file: src.file.clone(),
        message_id: message_id_or_synthetic(&message, src),
        in_reply_to: id_list(message.in_reply_to()),
        references: id_list(message.references()),
        subject: headers.subject(),
        preview: preview(&message, &body),
        body_type: body.content_type,
        body: body.content,
        from,
        sender,
        to: headers.recipients(|m| Box::new(m.all_to())),
        cc: headers.recipients(|m| Box::new(m.all_cc())),
        bcc: headers.recipients(|m| Box::new(m.all_bcc())),
        reply_to: headers.recipients(|m| Box::new(m.reply_to().into_iter())),
        date,
        importance: importance(&message),
        has_attachments,
        content_hash: short_hash(&[&md5_hex(&src.raw)]),
        conversation_id: String::new(),
    };
    Ok((item, date_source))
}

/// An iterator over the address lists of one header.
type AddressLists<'m> = Box<dyn Iterator<Item = &'m Address<'m>> + 'm>;

/// The parsed headers, and the same headers parsed again after charset
/// repair (when they held raw 8-bit bytes).
struct Headers<'a, 'm> {
    original: &'a Message<'m>,
    repaired: Option<&'a Message<'a>>,
}

impl<'a> Headers<'a, '_> {
    /// The decoded subject ("" if none), from the repaired headers when the
    /// original was damaged.
    fn subject(&self) -> String {
        let original = self.original.subject().unwrap_or("");
        let subject = match self.repaired.and_then(Message::subject) {
            Some(repaired) if damaged(original) => repaired,
            _ => original,
        };
        subject.trim().to_string()
    }

    /// Recipients of one header, from the repaired headers when a display
    /// name or address of the original was damaged.
    fn recipients(
        &self,
        lists: impl for<'x> Fn(&'x Message<'x>) -> AddressLists<'x>,
    ) -> Vec<Recipient> {
        let original = recipients(lists(self.original));
        match self.repaired {
            Some(repaired) if damaged_names(&original) => recipients(lists(repaired)),
            _ => original,
        }
    }
}

/// Splits off a leading mbox `From ` line, returning it and the rest.
pub fn split_mbox_line(raw: &[u8]) -> (Option<&str>, &[u8]) {
    if !raw.starts_with(b"From ") {
        return (None, raw);
    }
    let end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let line = std::str::from_utf8(&raw[..end]).ok().map(str::trim_end);
    let rest = raw.get(end + 1..).unwrap_or(&[]);
    (line, rest)
}

/// The Message-ID without brackets, or a stable synthetic one.
fn message_id_or_synthetic(message: &Message<'_>, src: &SourceMail) -> String {
    message
        .message_id()
        .map(normalize_message_id)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| {
            format!(
                "corpus-{}@{SYNTHETIC_DOMAIN}",
                short_hash(&[&src.group, &src.file])
            )
        })
}

/// Message ids of an In-Reply-To or References header.
fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<String> = match value {
        HeaderValue::Text(id) => vec![normalize_message_id(id)],
        HeaderValue::TextList(ids) => ids.iter().map(|id| normalize_message_id(id)).collect(),
        _ => Vec::new(),
    };
    ids.into_iter().filter(|id| !id.is_empty()).collect()
}

/// Recipients with an address, in order; names "" when absent.
fn recipients<'a>(addresses: impl Iterator<Item = &'a Address<'a>>) -> Vec<Recipient> {
    addresses
        .flat_map(|address| address.iter())
        .filter_map(|addr| {
            let address = addr.address()?.trim();
            if address.is_empty() {
                return None;
            }
            let name = addr.name().unwrap_or("").trim();
            Some(Recipient::new(name, address))
        })
        .collect()
}

/// The chosen body: `html` or `text`, its decoded content, and the part it
/// came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// `html` or `text`.
    pub content_type: &'static str,
    /// Decoded content.
    pub content: String,
    /// Index of the part in the message, if any.
    pub part: Option<u32>,
}

/// The HTML body part if there is one, else the first text part; decoded
/// from its charset (see [`crate::repair`] for undeclared charsets). When
/// `mail-parser` found no body (broken base64, a boundary that does not
/// match, a malformed Content-Type), the first text-like part it kept as an
/// attachment is salvaged instead.
pub fn main_body(message: &Message<'_>) -> Body {
    let html = message.html_body.iter().copied().find(|&id| {
        message
            .part(id)
            .is_some_and(|p| matches!(p.body, PartType::Html(_)))
    });
    let text = message.text_body.iter().copied().find(|&id| {
        message
            .part(id)
            .is_some_and(|p| matches!(p.body, PartType::Text(_)))
    });
    if let Some((id, part)) = html.or(text).and_then(|id| Some((id, message.part(id)?))) {
        let content_type = if html.is_some() { "html" } else { "text" };
        return Body {
            content_type,
            content: part_text(message, part).into_owned(),
            part: Some(id),
        };
    }
    salvaged_body(message).unwrap_or(Body {
        content_type: "text",
        content: String::new(),
        part: None,
    })
}

/// The first attachment that `mail-parser` read as text, decoded as well as
/// possible.
fn salvaged_body(message: &Message<'_>) -> Option<Body> {
    message.attachments.iter().copied().find_map(|id| {
        let part = message.part(id)?;
        let is_text = matches!(part.body, PartType::Text(_) | PartType::Html(_));
        let is_attached_file = part
            .content_disposition()
            .is_some_and(|d| d.is_attachment());
        if !is_text || is_attached_file {
            return None;
        }
        let content = if part.is_encoding_problem {
            salvage_part(message, part)?
        } else {
            part_text(message, part).into_owned()
        };
        Some(Body {
            content_type: if looks_like_html(part, &content) {
                "html"
            } else {
                "text"
            },
            content,
            part: Some(id),
        })
    })
}

/// Whether a salvaged part is HTML: declared `text/html…`, or plain text
/// that starts with an HTML tag.
fn looks_like_html(part: &MessagePart<'_>, content: &str) -> bool {
    let declared = part
        .content_type()
        .and_then(|ct| ct.subtype())
        .is_some_and(|sub| sub.to_ascii_lowercase().starts_with("html"));
    let start = content
        .trim_start()
        .get(..5)
        .unwrap_or("")
        .to_ascii_lowercase();
    declared || matches!(part.body, PartType::Html(_)) || start == "<html" || start == "<!doc"
}

/// The decoded text of a text or HTML part, repaired when its charset was
/// missing or unknown.
fn part_text<'a>(message: &Message<'_>, part: &'a MessagePart<'_>) -> Cow<'a, str> {
    let decoded = part.text_contents().unwrap_or("");
    match repair_part(message, part, decoded) {
        Some(repaired) => Cow::Owned(repaired),
        None => Cow::Borrowed(decoded),
    }
}

/// First [`PREVIEW_CHARS`] characters of the plain-text body (the first
/// text part, else the chosen body with HTML converted to text), whitespace
/// collapsed.
fn preview(message: &Message<'_>, body: &Body) -> String {
    let text_part = message
        .text_body
        .first()
        .and_then(|&id| message.part(id))
        .filter(|p| matches!(p.body, PartType::Text(_)));
    let text = match text_part {
        Some(part) => part_text(message, part),
        None if body.content_type == "html" => Cow::Owned(html_to_text(&body.content)),
        None => Cow::Borrowed(body.content.as_str()),
    };
    collapse_whitespace(&text, PREVIEW_CHARS)
}

/// Whether a text was damaged by decoding non-UTF-8 bytes as UTF-8.
fn damaged(text: &str) -> bool {
    text.contains('\u{fffd}')
}

/// Whether any display name or address in the recipients was damaged.
fn damaged_names(recipients: &[Recipient]) -> bool {
    recipients
        .iter()
        .any(|r| damaged(&r.email_address.name) || damaged(&r.email_address.address))
}

/// `high` for X-Priority 1/2 or Importance: high, `low` for 4/5 or
/// Importance: low, else `normal`.
pub fn importance(message: &Message<'_>) -> &'static str {
    let priority = message
        .header_raw("X-Priority")
        .and_then(|v| v.trim().chars().next());
    match priority {
        Some('1' | '2') => return "high",
        Some('4' | '5') => return "low",
        _ => {}
    }
    let importance = message
        .header_raw("Importance")
        .map(|v| v.trim().to_ascii_lowercase());
    match importance.as_deref() {
        Some("high") => "high",
        Some("low") => "low",
        _ => "normal",
    }
}

/// `folder-<group>`.
pub fn folder_id(group: &str) -> String {
    format!("folder-{group}")
}

/// "easy-ham-1" → "Easy ham 1".
pub fn folder_display_name(group: &str) -> String {
    let spaced = group.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether messages of this group are spam.
fn is_spam_group(group: &str) -> bool {
    group.to_ascii_lowercase().starts_with("spam")
}

/// Parses every corpus message, counting skips and date fallbacks; makes
/// message ids unique; assigns conversation ids.
pub fn parse_corpus(corpus: &Corpus, skipped: &mut Tally, notes: &mut Tally) -> Vec<MailItem> {
    let mut items = Vec::with_capacity(corpus.mails.len());
    let mut seen_ids = HashSet::new();
    for src in &corpus.mails {
        match parse_mail(src) {
            Ok((mut item, date_source)) => {
                match date_source {
                    DateSource::Header => {}
                    DateSource::RepairedHeader => notes.add("mail: malformed Date header repaired"),
                    DateSource::MboxLine => notes.add("mail: date taken from the mbox From line"),
                    DateSource::Fallback => notes.add("mail: date synthesised in 2002"),
                }
                if !seen_ids.insert(item.id.clone()) {
                    notes.add("mail: duplicate file id, suffixed");
                    item.id = format!("{}-{}", item.id, short_hash(&[&item.file]));
                    seen_ids.insert(item.id.clone());
                }
                items.push(item);
            }
            Err(reason) => skipped.add(reason),
        }
    }
    assign_conversations(&mut items);
    items
}

/// Fills `conversation_id` of every item by threading the whole corpus.
pub fn assign_conversations(items: &mut [MailItem]) {
    let links: Vec<ThreadLinks> = items
        .iter()
        .map(|item| ThreadLinks {
            message_id: item.message_id.clone(),
            in_reply_to: item.in_reply_to.clone(),
            references: item.references.clone(),
            timestamp: item.date.timestamp(),
        })
        .collect();
    for (item, conversation) in items.iter_mut().zip(conversation_ids(&links)) {
        item.conversation_id = conversation;
    }
}

impl MailItem {
    /// The Graph message for replica `copy` (0 = the real message, k > 0 =
    /// ids suffixed with `-r<k>` and dates moved back k weeks).
    pub fn to_graph(&self, copy: u32) -> graph::Message<'_> {
        let suffix = if copy == 0 {
            String::new()
        } else {
            format!("-r{copy}")
        };
        let id = format!("{}{suffix}", self.id);
        let shifted = Duration::try_days(7 * i64::from(copy))
            .and_then(|shift| self.date.checked_sub_signed(shift))
            .unwrap_or(self.date);
        let when = graph_utc(&shifted);
        let is_read = percent(&[&id, "read"]) < 70;
        let flagged = percent(&[&id, "flag"]) < 3;
        graph::Message {
            parent_folder_id: &self.folder_id,
            conversation_id: format!("{}{suffix}", self.conversation_id),
            internet_message_id: format!("<{}{suffix}>", self.message_id),
            subject: &self.subject,
            body_preview: &self.preview,
            body: ItemBody {
                content_type: self.body_type,
                content: Cow::Borrowed(&self.body),
            },
            from: self.from.first(),
            sender: self.sender.as_ref(),
            to_recipients: &self.to,
            cc_recipients: &self.cc,
            bcc_recipients: &self.bcc,
            reply_to: &self.reply_to,
            received_date_time: when.clone(),
            sent_date_time: when.clone(),
            is_read,
            is_draft: false,
            flag: FollowupFlag {
                flag_status: if flagged { "flagged" } else { "notFlagged" },
            },
            importance: self.importance,
            categories: if is_spam_group(&self.group) {
                SPAM_CATEGORIES
            } else {
                &[]
            },
            has_attachments: self.has_attachments,
            change_key: short_hash(&[&id, &self.content_hash]),
            last_modified_date_time: when,
            x_corpus: CorpusSource {
                group: &self.group,
                file: &self.file,
            },
            id,
        }
    }
}

/// One folder per corpus group, with counts of the messages written.
pub fn folders(groups: &[String], items: &[MailItem]) -> Vec<MailFolder> {
    groups
        .iter()
        .map(|group| {
            let in_group = items.iter().filter(|i| &i.group == group);
            let (total, unread) = in_group.fold((0, 0), |(total, unread), item| {
                (total + 1, unread + u64::from(!item.to_graph(0).is_read))
            });
            MailFolder {
                id: folder_id(group),
                display_name: folder_display_name(group),
                parent_folder_id: "msgfolderroot".to_string(),
                well_known_name: None,
                total_item_count: total,
                unread_item_count: unread,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(raw: &[u8]) -> SourceMail {
        SourceMail {
            group: "easy-ham-1".into(),
            file: "00001.abc.json".into(),
            file_id: "00001".into(),
            raw: raw.to_vec(),
        }
    }

    #[test]
    fn latin1_quoted_printable_is_decoded() {
        // Subject in RFC 2047 Q-encoding, body in quoted-printable
        // ISO-8859-1, plus one raw 8-bit Latin-1 byte in a second part.
        let raw = b"From someone@example.com  Thu Aug 22 12:36:23 2002\n\
Message-ID: <m1@example.com>\n\
From: =?ISO-8859-1?Q?Fran=E7ois_B=E9nard?= <fb@example.com>\n\
To: Zo\xe9 <zoe@example.com>\n\
Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\n\
Date: Thu, 22 Aug 2002 07:36:16 -0400\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=\"iso-8859-1\"\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
Voil=E0 le caf=E9, tr=E8s  bon.\n\
=A9 2002\n";
        let (item, source) = parse_mail(&source(raw)).expect("parses");
        assert_eq!(source, DateSource::Header);
        assert_eq!(item.subject, "Café crème");
        assert_eq!(item.body_type, "text");
        assert!(
            item.body.contains("Voilà le café, très  bon."),
            "{}",
            item.body
        );
        assert!(item.body.contains("© 2002"));
        assert_eq!(item.preview, "Voilà le café, très bon. © 2002");
        assert_eq!(item.from[0].email_address.name, "François Bénard");
        assert_eq!(item.from[0].email_address.address, "fb@example.com");
        assert_eq!(item.message_id, "m1@example.com");
        assert_eq!(item.to_graph(0).internet_message_id, "<m1@example.com>");
    }

    #[test]
    fn html_part_is_preferred_and_charset_decoded() {
        let raw = b"Message-ID: <m2@example.com>\n\
Subject: multipart\n\
Content-Type: multipart/alternative; boundary=\"XX\"\n\
\n\
--XX\n\
Content-Type: text/plain; charset=windows-1252\n\
Content-Transfer-Encoding: 8bit\n\
\n\
Price: \x80 5\n\
--XX\n\
Content-Type: text/html; charset=iso-8859-1\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
<p>Gr=FC=DFe</p>\n\
--XX--\n";
        let (item, source) = parse_mail(&source(raw)).expect("parses");
        assert_eq!(item.body_type, "html");
        assert!(item.body.contains("<p>Grüße</p>"), "{}", item.body);
        assert_eq!(item.preview, "Price: € 5");
        // No Date header and no mbox line: stable fallback in 2002.
        assert_eq!(source, DateSource::Fallback);
        assert_eq!(item.date.format("%Y").to_string(), "2002");
    }

    #[test]
    fn mbox_line_date_is_the_fallback() {
        let raw = b"From a@b.c  Sat Oct  5 17:23:18 2002\nDate: garbage\nSubject: x\n\nbody\n";
        let (item, source) = parse_mail(&source(raw)).expect("parses");
        assert_eq!(source, DateSource::MboxLine);
        assert_eq!(graph_utc(&item.date), "2002-10-05T17:23:18Z");
    }

    #[test]
    fn importance_headers() {
        let parse = |raw: &[u8]| parse_mail(&source(raw)).expect("parses").0.importance;
        assert_eq!(parse(b"X-Priority: 1 (Highest)\nSubject: a\n\nb\n"), "high");
        assert_eq!(parse(b"X-Priority: 5\nSubject: a\n\nb\n"), "low");
        assert_eq!(parse(b"Importance: High\nSubject: a\n\nb\n"), "high");
        assert_eq!(parse(b"X-Priority: 3\nSubject: a\n\nb\n"), "normal");
    }

    #[test]
    fn replicas_shift_ids_and_dates() {
        let raw = b"Message-ID: <r@x>\nDate: Thu, 22 Aug 2002 12:00:00 +0000\nSubject: a\n\nb\n";
        let (mut item, _) = parse_mail(&source(raw)).expect("parses");
        item.conversation_id = "conv-1".into();
        let copy = item.to_graph(2);
        assert_eq!(copy.id, "msg-easy-ham-1-00001-r2");
        assert_eq!(copy.internet_message_id, "<r@x-r2>");
        assert_eq!(copy.conversation_id, "conv-1-r2");
        assert_eq!(copy.sent_date_time, "2002-08-08T12:00:00Z");
        assert_eq!(copy.last_modified_date_time, copy.received_date_time);
    }

    #[test]
    fn folder_names() {
        assert_eq!(folder_display_name("easy-ham-1"), "Easy ham 1");
        assert_eq!(folder_id("spam-2"), "folder-spam-2");
    }
}
