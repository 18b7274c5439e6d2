//! The dictionary services: concepts (names and synonyms) and markdown headings.
//!
//! Each holds the immutable indexes it reads (shared `Arc`s, and nothing else of the snapshot
//! they came from, which a rebuild must be able to free) and a [`Dictionary`] of its keys, finds
//! the matching keys with their quality, keeps the best few, and reports them as one batch
//! ranked best first. No I/O, no protocol types.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Control, Dictionary, Hit, HitKind, Quality, Query, SearchService, Stop, rank};
use crate::index::{HeadingIndex, TermIndex};
use crate::kg::Graph;

/// Keys kept per service before expanding them to hits: enough for any cap after dedup.
pub(super) fn keep(limit: usize) -> usize {
    limit.saturating_mul(2).max(16)
}

/// The best `keep(limit)` candidates, by quality then length then text.
pub(super) fn best(found: HashMap<String, Quality>, limit: usize) -> Vec<(String, Quality)> {
    let mut v: Vec<(String, Quality)> = found.into_iter().collect();
    v.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.len().cmp(&b.0.len())).then_with(|| a.0.cmp(&b.0)));
    v.truncate(keep(limit));
    v
}

/// Concept names and synonyms.
pub struct ConceptService {
    graph: Arc<Graph>,
    terms: Arc<TermIndex>,
    dict: Dictionary,
}

impl ConceptService {
    /// The dictionary of `terms`, the term map of `graph`.
    pub fn new(graph: Arc<Graph>, terms: Arc<TermIndex>) -> ConceptService {
        let dict = Dictionary::new(&terms.map, terms.suffixes().clone());
        ConceptService { graph, terms, dict }
    }
}

impl SearchService for ConceptService {
    fn name(&self) -> &'static str {
        "concepts"
    }

    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
        let found = self.dict.candidates(&query.folded, keep(query.limit), ctl)?;
        let mut hits = Vec::new();
        for (key, quality) in best(found, query.limit) {
            if hits.len() >= 4 * keep(query.limit) {
                break;
            }
            for r in self.terms.map.get(&key) {
                ctl.step()?;
                let c = self.graph.concept(r.concept);
                let term = c.term(r.term as usize).unwrap_or_default();
                hits.push(Hit {
                    name: term.to_string(),
                    kind: HitKind::Concept,
                    container: (term != c.name()).then(|| c.name().to_string()),
                    path: c.path().to_path_buf(),
                    line: c.line(),
                    quality,
                    key_len: key.len() as u32,
                });
            }
        }
        rank(&mut hits);
        ctl.emit(hits);
        Ok(())
    }
}

/// Headings of the workspace's markdown documents.
pub struct HeadingService {
    headings: Arc<HeadingIndex>,
    dict: Dictionary,
}

impl HeadingService {
    pub fn new(headings: Arc<HeadingIndex>) -> HeadingService {
        let dict = Dictionary::new(&headings.map, headings.suffixes().clone());
        HeadingService { headings, dict }
    }
}

