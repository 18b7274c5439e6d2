//! The search engine a server keeps between searches: the tiered result cache, the search
//! dictionaries of the last generation (rebuilt only for the index part that changed), and the
//! rule for which answers are final and so cached.
//!
//! It runs the services through the [`Coordinator`] and reads what one generation of the
//! workspace holds ([`Corpus`]): plain index parts and the open documents' texts, never a whole
//! analysis snapshot, and no protocol types or async runtime. Hosting it (which engine serves
//! which configuration, counters, streaming the batches to a client) is the caller's job.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::{Cancel, Cancelled, Coordinator, Hit, Query, SearchIndex, SearchService, Slot, TextCorpus, TextService};
use crate::cache::{CacheSnapshot, TieredCache, TieredConfig, stable_hash};
use crate::index::{HeadingIndex, TermIndex};
use crate::kg::Graph;
use crate::vfs::Vfs;

/// What an engine is configured with: one engine serves one configuration and set of roots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// The time a search may take; every service gets all of it.
    pub deadline: Duration,
    /// Whether the lines of text files under the roots are searched too.
    pub full_text: bool,
    /// Results kept in memory, uncompressed.
    pub cache_entries: usize,
    /// Bytes of compressed results kept in memory.
    pub cache_memory_bytes: usize,
    /// Bytes of results kept on disk; 0 keeps none there.
    pub cache_disk_bytes: u64,
    /// Where results are kept on disk; `None`: the user's cache directory.
    pub cache_dir: Option<PathBuf>,
}

/// What a search reads: the index parts of one generation and the open documents.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub graph: Arc<Graph>,
    /// The term map of `graph`.
    pub terms: Arc<TermIndex>,
    pub headings: Arc<HeadingIndex>,
    /// The files full text reads: the open documents over the host's files.
    pub files: Arc<dyn Vfs>,
    /// The full-text index, once there is one.
    pub text: Option<Arc<crate::textindex::TextIndex>>,
    /// The generation of the sources: cached results of another generation are stale.
    pub generation: u64,
}

/// An answer, and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    pub hits: Arc<Vec<Hit>>,
    /// Whether the answer was cached (no batches were streamed for it).
    pub cached: bool,
    /// Items of work the services did for it (0 when cached).
    pub work: u64,
}

/// The result cache and the dictionaries of one configuration.
pub struct Engine {
    config: EngineConfig,
    roots: Vec<PathBuf>,
    cache: TieredCache<Vec<Hit>>,
    index: Mutex<Option<Built>>,
}

