//! Making untrusted definition markdown safe and linked, one event at a time.
//!
//! Owns the rules: raw HTML never passes (inline tags and comments are dropped, HTML blocks
//! become code blocks that show their source), only `file`, `http` and `https` links and images
//! survive, relative destinations resolve against the concept file to `file://` URIs,
//! `[[wiki links]]` link to the named concept, and headings are demoted below the hover's own
//! title. It must not write text or do I/O: it maps events and records what it looked up.

use std::path::{Component, Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Tag, TagEnd};

use super::Links;

/// Something a rendered block depends on besides its own text; a cached block is reused only
/// while each of its dependencies still resolves the same way.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dep {
    /// A `[[wiki link]]` name and the URI it resolved to.
    Wiki(String, Option<String>),
    /// A reference label used but not defined in the block, and the definition found elsewhere.
    Ref(String, Option<(String, String)>),
}

/// Maps parser events to safe events. One per block.
pub(crate) struct Sanitizer<'a> {
    file: &'a Path,
    links: &'a dyn Links,
    pub deps: Vec<Dep>,
    /// For each open link or image: whether its Start was kept (so its End is too).
    open: Vec<bool>,
    in_html_block: bool,
}

impl<'a> Sanitizer<'a> {
    pub fn new(file: &'a Path, links: &'a dyn Links) -> Sanitizer<'a> {
        Sanitizer { file, links, deps: Vec::new(), open: Vec::new(), in_html_block: false }
    }

    /// The safe replacement of `event`, or `None` to drop it.
    pub fn map<'e>(&mut self, event: Event<'e>) -> Option<Event<'e>> {
        match event {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                Some(Event::Start(Tag::Heading { level: demote(level), id, classes, attrs }))
            }
            Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(demote(level)))),
            Event::Start(Tag::Link { link_type, dest_url, title, .. }) => {
                let dest = match link_type {
                    LinkType::WikiLink { .. } => {
                        let uri = self.links.concept_uri(&dest_url);
                        self.deps.push(Dep::Wiki(dest_url.to_string(), uri.clone()));
                        uri
                    }
                    LinkType::Email => None,
                    _ => resolve_url(&dest_url, self.file),
                };
                self.open.push(dest.is_some());
                let dest = dest?;
                Some(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url: dest.into(),
                    title,
                    id: CowStr::Borrowed(""),
                }))
            }
            Event::Start(Tag::Image { link_type, dest_url, title, .. }) => {
                let dest = match link_type {
                    LinkType::WikiLink { .. } | LinkType::Email => None,
                    _ => resolve_url(&dest_url, self.file),
                };
                self.open.push(dest.is_some());
                let dest = dest?;
                Some(Event::Start(Tag::Image {
                    link_type: LinkType::Inline,
                    dest_url: dest.into(),
                    title,
                    id: CowStr::Borrowed(""),
                }))
            }
            Event::End(TagEnd::Link | TagEnd::Image) => self.open.pop().unwrap_or(false).then_some(event),
            Event::InlineHtml(_) => None,
            Event::Start(Tag::HtmlBlock) => {
                self.in_html_block = true;
                Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced("html".into()))))
            }
            Event::End(TagEnd::HtmlBlock) => {
                self.in_html_block = false;
                Some(Event::End(TagEnd::CodeBlock))
            }
            Event::Html(html) => Some(Event::Text(html)),
            other => Some(other),
        }
    }
}

/// Whether an HTML block is nothing but comments (such blocks are dropped whole).
pub(crate) fn is_comment_block(src: &str) -> bool {
    let mut rest = src.trim();
    while let Some(r) = rest.strip_prefix("<!--") {
        match r.find("-->") {
            Some(end) => rest = r[end + 3..].trim_start(),
            None => return false,
        }
    }
    rest.is_empty() && !src.trim().is_empty()
}

/// Headings in a definition sit below the hover's `###` title.
fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H4,
        HeadingLevel::H2 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The destination a link may keep, or `None` when it must be dropped: `http`, `https` and
/// `file` URLs pass unchanged; relative paths and fragments resolve against `file`; every other
/// scheme (`command:`, `javascript:`, `vscode:`, …) and protocol-relative `//host` are dropped.
pub(crate) fn resolve_url(dest: &str, file: &Path) -> Option<String> {
    let dest = dest.trim();
    if let Some((scheme, _)) = dest.split_once(':') {
        let is_scheme = !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if is_scheme {
            return matches!(scheme.to_ascii_lowercase().as_str(), "file" | "http" | "https").then(|| dest.to_string());
        }
    }
    if dest.starts_with("//") || dest.starts_with("\\\\") {
        return None;
    }
    let (path_part, suffix) = match dest.find(['#', '?']) {
        Some(i) => dest.split_at(i),
        None => (dest, ""),
    };
    let target: PathBuf = if path_part.is_empty() {
        file.to_path_buf()
    } else {
        let decoded = percent_decode(path_part);
        let p = Path::new(&decoded);
        let joined = if p.is_absolute() { p.to_path_buf() } else { file.parent().unwrap_or(Path::new("/")).join(p) };
        normalize(&joined)
    };
    Some(path_uri(&target) + suffix)
}

/// A `file://` URI for `path`, percent-encoding everything but unreserved bytes and `/`.
pub(crate) fn path_uri(path: &Path) -> String {
    let mut s = String::from("file://");
    let p = path.to_string_lossy();
    if !p.starts_with('/') {
        s.push('/');
    }
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => s.push(b as char),
            b'\\' => s.push('/'),
            _ => s += &format!("%{b:02X}"),
        }
    }
    s
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_or_drop() {
        let f = Path::new("/kg/sub/tokio.md");
        let cases = [
            ("https://tokio.rs/x?y#z", Some("https://tokio.rs/x?y#z")),
            ("HTTP://a", Some("HTTP://a")),
            ("file:///etc/x", Some("file:///etc/x")),
            ("command:workbench.action.terminal.new", None),
            ("  javascript:alert(1)", None),
            ("vscode://x", None),
            ("data:text/html,x", None),
            ("//evil.example/x", None),
            ("../other%20concept.md#part", Some("file:///kg/other%20concept.md#part")),
            ("./img/a b.png", Some("file:///kg/sub/img/a%20b.png")),
            ("#section", Some("file:///kg/sub/tokio.md#section")),
            ("/abs/path.md", Some("file:///abs/path.md")),
            ("概念.md", Some("file:///kg/sub/%E6%A6%82%E5%BF%B5.md")),
        ];
        for (dest, want) in cases {
            assert_eq!(resolve_url(dest, f).as_deref(), want, "{dest}");
        }
    }

    #[test]
    fn comment_blocks() {
        assert!(is_comment_block("<!-- a -->\n<!-- b\n -->\n"));
        assert!(!is_comment_block("<!-- a --><div>"));
        assert!(!is_comment_block("<div>"));
    }
}
