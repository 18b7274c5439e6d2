//! `workspace/symbol` in the protocol layer: hosts the core's search [`Engine`] (one per
//! configuration and set of roots), streams its batches as partial results, counts searches
//! for `kg-ls/searchStats` and keeps the idle-time warmer's plan; all run on a worker of the
//! main loop.
//!
//! Cancellation is the request's core [`Cancel`], which every service checks; the main loop
//! sets it on `$/cancelRequest`, and on a `didChange` of a workspace file (the answer would be
//! stale: the main loop answers -32801). Partial results go out as `$/progress` with the
//! client's `partialResultToken` through the main loop, before the final answer, which is then
//! empty. No feature logic lives here: matching, ranking, the cache and which answers are final
//! are in [`crate::search`].

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
use crate::cache::CacheSnapshot;
use crate::search::warmer::{QueryLog, warm};
use crate::search::{Cancel, Cancelled, Corpus, Engine, EngineConfig, Hit, HitKind, Query};
use crate::textindex::TextIndex;
use crate::vfs::Vfs;
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
    /// The open documents over the host's files.
    pub files: Arc<dyn Vfs>,
    pub config: SearchConfig,
    pub limit: usize,
    /// The full-text index, once one is open.
    pub text: Option<Arc<TextIndex>>,
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
    corpus: Arc<Corpus>,
    limit: usize,
    queries: Vec<String>,
}

/// The engine's part of the search settings.
fn engine_config(c: &SearchConfig) -> EngineConfig {
    EngineConfig {
        deadline: Duration::from_millis(c.deadline_ms),
        full_text: c.full_text,
        cache_entries: c.cache_entries,
        cache_memory_bytes: c.cache_memory_bytes,
        cache_disk_bytes: c.cache_disk_bytes,
        cache_dir: c.cache_dir.clone(),
    }
}

/// What the engine reads of a snapshot.
fn corpus(snap: &Snapshot) -> Corpus {
    let a = &snap.analysis;
    Corpus {
        graph: a.graph.clone(),
        terms: a.terms.clone(),
        headings: a.headings.clone(),
        files: snap.files.clone(),
        text: snap.text.clone(),
        // An answer with full text is stale once the index has changed.
        generation: match &snap.text {
            Some(t) => crate::cache::hash_of(&(snap.generation, t.version())),
            None => snap.generation,
        },
    }
}

impl std::fmt::Debug for SearchHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchHost").finish_non_exhaustive()
    }
}

impl SearchHost {
    fn engine(&self, config: &SearchConfig, roots: &[PathBuf]) -> Arc<Engine> {
        let config = engine_config(config);
        let mut e = self.engine.lock();
        match &*e {
            Some(engine) if engine.serves(&config, roots) => engine.clone(),
            _ => {
                let engine = Arc::new(Engine::new(config, roots.to_vec(), Arc::new(crate::vfs::RealFs)));
                *e = Some(engine.clone());
                engine
            }
        }
    }

    /// Builds the search dictionaries of `snap` ahead of the first search (blocking).
    pub fn prepare(&self, snap: &Snapshot) {
        self.engine(&snap.config, &snap.roots).index(&corpus(snap));
    }

    /// A search was cancelled, or stopped because a document changed (-32801).
    pub fn count_stopped(&self, modified: bool) {
        let c = if modified { &self.counters.content_modified } else { &self.counters.cancelled };
        c.fetch_add(1, Relaxed);
    }

