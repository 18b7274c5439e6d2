//! The outline of a file: a document's headings as a tree, a concept file's concept with its
//! synonyms, related concepts and properties, and a thesaurus's concepts with their terms, each
//! with its bytes.
//!
//! Headings come from [`crate::index::heading_spans`] (the reader the heading index uses) and a
//! concept file's entries from [`crate::kg::entries`] (the loader's reading of it), so the
//! outline shows what the rest of kg-ls sees. A heading's section runs to the next heading of
//! its level or above. Pure: text in, symbols with byte ranges out; it must not know protocol
//! types or read files.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::index::heading_spans;
use crate::kg::{AVOID_KEY, EntryKind, entries, parse_thesaurus, thesaurus_keys};

/// What a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Heading,
    Concept,
    Synonym,
    Related,
    Property,
}

/// One entry of an outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    /// A property's value; the level of a heading (`##`).
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// All of it: a heading's whole section, a concept's whole file.
    pub range: Range<usize>,
    /// What names it: a heading's text, a concept's `# ` heading.
    pub selection: Range<usize>,
    pub children: Vec<Symbol>,
}

/// The headings of a markdown document as a tree, by level.
pub fn document(text: &str) -> Vec<Symbol> {
    headings(text, None)
}

/// The outline of the markdown concept file at `path` (the path names the concept, as the
/// loader reads it): one concept, its entries in file order, then the headings below its own.
pub fn concept_file(path: &Path, text: &str) -> Vec<Symbol> {
    let entries = entries(text);
    let heading = entries.iter().find(|e| e.kind == EntryKind::Heading);
    let stem = path.file_stem().map(|s| s.to_string_lossy().trim().to_string()).unwrap_or_default();
    // Named as the loader names it: the file's stem, else its heading; never empty, which
    // clients refuse.
    let name = match heading {
        _ if !stem.is_empty() => stem,
        Some(h) => text[h.range.clone()].to_string(),
        None => "(no name)".to_string(),
    };
    let mut children: Vec<Symbol> = entries
        .iter()
        .filter_map(|e| {
            let kind = match e.kind {
                EntryKind::Heading => return None,
                EntryKind::Synonym => SymbolKind::Synonym,
                EntryKind::Related => SymbolKind::Related,
                EntryKind::Property => SymbolKind::Property,
            };
            let detail = (kind == SymbolKind::Property).then(|| text[e.value.clone()].to_string());
            Some(Symbol {
                name: text[e.name.clone()].to_string(),
                detail,
                kind,
                range: e.range.clone(),
                selection: e.name.clone(),
                children: Vec::new(),
            })
        })
        .collect();
    let own = heading.map(|h| h.range.clone());
    children.extend(headings(text, own.clone()));
    children.sort_by_key(|s| s.range.start);
    let selection = own.unwrap_or(0..0);
    vec![Symbol {
        name,
        detail: Some("concept".to_string()),
        kind: SymbolKind::Concept,
        range: 0..text.len(),
        selection,
        children,
    }]
}

/// The outline of the thesaurus at `path`: its concepts in file order, each with its terms (and
/// the terms to avoid, as properties), each at its key. Read by the loader, with the bytes of
/// the keys from [`thesaurus_keys`]; a term whose key is not found (an escape the scan reads
/// differently) is left out, and a concept none of whose keys is found sits at the file's start.
pub fn thesaurus(path: &Path, text: &str) -> Vec<Symbol> {
    let file = parse_thesaurus(path, text);
    let mut at: HashMap<Cow<'_, str>, Range<usize>> = HashMap::new();
    for (key, range) in thesaurus_keys(text) {
        at.entry(key).or_insert(range);
    }
    let symbol = |name: &str, detail: Option<String>, kind: SymbolKind| {
        let r = at.get(name)?.clone();
        Some(Symbol { name: name.to_string(), detail, kind, range: r.clone(), selection: r, children: Vec::new() })
    };
    let mut out: Vec<Symbol> = file
        .concepts
        .iter()
        .map(|c| {
            let mut children: Vec<Symbol> = c.synonyms().filter_map(|t| symbol(t, None, SymbolKind::Synonym)).collect();
            children.extend(
                c.properties()
                    .filter(|(k, _)| *k == AVOID_KEY)
                    .filter_map(|(_, t)| symbol(t, Some(AVOID_KEY.to_string()), SymbolKind::Property)),
            );
            children.sort_by_key(|s| s.range.start);
            let selection = at.get(c.name()).or(children.first().map(|s| &s.range)).cloned().unwrap_or(0..0);
            let start = children.iter().map(|s| s.range.start).chain([selection.start]).min().unwrap_or(0);
            let end = children.iter().map(|s| s.range.end).chain([selection.end]).max().unwrap_or(0);
            Symbol {
                name: c.name().to_string(),
                detail: Some("concept".to_string()),
                kind: SymbolKind::Concept,
                range: start..end,
                selection,
                children,
            }
        })
        .collect();
    out.sort_by_key(|s| s.selection.start);
    out
}

