//! A message kept as two parts: its summary (what a message list shows) and the
//! rest (body, headers, attachments and every other field). The store seals them
//! as two records, so a listing never reads or decrypts a body. Pure Rust.

use serde_json::{Map, Value};

use super::BODY_WITHHELD;

/// The fields of a message's summary: what a message list shows, the meeting
/// markers and the withheld-body marker. Every other field is in the rest.
pub const SUMMARY_FIELDS: [&str; 21] = [
    "id",
    "@odata.type",
    "parentFolderId",
    "conversationId",
    "subject",
    "bodyPreview",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "receivedDateTime",
    "sentDateTime",
    "isRead",
    "isDraft",
    "flag",
    "importance",
    "hasAttachments",
    "categories",
    "inferenceClassification",
    "meetingMessageType",
    BODY_WITHHELD,
];

/// Whether `field` belongs to a message's summary.
pub fn is_summary_field(field: &str) -> bool {
    SUMMARY_FIELDS.contains(&field)
}

/// Splits a message into the JSON texts of its summary and of the rest, written
/// straight from its fields (nothing is copied first). Joining the two
/// ([`join_json_objects`]) gives back every field and value.
///
/// ```
/// use offline_mailbox::model::split_message_json;
/// let message = serde_json::json!({"id": "m", "subject": "Hi", "body": {"content": "…"}});
/// let (summary, rest) = split_message_json(message.as_object().unwrap());
/// assert_eq!(summary, br#"{"id":"m","subject":"Hi"}"#);
/// assert_eq!(rest, r#"{"body":{"content":"…"}}"#.as_bytes());
/// ```
pub fn split_message_json(fields: &Map<String, Value>) -> (Vec<u8>, Vec<u8>) {
    let summary = Part {
        fields,
        summary: true,
    };
    let rest = Part {
        fields,
        summary: false,
    };
    (to_json(&summary), to_json(&rest))
}

/// The summary (or the rest) of a message's fields, serialized as one object.
struct Part<'a> {
    fields: &'a Map<String, Value>,
    summary: bool,
}

impl serde::Serialize for Part<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wanted = |(name, _): &(&String, &Value)| is_summary_field(name) == self.summary;
        serializer.collect_map(self.fields.iter().filter(wanted))
    }
}

fn to_json(part: &Part<'_>) -> Vec<u8> {
    serde_json::to_vec(part).unwrap_or_else(|_| b"{}".to_vec())
}

/// Whether a partial update (a delta entry) changes only summary fields, so that
/// only the summary record needs to be written. The withheld-body marker is
/// treated as touching the body: setting it must also remove the stored body.
pub fn touches_only_summary(update: &Map<String, Value>) -> bool {
    update
        .keys()
        .all(|name| is_summary_field(name) && name != BODY_WITHHELD)
}

/// Joins the JSON texts of a summary and its rest (two objects with no field in
/// common, as [`split_message_json`] makes them) into one object's text, without
/// parsing either.
///
/// ```
/// use offline_mailbox::model::join_json_objects;
/// assert_eq!(join_json_objects(br#"{"id":"m"}"#, br#"{"body":{}}"#), br#"{"id":"m","body":{}}"#);
/// assert_eq!(join_json_objects(br#"{"id":"m"}"#, b"{}"), br#"{"id":"m"}"#);
/// ```
pub fn join_json_objects(summary: &[u8], rest: &[u8]) -> Vec<u8> {
    let rest_inner = inner(rest);
    let summary_inner = inner(summary);
    let mut out = Vec::with_capacity(summary.len() + rest.len());
    out.push(b'{');
    out.extend_from_slice(summary_inner);
    if !summary_inner.is_empty() && !rest_inner.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(rest_inner);
    out.push(b'}');
    out
}

/// The text between an object's braces (trimmed of whitespace).
fn inner(object: &[u8]) -> &[u8] {
    let trimmed = object.trim_ascii();
    trimmed
        .strip_prefix(b"{")
        .and_then(|t| t.strip_suffix(b"}"))
        .unwrap_or_default()
        .trim_ascii()
}

