//! Output types shaped like Microsoft Graph resources (camelCase field
//! names, field order as listed in the corpus specification).

use serde::Serialize;
use std::borrow::Cow;

/// Graph `mailFolder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFolder {
    /// `folder-<group>`.
    pub id: String,
    /// Human name, e.g. "Easy ham 1".
    pub display_name: String,
    /// Always `msgfolderroot`.
    pub parent_folder_id: String,
    /// Always null: corpus folders are not well-known folders.
    pub well_known_name: Option<String>,
    /// Messages written for this folder.
    pub total_item_count: u64,
    /// Of which unread.
    pub unread_item_count: u64,
}

/// Graph `emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailAddress {
    /// Display name, "" when absent.
    pub name: String,
    /// The address as written in the source.
    pub address: String,
}

/// Graph `recipient`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The recipient's address.
    pub email_address: EmailAddress,
}

impl Recipient {
    /// A recipient from a name and an address.
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            email_address: EmailAddress {
                name: name.into(),
                address: address.into(),
            },
        }
    }
}

/// Graph `itemBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody<'a> {
    /// `html` or `text`.
    pub content_type: &'static str,
    /// The decoded body.
    pub content: Cow<'a, str>,
}

/// Graph `followupFlag` (only its status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowupFlag {
    /// `notFlagged` or `flagged`.
    pub flag_status: &'static str,
}

/// Where a message came from; not a Graph field (exercises forward
/// compatibility with unknown fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CorpusSource<'a> {
    /// Corpus group, e.g. `easy-ham-1`.
    pub group: &'a str,
    /// File name inside the group.
    pub file: &'a str,
}

/// Graph `message`. Borrows the bulky parts so that replicated copies can
/// be written without cloning bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message<'a> {
    /// `msg-<group>-<file id>` (plus `-r<k>` for replicated copies).
    pub id: String,
    /// Folder id of the message's group.
    pub parent_folder_id: &'a str,
    /// Thread id shared by linked messages.
    pub conversation_id: String,
    /// The Message-ID header, with angle brackets.
    pub internet_message_id: String,
    /// Decoded subject, "" if none.
    pub subject: &'a str,
    /// First 255 characters of the plain-text body, whitespace collapsed.
    pub body_preview: &'a str,
    /// HTML part if any, else the text part.
    pub body: ItemBody<'a>,
    /// First From address.
    pub from: Option<&'a Recipient>,
    /// Sender header, or From.
    pub sender: Option<&'a Recipient>,
    /// To addresses.
    pub to_recipients: &'a [Recipient],
    /// Cc addresses.
    pub cc_recipients: &'a [Recipient],
    /// Bcc addresses.
    pub bcc_recipients: &'a [Recipient],
    /// Reply-To addresses.
    pub reply_to: &'a [Recipient],
    /// Date header in UTC.
    pub received_date_time: String,
    /// Date header in UTC.
    pub sent_date_time: String,
    /// Stable pseudo-random, about 70% true.
    pub is_read: bool,
    /// Always false.
    pub is_draft: bool,
    /// Flag status, about 3% flagged.
    pub flag: FollowupFlag,
    /// `low`, `normal` or `high`.
    pub importance: &'static str,
    /// `["Spam"]` for spam groups, else empty.
    pub categories: &'a [&'static str],
    /// True if any attachment part.
    pub has_attachments: bool,
    /// Stable hash string.
    pub change_key: String,
    /// Equal to `receivedDateTime`.
    pub last_modified_date_time: String,
    /// Corpus provenance (not a Graph field).
    #[serde(rename = "x-corpus")]
    pub x_corpus: CorpusSource<'a>,
}

/// Graph `physicalAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalAddress {
    /// Street (with extended address and PO box, if any).
    pub street: String,
    /// Locality.
    pub city: String,
    /// Region.
    pub state: String,
    /// Postal code.
    pub postal_code: String,
    /// Country.
    pub country_or_region: String,
}

/// Graph `contact`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// `contact-<hash>`.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Given name, "" when unknown.
    pub given_name: String,
    /// Surname, "" when unknown.
    pub surname: String,
    /// E-mail addresses.
    pub email_addresses: Vec<EmailAddress>,
    /// Work (and untyped) phones.
    pub business_phones: Vec<String>,
    /// Home phones.
    pub home_phones: Vec<String>,
    /// First cell phone.
    pub mobile_phone: Option<String>,
    /// First ORG component.
    pub company_name: Option<String>,
    /// TITLE.
    pub job_title: Option<String>,
    /// Second ORG component.
    pub department: Option<String>,
    /// Locality of the work address.
    pub office_location: Option<String>,
    /// All ADR entries.
    pub addresses: Vec<PhysicalAddress>,
}

impl Contact {
    /// A contact with only names and e-mail addresses filled in.
    pub fn with_names(
        id: String,
        display_name: String,
        given_name: String,
        surname: String,
    ) -> Self {
        Self {
            id,
            display_name,
            given_name,
            surname,
            email_addresses: Vec::new(),
            business_phones: Vec::new(),
            home_phones: Vec::new(),
            mobile_phone: None,
            company_name: None,
            job_title: None,
            department: None,
            office_location: None,
            addresses: Vec::new(),
        }
    }
}

/// Graph `dateTimeTimeZone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    /// `YYYY-MM-DDTHH:MM:SS.0000000`.
    pub date_time: String,
    /// Always `UTC`.
    pub time_zone: &'static str,
}

/// Graph `location` (only its display name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// LOCATION or "".
    pub display_name: String,
}

/// Graph `responseStatus` (only the response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResponseStatus {
    /// Always `none`.
    pub response: &'static str,
}

/// Graph `attendee`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// CN and address (mailto: stripped).
    pub email_address: EmailAddress,
    /// `required` or `optional`.
    #[serde(rename = "type")]
    pub attendee_type: &'static str,
    /// Response status.
    pub status: ResponseStatus,
}

/// Graph `event`, as one instance returned by calendarView.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `evt-<hash of file, UID, instance start>`.
    pub id: String,
    /// `evt-master-<hash of file, UID>` for occurrences, else null.
    pub series_master_id: Option<String>,
    /// `occurrence` or `singleInstance`.
    #[serde(rename = "type")]
    pub event_type: &'static str,
    /// SUMMARY or "".
    pub subject: String,
    /// DESCRIPTION as text.
    pub body: ItemBody<'static>,
    /// Start in UTC.
    pub start: DateTimeTimeZone,
    /// End in UTC, never before start.
    pub end: DateTimeTimeZone,
    /// DTSTART is a DATE.
    pub is_all_day: bool,
    /// LOCATION.
    pub location: Location,
    /// ATTENDEEs.
    pub attendees: Vec<Attendee>,
    /// ORGANIZER.
    pub organizer: Option<Recipient>,
    /// `free` (TRANSP:TRANSPARENT) or `busy`.
    pub show_as: &'static str,
    /// STATUS:CANCELLED.
    pub is_cancelled: bool,
    /// From CLASS.
    pub sensitivity: &'static str,
}