    /// Computes the likeliest next queries into the cache, unless `cancel` fires first (the
    /// next request). Returns how many were computed.
    pub fn warm(&self, cancel: &Cancel) -> usize {
        let Some(WarmPlan { engine: e, corpus: c, limit, queries }) = self.plan.lock().take() else { return 0 };
        let cached = |q: &str| e.is_cached(&Query::new(q, limit), c.generation);
        let mut compute = |q: &str| e.compute(&c, &Query::new(q, limit), cancel, &mut |_| {}).map(|_| ());
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
            e.flush();
        }
    }

    pub fn stats(&self) -> serde_json::Value {
        let c = &self.counters;
        // Before the first search engine exists every level is empty, not missing.
        let cache: CacheSnapshot = self.engine.lock().as_ref().map(|e| e.metrics()).unwrap_or_default();
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
    let engine = host.engine(&snap.config, &snap.roots);
    let (limit, warm_next) = (snap.limit, snap.config.warm);
    let query = Query::new(&params.query, limit);
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
    let corpus = Arc::new(corpus(&snap));
    drop(snap);
    let mut on_batch = |batch: Vec<Hit>| {
        if let Some(token) = &partial {
            notify.notification("$/progress", &PartialParams { token, value: to_symbols(&batch) });
        }
    };
    let (hits, streamed) = match engine.search(&corpus, &query, cancel, &mut on_batch) {
        Ok(answer) if answer.cached => {
            host.counters.cached.fetch_add(1, Relaxed);
            (answer.hits, false)
        }
        Ok(answer) => {
            host.counters.work.fetch_add(answer.work, Relaxed);
            (answer.hits, partial.is_some())
        }
        Err(Cancelled) => return Err(ResponseError::cancelled()),
    };
    if let Some(token) = &progress {
        let end = WorkDoneProgressEnd { message: Some(format!("{} results", hits.len())) };
        notify.progress(token, WorkDoneProgress::End(end));
    }
    if warm_next {
        plan_warmer(host, &engine, corpus, limit, &hits);
    }
    let mut symbols: Vec<WorkspaceSymbol> = if streamed { Vec::new() } else { to_symbols(&hits) };
    if let Some(token) = partial.as_ref().filter(|_| !streamed && !symbols.is_empty()) {
        let value = std::mem::take(&mut symbols);
        notify.notification("$/progress", &PartialParams { token, value });
    }
    json(&symbols)
}

/// Leaves the likeliest next queries for the warmer.
fn plan_warmer(host: &SearchHost, engine: &Arc<Engine>, corpus: Arc<Corpus>, limit: usize, hits: &[Hit]) {
    let names: Vec<&str> = hits.iter().take(32).map(|h| h.name.as_str()).collect();
    let queries = host.log.predict(WARM_QUERIES, &names);
    *host.plan.lock() = Some(WarmPlan { engine: engine.clone(), corpus, limit, queries });
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

/// The most items one `kg-ls/search` answer holds.
pub const MAX_KB_LIMIT: usize = 200;
/// Items when the request names no limit.
pub const DEFAULT_KB_LIMIT: usize = 20;
/// The furthest page a `kg-ls/search` may ask for.
const MAX_KB_OFFSET: usize = 10_000;

/// The params of `kg-ls/search` (see the README).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KbParams {
    pub query: String,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub concept: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub partial_result_token: Option<ProgressToken>,
    #[serde(default)]
    pub work_done_token: Option<ProgressToken>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KbItemJson {
    uri: Uri,
    kind: &'static str,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    concept: Option<String>,
    score: f32,
    snippets: Vec<SnippetJson>,
    matches: Vec<Range>,
}

#[derive(Serialize)]
struct SnippetJson {
    text: String,
    range: Range,
    /// UTF-16 code units into `text`, as JavaScript strings count.
    highlights: Vec<[usize; 2]>,
}

#[derive(Serialize)]
struct ExpandedJson {
    concept: String,
    term: String,
    terms: Vec<String>,
}

#[derive(Serialize)]
struct KbResultJson {
    items: Vec<KbItemJson>,
    expanded: Vec<ExpandedJson>,
    total: usize,
}

#[derive(Serialize)]
struct KbPartial<'a> {
    token: &'a ProgressToken,
    value: KbPartialValue,
}

