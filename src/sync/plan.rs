//! What a sync asks the server for: one delta query per scope, the links it may
//! follow, and where it has got to. Pure Rust.

use crate::model::Kind;

/// One delta query a sync runs: the kind and scope its pages are applied to, and
/// the path (under the Graph base URL) that starts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// The kind of item its pages hold.
    pub kind: Kind,
    /// The scope `applyDelta` stores them under.
    pub scope: String,
    /// The path of the first request, such as `/me/mailFolders/delta`.
    pub path: String,
}

/// A calendar window as ISO 8601 UTC texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarWindow {
    /// First instant (inclusive).
    pub start: String,
    /// Last instant (exclusive).
    pub end: String,
}

/// The delta queries of a sync, in order: the folder list first (messages are
/// stored under folder ids it names), then each chosen folder's messages, then
/// contacts and the calendar window.
///
/// ```
/// use offline_mailbox::sync::{pulls, CalendarWindow};
/// let plan = pulls(&["inbox".to_owned()], true, None);
/// assert_eq!(plan[1].path, "/me/mailFolders/inbox/messages/delta");
/// ```
pub fn pulls(folders: &[String], contacts: bool, calendar: Option<&CalendarWindow>) -> Vec<Pull> {
    let mut out = vec![Pull {
        kind: Kind::MailFolder,
        scope: String::new(),
        path: "/me/mailFolders/delta".into(),
    }];
    for folder in folders {
        out.push(Pull {
            kind: Kind::Message,
            scope: folder.clone(),
            path: format!("/me/mailFolders/{}/messages/delta", encode_segment(folder)),
        });
    }
    if contacts {
        out.push(Pull {
            kind: Kind::Contact,
            scope: String::new(),
            path: "/me/contacts/delta".into(),
        });
    }
    if let Some(window) = calendar {
        out.push(Pull {
            kind: Kind::Event,
            // A new window is a new scope: its events are another set.
            scope: format!("{}/{}", window.start, window.end),
            path: format!(
                "/me/calendarView/delta?startDateTime={}&endDateTime={}",
                encode_segment(&window.start),
                encode_segment(&window.end)
            ),
        });
    }
    out
}

/// Whether a link the server sent (`@odata.nextLink`, `@odata.deltaLink`) stays
/// on the organization's server: a link anywhere else is not followed.
///
/// ```
/// use offline_mailbox::sync::on_origin;
/// assert!(on_origin("https://mail.contoso.com/v1.0/me/x", "https://mail.contoso.com"));
/// assert!(!on_origin("https://mail.contoso.com.evil.example/x", "https://mail.contoso.com"));
/// ```
pub fn on_origin(link: &str, origin: &str) -> bool {
    link.strip_prefix(origin)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Percent-encodes a path segment or query value (Graph ids hold `/`, `+` and `=`).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_come_first_then_messages_contacts_and_the_calendar() {
        let window = CalendarWindow {
            start: "2024-05-01T00:00:00Z".into(),
            end: "2024-06-01T00:00:00Z".into(),
        };
        let plan = pulls(&["in/box+1".into()], true, Some(&window));
        let kinds: Vec<Kind> = plan.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [Kind::MailFolder, Kind::Message, Kind::Contact, Kind::Event]
        );
        assert_eq!(plan[1].path, "/me/mailFolders/in%2Fbox%2B1/messages/delta");
        assert_eq!(plan[1].scope, "in/box+1");
        assert_eq!(
            plan[3].path,
            "/me/calendarView/delta?startDateTime=2024-05-01T00%3A00%3A00Z&endDateTime=2024-06-01T00%3A00%3A00Z"
        );
        assert_eq!(plan[3].scope, "2024-05-01T00:00:00Z/2024-06-01T00:00:00Z");
        assert_eq!(pulls(&[], false, None).len(), 1);
    }

    #[test]
    fn only_links_on_the_organizations_server_are_followed() {
        let origin = "https://mail.contoso.com";
        assert!(on_origin(
            "https://mail.contoso.com/v1.0/me/mailFolders/delta?$deltatoken=1",
            origin
        ));
        for link in [
            "https://mail.contoso.com.evil.example/v1.0",
            "https://mail.contoso.com@evil.example/v1.0",
            "http://mail.contoso.com/v1.0",
            "https://evil.example/?https://mail.contoso.com/",
            "https://mail.contoso.com",
            "",
        ] {
            assert!(!on_origin(link, origin), "{link}");
        }
    }
}
