//! Protected mail: a message that arrived encrypted (S/MIME, rights-protected, or
//! portal-encrypted) is stored by an allowlist, so nothing decrypted reaches
//! IndexedDB even though the server handed it over decrypted. A denylist of body
//! fields is not enough: the decrypted text also travels in extended properties,
//! attachment contents, embedded items, mentions and fields this version does not
//! know, so everything not listed below is dropped.
//!
//! The markers, any one of which is enough:
//! - `singleValueExtendedProperties` PidTagMessageClass (`String 0x1A`) starting
//!   with `IPM.Note.SMIME` (except `IPM.Note.SMIME.MultipartSigned`, signed only) or
//!   `IPM.Note.rpmsg`;
//! - `internetMessageHeaders` `Content-Type: application/pkcs7-mime` (or
//!   `x-pkcs7-mime`) other than `smime-type=signed-data`, `Content-Class:
//!   rpmsg.message`, or an `X-MS-Exchange-OMEMessageState` /
//!   `X-MS-Exchange-Organization-OMEMessageState` header (portal encryption);
//! - `attachments` (when expanded) named `smime.p7m`, `message.rpmsg` or
//!   `message_v2.rpmsg`, or of type `application/pkcs7-mime`;
//! - [`BODY_WITHHELD`] itself, so a stored protected message stays withheld when
//!   an update is merged into it.
//!
//! What a protected message keeps (see [`withhold_body`]):
//! - as they are: `id`, `@odata.type`, `@odata.etag`, `parentFolderId`,
//!   `conversationId`, `conversationIndex`, `internetMessageId`,
//!   `createdDateTime`, `lastModifiedDateTime`, `receivedDateTime`,
//!   `sentDateTime`, `changeKey`, `isRead`, `isDraft`, `isReadReceiptRequested`,
//!   `isDeliveryReceiptRequested`, `flag`, `importance`, `categories`,
//!   `inferenceClassification`, `from`, `sender`, `toRecipients`, `ccRecipients`,
//!   `bccRecipients`, `replyTo`, `subject`, `hasAttachments`;
//! - reduced to the markers: `singleValueExtendedProperties` only its message
//!   class entry (`id` and `value`), `internetMessageHeaders` only the marker
//!   headers (`name` and `value`);
//! - `attachments`, each reduced to `@odata.type`, `id`, `name`, `contentType`,
//!   `size`, `isInline`, `lastModifiedDateTime` (never `contentBytes` or an
//!   embedded `item`);
//! - [`BODY_WITHHELD`], set to [`Protection::name`].
//!
//! Everything else goes: `body`, `bodyPreview`, `uniqueBody`,
//! `multiValueExtendedProperties`, `mentions`, and every unknown field.

use serde_json::{Map, Value};

/// The annotation a stored protected message carries instead of its body.
pub const BODY_WITHHELD: &str = "@offlineMailbox.bodyWithheld";

/// Top-level fields a protected message keeps as they are: addressing, dates,
/// flags and the subject, which the protection leaves readable anyway.
const KEPT_FIELDS: [&str; 28] = [
    "id",
    "@odata.type",
    "@odata.etag",
    "parentFolderId",
    "conversationId",
    "conversationIndex",
    "internetMessageId",
    "createdDateTime",
    "lastModifiedDateTime",
    "receivedDateTime",
    "sentDateTime",
    "changeKey",
    "isRead",
    "isDraft",
    "isReadReceiptRequested",
    "isDeliveryReceiptRequested",
    "flag",
    "importance",
    "categories",
    "inferenceClassification",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "replyTo",
    "subject",
    "hasAttachments",
];
/// What an attachment of a protected message keeps: enough to list it, nothing
/// of its content (`contentBytes`, an embedded `item`).
const KEPT_ATTACHMENT_FIELDS: [&str; 7] = [
    "@odata.type",
    "id",
    "name",
    "contentType",
    "size",
    "isInline",
    "lastModifiedDateTime",
];
const PROPERTIES: &str = "singleValueExtendedProperties";
const HEADERS: &str = "internetMessageHeaders";
const ATTACHMENTS: &str = "attachments";
const OME_HEADERS: [&str; 2] = [
    "x-ms-exchange-omemessagestate",
    "x-ms-exchange-organization-omemessagestate",
];
const PROTECTED_ATTACHMENTS: [&str; 3] = ["smime.p7m", "message.rpmsg", "message_v2.rpmsg"];

