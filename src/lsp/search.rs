//! `workspace/symbol` in the protocol layer: the cache, the coordinator, streamed partial
//! results and the idle-time warmer, all run on a worker of the main loop.
//!
//! Cancellation is the request's core [`Cancel`], which every service checks; the main loop
//! sets it on `$/cancelRequest`, and on a `didChange` of a workspace file (the answer would be
//! stale: the main loop answers -32801). Partial results go out as `$/progress` with the
//! client's `partialResultToken` through the main loop, before the final answer, which is then
//! empty. No feature logic lives here: matching and ranking are in [`crate::search`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use ls_types::*;
use parking_lot::Mutex;
use serde::Serialize;

use super::convert;
use super::handlers::{Answer, ResponseError, json};
use super::main_loop::Notifier;
use super::transport::code;
use crate::analysis::Analysis;
use crate::cache::{CacheSnapshot, TieredCache, TieredConfig, stable_hash};
use crate::search::warmer::{QueryLog, warm};
use crate::search::{
    Cancel, Cancelled, ConceptService, Coordinator, FullTextService, HeadingService, Hit, HitKind, Query, SearchIndex,
    SearchService, Slot,
};
use crate::workspace::SearchConfig;

/// Queries the warmer computes after each idle pause.
const WARM_QUERIES: usize = 16;
/// How long the server must be idle before the warmer starts.
pub const IDLE: Duration = Duration::from_millis(30);

/// What a search needs from the workspace, taken under its lock.
pub struct Snapshot {
    pub analysis: Analysis,
    pub generation: u64,
    pub roots: Vec<PathBuf>,
    pub overlays: HashMap<PathBuf, Arc<String>>,
    pub config: SearchConfig,
    pub limit: usize,
}

/// `$/progress` carrying partial results: ls_types only types work-done progress.
#[derive(Serialize)]
struct PartialParams<'a> {
    token: &'a ProgressToken,
    value: Vec<WorkspaceSymbol>,
}

/// Counters reported by `kg-ls/searchStats`.
#[derive(Debug, Default)]
struct Counters {
    searches: AtomicU64,
    cached: AtomicU64,
    cancelled: AtomicU64,
    content_modified: AtomicU64,
    warmed: AtomicU64,
    work: AtomicU64,
    /// Searches whose work has not ended yet (a cancelled one until its loops see the flag).
    running: AtomicU64,
}

/// Counts a search as running until it is dropped, however it ends.
struct Running<'a>(&'a AtomicU64);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

/// The engine of one configuration: cache and per-generation index.
struct Engine {
    config: SearchConfig,
    roots: Vec<PathBuf>,
    cache: TieredCache<Vec<Hit>>,
    /// The dictionaries, with the identity of the term and heading indexes they were built
    /// from (the `Arc`s are kept alive by the services, so an address is never reused).
    index: Mutex<Option<(usize, usize, SearchIndex)>>,
}

impl Engine {
    fn new(config: &SearchConfig, roots: &[PathBuf]) -> Engine {
        let mut seed = Vec::new();
        for r in roots {
            seed.extend_from_slice(r.to_string_lossy().as_bytes());
            seed.push(0);
        }
        let l3_dir = (config.cache_disk_bytes > 0)
            .then(|| config.cache_dir.clone().or_else(crate::cache::cache_dir))
            .flatten()
            .map(|d| d.join("search").join(format!("{:016x}", stable_hash(&seed))));
        let cache = TieredCache::new(&TieredConfig {
            l1_entries: config.cache_entries,
            l2_bytes: config.cache_memory_bytes,
            l3_dir,
            l3_bytes: config.cache_disk_bytes,
        });
        Engine { config: config.clone(), roots: roots.to_vec(), cache, index: Mutex::new(None) }
    }

    /// The dictionaries of this snapshot, rebuilt only for the part whose index changed: an
    /// edit to a document does not rebuild the concept dictionary, and typing does not
    /// rebuild either until the headings or the graph are rebuilt.
    fn index(&self, analysis: &Analysis) -> SearchIndex {
        let terms = Arc::as_ptr(&analysis.terms) as usize;
        let headings = Arc::as_ptr(&analysis.headings) as usize;
        let mut slot = self.index.lock();
        let (old_concepts, old_headings) = match &*slot {
            Some((t, h, index)) => {
                ((*t == terms).then(|| index.concepts.clone()), (*h == headings).then(|| index.headings.clone()))
            }
            None => (None, None),
        };
        let index = SearchIndex {
            concepts: old_concepts.unwrap_or_else(|| Arc::new(ConceptService::new(analysis))),
            headings: old_headings.unwrap_or_else(|| Arc::new(HeadingService::new(analysis))),
        };
        *slot = Some((terms, headings, index.clone()));
        index
    }

