//! Semantic tokens and inlay hints: which words of a text are terms of the graph, what kind of
//! term each is, and the encodings the protocol wants for them.
//!
//! Owns three things, all pure:
//! - [`tokens`]: every term of a text as a [`Token`] (bytes and a [`TermKind`]). Terms come from
//!   [`super::mentions`] (the one scanner of prose); avoided terms, which the term index does not
//!   hold, come from the avoided-term check ([`crate::check::check_document`]), so both agree with
//!   what the diagnostics say. Where the two overlap, the avoided term wins: the check already
//!   chose it as the longest phrase there.
//! - [`encode`]: the relative encoding of semantic tokens (`deltaLine, deltaStart, length, type,
//!   modifiers` per token) in the client's column units. A token is never longer than its line:
//!   a multi-word term broken over two lines becomes one token per line (the protocol's
//!   multi-line tokens are optional and their length across a line break is not defined).
//! - [`delta`]: the one edit that turns an encoded array into another (common prefix and suffix
//!   in whole tokens), and [`hints`]: the canonical name after each synonym.
//!
//! A term two concepts claim is a canonical token if it is the name of any of them, else a
//! synonym; its hint names every concept it is a synonym of. Must not know protocol types or
//! read files: positions are byte offsets and [`LineCol`]s; the LSP layer builds the JSON.

use std::ops::Range;

use super::mentions::{Kind, mentions};
use crate::check::{CheckId, Level, Levels, Terminology, check_document};
use crate::index::TermIndex;
use crate::kg::Graph;
use crate::text::{Encoding, LineIndex};

/// The token types of the legend, in order: a term is the standard `type`, which every theme
/// colours and which Neovim links to `@type` and lsp-mode to `font-lock-type-face`.
pub const TOKEN_TYPES: &[&str] = &["type"];

/// The token modifiers of the legend, in bit order. `deprecated` (the standard modifier, which
/// Neovim strikes through by default) goes with `avoided` and is last, so that a client that
/// does not declare it gets a legend without it and the other bits unchanged.
pub const TOKEN_MODIFIERS: &[&str] = &["canonical", "synonym", "avoided", "deprecated"];

/// The bit of each modifier in [`TOKEN_MODIFIERS`].
pub mod modifier {
    pub const CANONICAL: u32 = 1 << 0;
    pub const SYNONYM: u32 = 1 << 1;
    pub const AVOIDED: u32 = 1 << 2;
    pub const DEPRECATED: u32 = 1 << 3;
}

/// What a term is to the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// The name of a concept (of any concept that claims it).
    Canonical,
    /// A synonym of a concept, and the name of none.
    Synonym,
    /// A term the graph says to avoid (`avoid::`).
    Avoided,
}

impl TermKind {
    /// The modifier bits of the kind (before the client's mask).
    pub fn modifiers(self) -> u32 {
        match self {
            TermKind::Canonical => modifier::CANONICAL,
            TermKind::Synonym => modifier::SYNONYM,
            TermKind::Avoided => modifier::AVOIDED | modifier::DEPRECATED,
        }
    }
}

/// A term in a text: its bytes (possibly over a line break) and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub range: Range<usize>,
    pub kind: TermKind,
}

/// What a text's terms are looked up in.
#[derive(Clone, Copy)]
pub struct Terms<'a> {
    pub graph: &'a Graph,
    pub terms: &'a TermIndex,
    pub terminology: &'a Terminology,
}

/// Every term of `text`, in order and without overlaps. `code`: terms in code blocks and inline
/// code count too (avoided terms are found in prose only, as the check finds them).
pub fn tokens(text: &str, kind: Kind, t: Terms<'_>, code: bool) -> Vec<Token> {
    let avoided = avoided_ranges(text, kind, t.terminology);
    let mut out: Vec<Token> = Vec::new();
    let mut next_avoided = avoided.iter().peekable();
    for m in mentions(text, kind, t.terms, code) {
        // Avoided terms that end before this mention come first.
        while let Some(a) = next_avoided.next_if(|a| a.end <= m.range.start) {
            out.push(Token { range: a.clone(), kind: TermKind::Avoided });
        }
        if next_avoided.peek().is_some_and(|a| a.start < m.range.end) {
            continue; // Overlaps an avoided term, which wins.
        }
        let claims = t.terms.map.group(m.key);
        if claims.is_empty() {
            continue;
        }
        let kind = if claims.iter().any(|c| c.term == 0) { TermKind::Canonical } else { TermKind::Synonym };
        out.push(Token { range: m.range, kind });
    }
    out.extend(next_avoided.map(|a| Token { range: a.clone(), kind: TermKind::Avoided }));
    out
}

