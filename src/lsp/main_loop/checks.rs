//! When open documents are checked: pushed diagnostics, debounced after edits, again for every
//! open document when the graph or the check levels change, and cleared on close. A client that
//! pulls diagnostics is never pushed them; it is asked to pull again
//! (`workspace/diagnostic/refresh`) when the graph changes under its documents.
//!
//! Must not check on this thread: the checks run on a worker with a snapshot, and their
//! result is published only if the document is still at the version that was checked.

use std::collections::HashSet;

use super::*;
use crate::analysis::GraphStamp;
use crate::check::Levels;
use crate::lsp::diagnostics::{self, CheckContext};

/// How long typing settles before a document is checked again.
const CHECK_DEBOUNCE: Duration = Duration::from_millis(150);

pub(super) use diagnostics::Report;

/// The state of pushed diagnostics.
#[derive(Default)]
pub(super) struct Checks {
    /// Open documents (by URI) to check, and when.
    due: HashMap<String, Instant>,
    /// Documents the client has non-empty diagnostics for.
    shown: HashSet<String>,
    /// The graph and levels the open documents were last checked with.
    last: Option<(GraphStamp, Levels)>,
    /// The diagnostics of every knowledge-graph file (the graph checks and the loader's
    /// problems), for the graph they were made for.
    report: Option<(GraphStamp, Arc<Report>)>,
    /// The files not open whose report the client has.
    published: HashMap<PathBuf, Vec<Diagnostic>>,
    /// A document was opened or closed, or a report came: what is published changes.
    problems_due: bool,
    /// Stops the report being made for an older graph.
    report_cancel: Option<Cancel>,
    /// The client pulls the report (`workspace/diagnostic`): it is not pushed.
    workspace_pull: bool,
}

impl MainLoop {
    /// The check levels of the configuration now (read on every turn of the loop: no more).
    fn check_levels(&self) -> Levels {
        self.ws.config.as_ref().map(|c| c.checks).unwrap_or_default()
    }

    /// What the checks of `doc` need, from the configuration now.
    pub(super) fn check_context(&self, doc: Option<&Document>) -> CheckContext {
        let config = self.ws.config.as_ref();
        CheckContext {
            levels: self.check_levels(),
            kg_file: doc.and_then(|d| d.path.as_deref()).is_some_and(|p| self.ws.is_kg_path(p)),
            kg_dir: config
                .and_then(|c| c.sources.iter().find(|s| crate::kg::kind_of(&s.path).is_none()).map(|s| s.path.clone())),
        }
    }

    /// The document `key` was opened: checked at once, and the loader's problems of its file
    /// give way to its own checks.
    pub(super) fn checks_opened(&mut self, key: &str) {
        self.checks.problems_due = true;
        self.check_later(key, Duration::ZERO);
    }

    /// Checks the open document `key` after `delay` (pushing clients only).
    pub(super) fn check_later(&mut self, key: &str, delay: Duration) {
        if !self.client.pull_diagnostics {
            let at = Instant::now() + delay;
            self.checks.due.insert(key.to_string(), at);
        }
    }

    pub(super) fn check_after_edit(&mut self, key: &str) {
        self.check_later(key, CHECK_DEBOUNCE);
    }

    /// The document `key` was closed: its diagnostics go with it, and the loader's problems of
    /// the file come back.
    pub(super) fn checks_closed(&mut self, key: &str) {
        self.checks.due.remove(key);
        if self.checks.shown.remove(key)
            && let Ok(uri) = key.parse::<Uri>()
        {
            self.publish_diagnostics(diagnostics::publish(uri, None, Vec::new()));
        }
        // The file's problems are published again, now that it is not open.
        self.checks.problems_due = true;
    }

    /// Checks every knowledge-graph file against the graph now, on the background thread
    /// (one file at a time, stopped by the next graph), so that the editor lists what is wrong
    /// with the graph without each file being opened.
    fn start_graph_report(&mut self) {
        self.cancel_graph_report();
        let analysis = self.ws.analysis(false);
        let stamp = analysis.stamp;
        let levels = self.check_levels();
        let mut problems: HashMap<PathBuf, Vec<Problem>> = HashMap::new();
        for p in self.ws.problems() {
            problems.entry(p.path.clone()).or_default().push(p);
        }
        let cancel = Cancel::new();
        self.checks.report_cancel = Some(cancel.clone());
        let (files, client, tx) = (self.ws.disk(), self.client.clone(), self.tx.clone());
        self.background.run(move || {
            // Listed here, not on the loop: a path per file of the graph takes milliseconds
            // at 100k files, after every rebuild.
            let mut paths: Vec<PathBuf> = analysis.graph.file_paths().map(|p| p.to_path_buf()).collect();
            paths.extend(problems.keys().filter(|p| analysis.graph.file_concepts(p).is_none()).cloned());
            let report = diagnostics::graph_report(&analysis, &*files, &paths, &problems, &levels, &client, &cancel);
            if let Some(report) = report {
                let _ = tx.send(Event::GraphReport { stamp, report: report.into_iter().collect() });
            }
        });
    }

    /// Stops the graph report being made, if one is.
    pub(super) fn cancel_graph_report(&mut self) {
        if let Some(c) = self.checks.report_cancel.take() {
            c.cancel();
        }
    }

