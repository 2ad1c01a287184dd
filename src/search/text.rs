//! Text as search sees it: normalized, then cut into terms.
//!
//! Normalization makes matching case- and diacritic-insensitive: full Unicode
//! case folding (`caseless`), compatibility decomposition (NFKD, so `ﬁ` is `fi`
//! and a full-width `Ａ` is `a`), every combining mark dropped except the kana
//! voicing marks (so `é` is `e` but `が` stays `が`), then composition again
//! (NFC, so Hangul syllables come back whole). ASCII text takes a fast path with
//! the same result.
//!
//! Terms are the words of UAX #29 (`unicode-segmentation`) for alphabetic
//! scripts. Chinese, Japanese and Korean text has no spaces to cut at, so each
//! run of such characters becomes its overlapping character pairs, followed by
//! its last character alone, marked as a *tail*: `東京都` gives `東京`, `京都`
//! and the tail `都`. A tail in a query matches every term that starts with it,
//! so a one-character query finds the character anywhere in a run, and a query
//! run matches wherever its pairs occur in order.

use caseless::Caseless;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Terms longer than this many characters are cut to it (in documents and in
/// queries alike), so an encoded blob in a body cannot bloat the index.
pub const MAX_TERM_CHARS: usize = 40;

/// One term of a text, in the order the text has them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token {
    /// The normalized term.
    pub term: String,
    /// Whether this is the last character of a CJK run, standing alone: in a
    /// query it matches every term that starts with it.
    pub tail: bool,
}

/// The normalized form of `text` (see the module documentation).
///
/// ```
/// use offline_mailbox::search::normalize;
/// assert_eq!(normalize("Crème BRÛLÉE"), "creme brulee");
/// assert_eq!(normalize("Straße"), "strasse");
/// assert_eq!(normalize("ＡＢＣ"), "abc");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (plain, after) = rest.split_at(ascii);
        let start = out.len();
        out.push_str(plain);
        out[start..].make_ascii_lowercase();
        let wide = after
            .bytes()
            .position(|b| b.is_ascii())
            .unwrap_or(after.len());
        let (wide, after) = after.split_at(wide);
        normalize_wide(wide, &mut out);
        rest = after;
    }
    out
}

/// Appends the normalized form of a run of non-ASCII characters. Runs can be
/// normalized apart from the ASCII text around them: an ASCII character is a
/// starter, so no reordering of marks crosses it, and the only characters that
/// compose with an ASCII letter are combining marks, which normalization drops.
fn normalize_wide(run: &str, out: &mut String) {
    if run.is_empty() {
        return;
    }
    let folded: String = run.nfkd().default_case_fold().collect();
    out.extend(folded.nfkd().filter(|&c| keeps(c)).nfc());
}

/// Whether normalization keeps `c` (already decomposed): combining marks go,
/// except the kana voicing marks, which tell two different kana apart.
fn keeps(c: char) -> bool {
    !is_combining_mark(c) || matches!(c, '\u{3099}' | '\u{309A}')
}

/// Whether `c` belongs to a script written without spaces between words, which
/// is cut into character pairs: Han, Hiragana, Katakana and Hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3130..=0x318F     // Hangul Compatibility Jamo
        | 0x31F0..=0x31FF     // Katakana Phonetic Extensions
        | 0x3400..=0x4DBF     // CJK Extension A
        | 0x4E00..=0x9FFF     // CJK Unified Ideographs
        | 0xA960..=0xA97F     // Hangul Jamo Extended-A
        | 0xAC00..=0xD7AF     // Hangul Syllables
        | 0xD7B0..=0xD7FF     // Hangul Jamo Extended-B
        | 0xF900..=0xFAFF     // CJK Compatibility Ideographs
        | 0x20000..=0x3FFFF   // CJK Extensions B and later
    )
}

/// The terms of `text`, normalized, in order.
///
/// ```
/// use offline_mailbox::search::tokens;
/// let terms: Vec<String> = tokens("Re: Café déjà-vu").into_iter().map(|t| t.term).collect();
/// assert_eq!(terms, ["re", "cafe", "deja", "vu"]);
/// ```
pub fn tokens(text: &str) -> Vec<Token> {
    let normalized = normalize(text);
    let mut out = Vec::new();
    each_term(&normalized, |term, tail| {
        out.push(Token {
            term: term.to_owned(),
            tail,
        })
    });
    out
}

