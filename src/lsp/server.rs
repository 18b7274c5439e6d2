//! The language server: capabilities, lifecycle, loading with progress, and request handlers.
//!
//! Each handler converts protocol params to plain data, makes one call on an immutable
//! [`Analysis`] snapshot, and converts the result back. Loading runs on a blocking thread and
//! reports `$/progress`; requests wait until the first load is done, so an editor never sees an
//! empty graph by accident.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::convert;
use super::search::{self, SearchHost};
use crate::analysis::Analysis;
use crate::kg::Problem;
use crate::perf::{Monitor, MonitorConfig, ProcessSampler, default_budget};
use crate::render::Format;
use crate::text::Encoding;
use crate::workspace::{self, Document, MonitorSettings, Settings, Workspace};

/// The command a completion item carries, so that accepting it feeds the ranking.
pub const ACCEPT_COMMAND: &str = "kg-ls.completionAccepted";
/// The command that returns the performance monitor's figures as JSON.
pub const STATS_COMMAND: &str = "kg-ls.stats";

/// At most this many problems are shown as messages; the rest go to the log.
const MAX_SHOWN_PROBLEMS: usize = 5;

/// What the client told us in `initialize`.
#[derive(Clone, Debug, Default)]
struct ClientInfo {
    roots: Vec<PathBuf>,
    settings: Option<Settings>,
    settings_problem: Option<String>,
    hover_markdown: bool,
    completion_markdown: bool,
    /// The client takes `itemDefaults.editRange` on completion lists.
    completion_edit_range_default: bool,
    /// The client takes insert-or-replace edits on completion items.
    completion_insert_replace: bool,
    work_done_progress: bool,
    /// The client can register file watchers at run time.
    dynamic_watchers: bool,
}

/// State shared by the server, the text-sync wrapper and background tasks.
#[derive(Debug)]
pub struct Session {
    workspace: Mutex<Workspace>,
    encoding: OnceLock<Encoding>,
    client_info: OnceLock<ClientInfo>,
    initialized: AtomicBool,
    shutdown: AtomicBool,
    ready: watch::Sender<bool>,
    loader: Mutex<Option<JoinHandle<()>>>,
    /// A completion-only snapshot from the persisted index, served until the first load ends.
    early: Mutex<Option<Analysis>>,
    early_ready: watch::Sender<bool>,
    /// The pending background rebuild after edits to knowledge-graph files.
    rebuild: Mutex<Option<JoinHandle<()>>>,
    /// Latency, outcomes, process figures and alerts.
    pub monitor: Arc<Monitor>,
    /// Samples the process and checks alerts on an interval.
    sampler: Mutex<Option<JoinHandle<()>>>,
    /// Settings sent later through `workspace/didChangeConfiguration`.
    settings_override: Mutex<Option<Settings>>,
    search: Arc<SearchHost>,
}

/// How long edits to knowledge-graph files settle before a background rebuild starts.
const REBUILD_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(300);

impl Default for Session {
    fn default() -> Self {
        Session {
            workspace: Mutex::default(),
            encoding: OnceLock::new(),
            client_info: OnceLock::new(),
            initialized: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            ready: watch::channel(false).0,
            loader: Mutex::new(None),
            early: Mutex::new(None),
            early_ready: watch::channel(false).0,
            rebuild: Mutex::new(None),
            monitor: Arc::default(),
            sampler: Mutex::new(None),
            settings_override: Mutex::new(None),
            search: Arc::default(),
        }
    }
}