/// How a message was protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// S/MIME encrypted.
    Smime,
    /// Rights-protected (IRM / Azure RMS).
    RightsProtected,
    /// Encrypted for a portal (Office 365 Message Encryption).
    PortalEncrypted,
}

impl Protection {
    /// The value recorded in [`BODY_WITHHELD`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Smime => "smime",
            Self::RightsProtected => "rightsProtected",
            Self::PortalEncrypted => "portalEncrypted",
        }
    }

    /// The protection a recorded [`BODY_WITHHELD`] value stands for. A value this
    /// version did not write (a newer version's name, or not a string) still
    /// means the message is protected; it reads as `RightsProtected` like
    /// `"rightsProtected"` itself, the broadest of the three (newer schemes such
    /// as encrypting sensitivity labels are built on rights management).
    fn from_recorded(value: &Value) -> Self {
        match value.as_str() {
            Some("smime") => Self::Smime,
            Some("portalEncrypted") => Self::PortalEncrypted,
            _ => Self::RightsProtected,
        }
    }
}

/// How the message was protected, if any marker says so. A recorded
/// [`BODY_WITHHELD`] wins over the other markers so the verdict never changes
/// once stored.
///
/// ```
/// use offline_mailbox::model::{protection, Protection};
/// let message = serde_json::json!({"id": "m", "attachments": [{"name": "smime.p7m"}]});
/// assert_eq!(protection(message.as_object().unwrap()), Some(Protection::Smime));
/// ```
pub fn protection(fields: &Map<String, Value>) -> Option<Protection> {
    fields
        .get(BODY_WITHHELD)
        .map(Protection::from_recorded)
        .or_else(|| entries(fields, PROPERTIES).find_map(class_protection))
        .or_else(|| entries(fields, HEADERS).find_map(header_protection))
        .or_else(|| entries(fields, ATTACHMENTS).find_map(attachment_protection))
}

/// Cuts a protected message down to the allowlist in the module documentation
/// and records why in [`BODY_WITHHELD`]. Applying it again changes nothing.
///
/// ```
/// use offline_mailbox::model::{withhold_body, Protection, BODY_WITHHELD};
/// let mut message = serde_json::json!({"id": "m", "subject": "s", "mentions": [], "body": {}});
/// let fields = message.as_object_mut().unwrap();
/// withhold_body(fields, Protection::Smime);
/// assert_eq!(message, serde_json::json!({"id": "m", "subject": "s", BODY_WITHHELD: "smime"}));
/// ```
pub fn withhold_body(fields: &mut Map<String, Value>, protection: Protection) {
    for (name, value) in std::mem::take(fields) {
        if let Some(value) = allowed(&name, value) {
            fields.insert(name, value);
        }
    }
    fields.insert(
        BODY_WITHHELD.into(),
        Value::String(protection.name().into()),
    );
}

/// What a protected message may keep of the field `name`, if anything.
fn allowed(name: &str, value: Value) -> Option<Value> {
    match name {
        PROPERTIES => reduced(value, |p| class_protection(p).is_some(), &["id", "value"]),
        HEADERS => reduced(
            value,
            |h| header_protection(h).is_some(),
            &["name", "value"],
        ),
        ATTACHMENTS => reduced(value, |_| true, &KEPT_ATTACHMENT_FIELDS),
        _ if KEPT_FIELDS.contains(&name) => Some(value),
        _ => None,
    }
}