/// The headings of `text` as a tree, leaving out the one whose text is at `skip` (a concept's
/// own heading, which the concept stands for).
fn headings(text: &str, skip: Option<Range<usize>>) -> Vec<Symbol> {
    let spans: Vec<_> = heading_spans(text)
        .into_iter()
        .filter(|h| skip.as_ref().is_none_or(|s| !(h.range.start <= s.start && s.end <= h.range.end)))
        .collect();
    // Each heading's section ends where the next heading of its level or above starts.
    let ends: Vec<usize> = (0..spans.len())
        .map(|i| spans[i + 1..].iter().find(|h| h.level <= spans[i].level).map_or(text.len(), |h| h.range.start))
        .collect();
    // A stack of open headings (level, symbol): each closes into its parent.
    let mut roots = Vec::new();
    let mut open: Vec<(u8, Symbol)> = Vec::new();
    let close = |open: &mut Vec<(u8, Symbol)>, roots: &mut Vec<Symbol>| {
        let (_, s) = open.pop().expect("an open heading");
        match open.last_mut() {
            Some((_, parent)) => parent.children.push(s),
            None => roots.push(s),
        }
    };
    for (h, end) in spans.into_iter().zip(ends) {
        while open.last().is_some_and(|(level, _)| *level >= h.level) {
            close(&mut open, &mut roots);
        }
        let symbol = Symbol {
            name: h.text,
            detail: Some("#".repeat(h.level as usize)),
            kind: SymbolKind::Heading,
            // Never shorter than the heading's own text (which may end in white space).
            range: h.range.start..trim_end(text, h.range.start, end).max(h.text_range.end),
            selection: h.text_range,
            children: Vec::new(),
        };
        open.push((h.level, symbol));
    }
    while !open.is_empty() {
        close(&mut open, &mut roots);
    }
    roots
}

