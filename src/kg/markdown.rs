//! Parser for markdown concept files in Terraphim's format.
//!
//! One file is one concept named by the file stem; a first `# ` heading that differs from the
//! stem is an extra term; `synonyms::` lines add terms, `related::` lines name related concepts,
//! other `key:: value` lines are properties, and the rest is the definition. Parsing never
//! fails: odd lines become [`Problem`]s. It does no I/O.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::{
    ConceptData, Definitions, KgFile, MAX_LINE_BYTES, MAX_PROPERTIES, MAX_PROPERTY_BYTES, MAX_RELATED, MAX_TERM_BYTES,
    Problem, SourceKind, TermAdder, TermNote, cut_at_char, cut_message,
};
use crate::text::fold;

/// Parses the text of the concept file at `path` (the path only names the concept).
pub fn parse_concept_file(path: &Path, text: &str) -> KgFile {
    let mut problems = Vec::new();
    let stem = path.file_stem().map(|s| s.to_string_lossy().trim().to_string()).unwrap_or_default();
    let mut concept = ConceptData { name: stem, ..Default::default() };
    let mut definition: Vec<&str> = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut seen_heading = false;

    let mut terms = TermAdder::new(&concept);
    let mut related_seen: HashSet<String> = HashSet::new();
    let mut properties = 0usize;
    // Each "more than" is reported once, at the first line it drops something.
    let (mut related_full, mut properties_full) = (false, false);
    for (i, line) in text.lines().enumerate() {
        let i = i as u32;
        let trimmed = line.trim_start();
        if let Some((c, n)) = fence {
            if is_fence_close(trimmed, c, n) {
                fence = None;
            }
            definition.push(line);
            continue;
        }
        if let Some(open) = fence_open(trimmed) {
            fence = Some(open);
            definition.push(line);
            continue;
        }
        if !seen_heading && let Some(h) = atx_h1(trimmed) {
            seen_heading = true;
            concept.line = i;
            if concept.name.is_empty() {
                concept.name = cut_at_char(h, MAX_TERM_BYTES).trim_end().to_string();
                terms = TermAdder::new(&concept);
                if concept.name.len() < h.len() {
                    problems.push(problem(path, i, &cut_message("the heading", h.len(), MAX_TERM_BYTES)));
                }
            } else if let Some(m) = terms.add(&mut concept, h).and_then(|n| TermNote::message(&[n])) {
                problems.push(problem(path, i, &m));
            }
            continue;
        }
        if let Some((key, value)) = property(trimmed) {
            let k = key.to_ascii_lowercase();
            let list = matches!(k.as_str(), "synonyms" | "synonym" | "related");
            let value = if trimmed.len() > MAX_LINE_BYTES {
                problems.push(problem(path, i, &cut_message("a line", trimmed.len(), MAX_LINE_BYTES)));
                let keep = MAX_LINE_BYTES.saturating_sub(trimmed.len() - value.len());
                let cut = cut_at_char(value, keep);
                // A list loses its last, partial item; a property keeps its cut value.
                if list { cut.rfind(',').map_or(cut, |at| &cut[..at]) } else { cut }
            } else {
                value
            };
            let items = || value.split(',').map(str::trim).filter(|s| !s.is_empty());
            match k.as_str() {
                "synonyms" | "synonym" => {
                    if items().next().is_none() {
                        problems.push(problem(path, i, "`synonyms::` line lists no synonym"));
                    }
                    let notes: Vec<TermNote> = items().filter_map(|s| terms.add(&mut concept, s)).collect();
                    if let Some(m) = TermNote::message(&notes) {
                        problems.push(problem(path, i, &m));
                    }
                }
                "related" => {
                    let mut cut = Vec::new();
                    for r in items() {
                        let kept = cut_at_char(r, MAX_TERM_BYTES).trim_end();
                        if concept.related.len() == MAX_RELATED {
                            if !std::mem::replace(&mut related_full, true) {
                                let m = format!("more than {MAX_RELATED} related names; the rest are ignored");
                                problems.push(problem(path, i, &m));
                            }
                            break;
                        }
                        if related_seen.insert(fold(kept)) {
                            if kept.len() < r.len() {
                                cut.push(r.len());
                            }
                            concept.related.push(kept.to_string());
                        }
                    }
                    match cut.as_slice() {
                        [] => {}
                        [len] => problems.push(problem(path, i, &cut_message("a related name", *len, MAX_TERM_BYTES))),
                        many => {
                            let m = format!(
                                "{} related names are longer than {MAX_TERM_BYTES} bytes; each keeps only its first {MAX_TERM_BYTES} bytes",
                                many.len()
                            );
                            problems.push(problem(path, i, &m));
                        }
                    }
                }
                _ => {
                    let v = value.trim();
                    if properties == MAX_PROPERTIES {
                        if !std::mem::replace(&mut properties_full, true) {
                            let m = format!("more than {MAX_PROPERTIES} properties; the rest are ignored");
                            problems.push(problem(path, i, &m));
                        }
                    } else {
                        properties += 1;
                        let name = cut_at_char(key, MAX_TERM_BYTES);
                        if name.len() < key.len() {
                            problems.push(problem(path, i, &cut_message("a property name", key.len(), MAX_TERM_BYTES)));
                        }
                        let kept = cut_at_char(v, MAX_PROPERTY_BYTES);
                        if kept.len() < v.len() {
                            problems.push(problem(
                                path,
                                i,
                                &cut_message("a property value", v.len(), MAX_PROPERTY_BYTES),
                            ));
                        }
                        concept.properties.push(name, kept);
                    }
                }
            }
            continue;
        }
        definition.push(line);
    }
    if fence.is_some() {
        problems.push(Problem {
            path: path.to_path_buf(),
            line: None,
            message: "a code fence is never closed".to_string(),
        });
    }
    if fold(&concept.name).is_empty() {
        problems.push(Problem {
            path: path.to_path_buf(),
            line: None,
            message: "the file name gives no concept name".to_string(),
        });
    }
    concept.definition = tidy_definition(&definition);
    let concepts = if fold(&concept.name).is_empty() { Vec::new() } else { vec![concept] }.into();
    KgFile {
        path: Arc::from(path),
        kind: SourceKind::Markdown,
        concepts,
        problems: problems.into(),
        definitions: Definitions::Kept,
    }
}

