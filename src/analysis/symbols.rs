//! Workspace symbols for callers that want an answer on this thread (the query command):
//! concepts and headings found and ranked by the search services of [`crate::search`], which
//! own matching (prefix, subsequence, typo) and ranking. The server runs the same services
//! concurrently, with full text, caching and cancellation.

use std::path::Path;
use std::sync::Arc;

use super::Analysis;
use crate::search::{HitKind, Query, SearchIndex};

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

pub(super) fn symbols(a: &Analysis, query: &str, limit: usize) -> Vec<Symbol> {
    SearchIndex::new(a)
        .search_now(&Query::new(query, limit))
        .into_iter()
        .map(|h| Symbol {
            name: Arc::from(h.name.as_str()),
            kind: if h.kind == HitKind::Concept { SymbolKind::Concept } else { SymbolKind::Heading },
            container: h.container,
            path: Arc::from(h.path.as_path()),
            line: h.line,
        })
        .collect()
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
