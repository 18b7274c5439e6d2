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
//! Long definitions are cut at a block boundary after [`RenderConfig::max_length`] characters,
//! with a link to the file for the rest.
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
//! This module is part of the pure core: no I/O, no protocol types, no async runtime. Its
//! caches are the only mutable state, behind mutexes, and survive graph snapshots.

mod blocks;
mod cache;
mod sanitize;
mod stream;
mod writer;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

pub use cache::{BLOCK_CAPACITY, CacheStats, HOVER_CAPACITY};
pub use stream::{Budget, Env, Progress, Stream};

use crate::cache::hash_of;
use crate::kg::{ConceptId, Graph};
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
    /// A definition is cut at the first block boundary after this many bytes of output.
    pub max_length: usize,
}

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
    pub fn render_concepts(
        &self,
        graph: &Graph,
        ids: &[ConceptId],
        format: Format,
        links: &dyn Links,
        budget: Budget,
    ) -> Rendered {
        let mut complete = true;
        let parts: Vec<String> = ids
            .iter()
            .map(|&id| {
                let r = self.render_concept(graph, id, format, links, budget);
                complete &= r.complete;
                r.text
            })
            .collect();
        let sep = match format {
            Format::Markdown => "\n---\n\n",
            Format::PlainText => "\n----\n\n",
        };
        Rendered { text: parts.join(sep), complete }
    }

    /// One concept, from the hover cache when its content and wiki links are unchanged.
    pub fn render_concept(
        &self,
        graph: &Graph,
        id: ConceptId,
        format: Format,
        links: &dyn Links,
        budget: Budget,
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
        let on_disk = c.definition_on_disk();
        let key = hash_of(&(d, on_disk, (&**c.path(), &related, format, self.config)));
        let current =
            |h: &CachedHover| h.deps.iter().all(|d| matches!(d, Dep::Wiki(n, uri) if links.concept_uri(n) == *uri));
        if let Some(text) = self.caches.hover(key, current) {
            return Rendered { text: text.to_string(), complete: true };
        }
        let mut out = header(graph, id, format);
        // A definition left on disk is read again; one that changed there since the graph
        // was built is shown (it is what the file says), and cached only under the file's
        // stamp, which the key holds: the next change to the file misses this entry.
        let (def, as_built) = match c.definition() {
            Ok(found) => {
                (self.render_definition(&found.text, c.path(), d.line(), format, links, budget), found.as_built)
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
    /// [`RenderConfig::max_length`] at a block boundary. Only as much text as the cut needs is
    /// parsed.
    fn render_definition(
        &self,
        def: &str,
        file: &Path,
        line: u32,
        format: Format,
        links: &dyn Links,
        budget: Budget,
    ) -> Definition {
        let limit = self.config.max_length;
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
                return Definition { text: stream::join(s.stable(), note), complete: false, deps: Vec::new() };
            }
            if s.stable().len() >= limit || fed == def.len() {
                break;
            }
            window = window.saturating_mul(2);
        }
        let deps: Vec<Dep> = s.deps().cloned().collect();
        let done = s.done();
        let Some(i) = done.iter().position(|d| d.out.end >= limit) else {
            return Definition { text: s.output(), complete: true, deps };
        };
        let too_long = done[i].out.len() > limit.saturating_mul(2);
        if i + 1 == done.len() && !s.has_more() && !too_long {
            return Definition { text: s.output(), complete: true, deps };
        }
        // Cut after block `i`, or before it when it alone is far too long; a first block that
        // is far too long is cut at a line inside it (open fences and lists are closed).
        let mut text = if !too_long {
            s.stable()[..done[i].out.end].to_string()
        } else if i > 0 && done[i - 1].out.end > 0 {
            s.stable()[..done[i - 1].out.end].to_string()
        } else {
            let src = &s.text()[done[i].src.clone()];
            let mut cut = limit.min(src.len());
            while !src.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = src[..cut].rfind('\n').filter(|&n| n > 0).unwrap_or(cut);
            let refs = RefMap::new();
            let env = BlockEnv { file, format, links, refs: &refs };
            render_block(&src[..cut], done[i].kind, false, &env).text
        };
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        match format {
            Format::Markdown => {
                let _ = write!(text, "\n\n[… the rest is in {}]({})", escape_inline(&name), file_uri(file, line));
            }
            Format::PlainText => {
                let _ = write!(text, "\n\n… the rest is in {}", file.display());
            }
        }
        Definition { text, complete: true, deps }
    }
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

/// The name, synonyms, related concepts and properties.
fn header(graph: &Graph, id: ConceptId, format: Format) -> String {
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
        let syn: Vec<String> = d.synonyms().map(text).collect();
        let _ = write!(out, "{}{}\n\n", label("Synonyms"), syn.join(", "));
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
    for name in d.related() {
        let folded = crate::text::fold(name);
        if !c.related().iter().any(|&r| graph.concept(r).terms().any(|t| crate::text::fold(t) == folded)) {
            related.push(text(name));
        }
    }
    if !related.is_empty() {
        let _ = write!(out, "{}{}\n\n", label("Related"), related.join(", "));
    }
    if d.properties().next().is_some() {
        if md {
            out += "| property | value |\n|---|---|\n";
            for (k, v) in d.properties() {
                let _ = writeln!(out, "| {} | {} |", escape_cell(k), escape_cell(v));
            }
        } else {
            for (k, v) in d.properties() {
                let _ = writeln!(out, "{k}: {v}");
            }
        }
        out += "\n";
    }
    out
}

/// A `file://` URI for `path`, with a `#L` line fragment (one-based) as editors understand it.
pub fn file_uri(path: &Path, line: u32) -> String {
    format!("{}#L{}", sanitize::path_uri(path), line + 1)
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
