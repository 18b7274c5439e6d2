//! Keeping the index of mentions ([`MentionIndex`]) in step with the workspace: built in full
//! after a load and after each graph rebuild (a new term index finds other terms), and per file
//! when a document changes on disk (a save, a close, a watched-file event).
//!
//! The work runs on the background thread with a [`Cancel`] that a newer full build sets; the
//! current index answers meanwhile. Open documents are not read from it: navigation scans them
//! as they are at the request. Must not compute features.

use std::collections::BTreeSet;

use super::*;
use crate::index::TermIndex;
use crate::navigate::{DocMentions, MentionIndex};

/// What a mention update reports.
pub enum MentionEvent {
    /// A full build for the term index `terms` ended.
    Built { terms: Arc<TermIndex>, index: MentionIndex },
    /// The documents at `paths` were read again into `index`, made from `base`.
    Updated { base: Arc<MentionIndex>, index: MentionIndex, paths: BTreeSet<PathBuf> },
}

#[derive(Default)]
pub(super) struct MentionState {
    pub index: Arc<MentionIndex>,
    /// The term index the last full build used (and the one running uses).
    built_with: Option<Arc<TermIndex>>,
    running: Option<Cancel>,
    /// A full build was installed.
    ready: bool,
    /// Documents that changed while a full build ran (it may have read them before).
    changed_meanwhile: BTreeSet<PathBuf>,
}

impl MainLoop {
    /// The graph's term index may have changed (a load, a rebuild): the index is built again
    /// when it did.
    pub(super) fn mentions_after_graph(&mut self) {
        if !self.load.ready {
            return;
        }
        let terms = self.ws.analysis(false).terms;
        if self.mentions.built_with.as_ref().is_some_and(|t| Arc::ptr_eq(t, &terms)) {
            return;
        }
        if let Some(c) = self.mentions.running.take() {
            c.cancel();
        }
        let cancel = Cancel::new();
        self.mentions.running = Some(cancel.clone());
        self.mentions.built_with = Some(terms.clone());
        let paths: Vec<Arc<Path>> = self.ws.doc_paths().map(Arc::from).collect();
        let (tx, files) = (self.tx.clone(), self.ws.disk());
        self.background.run(move || {
            let started = Instant::now();
            if let Ok(index) = MentionIndex::build(&paths, &*files, terms.clone(), &cancel) {
                tracing::debug!(
                    "mentions: {} in {} documents, {} KiB, built in {:?}",
                    index.mention_count(),
                    index.doc_count(),
                    index.heap_bytes() / 1024,
                    started.elapsed()
                );
                let _ = tx.send(Event::Mentions(MentionEvent::Built { terms, index }));
            }
        });
    }

    /// Documents changed on disk: their mentions are read again.
    pub(super) fn mentions_files_changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        let paths: BTreeSet<PathBuf> = paths.into_iter().filter(|p| self.ws.is_doc_path(p)).collect();
        if paths.is_empty() || !self.mentions.ready {
            return;
        }
        if self.mentions.running.is_some() {
            self.mentions.changed_meanwhile.extend(paths.iter().cloned());
        }
        let base = self.mentions.index.clone();
        let (tx, files) = (self.tx.clone(), self.ws.disk());
        self.background.run(move || {
            let terms = base.terms().clone();
            let updates: Vec<_> =
                paths.iter().map(|p| (Arc::from(p.as_path()), DocMentions::read(&*files, p, &terms))).collect();
            let index = base.with(updates);
            let _ = tx.send(Event::Mentions(MentionEvent::Updated { base, index, paths }));
        });
    }

    /// Whether requests that read mentions can run: an index was built, or none will be (no
    /// graph was installed).
    pub(super) fn mentions_ready(&self) -> bool {
        self.mentions.ready || self.mentions.built_with.is_none()
    }

    pub(super) fn on_mentions(&mut self, e: MentionEvent) {
        match e {
            MentionEvent::Built { terms, index } => {
                // Only the build for the current term index is installed.
                if self.mentions.built_with.as_ref().is_some_and(|t| Arc::ptr_eq(t, &terms)) {
                    self.mentions.running = None;
                    self.monitor.set_gauge("mentions.bytes", index.heap_bytes() as f64);
                    self.monitor.set_gauge("mentions.count", index.mention_count() as f64);
                    self.mentions.index = Arc::new(index);
                    if !std::mem::replace(&mut self.mentions.ready, true) {
                        self.dispatch_queued();
                    }
                    let meanwhile = std::mem::take(&mut self.mentions.changed_meanwhile);
                    self.mentions_files_changed(meanwhile);
                }
            }
            MentionEvent::Updated { base, index, paths } => {
                if Arc::ptr_eq(&base, &self.mentions.index) {
                    self.mentions.index = Arc::new(index);
                } else if Arc::ptr_eq(base.terms(), self.mentions.index.terms()) {
                    // Another update landed first: these files again, on top of it.
                    self.mentions_files_changed(paths);
                }
                // Else a full build with another term index replaced the base; it read the
                // files after the change.
            }
        }
    }
}