/// Calls `visit(term, tail)` for each term of already normalized text, in
/// order. Every term is a slice of `normalized`, so cutting a text allocates
/// nothing.
///
/// ```
/// use offline_mailbox::search::{each_term, normalize};
/// let text = normalize("Tokyo 東京");
/// let mut terms = Vec::new();
/// each_term(&text, |term, tail| terms.push((term, tail)));
/// assert_eq!(terms, [("tokyo", false), ("東京", false), ("京", true)]);
/// ```
pub fn each_term<'a>(normalized: &'a str, mut visit: impl FnMut(&'a str, bool)) {
    if normalized.is_ascii() {
        visit_words(normalized, &mut visit);
        return;
    }
    let mut rest = normalized;
    while !rest.is_empty() {
        let cjk = rest.chars().next().is_some_and(is_cjk);
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_cjk(c) != cjk)
            .map_or(rest.len(), |(at, _)| at);
        let (run, after) = rest.split_at(end);
        if cjk {
            visit_pairs(run, &mut visit);
        } else {
            visit_words(run, &mut visit);
        }
        rest = after;
    }
}

fn visit_words<'a>(run: &'a str, visit: &mut impl FnMut(&'a str, bool)) {
    each_word(run, |word| {
        if !is_noise(word) {
            visit(cut(word), false);
        }
    });
}

/// Calls `word` for each word of `run` (UAX #29). Text with a few non-ASCII
/// characters is cut at ASCII whitespace followed by an ASCII character, where
/// the rules break on both sides and look no further (whitespace followed by a
/// joiner or a mark is not such a place: the joiner clings to it), and only the
/// pieces that hold a non-ASCII character take the general tables.
fn each_word<'a>(run: &'a str, mut word: impl FnMut(&'a str)) {
    let mut piece_words = |piece: &'a str| {
        if piece.is_ascii() {
            ascii_words(piece.as_bytes(), |start, end| word(&piece[start..end]));
        } else {
            piece.unicode_words().for_each(&mut word);
        }
    };
    if run.is_ascii() {
        piece_words(run);
        return;
    }
    let bytes = run.as_bytes();
    let mut start = 0;
    for (at, byte) in bytes.iter().enumerate() {
        let space = matches!(byte, b' ' | b'\n' | b'\t' | b'\r');
        if space && bytes.get(at + 1).is_none_or(u8::is_ascii) {
            piece_words(&run[start..at]);
            start = at + 1;
        }
    }
    piece_words(&run[start..]);
}

/// The UAX #29 word property of an ASCII byte, as far as word boundaries
/// between ASCII characters depend on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordClass {
    Letter,
    Numeric,
    /// `_`.
    Connector,
    /// `:`.
    MidLetter,
    /// `.` and `'`.
    MidNumLet,
    /// `,` and `;`.
    MidNum,
    Other,
}

fn word_class(byte: u8) -> WordClass {
    CLASSES
        .get(usize::from(byte))
        .copied()
        .unwrap_or(WordClass::Other)
}

/// [`WordClass`] of each ASCII byte, looked up rather than matched: cutting
/// words is the innermost loop of indexing.
const CLASSES: [WordClass; 128] = {
    let mut classes = [WordClass::Other; 128];
    let mut byte = 0;
    while byte < 128 {
        classes[byte] = match byte as u8 {
            b'a'..=b'z' | b'A'..=b'Z' => WordClass::Letter,
            b'0'..=b'9' => WordClass::Numeric,
            b'_' => WordClass::Connector,
            b':' => WordClass::MidLetter,
            b'.' | b'\'' => WordClass::MidNumLet,
            b',' | b';' => WordClass::MidNum,
            _ => WordClass::Other,
        };
        byte += 1;
    }
    classes
};

fn joins(class: WordClass) -> bool {
    matches!(
        class,
        WordClass::Letter | WordClass::Numeric | WordClass::Connector
    )
}