impl Session {
    pub fn workspace(&self) -> MutexGuard<'_, Workspace> {
        // A panic while holding the lock must not take the server down with it.
        self.workspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::SeqCst)
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// The client's settings: the latest `didChangeConfiguration`, else the initialization options.
    fn settings(&self) -> Option<Settings> {
        let o = self.settings_override.lock().unwrap_or_else(|e| e.into_inner()).clone();
        o.or_else(|| self.info().settings)
    }

    fn info(&self) -> ClientInfo {
        self.client_info.get().cloned().unwrap_or_default()
    }

    pub(super) fn completion_edit_range_default(&self) -> bool {
        self.client_info.get().is_some_and(|i| i.completion_edit_range_default)
    }

    pub(super) fn completion_insert_replace(&self) -> bool {
        self.client_info.get().is_some_and(|i| i.completion_insert_replace)
    }

    /// Waits for the first load, then returns a snapshot and the open document at `uri`.
    async fn snapshot(&self, uri: Option<&Uri>, with_headings: bool) -> (Analysis, Option<Document>) {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
        let mut ws = self.workspace();
        let doc = uri.and_then(|u| ws.documents.get(u.as_str()).cloned());
        (ws.analysis(with_headings), doc)
    }

    /// A snapshot for completion: as soon as the persisted index is open (or the first load
    /// ends), with edits applied through a delta rather than a rebuild.
    pub(super) async fn completion_snapshot(&self, uri: &Uri) -> (Analysis, Option<Document>) {
        let mut ready = self.ready.subscribe();
        let mut early = self.early_ready.subscribe();
        tokio::select! {
            _ = ready.wait_for(|r| *r) => {}
            _ = early.wait_for(|r| *r) => {}
        }
        let mut ws = self.workspace();
        let doc = ws.documents.get(uri.as_str()).cloned();
        if !*self.ready.borrow() {
            if let Some(a) = self.early.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                return (a, doc);
            }
        }
        (ws.completion_analysis(), doc)
    }

    /// Schedules a rebuild of the whole index in the background after edits settle; the
    /// result is installed only if no newer edit arrived meanwhile.
    pub fn schedule_rebuild(self: &Arc<Self>) {
        let mut slot = self.rebuild.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let session = self.clone();
        *slot = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(REBUILD_DEBOUNCE).await;
                let job = {
                    let ws = session.workspace();
                    if !ws.has_pending_changes() {
                        return;
                    }
                    ws.rebuild_job()
                };
                let Ok(rebuilt) = tokio::task::spawn_blocking(move || job.run()).await else { return };
                if session.workspace().install(rebuilt) {
                    tracing::debug!("background rebuild installed");
                    // The search dictionaries still hold the old graph: replace them too.
                    session.prepare_search().await;
                    return;
                }
            }
        }));
    }

    pub fn search(&self) -> &Arc<SearchHost> {
        &self.search
    }

    /// What a workspace search reads, after the first load. `fresh_headings` rebuilds the
    /// heading index first if open documents changed it; that build holds the workspace lock
    /// (0.15 s for 10k documents), so background work passes false.
    async fn search_snapshot(&self, fresh_headings: bool) -> search::Snapshot {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
        let mut ws = self.workspace();
        let analysis = ws.analysis(fresh_headings);
        let overlays = ws.documents.iter().filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone()))).collect();
        let (roots, config, limit) = ws.config.as_ref().map_or_else(
            || (Vec::new(), workspace::SearchConfig::default(), workspace::DEFAULT_SYMBOL_LIMIT),
            |c| (c.roots.clone(), c.search.clone(), c.symbol_limit),
        );
        search::Snapshot { analysis, generation: ws.generation(), roots, overlays, config, limit }
    }

    /// Builds the search dictionaries of the current snapshot in the background (rather than
    /// on the next `workspace/symbol`), which also lets the previous snapshot's graph go, then
    /// returns the memory the builds used to the system.
    async fn prepare_search(&self) {
        // Not the headings: rebuilding them here stalled completions for up to 0.23 s in the
        // e2e soak, right after a save (they are rebuilt on the next workspace/symbol).
        let snap = self.search_snapshot(false).await;
        let host = self.search().clone();
        let _ = tokio::task::spawn_blocking(move || {
            host.prepare(&snap);
            drop(snap);
            crate::perf::process::release_free_memory();
        })
        .await;
    }

    /// Whether a change to `path` can change search results: any file under a root.
    pub fn affects_search(&self, path: &std::path::Path) -> bool {
        let ws = self.workspace();
        ws.config.as_ref().is_some_and(|c| c.roots.iter().any(|r| path.starts_with(r))) || ws.is_kg_path(path)
    }

    /// Stops the loader, any pending rebuild, the sampler and the search warmer.
    pub fn stop(&self) {
        self.search.stop_warmer();
        self.search.flush();
        for slot in [&self.loader, &self.rebuild, &self.sampler] {
            if let Some(h) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                h.abort();
            }
        }
    }
}