/// The avoided terms of `text`, as the avoided-term check finds them (in a concept file, not in
/// its property lines).
fn avoided_ranges(text: &str, kind: Kind, terminology: &Terminology) -> Vec<Range<usize>> {
    let mut levels = Levels::default();
    for check in CheckId::ALL {
        levels.set(check, Level::Off);
    }
    levels.set(CheckId::AvoidedTerm, Level::Hint);
    let blanked;
    let text = match kind {
        Kind::Document => text,
        Kind::ConceptFile => {
            blanked = crate::kg::blank_properties(text);
            &blanked
        }
    };
    let mut found: Vec<Range<usize>> = check_document(text, terminology, &levels)
        .into_iter()
        .filter(|f| f.check == CheckId::AvoidedTerm)
        .map(|f| f.range)
        .collect();
    found.sort_by_key(|r| (r.start, r.end));
    found.dedup_by(|b, a| b.start < a.end);
    found
}

/// Each token's line pieces in the relative encoding: five numbers per piece, for the tokens
/// that overlap `within` (all of them when `None`). `mask` keeps the modifier bits the legend
/// has.
pub fn encode(
    text: &str,
    index: &LineIndex,
    tokens: &[Token],
    enc: Encoding,
    mask: u32,
    within: Option<Range<usize>>,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.len() * 5);
    let mut cols = Columns::new(text, index, enc);
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for t in tokens {
        if let Some(w) = &within
            && (t.range.end <= w.start || t.range.start >= w.end)
        {
            continue;
        }
        for piece in line_pieces(text, index, t.range.clone()) {
            let (line, start) = cols.at(piece.start);
            let len = units(&text[piece], enc);
            let delta_line = line - last_line;
            let delta_start = if delta_line == 0 { start - last_start } else { start };
            out.extend([delta_line, delta_start, len, 0, t.kind.modifiers() & mask]);
            (last_line, last_start) = (line, start);
        }
    }
    out
}

/// The parts of `range` on each of its lines, without the line breaks and the blanks (and a
/// blockquote's `>`) around them.
fn line_pieces(text: &str, index: &LineIndex, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let line = index.line_col(text, at, Encoding::Utf8).line;
        let Some(lr) = index.line_range(text, line) else { break };
        let end = range.end.min(lr.end.max(at));
        let piece = &text[at..end];
        let trimmed = piece.trim_start_matches(|c: char| c.is_whitespace() || c == '>').trim_end();
        if !trimmed.is_empty() {
            let s = at + (piece.len() - piece.trim_start_matches(|c: char| c.is_whitespace() || c == '>').len());
            out.push(s..s + trimmed.len());
        }
        // On to the next line's start, past this line's terminator.
        let next = index.line_range(text, line + 1).map_or(range.end, |r| r.start);
        if next <= at {
            break;
        }
        at = next;
    }
    out
}

/// Line and column of offsets visited in order, counting each line's units once.
struct Columns<'a> {
    text: &'a str,
    index: &'a LineIndex,
    enc: Encoding,
    /// The line, a byte offset on it and that offset's column.
    at: Option<(u32, usize, u32)>,
}

impl<'a> Columns<'a> {
    fn new(text: &'a str, index: &'a LineIndex, enc: Encoding) -> Columns<'a> {
        Columns { text, index, enc, at: None }
    }

    fn at(&mut self, offset: usize) -> (u32, u32) {
        let line = self.index.line_col(self.text, offset, Encoding::Utf8).line;
        let col = match self.at {
            Some((l, from, col)) if l == line && from <= offset => col + units(&self.text[from..offset], self.enc),
            _ => self.index.line_col(self.text, offset, self.enc).col,
        };
        self.at = Some((line, offset, col));
        (line, col)
    }
}

fn units(s: &str, enc: Encoding) -> u32 {
    match enc {
        Encoding::Utf8 => s.len() as u32,
        Encoding::Utf16 => s.chars().map(char::len_utf16).sum::<usize>() as u32,
    }
}

/// One edit of an encoded array: replace `delete_count` numbers from `start` with `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub delete_count: u32,
    pub data: Vec<u32>,
}