    fn key(&self, query: &Query) -> String {
        format!("{}\u{0}{}\u{0}{}", query.limit, u8::from(self.config.full_text), query.folded)
    }

    /// Runs every service; caches the result when it is final.
    fn compute(
        &self,
        snap: &Snapshot,
        query: &Query,
        cancel: &Cancel,
        on_batch: &mut dyn FnMut(Vec<Hit>),
    ) -> std::result::Result<(Arc<Vec<Hit>>, u64), Cancelled> {
        let index = self.index(&snap.analysis);
        let deadline = Duration::from_millis(self.config.deadline_ms);
        let mut slots = vec![
            Slot { service: index.concepts.clone() as Arc<dyn SearchService>, budget: deadline },
            Slot { service: index.headings.clone(), budget: deadline },
        ];
        if self.config.full_text {
            let service = FullTextService::new(self.roots.clone(), snap.overlays.clone());
            slots.push(Slot { service: Arc::new(service), budget: deadline });
        }
        let outcome = Coordinator::new(slots).run(query, cancel, deadline, on_batch)?;
        // Full text is best effort within its budget; any other shortfall is not final.
        let final_ = outcome.failed.is_empty() && outcome.expired.iter().all(|s| *s == "full text");
        let work = outcome.work;
        let hits = if final_ {
            self.cache.insert(&self.key(query), snap.generation, outcome.hits)
        } else {
            Arc::new(outcome.hits)
        };
        Ok((hits, work))
    }
}

/// Search state shared by every request of a session.
#[derive(Default)]
pub struct SearchHost {
    engine: Mutex<Option<Arc<Engine>>>,
    log: Arc<QueryLog>,
    /// What the warmer computes at the next idle pause, set by the last search.
    plan: Mutex<Option<WarmPlan>>,
    counters: Counters,
}

/// The likeliest next queries after a search, and what computing them needs.
struct WarmPlan {
    engine: Arc<Engine>,
    snap: Arc<Snapshot>,
    queries: Vec<String>,
}

impl std::fmt::Debug for SearchHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchHost").finish_non_exhaustive()
    }
}

impl SearchHost {
    fn engine(&self, config: &SearchConfig, roots: &[PathBuf]) -> Arc<Engine> {
        let mut e = self.engine.lock();
        match &*e {
            Some(engine) if engine.config == *config && engine.roots == roots => engine.clone(),
            _ => {
                let engine = Arc::new(Engine::new(config, roots));
                *e = Some(engine.clone());
                engine
            }
        }
    }

    /// Builds the search dictionaries of `snap` ahead of the first search (blocking).
    pub fn prepare(&self, snap: &Snapshot) {
        self.engine(&snap.config, &snap.roots).index(&snap.analysis);
    }

    /// A search was cancelled, or stopped because a document changed (-32801).
    pub fn count_stopped(&self, modified: bool) {
        let c = if modified { &self.counters.content_modified } else { &self.counters.cancelled };
        c.fetch_add(1, Relaxed);
    }

    /// Computes the likeliest next queries into the cache, unless `cancel` fires first (the
    /// next request). Returns how many were computed.
    pub fn warm(&self, cancel: &Cancel) -> usize {
        let Some(WarmPlan { engine: e, snap: s, queries }) = self.plan.lock().take() else { return 0 };
        let limit = s.limit;
        let cached = |q: &str| e.cache.contains(&e.key(&Query::new(q, limit)), s.generation);
        let mut compute = |q: &str| e.compute(&s, &Query::new(q, limit), cancel, &mut |_| {}).map(|_| ());
        let n = warm(&queries, cancel, &cached, &mut compute).unwrap_or(0);
        self.counters.warmed.fetch_add(n as u64, Relaxed);
        n
    }

    /// Whether the last search left queries to warm.
    pub fn has_warm_plan(&self) -> bool {
        self.plan.lock().is_some()
    }

    /// Waits until queued cache writes are on disk (at shutdown).
    pub fn flush(&self) {
        if let Some(e) = self.engine.lock().clone() {
            e.cache.flush();
        }
    }

