//! What the store indexes about an item. These values are blinded (ids, names,
//! addresses) or kept in clear (timestamps, the unread flag) by the mailbox layer;
//! SECURITY.md lists which.

use super::datetime::Timestamp;
use super::graph::{Contact, DateTimeTimeZone, Event, Message};

/// Longest name or address prefix that gets its own blinded search tag.
pub const PREFIX_LEN: usize = 12;

/// Time zone names that mean UTC. Calendar instances must arrive in UTC (ask Graph
/// with `Prefer: outlook.timezone="UTC"`), because a browser library cannot carry
/// the Windows time-zone database.
const UTC_NAMES: [&str; 4] = [
    "UTC",
    "Etc/UTC",
    "Coordinated Universal Time",
    "tzone://Microsoft/Utc",
];

/// The indexed facts of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    /// A message: where it is listed, how it threads, when it arrived, whether it is unread.
    Message {
        /// `parentFolderId`.
        folder: Option<String>,
        /// `conversationId`.
        conversation: Option<String>,
        /// `receivedDateTime` (else `sentDateTime`), for newest-first order.
        received: Option<Timestamp>,
        /// `isRead == false`.
        unread: bool,
    },
    /// A mail folder (nothing indexed).
    Folder,
    /// A contact: autocomplete prefixes and exact addresses.
    Contact {
        /// Normalized prefixes of every name word and address.
        prefixes: Vec<String>,
        /// Normalized addresses.
        emails: Vec<String>,
    },
    /// An event instance: its interval in UTC.
    Event {
        /// Start, UTC milliseconds.
        start: Timestamp,
        /// End, UTC milliseconds.
        end: Timestamp,
    },
}

impl Facts {
    /// The facts of a message.
    pub fn of_message(message: &Message) -> Self {
        Self::Message {
            folder: message.parent_folder_id.clone(),
            conversation: message.conversation_id.clone(),
            received: message.received_date_time.or(message.sent_date_time),
            unread: message.is_read == Some(false),
        }
    }

    /// The facts of a contact.
    pub fn of_contact(contact: &Contact) -> Self {
        let emails: Vec<String> = contact
            .email_addresses
            .iter()
            .flatten()
            .filter_map(|e| e.address.as_deref())
            .map(normalize_address)
            .filter(|a| !a.is_empty())
            .collect();
        let names = [&contact.display_name, &contact.given_name, &contact.surname];
        let mut words: Vec<String> = names
            .iter()
            .filter_map(|n| n.as_deref())
            .flat_map(words)
            .collect();
        words.extend(emails.iter().cloned());
        let mut prefixes: Vec<String> = words.iter().flat_map(|word| prefixes_of(word)).collect();
        prefixes.sort();
        prefixes.dedup();
        Self::Contact { prefixes, emails }
    }

    /// The facts of an event instance; `Err((field, reason))` if its times are unusable.
    pub fn of_event(event: &Event) -> Result<Self, (&'static str, String)> {
        let start = utc(&event.start).map_err(|reason| ("start", reason))?;
        let end = utc(&event.end).map_err(|reason| ("end", reason))?;
        if end < start {
            return Err(("end.dateTime", "must not be before start.dateTime".into()));
        }
        Ok(Self::Event { start, end })
    }
}

fn utc(value: &DateTimeTimeZone) -> Result<Timestamp, String> {
    if let Some(zone) = value
        .time_zone
        .as_deref()
        .filter(|z| !UTC_NAMES.contains(z))
    {
        return Err(format!(
            "time zone \"{zone}\" is not UTC; request calendarView with the header Prefer: outlook.timezone=\"UTC\""
        ));
    }
    Timestamp::parse_utc_local(&value.date_time).ok_or_else(|| {
        format!(
            "dateTime \"{}\" is not an ISO 8601 local date-time",
            value.date_time
        )
    })
}

/// Lower-cased, trimmed address, the form `contactByEmail` compares.
pub fn normalize_address(address: &str) -> String {
    address.trim().to_lowercase()
}

/// The tag a search for `query` looks up: normalized and cut to [`PREFIX_LEN`] characters.
///
/// ```
/// assert_eq!(offline_mailbox::model::search_prefix("  ADEle"), "adele");
/// ```
pub fn search_prefix(query: &str) -> String {
    query
        .trim()
        .to_lowercase()
        .chars()
        .take(PREFIX_LEN)
        .collect()
}

/// The lower-cased words of a name, split at spaces and punctuation that separates words.
pub fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| c.is_whitespace() || ",;()\"'".contains(c))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn prefixes_of(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefix = String::new();
    for c in word.chars().take(PREFIX_LEN) {
        prefix.push(c);
        out.push(prefix.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact(value: serde_json::Value) -> Contact {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn contact_prefixes_cover_names_and_addresses() {
        let facts = Facts::of_contact(&contact(json!({
            "id": "c", "displayName": "Adele Vance", "emailAddresses": [{"address": "AdeleV@Contoso.example"}]
        })));
        let Facts::Contact { prefixes, emails } = facts else {
            panic!()
        };
        assert_eq!(emails, ["adelev@contoso.example"]);
        for expected in ["a", "ad", "adele", "v", "vance", "adelev@conto"] {
            assert!(prefixes.contains(&expected.to_owned()), "{expected}");
        }
        assert!(prefixes.iter().all(|p| p.chars().count() <= PREFIX_LEN));
    }

    #[test]
    fn event_times_must_be_utc_and_ordered() {
        let event = |start: &str, zone: &str| -> Event {
            serde_json::from_value(json!({"id": "e",
                "start": {"dateTime": start, "timeZone": zone},
                "end": {"dateTime": "2024-06-01T10:00:00.0000000", "timeZone": "UTC"}}))
            .unwrap()
        };
        assert!(matches!(
            Facts::of_event(&event("2024-06-01T09:00:00.0000000", "UTC")),
            Ok(Facts::Event { .. })
        ));
        assert_eq!(
            Facts::of_event(&event("2024-06-01T09:00:00", "Pacific Standard Time"))
                .unwrap_err()
                .0,
            "start"
        );
        assert_eq!(
            Facts::of_event(&event("2024-06-01T11:00:00", "UTC"))
                .unwrap_err()
                .0,
            "end.dateTime"
        );
    }

    #[test]
    fn unread_means_is_read_false() {
        let message: Message = serde_json::from_value(
            json!({"id": "m", "isRead": false, "sentDateTime": "2024-01-01T00:00:00Z"}),
        )
        .unwrap();
        let Facts::Message {
            unread, received, ..
        } = Facts::of_message(&message)
        else {
            panic!()
        };
        assert!(unread);
        assert_eq!(received, Timestamp::parse("2024-01-01T00:00:00Z"));
    }
}
