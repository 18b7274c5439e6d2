//! Completion: the word or multi-word phrase before the cursor, matched against every term
//! through the [`CompletionIndex`] engine.
//!
//! Every phrase that ends at the cursor (one word, two words, … up to [`MAX_WORDS`], never
//! across punctuation) is a candidate. Exact and prefix matches of any phrase come first,
//! longer phrases before shorter ones (typing `async ru` means "a term starting with async ru"
//! more than "a term starting with ru"), then by weight (workspace frequency, centrality,
//! accepted completions). Typo-tolerant matches follow when the prefixes leave room (a
//! multi-word phrase that is a close typo of a whole term ranks with the prefix matches, by its
//! length like them), then initials and subsequences of multi-word terms.
//!
//! Where the cursor is matters too: nothing is offered inside a URL, a link target or a fenced
//! code block; inside `[[…` the link's text is the one phrase and the link gets closed (a bare
//! `[[` offers the best terms by weight; a lone `[` offers nothing); a term
//! written all in lowercase is inserted in the case the user typed ([`infer_case`]).
//!
//! One item per inserted text: a term that several concepts claim is one item, and
//! [`CompletionItem::canonicals`] names every one of them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use super::ranking::boost_fn;
use super::{Analysis, ConceptRef};
use crate::index::{Hit, Quality};
use crate::kg::ConceptId;
use crate::text::{fold, fold_query, infer_case, is_term_char, is_word_char};

/// The most words a typed phrase may have.
pub const MAX_WORDS: usize = 6;
/// Typed phrases of up to this many words get typo-tolerant matching.
const FUZZY_WORDS: usize = 4;
/// Fewer prefix matches than this, and looser matches are added below them: typing a real
/// term always has a prefix match, so its keystrokes stay on the fast path.
const FEW: usize = 1;
/// A typed phrase this long that is two edits from a whole term ranks that term with the
/// prefix matches.
const LONG_PHRASE_CHARS: usize = 8;
/// The most bytes back from the cursor a phrase may start.
pub const MAX_PHRASE_BYTES: usize = 200;
/// The most concept names one item lists in [`CompletionItem::canonicals`].
pub const MAX_CANONICALS: usize = 32;

/// One completion: a term of a concept, and the text it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub term: Arc<str>,
    /// The concept in the snapshot's graph; `None` for a concept the graph does not hold yet (of
    /// a knowledge-graph file edited since the last full build, or of the persisted index served
    /// while the graph loads).
    pub concept: Option<ConceptRef>,
    /// The concept's canonical name.
    pub canonical: Arc<str>,
    /// The canonical names of every concept that claims the inserted text, best ranked first
    /// (so `canonicals[0] == canonical`), each once, at most [`MAX_CANONICALS`]: a term that
    /// several concepts claim is one item, and its detail names them all.
    pub canonicals: Vec<Arc<str>>,
    /// The typed span the term replaces (byte offsets into the document).
    pub replace: Range<usize>,
    /// What replaces it: the term, in the case the user typed when the term has none of its
    /// own (see [`infer_case`]).
    pub insert: Arc<str>,
    /// Whether the typed span equals the term (case-insensitively).
    pub exact: bool,
    pub kind: Quality,
}

/// Completions in the order to show them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub items: Vec<CompletionItem>,
    /// More terms matched than were returned: the client should ask again as the user types.
    pub incomplete: bool,
    /// Where the word the cursor is in ends (byte offset; the cursor itself when it ends a
    /// word). Completing in the middle of `tok|io` may replace through here instead of
    /// inserting before `io`; whether to is the editor's choice.
    pub word_end: usize,
}

