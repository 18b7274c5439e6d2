//! Rendering concepts as hover and documentation text, in markdown or plain text.
//!
//! Output: the concept's name, its synonyms, related concepts (as `file://` links in markdown),
//! its properties, then the definition. The definition is untrusted: raw HTML is escaped and
//! only `file`, `http` and `https` links survive. No I/O, no protocol types.

use std::path::Path;

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::kg::{ConceptId, Graph};

/// The markup a client can display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Markdown,
    PlainText,
}

/// Renders the concepts, separated by a rule, in `format`.
pub fn render_concepts(graph: &Graph, ids: &[ConceptId], format: Format) -> String {
    let parts: Vec<String> = ids.iter().map(|&id| render_concept(graph, id, format)).collect();
    match format {
        Format::Markdown => parts.join("\n---\n\n"),
        Format::PlainText => parts.join("\n----\n\n"),
    }
}

fn render_concept(graph: &Graph, id: ConceptId, format: Format) -> String {
    let c = graph.concept(id);
    let d = &c.data;
    let mut out = String::new();
    let md = format == Format::Markdown;
    if md {
        out += &format!("### {}\n\n", escape_inline(&d.name));
    } else {
        out += &format!("{}\n\n", d.name);
    }
    if !d.synonyms.is_empty() {
        let syn: Vec<String> = d.synonyms.iter().map(|s| if md { escape_inline(s) } else { s.clone() }).collect();
        out += &format!("{}Synonyms:{} {}\n\n", if md { "**" } else { "" }, if md { "**" } else { "" }, syn.join(", "));
    }
    let mut related: Vec<String> = c
        .related
        .iter()
        .map(|&r| {
            let rc = graph.concept(r);
            if md {
                format!("[{}]({})", escape_inline(rc.name()), file_uri(&rc.path, rc.data.line))
            } else {
                rc.name().to_string()
            }
        })
        .collect();
    // Related names that resolve to no concept are still shown, unlinked.
    for name in &d.related {
        let folded = crate::text::fold(name);
        if !c.related.iter().any(|&r| graph.concept(r).terms().any(|t| crate::text::fold(t) == folded)) {
            related.push(if md { escape_inline(name) } else { name.clone() });
        }
    }
    if !related.is_empty() {
        out +=
            &format!("{}Related:{} {}\n\n", if md { "**" } else { "" }, if md { "**" } else { "" }, related.join(", "));
    }
    if !d.properties.is_empty() {
        if md {
            out += "| property | value |\n|---|---|\n";
            for (k, v) in &d.properties {
                out += &format!("| {} | {} |\n", escape_cell(k), escape_cell(v));
            }
            out += "\n";
        } else {
            for (k, v) in &d.properties {
                out += &format!("{k}: {v}\n");
            }
            out += "\n";
        }
    }
    let definition = d.definition.trim();
    if !definition.is_empty() {
        if md {
            out += &sanitize_markdown(definition);
        } else {
            out += &plain_text(definition);
        }
        out.push('\n');
    }
    out.trim_end().to_string() + "\n"
}

/// A `file://` URI for `path`, with a `#L` line fragment (one-based) as editors understand it.
pub fn file_uri(path: &Path, line: u32) -> String {
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
    s + &format!("#L{}", line + 1)
}

fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape_cell(s: &str) -> String {
    escape_inline(s).replace('\n', " ")
}

/// Keeps the definition's markdown but escapes raw HTML and drops link destinations whose
/// scheme is not `file`, `http` or `https` (a `command:` link must never reach an editor).
fn sanitize_markdown(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut last = 0;
    for (event, range) in Parser::new_ext(src, Options::all()).into_offset_iter() {
        let (start, end) = (range.start, range.end);
        if start < last {
            continue;
        }
        match event {
            Event::Html(_) | Event::InlineHtml(_) => {
                out += &src[last..start];
                out += &src[start..end].replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                last = end;
            }
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. })
                if !safe_url(&dest_url) =>
            {
                // Keep the link text, drop the destination.
                let text = &src[start..end];
                let label =
                    text.find('[').and_then(|i| text[i + 1..].find(']').map(|j| &text[i + 1..i + 1 + j])).unwrap_or("");
                out += &src[last..start];
                out += label;
                last = end;
            }
            _ => {}
        }
    }
    out += &src[last..];
    out
}

fn safe_url(url: &str) -> bool {
    match url.split_once(':') {
        Some((scheme, _)) if scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) => {
            matches!(scheme.to_ascii_lowercase().as_str(), "file" | "http" | "https")
        }
        // No scheme: a relative link or a fragment.
        _ => true,
    }
}

/// The definition as plain text: markup removed, paragraphs and list items kept on their lines.
fn plain_text(src: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(src, Options::all()) {
        match event {
            Event::Text(t) | Event::Code(t) => out += &t,
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::End(
                pulldown_cmark::TagEnd::Paragraph
                | pulldown_cmark::TagEnd::Heading(_)
                | pulldown_cmark::TagEnd::CodeBlock
                | pulldown_cmark::TagEnd::Item,
            ) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::Item) => out += "- ",
            _ => {}
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::kg::{Graph, parse_concept_file};

    fn check(files: &[(&str, &str)], format: Format, expect: Expect) {
        let files: Vec<_> = files.iter().map(|(p, t)| parse_concept_file(Path::new(p), t)).collect();
        let g = Graph::build(&files);
        expect.assert_eq(&render_concepts(&g, &[ConceptId(0)], format));
    }

    const TOKIO: &str = "# tokio\n\nAn *async* runtime. <script>alert(1)</script>\n\n[run](command:workbench.action.terminal.new) and [docs](https://tokio.rs).\n\nsynonyms:: tokio rt, tokio_rt\nrelated:: future, missing thing\ncategory:: runtime\n";

    #[test]
    fn markdown_hover_is_linked_and_safe() {
        check(
            &[("/kg/tokio.md", TOKIO), ("/kg/my future.md", "# my future\nsynonyms:: future\n")],
            Format::Markdown,
            expect![[r#"
                ### tokio

                **Synonyms:** tokio rt, tokio\_rt

                **Related:** [my future](file:///kg/my%20future.md#L1), missing thing

                | property | value |
                |---|---|
                | category | runtime |

                An *async* runtime. &lt;script&gt;alert(1)&lt;/script&gt;

                run and [docs](https://tokio.rs).
            "#]],
        );
    }

    #[test]
    fn plain_text_hover() {
        check(
            &[("/kg/tokio.md", TOKIO)],
            Format::PlainText,
            expect![[r#"
                tokio

                Synonyms: tokio rt, tokio_rt

                Related: future, missing thing

                category: runtime

                An async runtime. alert(1)
                run and docs.
            "#]],
        );
    }
}
