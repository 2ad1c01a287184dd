//! The Graph resource shapes the mailbox validates and indexes: `message`,
//! `mailFolder`, `contact`, `event`. Every field is optional unless Graph always
//! sends it; a present field of the wrong type is an error naming its path.
//! Unknown fields are not listed here and pass through untouched.

use serde::Deserialize;

use super::datetime::Timestamp;

/// Graph `emailAddress`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailAddress {
    /// Display name.
    pub name: Option<String>,
    /// SMTP address.
    pub address: Option<String>,
}

/// Graph `recipient`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The recipient's address.
    pub email_address: Option<EmailAddress>,
}

/// Graph `itemBody`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `text` or `html`.
    pub content_type: Option<String>,
    /// The body.
    pub content: Option<String>,
}

/// Graph `followupFlag`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowupFlag {
    /// `notFlagged`, `complete` or `flagged`.
    pub flag_status: Option<String>,
}

/// Graph `message`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Message {
    pub id: String,
    pub parent_folder_id: Option<String>,
    pub conversation_id: Option<String>,
    pub internet_message_id: Option<String>,
    pub subject: Option<String>,
    pub body_preview: Option<String>,
    pub body: Option<ItemBody>,
    pub from: Option<Recipient>,
    pub sender: Option<Recipient>,
    pub to_recipients: Option<Vec<Recipient>>,
    pub cc_recipients: Option<Vec<Recipient>>,
    pub bcc_recipients: Option<Vec<Recipient>>,
    pub reply_to: Option<Vec<Recipient>>,
    pub received_date_time: Option<Timestamp>,
    pub sent_date_time: Option<Timestamp>,
    pub is_read: Option<bool>,
    pub is_draft: Option<bool>,
    pub flag: Option<FollowupFlag>,
    pub importance: Option<String>,
    pub categories: Option<Vec<String>>,
    pub has_attachments: Option<bool>,
    pub change_key: Option<String>,
    pub last_modified_date_time: Option<Timestamp>,
}

/// Graph `mailFolder`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MailFolder {
    pub id: String,
    pub display_name: Option<String>,
    pub parent_folder_id: Option<String>,
    pub well_known_name: Option<String>,
    pub total_item_count: Option<u64>,
    pub unread_item_count: Option<u64>,
}

/// Graph `physicalAddress`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct PhysicalAddress {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country_or_region: Option<String>,
}

/// Graph `contact`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Contact {
    pub id: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub email_addresses: Option<Vec<EmailAddress>>,
    pub business_phones: Option<Vec<String>>,
    pub mobile_phone: Option<String>,
    pub home_phones: Option<Vec<String>>,
    pub company_name: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub addresses: Option<Vec<PhysicalAddress>>,
}

/// Graph `dateTimeTimeZone`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    /// Local date-time without offset, e.g. `2024-06-01T09:00:00.0000000`.
    pub date_time: String,
    /// Time zone name; the mailbox stores calendar instances in UTC.
    pub time_zone: Option<String>,
}

/// Graph `location`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Display name of the place.
    pub display_name: Option<String>,
}

/// Graph `attendee`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    /// The attendee's address.
    pub email_address: Option<EmailAddress>,
    /// `required`, `optional` or `resource`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Graph `event` (an instance from `calendarView`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Event {
    pub id: String,
    pub series_master_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub body: Option<ItemBody>,
    pub start: DateTimeTimeZone,
    pub end: DateTimeTimeZone,
    pub is_all_day: Option<bool>,
    pub location: Option<Location>,
    pub attendees: Option<Vec<Attendee>>,
    pub organizer: Option<Recipient>,
    pub show_as: Option<String>,
    pub is_cancelled: Option<bool>,
    pub sensitivity: Option<String>,
}
