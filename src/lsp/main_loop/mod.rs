//! The main loop: the one owner of the server's mutable state.
//!
//! It reads messages in wire order. Notifications are applied at once with `&mut` access to
//! the [`Workspace`]; no lock is shared with workers. Every request is dispatched in wire
//! order with an immutable [`Snapshot`] of the analysis and of its document taken then, and
//! runs on a worker of tokio's blocking pool, tracked in one `JoinSet`. Its answer comes
//! back here as an [`Event`] and is written by the one writer, so a partial result always
//! precedes its final response. Each request has a [`Cancel`] kept by id: `$/cancelRequest`
//! answers -32800 at once and sets it, and the work's loops see it and stop. A request for a
//! workspace search whose documents change answers -32801. A panicking handler answers
//! -32603 and leaves the state intact.
//!
//! Background work (rebuilds, search dictionaries, the warmer, saving the index) runs one job
//! at a time on a thread of its own at a lower priority, so that requests get the cores first.
//! Timers (debounced rebuilds, the sampler, the idle warmer, timeouts of the server's own
//! requests, the client-process watch) are deadlines checked by the same loop; nothing runs
//! that is not joined or cancellable.
//!
//! This file holds the state and the loop itself; its methods are split by what they handle:
//! `requests`, `notifications`, `loading`, `timers`, `client` (the server's own requests,
//! lifecycle and messages) and `background` (the low-priority thread and the sampler).
//!
//! Must not compute features: handlers make one core call each (see [`super::handlers`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ls_types::notification::Notification as _;
use ls_types::*;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;

use super::caps::{self, ACCEPT_COMMAND, ClientInfo, REBUILD_TEXT_COMMAND, STATS_COMMAND};
use super::handlers::{self, Answer, ResponseError, Snapshot};
use super::search::{self, SearchHost};
use super::transport::{self, Id, Incoming, code};
use super::{completion, convert, diagnostics, graph, links, navigation, outline, rename, tokens};
use crate::analysis::Analysis;
use crate::kg::Problem;
use crate::perf::{Monitor, MonitorConfig, Outcome, ProcessSampler, default_budget};
use crate::search::Cancel;
use crate::workspace::{self, Document, MonitorSettings, Settings, Workspace};

mod background;
mod checks;
mod client;
mod loading;
mod mentions;
mod notifications;
mod requests;
mod terms;
mod text_index;
mod timers;

use background::{Background, Sampler};
pub use mentions::MentionEvent;
use mentions::MentionState;
pub use text_index::TextEvent;
use text_index::TextState;

/// At most this many problems are shown as messages; the rest go to the log.
const MAX_SHOWN_PROBLEMS: usize = 5;
/// How long edits to knowledge-graph files settle before a background rebuild starts.
const REBUILD_DEBOUNCE: Duration = Duration::from_millis(300);
/// How long the client has to answer one of the server's requests.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the client's process is checked.
const PARENT_CHECK: Duration = Duration::from_secs(1);
/// How long the loop waits for workers once it ends; they were all cancelled.
const JOIN_AT_EXIT: Duration = Duration::from_millis(300);
/// A step of the main loop that takes longer than this is logged (at debug level).
const SLOW_STEP: Duration = Duration::from_millis(2);
/// The token of the indexing progress.
const INDEXING: &str = "kg-ls/indexing";

/// What reaches the main loop.
pub enum Event {
    Message(Incoming),
    /// Standard input ended: the client is gone.
    InputClosed,
    /// A request's worker finished.
    Done {
        id: Id,
        answer: Answer,
    },
    /// A notification a request's worker sends while it runs (partial results, progress);
    /// dropped if the request was answered already.
    Notify {
        id: Id,
        body: Vec<u8>,
    },
    Load(u64, LoadEvent),
    Rebuilt(workspace::Rebuilt),
    /// A rebuild panicked (a bug): the last full build stays.
    RebuildFailed(String),
    /// A file that changed on disk, read by a worker.
    Reread {
        path: PathBuf,
        seq: u64,
        read: workspace::DiskRead,
    },
    /// A process sample was taken; these alerts were raised.
    Alerts(Vec<String>),
    /// The full-text index was opened or updated.
    Text(TextEvent),
    /// The knowledge-graph files were checked against graph `stamp`.
    GraphReport {
        stamp: crate::analysis::GraphStamp,
        report: checks::Report,
    },
    /// The index of mentions was built or updated.
    Mentions(MentionEvent),
    /// A worker checked an open document at `version`.
    Checked {
        key: String,
        version: i32,
        params: PublishDiagnosticsParams,
    },
}

