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
use crate::render::Format;
use crate::text::Encoding;
use crate::workspace::{self, Document, Settings, Workspace};

/// At most this many problems are shown as messages; the rest go to the log.
const MAX_SHOWN_PROBLEMS: usize = 5;

/// What the client told us in `initialize`.
#[derive(Clone, Debug, Default)]
struct ClientInfo {
    roots: Vec<PathBuf>,
    settings: Option<Settings>,
    settings_problem: Option<String>,
    hover_markdown: bool,
    work_done_progress: bool,
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
    search: Arc<SearchHost>,
}

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

    fn info(&self) -> ClientInfo {
        self.client_info.get().cloned().unwrap_or_default()
    }

    /// Waits for the first load, then returns a snapshot and the open document at `uri`.
    async fn snapshot(&self, uri: Option<&Uri>, with_headings: bool) -> (Analysis, Option<Document>) {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
        let mut ws = self.workspace();
        let doc = uri.and_then(|u| ws.documents.get(u.as_str()).cloned());
        (ws.analysis(with_headings), doc)
    }

    pub fn search(&self) -> &Arc<SearchHost> {
        &self.search
    }

    /// What a workspace search reads, after the first load.
    async fn search_snapshot(&self) -> search::Snapshot {
        let mut ready = self.ready.subscribe();
        let _ = ready.wait_for(|r| *r).await;
        let mut ws = self.workspace();
        let analysis = ws.analysis(true);
        let overlays = ws.documents.iter().filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone()))).collect();
        let (roots, config, limit) = ws.config.as_ref().map_or_else(
            || (Vec::new(), workspace::SearchConfig::default(), workspace::DEFAULT_SYMBOL_LIMIT),
            |c| (c.roots.clone(), c.search.clone(), c.symbol_limit),
        );
        search::Snapshot { analysis, generation: ws.generation(), roots, overlays, config, limit }
    }

    /// Whether a change to `path` can change search results: any file under a root.
    pub fn affects_search(&self, path: &std::path::Path) -> bool {
        let ws = self.workspace();
        ws.config.as_ref().is_some_and(|c| c.roots.iter().any(|r| path.starts_with(r))) || ws.is_kg_path(path)
    }

    /// Stops the loader, if it still runs.
    pub fn stop(&self) {
        self.search.stop_warmer();
        self.search.flush();
        if let Some(h) = self.loader.lock().unwrap_or_else(|e| e.into_inner()).take() {
            h.abort();
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
        let work_done_progress = caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);

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
            work_done_progress,
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
            completion_provider: Some(CompletionOptions::default()),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
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
        let session = self.session.clone();
        let client = self.client.clone();
        let server = Server { client: client.clone(), session: session.clone() };
        let handle = tokio::spawn(async move {
            let info = session.info();
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
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, u32)>();
            let roots = info.roots.clone();
            let settings = info.settings.clone();
            let load = tokio::task::spawn_blocking(move || {
                let mut last = u32::MAX;
                workspace::load(&roots, settings.as_ref(), &mut |phase, done, total| {
                    let base = if phase == "documents" { 50 } else { 0 };
                    let pct = base + (done * 50 / total.max(1)) as u32;
                    if pct != last {
                        last = pct;
                        let _ = tx.send((format!("{phase} {done}/{total}"), pct));
                    }
                })
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
            let stats = {
                let mut ws = session.workspace();
                ws.set_loaded(config, loaded);
                ws.stats()
            };
            session.ready.send_replace(true);
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
        });
        *self.session.loader.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    }

    async fn shutdown(&self) -> Result<()> {
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
        for change in params.changes {
            self.reload(change.uri).await;
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let tdp = params.text_document_position;
        let Some((a, doc)) = self.document(&tdp.text_document.uri, false).await else { return Ok(None) };
        let enc = self.session.encoding();
        let limit = self
            .session
            .workspace()
            .config
            .as_ref()
            .map_or(workspace::DEFAULT_COMPLETION_LIMIT, |c| c.completion_limit);
        let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, enc);
        let result = a.completions(&doc.text, offset, limit);
        let items = result
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let canonical = a.graph.concept(item.concept).name();
                let range = convert::range(&doc.text, &doc.line_index, item.replace.clone(), enc);
                CompletionItem {
                    label: item.term.to_string(),
                    label_details: (*item.term != *canonical)
                        .then(|| CompletionItemLabelDetails { detail: None, description: Some(canonical.to_string()) }),
                    kind: Some(CompletionItemKind::TEXT),
                    detail: Some(canonical.to_string()),
                    sort_text: Some(format!("{i:05}")),
                    filter_text: Some(item.term.to_string()),
                    text_edit: Some(CompletionTextEdit::Edit(TextEdit { range, new_text: item.term.to_string() })),
                    ..Default::default()
                }
            })
            .collect();
        Ok(Some(CompletionResponse::List(CompletionList { is_incomplete: result.incomplete, items })))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let tdp = params.text_document_position_params;
        let Some((a, doc)) = self.document(&tdp.text_document.uri, false).await else { return Ok(None) };
        let enc = self.session.encoding();
        let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, enc);
        let Some(hit) = a.hover(&doc.text, offset) else { return Ok(None) };
        let markdown = self.session.info().hover_markdown;
        let format = if markdown { Format::Markdown } else { Format::PlainText };
        let kind = if markdown { MarkupKind::Markdown } else { MarkupKind::PlainText };
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind, value: a.render_hover(&hit, format) }),
            range: Some(convert::range(&doc.text, &doc.line_index, hit.range, enc)),
        }))
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

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        let snap = self.session.search_snapshot().await;
        search::workspace_symbol(&self.client, &self.session.search, snap, params).await
    }
}

impl Server {
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

/// Reads the settings kg-ls understands out of initialization options, ignoring other keys
/// (clients often send their own).
fn parse_client_settings(v: serde_json::Value) -> std::result::Result<Settings, String> {
    let mut v = v;
    if let Some(obj) = v.as_object_mut() {
        obj.retain(|k, _| matches!(k.as_str(), "kg" | "completion" | "symbols" | "search"));
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}
