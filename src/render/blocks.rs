//! Splitting markdown into top-level blocks, and the reference definitions between them.
//!
//! A top-level block is a paragraph, heading, list, quote, table, code block, rule or HTML block
//! that starts at column zero of the document's tree. Blocks are what the caches key on and what
//! the stream treats as its unit: of the blocks found in a parse of the text from a stable
//! boundary, all but the last are final, because text appended later can only extend or change
//! the last one. This module only finds blocks; it renders nothing and holds no state.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

/// The markdown extensions kg-ls reads in definitions.
pub(crate) const PARSE_OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_WIKILINKS);

/// What a block is, as far as joining blocks needs to know: two lists of one kind written one
/// after the other must use different markers or they would read back as one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BlockKind {
    BulletList,
    OrderedList,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// Byte range in the whole text, from the end of the previous block.
    pub range: Range<usize>,
    pub kind: BlockKind,
}

/// A link reference definition: normalized label, destination and title, and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefDef {
    pub label: String,
    pub dest: String,
    pub title: String,
    pub start: usize,
}

/// The blocks of `text[from..]` (ranges in `text`), and its reference definitions.
#[derive(Debug, Default)]
pub(crate) struct Split {
    pub blocks: Vec<Block>,
    pub refs: Vec<RefDef>,
}

/// Splits `text[from..]` into top-level blocks. `from` must be the start of a line.
///
/// Each block runs from the end of the previous one to the end of its own last line, so the
/// blank lines and reference definitions between blocks go with the block after: a block parsed
/// alone then reads as it does in place (definitions and the lines after them can be one
/// paragraph, where `2) x` is text, not a list). A container's end is taken from its content,
/// because the parser stretches list and quote ranges over the definitions that follow them.
pub(crate) fn split(text: &str, from: usize) -> Split {
    let src = &text[from..];
    let mut blocks: Vec<Block> = Vec::new();
    let mut depth = 0usize;
    let mut content_end = 0;
    let mut iter = Parser::new_ext(src, PARSE_OPTIONS).into_offset_iter();
    for (event, range) in iter.by_ref() {
        let (opens, closes, measured) = match &event {
            Event::Start(Tag::List(_) | Tag::Item | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)) => {
                (true, false, false)
            }
            Event::Start(_) => (true, false, true),
            Event::End(_) => (false, true, false),
            _ => (false, false, true),
        };
        if depth == 0 && (opens || matches!(event, Event::Rule)) {
            let kind = match &event {
                Event::Start(Tag::List(None)) => BlockKind::BulletList,
                Event::Start(Tag::List(Some(_))) => BlockKind::OrderedList,
                _ => BlockKind::Other,
            };
            let start = blocks.last().map_or(0, |b| b.range.end - from);
            blocks.push(Block { range: from + start..from + start, kind });
            content_end = range.start;
        }
        if measured {
            content_end = content_end.max(range.end);
        }
        depth = if opens {
            depth + 1
        } else if closes {
            depth.saturating_sub(1)
        } else {
            depth
        };
        if depth == 0
            && let Some(b) = blocks.last_mut()
        {
            b.range.end = from + line_end(src, content_end);
        }
    }
    let mut refs: Vec<RefDef> = iter
        .reference_definitions()
        .iter()
        .map(|(label, def)| RefDef {
            label: normalize_label(label),
            dest: def.dest.to_string(),
            title: def.title.as_deref().unwrap_or_default().to_string(),
            start: from + def.span.start,
        })
        .collect();
    refs.sort_by_key(|r| r.start);
    Split { blocks, refs }
}

/// A reference label as CommonMark compares them: case-folded, white space collapsed.
pub(crate) fn normalize_label(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The end of the line `at` is on (after its newline), or `at` when it is already a line start.
fn line_end(src: &str, at: usize) -> usize {
    if at == 0 || src.as_bytes()[at - 1] == b'\n' {
        return at;
    }
    src[at..].find('\n').map_or(src.len(), |i| at + i + 1)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(text: &str, expect: Expect) {
        let s = split(text, 0);
        let mut out = String::new();
        for b in &s.blocks {
            out += &format!("{:?} {:?}\n", b.kind, &text[b.range.clone()]);
        }
        for r in &s.refs {
            out += &format!("ref {:?} -> {:?} {:?}\n", r.label, r.dest, r.title);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn top_level_blocks_and_reference_definitions() {
        check(
            "Para one\nstill one.\n\n  - a\n  - b\n\n    nested para\n\n---\n\n[Foo  Bar]: /x \"t\"\n```rust\nfn f() {}\n\n```\n1. one\n",
            expect![[r#"
                Other "Para one\nstill one.\n"
                BulletList "\n  - a\n  - b\n\n    nested para\n"
                Other "\n---\n"
                Other "\n[Foo  Bar]: /x \"t\"\n```rust\nfn f() {}\n\n```\n"
                OrderedList "1. one\n"
                ref "foo bar" -> "/x" "t"
            "#]],
        );
    }

    #[test]
    fn an_unclosed_fence_runs_to_the_end() {
        check(
            "intro\n\n```\ncode\n\nmore",
            expect![[r#"
                Other "intro\n"
                Other "\n```\ncode\n\nmore"
            "#]],
        );
    }
}
