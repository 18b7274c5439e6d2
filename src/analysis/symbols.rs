//! Workspace symbols: concepts (by name and synonyms) and document headings matching a query
//! by prefix or by subsequence (`tkrt` finds "tokio runtime"), best first.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use super::Analysis;
use crate::text::fold;

/// The most keys one dictionary contributes before ranking.
const SCAN_CAP: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SymbolKind {
    Concept,
    Heading,
}

/// A search hit with its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The matched term or heading text.
    pub name: Arc<str>,
    pub kind: SymbolKind,
    /// The concept's canonical name when a synonym matched, or the heading's file name.
    pub container: Option<String>,
    pub path: Arc<Path>,
    pub line: u32,
}

/// How well a key matches a query; smaller is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Quality {
    Exact,
    Prefix,
    /// The query starts a later word of the key.
    WordPrefix,
    /// The query's characters appear in order; the number is how spread out they are.
    Subsequence(usize),
}

fn quality(key: &str, query: &str) -> Quality {
    if key == query {
        Quality::Exact
    } else if key.starts_with(query) {
        Quality::Prefix
    } else if key.match_indices(' ').any(|(i, _)| key[i + 1..].starts_with(query)) {
        Quality::WordPrefix
    } else {
        // Greedy leftmost embedding: its span measures how compact the match is.
        let mut q = query.chars().peekable();
        let (mut first, mut last) = (None, 0);
        for (i, c) in key.char_indices() {
            if q.peek() == Some(&c) {
                q.next();
                first.get_or_insert(i);
                last = i;
            }
        }
        Quality::Subsequence(last - first.unwrap_or(0))
    }
}

pub(super) fn symbols(a: &Analysis, query: &str, limit: usize) -> Vec<Symbol> {
    let query = fold(query);
    let mut ranked: Vec<((Quality, SymbolKind, usize, String), Symbol)> = Vec::new();

    let mut count = 0;
    a.terms.map.subsequence(&query, |key, group| {
        count += 1;
        let q = quality(key, &query);
        for r in group {
            let c = a.graph.concept(r.concept);
            let container = (*r.term != *c.name()).then(|| c.name().to_string());
            let sym = Symbol {
                name: r.term.clone(),
                kind: SymbolKind::Concept,
                container,
                path: c.path.clone(),
                line: c.data.line,
            };
            ranked.push(((q, SymbolKind::Concept, key.len(), key.to_string()), sym));
        }
        if count >= SCAN_CAP { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    count = 0;
    a.headings.map.subsequence(&query, |key, group| {
        count += 1;
        let q = quality(key, &query);
        for h in group {
            let container = h.path.file_name().map(|n| n.to_string_lossy().into_owned());
            let sym = Symbol {
                name: h.text.clone(),
                kind: SymbolKind::Heading,
                container,
                path: h.path.clone(),
                line: h.line,
            };
            ranked.push(((q, SymbolKind::Heading, key.len(), key.to_string()), sym));
        }
        if count >= SCAN_CAP { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });

    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.path.cmp(&b.1.path)).then(a.1.line.cmp(&b.1.line)));
    // One hit per location: a concept's best term, and no heading that is a concept's own title.
    let mut seen: HashSet<(Arc<Path>, u32)> = HashSet::new();
    let mut out = Vec::new();
    for (_, sym) in ranked {
        if out.len() == limit {
            break;
        }
        if seen.insert((sym.path.clone(), sym.line)) {
            out.push(sym);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::analysis::fixture::analysis;

    const WS: &str = "
//- kg/tokio.md
# tokio
synonyms:: tokio rt
//- kg/tokio runtime.md
# tokio runtime
//- kg/rust.md
# Rust
synonyms:: Rust language
//- docs/guide.md
# Guide
## Tokio runtime tuning
### Kernel threads
## Rust
";

    fn check(query: &str, limit: usize, expect: Expect) {
        let a = analysis(WS);
        let mut out = String::new();
        for s in a.symbols(query, limit) {
            out += &format!(
                "{:?} {} [{}] {}:{}\n",
                s.kind,
                s.name,
                s.container.unwrap_or_default(),
                s.path.display(),
                s.line
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn prefix_then_subsequence_concepts_before_headings() {
        check(
            "tokio r",
            10,
            expect![[r#"
            Concept tokio rt [tokio] kg/tokio.md:0
            Concept tokio runtime [] kg/tokio runtime.md:0
            Heading Tokio runtime tuning [guide.md] docs/guide.md:1
        "#]],
        );
        check(
            "tkrt",
            10,
            expect![[r#"
            Concept tokio rt [tokio] kg/tokio.md:0
            Concept tokio runtime [] kg/tokio runtime.md:0
            Heading Tokio runtime tuning [guide.md] docs/guide.md:1
        "#]],
        );
    }

    #[test]
    fn case_insensitive_word_prefix_and_cap() {
        check(
            "RUNTIME",
            10,
            expect![[r#"
            Concept tokio runtime [] kg/tokio runtime.md:0
            Heading Tokio runtime tuning [guide.md] docs/guide.md:1
        "#]],
        );
        check(
            "rust",
            1,
            expect![[r#"
            Concept rust [] kg/rust.md:0
        "#]],
        );
        check(
            "rust",
            10,
            expect![[r#"
            Concept rust [] kg/rust.md:0
            Heading Rust [guide.md] docs/guide.md:3
        "#]],
        );
        check("zzz", 10, expect![[""]]);
    }
}
