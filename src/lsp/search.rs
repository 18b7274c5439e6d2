//! `workspace/symbol` in the protocol layer: the cache, the coordinator run on a blocking
//! thread, cancellation, streaming partial results, and the idle-time warmer.
//!
//! Cancellation: each request owns a `tokio_util` [`CancellationToken`] whose drop guard lives
//! in the handler's future, so when tower-lsp drops the future for `$/cancelRequest` (and
//! answers -32800) the token fires and a small watcher sets the core [`Cancel`] flag that every
//! service checks; the blocking search then joins all its threads. A `didChange` of a workspace
//! file marks running searches as modified and cancels them: they answer -32801. Partial
//! results go out as `$/progress` with the client's `partialResultToken`, and the final answer
//! is then empty. No feature logic lives here: matching and ranking are in [`crate::search`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::notification::Notification;
use tower_lsp_server::ls_types::*;

use super::convert;
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
const IDLE: Duration = Duration::from_millis(30);

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
enum PartialResults {}

#[derive(Serialize, Deserialize)]
struct PartialParams {
    token: ProgressToken,
    value: Vec<WorkspaceSymbol>,
}

impl Notification for PartialResults {
    type Params = PartialParams;
    const METHOD: &'static str = "$/progress";
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
}

struct Running {
    cancel: Cancel,
    modified: Arc<AtomicBool>,
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
    running: DashMap<u64, Running>,
    next: AtomicU64,
    log: Arc<QueryLog>,
    warmer: Mutex<Option<(Cancel, tokio::task::JoinHandle<()>)>>,
    counters: Counters,
}

impl std::fmt::Debug for SearchHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchHost").field("running", &self.running.len()).finish()
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

    /// A workspace file changed: running searches depend on it, so they stop with -32801.
    pub fn content_modified(&self) {
        for r in self.running.iter() {
            r.modified.store(true, Relaxed);
            r.cancel.cancel();
        }
        self.stop_warmer();
    }

    /// Stops the warmer and waits for nothing: its blocking work checks the flag.
    pub fn stop_warmer(&self) {
        if let Some((cancel, _)) = self.warmer.lock().take() {
            cancel.cancel();
        }
    }

    /// Waits until queued cache writes are on disk (at shutdown).
    pub fn flush(&self) {
        if let Some(e) = self.engine.lock().clone() {
            e.cache.flush();
        }
    }

    pub fn stats(&self) -> serde_json::Value {
        let c = &self.counters;
        let cache: Option<CacheSnapshot> = self.engine.lock().as_ref().map(|e| e.cache.metrics());
        serde_json::json!({
            "searches": c.searches.load(Relaxed),
            "cached": c.cached.load(Relaxed),
            "cancelled": c.cancelled.load(Relaxed),
            "contentModified": c.content_modified.load(Relaxed),
            "warmed": c.warmed.load(Relaxed),
            "work": c.work.load(Relaxed),
            "running": self.running.len(),
            "cacheHitRate": cache.map(|m| m.hit_rate()),
            "cache": cache,
        })
    }
}

/// Handles `workspace/symbol`.
pub async fn workspace_symbol(
    client: &Client,
    host: &Arc<SearchHost>,
    snap: Snapshot,
    params: WorkspaceSymbolParams,
) -> Result<Option<WorkspaceSymbolResponse>> {
    host.stop_warmer();
    host.counters.searches.fetch_add(1, Relaxed);
    let snap = Arc::new(snap);
    let engine = host.engine(&snap.config, &snap.roots);
    let query = Query::new(&params.query, snap.limit);
    host.log.record(&query.text);
    let partial = params.partial_result_params.partial_result_token;
    let progress = match params.work_done_progress_params.work_done_token {
        Some(token) => Some(client.progress(token, "kg-ls: searching").with_message(query.text.clone()).begin().await),
        None => None,
    };
    engine.cache.set_generation(snap.generation);

    let (hits, streamed) = match engine.cache.get(&engine.key(&query), snap.generation) {
        Some(hits) => {
            host.counters.cached.fetch_add(1, Relaxed);
            (hits, false)
        }
        None => run(client, host, &engine, &snap, &query, partial.as_ref()).await?,
    };
    let notified = progress.is_some() || partial.is_some();
    if let Some(p) = progress {
        p.finish_with_message(format!("{} results", hits.len())).await;
    }
    schedule_warmer(host, &engine, &snap, &hits);
    let mut symbols: Vec<WorkspaceSymbol> = if streamed { Vec::new() } else { to_symbols(&hits) };
    if let Some(token) = partial.filter(|_| !streamed && !symbols.is_empty()) {
        let value = std::mem::take(&mut symbols);
        client.send_notification::<PartialResults>(PartialParams { token, value }).await;
    }
    if notified {
        settle().await;
    }
    Ok(Some(WorkspaceSymbolResponse::Nested(symbols)))
}

