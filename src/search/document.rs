//! What search knows of a message: the terms of each indexed field, in order,
//! and the facts the operators filter on. Built from the message's JSON as
//! stored, so a protected message (its body withheld) is searchable only by
//! what was kept of it.

use serde_json::{Map, Value};

use super::html::html_to_text;
use super::query::Field;
use super::text::{each_term, normalize};
use crate::model::Timestamp;

/// The summary fields whose text is indexed: an update of any of them changes
/// the message's terms, so the whole message is indexed again.
pub const INDEXED_SUMMARY_FIELDS: [&str; 5] = [
    "subject",
    "from",
    "toRecipients",
    "ccRecipients",
    "categories",
];

/// Whether an update (a delta entry's fields) changes indexed summary text.
///
/// ```
/// use offline_mailbox::search::changes_indexed_text;
/// let update = serde_json::json!({"id": "m", "isRead": true});
/// assert!(!changes_indexed_text(update.as_object().unwrap()));
/// ```
pub fn changes_indexed_text(update: &Map<String, Value>) -> bool {
    INDEXED_SUMMARY_FIELDS
        .iter()
        .any(|name| update.contains_key(*name))
}

/// A message as search sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDocument {
    /// Per field (indexed by [`Field::number`]), each of its values (a
    /// recipient, a category, an attachment name) normalized, in order. A phrase
    /// matches within one value only. Terms are cut from these texts as they are
    /// needed, as slices of them.
    pub fields: [Vec<String>; 7],
    /// `isRead` is false.
    pub unread: bool,
    /// `flag.flagStatus` is `flagged`.
    pub flagged: bool,
    /// `hasAttachments` is true.
    pub has_attachments: bool,
    /// `receivedDateTime` (else `sentDateTime`) in ms since the epoch (0 when
    /// missing or malformed): the time messages are ordered by.
    pub received: i64,
    /// `parentFolderId` ("" when missing).
    pub folder: String,
}

impl SearchDocument {
    /// The searchable view of a message (summary and rest joined; either part
    /// alone gives the view of what it holds).
    ///
    /// ```
    /// use offline_mailbox::search::{Field, SearchDocument};
    /// let message = serde_json::json!({
    ///     "subject": "Lunch?",
    ///     "body": {"contentType": "html", "content": "<p>At <b>noon</b></p>"},
    ///     "isRead": false,
    /// });
    /// let doc = SearchDocument::of_message(message.as_object().unwrap());
    /// assert_eq!(doc.terms(Field::Body), ["at", "noon"]);
    /// assert!(doc.unread);
    /// ```
    pub fn of_message(message: &Map<String, Value>) -> SearchDocument {
        let mut doc = SearchDocument::default();
        doc.add(Field::Subject, str_at(message, "subject"));
        for recipient in one_or_many(message.get("from")) {
            doc.add_recipient(Field::From, recipient);
        }
        for (field, name) in [(Field::To, "toRecipients"), (Field::Cc, "ccRecipients")] {
            for recipient in one_or_many(message.get(name)) {
                doc.add_recipient(field, recipient);
            }
        }
        doc.add_body(message.get("body"));
        for category in one_or_many(message.get("categories")) {
            doc.add(Field::Categories, category.as_str().unwrap_or_default());
        }
        for attachment in one_or_many(message.get("attachments")) {
            doc.add(Field::Attachments, str_at_value(attachment, "name"));
        }
        doc.unread = message.get("isRead").and_then(Value::as_bool) == Some(false);
        doc.flagged = message
            .get("flag")
            .and_then(|flag| flag.get("flagStatus"))
            .and_then(Value::as_str)
            == Some("flagged");
        doc.has_attachments = message.get("hasAttachments").and_then(Value::as_bool) == Some(true);
        doc.received = received(message);
        doc.folder = str_at(message, "parentFolderId").to_owned();
        doc
    }