impl Event {
    /// What the event is, for the log.
    fn kind(&self) -> &'static str {
        match self {
            Event::Message(Incoming::Request { .. }) => "a request",
            Event::Message(Incoming::Notification { .. }) => "a notification",
            Event::Message(Incoming::Response { .. }) => "a response",
            Event::Message(Incoming::Invalid { .. }) => "an invalid message",
            Event::InputClosed => "the end of input",
            Event::Done { .. } => "an answer",
            Event::Notify { .. } => "a request's notification",
            Event::Load(..) => "loading",
            Event::Rebuilt(_) => "a rebuild",
            Event::RebuildFailed(_) => "a failed rebuild",
            Event::Reread { .. } => "a file read again",
            Event::Alerts(_) => "a process sample",
            Event::Text(_) => "full-text indexing",
            Event::Checked { .. } => "a document checked",
            Event::Mentions(_) => "the mentions index",
            Event::GraphReport { .. } => "the graph checked",
        }
    }
}

/// What a load reports.
pub enum LoadEvent {
    Progress(String, u32),
    /// Completion can be served from this while the rest loads.
    Early(Analysis),
    /// Workspace symbols can be answered from this graph (its generation, the configuration it
    /// was found for) while the rest loads.
    EarlySearch(Box<(Analysis, u64, Option<workspace::Config>)>),
    Done(Box<(workspace::Config, workspace::Loaded, Option<workspace::IndexFile>)>),
    Failed(String),
}

/// Sends a request's notifications through the main loop, in order with its answer.
pub struct Notifier {
    id: Id,
    tx: UnboundedSender<Event>,
}

impl Notifier {
    pub fn notification(&self, method: &str, params: &impl serde::Serialize) {
        let body = transport::outgoing(None, method, params);
        let _ = self.tx.send(Event::Notify { id: self.id.clone(), body });
    }

    pub fn progress(&self, token: &ProgressToken, value: WorkDoneProgress) {
        let params = ProgressParams { token: token.clone(), value: ProgressParamsValue::WorkDone(value) };
        self.notification(notification::Progress::METHOD, &params);
    }
}

/// Writes framed messages to the client, in the order they are sent.
#[derive(Clone)]
pub struct Out(pub UnboundedSender<Vec<u8>>);

impl Out {
    fn send(&self, body: Vec<u8>) {
        let _ = self.0.send(transport::frame(&body));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Uninitialized,
    Running,
    ShutDown,
}

/// What a request needs before it can be dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// The completion index (the persisted one while loading is fine).
    Completion,
    /// The first load.
    Graph,
    /// A graph to search: an early one while loading is fine.
    Search,
    /// The first load and the first index of mentions after it.
    Mentions,
}

type Work = Box<dyn FnOnce(Snapshot, &Cancel, &Notifier) -> Answer + Send>;

/// A request as it arrived.
struct Req {
    id: Id,
    method: String,
    start: Instant,
    params: Option<Box<RawValue>>,
}

/// A request waiting for the first load, with its document as it was when it arrived.
struct Queued {
    id: Id,
    need: Need,
    doc: Option<Document>,
    work: Work,
}

/// A request not answered yet.
struct Pending {
    method: String,
    start: Instant,
    cancel: Cancel,
    /// A workspace search: stale once a workspace document changes.
    search: bool,
    /// Reads a search snapshot (a workspace or knowledge-base search).
    snapshot: bool,
}

/// Why the server asked the client something.
#[derive(Debug)]
enum Asked {
    Progress,
    TextProgress,
    Watchers,
    DiagnosticRefresh,
    /// `workspace/semanticTokens/refresh` or `workspace/inlayHint/refresh`.
    TermsRefresh,
}

/// A progress (indexing, full-text indexing), reported once at a time.
#[derive(Debug, Default, PartialEq, Eq)]
enum Progress {
    #[default]
    Off,
    /// `window/workDoneProgress/create` is on its way; `end` once loading ended meanwhile.
    Creating {
        end: Option<String>,
    },
    Active,
}

/// The state of loading.
#[derive(Default)]
struct Load {
    generation: u64,
    running: bool,
    /// The first load ended: requests are answered from the workspace.
    ready: bool,
    /// A completion-only snapshot served until the first load ends.
    early: Option<Analysis>,
    /// A graph workspace symbols are answered from until the first load ends.
    early_search: Option<(Analysis, u64, Option<workspace::Config>)>,
    /// Whether the open buffers match `early_search` ([`workspace::buffers_match`]), as of the
    /// workspace generation it was checked at.
    early_matches: Option<(u64, bool)>,
    last_report: Option<(String, u32)>,
}

