//! The mail model: the kinds of item the mailbox keeps, shaped like Microsoft Graph
//! resources, their validation, and the facts the store indexes. Pure Rust.
//!
//! An item is kept as the JSON object it arrived as, so fields this version does
//! not know, `null`s and number spellings come back exactly (a newer server must
//! not break an older cache). The typed shapes in [`graph`] validate it and yield
//! its [`Facts`].

mod cost;
mod datetime;
mod facts;
pub mod graph;
mod protected;
mod summary;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use cost::parse_cost;
pub use datetime::Timestamp;
pub use facts::{normalize_address, search_prefix, words, Facts, PREFIX_LEN};
pub use protected::{protection, withhold_body, Protection, BODY_WITHHELD};
pub use summary::{
    is_summary_field, join_json_objects, split_message_json, touches_only_summary, Selection,
    SUMMARY_FIELDS,
};

/// The kinds of item the mailbox stores, each in its own object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Graph `message`.
    Message,
    /// Graph `mailFolder`.
    MailFolder,
    /// Graph `contact`.
    Contact,
    /// Graph `event` (an expanded calendar instance).
    Event,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: [Kind; 4] = [Kind::Message, Kind::MailFolder, Kind::Contact, Kind::Event];

    /// The object store that holds this kind.
    pub fn store(self) -> &'static str {
        match self {
            Self::Message => "messages",
            Self::MailFolder => "folders",
            Self::Contact => "contacts",
            Self::Event => "events",
        }
    }

    /// The kind stored in `store`, if any.
    pub fn from_store(store: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.store() == store)
    }

    /// The JavaScript name: `"messages"`, `"mailFolders"`, `"contacts"`, `"events"`.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Message => "messages",
            Self::MailFolder => "mailFolders",
            Self::Contact => "contacts",
            Self::Event => "events",
        }
    }

    /// The kind for a JavaScript name: `"messages"`, `"mailFolders"`, `"contacts"`, `"events"`.
    ///
    /// ```
    /// use offline_mailbox::model::Kind;
    /// assert_eq!(Kind::from_api_name("mailFolders"), Some(Kind::MailFolder));
    /// ```
    pub fn from_api_name(name: &str) -> Option<Self> {
        match name {
            "messages" => Some(Self::Message),
            "mailFolders" => Some(Self::MailFolder),
            "contacts" => Some(Self::Contact),
            "events" => Some(Self::Event),
            _ => None,
        }
    }
}

/// A malformed item in a batch: which item, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {index}, {field}: {reason}")]
pub struct ModelError {
    /// Index of the item within its batch.
    pub index: usize,
    /// Graph path of the offending field, e.g. `toRecipients[1].emailAddress.address`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ModelError {
    fn new(index: usize, field: &str, reason: &str) -> Self {
        Self {
            index,
            field: field.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// A validated item ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The Graph id.
    pub id: String,
    /// The whole JSON object, unknown fields included.
    pub fields: Map<String, Value>,
    /// What the store indexes about it.
    pub facts: Facts,
}

impl Item {
    /// Validates the item at `index` of a batch of `kind`. A protected message
    /// (see [`protection`]) is cut down to an allowlist of fields here (see
    /// [`withhold_body`]), before anything can store it.
    ///
    /// ```
    /// use offline_mailbox::model::{Item, Kind};
    /// let item = Item::validate(Kind::Message, 0, serde_json::json!({"id": "AAMk1", "subject": "Hi"})).unwrap();
    /// assert_eq!(item.id, "AAMk1");
    /// let error = Item::validate(Kind::Message, 4, serde_json::json!({"id": "x", "isRead": "yes"})).unwrap_err();
    /// assert_eq!((error.index, error.field.as_str()), (4, "isRead"));
    /// ```
    pub fn validate(kind: Kind, index: usize, value: Value) -> Result<Self, ModelError> {
        let Value::Object(mut fields) = value else {
            return Err(ModelError::new(index, "(item)", "must be a JSON object"));
        };
        let id = match fields.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::String(_)) => {
                return Err(ModelError::new(index, "id", "must not be empty"))
            }
            Some(_) => return Err(ModelError::new(index, "id", "must be a string")),
            None => return Err(ModelError::new(index, "id", "is required")),
        };
        if let Some(protection) = (kind == Kind::Message)
            .then(|| protection(&fields))
            .flatten()
        {
            withhold_body(&mut fields, protection);
        }
        // Checked in place (borrowed, not copied): the item is kept as it came.
        let value = Value::Object(fields);
        let facts = match kind {
            Kind::Message => Facts::of_message(&typed(index, &value)?),
            Kind::MailFolder => typed::<graph::MailFolder>(index, &value).map(|_| Facts::Folder)?,
            Kind::Contact => Facts::of_contact(&typed(index, &value)?),
            Kind::Event => Facts::of_event(&typed(index, &value)?)
                .map_err(|(field, reason)| ModelError::new(index, field, &reason))?,
        };
        let Value::Object(fields) = value else {
            return Err(ModelError::new(index, "(item)", "must be a JSON object"));
        };
        Ok(Self { id, fields, facts })
    }

