//! The loop's deadlines: debounced rebuilds and full-text updates, the idle warmer and its budget, the client
//! process watch, timeouts of the server's own requests and the sampler.
//!
//! Must not wait: each deadline starts work elsewhere or cancels it.

use super::*;

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

    pub(super) fn stop_warmer(&mut self) {
        self.warm_due = None;
        self.warm_stop = None;
        if let Some(w) = self.warmer.take() {
            w.cancel();
        }
    }
}