pub struct Server {
    client: Client,
    session: Arc<Session>,
}

impl Server {
    pub fn new(client: Client, session: Arc<Session>) -> Server {
        Server { client, session }
    }

    async fn show_problems(&self, problems: &[Problem]) {
        for p in problems {
            tracing::warn!("{p}");
            self.client.log_message(MessageType::WARNING, p.to_string()).await;
        }
        for p in problems.iter().take(MAX_SHOWN_PROBLEMS) {
            self.client.show_message(MessageType::WARNING, format!("kg-ls: {p}")).await;
        }
        if problems.len() > MAX_SHOWN_PROBLEMS {
            let more = problems.len() - MAX_SHOWN_PROBLEMS;
            self.client
                .show_message(MessageType::WARNING, format!("kg-ls: {more} more problems; see the kg-ls output log"))
                .await;
        }
    }

    async fn document(&self, uri: &Uri, with_headings: bool) -> Option<(Analysis, Document)> {
        let (a, doc) = self.session.snapshot(Some(uri), with_headings).await;
        match doc {
            Some(d) => Some((a, d)),
            None => {
                tracing::debug!("request for a document that is not open: {}", uri.as_str());
                None
            }
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
        let encoding = if utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
        let _ = self.session.encoding.set(encoding);

        let hover_markdown = caps
            .text_document
            .as_ref()
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_some_and(|f| f.contains(&MarkupKind::Markdown));
        let completion = caps.text_document.as_ref().and_then(|t| t.completion.as_ref());
        let completion_markdown = completion
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.documentation_format.as_ref())
            .is_some_and(|f| f.contains(&MarkupKind::Markdown));
        let completion_edit_range_default = completion
            .and_then(|c| c.completion_list.as_ref())
            .and_then(|l| l.item_defaults.as_ref())
            .is_some_and(|d| d.iter().any(|p| p == "editRange"));
        let completion_insert_replace =
            completion.and_then(|c| c.completion_item.as_ref()).and_then(|i| i.insert_replace_support).unwrap_or(false);
        let work_done_progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        let dynamic_watchers = caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);

