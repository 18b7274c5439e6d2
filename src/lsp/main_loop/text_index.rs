//! Keeping the full-text index in step with the workspace: opening it in the cache directory,
//! and updating it in the background, one update at a time, while the last commit keeps
//! answering searches.
//!
//! After a load the whole workspace is checked (a stamp per file, so only new and changed
//! files are read) under the `kg-ls/text-index` progress; saves, watched-file events and
//! debounced edits of open documents update the files they name. Work asked for while an
//! update runs is merged and done next. An update is a tracked worker with a [`Cancel`] that
//! shutdown sets. Must not compute features: what goes in and how is `search::text`'s.

use std::collections::BTreeSet;

use super::*;
use crate::search::{DocFilter, Plan};
use crate::textindex::{TextIndex, store};

/// The token of the full-text index's progress.
pub(super) const TEXT_INDEX: &str = "kg-ls/text-index";
/// How long edits of an open document settle before it is indexed again.
const EDIT_DEBOUNCE: Duration = Duration::from_millis(1000);

/// What a full-text update reports.
pub enum TextEvent {
    /// The index is open (`rebuilt`: why its old contents were not used).
    Opened(Arc<TextIndex>, Option<String>),
    Progress(usize, usize),
    Done(Result<crate::search::Applied, String>),
}

/// The full-text index and the work asked of it.
#[derive(Default)]
pub(super) struct TextState {
    pub index: Option<Arc<TextIndex>>,
    /// The update running, if one is, and its thread.
    running: Option<Cancel>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// A whole-workspace check is due.
    full_due: bool,
    /// The index is to be emptied first (a rebuild from scratch).
    rebuild_due: bool,
    /// Files to update.
    paths_due: BTreeSet<PathBuf>,
    /// Open documents edited since they were last indexed, and when they settle.
    edited: BTreeSet<PathBuf>,
    pub edit_due: Option<Instant>,
    pub progress: Progress,
    /// The folder the index is in (`None`: in memory, or not opened yet).
    dir: Option<PathBuf>,
}

impl MainLoop {
    /// Whether full text is on in the current configuration.
    fn full_text_on(&self) -> bool {
        self.ws.config.as_ref().is_some_and(|c| c.search.full_text)
    }

    /// A load ended: the whole workspace is checked against the index.
    pub(super) fn text_after_load(&mut self) {
        if !self.full_text_on() {
            if let Some(c) = self.text.running.take() {
                c.cancel();
            }
            self.text.index = None;
            self.text.dir = None;
            return;
        }
        let dir = self.text_dir();
        if self.text.dir != dir {
            // Another workspace or cache folder: its own index.
            self.text.index = None;
            self.text.dir = dir;
        }
        self.text.full_due = true;
        self.text_kick();
    }

    /// `kg-ls.rebuildTextIndex`: empties the index and indexes everything again. False when
    /// full text is off or nothing is loaded.
    pub(super) fn rebuild_text_index(&mut self) -> bool {
        if !self.full_text_on() || !self.load.ready {
            return false;
        }
        if let Some(c) = &self.text.running {
            c.cancel();
        }
        self.text.rebuild_due = true;
        self.text.full_due = true;
        self.text_kick();
        true
    }

    /// What `kg-ls.stats` shows of the full-text index.
    pub(super) fn text_stats(&self) -> serde_json::Value {
        serde_json::json!({
            "enabled": self.full_text_on(),
            "documents": self.text.index.as_ref().map(|i| i.doc_count()),
            "folder": self.text.dir.as_ref().map(|d| d.display().to_string()),
            "updating": self.text.running.is_some(),
        })
    }

