//! Rendering concepts as hover and documentation text: safe, linked CommonMark or plain text,
//! incremental and cached.
//!
//! A hover shows the concept's name as a heading, its synonyms, related concepts linked to
//! their files, its properties as a table, then the definition. The definition is untrusted
//! markdown from the knowledge graph; it goes through `pulldown-cmark` events, is sanitized
//! ([`sanitize`]: no raw HTML, only `file`/`http`/`https` links, relative links made absolute,
//! `[[wiki links]]` resolved, headings demoted) and written back as clean CommonMark
//! ([`writer`]). Nothing in a definition can make an editor run anything.
//!
//! Incrementality: a definition is split into top-level blocks ([`blocks`]); rendered blocks are
//! cached by content hash and whole hovers by concept and content hash ([`cache`]), so when a
//! concept file changes only its changed blocks are rendered again. [`Stream`] renders text that
//! arrives in chunks, parsing only from the last stable block boundary, within a [`Budget`].
//! A whole rendering keeps to [`RenderConfig::max_length`] bytes: long lists end in "… and N
//! more", and long definitions are cut at a block boundary, with a link to the file for the rest.
//!
//! ```
//! use std::path::Path;
//! use kg_ls::render::{Budget, Env, Format, NoLinks, Stream};
//!
//! let mut s = Stream::new(Path::new("/kg/tokio.md"), Format::Markdown);
//! s.append("An *async* runtime. [guide](guide.md)\n\n```rust\nasync fn", Env::new(&NoLinks), Budget::unlimited());
//! s.append(" main() {}\n", Env::new(&NoLinks), Budget::unlimited());
//! s.finish(Env::new(&NoLinks), Budget::unlimited());
//! assert_eq!(s.output(), "An *async* runtime. [guide](file:///kg/guide.md)\n\n```rust\nasync fn main() {}\n```");
//! ```
//!
//! This module is part of the pure core: no protocol types, no async runtime, and no I/O but
//! through the caller's [`Vfs`] (a definition left in its file is read there). Its caches are
//! the only mutable state, behind mutexes, and survive graph snapshots.

mod blocks;
mod cache;
mod sanitize;
mod stream;
mod writer;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The markdown extensions kg-ls reads (wiki links among them), for every reader of markdown.
pub(crate) use blocks::PARSE_OPTIONS;
pub use cache::{BLOCK_CAPACITY, CacheStats, HOVER_CAPACITY};
pub use stream::{Budget, Env, Progress, Stream};

use crate::cache::hash_of;
use crate::kg::{ConceptId, Graph};
use crate::vfs::Vfs;
use cache::{CachedHover, Caches};
use sanitize::Dep;
use writer::{BlockEnv, RefMap, render_block};

/// The markup a client can display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Format {
    #[default]
    Markdown,
    PlainText,
}

/// Default cut length of a definition, in bytes of rendered text.
pub const DEFAULT_MAX_LENGTH: usize = 4000;

/// How long one hover may render before it returns what is ready.
pub const HOVER_BUDGET: Duration = Duration::from_millis(16);

/// Resolves `[[wiki link]]` names to the URI of the concept they name.
pub trait Links {
    fn concept_uri(&self, name: &str) -> Option<String>;
}

/// No concept resolves: every wiki link is shown as text.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLinks;

impl Links for NoLinks {
    fn concept_uri(&self, _: &str) -> Option<String> {
        None
    }
}

/// Renderer settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RenderConfig {
    /// The most bytes of a hover or of a completion's documentation. The name, synonyms,
    /// related concepts and properties take at most half of it (a list that does not fit ends
    /// in "… and N more"); the definition is cut after the last block that fits the rest (a first
    /// block too long alone is cut at a line inside it). Several concepts share it, and those
    /// that do not fit are counted in one line. Only a concept's name (at most
    /// [`crate::kg::MAX_TERM_BYTES`]), the short notes that say what was left out and a link to
    /// the rest of each cut definition can go beyond it ([`MAX_OVERRUN`] in all, plus the
    /// links).
    pub max_length: usize,
}

/// The most a rendering goes beyond [`RenderConfig::max_length`], besides the links to the rest
/// of cut definitions: one name and the notes of what was left out.
pub const MAX_OVERRUN: usize = 1024;