/// What a line of a concept file gives its concept, as [`parse_concept_file`] reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// The first `# ` heading: the name, or an extra term.
    Heading,
    /// One item of a `synonyms::` line.
    Synonym,
    /// One item of a `related::` line.
    Related,
    /// A `key:: value` line that is neither.
    Property,
}

/// One entry of a concept file with its bytes, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// The entry's own bytes: the heading's text, the list item, or the whole `key:: value`.
    pub range: Range<usize>,
    /// What names it: the same as `range`, or a property's key.
    pub name: Range<usize>,
    /// A property's value, trimmed (empty for the others).
    pub value: Range<usize>,
}

/// The entries of a concept file with their bytes, read by the loader's rules (the same fences,
/// first heading, `key::` lines and list items, a line read to its first [`MAX_LINE_BYTES`]
/// without its last, cut item), but keeping where each one is written: the outline of a concept
/// file and its links. Names are not cut or deduplicated: each entry is shown as written.
pub fn entries(text: &str) -> Vec<Entry> {
    let at = |s: &str| {
        let start = s.as_ptr() as usize - text.as_ptr() as usize;
        start..start + s.len()
    };
    let mut out = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut seen_heading = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some((c, n)) = fence {
            if is_fence_close(trimmed, c, n) {
                fence = None;
            }
            continue;
        }
        if let Some(open) = fence_open(trimmed) {
            fence = Some(open);
            continue;
        }
        if !seen_heading && let Some(h) = atx_h1(trimmed) {
            seen_heading = true;
            out.push(Entry { kind: EntryKind::Heading, range: at(h), name: at(h), value: at(h).end..at(h).end });
            continue;
        }
        let Some((key, value)) = property(trimmed) else { continue };
        let kind = match key.to_ascii_lowercase().as_str() {
            "synonyms" | "synonym" => EntryKind::Synonym,
            "related" => EntryKind::Related,
            _ => {
                let v = at(value.trim());
                let whole = at(key).start..at(trimmed.trim_end()).end;
                out.push(Entry { kind: EntryKind::Property, range: whole, name: at(key), value: v });
                continue;
            }
        };
        let limit = at(trimmed).start + MAX_LINE_BYTES;
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let r = at(item);
            if r.end >= limit && trimmed.len() > MAX_LINE_BYTES {
                break;
            }
            out.push(Entry { kind, range: r.clone(), name: r.clone(), value: r.end..r.end });
        }
    }
    out
}

