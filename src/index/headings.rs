//! The heading dictionary: every heading of every markdown document in the workspace.
//!
//! [`extract_headings`] reads headings (ATX and setext) out of markdown text with pulldown-cmark;
//! [`HeadingIndex`] puts them in a [`TermMap`] keyed by folded heading text. No I/O, no
//! protocol types.

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

/// Every heading of a markdown text, in order, as `(level, text, zero-based line)`.
pub fn extract_headings(text: &str) -> Vec<(u8, String, u32)> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut current: Option<(u8, String, u32)> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let line = index.line_col(text, range.start, crate::text::Encoding::Utf8).line;
                current = Some((level as u8, String::new(), line));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, t, line)) = current.take() {
                    let t = t.trim().to_string();
                    if !t.is_empty() {
                        out.push((level, t, line));
                    }
                }
            }
            Event::Text(s) | Event::Code(s) => {
                if let Some((_, t, _)) = &mut current {
                    t.push_str(&s);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, t, _)) = &mut current {
                    t.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// All workspace headings, searchable by folded text.
#[derive(Debug, Default)]
pub struct HeadingIndex {
    pub map: TermMap<Heading>,
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
        HeadingIndex { map: TermMap::build(entries) }
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