/// Below this many bytes left, the next concept of a hover is not rendered but counted.
const MIN_CONCEPT_BYTES: usize = 200;

impl Default for RenderConfig {
    fn default() -> Self {
        RenderConfig { max_length: DEFAULT_MAX_LENGTH }
    }
}

/// A rendering, and whether it is whole (`false` when the budget ran out first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub complete: bool,
}

/// Renders concepts with caches shared by every snapshot. Cheap to share behind `Arc`.
#[derive(Debug, Default)]
pub struct Renderer {
    config: RenderConfig,
    caches: Caches,
}

impl Renderer {
    pub fn new(config: RenderConfig) -> Renderer {
        Renderer { config, caches: Caches::default() }
    }

    pub fn config(&self) -> &RenderConfig {
        &self.config
    }

    pub fn stats(&self) -> CacheStats {
        self.caches.stats()
    }

    /// Renders the concepts, separated by a rule. Blocks are rendered until `budget` runs out;
    /// a rendering cut short says so, is not cached, and is finished by calling again.
    ///
    /// The whole text keeps to [`RenderConfig::max_length`]: each concept gets what the ones
    /// before it left, and once too little is left the rest are named in one line. See
    /// [`RenderConfig::max_length`] for the exact bound.
    pub fn render_concepts(
        &self,
        graph: &Graph,
        ids: &[ConceptId],
        format: Format,
        links: &dyn Links,
        files: &dyn Vfs,
        budget: Budget,
    ) -> Rendered {
        let sep = match format {
            Format::Markdown => "\n---\n\n",
            Format::PlainText => "\n----\n\n",
        };
        let mut complete = true;
        let mut left = self.config.max_length;
        let mut parts: Vec<String> = Vec::new();
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 && left < MIN_CONCEPT_BYTES.min(self.config.max_length) {
                let more = ids.len() - i;
                let s = if more == 1 { "" } else { "s" };
                parts.push(match format {
                    Format::Markdown => format!("*… and {more} more concept{s} with this term.*\n"),
                    Format::PlainText => format!("… and {more} more concept{s} with this term.\n"),
                });
                break;
            }
            let r = self.render_concept_within(graph, id, format, links, files, budget, left);
            complete &= r.complete;
            left = left.saturating_sub(r.text.len() + sep.len());
            parts.push(r.text);
        }
        Rendered { text: parts.join(sep), complete }
    }

    /// One concept, from the hover cache when its content and wiki links are unchanged.
    pub fn render_concept(
        &self,
        graph: &Graph,
        id: ConceptId,
        format: Format,
        links: &dyn Links,
        files: &dyn Vfs,
        budget: Budget,
    ) -> Rendered {
        self.render_concept_within(graph, id, format, links, files, budget, self.config.max_length)
    }

    /// [`Renderer::render_concept`] within `max_length` bytes instead of the configured length.
    #[allow(clippy::too_many_arguments)]
    fn render_concept_within(
        &self,
        graph: &Graph,
        id: ConceptId,
        format: Format,
        links: &dyn Links,
        files: &dyn Vfs,
        budget: Budget,
        max_length: usize,
    ) -> Rendered {
        let c = graph.concept(id);
        let related: Vec<(&str, &Path, u32)> = c
            .related()
            .iter()
            .map(|&r| {
                let rc = graph.concept(r);
                (rc.name(), &**rc.path(), rc.line())
            })
            .collect();
        let d = c.data();
        let on_disk = c.definition_on_disk(files);
        let key = hash_of(&(d, on_disk, (&**c.path(), &related, format, max_length)));
        let current =
            |h: &CachedHover| h.deps.iter().all(|d| matches!(d, Dep::Wiki(n, uri) if links.concept_uri(n) == *uri));
        if let Some(text) = self.caches.hover(key, current) {
            return Rendered { text: text.to_string(), complete: true };
        }
        let mut out = header(graph, id, format, max_length / 2);
        let limit = max_length.saturating_sub(out.len());
        // A definition left on disk is read again through `files`; one that changed there since
        // the graph was built is shown (it is what the file, or its open buffer, says now), and
        // cached only under the file's stamp, which the key holds: the next change to the file
        // or the buffer misses this entry.
        let (def, as_built) = match c.definition(files) {
            Ok(found) => {
                (self.render_definition(&found.text, c.path(), d.line(), format, links, budget, limit), found.as_built)
            }
            Err(problem) => {
                let note = format!("The definition could not be read: {problem}");
                let text = match format {
                    Format::Markdown => format!("*{}*\n", escape_inline(&note)),
                    Format::PlainText => note + "\n",
                };
                (Definition { text, complete: true, deps: Vec::new() }, false)
            }
        };
        out += &def.text;
        let text = out.trim_end().to_string() + "\n";
        let stamped = on_disk.is_some_and(|(_, stamp)| stamp.is_some());
        if def.complete && (as_built || stamped) {
            let deps = def.deps.into_iter().filter(|d| matches!(d, Dep::Wiki(..))).collect();
            self.caches.put_hover(key, CachedHover { text: text.as_str().into(), deps });
        }
        Rendered { text, complete: def.complete }
    }

    /// Renders a definition from `file` (whose concept starts at zero-based `line`), cut after
    /// `limit` bytes at a block boundary. Only as much text as the cut needs is parsed.
    #[allow(clippy::too_many_arguments)]
    fn render_definition(
        &self,
        def: &str,
        file: &Path,
        line: u32,
        format: Format,
        links: &dyn Links,
        budget: Budget,
        limit: usize,
    ) -> Definition {
        let env = Env { links, cache: Some(&self.caches) };
        let mut s = Stream::new(file, format);
        let def = def.trim();
        let mut fed = 0usize;
        let mut window = limit.saturating_mul(2).max(16 * 1024);
        loop {
            let mut end = fed.saturating_add(window).min(def.len());
            while !def.is_char_boundary(end) {
                end -= 1;
            }
            s.push(&def[fed..end]);
            fed = end;
            let progress = if fed == def.len() { s.finish(env, budget) } else { s.render(env, budget) };
            if progress == Progress::Pending {
                let note = match format {
                    Format::Markdown => "*… the rest of the definition is still rendering; hover again to see it.*",
                    Format::PlainText => "… the rest of the definition is still rendering; hover again to see it.",
                };
                let ready = &s.stable()[..fitting(s.done(), limit)];
                return Definition { text: stream::join(ready, note), complete: false, deps: Vec::new() };
            }
            if s.stable().len() >= limit || fed == def.len() {
                break;
            }
            window = window.saturating_mul(2);
        }
        let deps: Vec<Dep> = s.deps().cloned().collect();
        let done = s.done();
        let fit = fitting(done, limit);
        if !s.has_more() && done.last().is_none_or(|d| d.out.end <= limit) {
            return Definition { text: s.output(), complete: true, deps };
        }
        // Cut after the last block that fits; a first block that alone is too long is cut at a
        // line inside it (open fences and lists are closed), shorter until its rendering fits.
        let mut text = if fit > 0 {
            s.stable()[..fit].to_string()
        } else {
            let first = &done[0];
            let src = &s.text()[first.src.clone()];
            let refs = RefMap::new();
            let env = BlockEnv { file, format, links, refs: &refs };
            let mut cut = limit.min(src.len());
            loop {
                while !src.is_char_boundary(cut) {
                    cut -= 1;
                }
                let at = src[..cut].rfind('\n').filter(|&n| n > 0).unwrap_or(cut);
                let text = if at == 0 { String::new() } else { render_block(&src[..at], first.kind, false, &env).text };
                if text.len() <= limit {
                    break text;
                }
                // Rendering made it longer (absolute links, escapes): try a shorter piece.
                cut = (at * limit / text.len()).min(at * 3 / 4);
            }
        };
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let gap = if text.is_empty() { "" } else { "\n\n" };
        match format {
            Format::Markdown => {
                let _ = write!(text, "{gap}[… the rest is in {}]({})", escape_inline(&name), file_uri(file, line));
            }
            Format::PlainText => {
                let _ = write!(text, "{gap}… the rest is in {}", file.display());
            }
        }
        Definition { text, complete: true, deps }
    }
}