pub(super) fn completions(a: &Analysis, text: &str, offset: usize, limit: usize) -> Completions {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    if in_address(&text[line_start..offset]) || in_code_fence(&text[..line_start]) {
        return Completions::default();
    }
    let mut from = line_start.max(offset.saturating_sub(MAX_PHRASE_BYTES));
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..offset];
    // Inside `[[…` the link's whole text is the phrase, and the link is closed if it is not yet.
    let wiki = before.rfind("[[").filter(|&at| !before[at..].contains("]]")).map(|at| at + 2);
    let close = if wiki.is_some() && !link_closed_after(&text[offset..]) { "]]" } else { "" };
    let index = &*a.completion;
    let feedback = a.feedback.snapshot();
    let boost = boost_fn(index, &feedback);

    let tail = text[offset..].chars().take_while(|&c| is_word_char(c)).map(char::len_utf8).sum::<usize>();
    let mut out = Completions { word_end: offset + tail, ..Completions::default() };
    // (tier, words, kind, score, hit, replace)
    let mut ranked: Vec<(u8, usize, Quality, f32, u32, Range<usize>)> = Vec::new();
    // First the exact and prefix matches of every phrase (cheap), then the looser tiers from the
    // longest phrase down: once a longer phrase matched a whole term within one edit, shorter
    // phrases' typo matches would only rank below it, so they are not computed.
    let mut phrases = Vec::new();
    for (words, start) in phrase_starts(before).into_iter().enumerate() {
        if wiki.is_some_and(|w| start < w || !before[w..start].trim().is_empty()) {
            continue;
        }
        let typed = &before[start..];
        let query = fold_query(typed);
        if query.is_empty() {
            continue;
        }
        let replace = from + start..offset;
        let mut hits = index.prefix(&query, limit + 1, &boost);
        // Accepted completions that a precomputed list might not carry.
        for (term, concept) in feedback.terms() {
            let key = fold(term);
            if key.starts_with(&query) {
                for e in index.exact(&key) {
                    if index.text(e) == term
                        && index.concept_name(index.concept(e)) == concept
                        && !hits.iter().any(|h| h.entry == e)
                    {
                        let kind = if key == query { Quality::Exact } else { Quality::Prefix };
                        hits.push(Hit { entry: e, kind, score: index.weight(e) + boost(e), whole: None });
                    }
                }
            }
        }
        if hits.len() > limit {
            out.incomplete = true;
        }
        phrases.push((words, query, replace, hits));
    }
    // A `[[` with nothing typed yet (the `[` trigger character) offers the best terms by
    // weight, a list to narrow as the user types.
    if let Some(w) = wiki
        && before[w..].trim().is_empty()
    {
        let hits = index.prefix("", limit + 1, &boost);
        out.incomplete = true;
        phrases.push((0, String::new(), offset..offset, hits));
    }
    let mut close_match = false;
    // Once a longer phrase starts a term, the user is typing that term: typo matches of the
    // shorter phrases (its last words alone) would only be noise below it, and cost the most.
    let mut longer_matched = false;
    for (words, query, _, hits) in phrases.iter_mut().rev() {
        let room = (limit + 1).saturating_sub(hits.len());
        let skip = longer_matched;
        longer_matched |= !hits.is_empty();
        // Typo tolerance when the prefix found few terms, for phrases of up to FUZZY_WORDS
        // words (a typo in the first word of "alpha beta gamma" needs all three).
        if skip || close_match || room == 0 || hits.len() >= FEW || query.ends_with(' ') || *words >= FUZZY_WORDS {
            continue;
        }
        let fuzzy = index.fuzzy(query, room, &boost);
        close_match |= fuzzy.iter().any(|h| matches!(h.whole, Some(0..=1)) || whole_phrase_typo(*words, query, h));
        hits.extend(fuzzy);
        // Initials and subsequences for a single word that found little else.
        if *words == 0 && !query.contains(' ') && hits.len() < FEW {
            hits.extend(index.initials(query, room, &boost));
            if hits.len() < FEW {
                hits.extend(index.subsequence(query, room, &boost));
            }
        }
    }
    for (words, query, replace, hits) in phrases {
        let last_word = query.rsplit(' ').next().unwrap_or("");
        for h in hits {
            // A multi-word phrase with a typo in an earlier word ("cancelation tok") still means
            // that phrase: rank it with the prefix matches when its last word is a clean prefix,
            // or when the whole phrase is a close typo of a whole term ("tokoi runtmie").
            let promoted = whole_phrase_typo(words, &query, &h)
                || words > 0
                    && matches!(h.kind, Quality::Typo(_))
                    && h.whole.map_or(h.kind == Quality::Typo(1), |d| d == 1)
                    && fold(&index.text(h.entry)).split(' ').any(|w| !last_word.is_empty() && w.starts_with(last_word));
            let tier = if promoted { 0 } else { h.kind.tier() };
            ranked.push((tier, words, h.kind, h.score, h.entry, replace.clone()));
        }
    }
    ranked.sort_by(|a, b| {
        a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then_with(|| match (a.2, b.2) {
            // Fuzzy hits keep the engine's order (edits, similarity, weight).
            (Quality::Typo(_), Quality::Typo(_)) => std::cmp::Ordering::Equal,
            _ => a.2.cmp(&b.2).then(b.3.total_cmp(&a.3)),
        })
    });
    // One item per inserted text: the best ranked hit makes it, and every concept that claims
    // the same text (under the same key, so also those the hits left out) is named on it.
    let mut inserted: HashMap<Arc<str>, usize> = HashMap::new();
    for (_, _, kind, _, entry, replace) in ranked {
        let term: Arc<str> = index.with_text(entry, |t| Arc::from(t));
        let typed = &text[replace.clone()];
        let insert = match (infer_case(typed, &term), close) {
            (None, "") => term.clone(),
            (cased, close) => Arc::from(cased.as_deref().unwrap_or(&term).to_string() + close),
        };
        // Whether another term inserts the same text here.
        let inserts_the_same = |t: &str| {
            let cased = infer_case(typed, t);
            let t = cased.as_deref().unwrap_or(t);
            t.len() + close.len() == insert.len() && insert.starts_with(t) && insert.ends_with(close)
        };
        if inserted.contains_key(&insert) {
            continue;
        }
        if out.items.len() == limit {
            out.incomplete = true;
            break;
        }
        let concept = index.concept(entry);
        // Most items are names: their canonical name is the term just decoded.
        let canonical =
            if index.names_its_concept(entry) { term.clone() } else { Arc::from(index.concept_name(concept)) };
        let mut canonicals = vec![canonical.clone()];
        for other in index.exact(&fold(&term)) {
            if canonicals.len() == MAX_CANONICALS {
                break;
            }
            if other == entry || index.concept(other) == concept {
                continue;
            }
            let same = index.with_text(other, inserts_the_same);
            let name = index.concept_name(index.concept(other));
            if same && !canonicals.iter().any(|c| **c == *name) {
                canonicals.push(Arc::from(name));
            }
        }
        inserted.insert(insert.clone(), out.items.len());
        out.items.push(CompletionItem {
            insert,
            term,
            concept: in_graph(a, concept, &canonical),
            canonical,
            canonicals,
            exact: kind == Quality::Exact,
            replace,
            kind,
        });
    }
    out
}

