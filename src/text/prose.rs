//! Which bytes of a markdown text are prose: the text outside code, inline code, HTML, link
//! targets and autolinks, as pulldown-cmark's offsets give it.
//!
//! Owns that one definition, which the terminology checks and the navigation features (mentions,
//! semantic tokens) share. Pure: text in, byte ranges out.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Prose ranges with only white space between them made one, so that a phrase broken over
/// lines (pulldown-cmark gives each line its own text event) is still one phrase.
pub fn joined(text: &str, ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.end <= r.start && text[last.end..r.start].chars().all(char::is_whitespace) => {
                last.end = r.end
            }
            _ => out.push(r),
        }
    }
    out
}

/// The byte ranges of `text` that are prose: text events outside code blocks, links' targets
/// and autolinks. A link's own text is prose.
pub fn prose_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut code = 0usize;
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    for (event, range) in Parser::new_ext(text, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::HtmlBlock) | Event::Start(Tag::Image { .. }) => {
                code += 1
            }
            Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::HtmlBlock) | Event::End(TagEnd::Image) => {
                code = code.saturating_sub(1)
            }
            Event::Text(t) if code == 0 => {
                // Only text that stands in the source as it is (not an entity or an escape,
                // and not an autolink's URL, which pulldown gives as text too).
                let src = &text[range.clone()];
                if src == &*t && !looks_like_url(src) {
                    out.push(range);
                }
            }
            _ => {}
        }
    }
    out
}

fn looks_like_url(s: &str) -> bool {
    let s = s.trim();
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with("www.") || s.starts_with("mailto:")
}
