//! The query language of the search box, parsed into clauses that must all hold.
//!
//! | written | means |
//! | --- | --- |
//! | `budget report` | both words occur (in any indexed field) |
//! | `budg` | as the last word, unquoted and not followed by a space: any word starting with `budg` (3 characters or more) |
//! | `"quarterly budget"` | the words occur one after another |
//! | `from:`, `to:`, `cc:`, `subject:` + word or `"phrase"` | in that field only (names and addresses for the first three) |
//! | `has:attachment` | the message has attachments |
//! | `is:unread`, `is:read`, `is:flagged` | read state and flag |
//! | `before:2024-05-31`, `after:2024-05-01` | received before the start of that day (UTC), or at or after it |
//! | `folder:inbox`, `folder:"Project X"` | in that folder: a well-known name, a display name or an id |
//!
//! Operator names are case-insensitive; a word with a colon that is not an
//! operator (`re:`) is ordinary text.

use time::{Date, Month};

use super::text::{tokens, Token};

/// Queries longer than this (in characters) are refused.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Queries with more clauses than this are refused.
pub const MAX_CLAUSES: usize = 32;
/// A last word shorter than this (outside CJK) matches only whole words.
pub const MIN_PREFIX_CHARS: usize = 3;

/// An indexed field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `subject`.
    Subject,
    /// `from`: name and address.
    From,
    /// `toRecipients`: names and addresses.
    To,
    /// `ccRecipients`: names and addresses.
    Cc,
    /// `body`, HTML reduced to text.
    Body,
    /// `categories`.
    Categories,
    /// `attachments[].name`.
    Attachments,
}

impl Field {
    /// Every field, in the order of their numbers.
    pub const ALL: [Field; 7] = [
        Field::Subject,
        Field::From,
        Field::To,
        Field::Cc,
        Field::Body,
        Field::Categories,
        Field::Attachments,
    ];

    /// The field's number in stored postings (stable: it is part of the format).
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The field with this number.
    pub fn from_number(number: u8) -> Option<Field> {
        Field::ALL.get(usize::from(number)).copied()
    }
}

/// A term a clause looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The normalized term.
    pub text: String,
    /// Whether any term starting with `text` matches too.
    pub prefix: bool,
}

/// One condition of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// The term occurs in `field` (or in any field).
    Term {
        /// Where, if not anywhere.
        field: Option<Field>,
        /// What.
        term: Term,
    },
    /// The terms occur one after another within one value of `field` (or of any field).
    Phrase {
        /// Where, if not anywhere.
        field: Option<Field>,
        /// What, in order (at least two terms).
        terms: Vec<Term>,
    },
    /// The message has attachments (`hasAttachments`).
    HasAttachment,
    /// `isRead` is false (`true`) or true (`false`).
    Unread(bool),
    /// The flag's status is `flagged`.
    Flagged,
    /// Received before this time (ms since the epoch).
    Before(i64),
    /// Received at or after this time (ms since the epoch).
    After(i64),
    /// In this folder: as written until resolved, then the folder's id.
    Folder(String),
}

/// A parsed query: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The clauses, in the order written.
    pub clauses: Vec<Clause>,
}

/// Why a query could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