    pub fn stats(&self) -> serde_json::Value {
        let c = &self.counters;
        // Before the first search engine exists every level is empty, not missing.
        let cache: CacheSnapshot = self.engine.lock().as_ref().map(|e| e.cache.metrics()).unwrap_or_default();
        serde_json::json!({
            "searches": c.searches.load(Relaxed),
            "cached": c.cached.load(Relaxed),
            "cancelled": c.cancelled.load(Relaxed),
            "contentModified": c.content_modified.load(Relaxed),
            "warmed": c.warmed.load(Relaxed),
            "work": c.work.load(Relaxed),
            "running": c.running.load(Relaxed),
            "cacheHitRate": cache.hit_rate(),
            "cache": cache,
        })
    }
}

/// Answers `workspace/symbol` from `snap`, on a worker.
pub fn workspace_symbol(
    host: &SearchHost,
    snap: Snapshot,
    params: WorkspaceSymbolParams,
    cancel: &Cancel,
    notify: &Notifier,
) -> Answer {
    host.counters.searches.fetch_add(1, Relaxed);
    host.counters.running.fetch_add(1, Relaxed);
    let _running = Running(&host.counters.running);
    let snap = Arc::new(snap);
    let engine = host.engine(&snap.config, &snap.roots);
    let query = Query::new(&params.query, snap.limit);
    host.log.record(&query.text);
    let partial = params.partial_result_params.partial_result_token;
    let progress = params.work_done_progress_params.work_done_token;
    if let Some(token) = &progress {
        let begin = WorkDoneProgressBegin {
            title: "kg-ls: searching".to_string(),
            message: Some(query.text.clone()),
            ..Default::default()
        };
        notify.progress(token, WorkDoneProgress::Begin(begin));
    }
    engine.cache.set_generation(snap.generation);

    let (hits, streamed) = match engine.cache.get(&engine.key(&query), snap.generation) {
        Some(hits) => {
            host.counters.cached.fetch_add(1, Relaxed);
            (hits, false)
        }
        None => {
            let mut on_batch = |batch: Vec<Hit>| {
                if let Some(token) = &partial {
                    notify.notification("$/progress", &PartialParams { token, value: to_symbols(&batch) });
                }
            };
            match engine.compute(&snap, &query, cancel, &mut on_batch) {
                Ok((hits, work)) => {
                    host.counters.work.fetch_add(work, Relaxed);
                    (hits, partial.is_some())
                }
                Err(Cancelled) => return Err(ResponseError::cancelled()),
            }
        }
    };
    if let Some(token) = &progress {
        let end = WorkDoneProgressEnd { message: Some(format!("{} results", hits.len())) };
        notify.progress(token, WorkDoneProgress::End(end));
    }
    plan_warmer(host, &engine, &snap, &hits);
    let mut symbols: Vec<WorkspaceSymbol> = if streamed { Vec::new() } else { to_symbols(&hits) };
    if let Some(token) = partial.as_ref().filter(|_| !streamed && !symbols.is_empty()) {
        let value = std::mem::take(&mut symbols);
        notify.notification("$/progress", &PartialParams { token, value });
    }
    json(&symbols)
}

/// Leaves the likeliest next queries for the warmer.
fn plan_warmer(host: &SearchHost, engine: &Arc<Engine>, snap: &Arc<Snapshot>, hits: &[Hit]) {
    if !engine.config.warm {
        return;
    }
    let names: Vec<&str> = hits.iter().take(32).map(|h| h.name.as_str()).collect();
    let queries = host.log.predict(WARM_QUERIES, &names);
    *host.plan.lock() = Some(WarmPlan { engine: engine.clone(), snap: snap.clone(), queries });
}

/// The answer of a search stopped because a document it reads changed.
pub fn content_modified() -> ResponseError {
    ResponseError::new(code::CONTENT_MODIFIED, "a document changed during the search")
}

fn to_symbols(hits: &[Hit]) -> Vec<WorkspaceSymbol> {
    hits.iter()
        .filter_map(|h| {
            Some(WorkspaceSymbol {
                name: h.name.clone(),
                kind: match h.kind {
                    HitKind::Concept => SymbolKind::KEY,
                    HitKind::Heading => SymbolKind::STRING,
                    HitKind::Line => SymbolKind::FIELD,
                },
                tags: None,
                container_name: h.container.clone(),
                location: OneOf::Left(convert::location(&h.path, h.line)?),
                data: None,
            })
        })
        .collect()
}