/// The graph's concept for `concept` of the completion index: the main index numbers concepts
/// as the graph it was built from does, and its delta numbers them past it. The name check
/// covers a main index that was not built from this graph (the persisted one, served before
/// the graph is loaded).
fn in_graph(a: &Analysis, concept: u32, canonical: &str) -> Option<ConceptRef> {
    let id = ConceptId(concept);
    let main = (concept as usize) < a.completion.main.concept_count() && (concept as usize) < a.graph.len();
    let c = main.then(|| a.graph.concept(id)).filter(|c| c.name() == canonical)?;
    Some(ConceptRef { id, graph: a.stamp, path: c.path().clone() })
}

/// Whether the rest of the line `after` the cursor closes the wiki link it is in: a `]]` before
/// any new `[[`.
fn link_closed_after(after: &str) -> bool {
    let rest = &after[..after.find(['\n', '\r']).unwrap_or(after.len())];
    rest.find("]]").is_some_and(|c| rest.find("[[").is_none_or(|o| c < o))
}

/// Whether the text before the cursor on its line ends inside an address: a URL
/// (`https://…`, `www.…`) or a markdown link's target (`[text](…`), where a term would only
/// break what is being typed.
fn in_address(line: &str) -> bool {
    let token = &line[line.char_indices().rfind(|(_, c)| c.is_whitespace()).map_or(0, |(i, c)| i + c.len_utf8())..];
    if token.contains("://") || token.trim_start_matches(['<', '(', '[']).starts_with("www.") {
        return true;
    }
    // An unclosed link target: `](` with no `)` after it.
    line.rfind("](").is_some_and(|at| !line[at..].contains(')'))
}