/// Calls `word(start, end)` for each word of ASCII `text`, exactly as
/// `unicode_words` cuts it (rules WB5 to WB13b of UAX #29 restricted to ASCII),
/// without its general tables: the common case, several times faster.
fn ascii_words(text: &[u8], mut word: impl FnMut(usize, usize)) {
    use WordClass::*;
    let class = |at: usize| text.get(at).map_or(Other, |b| word_class(*b));
    let mut at = 0;
    while at < text.len() {
        let first = word_class(text[at]);
        if !joins(first) {
            at += 1;
            continue;
        }
        let start = at;
        let mut alphanumeric = first != Connector;
        let mut previous = first;
        at += 1;
        while at < text.len() {
            let next = word_class(text[at]);
            if joins(next) {
                alphanumeric |= next != Connector;
                previous = next;
                at += 1;
                continue;
            }
            let after = class(at + 1);
            let bridged = match next {
                MidLetter => previous == Letter && after == Letter,
                MidNumLet => {
                    (previous == Letter && after == Letter)
                        || (previous == Numeric && after == Numeric)
                }
                MidNum => previous == Numeric && after == Numeric,
                _ => false,
            };
            if !bridged {
                break;
            }
            previous = after;
            alphanumeric = true;
            at += 2;
        }
        if alphanumeric {
            word(start, at);
        }
    }
}

fn visit_pairs<'a>(run: &'a str, visit: &mut impl FnMut(&'a str, bool)) {
    let bounds: Vec<usize> = run
        .char_indices()
        .map(|(at, _)| at)
        .chain([run.len()])
        .collect();
    for pair in bounds.windows(3) {
        visit(&run[pair[0]..pair[2]], false);
    }
    if let [.., last, end] = bounds[..] {
        visit(&run[last..end], true);
    }
}

