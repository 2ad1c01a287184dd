//! Whether one message matches a query: the definition every search answer is
//! held to. The index finds candidates quickly; this decides, and the plain
//! decrypt-and-scan reference is this function applied to every message.

use super::document::DocumentTerms;
use super::query::{Clause, Field, Query, Term};

/// Whether `doc` satisfies every clause of `query` (folders resolved to ids).
///
/// ```
/// use offline_mailbox::search::{matches, Query, SearchDocument};
/// let message = serde_json::json!({"subject": "Quarterly budget review", "isRead": false});
/// let doc = SearchDocument::of_message(message.as_object().unwrap());
/// let doc = doc.cut();
/// assert!(matches(&Query::parse("\"budget review\" is:unread").unwrap(), &doc));
/// assert!(matches(&Query::parse("subject:quart").unwrap(), &doc));
/// assert!(!matches(&Query::parse("\"review budget\"").unwrap(), &doc));
/// ```
pub fn matches(query: &Query, doc: &DocumentTerms) -> bool {
    query.clauses.iter().all(|clause| holds(clause, doc))
}

/// Whether one clause holds for `doc`.
pub fn holds(clause: &Clause, doc: &DocumentTerms) -> bool {
    let facts = doc.document;
    match clause {
        Clause::Term { field, term } => fields(*field).any(|f| {
            doc.values(f)
                .iter()
                .flatten()
                .any(|stored| term_matches(term, stored))
        }),
        Clause::Phrase { field, terms } => fields(*field).any(|f| {
            doc.values(f)
                .iter()
                .any(|value| contains_phrase(value, terms))
        }),
        Clause::HasAttachment => facts.has_attachments,
        Clause::Unread(unread) => facts.unread == *unread,
        Clause::Flagged => facts.flagged,
        Clause::Before(time) => facts.received < *time,
        Clause::After(time) => facts.received >= *time,
        Clause::Folder(id) => facts.folder == *id,
    }
}

/// Whether a stored term satisfies a query term.
pub fn term_matches(term: &Term, stored: &str) -> bool {
    if term.prefix {
        stored.starts_with(&term.text)
    } else {
        stored == term.text
    }
}

fn fields(field: Option<Field>) -> impl Iterator<Item = Field> {
    Field::ALL
        .into_iter()
        .filter(move |f| field.is_none_or(|only| only == *f))
}

fn contains_phrase(value: &[&str], terms: &[Term]) -> bool {
    value.windows(terms.len()).any(|window| {
        window
            .iter()
            .zip(terms)
            .all(|(stored, term)| term_matches(term, stored))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchDocument;
    use serde_json::json;

    fn doc() -> SearchDocument {
        SearchDocument::of_message(
            json!({
                "subject": "Trip to 東京都",
                "from": {"emailAddress": {"name": "Zoë Quinn", "address": "zoe@example.com"}},
                "toRecipients": [
                    {"emailAddress": {"name": "Ada", "address": "ada@example.com"}},
                    {"emailAddress": {"name": "Lovelace", "address": "l@example.com"}},
                ],
                "body": {"contentType": "html", "content": "<p>The <i>itinerary</i> is attached.</p>"},
                "isRead": true,
                "flag": {"flagStatus": "notFlagged"},
                "hasAttachments": true,
                "receivedDateTime": "2024-05-02T10:00:00Z",
                "parentFolderId": "inbox",
            })
            .as_object()
            .unwrap(),
        )
    }

    fn hit(query: &str) -> bool {
        let mut query = Query::parse(query).unwrap();
        query
            .resolve_folders(|name| Some(name.to_lowercase()))
            .unwrap();
        matches(&query, &doc().cut())
    }

    #[test]
    fn words_prefixes_and_fields() {
        assert!(hit("itinerary attached"));
        assert!(hit("itin"));
        assert!(!hit("itin "));
        assert!(hit("zoe"), "diacritics are ignored");
        assert!(hit("from:zoe"));
        assert!(!hit("to:zoe"));
        assert!(hit("to:ada@example.com"));
        assert!(!hit("from:itinerary"));
    }

    #[test]
    fn phrases_stay_inside_one_value() {
        assert!(hit("\"itinerary is attached\""));
        assert!(!hit("\"attached itinerary\""));
        assert!(!hit("to:\"ada lovelace\""), "two recipients are two values");
        assert!(hit("from:\"zoe quinn\""));
    }

    #[test]
    fn cjk_matches_by_pairs_and_single_characters() {
        assert!(hit("東京"));
        assert!(hit("京都"));
        assert!(hit("京"));
        assert!(hit("\"東京都\""));
        assert!(!hit("京東"));
        assert!(!hit("大阪"));
    }

    #[test]
    fn operators() {
        assert!(hit("has:attachment is:read folder:Inbox"));
        assert!(!hit("is:unread"));
        assert!(!hit("is:flagged"));
        assert!(hit("after:2024-05-02 before:2024-05-03"));
        assert!(!hit("after:2024-05-03"));
        assert!(!hit("before:2024-05-02"));
        assert!(!hit("folder:archive"));
    }
}
