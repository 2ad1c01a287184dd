//! Protected mail: a message that arrived encrypted (S/MIME, rights-protected, or
//! portal-encrypted) is stored without its body, so the body never reaches
//! IndexedDB even though the server handed it over decrypted.
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
//!   `message_v2.rpmsg`, or of type `application/pkcs7-mime`.

use serde_json::{Map, Value};

/// The annotation a stored protected message carries instead of its body.
pub const BODY_WITHHELD: &str = "@offlineMailbox.bodyWithheld";
const BODY_FIELDS: [&str; 3] = ["body", "bodyPreview", "uniqueBody"];
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
}

/// How the message was protected, if any marker says so.
///
/// ```
/// use offline_mailbox::model::{protection, Protection};
/// let message = serde_json::json!({"id": "m", "attachments": [{"name": "smime.p7m"}]});
/// assert_eq!(protection(message.as_object().unwrap()), Some(Protection::Smime));
/// ```
pub fn protection(fields: &Map<String, Value>) -> Option<Protection> {
    message_class(fields)
        .or_else(|| headers(fields))
        .or_else(|| attachments(fields))
}

/// Drops the body fields of a protected message and records why.
pub fn withhold_body(fields: &mut Map<String, Value>, protection: Protection) {
    for field in BODY_FIELDS {
        fields.remove(field);
    }
    fields.insert(
        BODY_WITHHELD.into(),
        Value::String(protection.name().into()),
    );
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

fn message_class(fields: &Map<String, Value>) -> Option<Protection> {
    entries(fields, "singleValueExtendedProperties")
        .filter(|p| matches!(text(p, "id").as_str(), "string 0x1a" | "string 0x001a"))
        .find_map(|p| {
            let class = text(p, "value");
            if class.starts_with("ipm.note.smime")
                && !class.starts_with("ipm.note.smime.multipartsigned")
            {
                Some(Protection::Smime)
            } else if class.starts_with("ipm.note.rpmsg") {
                Some(Protection::RightsProtected)
            } else {
                None
            }
        })
}

fn headers(fields: &Map<String, Value>) -> Option<Protection> {
    entries(fields, "internetMessageHeaders").find_map(|header| {
        let (name, value) = (text(header, "name"), text(header, "value"));
        if name == "content-type" && value.contains("pkcs7-mime") && !value.contains("signed-data")
        {
            Some(Protection::Smime)
        } else if name == "content-class" && value.trim() == "rpmsg.message" {
            Some(Protection::RightsProtected)
        } else if OME_HEADERS.contains(&name.as_str()) {
            Some(Protection::PortalEncrypted)
        } else {
            None
        }
    })
}

fn attachments(fields: &Map<String, Value>) -> Option<Protection> {
    entries(fields, "attachments").find_map(|attachment| {
        let (name, kind) = (text(attachment, "name"), text(attachment, "contentType"));
        if name == "smime.p7m" || kind.contains("pkcs7-mime") {
            Some(Protection::Smime)
        } else if PROTECTED_ATTACHMENTS.contains(&name.as_str()) {
            Some(Protection::RightsProtected)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detect(value: Value) -> Option<Protection> {
        protection(value.as_object().unwrap())
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
    fn withholding_drops_every_body_field() {
        let mut fields = json!({"id": "m", "subject": "s", "body": {"content": "secret"}, "bodyPreview": "secret", "uniqueBody": {}})
            .as_object()
            .unwrap()
            .clone();
        withhold_body(&mut fields, Protection::Smime);
        assert_eq!(
            Value::Object(fields),
            json!({"id": "m", "subject": "s", BODY_WITHHELD: "smime"})
        );
    }
}