        let mut roots: Vec<PathBuf> =
            params.workspace_folders.iter().flatten().filter_map(|f| convert::path(&f.uri)).collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(convert::path));
            if roots.is_empty() {
                roots.extend(params.root_path.as_ref().map(PathBuf::from));
            }
        }
        let (settings, settings_problem) = match params.initialization_options {
            None | Some(serde_json::Value::Null) => (None, None),
            Some(v) => match parse_client_settings(v) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(format!("invalid initializationOptions: {e}"))),
            },
        };
        let _ = self.session.client_info.set(ClientInfo {
            roots,
            settings,
            settings_problem,
            hover_markdown,
            completion_markdown,
            completion_edit_range_default,
            completion_insert_replace,
            work_done_progress,
            dynamic_watchers,
        });
        self.session.initialized.store(true, Ordering::SeqCst);

        let capabilities = ServerCapabilities {
            position_encoding: Some(if utf8 { PositionEncodingKind::UTF8 } else { PositionEncodingKind::UTF16 }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            completion_provider: Some(CompletionOptions { resolve_provider: Some(true), ..Default::default() }),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![ACCEPT_COMMAND.to_string(), STATS_COMMAND.to_string()],
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "kg-ls".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.start_sampler(MonitorSettings::default());
        self.register_watchers().await;
        self.spawn_load();
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Clients send either {"kg-ls": {...}} (VS Code's configurationSection) or the object.
        let value = params.settings.get("kg-ls").cloned().unwrap_or(params.settings);
        if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
            return;
        }
        match parse_client_settings(value) {
            Ok(settings) if Some(&settings) != self.session.settings().as_ref() => {
                tracing::info!("settings changed; reloading the knowledge graph");
                *self.session.settings_override.lock().unwrap_or_else(|e| e.into_inner()) = Some(settings);
                self.spawn_load();
            }
            Ok(_) => {}
            Err(e) => self.client.show_message(MessageType::WARNING, format!("kg-ls: invalid settings: {e}")).await,
        }
    }

    async fn shutdown(&self) -> Result<()> {
        let summary = self.session.monitor.summary();
        tracing::info!("shutting down: {summary}");
        self.client.log_message(MessageType::INFO, format!("kg-ls: {summary}")).await;
        self.session.shutdown.store(true, Ordering::SeqCst);
        self.session.stop();
        Ok(())
    }

    // Text sync itself is applied in wire order by `SyncService`; these handlers only do the
    // follow-up work that may run concurrently.
    async fn did_open(&self, _: DidOpenTextDocumentParams) {}

    async fn did_change(&self, _: DidChangeTextDocumentParams) {}

    async fn did_close(&self, _: DidCloseTextDocumentParams) {}

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.reload(params.text_document.uri).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let config_changed = params
            .changes
            .iter()
            .any(|c| convert::path(&c.uri).is_some_and(|p| p.file_name().is_some_and(|n| n == workspace::CONFIG_FILE)));
        if config_changed {
            tracing::info!("{} changed; reloading", workspace::CONFIG_FILE);
            self.spawn_load();
            return;
        }
        for change in params.changes {
            self.reload(change.uri).await;
        }
    }

    // `textDocument/completion` is answered by the text-sync wrapper (see `completion.rs`):
    // tower-lsp's typed handler would go through a `serde_json::Value` of every item.

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let tdp = params.text_document_position_params;
        let Some((a, doc)) = self.document(&tdp.text_document.uri, false).await else { return Ok(None) };
        let enc = self.session.encoding();
        let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, enc);
        let Some(hit) = a.hover(&doc.text, offset) else { return Ok(None) };
        let markdown = self.session.info().hover_markdown;
        let rendered = a.render_hover_within(&hit, format_of(markdown));
        if !rendered.complete {
            // Over the budget: answer with what is ready and finish in the background, so the
            // next hover comes from the cache.
            let (a, hit) = (a.clone(), hit.clone());
            tokio::task::spawn_blocking(move || a.render_hover(&hit, format_of(markdown)));
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(markup(markdown, rendered.text)),
            range: Some(convert::range(&doc.text, &doc.line_index, hit.range, enc)),
        }))
    }

    async fn completion_resolve(&self, mut item: CompletionItem) -> Result<CompletionItem> {
        let Some((name, path)) = item
            .data
            .as_ref()
            .and_then(|d| Some((d.get("concept")?.as_str()?.to_string(), d.get("path")?.as_str().map(PathBuf::from))))
        else {
            return Ok(item);
        };
        let (a, _) = self.session.snapshot(None, false).await;
        if let Some(id) = a.concept_at(&name, path.as_deref()) {
            let markdown = self.session.info().completion_markdown;
            let value = a.render_concept(id, format_of(markdown));
            item.documentation = Some(Documentation::MarkupContent(markup(markdown, value)));
        }
        Ok(item)
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let tdp = params.text_document_position_params;
        let Some((a, doc)) = self.document(&tdp.text_document.uri, false).await else { return Ok(None) };
        let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, self.session.encoding());
        let locations: Vec<Location> =
            a.definition(&doc.text, offset).iter().filter_map(|l| convert::location(&l.path, l.line)).collect();
        Ok(match locations.len() {
            0 => None,
            1 => Some(GotoDefinitionResponse::Scalar(locations.into_iter().next().expect("one location"))),
            _ => Some(GotoDefinitionResponse::Array(locations)),
        })
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        match params.command.as_str() {
            ACCEPT_COMMAND => {
                let args: Vec<&str> = params.arguments.iter().filter_map(|a| a.as_str()).collect();
                let [term, concept] = args[..] else {
                    return Err(tower_lsp_server::jsonrpc::Error::invalid_params("expected [term, concept]"));
                };
                let feedback = self.session.workspace().feedback();
                feedback.accept(term, concept);
                Ok(None)
            }
            STATS_COMMAND => {
                let mut value = serde_json::to_value(self.session.monitor.stats()).unwrap_or_default();
                let ws = {
                    let mut ws = self.session.workspace();
                    ws.loaded().then(|| ws.stats())
                };
                if let Some(obj) = value.as_object_mut() {
                    let running = |slot: &Mutex<Option<JoinHandle<()>>>| {
                        slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|h| !h.is_finished())
                    };
                    obj.insert(
                        "background".to_string(),
                        serde_json::json!({
                            "loading": running(&self.session.loader),
                            "rebuilding": running(&self.session.rebuild),
                        }),
                    );
                }
                if let (Some(obj), Some(ws)) = (value.as_object_mut(), ws) {
                    obj.insert(
                        "workspace".to_string(),
                        serde_json::json!({
                            "kgFiles": ws.kg_files, "concepts": ws.concepts, "terms": ws.terms,
                            "documents": ws.documents, "headings": ws.headings,
                        }),
                    );
                }
                Ok(Some(value))
            }
            other => Err(tower_lsp_server::jsonrpc::Error::invalid_params(format!("unknown command {other}"))),
        }
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let snap = self.session.search_snapshot(true).await;
        search::workspace_symbol(&self.client, &self.session.search, snap, params).await
    }
}