/// Which fields a listing returns (Graph's `$select`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// The summary fields (the default): no body record is read.
    #[default]
    Summary,
    /// Whole messages, as `getMessage` returns them.
    Full,
    /// These fields (and `id`); body records are read only if one of them is not
    /// a summary field.
    Fields(Vec<String>),
}

impl Selection {
    /// Whether answering needs the body records.
    pub fn needs_rest(&self) -> bool {
        match self {
            Self::Summary => false,
            Self::Full => true,
            Self::Fields(names) => names.iter().any(|name| !is_summary_field(name)),
        }
    }

    /// Cuts a whole (or summary) message's JSON text down to the selected fields.
    /// Texts that do not parse as objects are returned as they are.
    ///
    /// ```
    /// use offline_mailbox::model::Selection;
    /// let whole = br#"{"id":"m","subject":"Hi","body":{"content":"x"}}"#;
    /// let picked = Selection::Fields(vec!["subject".into()]).select(whole);
    /// assert_eq!(serde_json::from_slice::<serde_json::Value>(&picked).unwrap(),
    ///     serde_json::json!({"id": "m", "subject": "Hi"}));
    /// ```
    pub fn select(&self, message: &[u8]) -> Vec<u8> {
        let keep = |name: &str| match self {
            Self::Full => true,
            Self::Summary => is_summary_field(name),
            Self::Fields(names) => name == "id" || names.iter().any(|n| n == name),
        };
        if *self == Self::Full {
            return message.to_vec();
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(message) else {
            return message.to_vec();
        };
        let kept: Map<String, Value> = fields.into_iter().filter(|(n, _)| keep(n)).collect();
        serde_json::to_vec(&kept).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn split_then_join_gives_back_every_field_exactly() {
        let message = json!({
            "id": "m", "subject": "Grüße", "isRead": false, "flag": null,
            "body": {"contentType": "html", "content": "<p>x</p>"}, "futureField": [1, 2.5],
            "toRecipients": [{"emailAddress": {"address": "a@contoso.example"}}],
        });
        let (summary, rest) = split_message_json(message.as_object().unwrap());
        let summary: Map<String, Value> = serde_json::from_slice(&summary).unwrap();
        let rest: Map<String, Value> = serde_json::from_slice(&rest).unwrap();
        assert!(!summary.contains_key("body") && rest.contains_key("body"));
        assert!(rest.contains_key("futureField"));
        let joined = join_json_objects(
            &serde_json::to_vec(&summary).unwrap(),
            &serde_json::to_vec(&rest).unwrap(),
        );
        assert_eq!(serde_json::from_slice::<Value>(&joined).unwrap(), message);
    }

    #[test]
    fn joining_empty_parts_gives_valid_objects() {
        assert_eq!(join_json_objects(b"{}", b"{}"), b"{}");
        assert_eq!(join_json_objects(b"{}", br#"{"a":1}"#), br#"{"a":1}"#);
    }

    #[test]
    fn only_updates_of_summary_fields_skip_the_body() {
        assert!(touches_only_summary(&object(
            json!({"id": "m", "isRead": true, "flag": {}})
        )));
        assert!(!touches_only_summary(&object(
            json!({"id": "m", "body": {}})
        )));
        assert!(!touches_only_summary(&object(
            json!({"id": "m", BODY_WITHHELD: "smime"})
        )));
    }

    #[test]
    fn a_selection_needs_the_body_only_for_fields_outside_the_summary() {
        assert!(!Selection::Summary.needs_rest());
        assert!(Selection::Full.needs_rest());
        assert!(!Selection::Fields(vec!["subject".into()]).needs_rest());
        assert!(Selection::Fields(vec!["subject".into(), "body".into()]).needs_rest());
    }

    #[test]
    fn the_summary_selection_cuts_an_old_whole_record_down() {
        let whole = br#"{"id":"m","subject":"s","body":{"content":"secret"},"uniqueBody":null}"#;
        let picked: Value = serde_json::from_slice(&Selection::Summary.select(whole)).unwrap();
        assert_eq!(picked, json!({"id": "m", "subject": "s"}));
    }
}