/// Dictionaries with the identity of the parts they were built from. The `Arc`s are kept alive
/// by the services, so an address is never reused while it is compared.
struct Built {
    graph: usize,
    terms: usize,
    headings: usize,
    index: SearchIndex,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.config).field("roots", &self.roots).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for `roots`; its disk cache is a directory of its own for this set of roots,
    /// kept in `fs`.
    pub fn new(config: EngineConfig, roots: Vec<PathBuf>, fs: Arc<dyn Vfs>) -> Engine {
        let mut seed = Vec::new();
        for r in &roots {
            seed.extend_from_slice(r.to_string_lossy().as_bytes());
            seed.push(0);
        }
        let l3_dir = (config.cache_disk_bytes > 0)
            .then(|| config.cache_dir.clone().or_else(crate::cache::cache_dir))
            .flatten()
            .map(|d| d.join("search").join(format!("{:016x}", stable_hash(&seed))));
        let cache = TieredCache::new(
            &TieredConfig {
                l1_entries: config.cache_entries,
                l2_bytes: config.cache_memory_bytes,
                l3_dir,
                l3_bytes: config.cache_disk_bytes,
            },
            fs,
        );
        Engine { config, roots, cache, index: Mutex::new(None) }
    }

    /// Whether this engine is the one for `config` and `roots`.
    pub fn serves(&self, config: &EngineConfig, roots: &[PathBuf]) -> bool {
        self.config == *config && self.roots == roots
    }

    /// The dictionaries of `corpus`, rebuilt only for the part whose index changed: an edit to
    /// a document does not rebuild the concept dictionary, and typing rebuilds neither until
    /// the headings or the graph are rebuilt.
    pub fn index(&self, corpus: &Corpus) -> SearchIndex {
        let graph = Arc::as_ptr(&corpus.graph) as usize;
        let terms = Arc::as_ptr(&corpus.terms) as usize;
        let headings = Arc::as_ptr(&corpus.headings) as usize;
        let mut slot = self.index.lock();
        let (concepts, heads) = match &*slot {
            Some(b) => (
                (b.graph == graph && b.terms == terms).then(|| b.index.concepts.clone()),
                (b.headings == headings).then(|| b.index.headings.clone()),
            ),
            None => (None, None),
        };
        let index = SearchIndex {
            concepts: concepts
                .unwrap_or_else(|| Arc::new(super::ConceptService::new(corpus.graph.clone(), corpus.terms.clone()))),
            headings: heads.unwrap_or_else(|| Arc::new(super::HeadingService::new(corpus.headings.clone()))),
        };
        *slot = Some(Built { graph, terms, headings, index: index.clone() });
        index
    }

    fn key(&self, query: &Query) -> String {
        format!("{}\u{0}{}\u{0}{}", query.limit, u8::from(self.config.full_text), query.folded)
    }

    /// Whether the answer to `query` in `generation` is cached.
    pub fn is_cached(&self, query: &Query, generation: u64) -> bool {
        self.cache.contains(&self.key(query), generation)
    }

    /// The answer to `query`: from the cache when it holds one of this generation, else
    /// computed (see [`Engine::compute`]).
    pub fn search(
        &self,
        corpus: &Corpus,
        query: &Query,
        cancel: &Cancel,
        on_batch: &mut dyn FnMut(Vec<Hit>),
    ) -> Result<Computed, Cancelled> {
        self.cache.set_generation(corpus.generation);
        match self.cache.get(&self.key(query), corpus.generation) {
            Some(hits) => Ok(Computed { hits, cached: true, work: 0 }),
            None => self.compute(corpus, query, cancel, on_batch),
        }
    }

    /// Runs every service, handing each batch of new hits to `on_batch` as it arrives; caches
    /// the answer when it is [final](super::Outcome::is_final).
    pub fn compute(
        &self,
        corpus: &Corpus,
        query: &Query,
        cancel: &Cancel,
        on_batch: &mut dyn FnMut(Vec<Hit>),
    ) -> Result<Computed, Cancelled> {
        let index = self.index(corpus);
        let deadline = self.config.deadline;
        let mut slots = vec![
            Slot { service: index.concepts.clone() as Arc<dyn SearchService>, budget: deadline },
            Slot { service: index.headings.clone(), budget: deadline },
        ];
        if let Some(index) = corpus.text.as_ref().filter(|_| self.config.full_text) {
            let service = TextService::new(TextCorpus {
                index: index.clone(),
                files: corpus.files.clone(),
                graph: corpus.graph.clone(),
                terms: corpus.terms.clone(),
                roots: self.roots.clone(),
            });
            slots.push(Slot { service: Arc::new(service), budget: deadline });
        }
        let outcome = Coordinator::new(slots).run(query, cancel, deadline, on_batch)?;
        let work = outcome.work;
        let hits = if outcome.is_final() {
            self.cache.insert(&self.key(query), corpus.generation, outcome.hits)
        } else {
            Arc::new(outcome.hits)
        };
        Ok(Computed { hits, cached: false, work })
    }

    /// Waits until queued cache writes are on disk.
    pub fn flush(&self) {
        self.cache.flush();
    }

    /// The cache's figures.
    pub fn metrics(&self) -> CacheSnapshot {
        self.cache.metrics()
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::analysis::fixture::analysis;

    const WS: &str = "
//- kg/tokio.md
# tokio
//- docs/guide.md
# Tokio guide
";

    fn engine() -> Engine {
        let config = EngineConfig {
            deadline: Duration::from_secs(60),
            full_text: false,
            cache_entries: 16,
            cache_memory_bytes: 1 << 20,
            cache_disk_bytes: 0,
            cache_dir: None,
        };
        Engine::new(config, Vec::new(), Arc::new(crate::vfs::MemFs::default()))
    }

    fn corpus(ws: &str, generation: u64) -> Corpus {
        let a = analysis(ws);
        Corpus {
            graph: a.graph,
            terms: a.terms,
            headings: a.headings,
            files: Arc::new(crate::vfs::MemFs::default()),
            text: None,
            generation,
        }
    }

    /// A new heading index rebuilds only the heading dictionary, a new graph only the concept
    /// dictionary; the same parts rebuild nothing.
    #[test]
    fn the_dictionaries_are_rebuilt_only_for_the_part_that_changed() {
        let e = engine();
        let first = corpus(WS, 1);
        let mut last = e.index(&first);
        let fresh = corpus(WS, 2);
        let mut out = String::new();
        for (case, c) in [
            ("the same parts", first.clone()),
            ("new headings", Corpus { headings: fresh.headings.clone(), ..first.clone() }),
            ("a new graph and terms", Corpus { graph: fresh.graph.clone(), terms: fresh.terms.clone(), ..fresh }),
        ] {
            let index = e.index(&c);
            let concepts = Arc::ptr_eq(&index.concepts, &last.concepts);
            let headings = Arc::ptr_eq(&index.headings, &last.headings);
            out += &format!("{case}: concepts kept {concepts}, headings kept {headings}\n");
            last = index;
        }
        expect![[r#"
            the same parts: concepts kept true, headings kept true
            new headings: concepts kept true, headings kept false
            a new graph and terms: concepts kept false, headings kept true
        "#]]
        .assert_eq(&out);
    }

    /// A final answer is cached for its generation: asked again it comes from the cache
    /// without work or batches, and a new generation computes it afresh.
    #[test]
    fn a_final_answer_is_cached_for_its_generation() {
        let e = engine();
        let mut out = String::new();
        for (case, c) in [("first", corpus(WS, 1)), ("again", corpus(WS, 1)), ("next generation", corpus(WS, 2))] {
            let mut batches = 0;
            let q = Query::new("tokio", 10);
            let r = e.search(&c, &q, &Cancel::new(), &mut |_| batches += 1).unwrap();
            let names: Vec<&str> = r.hits.iter().map(|h| h.name.as_str()).collect();
            out += &format!("{case}: cached {}, {batches} batches, work {}, {names:?}\n", r.cached, r.work > 0);
        }
        expect![[r#"
            first: cached false, 2 batches, work true, ["tokio", "Tokio guide"]
            again: cached true, 0 batches, work false, ["tokio", "Tokio guide"]
            next generation: cached false, 2 batches, work true, ["tokio", "Tokio guide"]
        "#]]
        .assert_eq(&out);
    }
}