/// `text` with every `key:: value` line (a concept file's properties) turned to spaces, so
/// offsets into it are offsets into the file.
pub fn blank_properties(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start().trim_start_matches("- ");
        let is_property = body.split_once("::").is_some_and(|(key, _)| {
            !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        });
        if is_property {
            // One ASCII space per byte, so the length and every offset stay the same.
            out.extend(line.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }));
        } else {
            out.push_str(line);
        }
    }
    out
}

fn problem(path: &Path, line: u32, message: &str) -> Problem {
    Problem { path: path.to_path_buf(), line: Some(line), message: message.to_string() }
}

/// `# Title` (not `##`), with an optional closing run of `#`.
pub(crate) fn atx_h1(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let t = rest.trim().trim_end_matches('#').trim_end();
    (!t.is_empty()).then_some(t)
}

/// `key:: value`, where key is a single word, optionally behind a list bullet.
pub(crate) fn property(line: &str) -> Option<(&str, &str)> {
    let line = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).unwrap_or(line);
    let (key, value) = line.split_once("::")?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    ok.then_some((key, value))
}

pub(crate) fn fence_open(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|&c| c == '`' || c == '~')?;
    let n = line.chars().take_while(|&x| x == c).count();
    (n >= 3 && !(c == '`' && line[n..].contains('`'))).then_some((c, n))
}

pub(crate) fn is_fence_close(line: &str, c: char, n: usize) -> bool {
    let run = line.chars().take_while(|&x| x == c).count();
    run >= n && line[run * c.len_utf8()..].trim().is_empty()
}