    /// The item as JSON bytes, the plaintext that gets sealed.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.fields).unwrap_or_default()
    }
}

fn typed<T: DeserializeOwned>(index: usize, value: &Value) -> Result<T, ModelError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let reason = error.into_inner().to_string();
        let parent = if path == "." { None } else { Some(path) };
        // serde reports a missing field at its parent's path; name the field itself.
        if let Some(missing) = reason
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            let field = parent.map_or(missing.to_owned(), |p| format!("{p}.{missing}"));
            return ModelError {
                index,
                field,
                reason: "is required".into(),
            };
        }
        ModelError {
            index,
            field: parent.unwrap_or_else(|| "(item)".into()),
            reason,
        }
    })
}

/// Validates a whole batch of `kind`, failing on the first malformed item.
pub fn validate_batch(kind: Kind, values: Vec<Value>) -> Result<Vec<Item>, ModelError> {
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| Item::validate(kind, index, value))
        .collect()
}

/// Applies a partial update: the fields of `update` replace those of `stored`,
/// everything else is kept (Graph delta pages send only what changed).
pub fn merge(stored: &mut Map<String, Value>, update: Map<String, Value>) {
    for (field, value) in update {
        stored.insert(field, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_and_nulls_are_kept_exactly() {
        let input =
            json!({"id": "1", "futureField": {"x": [1, 2.5]}, "flag": null, "subject": "Grüße"});
        let item = Item::validate(Kind::Message, 0, input.clone()).unwrap();
        let back: Value = serde_json::from_slice(&item.to_json_bytes()).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn a_batch_names_the_first_malformed_item_and_its_field_path() {
        let error = validate_batch(
            Kind::Message,
            vec![
                json!({"id": "a"}),
                json!({"id": "b", "toRecipients": [{"emailAddress": {"address": 7}}]}),
            ],
        )
        .unwrap_err();
        assert_eq!(error.index, 1);
        assert_eq!(error.field, "toRecipients[0].emailAddress.address");
    }

    #[test]
    fn malformed_dates_name_the_field() {
        let error = Item::validate(
            Kind::Message,
            2,
            json!({"id": "a", "receivedDateTime": "yesterday"}),
        )
        .unwrap_err();
        assert_eq!((error.index, error.field.as_str()), (2, "receivedDateTime"));
    }

    #[test]
    fn events_need_start_and_end() {
        let error = Item::validate(Kind::Event, 0, json!({"id": "e"})).unwrap_err();
        assert_eq!(error.field, "start");
    }

    #[test]
    fn missing_or_bad_ids_are_rejected() {
        assert_eq!(
            Item::validate(Kind::Contact, 0, json!({"displayName": "x"}))
                .unwrap_err()
                .field,
            "id"
        );
        assert_eq!(
            Item::validate(Kind::Contact, 0, json!({"id": 7}))
                .unwrap_err()
                .reason,
            "must be a string"
        );
        assert_eq!(
            Item::validate(Kind::Contact, 0, json!("x"))
                .unwrap_err()
                .field,
            "(item)"
        );
    }

    #[test]
    fn merge_replaces_only_the_updated_fields() {
        let mut stored = json!({"id": "1", "isRead": false, "subject": "s"})
            .as_object()
            .unwrap()
            .clone();
        merge(
            &mut stored,
            json!({"id": "1", "isRead": true})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            Value::Object(stored),
            json!({"id": "1", "isRead": true, "subject": "s"})
        );
    }

    #[test]
    fn a_protected_message_is_validated_without_its_body() {
        let item = Item::validate(
            Kind::Message,
            0,
            json!({"id": "m", "body": {"content": "top secret"}, "attachments": [{"name": "smime.p7m"}]}),
        )
        .unwrap();
        assert!(!String::from_utf8(item.to_json_bytes())
            .unwrap()
            .contains("top secret"));
    }

    #[test]
    fn stores_round_trip_to_kinds() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_store(kind.store()), Some(kind));
            assert_eq!(Kind::from_api_name(kind.api_name()), Some(kind));
        }
    }
}