pub struct MainLoop {
    background: Background,
    out: Out,
    tx: UnboundedSender<Event>,
    phase: Phase,
    client: Arc<ClientInfo>,
    settings_override: Option<Settings>,
    ws: Workspace,
    load: Load,
    progress: Progress,
    pending: HashMap<Id, Pending>,
    queued: Vec<Queued>,
    tasks: JoinSet<()>,
    asked: HashMap<Id, (Asked, Instant)>,
    next_ask: i64,
    rebuild_due: Option<Instant>,
    rebuilding: bool,
    /// The knowledge-graph changes not yet in a full rebuild, and the generation last seen.
    fold: timers::Fold,
    fold_seen: u64,
    search: Arc<SearchHost>,
    warm_due: Option<Instant>,
    warmer: Option<Cancel>,
    /// When the warmer's budget for this idle period runs out: its [`Cancel`] is set then.
    warm_stop: Option<Instant>,
    pub monitor: Arc<Monitor>,
    sampler: Sampler,
    parent_check: Option<Instant>,
    exit: Option<i32>,
    /// Disk reads asked for, and the last one per file.
    reads: u64,
    last_read: HashMap<PathBuf, u64>,
    /// Events already taken from the channel, to handle in order (see [`MainLoop::take_ahead`]).
    inbox: std::collections::VecDeque<Event>,
    /// The full-text index and its updates.
    text: TextState,
    /// Pushed diagnostics.
    checks: checks::Checks,
    /// Where the documents mention concepts.
    mentions: MentionState,
    /// The last semantic tokens per document, which deltas are computed against.
    tokens: Arc<tokens::TokenCache>,
    /// The graph and navigation settings the client's tokens and hints were last asked for
    /// with: a change asks it to ask again.
    shown_terms: Option<(crate::analysis::GraphStamp, workspace::NavigationConfig)>,
}

impl MainLoop {
    pub fn new(out: Out, tx: UnboundedSender<Event>) -> MainLoop {
        MainLoop {
            background: Background::new(),
            out,
            tx,
            phase: Phase::Uninitialized,
            client: Arc::default(),
            settings_override: None,
            ws: Workspace::default(),
            load: Load::default(),
            progress: Progress::Off,
            pending: HashMap::new(),
            queued: Vec::new(),
            tasks: JoinSet::new(),
            asked: HashMap::new(),
            next_ask: 0,
            rebuild_due: None,
            rebuilding: false,
            fold: Default::default(),
            fold_seen: 0,
            search: Arc::default(),
            warm_due: None,
            warmer: None,
            warm_stop: None,
            monitor: Arc::default(),
            sampler: Sampler {
                state: Arc::default(),
                interval: Duration::from_secs(1),
                budgets: Default::default(),
                next: Instant::now(),
                busy: false,
            },
            parent_check: None,
            exit: None,
            reads: 0,
            last_read: HashMap::new(),
            inbox: Default::default(),
            text: TextState::default(),
            checks: Default::default(),
            mentions: Default::default(),
            tokens: Arc::default(),
            shown_terms: None,
        }
    }