    /// Files changed on disk or were saved: they are indexed again.
    pub(super) fn text_files_changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        if !self.full_text_on() || !self.load.ready {
            return;
        }
        self.text.paths_due.extend(paths);
        self.text_kick();
    }

    /// An open document was edited: it is indexed again once the edits settle.
    pub(super) fn text_document_edited(&mut self, path: &Path) {
        if !self.full_text_on() || !self.load.ready {
            return;
        }
        self.text.edited.insert(path.to_path_buf());
        self.text.edit_due = Some(Instant::now() + EDIT_DEBOUNCE);
    }

    /// The edit debounce ran out.
    pub(super) fn text_edits_settled(&mut self) {
        self.text.edit_due = None;
        let edited = std::mem::take(&mut self.text.edited);
        self.text_files_changed(edited);
    }

    /// Where the index of this workspace lives: `search.cache_dir`, else the cache directory.
    fn text_dir(&self) -> Option<PathBuf> {
        let config = self.ws.config.as_ref()?;
        let base = config.search.cache_dir.clone().or_else(crate::cache::cache_dir)?;
        Some(store::index_dir(&base, crate::cache::hash_of(&config.roots)))
    }

    /// Starts the next update unless one runs.
    fn text_kick(&mut self) {
        if self.text.running.is_some() || (!self.text.full_due && self.text.paths_due.is_empty()) {
            return;
        }
        let Some(config) = self.ws.config.as_ref() else { return };
        let full = std::mem::take(&mut self.text.full_due);
        let rebuild = std::mem::take(&mut self.text.rebuild_due);
        let paths: Vec<PathBuf> = std::mem::take(&mut self.text.paths_due).into_iter().collect();
        let roots = config.roots.clone();
        let sources: Vec<PathBuf> = config.sources.iter().map(|s| s.path.clone()).collect();
        let filter = DocFilter::new(&config.search.include, &config.search.exclude).unwrap_or_else(|e| {
            tracing::warn!("search.include/exclude: {e}; the defaults are used");
            DocFilter::default()
        });
        let graph = self.ws.analysis(false).graph;
        let files = self.ws.files();
        let (index, dir) = (self.text.index.clone(), self.text.dir.clone());
        let cancel = Cancel::new();
        self.text.running = Some(cancel.clone());
        if full && self.client.work_done_progress && self.text.progress == Progress::Off {
            self.text.progress = Progress::Creating { end: None };
            let token = NumberOrString::String(TEXT_INDEX.to_string());
            self.ask(Asked::TextProgress, "window/workDoneProgress/create", &WorkDoneProgressCreateParams { token });
        }
        let tx = self.tx.clone();
        let send = move |e: TextEvent| {
            let _ = tx.send(Event::Text(e));
        };
        let thread = std::thread::Builder::new().name("kg-ls text index".into()).spawn(move || {
            // Requests get the cores first; tantivy's indexing thread inherits this.
            super::background::lower_priority();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Opening reads the stamps to check the index; the first check reuses them.
                let (index, mut opened_stamps) = match index {
                    Some(index) => (index, None),
                    None => {
                        let (index, rebuilt, stamps) = match &dir {
                            Some(dir) => match store::open_or_create(dir) {
                                Ok(o) => (Arc::new(o.index), o.rebuilt, o.stamps),
                                Err(e) => {
                                    let why = Some(format!("{e}; keeping it in memory"));
                                    (Arc::new(TextIndex::in_memory()), why, Default::default())
                                }
                            },
                            None => (Arc::new(TextIndex::in_memory()), None, Default::default()),
                        };
                        send(TextEvent::Opened(index.clone(), rebuilt));
                        (index, Some(stamps))
                    }
                };
                if rebuild {
                    opened_stamps = None;
                    let mut w = index.writer().map_err(|e| e.to_string())?;
                    w.clear().and_then(|()| w.commit()).map_err(|e| e.to_string())?;
                    w.finish().map_err(|e| e.to_string())?;
                }
                let plan = if full {
                    let wanted = crate::search::wanted(&*files, &roots, &sources, &graph, &filter, &cancel)
                        .map_err(|_| "cancelled".to_string())?;
                    let indexed = match opened_stamps.take() {
                        Some(stamps) => stamps,
                        None => index.stamps().map_err(|e| e.to_string())?,
                    };
                    let mut plan = crate::search::plan(&wanted, &indexed);
                    // Files named meanwhile are part of the whole check.
                    plan.upsert.retain(|(p, _)| wanted.contains_key(p));
                    plan
                } else {
                    let indexed = |p: &Path| index.stamp_of(p).ok().flatten();
                    crate::search::plan_paths(&*files, &roots, &sources, &filter, &paths, &indexed)
                };
                apply(&index, &*files, &graph, plan, &cancel, &send)
            }));
            let result = run.unwrap_or_else(|panic| Err(format!("kg-ls failed indexing: {}", panic_message(&*panic))));
            send(TextEvent::Done(result));
        });
        match thread {
            Ok(t) => self.text.thread = Some(t),
            Err(e) => {
                tracing::warn!("no thread for the full-text index: {e}");
                self.text.running = None;
            }
        }
    }

    pub(super) fn on_text(&mut self, e: TextEvent) {
        match e {
            TextEvent::Opened(index, rebuilt) => {
                if let Some(why) = rebuilt {
                    tracing::warn!("the full-text index is rebuilt: {why}");
                }
                self.monitor.set_gauge("index.text_docs", index.doc_count() as f64);
                self.text.index = Some(index);
            }
            TextEvent::Progress(done, total) => {
                if self.text.progress == Progress::Active {
                    let pct = (done * 100).checked_div(total).unwrap_or(100) as u32;
                    let report = WorkDoneProgressReport {
                        message: Some(format!("{done}/{total} files")),
                        percentage: Some(pct),
                        ..Default::default()
                    };
                    self.send_text_progress(WorkDoneProgress::Report(report));
                }
            }
            TextEvent::Done(result) => {
                self.text.running = None;
                // Done is the thread's last word: it ends now.
                if let Some(t) = self.text.thread.take() {
                    let _ = t.join();
                }
                let summary = match result {
                    Ok(applied) => {
                        for (path, why) in &applied.skipped {
                            tracing::debug!("not indexed for full text: {}: {why}", path.display());
                        }
                        let docs = self.text.index.as_ref().map_or(0, |i| i.doc_count());
                        self.monitor.set_gauge("index.text_docs", docs as f64);
                        format!("{} files indexed, {} removed; {docs} in the index", applied.indexed, applied.deleted)
                    }
                    Err(e) => {
                        tracing::warn!("the full-text index was not updated: {e}");
                        format!("failed: {e}")
                    }
                };
                tracing::debug!("full-text update: {summary}");
                if !self.text.full_due {
                    self.end_text_progress(summary);
                }
                self.text_kick();
            }
        }
    }

    /// The progress of the whole-workspace check ends (or will, once the client answers).
    fn end_text_progress(&mut self, summary: String) {
        match &mut self.text.progress {
            Progress::Active => {
                self.send_text_progress(WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(summary) }));
                self.text.progress = Progress::Off;
            }
            Progress::Creating { end } => *end = Some(summary),
            Progress::Off => {}
        }
    }

    pub(super) fn on_text_progress_created(&mut self, ok: bool) {
        match std::mem::take(&mut self.text.progress) {
            Progress::Creating { end } if ok => {
                let begin = WorkDoneProgressBegin {
                    title: "kg-ls: indexing full text".to_string(),
                    percentage: Some(0),
                    ..Default::default()
                };
                self.send_text_progress(WorkDoneProgress::Begin(begin));
                self.text.progress = Progress::Active;
                if let Some(summary) = end {
                    self.end_text_progress(summary);
                }
            }
            Progress::Creating { .. } => {}
            other => self.text.progress = other,
        }
    }

    fn send_text_progress(&self, value: WorkDoneProgress) {
        let params = ProgressParams {
            token: NumberOrString::String(TEXT_INDEX.to_string()),
            value: ProgressParamsValue::WorkDone(value),
        };
        self.out.send(transport::outgoing(None, notification::Progress::METHOD, &params));
    }

    /// Stops the update that runs and waits for its thread until `until` (at shutdown).
    pub(super) fn stop_text(&mut self, until: Instant) {
        if let Some(c) = self.text.running.take() {
            c.cancel();
        }
        if let Some(t) = self.text.thread.take() {
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            match t.is_finished() {
                true => drop(t.join()),
                false => tracing::debug!("the full-text update still runs at exit"),
            }
        }
    }
}

/// Carries out `plan`, reporting progress.
fn apply(
    index: &TextIndex,
    files: &dyn crate::vfs::Vfs,
    graph: &crate::kg::Graph,
    plan: Plan,
    cancel: &Cancel,
    send: &impl Fn(TextEvent),
) -> Result<crate::search::Applied, String> {
    let mut progress = |done, total| send(TextEvent::Progress(done, total));
    crate::search::apply(index, files, graph, plan, cancel, &mut progress).map_err(|e| e.to_string())
}