impl Query {
    /// Parses the text of a search box.
    ///
    /// ```
    /// use offline_mailbox::search::{Clause, Query, Field};
    /// let query = Query::parse("from:ada is:unread budg").unwrap();
    /// assert_eq!(query.clauses.len(), 3);
    /// assert!(matches!(&query.clauses[0], Clause::Term { field: Some(Field::From), .. }));
    /// assert!(Query::parse("\"unclosed").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut parser = Parser {
            text,
            at: 0,
            clauses: Vec::new(),
        };
        parser.run()?;
        let clauses = parser.clauses;
        if clauses.is_empty() {
            return Err(QueryError(
                "the query has nothing to search for: give a word, a phrase or an operator".into(),
            ));
        }
        if clauses.len() > MAX_CLAUSES {
            return Err(QueryError(format!(
                "the query has more than {MAX_CLAUSES} words and operators"
            )));
        }
        Ok(Query { clauses })
    }

    /// Replaces each `folder:` clause's text by the id `resolve` gives it; a
    /// folder `resolve` does not know is an error naming it.
    pub fn resolve_folders(
        &mut self,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Result<(), QueryError> {
        for clause in &mut self.clauses {
            if let Clause::Folder(name) = clause {
                *name = resolve(name)
                    .ok_or_else(|| QueryError(format!("folder:{name}: no such folder")))?;
            }
        }
        Ok(())
    }

    /// Refuses operators: contacts and events are searched by words and phrases
    /// only. `what` names the call, for the error.
    pub fn words_only(&self, what: &str) -> Result<(), QueryError> {
        let operator = self.clauses.iter().any(|clause| match clause {
            Clause::Term { field, .. } | Clause::Phrase { field, .. } => field.is_some(),
            _ => true,
        });
        match operator {
            true => Err(QueryError(format!(
                "{what} takes words and \"phrases\" only; operators such as from: or is:unread search messages"
            ))),
            false => Ok(()),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    clauses: Vec<Clause>,
}

/// A value as written: quoted or not, and whether the query ends right after it.
struct Written<'a> {
    text: &'a str,
    quoted: bool,
    last: bool,
}

impl<'a> Parser<'a> {
    fn run(&mut self) -> Result<(), QueryError> {
        loop {
            self.skip_spaces();
            if self.at >= self.text.len() {
                return Ok(());
            }
            let start = self.at;
            if self.rest().starts_with('"') {
                let value = self.quoted(start)?;
                self.words(None, value);
                continue;
            }
            let chunk = self.unquoted();
            match chunk.split_once(':') {
                Some((name, value)) if is_operator(name) => self.operator(name, value, start)?,
                _ => {
                    let last = self.at >= self.text.len();
                    self.words(
                        None,
                        Written {
                            text: chunk,
                            quoted: false,
                            last,
                        },
                    );
                }
            }
        }
    }

    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    /// Reads a quoted value starting at the current `"`.
    fn quoted(&mut self, start: usize) -> Result<Written<'a>, QueryError> {
        let text: &'a str = self.text;
        let inner = &text[self.at + 1..];
        let Some(end) = inner.find('"') else {
            let column = self.text[..start].chars().count() + 1;
            return Err(QueryError(format!(
                "the quote at character {column} is not closed"
            )));
        };
        self.at += end + 2;
        Ok(Written {
            text: &inner[..end],
            quoted: true,
            last: false,
        })
    }

    /// Reads up to the next space; a `"` after an operator's colon starts a quoted value.
    fn unquoted(&mut self) -> &'a str {
        let text: &'a str = self.text;
        let rest = &text[self.at..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let chunk = &rest[..end];
        let end = match chunk.find(':') {
            Some(colon) if rest[colon + 1..].starts_with('"') => colon + 1,
            _ => end,
        };
        self.at += end;
        &rest[..end]
    }

    fn operator(&mut self, name: &str, value: &'a str, start: usize) -> Result<(), QueryError> {
        let name = name.to_ascii_lowercase();
        let written = if value.is_empty() && self.rest().starts_with('"') {
            self.quoted(start)?
        } else {
            Written {
                text: value,
                quoted: false,
                last: self.at >= self.text.len(),
            }
        };
        let value = written.text;
        if value.trim().is_empty() {
            return Err(QueryError(format!("{name}: needs a value")));
        }
        let clause = match name.as_str() {
            "from" | "to" | "cc" | "subject" => {
                let field = match name.as_str() {
                    "from" => Field::From,
                    "to" => Field::To,
                    "cc" => Field::Cc,
                    _ => Field::Subject,
                };
                let count = self.clauses.len();
                self.words(Some(field), written);
                if self.clauses.len() == count {
                    return Err(QueryError(format!(
                        "{name}:{value} has no word to search for"
                    )));
                }
                return Ok(());
            }
            "has"
                if value.eq_ignore_ascii_case("attachment")
                    || value.eq_ignore_ascii_case("attachments") =>
            {
                Clause::HasAttachment
            }
            "has" => {
                return Err(QueryError(format!(
                    "has:{value}: only has:attachment is known"
                )))
            }
            "is" => match value.to_ascii_lowercase().as_str() {
                "unread" => Clause::Unread(true),
                "read" => Clause::Unread(false),
                "flagged" => Clause::Flagged,
                _ => {
                    return Err(QueryError(format!(
                        "is:{value}: use is:unread, is:read or is:flagged"
                    )))
                }
            },
            "before" => Clause::Before(day_start(&name, value)?),
            "after" => Clause::After(day_start(&name, value)?),
            _ => Clause::Folder(value.to_owned()),
        };
        self.clauses.push(clause);
        Ok(())
    }

    /// Adds the clauses for words as written: one term clause per word, or one
    /// phrase when quoted (or an operator's value of several words).
    fn words(&mut self, field: Option<Field>, written: Written<'_>) {
        let mut found = tokens(written.text);
        if found.is_empty() {
            return;
        }
        if written.last {
            if let Some(last) = found.last_mut() {
                mark_prefix(last);
            }
        }
        let terms: Vec<Term> = found.into_iter().map(term_of).collect();
        let phrase = terms.len() > 1 && (written.quoted || field.is_some());
        if phrase {
            self.clauses.push(Clause::Phrase { field, terms });
            return;
        }
        for term in terms {
            self.clauses.push(Clause::Term { field, term });
        }
    }
}

