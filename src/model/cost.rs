//! What parsing a JSON text will cost in memory, estimated from its structure
//! before it is parsed. A parsed object costs far more than the few characters
//! that write it (`{"":…}` is five characters and a whole map), so a text within
//! any character limit can still exhaust WebAssembly memory; the estimate lets the
//! caller refuse such input first. Pure Rust.

/// Estimated bytes a parsed object takes (its map node and first entry).
const OBJECT: u64 = 640;
/// Estimated bytes a parsed array takes.
const ARRAY: u64 = 64;
/// Estimated bytes each further value or entry takes.
const VALUE: u64 = 32;

/// An upper estimate of the memory a parsed `text` takes, in bytes: the text itself
/// (strings are copied) plus a cost per object, array and value, counted outside
/// string literals.
///
/// ```
/// use offline_mailbox::model::parse_cost;
/// let flat = parse_cost(r#"{"subject":"a long subject line, with commas, inside"}"#);
/// let nested = parse_cost(r#"{"":{"":{"":{"":{"":0}}}}}"#);
/// assert!(nested > 4 * flat);
/// ```
pub fn parse_cost(text: &str) -> u64 {
    let mut cost = text.len() as u64;
    let mut in_string = false;
    let mut escaped = false;
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        cost += match byte {
            b'"' => {
                in_string = true;
                0
            }
            b'{' => OBJECT,
            b'[' => ARRAY,
            b',' | b':' => VALUE,
            _ => 0,
        };
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_inside_strings_costs_nothing_extra() {
        let plain = parse_cost(r#"{"body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#);
        let punctuated = parse_cost(r#"{"body":"{[,:]}{[,:]}{[,:]}{[,:]}{[,:]}{[,:]}"}"#);
        assert_eq!(plain, punctuated);
        let text = r#"{"body":"\"{{{{{{{{{{"}"#;
        assert_eq!(parse_cost(text), text.len() as u64 + OBJECT + VALUE);
    }

    #[test]
    fn nested_objects_cost_far_more_than_their_characters() {
        let bomb: String = "{\"\":".repeat(1000) + "0" + &"}".repeat(1000);
        assert!(parse_cost(&bomb) > 100 * bomb.len() as u64);
    }

    #[test]
    fn a_typical_message_costs_a_few_times_its_length() {
        let message = r#"{"id":"AAMk1","subject":"Quarterly report","from":{"emailAddress":{"name":"Adele","address":"adele@contoso.com"}},
            "toRecipients":[{"emailAddress":{"name":"Megan","address":"megan@contoso.com"}}],"body":{"contentType":"html","content":"<p>Hello, see the figures: 1, 2, 3.</p>"},
            "isRead":false,"receivedDateTime":"2024-05-01T10:00:00Z"}"#;
        let cost = parse_cost(message);
        assert!(cost < 20 * message.len() as u64, "{cost}");
    }
}
