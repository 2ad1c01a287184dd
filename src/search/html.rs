//! HTML bodies reduced to the text a reader sees, for indexing.
//!
//! Not a full HTML parser (html5ever would add hundreds of kilobytes to the
//! WebAssembly): tags become word breaks, `<script>`, `<style>`, `<head>` and
//! comments are dropped with their content, and character references are
//! decoded (numeric ones all, named ones for the common entities; others stay as
//! written). Both the index and the plain scan use this one reduction, so they
//! always agree on what a body says.

/// Elements whose content is not text a reader sees.
const HIDDEN: [&str; 4] = ["script", "style", "head", "title"];

/// The visible text of an HTML document or fragment.
///
/// ```
/// use offline_mailbox::search::html_to_text;
/// let text = html_to_text("<p>Fish&amp;chips</p><style>p{}</style><b>to</b>day &#233;t&eacute;");
/// assert_eq!(text.split_whitespace().collect::<Vec<_>>(), ["Fish&chips", "to", "day", "été"]);
/// ```
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(at) = rest.bytes().position(|b| b == b'<' || b == b'&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        rest = if rest.starts_with('&') {
            decode_reference(rest, &mut out)
        } else {
            skip_markup(rest, &mut out)
        };
    }
    out.push_str(rest);
    out
}

/// Skips the tag, comment or hidden element at the start of `rest` (which starts
/// with `<`), leaving a word break in `out`; returns what follows it.
fn skip_markup<'a>(rest: &'a str, out: &mut String) -> &'a str {
    if let Some(comment) = rest.strip_prefix("<!--") {
        out.push(' ');
        return comment.find("-->").map_or("", |end| &comment[end + 3..]);
    }
    let opens_tag = rest[1..]
        .starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
    if !opens_tag {
        // A `<` that opens no tag is text.
        out.push('<');
        return &rest[1..];
    }
    let Some(end) = rest.find('>') else {
        // No `>` follows at all: the rest is text (and no later `<` can open a tag).
        out.push_str(rest);
        return "";
    };
    let tag = &rest[1..end];
    out.push(' ');
    let after = &rest[end + 1..];
    match hidden_element(tag) {
        Some(name) => skip_to_close(after, name),
        None => after,
    }
}

/// The hidden element a start tag opens, if any.
fn hidden_element(tag: &str) -> Option<&'static str> {
    let name_len = tag
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(tag.len());
    let name = &tag[..name_len];
    let self_closing = tag.ends_with('/');
    HIDDEN
        .into_iter()
        .find(|hidden| hidden.eq_ignore_ascii_case(name) && !self_closing)
}

/// What follows the closing tag of `name` (case-insensitive), or nothing.
fn skip_to_close<'a>(text: &'a str, name: &str) -> &'a str {
    let closes = |at: &usize| {
        text.as_bytes()
            .get(at + 2..at + 2 + name.len())
            .is_some_and(|found| found.eq_ignore_ascii_case(name.as_bytes()))
    };
    let Some(at) = text.match_indices("</").map(|(at, _)| at).find(closes) else {
        return "";
    };
    let after = &text[at..];
    after.find('>').map_or("", |end| &after[end + 1..])
}

/// Decodes the character reference at the start of `rest` (which starts with
/// `&`) into `out`; returns what follows it. Unknown references stay as written.
fn decode_reference<'a>(rest: &'a str, out: &mut String) -> &'a str {
    let body_end = rest[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .map_or(rest.len(), |at| at + 1);
    let name = &rest[1..body_end];
    let decoded = match name.strip_prefix('#') {
        Some(number) => numeric(number),
        None => named(name),
    };
    let Some(c) = decoded else {
        out.push('&');
        return &rest[1..];
    };
    out.push(c);
    let after = &rest[body_end..];
    after.strip_prefix(';').unwrap_or(after)
}

fn numeric(number: &str) -> Option<char> {
    let value = match number.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    char::from_u32(value).filter(|&c| c != '\0')
}

fn named(name: &str) -> Option<char> {
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "shy" => '\u{AD}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(html: &str) -> Vec<String> {
        html_to_text(html)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn tags_break_words_and_hidden_content_goes() {
        assert_eq!(
            words("<html><head><title>T</title></head><body>Hi<br>there<script>var x=1;</script><!-- secret --></body>"),
            ["Hi", "there"]
        );
    }

    #[test]
    fn unclosed_and_stray_markup_never_loses_the_rest() {
        assert_eq!(words("a < b and c <d"), ["a", "<", "b", "and", "c", "<d"]);
        assert_eq!(words("x <!-- never closed"), ["x"]);
        assert_eq!(words("<STYLE>p{}</Style>kept"), ["kept"]);
        assert_eq!(words("<script>never closed"), Vec::<String>::new());
    }

    #[test]
    fn references_decode() {
        assert_eq!(
            words("&lt;tag&gt; &#x41;&#66; &bogus; &#0; &"),
            ["<tag>", "AB", "&bogus;", "&#0;", "&"]
        );
    }

    #[test]
    fn hostile_markup_takes_linear_time() {
        // Quadratic scans would take minutes on these; a linear one, milliseconds.
        let unclosed = "<x".repeat(500_000);
        assert_eq!(html_to_text(&unclosed).len(), unclosed.len());
        let hidden = "<style></style>".repeat(100_000) + "kept";
        assert_eq!(words(&hidden), ["kept"]);
        let stray = "<1".repeat(500_000) + ">";
        assert_eq!(html_to_text(&stray).len(), stray.len());
    }

    #[test]
    fn self_closing_hidden_tags_hide_nothing() {
        assert_eq!(words("<title/>shown"), ["shown"]);
    }
}
