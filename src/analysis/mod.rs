//! Answers to editor questions, computed on an immutable snapshot of the graph and indexes.
//!
//! [`Analysis`] is cheap to clone (everything is behind `Arc`) and never changes: a new graph
//! means a new `Analysis`. Every question takes plain text and byte offsets and returns plain
//! data; converting positions and building protocol types is the LSP layer's job. A file is
//! read only through the [`Vfs`] the caller passes (a definition left in its concept file).

mod completion;
mod hover;
mod ranking;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use completion::{CompletionItem, Completions};
pub use hover::HoverHit;
pub use ranking::{Feedback, FeedbackMap, build_completion_index, term_weight};

use crate::check::Terminology;
use crate::index::{HeadingIndex, LayeredIndex, TermIndex};
use crate::kg::{ConceptId, Graph};
use crate::render::{Budget, Format, HOVER_BUDGET, Links, Rendered, Renderer, file_uri};
use crate::text::fold;
use crate::vfs::Vfs;

/// An immutable snapshot of everything the features read.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub graph: Arc<Graph>,
    pub terms: Arc<TermIndex>,
    pub headings: Arc<HeadingIndex>,
    /// The ranked, typo-tolerant completion engine over the same terms.
    pub completion: Arc<LayeredIndex>,
    /// Accepted completions, shared by every snapshot of a workspace.
    pub feedback: Arc<Feedback>,
    /// The renderer and its caches, shared by every snapshot of a workspace.
    pub renderer: Arc<Renderer>,
    /// Which graph `graph` is. Set by the constructors; a snapshot made from another by struct
    /// update has the same graph and keeps it.
    pub stamp: GraphStamp,
    /// The terminology checks' tables for `graph`, built on first use (most sessions of a large
    /// graph that never check a document never pay for them). Like `stamp`, a snapshot made by
    /// struct update has the same graph and shares them.
    pub terminology: Arc<std::sync::OnceLock<Terminology>>,
}

/// Which graph a snapshot holds: no two graphs built by one process share a stamp (the
/// default, empty graph has 0). A [`ConceptId`] means a concept only together with its graph's
/// stamp.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct GraphStamp(pub u64);

impl GraphStamp {
    fn next() -> GraphStamp {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        GraphStamp(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A concept of one graph: its id there, the graph's stamp, and its file, so that an answer
/// given from this graph can find it again in a later one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConceptRef {
    pub id: ConceptId,
    pub graph: GraphStamp,
    pub path: Arc<Path>,
}

/// Where a concept is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: Arc<Path>,
    pub line: u32,
}

impl Analysis {
    /// Builds the term indexes for `graph` with no frequency data and no feedback; headings are
    /// indexed separately.
    pub fn new(graph: Arc<Graph>, headings: Arc<HeadingIndex>) -> Analysis {
        Analysis::with_ranking(graph, headings, &Default::default(), Arc::default())
    }

    /// Builds the term indexes for `graph`, weighting completion by `occurrences` (folded term →
    /// count in the workspace's documents) and `feedback`.
    pub fn with_ranking(
        graph: Arc<Graph>,
        headings: Arc<HeadingIndex>,
        occurrences: &std::collections::HashMap<String, u64>,
        feedback: Arc<Feedback>,
    ) -> Analysis {
        let terms = Arc::new(TermIndex::build(&graph));
        Analysis::from_parts(graph, terms, headings, occurrences, feedback)
    }

    /// Like [`Analysis::with_ranking`], reusing a term index already built for `graph`.
    pub fn from_parts(
        graph: Arc<Graph>,
        terms: Arc<TermIndex>,
        headings: Arc<HeadingIndex>,
        occurrences: &std::collections::HashMap<String, u64>,
        feedback: Arc<Feedback>,
    ) -> Analysis {
        let completion = Arc::new(LayeredIndex::from(build_completion_index(&graph, occurrences)));
        Analysis {
            graph,
            terms,
            headings,
            completion,
            feedback,
            renderer: Arc::default(),
            stamp: GraphStamp::next(),
            terminology: Arc::default(),
        }
    }

    /// What the terminology checks look terms up in, for this graph.
    pub fn terminology(&self) -> &Terminology {
        self.terminology.get_or_init(|| Terminology::build(&self.graph))
    }

    /// Records that the user accepted a completion, so it ranks higher from now on.
    pub fn accept_completion(&self, term: &str, concept: &str) {
        self.feedback.accept(term, concept);
    }

    /// The same snapshot rendering through `renderer` (so caches outlive the snapshot).
    pub fn with_renderer(mut self, renderer: Arc<Renderer>) -> Analysis {
        self.renderer = renderer;
        self
    }

    /// Completions for the word or phrase that ends at `offset` in `text`.
    pub fn completions(&self, text: &str, offset: usize, limit: usize) -> Completions {
        completion::completions(self, text, offset, limit)
    }