/// `end` moved back over trailing white space, not before `start`.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// The outline as an indented tree: kind, name, detail, the text of its selection, and the
    /// first and last lines of its range.
    fn check(path: &str, text: &str, expect: Expect) {
        let symbols = match path {
            _ if path.ends_with(".json") => thesaurus(Path::new(path), text),
            _ if path.starts_with("kg/") => concept_file(Path::new(path), text),
            _ => document(text),
        };
        let mut out = String::new();
        fn walk(text: &str, s: &[Symbol], depth: usize, out: &mut String) {
            for s in s {
                let line = |at: usize| text[..at].matches('\n').count();
                out.push_str(&format!(
                    "{}{:?} {:?}{} sel={:?} lines={}..={}\n",
                    "  ".repeat(depth),
                    s.kind,
                    s.name,
                    s.detail.as_ref().map_or(String::new(), |d| format!(" ({d})")),
                    &text[s.selection.clone()],
                    line(s.range.start),
                    line(s.range.end),
                ));
                walk(text, &s.children, depth + 1, out);
            }
        }
        walk(text, &symbols, 0, &mut out);
        expect.assert_eq(&out);
    }

    #[test]
    fn document_headings_nest_by_level() {
        check(
            "doc.md",
            "# Guide\n\nIntro.\n\n## Install `cargo`\n\ntext\n\n#### Deep\n\n## Use *it*\n\nSetext\n------\n\n```\n# not a heading\n```\n# Second\n",
            expect![[r#"
                Heading "Guide" (#) sel="Guide" lines=0..=17
                  Heading "Install cargo" (##) sel="Install `cargo`" lines=4..=8
                    Heading "Deep" (####) sel="Deep" lines=8..=8
                  Heading "Use it" (##) sel="Use *it*" lines=10..=10
                  Heading "Setext" (##) sel="Setext" lines=12..=17
                Heading "Second" (#) sel="Second" lines=18..=18
            "#]],
        );
    }

    #[test]
    fn concept_file_entries_and_sub_headings() {
        check(
            "kg/lsp.md",
            "# Language Server Protocol\n\nA protocol.\n\nsynonyms:: LSP, language server\n- related:: json-rpc\ncategory:: protocol\n\n## Details\n\n```\nsynonyms:: not a synonym\n```\nstatus::  draft \n",
            expect![[r#"
                Concept "lsp" (concept) sel="Language Server Protocol" lines=0..=14
                  Synonym "LSP" sel="LSP" lines=4..=4
                  Synonym "language server" sel="language server" lines=4..=4
                  Related "json-rpc" sel="json-rpc" lines=5..=5
                  Property "category" (protocol) sel="category" lines=6..=6
                  Heading "Details" (##) sel="Details" lines=8..=13
                  Property "status" (draft) sel="status" lines=13..=13
            "#]],
        );
    }

    #[test]
    fn thesaurus_concepts_with_their_terms_at_their_keys() {
        check(
            "kg/t.json",
            r#"{"name": "t", "data": {
  "k8s": {"id": 1, "nterm": "kubernetes"},
  "kubernetes": {"id": 1, "nterm": "kubernetes"},
  "slave pool": {"id": 2, "nterm": "worker pool", "avoid": true},
  "worker pool": {"id": 2, "nterm": "worker pool"},
  "other": {"id": 3, "nterm": "Elsewhere"}
}}"#,
            expect![[r#"
                Concept "kubernetes" (concept) sel="kubernetes" lines=1..=2
                  Synonym "k8s" sel="k8s" lines=1..=1
                Concept "worker pool" (concept) sel="worker pool" lines=3..=4
                  Property "slave pool" (avoid) sel="slave pool" lines=3..=3
                Concept "Elsewhere" (concept) sel="other" lines=5..=5
                  Synonym "other" sel="other" lines=5..=5
            "#]],
        );
    }

    fn all_within(text: &str, symbols: &[Symbol]) -> Result<(), String> {
        for s in symbols {
            let ok = s.range.start <= s.selection.start
                && s.selection.end <= s.range.end
                && s.range.end <= text.len()
                && text.is_char_boundary(s.range.start)
                && text.is_char_boundary(s.range.end)
                && text.is_char_boundary(s.selection.start)
                && text.is_char_boundary(s.selection.end)
                && !s.name.is_empty();
            if !ok {
                return Err(format!("{s:?}"));
            }
            all_within(text, &s.children)?;
        }
        Ok(())
    }

    proptest::proptest! {
        /// Any text: every symbol has a name and its selection lies in its range, on character
        /// boundaries (clients refuse an outline that breaks either rule).
        #[test]
        fn any_text_gives_symbols_clients_take(
            text in r"(?s)([ \t\n#=\-`~:,a-zé]|synonyms::|related::|key::|```|# |## |\r\n){0,60}",
        ) {
            all_within(&text, &document(&text)).map_err(proptest::test_runner::TestCaseError::fail)?;
            all_within(&text, &concept_file(Path::new("kg/x.md"), &text)).map_err(proptest::test_runner::TestCaseError::fail)?;
            all_within(&text, &concept_file(Path::new("kg/.md"), &text)).map_err(proptest::test_runner::TestCaseError::fail)?;
        }
    }

    #[test]
    fn concept_file_without_heading_or_name() {
        check(
            "kg/bare.md",
            "synonyms:: b\n",
            expect![[r#"
                Concept "bare" (concept) sel="" lines=0..=1
                  Synonym "b" sel="b" lines=0..=0
            "#]],
        );
    }
}
