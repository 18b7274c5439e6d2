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

use super::caps::{self, ACCEPT_COMMAND, ClientInfo, STATS_COMMAND};
use super::handlers::{self, Answer, ResponseError, Snapshot};
use super::search::{self, SearchHost};
use super::transport::{self, Id, Incoming, code};
use super::{completion, convert};
use crate::analysis::Analysis;
use crate::kg::Problem;
use crate::perf::{Monitor, MonitorConfig, Outcome, ProcessSampler, default_budget};
use crate::search::Cancel;
use crate::workspace::{self, Document, MonitorSettings, Settings, Workspace};

/// At most this many problems are shown as messages; the rest go to the log.
const MAX_SHOWN_PROBLEMS: usize = 5;
/// How long edits to knowledge-graph files settle before a background rebuild starts.
const REBUILD_DEBOUNCE: Duration = Duration::from_millis(300);
/// How long the client has to answer one of the server's requests.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the client's process is checked.
const PARENT_CHECK: Duration = Duration::from_secs(1);
/// The least time between two trims of the allocator by the sampler.
const TRIM_EVERY: Duration = Duration::from_secs(10);
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
        }
    }
}

/// What a load reports.
pub enum LoadEvent {
    Progress(String, u32),
    /// Completion can be served from this while the rest loads.
    Early(Analysis),
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
}

/// Why the server asked the client something.
#[derive(Debug)]
enum Asked {
    Progress,
    Watchers,
}

/// The indexing progress, reported once at a time.
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
    last_report: Option<(String, u32)>,
}

/// Background work (rebuilds, search dictionaries, the warmer, saving the index): one job at
/// a time, on a thread of its own at a lower priority, so requests get the cores first.
struct Background {
    tx: Option<std::sync::mpsc::Sender<handlers::Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    fn new() -> Background {
        let (tx, rx) = std::sync::mpsc::channel::<handlers::Job>();
        let thread = std::thread::Builder::new()
            .name("kg-ls background".into())
            .spawn(move || {
                lower_priority();
                while let Ok(job) = rx.recv() {
                    if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
                        tracing::error!("kg-ls failed on background work: {}", panic_message(&*panic));
                    }
                }
            })
            .map_err(|e| tracing::error!("cannot start the background thread: {e}"))
            .ok();
        Background { tx: thread.is_some().then_some(tx), thread }
    }

    fn run(&self, job: impl FnOnce() + Send + 'static) {
        match &self.tx {
            Some(tx) => {
                let _ = tx.send(Box::new(job));
            }
            None => job(),
        }
    }

    /// Ends the thread after its current job, waiting until `until` at most.
    fn stop(&mut self, until: Instant) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// How long the cache warmer may run per idle period (wall clock, on the background thread
/// and the search threads it starts): it computes the likeliest next queries, and a full-text
/// scan of a large workspace would otherwise run to its own deadline.
const WARM_BUDGET: Duration = Duration::from_millis(25);

/// How many messages [`MainLoop::take_ahead`] looks at past the one being handled.
const TAKE_AHEAD: usize = 256;

/// The id a `$/cancelRequest` names: any id a request may have (not only the i32 that
/// `CancelParams` takes).
fn cancel_target(params: Option<&RawValue>) -> Option<Id> {
    let params = serde_json::from_str::<serde_json::Value>(params?.get()).ok()?;
    Id::from_value(params.get("id")?)
}

/// Makes the calling thread yield the CPU to the others (a nice value of 10). Not
/// `SCHED_IDLE`: under load from other processes (a build beside the editor) that policy
/// would all but stop rebuilds, and the graph would stay stale.
fn lower_priority() {
    // SAFETY: setpriority only reads its arguments; on Linux, `who = 0` is the calling thread.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
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
}

/// Process figures into the monitor on an interval, and alerts as log messages.
struct Sampler {
    state: Arc<parking_lot::Mutex<SamplerState>>,
    interval: Duration,
    budgets: std::collections::BTreeMap<String, u64>,
    next: Instant,
    /// A sample is being taken on the background thread.
    busy: bool,
}

