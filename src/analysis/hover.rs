//! Finding the term under the cursor: the longest term, possibly of several words, that covers
//! the offset, matched case-insensitively and only at word boundaries.

use std::ops::Range;

use super::Analysis;
use crate::kg::ConceptId;
use crate::text::is_word_char;

/// How far back from the cursor a covering term may start.
const MAX_TERM_BYTES: usize = 256;

/// The term found under the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverHit {
    /// The matched text (byte offsets into the document).
    pub range: Range<usize>,
    /// Every concept that claims the term.
    pub concepts: Vec<ConceptId>,
}

pub(super) fn hover_hit(a: &Analysis, text: &str, offset: usize) -> Option<HoverHit> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text[offset..].find(['\n', '\r']).map_or(text.len(), |i| offset + i);
    let line = &text[..line_end];
    let mut from = line_start.max(offset.saturating_sub(MAX_TERM_BYTES));
    while !text.is_char_boundary(from) {
        from += 1;
    }

    let mut best: Option<(Range<usize>, Vec<ConceptId>)> = None;
    let mut prev: Option<char> = text[..from].chars().next_back();
    for (i, c) in text[from..line_end].char_indices() {
        let start = from + i;
        if start > offset {
            break;
        }
        let word_start = is_word_char(c) && !prev.is_some_and(is_word_char);
        prev = Some(c);
        if !word_start {
            continue;
        }
        for (end, group) in a.terms.map.matches_at(line, start) {
            // The term must end at a word boundary and cover the cursor (or touch it from the left).
            if end < offset || line[end..].chars().next().is_some_and(is_word_char) {
                continue;
            }
            let better = match &best {
                None => true,
                Some((r, _)) => end - start > r.len() || (end > offset && r.end == offset),
            };
            if better {
                let mut concepts: Vec<ConceptId> = group.iter().map(|r| r.concept).collect();
                concepts.dedup();
                best = Some((start..end, concepts));
            }
        }
    }
    best.map(|(range, concepts)| HoverHit { range, concepts })
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::analysis::fixture::{analysis, cursor};

    const KG: &str = "
//- kg/tokio.md
//- kg/tokio runtime.md
synonyms:: Tokio RT
//- kg/runtime.md
//- kg/json-rpc.md
//- kg/rpc.md
//- kg/概念.md
//- kg/other.md
synonyms:: tokio
";

    fn check(input: &str, expect: Expect) {
        let a = analysis(KG);
        let (text, offset) = cursor(input);
        let out = match a.hover(&text, offset) {
            None => "nothing".to_string(),
            Some(hit) => {
                let names: Vec<_> = hit.concepts.iter().map(|&c| a.graph.concept(c).name()).collect();
                format!("{:?} -> {}", &text[hit.range], names.join(", "))
            }
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn longest_multi_word_term_covering_the_cursor() {
        check("the tokio run$0time, then", expect![[r#""tokio runtime" -> tokio runtime"#]]);
        check("the to$0kio   RUNTIME.", expect![[r#""tokio   RUNTIME" -> tokio runtime"#]]);
        check("the tokio$0 works", expect![[r#""tokio" -> tokio, other"#]]);
        check("a tokio rt$0", expect![[r#""tokio rt" -> tokio runtime"#]]);
    }

    #[test]
    fn only_whole_words_match() {
        check("tokiox$0", expect!["nothing"]);
        check("xtok$0io", expect!["nothing"]);
        check("json-r$0pc", expect![[r#""json-rpc" -> json-rpc"#]]);
        check("see $0 tokio", expect!["nothing"]);
        check("line one\n$0\ntokio", expect!["nothing"]);
    }

    #[test]
    fn multi_byte_text_keeps_exact_ranges() {
        check("😀 概$0念 😀", expect![[r#""概念" -> 概念"#]]);
        check("é tok$0io 漢字", expect![[r#""tokio" -> tokio, other"#]]);
    }
}