impl SearchService for HeadingService {
    fn name(&self) -> &'static str {
        "headings"
    }

    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
        let found = self.dict.candidates(&query.folded, keep(query.limit), ctl)?;
        let mut hits = Vec::new();
        for (key, quality) in best(found, query.limit) {
            if hits.len() >= 4 * keep(query.limit) {
                break;
            }
            // A common heading recurs in many files: diversity wants only a few of them.
            for h in self.headings.map.get(&key).iter().take(keep(query.limit)) {
                ctl.step()?;
                hits.push(Hit {
                    name: h.text.to_string(),
                    kind: HitKind::Heading,
                    container: h.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                    path: h.path.to_path_buf(),
                    line: h.line,
                    quality,
                    key_len: key.len() as u32,
                });
            }
        }
        rank(&mut hits);
        ctl.emit(hits);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::analysis::fixture::analysis;
    use crate::search::{Query, SearchIndex};

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

    fn index(ws: &str) -> SearchIndex {
        let a = analysis(ws);
        SearchIndex::new(a.graph, a.terms, a.headings)
    }

    fn check(query: &str, expect: Expect) {
        check_at_most(query, 10, expect);
    }

    /// The hits for `query`, at most `limit`: kind, quality, text, [container], where.
    fn check_at_most(query: &str, limit: usize, expect: Expect) {
        let mut out = String::new();
        for h in index(WS).search_now(&Query::new(query, limit)) {
            let container = h.container.unwrap_or_default();
            out += &format!("{:?} {:?} {} [{container}] {}:{}\n", h.kind, h.quality, h.name, h.path.display(), h.line);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn exact_prefix_subsequence_and_typos() {
        check(
            "tokio",
            expect![[r#"
                Concept Exact tokio [] kg/tokio.md:0
                Concept Prefix tokio runtime [] kg/tokio runtime.md:0
                Heading Prefix Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        check(
            "tkrt",
            expect![[r#"
                Concept Subsequence(7) tokio rt [tokio] kg/tokio.md:0
                Concept Subsequence(9) tokio runtime [] kg/tokio runtime.md:0
                Heading Subsequence(9) Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        check(
            "tokoi runtime",
            expect![[r#"
                Concept Typo(1) tokio runtime [] kg/tokio runtime.md:0
                Heading Typo(1) Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        // Later words of multi-word keys, through the suffix set.
        check(
            "runtime tu",
            expect![[r#"
                Heading WordPrefix Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        check(
            "threads",
            expect![[r#"
                Heading WordPrefix Kernel threads [guide.md] docs/guide.md:2
            "#]],
        );
        check(
            "kernek",
            expect![[r#"
                Heading Typo(1) Kernel threads [guide.md] docs/guide.md:2
            "#]],
        );
    }

    /// Concepts rank before headings of the same quality; the query is folded; the limit caps
    /// the whole answer.
    #[test]
    fn concepts_before_headings_folded_and_capped() {
        check(
            "tokio r",
            expect![[r#"
                Concept Prefix tokio rt [tokio] kg/tokio.md:0
                Concept Prefix tokio runtime [] kg/tokio runtime.md:0
                Heading Prefix Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        check(
            "RUNTIME",
            expect![[r#"
                Concept WordPrefix tokio runtime [] kg/tokio runtime.md:0
                Heading WordPrefix Tokio runtime tuning [guide.md] docs/guide.md:1
            "#]],
        );
        check_at_most(
            "rust",
            1,
            expect![[r#"
                Concept Exact rust [] kg/rust.md:0
            "#]],
        );
        check(
            "rust",
            expect![[r#"
                Concept Exact rust [] kg/rust.md:0
                Heading Exact Rust [guide.md] docs/guide.md:3
            "#]],
        );
        check("zzz", expect![[""]]);
    }

    /// A cancelled search stops within [`crate::search::CHECK_EVERY`] items of work, and walks
    /// that find nothing for a long stretch stop too (the automaton is guarded).
    #[test]
    fn a_cancelled_search_stops_within_one_check() {
        use crate::search::{CHECK_EVERY, Cancel, Control, SearchService};
        let mut ws = String::new();
        for i in 0..5_000 {
            ws += &format!("//- kg/term {i} tokio.md\n");
        }
        ws += "//- docs/guide.md\n";
        for i in 0..5_000 {
            ws += &format!("## tokio heading {i}\n");
        }
        let index = index(&ws);
        let mut out = String::new();
        for service in [index.concepts.clone() as std::sync::Arc<dyn SearchService>, index.headings.clone()] {
            // "t" matches every key; "tqqqq" none, after walking every key that starts with t.
            for query in ["t", "tqqqq", &"tokio ".repeat(5_000)] {
                let query = Query::new(query, 100);
                let run = |cancel: &Cancel| {
                    let mut emit = |_| {};
                    let mut ctl = Control::new(cancel, None, &mut emit);
                    let result = service.search(&query, &mut ctl);
                    (result, ctl.work())
                };
                let (whole, work) = run(&Cancel::new());
                let cancel = Cancel::new();
                cancel.cancel();
                let (stopped, stopped_work) = run(&cancel);
                assert!(stopped_work <= CHECK_EVERY, "{stopped_work}");
                let name = service.name();
                let q = &query.text[..query.text.len().min(8)];
                out += &format!("{name} {q:?}: {whole:?} after {work}; cancelled: {stopped:?} after {stopped_work}\n");
            }
        }
        expect![[r#"
            concepts "t": Ok(()) after 5200; cancelled: Err(Cancelled) after 145
            concepts "tqqqq": Ok(()) after 5000; cancelled: Err(Cancelled) after 256
            concepts "tokio to": Ok(()) after 5000; cancelled: Err(Cancelled) after 256
            headings "t": Ok(()) after 5200; cancelled: Err(Cancelled) after 256
            headings "tqqqq": Ok(()) after 5000; cancelled: Err(Cancelled) after 256
            headings "tokio to": Ok(()) after 5000; cancelled: Err(Cancelled) after 256
        "#]]
        .assert_eq(&out);
    }
}