    /// The searchable view of a contact: its names, company, department, job
    /// title, office, addresses (name and address) and phone numbers, each one
    /// value. Contacts have none of a message's fields: they are searched by
    /// words and phrases only, and every value is kept as a value of
    /// [`Field::Body`].
    ///
    /// ```
    /// use offline_mailbox::search::{matches, Query, SearchDocument};
    /// let contact = serde_json::json!({"displayName": "Zoë Quinn", "businessPhones": ["+1 555 0100"]});
    /// let doc = SearchDocument::of_contact(contact.as_object().unwrap());
    /// assert!(matches(&Query::parse("zoe 555").unwrap(), &doc.cut()));
    /// ```
    pub fn of_contact(contact: &Map<String, Value>) -> SearchDocument {
        let mut doc = SearchDocument::default();
        for name in [
            "displayName",
            "givenName",
            "surname",
            "nickName",
            "companyName",
            "department",
            "jobTitle",
            "officeLocation",
            "mobilePhone",
        ] {
            doc.add(Field::Body, str_at(contact, name));
        }
        for name in ["businessPhones", "homePhones"] {
            for phone in one_or_many(contact.get(name)) {
                doc.add(Field::Body, phone.as_str().unwrap_or_default());
            }
        }
        for address in one_or_many(contact.get("emailAddresses")) {
            doc.add(Field::Body, str_at_value(address, "name"));
            doc.add(Field::Body, str_at_value(address, "address"));
        }
        doc
    }

    /// The searchable view of an event instance: its subject, location, and the
    /// organizer's and attendees' names and addresses, each one value (searched by
    /// words and phrases only, like a contact's).
    pub fn of_event(event: &Map<String, Value>) -> SearchDocument {
        let mut doc = SearchDocument::default();
        doc.add(Field::Body, str_at(event, "subject"));
        if let Some(location) = event.get("location") {
            doc.add(Field::Body, str_at_value(location, "displayName"));
        }
        let people = one_or_many(event.get("organizer"))
            .into_iter()
            .chain(one_or_many(event.get("attendees")));
        for person in people {
            doc.add_recipient(Field::Body, person);
        }
        doc
    }

    /// Every term of `field`, across its values, in order.
    pub fn terms(&self, field: Field) -> Vec<&str> {
        let mut terms = Vec::new();
        self.each_term(field, |term| terms.push(term));
        terms
    }

    /// Calls `visit` with every term of `field`, across its values, in order.
    pub fn each_term<'a>(&'a self, field: Field, mut visit: impl FnMut(&'a str)) {
        for value in self.values(field) {
            each_term(value, |term, _| visit(term));
        }
    }

    /// The values of `field`, each normalized (cut it into terms with
    /// [`each_term`](crate::search::each_term)).
    pub fn values(&self, field: Field) -> &[String] {
        &self.fields[usize::from(field.number())]
    }

    fn add(&mut self, field: Field, text: &str) {
        let normalized = normalize(text);
        if !normalized.is_empty() {
            self.fields[usize::from(field.number())].push(normalized);
        }
    }

    fn add_recipient(&mut self, field: Field, recipient: &Value) {
        let address = recipient.get("emailAddress").unwrap_or(&Value::Null);
        self.add(field, str_at_value(address, "name"));
        self.add(field, str_at_value(address, "address"));
    }

    fn add_body(&mut self, body: Option<&Value>) {
        let Some(body) = body else {
            return;
        };
        let content = str_at_value(body, "content");
        let html = str_at_value(body, "contentType").eq_ignore_ascii_case("html");
        if html {
            self.add(Field::Body, &html_to_text(content));
        } else {
            self.add(Field::Body, content);
        }
    }
}

/// A document's terms cut once, per field and per value, for matching: a
/// query's clauses (or many queries) then read them without cutting again.
#[derive(Debug, Clone)]
pub struct DocumentTerms<'a> {
    /// The document the terms are cut from (its facts, for the operators).
    pub document: &'a SearchDocument,
    values: [Vec<Vec<&'a str>>; 7],
}