/// The least time between two trims of the allocator by the sampler.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Server {
    /// Loads (or reloads) the configuration, the knowledge graph and the documents in the
    /// background, with progress; the previous load, if still running, is stopped.
    fn spawn_load(&self) {
        let session = self.session.clone();
        let client = self.client.clone();
        let server = Server { client: client.clone(), session: session.clone() };
        let handle = tokio::spawn(async move {
            let info = session.info();
            let first_load = !*session.ready.borrow();
            if let Some(p) = &info.settings_problem {
                client.show_message(MessageType::WARNING, format!("kg-ls: {p}")).await;
            }
            let progress = if info.work_done_progress {
                let token = NumberOrString::String("kg-ls/indexing".to_string());
                match client.create_work_done_progress(token.clone()).await {
                    Ok(()) => Some(client.progress(token, "kg-ls: indexing").with_percentage(0).begin().await),
                    Err(e) => {
                        tracing::debug!("client refused a progress token: {e}");
                        None
                    }
                }
            } else {
                None
            };
            // Serve completion from the persisted index while the sources load.
            let roots = info.roots.clone();
            let settings = session.settings();
            let persisted = tokio::task::spawn_blocking(move || workspace::open_persisted(&roots, settings.as_ref()))
                .await
                .unwrap_or_default();
            let index_file = persisted.file.clone();
            let served_early = first_load && persisted.index.is_some();
            if let Some(index) = persisted.index.filter(|_| first_load) {
                let feedback = session.workspace().feedback();
                let early = Analysis { completion: Arc::new(index.into()), feedback, ..Analysis::default() };
                *session.early.lock().unwrap_or_else(|e| e.into_inner()) = Some(early);
                session.early_ready.send_replace(true);
                tracing::info!("completion served from the persisted index while loading");
            } else if let Some(why) = persisted.refused {
                tracing::info!("persisted index not used ({why}); rebuilding");
            }
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, u32)>();
            let roots = info.roots.clone();
            let settings = session.settings();
            let loading = session.clone();
            let load = tokio::task::spawn_blocking(move || {
                let mut last = u32::MAX;
                let mut report = |phase: &str, done: usize, total: usize| {
                    let base = if phase == "documents" { 50 } else { 0 };
                    let pct = base + (done * 50 / total.max(1)) as u32;
                    if pct != last {
                        last = pct;
                        let _ = tx.send((format!("{phase} {done}/{total}"), pct));
                    }
                };
                // Without a persisted index, serve completion as soon as the graph is indexed;
                // reading the documents (which only refines the ranking) comes after.
                let feedback = loading.workspace().feedback();
                let mut serve_early = |graph: &Arc<crate::kg::Graph>| {
                    if first_load && !served_early {
                        if let Some(early) = workspace::early_analysis(graph, feedback.clone()) {
                            *loading.early.lock().unwrap_or_else(|e| e.into_inner()) = Some(early);
                            loading.early_ready.send_replace(true);
                        }
                    }
                };
                let (config, mut loaded) =
                    workspace::load_graph_and(&roots, settings.as_ref(), &mut report, &mut serve_early);
                workspace::add_documents(&config, &mut loaded, &mut report);
                (config, loaded)
            });
            while let Some((message, pct)) = rx.recv().await {
                if let Some(p) = &progress {
                    p.report_with_message(message, pct).await;
                }
            }
            let (config, loaded) = match load.await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("loading failed: {e}");
                    client
                        .show_message(MessageType::ERROR, format!("kg-ls: loading the knowledge graph failed: {e}"))
                        .await;
                    session.ready.send_replace(true);
                    return;
                }
            };
            let problems = loaded.problems.clone();
            let monitor_settings = config.monitor.clone();
            let (stats, index) = {
                let mut ws = session.workspace();
                ws.set_loaded(config, loaded);
                (ws.stats(), ws.completion_analysis().completion.main.clone())
            };
            session.ready.send_replace(true);
            server.start_sampler(monitor_settings);

            session.monitor.set_gauge("index.concepts", stats.concepts as f64);
            session.monitor.set_gauge("index.terms", stats.terms as f64);
            session.monitor.set_gauge("index.headings", stats.headings as f64);
            session.monitor.set_gauge("index.completion_fst_bytes", index.fst_bytes() as f64);
            *session.early.lock().unwrap_or_else(|e| e.into_inner()) = None;
            if let Some(file) = index_file {
                let saved = tokio::task::spawn_blocking(move || workspace::save_persisted(&index, &file)).await;
                if let Ok(Err(e)) = saved {
                    tracing::warn!("cannot save the completion index: {e}");
                }
            }
            let summary = format!(
                "{} concepts ({} terms), {} headings in {} documents",
                stats.concepts, stats.terms, stats.headings, stats.documents
            );
            tracing::info!("indexed {summary}");
            if let Some(p) = progress {
                p.finish_with_message(summary.clone()).await;
            }
            server.show_problems(&problems).await;
            if stats.concepts == 0 {
                client
                    .show_message(MessageType::WARNING, "kg-ls: the knowledge graph is empty: no concepts were loaded")
                    .await;
            }
            session.prepare_search().await;
        });
        if let Some(old) = self.session.loader.lock().unwrap_or_else(|e| e.into_inner()).replace(handle) {
            old.abort();
        }
    }

    /// Asks the client to report changes to knowledge-graph files, documents and the
    /// configuration file, when it can register watchers dynamically.
    async fn register_watchers(&self) {
        if !self.session.info().dynamic_watchers {
            return;
        }
        let options = serde_json::json!({"watchers": [
            {"globPattern": "**/*.{md,markdown,json}"},
            {"globPattern": "**/.kg-ls.toml"},
        ]});
        let registration = Registration {
            id: "kg-ls-watchers".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: Some(options),
        };
        if let Err(e) = self.client.register_capability(vec![registration]).await {
            tracing::debug!("the client refused file watchers: {e}");
        }
    }
}