    /// `workspace/diagnostic`: answered on a worker from the last graph report. The first one
    /// turns the pushing of the report off, and clears what was pushed.
    pub(super) fn workspace_diagnostic(
        &mut self,
        id: Id,
        method: String,
        start: Instant,
        params: Option<Box<RawValue>>,
    ) {
        let params: WorkspaceDiagnosticParams = match parse(params.as_deref()) {
            Ok(p) => p,
            Err(e) => return self.reply(&id, &method, start, Err(e)),
        };
        if !self.checks.workspace_pull {
            self.checks.workspace_pull = true;
            for path in std::mem::take(&mut self.checks.published).into_keys() {
                if let Some(uri) = convert::uri(&path) {
                    self.publish_diagnostics(diagnostics::publish(uri, None, Vec::new()));
                }
            }
        }
        let report = self.checks.report.clone();
        let open: HashSet<PathBuf> = self.ws.documents.iter().filter_map(|(_, d)| d.path.clone()).collect();
        self.pending
            .insert(id.clone(), Pending { method, start, cancel: Cancel::new(), search: false, snapshot: false });
        let tx = self.tx.clone();
        self.tasks.spawn_blocking(move || {
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                diagnostics::workspace_diagnostic(report.as_ref(), &open, &params)
            }))
            .unwrap_or_else(|panic| {
                Err(ResponseError::new(code::INTERNAL_ERROR, format!("kg-ls failed: {}", panic_message(&*panic))))
            });
            let _ = tx.send(Event::Done { id, answer });
        });
    }

    /// A graph report arrived.
    pub(super) fn on_graph_report(&mut self, stamp: GraphStamp, report: Report) {
        if self.ws.graph_stamp() != stamp {
            return; // A newer graph has its own report on the way.
        }
        self.checks.report_cancel = None;
        self.checks.report = Some((stamp, Arc::new(report)));
        self.checks.problems_due = true;
    }

    /// Publishes the report of the knowledge-graph files that are not open (an open file's own
    /// checks report on it), and clears what no longer holds.
    fn publish_report(&mut self) {
        if self.checks.workspace_pull {
            return;
        }
        let Some((_, report)) = self.checks.report.clone() else { return };
        let open: HashSet<PathBuf> = self.ws.documents.iter().filter_map(|(_, d)| d.path.clone()).collect();
        let now: Report =
            report.iter().filter(|(p, _)| !open.contains(*p)).map(|(p, d)| (p.clone(), d.clone())).collect();
        let gone: Vec<PathBuf> = self.checks.published.keys().filter(|p| !now.contains_key(*p)).cloned().collect();
        for path in gone {
            // Cleared also when the file was opened: its own checks publish there next.
            if let Some(uri) = convert::uri(&path) {
                self.publish_diagnostics(diagnostics::publish(uri, None, Vec::new()));
            }
        }
        for (path, items) in &now {
            if self.checks.published.get(path) == Some(items) {
                continue;
            }
            if let Some(uri) = convert::uri(path) {
                self.publish_diagnostics(diagnostics::publish(uri, None, items.clone()));
            }
        }
        self.checks.published = now;
    }

    pub(super) fn checks_deadline(&self) -> Option<Instant> {
        if !self.load.ready {
            return None;
        }
        self.checks.due.values().min().copied()
    }

    /// Starts the checks that are due, and notices a new graph or new levels.
    pub(super) fn checks_timers(&mut self, now: Instant) {
        if !self.load.ready || self.phase != Phase::Running {
            return;
        }
        let current = (self.ws.graph_stamp(), self.check_levels());
        if self.checks.last != Some(current) {
            let first = self.checks.last.is_none();
            self.checks.last = Some(current);
            self.start_graph_report();
            if self.client.pull_diagnostics {
                if self.client.diagnostic_refresh && !first {
                    self.ask(Asked::DiagnosticRefresh, "workspace/diagnostic/refresh", &());
                }
            } else {
                let keys: Vec<String> = self.ws.documents.iter().map(|(k, _)| k.clone()).collect();
                for key in keys {
                    self.checks.due.entry(key).or_insert(now);
                }
            }
        }
        if std::mem::take(&mut self.checks.problems_due) {
            self.publish_report();
        }
        let ready: Vec<String> = self.checks.due.iter().filter(|(_, t)| **t <= now).map(|(k, _)| k.clone()).collect();
        if ready.is_empty() {
            return;
        }
        let analysis = self.ws.analysis(false);
        for key in ready {
            self.checks.due.remove(&key);
            let Some(doc) = self.ws.documents.get(&key).cloned() else { continue };
            let Ok(uri) = key.parse::<Uri>() else { continue };
            let ctx = self.check_context(Some(&doc));
            let (analysis, client, tx) = (analysis.clone(), self.client.clone(), self.tx.clone());
            self.tasks.spawn_blocking(move || {
                let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    diagnostics::diagnostics(&analysis, &doc, &ctx, &client)
                }));
                match checked {
                    Ok(items) => {
                        let _ =
                            tx.send(Event::Checked { key, version: doc.version, params: publish(uri, &doc, items) });
                    }
                    Err(panic) => tracing::error!("kg-ls failed checking {key}: {}", panic_message(&*panic)),
                }
            });
        }
    }

    /// A worker checked document `key` at `version`.
    pub(super) fn on_checked(&mut self, key: String, version: i32, params: PublishDiagnosticsParams) {
        // Closed or edited since: the edit has scheduled another check.
        if self.ws.documents.get(&key).is_none_or(|d| d.version != version) {
            return;
        }
        let empty = params.diagnostics.is_empty();
        if empty && !self.checks.shown.contains(&key) {
            return;
        }
        if empty {
            self.checks.shown.remove(&key);
        } else {
            self.checks.shown.insert(key);
        }
        self.publish_diagnostics(params);
    }

    fn publish_diagnostics(&self, params: PublishDiagnosticsParams) {
        self.out.send(transport::outgoing(None, notification::PublishDiagnostics::METHOD, &params));
    }
}

fn publish(uri: Uri, doc: &Document, items: Vec<Diagnostic>) -> PublishDiagnosticsParams {
    diagnostics::publish(uri, Some(doc.version), items)
}