/// The end, in the stream's stable output, of the last finished block that ends within `limit`
/// bytes (0 when even the first does not).
fn fitting(done: &[stream::DoneBlock], limit: usize) -> usize {
    done.iter().take_while(|d| d.out.end <= limit).last().map_or(0, |d| d.out.end)
}

struct Definition {
    text: String,
    complete: bool,
    deps: Vec<Dep>,
}

/// Renders a whole markdown text at once, without caches: what a [`Stream`] fed the same text
/// in any chunks ends with.
pub fn render_markdown(text: &str, file: &Path, format: Format, links: &dyn Links) -> String {
    let mut s = Stream::new(file, format);
    s.push(text);
    s.finish(Env::new(links), Budget::unlimited());
    s.output()
}

/// The name, synonyms, related concepts and properties, in at most about `max` bytes: each
/// list ends in "… and N more" where the room runs out (a name alone may exceed it).
fn header(graph: &Graph, id: ConceptId, format: Format, max: usize) -> String {
    let c = graph.concept(id);
    let d = c.data();
    let md = format == Format::Markdown;
    let text = |s: &str| if md { escape_inline(s) } else { s.to_string() };
    let label = |l: &str| if md { format!("**{l}:** ") } else { format!("{l}: ") };
    let mut out = String::new();
    if md {
        let _ = write!(out, "### {}\n\n", escape_inline(d.name()));
    } else {
        let _ = write!(out, "{}\n\n", d.name());
    }
    if d.synonyms().len() > 0 {
        let room = max.saturating_sub(out.len());
        let syn = joined(d.synonyms().len(), d.synonyms().map(text), room, md);
        let _ = write!(out, "{}{syn}\n\n", label("Synonyms"));
    }
    let mut related: Vec<String> = c
        .related()
        .iter()
        .map(|&r| {
            let rc = graph.concept(r);
            if md {
                format!("[{}]({})", escape_inline(rc.name()), file_uri(rc.path(), rc.line()))
            } else {
                rc.name().to_string()
            }
        })
        .collect();
    // Related names that resolve to no concept are still shown, unlinked.
    let resolved: std::collections::HashSet<String> =
        c.related().iter().flat_map(|&r| graph.concept(r).terms().map(crate::text::fold)).collect();
    for name in d.related() {
        if !resolved.contains(&crate::text::fold(name)) {
            related.push(text(name));
        }
    }
    if !related.is_empty() {
        let room = max.saturating_sub(out.len());
        let n = related.len();
        let _ = write!(out, "{}{}\n\n", label("Related"), joined(n, related.into_iter(), room, md));
    }
    if d.properties().next().is_some() {
        let total = d.properties().count();
        let mut shown = 0;
        if md {
            out += "| property | value |\n|---|---|\n";
        }
        for (k, v) in d.properties() {
            let row = if md { format!("| {} | {} |\n", escape_cell(k), escape_cell(v)) } else { format!("{k}: {v}\n") };
            if out.len() + row.len() > max {
                break;
            }
            out += &row;
            shown += 1;
        }
        if shown < total {
            let more = format!("… and {} more", total - shown);
            let _ = writeln!(out, "{}", if md { format!("| {more} | |") } else { more });
        }
        out += "\n";
    }
    out
}

/// `items` (of which there are `total`) joined by commas while they fit in `room` bytes; the
/// rest are counted.
fn joined(total: usize, items: impl Iterator<Item = String>, room: usize, md: bool) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for item in items {
        let sep = if shown > 0 { ", " } else { "" };
        if out.len() + sep.len() + item.len() > room {
            break;
        }
        out += sep;
        out += &item;
        shown += 1;
    }
    if shown < total {
        let more = format!("… and {} more", total - shown);
        let sep = if shown > 0 { ", " } else { "" };
        let _ = write!(out, "{sep}{}", if md { format!("*{more}*") } else { more });
    }
    out
}

/// A `file://` URI for `path`, with a `#L` line fragment (one-based) as editors understand it.
pub fn file_uri(path: &Path, line: u32) -> String {
    format!("{}#L{}", sanitize::path_uri(path), line + 1)
}

/// A `file://` URI for `path` (no line), encoded as [`file_uri`] encodes it.
pub fn path_uri(path: &Path) -> String {
    sanitize::path_uri(path)
}

fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '&' | '~' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_cell(s: &str) -> String {
    escape_inline(s).replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests;