/// The objects of an array that pass `keep`, each cut down to the scalar values
/// of `names`. Every such field is a scalar in Graph, so a nested value can only
/// be smuggled content; anything but an array has nothing worth keeping.
fn reduced(
    value: Value,
    keep: impl Fn(&Map<String, Value>) -> bool,
    names: &[&str],
) -> Option<Value> {
    let Value::Array(entries) = value else {
        return None;
    };
    let kept = entries
        .into_iter()
        .filter_map(|entry| match entry {
            Value::Object(entry) if keep(&entry) => Some(entry),
            _ => None,
        })
        .map(|mut entry| {
            entry.retain(|name, value| names.contains(&name.as_str()) && is_scalar(value));
            Value::Object(entry)
        })
        .collect();
    Some(Value::Array(kept))
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

fn entries<'a>(
    fields: &'a Map<String, Value>,
    name: &str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    fields
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn text(entry: &Map<String, Value>, name: &str) -> String {
    entry
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The protection a PidTagMessageClass extended property names, if it is one.
fn class_protection(property: &Map<String, Value>) -> Option<Protection> {
    if !matches!(
        text(property, "id").as_str(),
        "string 0x1a" | "string 0x001a"
    ) {
        return None;
    }
    let class = text(property, "value");
    if class.starts_with("ipm.note.smime") && !class.starts_with("ipm.note.smime.multipartsigned") {
        Some(Protection::Smime)
    } else if class.starts_with("ipm.note.rpmsg") {
        Some(Protection::RightsProtected)
    } else {
        None
    }
}

fn header_protection(header: &Map<String, Value>) -> Option<Protection> {
    let (name, value) = (text(header, "name"), text(header, "value"));
    if name == "content-type" && value.contains("pkcs7-mime") && !value.contains("signed-data") {
        Some(Protection::Smime)
    } else if name == "content-class" && value.trim() == "rpmsg.message" {
        Some(Protection::RightsProtected)
    } else if OME_HEADERS.contains(&name.as_str()) {
        Some(Protection::PortalEncrypted)
    } else {
        None
    }
}

fn attachment_protection(attachment: &Map<String, Value>) -> Option<Protection> {
    let (name, kind) = (text(attachment, "name"), text(attachment, "contentType"));
    if name == "smime.p7m" || kind.contains("pkcs7-mime") {
        Some(Protection::Smime)
    } else if PROTECTED_ATTACHMENTS.contains(&name.as_str()) {
        Some(Protection::RightsProtected)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Item, Kind};
    use serde_json::json;

    fn detect(value: Value) -> Option<Protection> {
        protection(value.as_object().unwrap())
    }

    /// What `Item::validate` hands on to be sealed, as text and as JSON.
    fn stored(message: Value) -> (String, Value) {
        let item = Item::validate(Kind::Message, 0, message).unwrap();
        let text = String::from_utf8(item.to_json_bytes()).unwrap();
        let json = serde_json::from_str(&text).unwrap();
        (text, json)
    }

    fn assert_none_stored(text: &str, secrets: &[&str]) {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} was stored: {text}");
        }
    }

    fn addressed(extra: Value) -> Value {
        let mut message = json!({
            "id": "AAMk-protected",
            "subject": "Quarterly numbers",
            "from": {"emailAddress": {"name": "Ann", "address": "ann@example.com"}},
            "toRecipients": [{"emailAddress": {"address": "bob@example.com"}}],
        });
        let fields = message.as_object_mut().unwrap();
        fields.extend(extra.as_object().unwrap().clone());
        message
    }

    fn assert_addressing_kept(json: &Value) {
        assert_eq!(json["subject"], "Quarterly numbers");
        assert_eq!(json["from"]["emailAddress"]["address"], "ann@example.com");
        assert_eq!(
            json["toRecipients"][0]["emailAddress"]["address"],
            "bob@example.com"
        );
    }

    const SMIME_CLASS: &str = "IPM.Note.SMIME";

    fn smime_class() -> Value {
        json!({"id": "String 0x1A", "value": SMIME_CLASS})
    }

    #[test]
    fn each_marker_is_recognized() {
        let class =
            |v: &str| json!({"singleValueExtendedProperties": [{"id": "String 0x1A", "value": v}]});
        assert_eq!(detect(class("IPM.Note.SMIME")), Some(Protection::Smime));
        assert_eq!(
            detect(class("IPM.Note.rpmsg.Microsoft.Voicemail.UM")),
            Some(Protection::RightsProtected)
        );
        assert_eq!(detect(class("IPM.Note.SMIME.MultipartSigned")), None);
        let header =
            |n: &str, v: &str| json!({"internetMessageHeaders": [{"name": n, "value": v}]});
        assert_eq!(
            detect(header(
                "Content-Type",
                "application/pkcs7-mime; smime-type=enveloped-data"
            )),
            Some(Protection::Smime)
        );
        assert_eq!(
            detect(header(
                "Content-Type",
                "application/pkcs7-mime; smime-type=signed-data"
            )),
            None
        );
        assert_eq!(
            detect(header("Content-Class", "rpmsg.message")),
            Some(Protection::RightsProtected)
        );
        assert_eq!(
            detect(header("X-MS-Exchange-OMEMessageState", "Encrypted")),
            Some(Protection::PortalEncrypted)
        );
        assert_eq!(
            detect(json!({"attachments": [{"name": "message.rpmsg"}]})),
            Some(Protection::RightsProtected)
        );
        assert_eq!(
            detect(
                json!({"attachments": [{"name": "report.pdf", "contentType": "application/pdf"}]})
            ),
            None
        );
        assert_eq!(detect(json!({"subject": "plain"})), None);
    }

    #[test]
    fn the_withheld_marker_is_a_marker_and_names_its_protection() {
        for protection in [
            Protection::Smime,
            Protection::RightsProtected,
            Protection::PortalEncrypted,
        ] {
            assert_eq!(
                detect(json!({BODY_WITHHELD: protection.name()})),
                Some(protection)
            );
        }
        // Unknown values still mean protected: failing open would store the body.
        assert_eq!(
            detect(json!({BODY_WITHHELD: "someFutureScheme"})),
            Some(Protection::RightsProtected)
        );
        assert_eq!(
            detect(json!({BODY_WITHHELD: null})),
            Some(Protection::RightsProtected)
        );
        // The recorded verdict wins over a marker that would name another protection.
        assert_eq!(
            detect(
                json!({BODY_WITHHELD: "portalEncrypted", "attachments": [{"name": "smime.p7m"}]})
            ),
            Some(Protection::PortalEncrypted)
        );
    }

    #[test]
    fn smime_body_properties_are_not_stored() {
        let (text, json) = stored(addressed(json!({
            "singleValueExtendedProperties": [
                smime_class(),
                {"id": "String 0x1000", "value": "SECRET-BODY-PROPERTY-7f3a"},
                // base64 of <p>SECRET-HTML-PROPERTY-91c2</p>
                {"id": "Binary 0x1013", "value": "PHA+U0VDUkVULUhUTUwtUFJPUEVSVFktOTFjMjwvcD4="},
                // base64 of {\rtf1 SECRET-RTF-PROPERTY-c4d1}
                {"id": "Binary 0x1009", "value": "e1xydGYxIFNFQ1JFVC1SVEYtUFJPUEVSVFktYzRkMX0="},
            ],
        })));
        assert_none_stored(
            &text,
            &[
                "SECRET-BODY-PROPERTY-7f3a",
                "PHA+U0VDUkVULUhUTUwtUFJPUEVSVFktOTFjMjwvcD4=",
                "e1xydGYxIFNFQ1JFVC1SVEYtUFJPUEVSVFktYzRkMX0=",
            ],
        );
        assert_addressing_kept(&json);
        assert_eq!(
            json["singleValueExtendedProperties"],
            json!([smime_class()])
        );
        assert_eq!(json[BODY_WITHHELD], "smime");
    }

    #[test]
    fn rpmsg_attachment_contents_are_not_stored() {
        let (text, json) = stored(addressed(json!({
            "hasAttachments": true,
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "id": "att-1",
                    "name": "message.rpmsg",
                    "contentType": "application/x-microsoft-rpmsg-message",
                    "size": 4096,
                    "isInline": false,
                    "contentId": "SECRET-CONTENT-ID-5d0e",
                    // base64 of SECRET-RPMSG-CONTENT-3b8e
                    "contentBytes": "U0VDUkVULVJQTVNHLUNPTlRFTlQtM2I4ZQ==",
                },
                {
                    "@odata.type": "#microsoft.graph.itemAttachment",
                    "id": "att-2",
                    "name": "Forwarded",
                    "size": 2048,
                    "item": {
                        "@odata.type": "#microsoft.graph.message",
                        "body": {"contentType": "text", "content": "SECRET-EMBEDDED-BODY-a61f"},
                    },
                },
            ],
        })));
        assert_none_stored(
            &text,
            &[
                "U0VDUkVULVJQTVNHLUNPTlRFTlQtM2I4ZQ==",
                "SECRET-EMBEDDED-BODY-a61f",
                "SECRET-CONTENT-ID-5d0e",
            ],
        );
        assert_addressing_kept(&json);
        assert_eq!(json["hasAttachments"], true);
        assert_eq!(
            json["attachments"],
            json!([
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "id": "att-1",
                    "name": "message.rpmsg",
                    "contentType": "application/x-microsoft-rpmsg-message",
                    "size": 4096,
                    "isInline": false,
                },
                {
                    "@odata.type": "#microsoft.graph.itemAttachment",
                    "id": "att-2",
                    "name": "Forwarded",
                    "size": 2048,
                },
            ])
        );
        assert_eq!(json[BODY_WITHHELD], "rightsProtected");
    }

    #[test]
    fn mentions_of_a_protected_message_are_not_stored() {
        let (text, json) = stored(addressed(json!({
            "singleValueExtendedProperties": [smime_class()],
            "mentions": [{"mentionText": "SECRET-MENTION-TEXT-2c9b", "mentioned": {"address": "bob@example.com"}}],
        })));
        assert_none_stored(&text, &["SECRET-MENTION-TEXT-2c9b"]);
        assert!(json.get("mentions").is_none());
        assert_addressing_kept(&json);
    }

    #[test]
    fn unknown_fields_of_a_protected_message_are_not_stored() {
        let (text, json) = stored(addressed(json!({
            "singleValueExtendedProperties": [smime_class()],
            "futureDecryptedPreview": {"text": "SECRET-UNKNOWN-FIELD-e07d"},
        })));
        assert_none_stored(&text, &["SECRET-UNKNOWN-FIELD-e07d"]);
        assert_addressing_kept(&json);
    }

    #[test]
    fn multi_value_properties_of_a_protected_message_are_not_stored() {
        let (text, json) = stored(addressed(json!({
            "singleValueExtendedProperties": [smime_class()],
            "multiValueExtendedProperties": [
                {"id": "StringArray {00020329-0000-0000-C000-000000000046} Name Keywords", "value": ["SECRET-MULTI-VALUE-8e44"]},
            ],
        })));
        assert_none_stored(&text, &["SECRET-MULTI-VALUE-8e44"]);
        assert_addressing_kept(&json);
    }

    #[test]
    fn only_the_marker_headers_of_a_protected_message_are_stored() {
        let ome = json!({"name": "X-MS-Exchange-OMEMessageState", "value": "Encrypted"});
        let (text, json) = stored(addressed(json!({
            "internetMessageHeaders": [
                {"name": "X-Decrypted-Summary", "value": "SECRET-HEADER-VALUE-41aa"},
                ome,
            ],
        })));
        assert_none_stored(&text, &["SECRET-HEADER-VALUE-41aa"]);
        assert_eq!(json["internetMessageHeaders"], json!([ome]));
        assert_eq!(json[BODY_WITHHELD], "portalEncrypted");
    }

    #[test]
    fn the_withheld_marker_alone_withholds_the_body() {
        // A stored protected message updated with a body: the update carries only
        // the marker the stored version got, none of the original markers.
        let (text, json) = stored(addressed(json!({
            BODY_WITHHELD: "smime",
            "body": {"contentType": "text", "content": "SECRET-UPDATED-BODY-b3c5"},
            "bodyPreview": "SECRET-UPDATED-BODY-b3c5",
        })));
        assert_none_stored(&text, &["SECRET-UPDATED-BODY-b3c5"]);
        assert_addressing_kept(&json);
        assert_eq!(json[BODY_WITHHELD], "smime");
    }

    #[test]
    fn withholding_keeps_exactly_the_allowlist() {
        let mut kept = json!({});
        for (i, name) in KEPT_FIELDS.iter().enumerate() {
            kept[*name] = json!(format!("value {i}"));
        }
        let mut fields = kept.as_object().unwrap().clone();
        fields.extend(
            json!({
                "body": {"content": "SECRET-BODY-9a0c"},
                "bodyPreview": "SECRET-BODY-9a0c",
                "uniqueBody": {"content": "SECRET-BODY-9a0c"},
                "webLink": "https://example.invalid/SECRET-LINK-77e1",
                "singleValueExtendedProperties": [{"id": "string 0x001a", "value": "IPM.Note.rpmsg", "extra": "x"}],
                "internetMessageHeaders": [{"name": "Content-Class", "value": "rpmsg.message", "extra": "x"}],
                "attachments": [{"name": "message_v2.rpmsg", "size": 1, "extra": "x", "contentType": {"nested": "x"}}],
            })
            .as_object()
            .unwrap()
            .clone(),
        );
        withhold_body(&mut fields, Protection::RightsProtected);
        let mut expected = kept;
        let reduced = json!({
            "singleValueExtendedProperties": [{"id": "string 0x001a", "value": "IPM.Note.rpmsg"}],
            "internetMessageHeaders": [{"name": "Content-Class", "value": "rpmsg.message"}],
            "attachments": [{"name": "message_v2.rpmsg", "size": 1}],
            BODY_WITHHELD: "rightsProtected",
        });
        expected
            .as_object_mut()
            .unwrap()
            .extend(reduced.as_object().unwrap().clone());
        assert_eq!(Value::Object(fields), expected);
    }

    #[test]
    fn withholding_twice_changes_nothing() {
        let message = addressed(json!({
            "body": {"content": "SECRET-BODY-9a0c"},
            "mentions": [{"mentionText": "SECRET-MENTION-TEXT-2c9b"}],
            "singleValueExtendedProperties": [smime_class(), {"id": "String 0x1000", "value": "SECRET-BODY-PROPERTY-7f3a"}],
            "internetMessageHeaders": [{"name": "Content-Class", "value": "rpmsg.message"}, {"name": "Received", "value": "x"}],
            "attachments": [{"name": "smime.p7m", "contentBytes": "U0VDUkVU"}],
        }));
        let once = Item::validate(Kind::Message, 0, message).unwrap();
        let twice = Item::validate(Kind::Message, 0, Value::Object(once.fields.clone())).unwrap();
        assert_eq!(twice.fields, once.fields);
        let mut thrice = twice.fields.clone();
        let verdict = protection(&thrice).unwrap();
        withhold_body(&mut thrice, verdict);
        assert_eq!(thrice, once.fields);
    }

    #[test]
    fn a_plain_message_keeps_every_field() {
        let message = addressed(json!({
            "body": {"contentType": "text", "content": "ordinary text"},
            "bodyPreview": "ordinary text",
            "mentions": [{"mentionText": "@Bob"}],
            "futureField": {"x": [1, 2.5]},
            "multiValueExtendedProperties": [{"id": "StringArray x", "value": ["a"]}],
            "singleValueExtendedProperties": [{"id": "String 0x1A", "value": "IPM.Note"}, {"id": "String 0x1000", "value": "ordinary text"}],
            "internetMessageHeaders": [{"name": "Received", "value": "from mx"}],
            "attachments": [{"name": "report.pdf", "contentType": "application/pdf", "contentBytes": "JVBERi0="}],
        }));
        let (_, json) = stored(message.clone());
        assert_eq!(json, message);
    }
}
