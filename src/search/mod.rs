//! Workspace search: services that find hits for a query, a coordinator that runs them
//! concurrently under a deadline with cooperative cancellation, an aggregator that
//! deduplicates and ranks, and a warmer that predicts the next queries.
//!
//! Every service implements [`SearchService`]: it reads an immutable snapshot, reports hits in
//! batches through its [`Control`], and checks the control's [`Cancel`] flag and deadline
//! often (every [`CHECK_EVERY`] items at most), so that a cancelled search stops at once. The
//! [`Coordinator`] runs the services on scoped threads, which are always joined before it
//! returns: no work outlives a search. Nothing here knows protocol types or an async runtime;
//! the LSP layer maps its cancellation token onto [`Cancel`].
//!
//! Services: [`ConceptService`] (concept names and synonyms), [`HeadingService`] (markdown
//! headings), [`TextService`] (documents and definitions, from the full-text index, ranked
//! after the other two; `text.rs` also keeps that index in step with the files and runs
//! knowledge-base searches). [`SearchIndex`] holds
//! the per-generation dictionaries of the first two, built from the index parts (graph, term
//! map, headings) it is handed, never from a whole analysis snapshot. [`Engine`] is what a
//! server keeps between searches: the result cache and the dictionaries of the last generation.

mod aggregate;
mod cancel;
mod coordinator;
mod dict;
mod engine;
mod services;
pub mod text;
pub mod warmer;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use aggregate::{Aggregator, rank};
pub use cancel::{CHECK_EVERY, Cancel, Cancelled, Control, Probe, Stop};
pub use coordinator::{Coordinator, Outcome, Slot};
pub use dict::Dictionary;
pub use engine::{Computed, Corpus, Engine, EngineConfig};
pub use services::{ConceptService, HeadingService};
pub use text::{
    Applied, DocFilter, KbAnswer, KbItem, KbQuery, Plan, SearchError, TextCorpus, TextService, apply, is_binary,
    knowledge_search, plan, plan_paths, wanted,
};

use crate::index::{HeadingIndex, TermIndex};
use crate::kg::Graph;
use crate::text::fold;

// How well a hit matches the query, smaller is better: the one class type, shared with completion.
pub use crate::index::Quality;

/// What a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HitKind {
    Concept,
    Heading,
    /// A document's line that matches, from the full-text index.
    Line,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// The matched term, heading, or line of text.
    pub name: String,
    pub kind: HitKind,
    /// The concept's canonical name when a synonym matched, else the file name.
    pub container: Option<String>,
    pub path: PathBuf,
    /// Zero-based line.
    pub line: u32,
    pub quality: Quality,
    /// Length in bytes of the matched key: a shorter key is a closer match.
    pub key_len: u32,
}

/// The longest query searched, in bytes: a longer one is cut (at a character boundary) before
/// any work. No name or heading is this long, and the cost of a search grows with the query.
pub const MAX_QUERY_BYTES: usize = 1024;

/// A query as services see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// As the user typed it, trimmed, and cut to [`MAX_QUERY_BYTES`].
    pub text: String,
    /// Folded (lowercase, single spaces), for the dictionaries.
    pub folded: String,
    /// The most hits wanted.
    pub limit: usize,
    /// Whether the text was cut to [`MAX_QUERY_BYTES`].
    pub cut: bool,
}

impl Query {
    pub fn new(text: &str, limit: usize) -> Query {
        let trimmed = text.trim();
        let text = crate::kg::cut_at_char(trimmed, MAX_QUERY_BYTES).trim_end();
        // Folding can lengthen a text (a few characters have longer lowercase forms).
        let folded = fold(text);
        let folded = crate::kg::cut_at_char(&folded, MAX_QUERY_BYTES).trim_end().to_string();
        Query { text: text.to_string(), folded, limit: limit.max(1), cut: text.len() < trimmed.len() }
    }
}

/// A search service: finds hits for a query in some snapshot.
pub trait SearchService: Send + Sync {
    fn name(&self) -> &'static str;

    /// Whether a search that this service did not finish in time is still a final answer (and
    /// is cached as one): true for a service whose hits are a bonus within its budget, such as
    /// full text; false (the default) when missing its hits would leave the answer short.
    fn best_effort(&self) -> bool {
        false
    }

    /// Reports hits through `ctl` in one or more batches. Returns early with the reason when
    /// `ctl` says to stop.
    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop>;
}

/// The dictionaries of one generation of the graph and headings, built once and shared.
#[derive(Clone)]
pub struct SearchIndex {
    pub concepts: Arc<ConceptService>,
    pub headings: Arc<HeadingService>,
}

impl SearchIndex {
    /// The dictionaries of `terms` (the term map of `graph`) and of `headings`.
    pub fn new(graph: Arc<Graph>, terms: Arc<TermIndex>, headings: Arc<HeadingIndex>) -> SearchIndex {
        SearchIndex {
            concepts: Arc::new(ConceptService::new(graph, terms)),
            headings: Arc::new(HeadingService::new(headings)),
        }
    }

    /// Concept and heading hits, computed on this thread without a deadline: for the query
    /// command and tests, where no other services take part. Building the index is the
    /// expensive part: build it once and ask it many questions.
    pub fn search_now(&self, query: &Query) -> Vec<Hit> {
        let cancel = Cancel::new();
        let mut agg = Aggregator::new(query.limit);
        for service in [self.concepts.clone() as Arc<dyn SearchService>, self.headings.clone()] {
            let mut batches = Vec::new();
            let mut emit = |hits| batches.push(hits);
            let mut ctl = Control::new(&cancel, None, &mut emit);
            let _ = service.search(query, &mut ctl);
            for b in batches {
                agg.add(b);
            }
        }
        agg.finish()
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    /// The cost of a search grows with the query, and building its automaton cannot be
    /// cancelled: a query is cut to [`MAX_QUERY_BYTES`] before any work, at a character boundary.
    #[test]
    fn long_queries_are_cut_before_any_work() {
        let mut out = String::new();
        for (name, text) in [
            ("x × 10,000", "x".repeat(10_000)),
            ("\"tokio \" × 5,000", "tokio ".repeat(5_000)),
            ("\"é\" × 3,000", "é".repeat(3_000)),
            ("a padded short one", format!("  tokio rt{}", " ".repeat(5_000))),
        ] {
            let q = Query::new(&text, 10);
            assert!(q.text.len() <= MAX_QUERY_BYTES && q.folded.len() <= MAX_QUERY_BYTES);
            let end: String = q.text.chars().rev().take(6).collect::<Vec<_>>().into_iter().rev().collect();
            out += &format!("{name}: {} bytes, cut: {}, ends {end:?}\n", q.text.len(), q.cut);
        }
        expect![[r#"
            x × 10,000: 1024 bytes, cut: true, ends "xxxxxx"
            "tokio " × 5,000: 1024 bytes, cut: true, ends "o toki"
            "é" × 3,000: 1024 bytes, cut: true, ends "éééééé"
            a padded short one: 8 bytes, cut: false, ends "kio rt"
        "#]]
        .assert_eq(&out);
    }
}