/// Whether a line that starts after `before` is inside a fenced code block (```` ``` ```` or
/// `~~~`, indented or not, closed by a run of the same character at least as long): code is not
/// prose, and terms offered there are noise. Only runs of three backticks or tildes are visited,
/// found with memchr's substring search, so prose costs about a memory scan.
fn in_code_fence(before: &str) -> bool {
    use memchr::memmem::find_iter;
    let bytes = before.as_bytes();
    let mut ticks = find_iter(bytes, b"```").peekable();
    let mut tildes = find_iter(bytes, b"~~~").peekable();
    let mut open: Option<(u8, usize)> = None;
    loop {
        let at = match (ticks.peek(), tildes.peek()) {
            (Some(&t), Some(&n)) if t < n => ticks.next(),
            (Some(_), None) => ticks.next(),
            (_, Some(_)) => tildes.next(),
            (None, None) => break,
        };
        let Some(at) = at else { break };
        let c = bytes[at];
        // The start of its run, and the first thing on its line.
        let indent = bytes[..at].iter().rev().take_while(|&&b| b == b' ' || b == b'\t').count();
        let line_start = at.checked_sub(indent + 1).is_none_or(|i| bytes[i] == b'\n');
        if !line_start || at > 0 && bytes[at - 1] == c {
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let line = &bytes[at..end];
        let run = line.iter().take_while(|&&b| b == c).count();
        open = match open {
            None if c == b'~' || !line[run..].contains(&b'`') => Some((c, run)),
            Some((o, n)) if o == c && run >= n && line[run..].iter().all(u8::is_ascii_whitespace) => None,
            keep => keep,
        };
    }
    open.is_some()
}

/// Whether a fuzzy hit of a multi-word phrase is a whole term within one edit, or within two
/// edits of a phrase of at least [`LONG_PHRASE_CHARS`] characters: so close a match of several
/// typed words is what they mean, more than terms starting with their last word.
fn whole_phrase_typo(words: usize, query: &str, hit: &Hit) -> bool {
    match hit.whole {
        Some(distance) if words > 0 => distance <= 1 || query.chars().count() >= LONG_PHRASE_CHARS,
        _ => false,
    }
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
            assert_eq!(item.canonicals[0], item.canonical);
            let canonical = item.canonicals.join(", ");
            out += &format!(
                "{} ({canonical}) replaces {:?}{}{}\n",
                item.term,
                &text[item.replace.clone()],
                if item.exact { " exact" } else { "" },
                if item.insert != item.term { format!(" with {:?}", item.insert) } else { String::new() },
            );
        }
        if c.incomplete {
            out += "incomplete\n";
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn no_typo_matches_for_the_last_word_of_a_term_being_typed() {
        let a = analysis("//- kg/leas phaisphea.md\n//- kg/phaisphex.md\n");
        let terms = |text: &str| {
            a.completions(text, text.len(), 10).items.iter().map(|i| i.term.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(terms("see leas phaisphea"), ["leas phaisphea"]);
        assert_eq!(terms("see phaisphea"), ["phaisphex"]);
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
    fn exact_first_then_by_weight_and_a_shared_term_is_one_item_naming_every_concept() {
        check(
            "(Tokio$0",
            50,
            expect![[r#"
                tokio (tokio, other) replaces "Tokio" exact with "Tokio"
                tokio runtime (tokio runtime) replaces "Tokio" with "Tokio runtime"
                tokio rt (tokio) replaces "Tokio" with "Tokio rt"
            "#]],
        );
    }

    #[test]
    fn inserted_text_follows_the_typed_case_where_the_term_has_none() {
        check(
            "Notes. ASYNC R$0",
            3,
            expect![[r#"
                async runtime (async runtime) replaces "ASYNC R" with "ASYNC RUNTIME"
                rust (rust) replaces "R" with "Rust"
                runtime (runtime) replaces "R" with "Runtime"
                incomplete
            "#]],
        );
        check(
            "Rustl$0",
            50,
            expect![[r#"
                rustlang (rust) replaces "Rustl" with "Rustlang"
            "#]],
        );
        check(
            "see rust l$0",
            50,
            expect![[r#"
                Rust language (rust) replaces "rust l"
            "#]],
        );
    }

    #[test]
    fn nothing_inside_addresses_and_code_fences() {
        for input in [
            "see https://tok$0",
            "see <https://docs.rs/tok$0",
            "see www.tok$0",
            "read [the guide](docs/tok$0",
            "read [async runtime](tok$0",
            "```rust\nlet rt = tok$0",
            "text\n  ~~~~\n  ~~~\ntok$0",
            "```\ncode\n```\n````md\n```\ntok$0",
        ] {
            check(input, 50, expect![[""]]);
        }
        // Link text, a closed link, inline code and text after a closed fence are prose.
        let first = |input: &str| {
            let (text, offset) = crate::analysis::fixture::cursor(input);
            let a = crate::analysis::fixture::analysis(KG);
            a.completions(&text, offset, 50).items.first().map(|i| i.term.to_string())
        };
        for input in [
            "read [tok$0",
            "[x](https://x.org) tok$0",
            "the `tok$0",
            "```rust\nfn main() {}\n```\ntok$0",
            "~~~\n```\n~~~\ntok$0",
            "``` not a fence ```\ntok$0",
            "``not a fence\ntok$0",
        ] {
            assert_eq!(first(input).as_deref(), Some("tokio"), "{input:?}");
        }
    }

    #[test]
    fn a_wiki_link_is_one_phrase_and_gets_closed() {
        check(
            "see [[async ru$0",
            50,
            expect![[r#"
                async runtime (async runtime) replaces "async ru" with "async runtime]]"
            "#]],
        );
        // Closed later on the line (the cursor in the middle of the link's text), or not.
        check(
            "see [[tok$0io]]",
            1,
            expect![[r#"
                tokio (tokio, other) replaces "tok"
                incomplete
            "#]],
        );
        check(
            "see [[tok$0 and [[x]]",
            1,
            expect![[r#"
                tokio (tokio, other) replaces "tok" with "tokio]]"
                incomplete
            "#]],
        );
        check(
            "see [[ Tok$0]] and [[x]]",
            2,
            expect![[r#"
                tokio (tokio, other) replaces "Tok" with "Tokio"
                tokio runtime (tokio runtime) replaces "Tok" with "Tokio runtime"
                incomplete
            "#]],
        );
    }

    /// The `[` trigger character: a lone `[` (a markdown link) offers nothing, a bare `[[` the
    /// best terms, closing the link when it is not closed yet.
    #[test]
    fn a_bare_wiki_link_offers_the_best_terms_and_a_lone_bracket_nothing() {
        check("see [$0", 50, expect![[""]]);
        check("[$0x](y)", 50, expect![[""]]);
        check(
            "see [[$0",
            2,
            expect![[r#"
                rust (rust) replaces "" with "rust]]"
                other (other) replaces "" with "other]]"
                incomplete
            "#]],
        );
        check(
            "see [[$0]]",
            1,
            expect![[r#"
                rust (rust) replaces ""
                incomplete
            "#]],
        );
    }

    proptest::proptest! {
        /// Any text, any cursor: an answer, never a panic (a slice inside a character would be
        /// one), and every edit lies on character boundaries around the cursor.
        #[test]
        fn any_text_and_cursor_gets_an_answer(
            text in r"(?s)([ \t\n\u{3000}\u{a0}a-zé`~\[\]():/.#-]|tok|www|https://|```){0,40}",
            at in 0usize..200,
        ) {
            let a = analysis(KG);
            let offset = at.min(text.len());
            let c = a.completions(&text, offset, 5);
            let cursor = (0..=offset).rev().find(|&i| text.is_char_boundary(i)).unwrap();
            for item in &c.items {
                proptest::prop_assert!(text.is_char_boundary(item.replace.start));
                proptest::prop_assert_eq!(item.replace.end, cursor);
            }
            proptest::prop_assert!(text.is_char_boundary(c.word_end) || c.items.is_empty());
        }
    }

    #[test]
    fn a_multi_byte_space_before_the_word_is_a_space() {
        check(
            "see\u{3000}tok$0",
            1,
            expect![[r#"
                tokio (tokio, other) replaces "tok"
                incomplete
            "#]],
        );
    }

    #[test]
    fn the_word_after_the_cursor_ends_where_its_letters_do() {
        let a = analysis(KG);
        for (input, tail) in [("tok$0io rt", "io"), ("tok$0 rt", ""), ("tok$0io-rs", "io"), ("zü$0rich.", "rich")] {
            let (text, offset) = cursor(input);
            let c = a.completions(&text, offset, 5);
            assert!(!c.items.is_empty(), "{input}");
            assert_eq!(&text[offset..c.word_end], tail, "{input}");
        }
    }

    #[test]
    fn trailing_space_asks_for_the_next_word() {
        check(
            "see tokio $0",
            50,
            expect![[r#"
                tokio runtime (tokio runtime) replaces "tokio "
                tokio rt (tokio) replaces "tokio "
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
                async runtime (async runtime) replaces "a"
                async/await (async await) replaces "a"
            "#]],
        );
    }

    #[test]
    fn a_phrase_close_to_a_whole_term_ranks_above_its_last_words_prefix_matches() {
        // Two edits (a transposition in "tokio", "runtime" cut short): the phrase still means
        // "tokio runtime", although "runtim" alone starts "runtime".
        check(
            "use tokoi runtim$0",
            50,
            expect![[r#"
                tokio runtime (tokio runtime) replaces "tokoi runtim"
                runtime (runtime) replaces "runtim"
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
                async runtime (async runtime) replaces "a"
                incomplete
            "#]],
        );
        check("x, $0", 50, expect![[""]]);
        check("$0", 50, expect![[""]]);
    }

    /// Emacs showed `middleware` twice (from "middleware" and from "service", as in
    /// examples/demo), told apart only by `detail`: one inserted text is one item, naming every
    /// concept, even those the ranked hits left out (a limit of 1).
    #[test]
    fn one_item_per_inserted_text() {
        let a = analysis(
            "//- kg/middleware.md\n//- kg/service.md\nsynonyms:: middleware\n//- kg/API.md\n//- kg/api gateway.md\nsynonyms:: api\n",
        );
        let items = |input: &str, limit: usize| {
            let (text, offset) = cursor(input);
            let c = a.completions(&text, offset, limit);
            c.items.iter().map(|i| format!("{} ({})", i.insert, i.canonicals.join(", "))).collect::<Vec<_>>()
        };
        expect![[r#"
            [
                [
                    "middleware (middleware, service)",
                ],
                [
                    "Middleware (middleware, service)",
                ],
                [
                    "middleware]] (middleware, service)",
                ],
                [
                    "API (API)",
                    "api gateway (api gateway)",
                    "api (api gateway)",
                ],
                [
                    "API (API, api gateway)",
                    "API GATEWAY (api gateway)",
                ],
            ]
        "#]]
        .assert_debug_eq(&[
            items("midd$0", 1),
            items("Midd$0", 5),
            items("[[midd$0", 5),
            items("ap$0", 5),
            items("AP$0", 5),
        ]);
    }

    /// An item names its concept by id in the graph it came from; a rebuilt graph (where a new
    /// concept moved the ids) finds it again by name and file, a graph without it finds
    /// nothing, and an item served before the graph loads names no graph concept.
    #[test]
    fn an_items_concept_is_found_again_in_a_rebuilt_graph() {
        let old = analysis("//- kg/tokio.md\n# tokio\n//- kg/rust.md\n# rust\n");
        let (text, offset) = cursor("tok$0");
        let item = old.completions(&text, offset, 5).items.remove(0);
        let r = item.concept.clone().expect("tokio is in the graph");
        let rebuilt = analysis("//- kg/aaa.md\n# aaa\n//- kg/tokio.md\n# tokio\n//- kg/rust.md\n# rust\n");
        let gone = analysis("//- kg/rust.md\n# rust\n");
        let mut out = format!("item {} of graph {:?}: id {}\n", item.term, r.graph == old.stamp, r.id.0);
        for (case, a) in [("the same graph", &old), ("rebuilt", &rebuilt), ("gone", &gone)] {
            let found = a.concept_again(&item.canonical, Some(&r.path), Some((r.graph, r.id)));
            let found = found.map(|id| format!("id {} {}", id.0, a.graph.concept(id).name()));
            out += &format!("{case}: {found:?}\n");
        }
        let early = crate::analysis::Analysis { completion: old.completion.clone(), ..Default::default() };
        let item = early.completions(&text, offset, 5).items.remove(0);
        out += &format!("served before the graph loads: {} {:?}\n", item.term, item.concept);
        expect![[r#"
            item tokio of graph true: id 0
            the same graph: Some("id 0 tokio")
            rebuilt: Some("id 1 tokio")
            gone: None
            served before the graph loads: tokio None
        "#]]
        .assert_eq(&out);
    }
}
