//! Text primitives shared by every core module: term folding, term-character classes, and whether bytes are text at all.
//!
//! Owns the single definition of how a term is normalized for matching ([`fold`]) and which
//! characters may belong to a term ([`is_term_char`]). It must not know about files, protocol
//! types or positions other than byte offsets.

mod line_index;
pub mod prose;

pub use line_index::{Encoding, LineCol, LineIndex};

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB, as ripgrep decides.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

/// Folds a term for matching: full Unicode case folding (Unicode's `CaseFolding.txt`, statuses C
/// and F: `ß` → `ss`, final `ς` → `σ`, `ﬁ` → `fi`, `ſ` → `s`, `µ` → `μ`, ... which lowercase
/// alone misses) and canonical decomposition (NFD), so that `Straße`, `STRASSE` and `strasse`
/// match, `ﬁle` matches `file`, and `café` written precomposed or with a combining accent match
/// too. Every run of white space becomes one ASCII space and the ends are trimmed.
///
/// The same function folds index keys and queries, so the two always agree. It works character
/// by character (see [`fold_char`]), so the folded form of a prefix is a prefix of the folded
/// form of the whole, and running text can be folded as it is walked.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        fold_char(c, &mut |f| out.push(f));
    }
    out
}

/// Folds one non-space character, passing the folded characters to `emit`.
///
/// The case folding table is `unicase`'s (kept current with Unicode, and already built for
/// pulldown-cmark). A character of a script without case (CJK, Arabic, ...) folds to itself, so
/// it skips the table's allocation; a test checks that claim for every such character.
pub fn fold_char(c: char, emit: &mut dyn FnMut(char)) {
    if c.is_ascii() {
        emit(c.to_ascii_lowercase());
    } else if is_uncased(c) {
        unicode_normalization::char::decompose_canonical(c, &mut *emit);
    } else {
        let mut buf = [0u8; 4];
        for f in unicase::UniCase::unicode(&*c.encode_utf8(&mut buf)).to_folded_case().chars() {
            unicode_normalization::char::decompose_canonical(f, &mut *emit);
        }
    }
}

/// Whether `c` is in a block of a script without case (Hebrew, Arabic, Indic, Thai, general
/// punctuation, CJK, kana, Yi, Hangul): such blocks get no cased letters in later Unicode
/// versions, unlike std's `is_lowercase` tables, which lag behind `unicase`'s.
fn is_uncased(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x06FF | 0x0900..=0x0E7F | 0x2000..=0x206F | 0x2E80..=0x2FFF | 0x3000..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF)
}

/// Folds a query typed by a user. Unlike [`fold`], a trailing white space run is kept as one
/// space, so that `"async "` asks for terms whose next word follows `async`.
pub fn fold_query(s: &str) -> String {
    let mut out = fold(s);
    if !out.is_empty() && s.ends_with(char::is_whitespace) {
        out.push(' ');
    }
    out
}

/// The text to insert for `term` where the user typed `typed`, with the case they typed when the
/// term has none of its own: a term written all in lowercase ("async runtime") is inserted with
/// a capital after a capital ("Asy" → "Async runtime", at the start of a sentence) and in
/// capitals after two or more capitals and no lowercase ("ASYNC R" → "ASYNC RUNTIME"), and in
/// Title Case after two or more words that each start with a capital ("Slave Pool" → "Worker
/// Pool"). A term
/// with any capital letter ("Tokio", "JSON-RPC", "iPhone") is inserted as written. `None` when
/// the term is inserted as it is.
pub fn infer_case(typed: &str, term: &str) -> Option<String> {
    if term.chars().any(|c| c.is_uppercase()) {
        return None;
    }
    let first = typed.chars().find(|c| c.is_alphabetic())?;
    if !first.is_uppercase() {
        return None;
    }
    let cased = typed.chars().filter(|c| c.is_uppercase() || c.is_lowercase());
    let (upper, lower) = cased.fold((0, 0), |(u, l), c| if c.is_uppercase() { (u + 1, l) } else { (u, l + 1) });
    let words: Vec<&str> = typed.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).collect();
    let title =
        words.len() >= 2 && words.iter().all(|w| w.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase));
    let out = if upper >= 2 && lower == 0 {
        term.to_uppercase()
    } else if title {
        // Title Case typed ("Slave Pool"): every word of the term is capitalised.
        term.split(' ').map(capitalize).collect::<Vec<_>>().join(" ")
    } else {
        let at = term.char_indices().find(|(_, c)| c.is_alphabetic())?.0;
        let mut chars = term[at..].chars();
        let head = chars.next()?;
        format!("{}{}{}", &term[..at], head.to_uppercase(), chars.as_str())
    };
    (out != term).then_some(out)
}

