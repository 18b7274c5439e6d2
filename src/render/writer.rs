//! Rendering one block of definition markdown: parse, sanitize, write clean CommonMark (through
//! `pulldown-cmark-to-cmark`) or plain text.
//!
//! A block is rendered alone, so reference links defined in other blocks are resolved through
//! the reference definitions handed in, and each lookup is recorded as a dependency. This module
//! owns the output conventions (fence and list markers); it keeps no state and does no I/O.

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{BrokenLink, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_to_cmark::{Options as WriteOptions, cmark_with_options};

use super::blocks::{BlockKind, PARSE_OPTIONS, normalize_label};
use super::sanitize::{Dep, Sanitizer, is_comment_block};
use super::{Format, Links};

/// Reference definitions by normalized label: destination and title.
pub(crate) type RefMap = HashMap<String, (String, String)>;

/// Everything a block's rendering depends on besides its text.
pub(crate) struct BlockEnv<'a> {
    /// The concept file: relative links resolve against it.
    pub file: &'a Path,
    pub format: Format,
    pub links: &'a dyn Links,
    pub refs: &'a RefMap,
}

/// A rendered block and what it looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RenderedBlock {
    /// The block's text, without trailing newlines; empty when the block renders to nothing.
    pub text: String,
    pub deps: Vec<Dep>,
}

impl RenderedBlock {
    /// Whether every dependency still resolves as it did.
    pub fn is_current(&self, links: &dyn Links, refs: &RefMap) -> bool {
        self.deps.iter().all(|d| match d {
            Dep::Wiki(name, uri) => links.concept_uri(name) == *uri,
            Dep::Ref(label, def) => refs.get(label) == def.as_ref(),
        })
    }
}

/// Renders `src`, one top-level block. `alternate` asks for the second set of list markers
/// (`-` and `)`), used when the previous block is a list of the same kind.
pub(crate) fn render_block(src: &str, kind: BlockKind, alternate: bool, env: &BlockEnv<'_>) -> RenderedBlock {
    if src.trim_start().starts_with("<!--") && is_comment_block(src) {
        return RenderedBlock { text: String::new(), deps: Vec::new() };
    }
    // The writer closes an open fence only after a final newline.
    let owned;
    let src = if src.ends_with('\n') {
        src
    } else {
        owned = format!("{src}\n");
        owned.as_str()
    };
    let mut ref_deps = Vec::new();
    let callback = |link: BrokenLink<'_>| {
        let label = normalize_label(&link.reference);
        let def = env.refs.get(&label).cloned();
        ref_deps.push(Dep::Ref(label, def.clone()));
        def.map(|(d, t)| (CowStr::from(d), CowStr::from(t)))
    };
    let parser = Parser::new_with_broken_link_callback(src, PARSE_OPTIONS, Some(callback));
    let mut sanitizer = Sanitizer::new(env.file, env.links);
    let events = parser.filter_map(|e| sanitizer.map(e));
    let mut text = match env.format {
        Format::Markdown => {
            let options = WriteOptions {
                code_block_token_count: 3,
                increment_ordered_list_bullets: true,
                list_token: if alternate && kind == BlockKind::BulletList { '-' } else { '*' },
                ordered_list_token: if alternate && kind == BlockKind::OrderedList { ')' } else { '.' },
                ..WriteOptions::default()
            };
            let events: Vec<Event<'_>> = events.collect();
            let mut out = String::with_capacity(src.len() + 16);
            match cmark_with_options(events.iter(), &mut out, WRITE_OPTIONS, options) {
                Ok(_) => out,
                // The writer refuses only event streams a parser cannot produce; show the
                // source as code rather than nothing.
                Err(_) => format!("```text\n{}\n```", src.trim_end().replace("```", "` ` `")),
            }
        }
        Format::PlainText => plain_text(events),
    };
    let mut deps = sanitizer.deps;
    deps.extend(ref_deps);
    text.truncate(text.trim_end().len());
    // Leading blank lines, and the empty first line the writer gives a block quote, say nothing.
    let mut lead = 0;
    while let Some(line) = text[lead..]
        .split_inclusive('\n')
        .next()
        .filter(|l| l.trim().trim_start_matches('>').trim().is_empty() && l.ends_with('\n'))
    {
        lead += line.len();
    }
    text.drain(..lead);
    RenderedBlock { text, deps }
}

/// The options the output is written for: what a client's CommonMark renderer understands.
const WRITE_OPTIONS: Options =
    Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH).union(Options::ENABLE_TASKLISTS);

/// Markup removed; paragraphs, items, rows and code lines kept on their own lines.
fn plain_text<'e>(events: impl Iterator<Item = Event<'e>>) -> String {
    let mut out = String::new();
    let mut cells = 0;
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => out += &t,
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::TaskListMarker(done) => out += if done { "[x] " } else { "[ ] " },
            Event::Start(Tag::Item) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out += "- ";
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => cells = 0,
            Event::Start(Tag::TableCell) => {
                if cells > 0 {
                    out += " | ";
                }
                cells += 1;
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_),
            ) if !out.ends_with('\n') => out.push('\n'),
            Event::Rule => out += "----\n",
            _ => {}
        }
    }
    out
}