/// What the sampler keeps between samples, on the background thread.
#[derive(Default)]
struct SamplerState {
    sampler: ProcessSampler,
    trimmed: Option<(Instant, u64)>,
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
                } else if self.ws.has_pending_changes() {
                    self.rebuild_due = Some(Instant::now() + REBUILD_DEBOUNCE);
                }
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
            Event::Alerts(alerts) => {
                self.sampler.busy = false;
                for alert in alerts {
                    tracing::warn!("{alert}");
                    self.log_message(MessageType::WARNING, format!("kg-ls: {alert}"));
                }
            }
        }
    }

    // ---- messages

    fn on_request(&mut self, id: Id, method: String, params: Option<Box<RawValue>>) {
        let start = Instant::now();
        self.stop_warmer();
        match self.phase {
            Phase::Uninitialized if method != "initialize" => {
                return self.reply(
                    &id,
                    &method,
                    start,
                    Err(ResponseError::new(code::SERVER_NOT_INITIALIZED, "the server is not initialized yet")),
                );
            }
            Phase::ShutDown => {
                return self.reply(
                    &id,
                    &method,
                    start,
                    Err(ResponseError::new(code::INVALID_REQUEST, "the server is shut down: only exit is accepted")),
                );
            }
            _ => {}
        }
        if self.pending.contains_key(&id) {
            let e = ResponseError::new(code::INVALID_REQUEST, format!("request id {id} is already in use"));
            return self.out.send(transport::error_response(Some(&id), e.code, &e.message));
        }
        match method.as_str() {
            "initialize" => {
                let answer = if self.phase == Phase::Running {
                    Err(ResponseError::new(code::INVALID_REQUEST, "the server is initialized already"))
                } else {
                    match parse::<InitializeParams>(params.as_deref()) {
                        Ok(p) => self.initialize(p),
                        Err(e) => Err(e),
                    }
                };
                let initialized = answer.is_ok() && self.phase == Phase::Running && !self.load.running;
                self.reply(&id, &method, start, answer);
                // Loading starts now, not at `initialized`: a request sent in between is
                // answered once the graph is there, and the load starts sooner.
                if initialized && !self.load.ready {
                    self.start_sampler(MonitorSettings::default());
                    self.start_load();
                }
            }
            "shutdown" => {
                let summary = self.monitor.summary();
                tracing::info!("shutting down: {summary}");
                self.log_message(MessageType::INFO, format!("kg-ls: {summary}"));
                self.phase = Phase::ShutDown;
                // Nothing is answered after shutdown's answer: what still waits or runs is
                // cancelled now.
                let open: Vec<Id> = self.pending.keys().cloned().collect();
                for id in open {
                    self.cancel(id);
                }
                self.stop_warmer();
                self.search.flush();
                self.reply(&id, &method, start, Ok(b"null".to_vec()));
            }
            "textDocument/completion" => self.request(
                Req { id, method, start, params },
                Need::Completion,
                |p: &CompletionParams| Some(&p.text_document_position.text_document.uri),
                |s, p, c, _| completion::reply(&s, p, c),
            ),
            "completionItem/resolve" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |_: &CompletionItem| None,
                |s, p, c, _| handlers::resolve(&s, p, c),
            ),
            "textDocument/hover" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &HoverParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| handlers::hover(&s, p, c),
            ),
            "textDocument/definition" => self.request(
                Req { id, method, start, params },
                Need::Graph,
                |p: &GotoDefinitionParams| Some(&p.text_document_position_params.text_document.uri),
                |s, p, c, _| handlers::definition(&s, p, c),
            ),
            "workspace/symbol" => self.workspace_symbol(id, method, start, params),
            "workspace/executeCommand" => {
                let answer = parse::<ExecuteCommandParams>(params.as_deref()).and_then(|p| self.execute_command(p));
                self.reply(&id, &method, start, answer);
            }
            "kg-ls/searchStats" => {
                let answer = handlers::json(&self.search.stats());
                self.reply(&id, &method, start, answer);
            }
            _ => {
                let e = ResponseError::new(code::METHOD_NOT_FOUND, format!("kg-ls does not handle {method}"));
                self.reply(&id, &method, start, Err(e));
            }
        }
    }

    /// Parses a request, takes its document now, and runs `work` on a worker once what it
    /// needs is loaded.
    fn request<P: DeserializeOwned + Send + 'static>(
        &mut self,
        Req { id, method, start, params }: Req,
        need: Need,
        uri: fn(&P) -> Option<&Uri>,
        work: fn(Snapshot, P, &Cancel, &Notifier) -> Answer,
    ) {
        let params: P = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        let doc = uri(&params).and_then(|u| self.ws.documents.get(u.as_str()).cloned());
        let work: Work = Box::new(move |snap, cancel, notify| work(snap, params, cancel, notify));
        self.pending.insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: false });
        self.queue(Queued { id, need, doc, work });
    }

    fn queue(&mut self, q: Queued) {
        if self.can_serve(q.need) { self.dispatch(q) } else { self.queued.push(q) }
    }

    fn can_serve(&self, need: Need) -> bool {
        self.load.ready || (need == Need::Completion && self.load.early.is_some())
    }

    /// Runs a request on a worker with a snapshot taken now.
    fn dispatch(&mut self, q: Queued) {
        let Some(pending) = self.pending.get(&q.id) else { return }; // Cancelled while queued.
        let cancel = pending.cancel.clone();
        let method = pending.method.clone();
        // A search reads the analysis of its own snapshot (with fresh headings).
        let search = pending.search.then(|| self.search_snapshot(true));
        let analysis = match (&search, q.need, self.load.ready) {
            (Some(s), _, _) => s.analysis.clone(),
            (None, Need::Completion, false) => self.load.early.clone().unwrap_or_default(),
            (None, Need::Completion, true) => self.ws.completion_analysis(),
            (None, Need::Graph, _) => self.ws.analysis(false),
        };
        let completion_limit =
            self.ws.config.as_ref().map_or(workspace::DEFAULT_COMPLETION_LIMIT, |c| c.completion_limit);
        let later = handlers::Later::default();
        let snap = Snapshot {
            analysis,
            doc: q.doc,
            files: self.ws.files(),
            client: self.client.clone(),
            completion_limit,
            search,
            later: later.clone(),
        };
        let notify = Notifier { id: q.id.clone(), tx: self.tx.clone() };
        let tx = self.tx.clone();
        let id = q.id;
        let work = q.work;
        self.tasks.spawn_blocking(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(snap, &cancel, &notify)))
                .unwrap_or_else(|panic| {
                    let message = format!("kg-ls failed on {method}: {}", panic_message(&*panic));
                    tracing::error!("{message}");
                    Err(ResponseError::new(code::INTERNAL_ERROR, message))
                });
            let _ = tx.send(Event::Done { id, answer });
            for f in later.take() {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
                    tracing::error!("kg-ls failed finishing {method} after its answer");
                }
            }
        });
    }

    fn workspace_symbol(&mut self, id: Id, method: String, start: Instant, params: Option<Box<RawValue>>) {
        let params: WorkspaceSymbolParams = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        let host = self.search.clone();
        let work: Work = Box::new(move |snap, cancel, notify| match snap.search {
            Some(s) => search::workspace_symbol(&host, s, params, cancel, notify),
            None => Err(ResponseError::new(code::INTERNAL_ERROR, "a search without its snapshot")),
        });
        self.pending.insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: true });
        self.queue(Queued { id, need: Need::Graph, doc: None, work });
    }

    fn on_done(&mut self, id: Id, answer: Answer) {
        let Some(p) = self.pending.get(&id) else { return }; // Answered already (cancelled).
        let (method, start, search) = (p.method.clone(), p.start, p.search);
        if search && answer.is_ok() {
            self.warm_due = Some(Instant::now() + search::IDLE);
        }
        self.reply(&id, &method, start, answer);
    }

    /// Answers request `id` and records its latency.
    fn reply(&mut self, id: &Id, method: &str, start: Instant, answer: Answer) {
        self.pending.remove(id);
        let outcome = match &answer {
            Ok(_) => Outcome::Ok,
            Err(e) if e.code == code::REQUEST_CANCELLED || e.code == code::CONTENT_MODIFIED => Outcome::Cancelled,
            Err(_) => Outcome::Error,
        };
        let body = match answer {
            Ok(result) => transport::response(id, &result),
            Err(e) => transport::error_response(Some(id), e.code, &e.message),
        };
        self.out.send(body);
        if self.phase != Phase::Uninitialized || method == "initialize" {
            self.monitor.record(method, start.elapsed(), outcome);
        }
    }

    fn on_notification(&mut self, method: &str, params: Option<Box<RawValue>>) {
        if method == "exit" {
            self.exit = Some(if self.phase == Phase::ShutDown { 0 } else { 1 });
            return;
        }
        if method == "$/cancelRequest" {
            match cancel_target(params.as_deref()) {
                Some(id) => self.cancel(id),
                None => tracing::warn!("ignoring a $/cancelRequest without a valid id"),
            }
            return;
        }
        if self.phase != Phase::Running {
            tracing::debug!("ignoring {method}: the server is not running");
            return;
        }
        match method {
            "initialized" => {
                if self.client.dynamic_watchers {
                    self.ask(Asked::Watchers, "client/registerCapability", &caps::watchers());
                }
                for p in self.client.settings_problems.clone() {
                    self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
                }
            }
            "textDocument/didOpen" => {
                if let Some(p) = self.notification_params::<DidOpenTextDocumentParams>(method, params) {
                    let path = convert::path(&p.text_document.uri);
                    self.ws.documents.open(
                        p.text_document.uri.to_string(),
                        Document::new(p.text_document.text, p.text_document.version, path.clone()),
                    );
                    if let Some(path) = path {
                        self.ws.document_changed(&path);
                        self.document_edited(&path);
                    }
                }
            }
            "textDocument/didChange" => {
                if let Some(p) = self.notification_params::<DidChangeTextDocumentParams>(method, params) {
                    self.did_change(p);
                }
            }
            "textDocument/didClose" => {
                if let Some(p) = self.notification_params::<DidCloseTextDocumentParams>(method, params)
                    && let Some(path) = self.ws.documents.close(p.text_document.uri.as_str()).and_then(|d| d.path)
                {
                    self.ws.document_changed(&path);
                    self.document_edited(&path);
                }
            }
            "textDocument/didSave" => {
                if let Some(p) = self.notification_params::<DidSaveTextDocumentParams>(method, params) {
                    self.reread(&p.text_document.uri);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Some(p) = self.notification_params::<DidChangeWatchedFilesParams>(method, params) {
                    let config_changed = p.changes.iter().any(|c| {
                        convert::path(&c.uri)
                            .is_some_and(|p| p.file_name().is_some_and(|n| n == workspace::CONFIG_FILE))
                    });
                    if config_changed {
                        tracing::info!("{} changed; reloading", workspace::CONFIG_FILE);
                        self.start_load();
                    } else {
                        for change in &p.changes {
                            self.reread(&change.uri);
                        }
                    }
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Some(p) = self.notification_params::<DidChangeConfigurationParams>(method, params) {
                    self.did_change_configuration(p.settings);
                }
            }
            m if m.starts_with("$/") => {}
            other => tracing::debug!("ignoring the notification {other}"),
        }
    }

    fn notification_params<P: DeserializeOwned>(&self, method: &str, params: Option<Box<RawValue>>) -> Option<P> {
        match parse::<P>(params.as_deref()) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!("ignoring a malformed {method}: {}", e.message);
                None
            }
        }
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let enc = self.client.encoding;
        let key = p.text_document.uri.to_string();
        let Some(doc) = self.ws.documents.get_mut(&key) else {
            tracing::warn!("didChange for a document that is not open: {key}");
            return;
        };
        for change in &p.content_changes {
            let range = change.range.map(|r| {
                let start = convert::offset(&doc.text, &doc.line_index, r.start, enc);
                let end = convert::offset(&doc.text, &doc.line_index, r.end, enc);
                start.min(end)..end.max(start)
            });
            doc.edit(range, &change.text);
        }
        doc.version = p.text_document.version;
        if let Some(path) = doc.path.clone() {
            self.ws.document_changed(&path);
            self.document_edited(&path);
        }
    }

    /// After an open document changed: running searches that read it are stale, and edits
    /// to the knowledge graph schedule a rebuild.
    fn document_edited(&mut self, path: &Path) {
        let affects_search = self.ws.config.as_ref().is_some_and(|c| c.roots.iter().any(|r| path.starts_with(r)))
            || self.ws.is_kg_path(path);
        if affects_search {
            let stale: Vec<Id> = self.pending.iter().filter(|(_, p)| p.search).map(|(id, _)| id.clone()).collect();
            for id in stale {
                if let Some(p) = self.pending.get(&id) {
                    p.cancel.cancel();
                    let (method, start) = (p.method.clone(), p.start);
                    self.search.count_stopped(true);
                    self.queued.retain(|q| q.id != id);
                    self.reply(&id, &method, start, Err(search::content_modified()));
                }
            }
        }
        self.after_kg_edit();
    }

    fn after_kg_edit(&mut self) {
        if self.ws.has_pending_changes() && self.rebuild_due.is_none() {
            self.rebuild_due = Some(Instant::now() + REBUILD_DEBOUNCE);
        }
    }

    /// Takes the messages that have arrived meanwhile and answers at once each
    /// `$/cancelRequest` among them whose request is already running, instead of behind the
    /// requests read before it (a typing storm). Everything else stays in wire order; a
    /// cancel for a request still in the inbox waits for it.
    fn take_ahead(&mut self, rx: &mut UnboundedReceiver<Event>) {
        while self.inbox.len() < TAKE_AHEAD {
            match rx.try_recv() {
                Ok(e) => self.inbox.push_back(e),
                Err(_) => break,
            }
        }
        let mut early = Vec::new();
        self.inbox.retain(|e| match e {
            Event::Message(Incoming::Notification { method, params }) if method == "$/cancelRequest" => {
                match cancel_target(params.as_deref()).filter(|id| self.pending.contains_key(id)) {
                    Some(id) => {
                        early.push(id);
                        false
                    }
                    None => true,
                }
            }
            _ => true,
        });
        for id in early {
            self.cancel(id);
        }
    }

    fn cancel(&mut self, id: Id) {
        let Some(p) = self.pending.get(&id) else { return };
        p.cancel.cancel();
        if p.search {
            self.search.count_stopped(false);
        }
        let (method, start) = (p.method.clone(), p.start);
        self.queued.retain(|q| q.id != id);
        self.reply(&id, &method, start, Err(ResponseError::cancelled()));
    }

    fn on_response(&mut self, id: Id, result: Result<Option<Box<RawValue>>, Box<RawValue>>) {
        let Some((asked, _)) = self.asked.remove(&id) else {
            tracing::debug!("a response to no request of ours: {id}");
            return;
        };
        match (asked, result) {
            (Asked::Progress, Ok(_)) => match std::mem::take(&mut self.progress) {
                Progress::Creating { end } => {
                    let begin = WorkDoneProgressBegin {
                        title: "kg-ls: indexing".to_string(),
                        percentage: Some(0),
                        message: self.load.last_report.as_ref().map(|(m, _)| m.clone()),
                        ..Default::default()
                    };
                    self.send_progress(WorkDoneProgress::Begin(begin));
                    self.progress = Progress::Active;
                    if let Some(summary) = end {
                        self.end_progress(summary);
                    }
                }
                other => self.progress = other,
            },
            (Asked::Progress, Err(e)) => {
                tracing::debug!("the client refused a progress token: {}", e.get());
                self.progress = Progress::Off;
            }
            (Asked::Watchers, Err(e)) => tracing::debug!("the client refused file watchers: {}", e.get()),
            (Asked::Watchers, Ok(_)) => {}
        }
    }

    // ---- lifecycle

    fn initialize(&mut self, params: InitializeParams) -> Answer {
        let (settings, problems) = match &params.initialization_options {
            None | Some(serde_json::Value::Null) => (None, Vec::new()),
            Some(v) => {
                let (s, problems) = workspace::settings_from_json(v);
                let problems: Vec<String> = problems.into_iter().map(|p| p.to_string()).collect();
                (Some(s), problems)
            }
        };
        let client = ClientInfo::new(&params, settings, problems);
        self.parent_check = client.process_id.map(|_| Instant::now() + PARENT_CHECK);
        let result = caps::initialize_result(&client);
        self.client = Arc::new(client);
        self.phase = Phase::Running;
        handlers::json(&result)
    }

    fn settings(&self) -> Option<Settings> {
        self.settings_override.clone().or_else(|| self.client.settings.clone())
    }

    fn did_change_configuration(&mut self, settings: serde_json::Value) {
        // Clients send either {"kg-ls": {...}} (VS Code's configurationSection) or the object.
        let value = settings.get("kg-ls").cloned().unwrap_or(settings);
        if value.is_null() || value.as_object().is_some_and(|o| o.is_empty()) {
            return;
        }
        let (settings, problems) = workspace::settings_from_json(&value);
        for p in problems {
            self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
        }
        if Some(&settings) != self.settings().as_ref() {
            tracing::info!("settings changed; reloading the knowledge graph");
            self.settings_override = Some(settings);
            self.start_load();
        }
    }

    fn execute_command(&mut self, params: ExecuteCommandParams) -> Answer {
        match params.command.as_str() {
            ACCEPT_COMMAND => {
                let args: Vec<&str> = params.arguments.iter().filter_map(|a| a.as_str()).collect();
                let [term, concept] = args[..] else {
                    return Err(ResponseError::new(code::INVALID_PARAMS, "expected [term, concept]"));
                };
                self.ws.feedback().accept(term, concept);
                handlers::json(&None::<()>)
            }
            STATS_COMMAND => handlers::json(&self.stats()),
            other => Err(ResponseError::new(code::INVALID_PARAMS, format!("unknown command {other}"))),
        }
    }

    /// `kg-ls.stats`: the monitor's figures, what runs in the background, the workspace's
    /// counts, and every cache level's hits and misses.
    fn stats(&mut self) -> serde_json::Value {
        let mut value = serde_json::to_value(self.monitor.stats()).unwrap_or_default();
        let Some(obj) = value.as_object_mut() else { return value };
        obj.insert(
            "background".to_string(),
            serde_json::json!({
                "loading": self.load.running,
                "rebuilding": self.rebuilding || self.rebuild_due.is_some(),
                "running": self.tasks.len(),
            }),
        );
        if self.ws.loaded() {
            let ws = self.ws.stats();
            obj.insert(
                "workspace".to_string(),
                serde_json::json!({
                    "kgFiles": ws.kg_files, "concepts": ws.concepts, "terms": ws.terms,
                    "documents": ws.documents, "headings": ws.headings,
                }),
            );
        }
        let render = self.ws.completion_analysis().renderer.stats();
        let rate = |hits: u64, misses: u64| if hits + misses == 0 { 0.0 } else { hits as f64 / (hits + misses) as f64 };
        obj.insert(
            "caches".to_string(),
            serde_json::json!({
                "search": self.search.stats(),
                "render": {
                    "blocks": {"hits": render.block_hits, "misses": render.block_misses,
                               "hitRate": rate(render.block_hits, render.block_misses)},
                    "hovers": {"hits": render.hover_hits, "misses": render.hover_misses,
                               "hitRate": rate(render.hover_hits, render.hover_misses)},
                },
            }),
        );
        value
    }

    // ---- loading

    /// Loads (or reloads) the configuration, the knowledge graph and the documents on a
    /// worker, with progress; a load still running is superseded (its result is dropped).
    fn start_load(&mut self) {
        self.load.generation += 1;
        self.load.running = true;
        let generation = self.load.generation;
        if self.client.work_done_progress && self.progress == Progress::Off {
            self.progress = Progress::Creating { end: None };
            let token = NumberOrString::String(INDEXING.to_string());
            self.ask(Asked::Progress, "window/workDoneProgress/create", &WorkDoneProgressCreateParams { token });
        } else if let Progress::Creating { end } = &mut self.progress {
            *end = None;
        }
        let roots = self.client.roots.clone();
        let settings = self.settings();
        let first_load = !self.load.ready;
        let feedback = self.ws.feedback();
        let tx = self.tx.clone();
        let send = move |e: LoadEvent| {
            let _ = tx.send(Event::Load(generation, e));
        };
        self.tasks.spawn_blocking(move || {
            let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Serve completion from the persisted index while the sources load.
                let persisted = workspace::open_persisted(&roots, settings.as_ref());
                let index_file = persisted.file.clone();
                let served_early = first_load && persisted.index.is_some();
                if let Some(index) = persisted.index.filter(|_| first_load) {
                    let early = Analysis {
                        completion: Arc::new(index.into()),
                        feedback: feedback.clone(),
                        ..Analysis::default()
                    };
                    send(LoadEvent::Early(early));
                    tracing::info!("completion served from the persisted index while loading");
                } else if let Some(why) = persisted.refused {
                    tracing::info!("persisted index not used ({why}); rebuilding");
                }
                let mut last = u32::MAX;
                let mut report = |phase: &str, done: usize, total: usize| {
                    let base = if phase == "documents" { 50 } else { 0 };
                    let pct = base + (done * 50 / total.max(1)) as u32;
                    if pct != last {
                        last = pct;
                        send(LoadEvent::Progress(format!("{phase} {done}/{total}"), pct));
                    }
                };
                // Without a persisted index, serve completion as soon as the graph is indexed;
                // reading the documents (which only refines the ranking) comes after.
                let mut serve_early = |graph: &Arc<crate::kg::Graph>| {
                    if first_load
                        && !served_early
                        && let Some(early) = workspace::early_analysis(graph, feedback.clone())
                    {
                        send(LoadEvent::Early(early));
                    }
                };
                let (config, mut loaded) =
                    workspace::load_graph_and(&roots, settings.as_ref(), &mut report, &mut serve_early);
                workspace::add_documents(&config, &mut loaded, &mut report);
                (config, loaded, index_file)
            }));
            match loaded {
                Ok(done) => send(LoadEvent::Done(Box::new(done))),
                Err(panic) => send(LoadEvent::Failed(panic_message(&*panic))),
            }
        });
    }

    fn on_load(&mut self, generation: u64, event: LoadEvent) {
        if generation != self.load.generation {
            return; // A superseded load.
        }
        match event {
            LoadEvent::Progress(message, pct) => {
                if self.progress == Progress::Active {
                    let report = WorkDoneProgressReport {
                        message: Some(message.clone()),
                        percentage: Some(pct),
                        ..Default::default()
                    };
                    self.send_progress(WorkDoneProgress::Report(report));
                }
                self.load.last_report = Some((message, pct));
            }
            LoadEvent::Early(analysis) => {
                if !self.load.ready {
                    self.load.early = Some(analysis);
                    self.dispatch_queued();
                }
            }
            LoadEvent::Failed(message) => {
                tracing::error!("loading failed: {message}");
                self.show_message(MessageType::ERROR, format!("kg-ls: loading the knowledge graph failed: {message}"));
                self.load.running = false;
                self.load.ready = true;
                self.end_progress("failed".to_string());
                self.dispatch_queued();
            }
            LoadEvent::Done(done) => {
                let (config, loaded, index_file) = *done;
                self.load.running = false;
                let problems = loaded.problems.clone();
                let monitor_settings = config.monitor.clone();
                self.ws.set_loaded(config, loaded);
                let stats = self.ws.stats();
                let index = self.ws.completion_analysis().completion.main.clone();
                self.load.ready = true;
                self.load.early = None;
                self.start_sampler(monitor_settings);
                self.monitor.set_gauge("index.concepts", stats.concepts as f64);
                self.monitor.set_gauge("index.terms", stats.terms as f64);
                self.monitor.set_gauge("index.headings", stats.headings as f64);
                self.monitor.set_gauge("index.completion_fst_bytes", index.fst_bytes() as f64);
                if let Some(file) = index_file {
                    self.background.run(move || {
                        if let Err(e) = workspace::save_persisted(&index, &file) {
                            tracing::warn!("cannot save the completion index: {e}");
                        }
                    });
                }
                let summary = format!(
                    "{} concepts ({} terms), {} headings in {} documents",
                    stats.concepts, stats.terms, stats.headings, stats.documents
                );
                tracing::info!("indexed {summary}");
                self.log_message(MessageType::INFO, format!("kg-ls: indexed {summary}"));
                self.end_progress(summary);
                self.show_problems(&problems);
                if stats.concepts == 0 {
                    self.show_message(
                        MessageType::WARNING,
                        "kg-ls: the knowledge graph is empty: no concepts were loaded".to_string(),
                    );
                }
                self.dispatch_queued();
                self.prepare_search();
            }
        }
    }

    fn dispatch_queued(&mut self) {
        let queued = std::mem::take(&mut self.queued);
        for q in queued {
            self.queue(q);
        }
    }

    fn end_progress(&mut self, summary: String) {
        match &mut self.progress {
            Progress::Active => {
                self.send_progress(WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(summary) }));
                self.progress = Progress::Off;
            }
            Progress::Creating { end } => *end = Some(summary),
            Progress::Off => {}
        }
    }

    fn send_progress(&self, value: WorkDoneProgress) {
        let params = ProgressParams {
            token: NumberOrString::String(INDEXING.to_string()),
            value: ProgressParamsValue::WorkDone(value),
        };
        self.out.send(transport::outgoing(None, notification::Progress::METHOD, &params));
    }

    /// Re-reads a file that changed on disk on a worker; the result is applied here.
    fn reread(&mut self, uri: &Uri) {
        let Some(path) = convert::path(uri) else { return };
        let (kg, doc) = (self.ws.is_kg_path(&path), self.ws.is_doc_path(&path));
        if !kg && !doc {
            return;
        }
        self.reads += 1;
        let seq = self.reads;
        self.last_read.insert(path.clone(), seq);
        let (tx, fs) = (self.tx.clone(), self.ws.disk());
        self.tasks.spawn_blocking(move || {
            let read = workspace::read_from_disk(&*fs, &path, kg, doc);
            let _ = tx.send(Event::Reread { path, seq, read });
        });
    }

    /// What a workspace search reads. `fresh_headings` rebuilds the heading index first if
    /// open documents changed it.
    fn search_snapshot(&mut self, fresh_headings: bool) -> search::Snapshot {
        let analysis = self.ws.analysis(fresh_headings);
        let (roots, config, limit) = self.ws.config.as_ref().map_or_else(
            || (Vec::new(), workspace::SearchConfig::default(), workspace::DEFAULT_SYMBOL_LIMIT),
            |c| (c.roots.clone(), c.search.clone(), c.symbol_limit),
        );
        search::Snapshot { analysis, generation: self.ws.generation(), roots, files: self.ws.files(), config, limit }
    }

    /// Builds the search dictionaries of the current snapshot on a worker, ahead of the first
    /// search, then returns the memory the builds used to the system.
    fn prepare_search(&mut self) {
        // Not the headings: rebuilding them stalls the loop (they are rebuilt on the next
        // workspace/symbol).
        let snap = self.search_snapshot(false);
        let host = self.search.clone();
        self.background.run(move || {
            host.prepare(&snap);
            drop(snap);
            crate::perf::process::release_free_memory();
        });
    }

    // ---- timers

    fn next_deadline(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        let mut next = far;
        let mut at = |t: Option<Instant>| {
            if let Some(t) = t {
                next = next.min(t);
            }
        };
        at(self.rebuild_due.filter(|_| !self.rebuilding));
        at(self.warm_due);
        at(self.warm_stop);
        at(self.parent_check);
        at(self.asked.values().map(|(_, t)| *t + CLIENT_REQUEST_TIMEOUT).min());
        at((self.phase == Phase::Running && self.load.ready).then_some(self.sampler.next));
        next
    }

    fn on_timers(&mut self) {
        let now = Instant::now();
        if self.rebuild_due.is_some_and(|t| t <= now) && !self.rebuilding {
            self.rebuild_due = None;
            if self.ws.has_pending_changes() {
                self.rebuilding = true;
                let job = self.ws.rebuild_job();
                let tx = self.tx.clone();
                self.background.run(move || {
                    let rebuilt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run()));
                    let _ = tx.send(match rebuilt {
                        Ok(r) => Event::Rebuilt(r),
                        Err(panic) => Event::RebuildFailed(panic_message(&*panic)),
                    });
                });
            }
        }
        if self.warm_due.is_some_and(|t| t <= now) {
            self.warm_due = None;
            if self.pending.is_empty() && self.search.has_warm_plan() {
                let cancel = Cancel::new();
                self.warmer = Some(cancel.clone());
                self.warm_stop = Some(now + WARM_BUDGET);
                let host = self.search.clone();
                self.background.run(move || {
                    host.warm(&cancel);
                });
            }
        }
        if self.warm_stop.is_some_and(|t| t <= now) {
            self.stop_warmer();
        }
        if self.parent_check.is_some_and(|t| t <= now) {
            self.parent_check = Some(now + PARENT_CHECK);
            if let Some(pid) = self.client.process_id
                && !process_alive(pid)
            {
                tracing::warn!("the client's process {pid} is gone; exiting");
                self.exit = Some(1);
            }
        }
        let expired: Vec<Id> = self
            .asked
            .iter()
            .filter(|(_, (_, t))| *t + CLIENT_REQUEST_TIMEOUT <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some((asked, _)) = self.asked.remove(&id) {
                tracing::warn!("the client did not answer {asked:?} request {id} in {CLIENT_REQUEST_TIMEOUT:?}");
                if matches!(asked, Asked::Progress) {
                    self.progress = Progress::Off;
                }
            }
        }
        if self.phase == Phase::Running && self.load.ready && self.sampler.next <= now {
            self.sample(now);
        }
    }

    fn stop_warmer(&mut self) {
        self.warm_due = None;
        self.warm_stop = None;
        if let Some(w) = self.warmer.take() {
            w.cancel();
        }
    }

    /// (Re)configures the sampler and the monitor's alerts.
    fn start_sampler(&mut self, settings: MonitorSettings) {
        let defaults = MonitorConfig::default();
        self.monitor.set_config(MonitorConfig {
            memory_limit_bytes: settings.memory_limit_mb.map_or(defaults.memory_limit_bytes, |mb| mb << 20),
            ..defaults
        });
        self.sampler.interval = Duration::from_millis(settings.interval_ms.unwrap_or(1000).max(10));
        self.sampler.budgets = settings.budgets_ms;
        self.sampler.next = Instant::now();
    }

    /// Takes a sample of the process on the background thread (reading /proc and the
    /// allocator's figures takes milliseconds); alerts come back as [`Event::Alerts`].
    fn sample(&mut self, now: Instant) {
        self.sampler.next = now + self.sampler.interval;
        if std::mem::replace(&mut self.sampler.busy, true) {
            return; // The last sample has not been taken yet.
        }
        let (state, monitor, tx) = (self.sampler.state.clone(), self.monitor.clone(), self.tx.clone());
        let budgets = self.sampler.budgets.clone();
        self.background.run(move || {
            let started = Instant::now();
            let mut state = state.lock();
            let sample = state.sampler.sample();
            // Freed memory that the allocator keeps goes back to the system once resident
            // memory has grown since the last trim (at most every TRIM_EVERY).
            if let Some(rss) = sample.rss_bytes {
                let due = state
                    .trimmed
                    .is_none_or(|(at, base)| at.elapsed() >= TRIM_EVERY && rss > base + (base / 20).max(8 << 20));
                if due {
                    crate::perf::process::release_free_memory();
                    state.trimmed = Some((Instant::now(), state.sampler.sample().rss_bytes.unwrap_or(rss)));
                }
            }
            monitor.add_sample(sample);
            let budget = |m: &str| budgets.get(m).map(|&ms| Duration::from_millis(ms)).or_else(|| default_budget(m));
            let alerts = monitor.check_alerts(&budget).into_iter().map(|a| a.message).collect();
            let _ = tx.send(Event::Alerts(alerts));
            if started.elapsed() >= SLOW_STEP {
                tracing::debug!("a process sample took {:?}", started.elapsed());
            }
        });
    }

    // ---- talking to the client

    fn ask(&mut self, asked: Asked, method: &str, params: &impl serde::Serialize) {
        self.next_ask += 1;
        let id = Id::from_value(&serde_json::Value::String(format!("kg-ls/{}", self.next_ask))).expect("a string id");
        self.out.send(transport::outgoing(Some(&id), method, params));
        self.asked.insert(id, (asked, Instant::now()));
    }

    fn log_message(&self, typ: MessageType, message: String) {
        self.out.send(transport::outgoing(None, "window/logMessage", &LogMessageParams { typ, message }));
    }

    fn show_message(&self, typ: MessageType, message: String) {
        self.out.send(transport::outgoing(None, "window/showMessage", &ShowMessageParams { typ, message }));
    }

    fn show_problems(&self, problems: &[Problem]) {
        for p in problems {
            tracing::warn!("{p}");
            self.log_message(MessageType::WARNING, p.to_string());
        }
        for p in problems.iter().take(MAX_SHOWN_PROBLEMS) {
            self.show_message(MessageType::WARNING, format!("kg-ls: {p}"));
        }
        if problems.len() > MAX_SHOWN_PROBLEMS {
            let more = problems.len() - MAX_SHOWN_PROBLEMS;
            self.show_message(MessageType::WARNING, format!("kg-ls: {more} more problems; see the kg-ls output log"));
        }
    }
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