    /// Runs until `exit` or the end of input; returns the process's exit code: 0 after a
    /// `shutdown` request, 1 otherwise.
    pub async fn run(mut self, mut rx: UnboundedReceiver<Event>) -> i32 {
        loop {
            let deadline = self.next_deadline();
            let event = if let Some(e) = self.inbox.pop_front() {
                Some(e)
            } else {
                tokio::select! {
                biased;
                event = rx.recv() => match event {
                    Some(e) => Some(e),
                    None => Some(Event::InputClosed),
                },
                Some(joined) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    if let Err(e) = joined {
                        tracing::error!("a background task failed: {e}");
                    }
                    None
                }
                () = tokio::time::sleep_until(deadline.into()) => None,
                }
            };
            let started = Instant::now();
            if matches!(event, Some(Event::Message(_))) {
                self.take_ahead(&mut rx);
            }
            let kind = event.as_ref().map(Event::kind);
            if let Some(event) = event {
                if matches!(event, Event::InputClosed) {
                    tracing::info!("the input ended");
                    break;
                }
                let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.handle(event)));
                if let Err(panic) = handled {
                    tracing::error!("kg-ls failed on a message: {}", panic_message(&*panic));
                }
            }
            let handled = started.elapsed();
            self.on_timers();
            let took = started.elapsed();
            if took >= SLOW_STEP {
                let timers = took - handled;
                tracing::debug!(
                    "the main loop spent {handled:?} on {} and {timers:?} on timers",
                    kind.unwrap_or("nothing")
                );
            }
            if self.exit.is_some() {
                break;
            }
        }
        self.stop().await;
        self.exit.unwrap_or(if self.phase == Phase::ShutDown { 0 } else { 1 })
    }

    /// Cancels everything and waits a little for the workers.
    async fn stop(&mut self) {
        for p in self.pending.values() {
            p.cancel.cancel();
        }
        if let Some(w) = self.warmer.take() {
            w.cancel();
        }
        self.stop_text(Instant::now() + JOIN_AT_EXIT);
        self.load.generation += 1;
        self.background.stop(Instant::now() + JOIN_AT_EXIT);
        let until = tokio::time::Instant::now() + JOIN_AT_EXIT;
        while !self.tasks.is_empty() {
            if tokio::time::timeout_at(until, self.tasks.join_next()).await.is_err() {
                tracing::debug!("{} tasks still running at exit", self.tasks.len());
                break;
            }
        }
        self.tasks.detach_all();
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Message(Incoming::Request { id, method, params }) => self.on_request(id, method, params),
            Event::Message(Incoming::Notification { method, params }) => self.on_notification(&method, params),
            Event::Message(Incoming::Response { id, result }) => self.on_response(id, result),
            Event::Message(Incoming::Invalid { id, code, message }) => {
                tracing::warn!("invalid message: {message}");
                if code != 0 {
                    self.out.send(transport::error_response(id.as_ref(), code, &message));
                }
            }
            Event::InputClosed => {}
            Event::Done { id, answer } => self.on_done(id, answer),
            Event::Notify { id, body } => {
                if self.pending.contains_key(&id) {
                    self.out.send(body);
                }
            }
            Event::Load(generation, e) => self.on_load(generation, e),
            Event::Rebuilt(rebuilt) => {
                self.rebuilding = false;
                if let Some(old) = self.ws.replace_analysis(rebuilt) {
                    tracing::debug!("background rebuild installed");
                    // Freeing a large graph takes milliseconds: not on this thread.
                    self.background.run(move || drop(old));
                    // The search dictionaries still hold the old graph: replace them too.
                    self.prepare_search();
                    self.mentions_after_graph();
                }
                // Changes made while it ran (or all of them, when a fresh load made it stale)
                // wait for the next one.
                if self.ws.has_pending_changes() && self.fold == Default::default() {
                    self.fold.changed(Instant::now());
                }
                self.schedule_fold();
            }
            Event::RebuildFailed(message) => {
                self.rebuilding = false;
                tracing::error!("kg-ls failed rebuilding the knowledge graph: {message}");
                self.show_message(
                    MessageType::ERROR,
                    format!("kg-ls: rebuilding the knowledge graph failed: {message}"),
                );
            }
            Event::Reread { path, seq, read } => {
                // Two reads of one file may end in either order: the last one asked wins.
                if self.last_read.get(&path) != Some(&seq) {
                    return;
                }
                self.last_read.remove(&path);
                let problems = self.ws.apply_disk_read(&path, read);
                if self.ws.documents.iter().all(|(_, d)| d.path.as_deref() != Some(&*path)) {
                    self.show_problems(&problems);
                }
                self.after_kg_edit();
            }
            Event::Text(e) => self.on_text(e),
            Event::Mentions(e) => self.on_mentions(e),
            Event::Checked { key, version, params } => self.on_checked(key, version, params),
            Event::GraphReport { stamp, report } => self.on_graph_report(stamp, report),
            Event::Alerts(alerts) => {
                self.sampler.busy = false;
                for alert in alerts {
                    tracing::warn!("{alert}");
                    self.log_message(MessageType::WARNING, format!("kg-ls: {alert}"));
                }
            }
        }
    }

    // ---- lifecycle

    // ---- timers
}

/// Parses params; a request without params parses from `null`.
fn parse<P: DeserializeOwned>(params: Option<&RawValue>) -> Result<P, ResponseError> {
    let text = params.map_or("null", RawValue::get);
    serde_json::from_str(text).map_err(|e| ResponseError::new(code::INVALID_PARAMS, format!("invalid params: {e}")))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_string(),
    }
}

/// Whether process `pid` still runs.
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