impl Server {
    /// (Re)starts the sampler: process figures into the monitor's ring, and alerts as
    /// `window/logMessage` warnings, on the configured interval.
    fn start_sampler(&self, settings: MonitorSettings) {
        let monitor = self.session.monitor.clone();
        let defaults = MonitorConfig::default();
        monitor.set_config(MonitorConfig {
            memory_limit_bytes: settings.memory_limit_mb.map_or(defaults.memory_limit_bytes, |mb| mb << 20),
            ..defaults
        });
        let interval = std::time::Duration::from_millis(settings.interval_ms.unwrap_or(1000).max(10));
        let budgets = settings.budgets_ms;
        let client = self.client.clone();
        let handle = tokio::spawn(async move {
            let mut sampler = ProcessSampler::default();
            let mut ticker = tokio::time::interval(interval);
            let mut trimmed: Option<(std::time::Instant, u64)> = None;
            loop {
                ticker.tick().await;
                let sample = sampler.sample();
                // Freed memory that the allocator keeps goes back to the system once resident
                // memory has grown since the last trim (at most every TRIM_EVERY).
                if let Some(rss) = sample.rss_bytes {
                    let due = trimmed
                        .is_none_or(|(at, base)| at.elapsed() >= TRIM_EVERY && rss > base + (base / 20).max(8 << 20));
                    if due {
                        let _ = tokio::task::spawn_blocking(crate::perf::process::release_free_memory).await;
                        let after = ProcessSampler::default().sample().rss_bytes.unwrap_or(rss);
                        trimmed = Some((std::time::Instant::now(), after));
                    }
                }
                monitor.add_sample(sample);
                let budget = |m: &str| {
                    budgets.get(m).map(|&ms| std::time::Duration::from_millis(ms)).or_else(|| default_budget(m))
                };
                for alert in monitor.check_alerts(&budget) {
                    tracing::warn!("{}", alert.message);
                    client.log_message(MessageType::WARNING, format!("kg-ls: {}", alert.message)).await;
                }
            }
        });
        if let Some(old) = self.session.sampler.lock().unwrap_or_else(|e| e.into_inner()).replace(handle) {
            old.abort();
        }
    }