/// Whether a word is machine text rather than language: 16 or more characters
/// mixing ASCII letters and digits (a hash, a key, a tracking id, a line of
/// base64). Such words are not terms, in documents or in queries, so an encoded
/// blob in a body does not fill the index.
///
/// ```
/// use offline_mailbox::search::tokens;
/// assert!(tokens("9f86d081884c7d659a2feaa0c55ad015").is_empty());
/// assert_eq!(tokens("covid19 x86_64").len(), 2);
/// ```
pub fn is_noise(word: &str) -> bool {
    word.len() >= NOISE_CHARS
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Length from which a word mixing letters and digits is taken for machine text.
pub const NOISE_CHARS: usize = 16;

fn cut(word: &str) -> &str {
    // No more bytes than the limit's characters: nothing to count.
    if word.len() <= MAX_TERM_CHARS {
        return word;
    }
    match word.char_indices().nth(MAX_TERM_CHARS) {
        Some((at, _)) => &word[..at],
        None => word,
    }
}

/// Whether a term starts with a CJK character (and so came from a run cut into pairs).
pub fn starts_cjk(term: &str) -> bool {
    term.chars().next().is_some_and(is_cjk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn case_and_diacritics_do_not_matter() {
        assert_eq!(terms("ÉCOLE École ecole"), ["ecole", "ecole", "ecole"]);
        assert_eq!(terms("Ångström Æsir"), ["angstrom", "æsir"]);
        assert_eq!(terms("ΣΊΣΥΦΟΣ σίσυφος"), ["σισυφοσ", "σισυφοσ"]);
        assert_eq!(normalize("İstanbul"), "istanbul");
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_full_path() {
        let text = "Hello, World! It's 3.14 at example.com";
        let slow: String = text.nfkd().default_case_fold().collect::<String>();
        assert_eq!(normalize(text), slow);
    }

    /// The pipeline of the module documentation over the whole text at once.
    fn normalize_whole(text: &str) -> String {
        let folded: String = text.nfkd().default_case_fold().collect();
        folded.nfkd().filter(|&c| keeps(c)).nfc().collect()
    }

    #[test]
    fn normalizing_runs_apart_equals_normalizing_the_whole_text() {
        let alphabet: Vec<char> = "aZe<>=I 9.\u{300}\u{301}\u{308}\u{338}\u{3099}\u{309A}\u{345}\u{1100}\u{1161}\u{11A8}\u{AC00}\u{FB01}\u{FF21}\u{212A}\u{130}\u{3A3}\u{3C2}\u{DF}\u{E9}\u{304B}\u{30AB}\u{FF76}\u{FF9E}\u{2126}\u{1E9E}\u{A0}\u{AD}\u{200D}"
            .chars()
            .collect();
        for text in random_texts(0x9E37_79B9_7F4A_7C15, 9, 7, &alphabet) {
            assert_eq!(normalize(&text), normalize_whole(&text), "{text:?}");
        }
    }

    /// 100,000 strings of up to `max_len - 1` characters of `alphabet`, the same
    /// every run (xorshift from `seed`), each character from `bits` bits of state.
    fn random_texts(seed: u64, max_len: u64, bits: usize, alphabet: &[char]) -> Vec<String> {
        let mut state = seed;
        (0..100_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let len = (state % max_len) as usize;
                (0..len)
                    .map(|i| alphabet[((state >> (i * bits)) % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn compatibility_forms_fold_to_plain_letters() {
        assert_eq!(terms("ﬁnance"), ["finance"]);
        assert_eq!(terms("Ｈｅｌｌｏ"), ["hello"]);
    }

    #[test]
    fn words_follow_uax_29() {
        assert_eq!(
            terms("alice@example.com wrote: don't e-mail 3.14"),
            [
                "alice",
                "example.com",
                "wrote",
                "don't",
                "e",
                "mail",
                "3.14"
            ]
        );
    }

    #[test]
    fn cjk_runs_become_pairs_and_a_tail() {
        let got = tokens("東京都 に");
        let want = [("東京", false), ("京都", false), ("都", true), ("に", true)];
        assert_eq!(got.len(), want.len());
        for (token, (term, tail)) in got.iter().zip(want) {
            assert_eq!((token.term.as_str(), token.tail), (term, tail));
        }
    }

    #[test]
    fn kana_keep_their_voicing_and_hangul_stays_whole() {
        assert_eq!(terms("が"), ["が"]);
        assert_ne!(normalize("が"), normalize("か"));
        assert_eq!(terms("한국어"), ["한국", "국어", "어"]);
    }

    #[test]
    fn mixed_scripts_split_at_the_script_change() {
        assert_eq!(terms("Tokyo東京2024"), ["tokyo", "東京", "京", "2024"]);
    }

    #[test]
    fn ascii_words_cut_exactly_as_uax_29_does() {
        let alphabet: Vec<char> = "aZ09_:.',; -!\"\t\n@".chars().collect();
        for text in random_texts(0x2545_F491_4F6C_DD1D, 14, 4, &alphabet) {
            let mut fast = Vec::new();
            ascii_words(text.as_bytes(), |start, end| fast.push(&text[start..end]));
            let reference: Vec<&str> = text.unicode_words().collect();
            assert_eq!(fast, reference, "{text:?}");
        }
    }

    #[test]
    fn text_with_a_few_wide_characters_cuts_exactly_as_uax_29_does() {
        let alphabet: Vec<char> = "aZ09_:.',; -\n\t\r\u{e9}\u{f8}\u{416}\u{3b1}\u{2019}\u{201c}\u{2014}\u{2026}\u{200d}\u{ad}\u{301}\u{a0}\u{2003}\u{663}\u{1f600}\u{1f1e6}\u{fe0f}\u{1f170}"
            .chars()
            .collect();
        for text in random_texts(0x5851_F42D_4C95_7F2D, 12, 5, &alphabet) {
            let mut fast = Vec::new();
            each_word(&text, |word| fast.push(word));
            let reference: Vec<&str> = text.unicode_words().collect();
            assert_eq!(fast, reference, "{text:?}");
        }
    }

    #[test]
    fn long_terms_are_cut() {
        let long = "a".repeat(100);
        assert_eq!(terms(&long)[0].chars().count(), MAX_TERM_CHARS);
    }

    #[test]
    fn punctuation_and_empty_text_give_no_terms() {
        assert!(terms("").is_empty());
        assert!(terms(" -- !! ... ").is_empty());
    }
}
