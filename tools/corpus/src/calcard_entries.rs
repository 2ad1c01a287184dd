//! Reading the entries of a `.vcf` or `.ics` text with calcard's one parser.

use crate::skips::Tally;
use calcard::icalendar::ICalendar;
use calcard::vcard::VCard;
use calcard::{Entry, Parser};

/// Upper bound of entries read from one file (guards against a parser that
/// would not advance).
const MAX_ENTRIES_PER_FILE: usize = 100_000;

/// The vCards and calendars found in one text.
#[derive(Default)]
pub struct Entries {
    /// Every vCard, in file order.
    pub cards: Vec<VCard>,
    /// Every VCALENDAR, in file order.
    pub calendars: Vec<ICalendar>,
}

/// All entries of a text. Invalid lines are passed over; a parse error is
/// counted under `error_reason` and ends the file, since the parser cannot
/// resynchronise after one.
pub fn read_entries(text: &str, skipped: &mut Tally, error_reason: &str) -> Entries {
    let mut parser = Parser::new(text);
    let mut entries = Entries::default();
    for _ in 0..MAX_ENTRIES_PER_FILE {
        match parser.entry() {
            Entry::VCard(card) => entries.cards.push(card),
            Entry::ICalendar(calendar) => entries.calendars.push(calendar),
            Entry::InvalidLine(_) => {}
            Entry::Eof => break,
            _ => {
                skipped.add(error_reason);
                break;
            }
        }
    }
    entries
}