    /// `kg-ls/searchStats`: search counters and cache metrics per level.
    pub async fn search_stats(&self) -> Result<serde_json::Value> {
        Ok(self.session.search.stats())
    }

    /// Re-reads a file that changed on disk, unless the editor still has it open.
    async fn reload(&self, uri: Uri) {
        let Some(path) = convert::path(&uri) else { return };
        let session = self.session.clone();
        let problems = tokio::task::spawn_blocking(move || {
            let mut ws = session.workspace();
            if ws.documents.get(uri.as_str()).is_some() {
                // The open buffer wins; the disk is read again when it closes.
                ws.reload_from_disk(&path);
                return Vec::new();
            }
            ws.reload_from_disk(&path)
        })
        .await
        .unwrap_or_default();
        self.show_problems(&problems).await;
    }
}

fn format_of(markdown: bool) -> Format {
    if markdown { Format::Markdown } else { Format::PlainText }
}

fn markup(markdown: bool, value: String) -> MarkupContent {
    MarkupContent { kind: if markdown { MarkupKind::Markdown } else { MarkupKind::PlainText }, value }
}

/// Reads the settings kg-ls understands out of initialization options, ignoring other keys
/// (clients often send their own).
fn parse_client_settings(v: serde_json::Value) -> std::result::Result<Settings, String> {
    let mut v = v;
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|k, _| matches!(k.as_str(), "kg" | "completion" | "symbols" | "hover" | "monitor" | "search"));
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}