impl DocumentTerms<'_> {
    /// The values of `field`, each as its terms in order.
    pub fn values(&self, field: Field) -> &[Vec<&str>] {
        &self.values[usize::from(field.number())]
    }
}

impl SearchDocument {
    /// The document's terms, cut once for matching.
    ///
    /// ```
    /// use offline_mailbox::search::{Field, SearchDocument};
    /// let message = serde_json::json!({"subject": "Re: lunch"});
    /// let doc = SearchDocument::of_message(message.as_object().unwrap());
    /// assert_eq!(doc.cut().values(Field::Subject), [vec!["re", "lunch"]]);
    /// ```
    pub fn cut(&self) -> DocumentTerms<'_> {
        let values = Field::ALL.map(|field| {
            self.values(field)
                .iter()
                .map(|value| {
                    let mut terms = Vec::new();
                    each_term(value, |term, _| terms.push(term));
                    terms
                })
                .collect()
        });
        DocumentTerms {
            document: self,
            values,
        }
    }
}

/// `receivedDateTime`, else `sentDateTime`, in ms (0 without either), as the
/// store orders messages.
pub fn received(message: &Map<String, Value>) -> i64 {
    ["receivedDateTime", "sentDateTime"]
        .into_iter()
        .find_map(|name| {
            message
                .get(name)
                .and_then(Value::as_str)
                .and_then(Timestamp::parse)
        })
        .map_or(0, |time| time.0)
}

fn str_at<'a>(message: &'a Map<String, Value>, name: &str) -> &'a str {
    message
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn str_at_value<'a>(value: &'a Value, name: &str) -> &'a str {
    value.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// The elements of an array, or the value itself when it is a single object.
fn one_or_many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> SearchDocument {
        SearchDocument::of_message(value.as_object().unwrap())
    }

    #[test]
    fn every_indexed_field_is_read() {
        let d = doc(json!({
            "subject": "Q3 Budget",
            "from": {"emailAddress": {"name": "Ada L", "address": "ada@example.com"}},
            "toRecipients": [{"emailAddress": {"name": "Bob", "address": "bob@example.com"}}],
            "ccRecipients": [{"emailAddress": {"address": "cy@example.org"}}],
            "body": {"contentType": "text", "content": "See <attached>"},
            "categories": ["Red category"],
            "attachments": [{"name": "plan.pdf"}],
            "flag": {"flagStatus": "flagged"},
            "hasAttachments": true,
            "isRead": true,
            "receivedDateTime": "1970-01-01T00:00:01Z",
            "parentFolderId": "inbox-id",
        }));
        assert_eq!(d.terms(Field::Subject), ["q3", "budget"]);
        assert_eq!(d.terms(Field::From), ["ada", "l", "ada", "example.com"]);
        assert_eq!(d.terms(Field::To), ["bob", "bob", "example.com"]);
        assert_eq!(d.terms(Field::Cc), ["cy", "example.org"]);
        assert_eq!(d.terms(Field::Body), ["see", "attached"]);
        assert_eq!(d.terms(Field::Categories), ["red", "category"]);
        assert_eq!(d.terms(Field::Attachments), ["plan.pdf"]);
        assert_eq!(d.values(Field::From).len(), 2);
        assert!(d.flagged && d.has_attachments && !d.unread);
        assert_eq!((d.received, d.folder.as_str()), (1000, "inbox-id"));
    }

    #[test]
    fn a_withheld_body_and_odd_shapes_give_nothing_rather_than_fail() {
        let d = doc(json!({
            "subject": 7,
            "from": [1, {"emailAddress": null}],
            "toRecipients": "x",
            "body": null,
            "categories": [null, "ok"],
            "receivedDateTime": "soon",
            "@offlineMailbox.bodyWithheld": "smime",
        }));
        assert!(d.terms(Field::Subject).is_empty());
        assert!(d.terms(Field::Body).is_empty());
        assert_eq!(d.terms(Field::Categories), ["ok"]);
        assert_eq!(d.received, 0);
        assert!(!d.unread);
    }
}
