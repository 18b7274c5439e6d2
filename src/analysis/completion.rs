//! Completion: the word or multi-word phrase before the cursor, matched by prefix against every
//! term through the fst.
//!
//! Every phrase that ends at the cursor (one word, two words, … up to [`MAX_WORDS`], never
//! across punctuation) is a candidate; longer phrases rank first, because typing `async ru`
//! means "a term starting with async ru" more than "a term starting with ru". Within a phrase:
//! exact match first, then shorter terms, then alphabetical.

use std::ops::{ControlFlow, Range};
use std::sync::Arc;

use super::Analysis;
use crate::kg::ConceptId;
use crate::text::{fold_query, is_term_char, is_word_char};

/// The most words a typed phrase may have.
pub const MAX_WORDS: usize = 6;
/// The most bytes back from the cursor a phrase may start.
const MAX_PHRASE_BYTES: usize = 200;
/// The most keys one phrase collects before the list is marked incomplete.
const SCAN_CAP: usize = 20_000;

/// One completion: a term of a concept, and the text it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub term: Arc<str>,
    pub concept: ConceptId,
    /// The typed span the term replaces (byte offsets into the document).
    pub replace: Range<usize>,
    /// Whether the typed span equals the term (case-insensitively).
    pub exact: bool,
}

/// Completions in the order to show them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub items: Vec<CompletionItem>,
    /// More terms matched than were returned: the client should ask again as the user types.
    pub incomplete: bool,
}

pub(super) fn completions(a: &Analysis, text: &str, offset: usize, limit: usize) -> Completions {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let from = line_start.max(offset.saturating_sub(MAX_PHRASE_BYTES));
    let mut from = from;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..offset];

    let mut out = Completions::default();
    let mut ranked: Vec<(usize, bool, usize, String, CompletionItem)> = Vec::new();
    // Candidate starts from the nearest (one word) to the farthest (most words).
    for (words, start) in phrase_starts(before).into_iter().enumerate() {
        let typed = &before[start..];
        let query = fold_query(typed);
        if query.is_empty() {
            continue;
        }
        let replace = from + start..offset;
        let mut seen = 0;
        a.terms.map.prefix(&query, |key, group| {
            seen += 1;
            if seen > SCAN_CAP {
                out.incomplete = true;
                return ControlFlow::Break(());
            }
            let exact = key == query;
            for r in group {
                let item = CompletionItem { term: r.term.clone(), concept: r.concept, replace: replace.clone(), exact };
                ranked.push((words, exact, key.chars().count(), key.to_string(), item));
            }
            ControlFlow::Continue(())
        });
    }
    // More words typed first, then exact, then shorter, then by key; one item per (term, concept).
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)).then_with(|| a.3.cmp(&b.3)));
    let mut seen = std::collections::HashSet::new();
    for (_, _, _, _, item) in ranked {
        if !seen.insert((item.term.clone(), item.concept)) {
            continue;
        }
        if out.items.len() == limit {
            out.incomplete = true;
            break;
        }
        out.items.push(item);
    }
    out
}

/// Start offsets (within `before`) of the phrases that end at its end, nearest first. A phrase
/// starts at a word start, spans white space and joining punctuation (`json-rpc`), and never
/// crosses other punctuation. When `before` ends in white space, the first phrase is the last
/// whole word followed by that space.
fn phrase_starts(before: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let chars: Vec<(usize, char)> = before.char_indices().collect();
    let mut i = chars.len();
    while i > 0 && starts.len() < MAX_WORDS {
        // Skip white space between words.
        while i > 0 && chars[i - 1].1.is_whitespace() {
            i -= 1;
        }
        if i == 0 || !is_term_char(chars[i - 1].1) {
            break;
        }
        // Walk back over one run of term characters, noting each word start inside it.
        let end = i;
        while i > 0 && is_term_char(chars[i - 1].1) {
            i -= 1;
        }
        let mut run_starts: Vec<usize> = (i..end)
            .filter(|&j| is_word_char(chars[j].1) && (j == i || !is_word_char(chars[j - 1].1)))
            .map(|j| chars[j].0)
            .collect();
        run_starts.reverse();
        for s in run_starts {
            if starts.len() < MAX_WORDS {
                starts.push(s);
            }
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::analysis::fixture::{analysis, cursor};

    const KG: &str = "
//- kg/async runtime.md
# async runtime
synonyms:: executor
//- kg/async await.md
synonyms:: async/await
//- kg/tokio.md
synonyms:: tokio rt
//- kg/tokio runtime.md
//- kg/rust.md
synonyms:: Rust language, rustlang
//- kg/runtime.md
//- kg/json-rpc.md
//- kg/Zürich.md
synonyms:: ZÜRICH Airport
//- kg/other.md
synonyms:: tokio
";

    fn check(input: &str, limit: usize, expect: Expect) {
        let a = analysis(KG);
        let (text, offset) = cursor(input);
        let c = a.completions(&text, offset, limit);
        let mut out = String::new();
        for item in &c.items {
            let canonical = a.graph.concept(item.concept).name();
            out += &format!(
                "{} ({canonical}) replaces {:?}{}\n",
                item.term,
                &text[item.replace.clone()],
                if item.exact { " exact" } else { "" }
            );
        }
        if c.incomplete {
            out += "incomplete\n";
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn multi_word_phrase_ranks_first_and_replaces_both_words() {
        check(
            "I use async ru$0",
            50,
            expect![[r#"
            async runtime (async runtime) replaces "async ru"
            rust (rust) replaces "ru"
            runtime (runtime) replaces "ru"
            rustlang (rust) replaces "ru"
            Rust language (rust) replaces "ru"
        "#]],
        );
    }

    #[test]
    fn exact_first_then_shorter_and_shared_terms_for_each_concept() {
        check(
            "(Tokio$0",
            50,
            expect![[r#"
            tokio (tokio) replaces "Tokio" exact
            tokio (other) replaces "Tokio" exact
            tokio rt (tokio) replaces "Tokio"
            tokio runtime (tokio runtime) replaces "Tokio"
        "#]],
        );
    }

    #[test]
    fn trailing_space_asks_for_the_next_word() {
        check(
            "see tokio $0",
            50,
            expect![[r#"
            tokio rt (tokio) replaces "tokio "
            tokio runtime (tokio runtime) replaces "tokio "
        "#]],
        );
    }

    #[test]
    fn punctuation_joins_words_and_unicode_folds() {
        check(
            "call json-r$0",
            50,
            expect![[r#"
            json-rpc (json-rpc) replaces "json-r"
            rust (rust) replaces "r"
            runtime (runtime) replaces "r"
            rustlang (rust) replaces "r"
            Rust language (rust) replaces "r"
        "#]],
        );
        check(
            "fly to züRICH a$0",
            50,
            expect![[r#"
            ZÜRICH Airport (Zürich) replaces "züRICH a"
            async await (async await) replaces "a"
            async/await (async await) replaces "a"
            async runtime (async runtime) replaces "a"
        "#]],
        );
    }

    #[test]
    fn cap_marks_the_list_incomplete_and_nothing_for_no_word() {
        check(
            "a$0",
            2,
            expect![[r#"
            async await (async await) replaces "a"
            async/await (async await) replaces "a"
            incomplete
        "#]],
        );
        check("x, $0", 50, expect![[""]]);
        check("$0", 50, expect![[""]]);
    }
}