/// `word` with its first letter in upper case.
fn capitalize(word: &str) -> String {
    match word.char_indices().find(|(_, c)| c.is_alphabetic()) {
        Some((at, c)) => format!("{}{}{}", &word[..at], c.to_uppercase(), &word[at + c.len_utf8()..]),
        None => word.to_string(),
    }
}

/// Whether `c` can be part of a term as written in prose: letters, digits, marks and the
/// joining punctuation that real glossaries use (`json-rpc`, `send_sync`, `@iec`, `c++`, `v1.2`).
pub fn is_term_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '@' | '.' | '+' | '#' | '/' | '&' | '\'' | '’') || is_mark(c)
}

/// Whether `c` is part of a word proper: letters, digits and combining marks. Words start and
/// end where this changes, so `rpc` in `json-rpc` is a word of its own.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c)
}

/// Combining marks (accents written as separate code points) belong to the letter before them.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
        || c == '\u{200D}'
        || matches!(c as u32, 0xFE00..=0xFE0F)
}

/// Characters that may end a sentence right after a term without belonging to it.
pub fn is_trailing_punct(c: char) -> bool {
    matches!(c, '.' | '\'' | '’' | '/' | '&' | '-' | '+' | '#' | '@' | '_')
}

#[cfg(test)]
mod tests {
    #[test]
    fn inserted_terms_take_the_typed_case_unless_they_have_their_own() {
        let check = |typed: &str, term: &str, expected: &str| {
            let got = infer_case(typed, term);
            assert_eq!(got.as_deref().unwrap_or(term), expected, "{typed:?} {term:?}");
            assert_eq!(got.is_some(), expected != term, "None when nothing changes");
        };
        check("asy", "async runtime", "async runtime");
        check("Asy", "async runtime", "Async runtime");
        check("ASYNC R", "async runtime", "ASYNC RUNTIME");
        check("A", "async runtime", "Async runtime");
        check("Asnyc", "async runtime", "Async runtime");
        check("Tok", "Tokio", "Tokio");
        check("tok", "Tokio", "Tokio");
        check("JSON", "JSON-RPC", "JSON-RPC");
        check("Ip", "iPhone", "iPhone");
        check("Über", "überweisung", "Überweisung");
        check("STRA", "straße", "STRASSE");
        check("Éc", "école", "École");
        check("1st", "1st class", "1st class");
        check("(T", "\"tokio\"", "\"Tokio\"");
        check("Мо", "москва", "Москва");
    }

    use super::*;

    #[test]
    fn fold_is_full_unicode_lowercase_with_collapsed_space() {
        assert_eq!(fold("  Tokio   Runtime "), "tokio runtime");
        assert_eq!(fold("ÄRGER Straße"), "a\u{308}rger strasse");
        assert_eq!(fold("STRASSE"), fold("straße"));
        assert_eq!(fold("ΣΟΦΟΣ"), fold("σοφος"));
        assert_eq!(fold("İstanbul"), "i\u{307}stanbul");
        // NFC and NFD spellings fold alike.
        assert_eq!(fold("caf\u{e9}"), fold("cafe\u{301}"));
        assert_eq!(fold("\u{212B}ngstr\u{f6}m"), fold("A\u{30a}ngstro\u{308}m"));
        assert_eq!(fold("async\t\nRU"), "async ru");
    }

    #[test]
    fn fold_is_full_case_folding_where_lowercase_falls_short() {
        for (a, b) in [
            ("ﬁle", "FILE"),
            ("ﬃx", "ffix"),
            ("Maſs", "mass"),
            ("µs", "μs"),
            ("ϐ ϑ ϕ ϖ ϰ ϱ ϵ", "β θ φ π κ ρ ε"),
            ("ẞ", "ss"),
            ("ŉ", "\u{2bc}n"),
            ("ᾳ", "αι"),
            ("ǅ", "ǆ"),
            ("\u{13a0}\u{13a1}", "\u{ab70}\u{ab71}"),
        ] {
            assert_eq!(fold(a), fold(b), "{a:?} and {b:?}");
        }
        assert_eq!(fold("ﬁle"), "file");
    }

    #[test]
    fn characters_without_case_fold_to_themselves_as_the_table_says() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| is_uncased(c)) {
            let s = &*c.encode_utf8(&mut buf);
            assert_eq!(unicase::UniCase::unicode(s).to_folded_case(), s, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn fold_query_keeps_one_trailing_space() {
        assert_eq!(fold_query("Async  "), "async ");
        assert_eq!(fold_query("async"), "async");
        assert_eq!(fold_query("   "), "");
    }

    #[test]
    fn term_chars() {
        for c in ['a', 'Z', '9', '-', '_', 'é', '概', '\u{301}'] {
            assert!(is_term_char(c), "{c:?}");
        }
        for c in [' ', '(', ')', ',', ';', ':', '"', '[', '`', '*'] {
            assert!(!is_term_char(c), "{c:?}");
        }
    }
}
