//! The document checks: prose of a markdown or text document against the [`Terminology`].
//!
//! Owns finding the prose (text outside code, inline code, URLs and link targets, through
//! pulldown-cmark's offsets) and matching its phrases. Pure: text in, findings out.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::{CheckId, Edit, Finding, Fix, Levels, Terminology};
use crate::text::{fold, is_word_char};

pub(super) fn check(text: &str, terms: &Terminology, levels: &Levels) -> Vec<Finding> {
    let mut out = Vec::new();
    if terms.is_empty() || !levels.is_on(CheckId::AvoidedTerm) {
        return out;
    }
    for prose in prose_ranges(text) {
        avoided_in(text, prose, terms, levels, &mut out);
    }
    out
}

/// The byte ranges of `text` that are prose: text events outside code blocks, links' targets
/// and autolinks. A link's own text is prose.
pub(super) fn prose_ranges(text: &str) -> Vec<Range<usize>> {
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

/// The words of `text[range]`, as byte ranges of `text`.
pub(super) fn words(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text[range.clone()].char_indices() {
        let at = range.start + i;
        match (is_word_char(c), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                out.push(s..at);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..range.end);
    }
    out
}

fn avoided_in(text: &str, prose: Range<usize>, terms: &Terminology, levels: &Levels, out: &mut Vec<Finding>) {
    let words = words(text, prose.clone());
    let mut i = 0;
    while i < words.len() {
        // The longest phrase starting at word i that is an avoided term.
        let mut found = None;
        for n in (1..=terms.max_words().min(words.len() - i)).rev() {
            let span = words[i].start..words[i + n - 1].end;
            if let Some(a) = terms.avoided(&fold(&text[span.clone()])) {
                found = Some((n, span, a));
                break;
            }
        }
        let Some((n, span, a)) = found else {
            i += 1;
            continue;
        };
        let written = &text[span.clone()];
        let replacement = crate::text::infer_case(written, &a.replacement).unwrap_or_else(|| a.replacement.clone());
        out.push(Finding {
            check: CheckId::AvoidedTerm,
            level: levels.get(CheckId::AvoidedTerm),
            range: span.clone(),
            message: format!("“{written}” is an avoided term: use “{}”", a.replacement),
            deprecated: true,
            related: Vec::new(),
            fixes: vec![Fix {
                title: format!("Replace with “{replacement}”"),
                edits: vec![Edit::Replace { path: None, range: span, text: replacement }],
                safe: true,
            }],
        });
        i += n;
    }
}