/// Runs an uncached search on a blocking thread, streaming batches when `partial` is given.
async fn run(
    client: &Client,
    host: &Arc<SearchHost>,
    engine: &Arc<Engine>,
    snap: &Arc<Snapshot>,
    query: &Query,
    partial: Option<&ProgressToken>,
) -> Result<(Arc<Vec<Hit>>, bool)> {
    let cancel = Cancel::new();
    let modified = Arc::new(AtomicBool::new(false));
    let id = host.next.fetch_add(1, Relaxed);
    host.running.insert(id, Running { cancel: cancel.clone(), modified: modified.clone() });
    // Dropping this future (a `$/cancelRequest`) drops the guard, which fires the token; the
    // watcher turns that into the core flag. The guard also fires when the search ends, which
    // ends the watcher.
    let token = CancellationToken::new();
    let _guard = token.clone().drop_guard();
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            cancel.cancel();
        })
    };
    drop(watcher);
    let mut unregister = Unregister { host: host.clone(), id, finished: false };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Hit>>();
    let stream = partial.is_some();
    let job = {
        let (engine, snap, query, cancel) = (engine.clone(), snap.clone(), query.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || {
            let mut on_batch = |hits: Vec<Hit>| {
                if stream {
                    let _ = tx.send(hits);
                }
            };
            engine.compute(&snap, &query, &cancel, &mut on_batch)
        })
    };
    if let Some(token) = partial {
        while let Some(batch) = rx.recv().await {
            let value = to_symbols(&batch);
            client.send_notification::<PartialResults>(PartialParams { token: token.clone(), value }).await;
        }
    }
    let result = job.await.map_err(|e| {
        tracing::error!("search failed: {e}");
        Error::internal_error()
    })?;
    unregister.finished = result.is_ok();
    match result {
        Ok((hits, work)) => {
            host.counters.work.fetch_add(work, Relaxed);
            Ok((hits, stream))
        }
        Err(Cancelled) if modified.load(Relaxed) => {
            host.counters.content_modified.fetch_add(1, Relaxed);
            Err(Error {
                code: ErrorCode::ContentModified,
                message: "a document changed during the search".into(),
                data: None,
            })
        }
        // Counted by `Unregister`.
        Err(Cancelled) => Err(Error::request_cancelled()),
    }
}

/// Removes a search from the running set however its future ends (also when dropped).
struct Unregister {
    host: Arc<SearchHost>,
    id: u64,
    /// Whether the search ran to its end; otherwise it was cancelled.
    finished: bool,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        if let Some((_, r)) = self.host.running.remove(&self.id) {
            if !self.finished && !r.modified.load(Relaxed) {
                self.host.counters.cancelled.fetch_add(1, Relaxed);
            }
        }
    }
}

/// After an idle pause, computes the likeliest next queries into the cache, at low priority:
/// the next request cancels it.
fn schedule_warmer(host: &Arc<SearchHost>, engine: &Arc<Engine>, snap: &Arc<Snapshot>, hits: &[Hit]) {
    if !engine.config.warm {
        return;
    }
    let names: Vec<&str> = hits.iter().take(32).map(|h| h.name.as_str()).collect();
    let queries = host.log.predict(WARM_QUERIES, &names);
    let cancel = Cancel::new();
    let (h, e, s, c) = (host.clone(), engine.clone(), snap.clone(), cancel.clone());
    let task = tokio::spawn(async move {
        tokio::time::sleep(IDLE).await;
        if c.is_cancelled() {
            return;
        }
        let job = tokio::task::spawn_blocking(move || {
            let limit = s.limit;
            let cached = |q: &str| e.cache.contains(&e.key(&Query::new(q, limit)), s.generation);
            let mut compute = |q: &str| e.compute(&s, &Query::new(q, limit), &c, &mut |_| {}).map(|_| ());
            warm(&queries, &c, &cached, &mut compute)
        });
        if let Ok(Ok(n)) = job.await {
            h.counters.warmed.fetch_add(n as u64, Relaxed);
        }
    });
    if let Some((old, _)) = host.warmer.lock().replace((cancel, task)) {
        old.cancel();
    }
}

/// Gives the output task a chance to write queued partial results before the response:
/// tower-lsp-server merges notifications and responses without ordering them.
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
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
