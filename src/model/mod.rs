//! The mail model: the kinds of item the mailbox keeps, shaped like Microsoft Graph
//! resources, and their validation. Pure Rust.
//!
//! Items are kept as JSON objects so that fields this version does not know are
//! stored and returned unchanged (a newer server must not break an older cache).

use serde_json::{Map, Value};

/// The kinds of item the mailbox stores, each in its own object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
}

/// A malformed item in a batch: which item, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {index}, {field}: {reason}")]
pub struct ModelError {
    /// Index of the item within its batch.
    pub index: usize,
    /// Graph name of the offending field.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A validated item ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The Graph id.
    pub id: String,
    /// The whole item, unknown fields included.
    pub fields: Map<String, Value>,
}

impl Item {
    /// Validates the item at `index` of a batch: it must be a JSON object with a
    /// non-empty string `id`.
    ///
    /// ```
    /// use offline_mailbox::model::Item;
    /// let item = Item::from_json(0, serde_json::json!({"id": "AAMk1", "subject": "Hi"})).unwrap();
    /// assert_eq!(item.id, "AAMk1");
    /// assert!(Item::from_json(4, serde_json::json!({"subject": "no id"})).is_err());
    /// ```
    pub fn from_json(index: usize, value: Value) -> Result<Self, ModelError> {
        let error = |field: &str, reason: &str| ModelError { index, field: field.into(), reason: reason.into() };
        let Value::Object(fields) = value else {
            return Err(error("(item)", "must be a JSON object"));
        };
        let id = match fields.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::String(_)) => return Err(error("id", "must not be empty")),
            Some(_) => return Err(error("id", "must be a string")),
            None => return Err(error("id", "is required")),
        };
        Ok(Self { id, fields })
    }

    /// The item as JSON bytes, the plaintext that gets sealed.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.fields).unwrap_or_default()
    }
}

/// Validates a whole batch, failing on the first malformed item.
pub fn validate_batch(values: Vec<Value>) -> Result<Vec<Item>, ModelError> {
    values.into_iter().enumerate().map(|(index, value)| Item::from_json(index, value)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_kept() {
        let item = Item::from_json(0, json!({"id": "1", "futureField": {"x": [1, 2]}})).unwrap();
        let bytes = item.to_json_bytes();
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back["futureField"], json!({"x": [1, 2]}));
    }

    #[test]
    fn a_batch_names_the_first_malformed_item() {
        let error = validate_batch(vec![json!({"id": "a"}), json!({"id": 7})]).unwrap_err();
        assert_eq!(error, ModelError { index: 1, field: "id".into(), reason: "must be a string".into() });
    }

    #[test]
    fn non_objects_are_rejected() {
        assert_eq!(Item::from_json(2, json!("x")).unwrap_err().field, "(item)");
    }

    #[test]
    fn stores_round_trip_to_kinds() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_store(kind.store()), Some(kind));
        }
    }
}