    /// The longest term covering `offset`, and its concepts.
    pub fn hover(&self, text: &str, offset: usize) -> Option<HoverHit> {
        hover::hover_hit(self, text, offset)
    }

    /// The hover text for the concepts of a hit, rendered whole. Definitions left in their
    /// files are read from `files` (the host's files, open buffers over the disk).
    pub fn render_hover(&self, hit: &HoverHit, format: Format, files: &dyn Vfs) -> String {
        self.render_concepts(&hit.concepts, format, files, Budget::unlimited()).text
    }

    /// The hover text within the hover budget: what is ready when it runs out (rendering again
    /// later finishes it, and the caches keep what was done).
    pub fn render_hover_within(&self, hit: &HoverHit, format: Format, files: &dyn Vfs) -> Rendered {
        self.render_concepts(&hit.concepts, format, files, Budget::within(HOVER_BUDGET))
    }

    fn render_concepts(&self, ids: &[ConceptId], format: Format, files: &dyn Vfs, budget: Budget) -> Rendered {
        self.renderer.render_concepts(&self.graph, ids, format, self, files, budget)
    }

    /// The concept named `name` (canonical name) defined in `path`, if this snapshot has it.
    pub fn concept_at(&self, name: &str, path: Option<&Path>) -> Option<ConceptId> {
        self.terms.map.get(&fold(name)).iter().map(|t| t.concept).find(|&id| {
            self.graph.concept(id).name() == name && path.is_none_or(|p| &**self.graph.concept(id).path() == p)
        })
    }

    /// The concept named `name` (canonical name) that an earlier answer referred to: by its id
    /// when that answer came from this graph (`at` has this graph's stamp), else found again by
    /// name and file, or by name alone without a file (the graph was rebuilt since, and ids
    /// may have moved).
    pub fn concept_again(
        &self,
        name: &str,
        path: Option<&Path>,
        at: Option<(GraphStamp, ConceptId)>,
    ) -> Option<ConceptId> {
        match at {
            Some((stamp, id)) if stamp == self.stamp && (id.0 as usize) < self.graph.len() => {
                Some(id).filter(|&id| self.graph.concept(id).name() == name)
            }
            _ => self.concept_at(name, path),
        }
    }

    /// Where the concepts of the term under `offset` are defined.
    pub fn definition(&self, text: &str, offset: usize) -> Vec<Location> {
        let Some(hit) = self.hover(text, offset) else { return Vec::new() };
        hit.concepts
            .iter()
            .map(|&id| {
                let c = self.graph.concept(id);
                Location { path: c.path().clone(), line: c.line() }
            })
            .collect()
    }

    /// The rendered documentation of one concept (for completion items).
    pub fn render_concept(&self, id: ConceptId, format: Format, files: &dyn Vfs) -> String {
        self.render_concepts(&[id], format, files, Budget::within(HOVER_BUDGET)).text
    }
}

/// `[[wiki links]]` in definitions link to the file of the concept they name.
impl Links for Analysis {
    fn concept_uri(&self, name: &str) -> Option<String> {
        let t = self.terms.map.get(&fold(name)).first()?;
        let c = self.graph.concept(t.concept);
        Some(file_uri(c.path(), c.line()))
    }
}

/// Test fixtures: a small graph written as `path: concept-file text` blocks.
#[cfg(test)]
pub(crate) mod fixture {
    use std::path::Path;
    use std::sync::Arc;

    use super::Analysis;
    use crate::index::{DocHeadings, HeadingIndex, extract_headings};
    use crate::kg::{Graph, KgFile, kind_of, parse};

    /// Parses `//- path` sections: `.md`/`.json` under `kg/` are concept sources, other `.md`
    /// files are workspace documents whose headings are indexed.
    pub fn analysis(fixture: &str) -> Analysis {
        let mut files: Vec<KgFile> = Vec::new();
        let mut docs = Vec::new();
        for section in fixture.split("//- ").filter(|s| !s.trim().is_empty()) {
            let (path, text) = section.split_once('\n').unwrap_or((section, ""));
            let path = Path::new(path.trim());
            if path.starts_with("kg") {
                files.push(parse(path, kind_of(path).unwrap(), text));
            } else {
                docs.push(DocHeadings { path: path.to_path_buf(), headings: extract_headings(text) });
            }
        }
        Analysis::new(Arc::new(Graph::from_files(&files)), Arc::new(HeadingIndex::build(&docs)))
    }

    /// Splits `text` at the `$0` marker into the text without it and the marker's offset.
    pub fn cursor(text: &str) -> (String, usize) {
        let offset = text.find("$0").expect("fixture has a $0 cursor");
        (text.replacen("$0", "", 1), offset)
    }
}
