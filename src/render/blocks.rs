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
    /// Byte range in the whole text, from the start of the block's first line.
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
pub(crate) fn split(text: &str, from: usize) -> Split {
    let src = &text[from..];
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut iter = Parser::new_ext(src, PARSE_OPTIONS).into_offset_iter();
    for (event, range) in iter.by_ref() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    let kind = match tag {
                        Tag::List(None) => BlockKind::BulletList,
                        Tag::List(Some(_)) => BlockKind::OrderedList,
                        _ => BlockKind::Other,
                    };
                    let start = line_start(src, range.start);
                    blocks.push(Block { range: from + start..from + range.end, kind });
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            // A rule is a leaf block without Start/End.
            Event::Rule if depth == 0 => {
                let start = line_start(src, range.start);
                blocks.push(Block { range: from + start..from + range.end, kind: BlockKind::Other });
            }
            _ => {}
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

fn line_start(src: &str, at: usize) -> usize {
    src[..at].rfind('\n').map_or(0, |i| i + 1)
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
                BulletList "  - a\n  - b\n\n    nested para\n\n"
                Other "---\n"
                Other "```rust\nfn f() {}\n\n```"
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
                Other "```\ncode\n\nmore"
            "#]],
        );
    }
}
