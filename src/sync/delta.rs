//! Graph delta pages: `{ value: [...], "@odata.nextLink" | "@odata.deltaLink" }`,
//! where an entry with `@removed` is a removal and any other entry is a creation or
//! a (possibly partial) update.

use serde_json::{Map, Value};

use crate::model::ModelError;

/// Why Graph removed an item from a delta scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// The item was deleted (`"reason": "deleted"`).
    Deleted,
    /// The item left this scope, e.g. moved to another folder (`"reason": "changed"`).
    LeftScope,
}

/// One entry of a delta page.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new item, or the changed fields of a known one.
    Upsert {
        /// Position in the page's `value` array.
        index: usize,
        /// The fields sent.
        fields: Map<String, Value>,
    },
    /// An item to drop.
    Remove {
        /// Position in the page's `value` array.
        index: usize,
        /// The item id.
        id: String,
        /// Why it was removed.
        reason: RemovalReason,
    },
}

/// A parsed delta page.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaPage {
    /// The entries, in page order.
    pub changes: Vec<Change>,
    /// `@odata.deltaLink`, present on the last page of a round.
    pub delta_link: Option<String>,
}

impl DeltaPage {
    /// Parses a page; a malformed page or entry names the offending field.
    ///
    /// ```
    /// use offline_mailbox::sync::{Change, DeltaPage};
    /// let page = DeltaPage::parse(serde_json::json!({
    ///     "value": [{"id": "a", "isRead": true}, {"id": "b", "@removed": {"reason": "deleted"}}],
    ///     "@odata.deltaLink": "https://example/delta?token=1"
    /// })).unwrap();
    /// assert_eq!(page.changes.len(), 2);
    /// assert!(matches!(page.changes[1], Change::Remove { .. }));
    /// ```
    pub fn parse(page: Value) -> Result<Self, ModelError> {
        let page_error = |field: &str, reason: &str| ModelError {
            index: 0,
            field: field.into(),
            reason: reason.into(),
        };
        let Value::Object(mut page) = page else {
            return Err(page_error(
                "(page)",
                "must be a JSON object with a value array",
            ));
        };
        let delta_link = match page.remove("@odata.deltaLink") {
            None | Some(Value::Null) => None,
            Some(Value::String(link)) => Some(link),
            Some(_) => return Err(page_error("@odata.deltaLink", "must be a string")),
        };
        let Some(Value::Array(entries)) = page.remove("value") else {
            return Err(page_error("value", "must be an array"));
        };
        let changes = entries
            .into_iter()
            .enumerate()
            .map(|(index, entry)| parse_entry(index, entry))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            changes,
            delta_link,
        })
    }
}

fn parse_entry(index: usize, entry: Value) -> Result<Change, ModelError> {
    let error = |field: &str, reason: &str| ModelError {
        index,
        field: field.into(),
        reason: reason.into(),
    };
    let Value::Object(mut fields) = entry else {
        return Err(error("(item)", "must be a JSON object"));
    };
    let Some(removed) = fields.remove("@removed") else {
        return Ok(Change::Upsert { index, fields });
    };
    let id = match fields.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(error("id", "a removed entry needs its string id")),
    };
    let reason = match removed.get("reason").and_then(Value::as_str) {
        Some("changed") => RemovalReason::LeftScope,
        _ => RemovalReason::Deleted,
    };
    Ok(Change::Remove { index, id, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removals_carry_their_reason() {
        let page = DeltaPage::parse(json!({"value": [
            {"id": "a", "@removed": {"reason": "changed"}},
            {"id": "b", "@removed": {}}
        ]}))
        .unwrap();
        assert_eq!(
            page.changes[0],
            Change::Remove {
                index: 0,
                id: "a".into(),
                reason: RemovalReason::LeftScope
            }
        );
        assert_eq!(
            page.changes[1],
            Change::Remove {
                index: 1,
                id: "b".into(),
                reason: RemovalReason::Deleted
            }
        );
        assert_eq!(page.delta_link, None);
    }

    #[test]
    fn malformed_pages_and_entries_are_named() {
        assert_eq!(
            DeltaPage::parse(json!({"items": []})).unwrap_err().field,
            "value"
        );
        let error =
            DeltaPage::parse(json!({"value": [{"id": "a"}, {"@removed": {}}]})).unwrap_err();
        assert_eq!((error.index, error.field.as_str()), (1, "id"));
        assert_eq!(
            DeltaPage::parse(json!({"value": [], "@odata.deltaLink": 5}))
                .unwrap_err()
                .field,
            "@odata.deltaLink"
        );
    }
}