/// The single edit that turns `old` into `new`, in whole tokens (multiples of five numbers);
/// `None` when they are equal.
pub fn delta(old: &[u32], new: &[u32]) -> Option<Edit> {
    if old == new {
        return None;
    }
    let (o, n): (Vec<&[u32]>, Vec<&[u32]>) = (old.chunks(5).collect(), new.chunks(5).collect());
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let suffix = o[prefix..].iter().rev().zip(n[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (start, old_end, new_end) = (prefix * 5, old.len() - suffix * 5, new.len() - suffix * 5);
    Some(Edit { start: start as u32, delete_count: (old_end - start) as u32, data: new[start..new_end].to_vec() })
}

/// `old` with `edit` applied (what a client does with a delta).
pub fn apply(old: &[u32], edit: &Edit) -> Vec<u32> {
    let (s, d) = (edit.start as usize, edit.delete_count as usize);
    let mut out = old[..s.min(old.len())].to_vec();
    out.extend(&edit.data);
    out.extend(&old[(s + d).min(old.len())..]);
    out
}

/// An inlay hint: a label to show at a byte offset (the end of a synonym).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub offset: usize,
    /// `→ name`, with every concept the synonym is a synonym of.
    pub label: String,
    /// What the hint means, for a tooltip.
    pub tooltip: String,
}

/// After each synonym that overlaps `within`, the canonical name of its concept. `code`: as in
/// [`tokens`].
pub fn hints(text: &str, kind: Kind, t: Terms<'_>, code: bool, within: Range<usize>) -> Vec<Hint> {
    let mut out = Vec::new();
    for m in mentions(text, kind, t.terms, code) {
        if m.range.end < within.start || m.range.start > within.end {
            continue;
        }
        let claims = t.terms.map.group(m.key);
        if claims.is_empty() || claims.iter().any(|c| c.term == 0) {
            continue;
        }
        let mut names: Vec<&str> = claims.iter().map(|c| t.graph.concept(c.concept).name()).collect();
        names.dedup();
        let written = &text[m.range.clone()];
        out.push(Hint {
            offset: m.range.end,
            label: format!("→ {}", names.join(" | ")),
            tooltip: format!("“{}” is a synonym of {}", written.split_whitespace().collect::<Vec<_>>().join(" "), {
                let quoted: Vec<String> = names.iter().map(|n| format!("“{n}”")).collect();
                quoted.join(" and ")
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::analysis::fixture::analysis;

    const GRAPH: &str = r#"
//- kg/tokio runtime.md
# Tokio Runtime
synonyms:: tokio rt, async runtime
//- kg/tokio.md
# tokio
//- kg/worker pool.md
# worker pool
avoid:: slave pool
//- kg/kubernetes.md
# kubernetes
synonyms:: k8s, kube
//- kg/kube.md
# kube
//- kg/container platform.md
# container platform
synonyms:: k8s
"#;

    /// Every encoded token of `text` (UTF-16 columns, every modifier), decoded back to absolute
    /// `line:col+len` with its text and modifiers; `within` as bytes.
    fn check(text: &str, kind: Kind, code: bool, within: Option<Range<usize>>, expect: Expect) {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let found = tokens(text, kind, t, code);
        let index = LineIndex::new(text);
        let data = encode(text, &index, &found, Encoding::Utf16, u32::MAX, within);
        expect.assert_eq(&decode(text, &index, &data).join("\n"));
    }

    fn decode(text: &str, index: &LineIndex, data: &[u32]) -> Vec<String> {
        let (mut line, mut col) = (0, 0);
        let mut out = Vec::new();
        for t in data.chunks(5) {
            if t[0] > 0 {
                (line, col) = (line + t[0], t[1]);
            } else {
                col += t[1];
            }
            let from = index.offset(text, crate::text::LineCol { line, col }, Encoding::Utf16);
            let to = index.offset(text, crate::text::LineCol { line, col: col + t[2] }, Encoding::Utf16);
            let mods: Vec<&str> =
                TOKEN_MODIFIERS.iter().enumerate().filter(|(i, _)| t[4] & (1 << i) != 0).map(|(_, m)| *m).collect();
            out.push(format!("{line}:{col}+{} {:?} {}", t[2], &text[from..to], mods.join(",")));
        }
        out
    }

    #[test]
    fn terms_are_canonical_synonym_or_avoided_and_split_per_line() {
        check(
            "The Tokio\n  runtime, an async runtime and k8s.\nOnce a slave pool of tokio rt.\n",
            Kind::Document,
            false,
            None,
            expect![[r#"
                0:4+5 "Tokio" canonical
                1:2+7 "runtime" canonical
                1:14+13 "async runtime" synonym
                1:32+3 "k8s" synonym
                2:7+10 "slave pool" avoided,deprecated
                2:21+8 "tokio rt" synonym"#]],
        );
    }

    #[test]
    fn a_term_over_a_crlf_line_break_is_split_without_the_break() {
        // Over two quoted lines it is no mention at all (the scanner's rule), so no token.
        check(
            "An async\r\nruntime.\r\n> An async\r\n> runtime\r\n",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:3+5 "async" synonym
            1:0+7 "runtime" synonym"#]],
        );
    }

    #[test]
    fn a_term_that_names_one_concept_and_is_a_synonym_of_another_is_canonical() {
        check(
            "kube and K8S",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:0+4 "kube" canonical
            0:9+3 "K8S" synonym"#]],
        );
    }

    #[test]
    fn columns_count_utf16_units_of_non_ascii_text() {
        check(
            "café 😀 tokio — tokio rt",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:8+5 "tokio" canonical
            0:16+8 "tokio rt" synonym"#]],
        );
    }

    #[test]
    fn code_is_left_out_unless_asked_for_and_property_lines_always() {
        let text = "`tokio` and\n```\nk8s\n```\nkube\n";
        check(text, Kind::Document, false, None, expect![[r#"4:0+4 "kube" canonical"#]]);
        check(
            text,
            Kind::Document,
            true,
            None,
            expect![[r#"
            0:1+5 "tokio" canonical
            2:0+3 "k8s" synonym
            4:0+4 "kube" canonical"#]],
        );
        check(
            "# kubernetes\nsynonyms:: k8s, kube\navoid:: slave pool\n\nThe k8s.\n",
            Kind::ConceptFile,
            false,
            None,
            expect![[r#"
            0:2+10 "kubernetes" canonical
            4:4+3 "k8s" synonym"#]],
        );
    }

    #[test]
    fn a_range_keeps_the_tokens_that_overlap_it_encoded_from_the_start() {
        let text = "tokio\nkube\nk8s\n";
        check(text, Kind::Document, false, Some(7..9), expect![[r#"1:0+4 "kube" canonical"#]]);
    }

    #[test]
    fn a_delta_is_one_edit_that_gives_the_new_array() {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let enc = |text: &str| {
            encode(text, &LineIndex::new(text), &tokens(text, Kind::Document, t, false), Encoding::Utf16, 15, None)
        };
        let old = enc("tokio\nkube and k8s\ntokio rt\nkube\n");
        let new = enc("tokio\nkube, tokio and k8s\ntokio rt\nkube\n");
        let edit = delta(&old, &new).unwrap();
        assert_eq!(apply(&old, &edit), new);
        expect![[r#"Edit { start: 10, delete_count: 5, data: [0, 6, 5, 0, 1, 0, 10, 3, 0, 2] }"#]]
            .assert_eq(&format!("{edit:?}"));
        assert_eq!(delta(&new, &new), None);
        let gone = delta(&new, &[]).unwrap();
        assert_eq!((gone.start, gone.delete_count, apply(&new, &gone)), (0, new.len() as u32, vec![]));
        let grown = delta(&[], &new).unwrap();
        assert_eq!(apply(&[], &grown), new);
    }

    fn check_hints(text: &str, within: Range<usize>, expect: Expect) {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let found: Vec<String> = hints(text, Kind::Document, t, false, within)
            .iter()
            .map(|h| format!("{} {} ({})", h.offset, h.label, h.tooltip))
            .collect();
        expect.assert_eq(&found.join("\n"));
    }

    #[test]
    fn hints_name_the_concepts_of_each_synonym_in_the_range() {
        check_hints(
            "k8s, tokio rt, tokio, kube, async\nruntime",
            0..100,
            expect![[r#"
            3 → kubernetes | container platform (“k8s” is a synonym of “kubernetes” and “container platform”)
            13 → tokio runtime (“tokio rt” is a synonym of “tokio runtime”)
            41 → tokio runtime (“async runtime” is a synonym of “tokio runtime”)"#]],
        );
        check_hints("k8s, tokio rt", 5..6, expect!["13 → tokio runtime (“tokio rt” is a synonym of “tokio runtime”)"]);
    }
}