/// The last word of a query, typed as far as it goes: a prefix, once long enough.
fn mark_prefix(token: &mut Token) {
    if token.term.chars().count() >= MIN_PREFIX_CHARS {
        token.tail = true;
    }
}

fn term_of(token: Token) -> Term {
    Term {
        text: token.term,
        prefix: token.tail,
    }
}

fn is_operator(name: &str) -> bool {
    [
        "from", "to", "cc", "subject", "has", "is", "before", "after", "folder",
    ]
    .iter()
    .any(|op| op.eq_ignore_ascii_case(name))
}

/// Midnight UTC of a `YYYY-MM-DD` (or `YYYY/MM/DD`) date, in ms since the epoch.
fn day_start(name: &str, value: &str) -> Result<i64, QueryError> {
    let bad = || QueryError(format!("{name}:{value} is not a date like 2024-05-31"));
    let parts: Vec<&str> = value.split(['-', '/']).collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |text: &str| text.parse::<i32>().ok().filter(|_| !text.is_empty());
    let (Some(year), Some(month), Some(day)) = (number(year), number(month), number(day)) else {
        return Err(bad());
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str, prefix: bool) -> Term {
        Term {
            text: text.into(),
            prefix,
        }
    }

    fn parse(text: &str) -> Vec<Clause> {
        Query::parse(text).unwrap().clauses
    }

    #[test]
    fn words_must_all_match_and_the_last_is_a_prefix() {
        assert_eq!(
            parse("Budget REPORT"),
            [
                Clause::Term {
                    field: None,
                    term: term("budget", false)
                },
                Clause::Term {
                    field: None,
                    term: term("report", true)
                },
            ]
        );
        assert_eq!(
            parse("budget report ")[1],
            Clause::Term {
                field: None,
                term: term("report", false)
            }
        );
        assert_eq!(
            parse("a bc")[1],
            Clause::Term {
                field: None,
                term: term("bc", false)
            }
        );
    }

    #[test]
    fn quoted_text_is_a_phrase_and_never_a_prefix() {
        assert_eq!(
            parse("\"Quarterly budget\""),
            [Clause::Phrase {
                field: None,
                terms: vec![term("quarterly", false), term("budget", false)]
            }]
        );
        assert_eq!(
            parse("\"one\""),
            [Clause::Term {
                field: None,
                term: term("one", false)
            }]
        );
    }

    #[test]
    fn field_operators_take_a_word_a_phrase_or_an_address() {
        assert_eq!(
            parse("from:Ada x")[0],
            Clause::Term {
                field: Some(Field::From),
                term: term("ada", false)
            }
        );
        assert_eq!(
            parse("to:\"Ada Lovelace\" x")[0],
            Clause::Phrase {
                field: Some(Field::To),
                terms: vec![term("ada", false), term("lovelace", false)]
            }
        );
        assert_eq!(
            parse("cc:ada@example.com x")[0],
            Clause::Phrase {
                field: Some(Field::Cc),
                terms: vec![term("ada", false), term("example.com", false)]
            }
        );
        assert_eq!(
            parse("SUBJECT:hello")[0],
            Clause::Term {
                field: Some(Field::Subject),
                term: term("hello", true)
            }
        );
    }

    #[test]
    fn flag_date_and_folder_operators() {
        assert_eq!(
            parse("has:attachment is:UNREAD is:read is:flagged folder:\"Project X\""),
            [
                Clause::HasAttachment,
                Clause::Unread(true),
                Clause::Unread(false),
                Clause::Flagged,
                Clause::Folder("Project X".into()),
            ]
        );
        assert_eq!(parse("after:1970-01-02"), [Clause::After(86_400_000)]);
        assert_eq!(
            parse("before:2024/02/29"),
            [Clause::Before(1_709_164_800_000)]
        );
    }

    #[test]
    fn a_colon_that_is_no_operator_is_text() {
        // UAX #29 keeps a colon between letters inside the word, as documents do.
        assert_eq!(
            parse("re:meeting"),
            [Clause::Term {
                field: None,
                term: term("re:meeting", true)
            }]
        );
        assert_eq!(
            parse("re: meeting"),
            [
                Clause::Term {
                    field: None,
                    term: term("re", false)
                },
                Clause::Term {
                    field: None,
                    term: term("meeting", true)
                },
            ]
        );
    }

    #[test]
    fn malformed_queries_name_the_problem() {
        let error = |text: &str| Query::parse(text).unwrap_err().0;
        assert!(
            error("say \"hi").contains("character 5 is not closed"),
            "{}",
            error("say \"hi")
        );
        assert!(error("from:").contains("from: needs a value"));
        assert!(error("from:\"\"").contains("needs a value"));
        assert!(error("is:spam").contains("is:unread"));
        assert!(error("has:link").contains("has:attachment"));
        assert!(error("before:2024-13-01").contains("not a date"));
        assert!(error("after:yesterday").contains("not a date"));
        assert!(error("before:2024-02-30").contains("not a date"));
        assert!(error("   ").contains("nothing to search"));
        assert!(error("-- !!").contains("nothing to search"));
        assert!(error(&"word ".repeat(40)).contains("more than 32"));
        assert!(error(&"x".repeat(1001)).contains("longer than 1000"));
        assert!(error("from:!!").contains("no word"));
    }

    #[test]
    fn cjk_queries_keep_the_tail_as_a_prefix() {
        assert_eq!(
            parse("東京"),
            [
                Clause::Term {
                    field: None,
                    term: term("東京", false)
                },
                Clause::Term {
                    field: None,
                    term: term("京", true)
                },
            ]
        );
    }

    #[test]
    fn folders_resolve_or_name_the_unknown_one() {
        let mut query = Query::parse("folder:Inbox x").unwrap();
        query
            .resolve_folders(|name| (name == "Inbox").then(|| "id-1".to_owned()))
            .unwrap();
        assert_eq!(query.clauses[0], Clause::Folder("id-1".into()));
        let mut query = Query::parse("folder:Nope").unwrap();
        assert!(query
            .resolve_folders(|_| None)
            .unwrap_err()
            .0
            .contains("folder:Nope"));
    }
}