/// Trims blank lines at both ends and folds runs of blank lines into one.
fn tidy_definition(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(path: &str, text: &str, expect: Expect) {
        let file = parse_concept_file(Path::new(path), text);
        let mut out = String::new();
        for c in file.concepts.iter().map(|c| c.to_data()) {
            out +=
                &format!("name: {}\nline: {}\nsynonyms: {:?}\nrelated: {:?}\n", c.name, c.line, c.synonyms, c.related);
            for (k, v) in &c.properties {
                out += &format!("property: {k} = {v}\n");
            }
            out += &format!("definition:\n{}", c.definition);
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn terraphim_concept_file() {
        check(
            "kg/bun install.md",
            "# bun install\n\nFast package installation with Bun.\n\nsynonyms:: pnpm install, npm install, yarn install\n",
            expect![[r#"
                name: bun install
                line: 0
                synonyms: ["pnpm install", "npm install", "yarn install"]
                related: []
                definition:
                Fast package installation with Bun.
            "#]],
        );
    }

    #[test]
    fn heading_that_differs_from_stem_is_a_term_and_sub_heading_synonyms_count() {
        check(
            "kg/lsp.md",
            "\n# Language Server Protocol\n\nA protocol.\n\n## Details\nsynonyms:: LSP , , language server\n- related:: json-rpc, JSON-RPC\ncategory:: protocol\n\n```\nsynonyms:: not a synonym\n```\n",
            expect![[r#"
                name: lsp
                line: 1
                synonyms: ["Language Server Protocol", "language server"]
                related: ["json-rpc"]
                property: category = protocol
                definition:
                A protocol.

                ## Details

                ```
                synonyms:: not a synonym
                ```
            "#]],
        );
    }

    #[test]
    fn broken_lines_are_problems_not_failures() {
        check(
            "kg/empty syn.md",
            "synonyms::\ntext with a::colon stays\n```rust\nfn main() {}\n",
            expect![[r#"
                name: empty syn
                line: 0
                synonyms: []
                related: []
                definition:
                text with a::colon stays
                ```rust
                fn main() {}
                problem: kg/empty syn.md:1: `synonyms::` line lists no synonym
                problem: kg/empty syn.md: a code fence is never closed
            "#]],
        );
    }

    /// [`entries`] reads a file as the loader does: the same heading, synonyms, related names
    /// and properties, fences and cut lines included (the loader also deduplicates).
    #[test]
    fn entries_agree_with_the_loader() {
        let long = format!("related:: a, {}, b\n", "x".repeat(MAX_LINE_BYTES));
        for text in [
            "\n# Language Server Protocol\n\nA protocol.\n\n## Details\nsynonyms:: LSP , , language server\n- related:: json-rpc, JSON-RPC\ncategory:: protocol\n\n```\nsynonyms:: not a synonym\n```\n",
            "synonyms::\ntext with a::colon stays\n```rust\nfn main() {}\nsynonyms:: inside\n",
            "# A\r\nsynonyms:: b, c\r\n# D\r\n* note::  v \r\n",
            &long,
        ] {
            let c = parse_concept_file(Path::new("kg/lsp.md"), text).concepts.iter().next().unwrap().to_data();
            let of = |kind| -> Vec<&str> {
                let mut seen = HashSet::new();
                entries(text)
                    .into_iter()
                    .filter(|e| e.kind == kind)
                    .map(|e| &text[e.name])
                    .filter(|s| seen.insert(fold(s)))
                    .collect()
            };
            let heading: Vec<&str> = of(EntryKind::Heading);
            let synonyms: Vec<&str> =
                heading.iter().chain(&of(EntryKind::Synonym)).copied().filter(|s| fold(s) != "lsp").collect();
            assert_eq!(synonyms, c.synonyms, "{text:?}");
            assert_eq!(of(EntryKind::Related), c.related, "{text:?}");
            let properties: Vec<(&str, &str)> = entries(text)
                .into_iter()
                .filter(|e| e.kind == EntryKind::Property)
                .map(|e| (&text[e.name], &text[e.value]))
                .collect();
            assert_eq!(properties, c.properties.iter().collect::<Vec<_>>(), "{text:?}");
        }
    }

    /// A concept file rewritten with a synonym line of megabytes stalled every request for
    /// seconds and made a hover of megabytes: every term, list and value is cut at load, with
    /// its line, and the cost stays linear.
    #[test]
    fn over_long_terms_lines_and_values_are_cut_and_reported() {
        let long = "é".repeat(600);
        let synonyms: Vec<String> = (0..200_000).map(|i| format!("syn{i}")).collect();
        let related: Vec<String> = (0..2_000).map(|i| format!("rel{i}")).collect();
        let text = format!(
            "# huge {long}\nsynonyms:: {long}, {long}x, short\nsynonyms:: {}\nrelated:: {}, {long}\nnote:: {}\n{}:: value\n",
            synonyms.join(", "),
            related.join(", "),
            "v".repeat(10_000),
            "k".repeat(300),
        );
        let file = parse_concept_file(Path::new("kg/huge.md"), &text);
        let c = file.concepts.iter().next().unwrap().to_data();
        let longest = |v: &[String]| v.iter().map(String::len).max().unwrap_or(0);
        let mut out = format!(
            "{} synonyms of at most {} bytes, the first {:?}\n{} related of at most {} bytes\n",
            c.synonyms.len(),
            longest(&c.synonyms),
            c.synonyms[0].chars().take(8).collect::<String>(),
            c.related.len(),
            longest(&c.related),
        );
        for (k, v) in &c.properties {
            out += &format!("property of {} bytes = {} bytes\n", k.len(), v.len());
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect![[r#"
            4095 synonyms of at most 256 bytes, the first "huge ééé"
            1024 related of at most 7 bytes
            property of 4 bytes = 4096 bytes
            property of 256 bytes = 5 bytes
            problem: kg/huge.md:1: a term of 1205 bytes is longer than 256; only its first 256 bytes are kept
            problem: kg/huge.md:2: a term of 1200 bytes is longer than 256; only its first 256 bytes are kept
            problem: kg/huge.md:3: a line of 2088899 bytes is longer than 65536; only its first 65536 bytes are kept
            problem: kg/huge.md:3: more than 4096 terms for one concept; the rest are ignored
            problem: kg/huge.md:4: more than 1024 related names; the rest are ignored
            problem: kg/huge.md:5: a property value of 10000 bytes is longer than 4096; only its first 4096 bytes are kept
            problem: kg/huge.md:6: a property name of 300 bytes is longer than 256; only its first 256 bytes are kept
        "#]]
        .assert_eq(&out);
        assert!(c.synonyms.iter().chain(&c.related).all(|t| t.len() <= MAX_TERM_BYTES));
    }
}