#[derive(Serialize)]
struct KbPartialValue {
    items: Vec<KbItemJson>,
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn kb_item(item: &crate::search::KbItem, enc: crate::text::Encoding) -> Option<KbItemJson> {
    use crate::textindex::DocKind;
    let index = crate::text::LineIndex::new(&item.text);
    let range = |r: std::ops::Range<usize>| convert::range(&item.text, &index, r, enc);
    let snippets = item
        .snippets
        .iter()
        .map(|s| SnippetJson {
            text: s.text.clone(),
            range: range(s.start..s.start + s.text.len()),
            highlights: s
                .highlights
                .iter()
                .map(|h| [utf16_len(&s.text[..h.start]), utf16_len(&s.text[..h.end])])
                .collect(),
        })
        .collect();
    let concept = item.kind == DocKind::Concept;
    Some(KbItemJson {
        uri: convert::uri(&item.path)?,
        kind: if concept { "concept" } else { "document" },
        title: item.title.clone(),
        concept: concept.then(|| item.title.clone()),
        score: item.score,
        snippets,
        matches: item.matches.iter().map(|m| range(m.clone())).collect(),
    })
}

/// Answers `kg-ls/search` from `snap`, on a worker: ranked documents with snippets and the
/// ranges of their matches, streamed as partial results when the client asks for them.
pub fn knowledge_search(
    snap: &super::handlers::Snapshot,
    params: KbParams,
    cancel: &Cancel,
    notify: &Notifier,
) -> Answer {
    let Some(s) = &snap.search else {
        return Err(ResponseError::new(code::INTERNAL_ERROR, "a search without its snapshot"));
    };
    if !s.config.full_text {
        return Err(ResponseError::new(
            code::REQUEST_FAILED,
            "full-text search is off: set search.full_text = true to use kg-ls/search",
        ));
    }
    let enc = snap.client.encoding;
    let limit = params.limit.map_or(DEFAULT_KB_LIMIT, |l| (l as usize).clamp(1, MAX_KB_LIMIT));
    let offset = params.offset.map_or(0, |o| (o as usize).min(MAX_KB_OFFSET));
    let text = crate::kg::cut_at_char(&params.query, crate::search::MAX_QUERY_BYTES).to_string();
    let Some(index) = s.text.clone() else {
        // The index is opened right after the first load; until then nothing is indexed.
        return json(&KbResultJson { items: Vec::new(), expanded: Vec::new(), total: 0 });
    };
    let corpus = crate::search::TextCorpus {
        index,
        files: s.files.clone(),
        graph: s.analysis.graph.clone(),
        terms: s.analysis.terms.clone(),
        roots: s.roots.clone(),
    };
    let query = crate::search::KbQuery { text, limit, offset, concept: params.concept, path: params.path };
    let partial = params.partial_result_token;
    if let Some(token) = &params.work_done_token {
        let begin = WorkDoneProgressBegin {
            title: "kg-ls: searching the knowledge base".into(),
            message: Some(query.text.clone()),
            ..Default::default()
        };
        notify.progress(token, WorkDoneProgress::Begin(begin));
    }
    let mut emit = |items: &[crate::search::KbItem]| {
        if let Some(token) = &partial {
            let items = items.iter().filter_map(|i| kb_item(i, enc)).collect();
            notify.notification("$/progress", &KbPartial { token, value: KbPartialValue { items } });
        }
    };
    let answer = match crate::search::knowledge_search(&corpus, &query, cancel, &mut emit) {
        Ok(a) => a,
        Err(crate::search::SearchError::Cancelled) => return Err(ResponseError::cancelled()),
        Err(crate::search::SearchError::Index(e)) => {
            return Err(ResponseError::new(code::REQUEST_FAILED, format!("the full-text index failed: {e}")));
        }
    };
    if let Some(token) = &params.work_done_token {
        let end =
            WorkDoneProgressEnd { message: Some(format!("{} of {} documents", answer.items.len(), answer.total)) };
        notify.progress(token, WorkDoneProgress::End(end));
    }
    if answer.unknown_concept {
        let concept = query.concept.unwrap_or_default();
        return Err(ResponseError::new(code::INVALID_PARAMS, format!("no concept is named {concept:?}")));
    }
    let items =
        if partial.is_some() { Vec::new() } else { answer.items.iter().filter_map(|i| kb_item(i, enc)).collect() };
    let expanded = answer
        .expanded
        .into_iter()
        .map(|e| ExpandedJson { concept: e.concept, term: e.term, terms: e.terms })
        .collect();
    json(&KbResultJson { items, expanded, total: answer.total })
}
