//! The loop's deadlines: debounced rebuilds and full-text updates, the idle warmer and its budget, the client
//! process watch, timeouts of the server's own requests and the sampler.
//!
//! Owns when the edits to a large knowledge graph are folded into a full rebuild ([`Fold`]).
//! Must not wait: each deadline starts work elsewhere or cancels it.

use super::*;

/// How long a large knowledge graph must go without a change before its delta is folded into
/// a full rebuild. Completion sees every change at once through its delta; the full rebuild
/// (a new graph, term index and completion index: about 0.75 s of a core at 100k concept
/// files) serves the other features. An editor saving every second (auto-save while typing)
/// would otherwise pay a whole rebuild per save, beside the requests typing makes.
pub(super) const FOLD_QUIET: Duration = Duration::from_secs(2);
/// While changes keep coming, a full rebuild still starts this long after the first change
/// it would hold: hover, definition and the graph checks lag the files by no more.
pub(super) const FOLD_MAX_WAIT: Duration = Duration::from_secs(10);
/// A delta of this many files is folded after [`REBUILD_DEBOUNCE`] whatever comes next: the
/// delta is rebuilt from all of its files after every change, on the request path.
pub(super) const FOLD_MAX_FILES: usize = 64;

/// The changes to the knowledge graph not yet taken into a full rebuild: when they began
/// and when the last one came.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Fold {
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Fold {
    /// A change to the knowledge graph at `at`.
    pub(super) fn changed(&mut self, at: Instant) {
        self.first.get_or_insert(at);
        self.last = Some(at);
    }

    /// A full rebuild was taken: it holds every change noted so far.
    pub(super) fn taken(&mut self) {
        *self = Fold::default();
    }

    /// When the full rebuild is due, for a delta of `files` files; `background`: the graph is
    /// too large to rebuild on the request path, so edits are coalesced. `None`: no change.
    pub(super) fn due(&self, files: usize, background: bool) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        if !background || files >= FOLD_MAX_FILES {
            return Some(first + REBUILD_DEBOUNCE);
        }
        Some((last + FOLD_QUIET).min(first + FOLD_MAX_WAIT))
    }
}

/// How long the cache warmer may run per idle period (wall clock, on the background thread
/// and the search threads it starts): it computes the likeliest next queries, and a full-text
/// scan of a large workspace would otherwise run to its own deadline.
const WARM_BUDGET: Duration = Duration::from_millis(25);

impl MainLoop {
    pub(super) fn next_deadline(&self) -> Instant {
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
        at(self.text.edit_due);
        at(self.mentions_due());
        at(self.checks_deadline());
        at(self.asked.values().map(|(_, t)| *t + CLIENT_REQUEST_TIMEOUT).min());
        at((self.phase == Phase::Running && self.load.ready).then_some(self.sampler.next));
        next
    }

    pub(super) fn on_timers(&mut self) {
        let now = Instant::now();
        if self.rebuild_due.is_some_and(|t| t <= now) && !self.rebuilding {
            self.rebuild_due = None;
            if self.ws.has_pending_changes() {
                self.rebuilding = true;
                self.fold.taken();
                // The report of the graph being replaced would hold the rebuild up behind it.
                self.cancel_graph_report();
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
        if self.text.edit_due.is_some_and(|t| t <= now) {
            self.text_edits_settled();
        }
        if self.mentions_due().is_some_and(|t| t <= now) {
            self.mentions_rebuild();
        }
        self.checks_timers(now);
        self.terms_timers();
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
                match asked {
                    Asked::Progress => self.progress = Progress::Off,
                    Asked::TextProgress => self.on_text_progress_created(false),
                    Asked::Watchers | Asked::DiagnosticRefresh | Asked::TermsRefresh => {}
                }
            }
        }
        if self.phase == Phase::Running && self.load.ready && self.sampler.next <= now {
            self.sample(now);
        }
    }

    /// Schedules the full rebuild that folds in the pending changes, if there are any.
    pub(super) fn schedule_fold(&mut self) {
        self.rebuild_due = match self.ws.has_pending_changes() {
            true => self.fold.due(self.ws.pending_change_count(), self.ws.rebuilds_in_background()),
            false => None,
        };
    }

    pub(super) fn stop_warmer(&mut self) {
        self.warm_due = None;
        self.warm_stop = None;
        if let Some(w) = self.warmer.take() {
            w.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changes at the given seconds, with a delta of `files` files, in a graph rebuilt on the
    /// request path or in the background: when the full rebuild is due, in seconds.
    fn due(changes: &[f64], files: usize, background: bool) -> String {
        let t0 = Instant::now();
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
        let mut fold = Fold::default();
        for &s in changes {
            fold.changed(at(s));
        }
        fold.due(files, background).map_or("none".into(), |t| format!("{:.1} s", (t - t0).as_secs_f64()))
    }

    #[test]
    fn saves_that_keep_coming_are_folded_after_a_pause_or_the_longest_wait() {
        let cases: Vec<String> = [
            ("nothing changed", &[][..], 0, true),
            ("one save, small graph", &[0.0], 1, false),
            ("saves every second, small graph", &[0.0, 1.0, 2.0], 3, false),
            ("one save, large graph", &[0.0], 1, true),
            ("saves every second, large graph", &[0.0, 1.0, 2.0, 3.0], 4, true),
            (
                "saves every second for ten seconds, large graph",
                &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                10,
                true,
            ),
            ("a checkout of many files, large graph", &[0.0, 0.1], FOLD_MAX_FILES, true),
        ]
        .iter()
        .map(|(what, changes, files, background)| format!("{what}: {}", due(changes, *files, *background)))
        .collect();
        expect_test::expect![[r#"
            [
                "nothing changed: none",
                "one save, small graph: 0.3 s",
                "saves every second, small graph: 0.3 s",
                "one save, large graph: 2.0 s",
                "saves every second, large graph: 5.0 s",
                "saves every second for ten seconds, large graph: 10.0 s",
                "a checkout of many files, large graph: 0.3 s",
            ]
        "#]]
        .assert_debug_eq(&cases);
    }

    #[test]
    fn a_taken_rebuild_holds_the_changes_so_far() {
        let now = Instant::now();
        let mut fold = Fold::default();
        fold.changed(now);
        fold.taken();
        assert_eq!(fold.due(1, true), None);
        fold.changed(now + Duration::from_secs(5));
        assert_eq!(fold.due(1, true), Some(now + Duration::from_secs(5) + FOLD_QUIET));
    }
}
