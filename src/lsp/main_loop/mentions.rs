//! Keeping the index of mentions ([`MentionIndex`]) in step with the workspace: built in full
//! after a load, again once the graph has not changed for [`REBUILD_QUIET`] (a new term index
//! finds new terms; until then the index answers through the term index it was built with, so
//! its terms stay found), and per file when a document changes on disk (a save, a close, a
//! watched-file event).
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

/// How long the graph must stay unchanged before the documents are scanned again for its terms:
/// a full scan costs seconds of CPU at 10k documents, and a user saving a concept file every
/// few seconds should not pay it each time.
const REBUILD_QUIET: Duration = Duration::from_secs(10);

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
    /// When a full build for a changed graph is due.
    due: Option<Instant>,
}

impl MainLoop {
    /// A load ended: the index is built now (requests that read it wait for it).
    pub(super) fn mentions_after_load(&mut self) {
        self.mentions.due = None;
        self.mentions_rebuild();
    }

    /// The graph was rebuilt: the documents are scanned for its terms once it stays unchanged.
    pub(super) fn mentions_after_graph(&mut self) {
        self.mentions.due = Some(Instant::now() + REBUILD_QUIET);
    }

    pub(super) fn mentions_due(&self) -> Option<Instant> {
        self.mentions.due
    }

    /// Builds the index for the current term index, unless it is the one built already.
    pub(super) fn mentions_rebuild(&mut self) {
        self.mentions.due = None;
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
        let sources: Vec<Arc<Path>> = self.ws.concept_file_paths().cloned().collect();
        let (tx, files) = (self.tx.clone(), self.ws.disk());
        self.background.run(move || {
            let started = Instant::now();
            if let Ok(index) = MentionIndex::build(&paths, &sources, &*files, terms.clone(), &cancel) {
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

    /// Documents (and concept files, for their wiki links) changed on disk: their mentions are
    /// read again.
    pub(super) fn mentions_files_changed(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        let paths: BTreeSet<PathBuf> =
            paths.into_iter().filter(|p| self.ws.is_doc_path(p) || self.ws.is_concept_file_path(p)).collect();
        if paths.is_empty() {
            return;
        }
        // A build that runs may have read them before they changed: they are read again on
        // top of it when it lands (also the first build, which nothing else would correct).
        if self.mentions.running.is_some() {
            self.mentions.changed_meanwhile.extend(paths.iter().cloned());
        }
        if !self.mentions.ready {
            return;
        }
        let base = self.mentions.index.clone();
        let kinds: Vec<(PathBuf, bool)> = paths.iter().map(|p| (p.clone(), self.ws.is_concept_file_path(p))).collect();
        let (tx, files) = (self.tx.clone(), self.ws.disk());
        self.background.run(move || {
            let terms = base.terms().clone();
            let updates: Vec<_> = kinds
                .iter()
                .map(|(p, source)| {
                    let m = if *source {
                        DocMentions::read_links(&*files, p, &terms)
                    } else {
                        DocMentions::read(&*files, p, &terms)
                    };
                    (Arc::from(p.as_path()), m)
                })
                .collect();
            let index = base.with(updates);
            let _ = tx.send(Event::Mentions(MentionEvent::Updated { base, index, paths }));
        });
    }

    /// Whether requests that read mentions can run: an index was built, or none will be (no
    /// graph was installed).
    pub(super) fn mentions_ready(&self) -> bool {
        self.mentions.ready || self.mentions.built_with.is_none()
    }

    /// Installs `index`. Freeing the old one (a map per key of 100k files) takes milliseconds,
    /// after every save: not on this thread.
    fn replace_mentions(&mut self, index: MentionIndex) {
        let old = std::mem::replace(&mut self.mentions.index, Arc::new(index));
        self.background.run(move || drop(old));
    }

    pub(super) fn on_mentions(&mut self, e: MentionEvent) {
        match e {
            MentionEvent::Built { terms, index } => {
                // Only the build for the current term index is installed.
                if self.mentions.built_with.as_ref().is_some_and(|t| Arc::ptr_eq(t, &terms)) {
                    self.mentions.running = None;
                    self.monitor.set_gauge("mentions.bytes", index.heap_bytes() as f64);
                    self.monitor.set_gauge("mentions.count", index.mention_count() as f64);
                    self.replace_mentions(index);
                    if !std::mem::replace(&mut self.mentions.ready, true) {
                        self.dispatch_queued();
                    }
                    let meanwhile = std::mem::take(&mut self.mentions.changed_meanwhile);
                    self.mentions_files_changed(meanwhile);
                }
            }
            MentionEvent::Updated { base, index, paths } => {
                if Arc::ptr_eq(&base, &self.mentions.index) {
                    self.replace_mentions(index);
                    // The last reference to the old index may be this one: not freed here.
                    self.background.run(move || drop(base));
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
