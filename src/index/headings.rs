//! The heading dictionary: every heading of every markdown document in the workspace.
//!
//! [`extract_headings`] reads headings (and [`heading_spans`] them with their bytes) (ATX and setext) out of markdown text with pulldown-cmark;
//! [`HeadingIndex`] puts them in a [`TermMap`] keyed by folded heading text. No I/O, no
//! protocol types.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::TermMap;
use crate::text::LineIndex;

/// A heading found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub text: Arc<str>,
    pub path: Arc<Path>,
    /// Zero-based line of the heading.
    pub line: u32,
    /// 1 for `#`, up to 6.
    pub level: u8,
}

/// The headings of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocHeadings {
    pub path: PathBuf,
    /// `(level, text, line)`.
    pub headings: Vec<(u8, String, u32)>,
}

/// A heading with its bytes: what the outline of a document is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadingSpan {
    /// 1 for `#`, up to 6.
    pub level: u8,
    /// The heading's text, inline markup dropped.
    pub text: String,
    /// The whole heading, its `#` marks or setext underline included.
    pub range: Range<usize>,
    /// The heading's text as written (from its first to its last inline).
    pub text_range: Range<usize>,
}

/// Every heading of a markdown text, in order, as `(level, text, zero-based line)`.
pub fn extract_headings(text: &str) -> Vec<(u8, String, u32)> {
    let index = LineIndex::new(text);
    heading_spans(text)
        .into_iter()
        .map(|h| (h.level, h.text, index.line_col(text, h.range.start, crate::text::Encoding::Utf8).line))
        .collect()
}

/// Every heading of a markdown text with its bytes, in order; headings with no text are left
/// out.
pub fn heading_spans(text: &str) -> Vec<HeadingSpan> {
    let mut out = Vec::new();
    // The heading being read, and the bytes of its inlines so far.
    let mut current: Option<(HeadingSpan, Option<Range<usize>>)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let h = HeadingSpan { level: level as u8, text: String::new(), range: range.clone(), text_range: 0..0 };
                current = Some((h, None));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((mut h, Some(inlines))) = current.take() {
                    h.text = h.text.trim().to_string();
                    h.text_range = inlines;
                    if !h.text.is_empty() {
                        out.push(h);
                    }
                }
            }
            other => {
                let Some((h, inlines)) = &mut current else { continue };
                match other {
                    Event::Text(s) | Event::Code(s) => h.text.push_str(&s),
                    Event::SoftBreak | Event::HardBreak => h.text.push(' '),
                    _ => {}
                }
                let r = inlines.get_or_insert(range.clone());
                r.end = r.end.max(range.end);
            }
        }
    }
    out
}

/// All workspace headings, searchable by folded text.
#[derive(Debug, Default)]
pub struct HeadingIndex {
    pub map: TermMap<Heading>,
    /// The map's [`TermMap::word_suffixes`], for searching: made on first use.
    suffixes: std::sync::OnceLock<fst::Set<super::Bytes>>,
}

impl HeadingIndex {
    pub fn build<'a>(docs: impl IntoIterator<Item = &'a DocHeadings>) -> HeadingIndex {
        let entries = docs.into_iter().flat_map(|d| {
            let path: Arc<Path> = Arc::from(d.path.as_path());
            d.headings.iter().map(move |(level, text, line)| {
                (
                    text.clone(),
                    Heading { text: Arc::from(text.as_str()), path: path.clone(), line: *line, level: *level },
                )
            })
        });
        HeadingIndex { map: TermMap::build(entries), suffixes: Default::default() }
    }

    /// The later words of the multi-word headings ([`TermMap::word_suffixes`]), made on the
    /// first call.
    pub fn suffixes(&self) -> &fst::Set<super::Bytes> {
        self.suffixes.get_or_init(|| self.map.word_suffixes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atx_and_setext_headings_with_inline_code() {
        let text = "# Title\n\nText\n\nSetext `code`\n---\n\n```\n# not a heading\n```\n### Deep ###\n";
        assert_eq!(
            extract_headings(text),
            [(1, "Title".to_string(), 0), (2, "Setext code".to_string(), 4), (3, "Deep".to_string(), 10)]
        );
    }
}
