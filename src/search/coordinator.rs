//! The search coordinator: runs every service concurrently on scoped threads, each under its
//! own time budget and all under one overall deadline, and merges what arrives in time.
//!
//! A slow service never holds back the others: at the deadline the coordinator answers with
//! what it has and tells the late ones to stop; a service that panics is logged and ignored.
//! Scoped threads are always joined before [`Coordinator::run`] returns, and services check
//! their control at least every [`super::CHECK_EVERY`] items, so a cancelled search leaves no
//! work behind. Batches are handed to a callback as they arrive (for streaming). No async
//! runtime, no protocol types.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Aggregator, Cancel, Cancelled, Control, Hit, Query, SearchService, Stop};

/// A service with its time budget.
#[derive(Clone)]
pub struct Slot {
    pub service: Arc<dyn SearchService>,
    pub budget: Duration,
}

/// What a search found, and how it went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Ranked, deduplicated, capped.
    pub hits: Vec<Hit>,
    /// Services that ran out of time (their hits so far are included).
    pub expired: Vec<&'static str>,
    /// Whether one of them is not [best effort](SearchService::best_effort): its missing hits
    /// leave the answer short.
    pub short: bool,
    /// Services that failed, with why.
    pub failed: Vec<(&'static str, String)>,
    /// Items of work all services did.
    pub work: u64,
}

impl Outcome {
    /// Whether the answer is final, worth caching: no service failed, and every one that ran out
    /// of time was best effort.
    pub fn is_final(&self) -> bool {
        self.failed.is_empty() && !self.short
    }
}

enum Msg {
    Batch(Vec<Hit>),
    Done(usize, Result<(), Stop>, u64),
    Panicked(usize, String),
}

/// Runs a fixed set of services.
#[derive(Clone, Default)]
pub struct Coordinator {
    pub slots: Vec<Slot>,
}

impl Coordinator {
    pub fn new(slots: Vec<Slot>) -> Coordinator {
        Coordinator { slots }
    }

    /// Runs every service on `query` until all finish, `deadline` passes, or `cancel` is set.
    /// `on_batch` receives each batch's new hits, ranked, as they arrive.
    pub fn run(
        &self,
        query: &Query,
        cancel: &Cancel,
        deadline: Duration,
        on_batch: &mut dyn FnMut(Vec<Hit>),
    ) -> Result<Outcome, Cancelled> {
        let start = Instant::now();
        let overall = start + deadline;
        let expired = Cancel::new();
        let mut agg = Aggregator::new(query.limit);
        let mut outcome = Outcome::default();
        let (tx, rx) = mpsc::channel::<Msg>();
        std::thread::scope(|scope| {
            for (i, slot) in self.slots.iter().enumerate() {
                let tx = tx.clone();
                let expired = &expired;
                let budget = (start + slot.budget).min(overall);
                let spawned = std::thread::Builder::new().name(format!("kg-ls {}", slot.service.name())).spawn_scoped(
                    scope,
                    move || {
                        let out = tx.clone();
                        let mut emit = |hits| {
                            let _ = out.send(Msg::Batch(hits));
                        };
                        let mut ctl = Control::new(cancel, Some(budget), &mut emit).with_expiry(expired);
                        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            slot.service.search(query, &mut ctl)
                        }));
                        let work = ctl.work();
                        let _ = tx.send(match result {
                            Ok(r) => Msg::Done(i, r, work),
                            Err(p) => Msg::Panicked(i, panic_message(&p)),
                        });
                    },
                );
                if let Err(e) = spawned {
                    outcome.failed.push((slot.service.name(), format!("cannot start a thread: {e}")));
                }
            }
            drop(tx);
            let mut late = false;
            loop {
                let msg = if late {
                    rx.recv().ok()
                } else {
                    match rx.recv_timeout(overall.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            // Tell the late services to stop; their hits no longer count.
                            expired.cancel();
                            late = true;
                            continue;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => None,
                    }
                };
                let Some(msg) = msg else { break };
                match msg {
                    Msg::Batch(hits) if !late && !cancel.is_cancelled() => {
                        let fresh = agg.add(hits);
                        if !fresh.is_empty() {
                            on_batch(fresh);
                        }
                    }
                    Msg::Batch(_) => {}
                    Msg::Done(i, r, work) => {
                        outcome.work += work;
                        if r == Err(Stop::Expired) || (late && r.is_ok()) {
                            let service = &self.slots[i].service;
                            outcome.expired.push(service.name());
                            outcome.short |= !service.best_effort();
                        }
                    }
                    Msg::Panicked(i, why) => {
                        let name = self.slots[i].service.name();
                        tracing::error!("search service {name} failed: {why}");
                        outcome.failed.push((name, why));
                    }
                }
            }
        });
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        for name in &outcome.expired {
            tracing::debug!("search service {name} ran out of time for {:?}", query.text);
        }
        outcome.hits = agg.finish();
        Ok(outcome)
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".to_string())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::search::{HitKind, Quality};

    /// A service that works item by item, slowly, until told to stop; it counts every item.
    struct Slow {
        name: &'static str,
        items: AtomicU64,
        /// Items to do before answering; `u64::MAX` never finishes by itself.
        total: u64,
        panic: bool,
        best_effort: bool,
    }

    impl Slow {
        fn new(name: &'static str, total: u64) -> Arc<Slow> {
            Arc::new(Slow { name, items: AtomicU64::new(0), total, panic: false, best_effort: false })
        }
    }

    impl SearchService for Slow {
        fn name(&self) -> &'static str {
            self.name
        }

        fn best_effort(&self) -> bool {
            self.best_effort
        }

        fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
            assert!(!self.panic, "deliberate failure");
            for i in 0..self.total {
                ctl.step()?;
                self.items.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(20));
                if i == 0 {
                    ctl.emit(vec![Hit {
                        name: format!("{} {}", self.name, query.text),
                        kind: HitKind::Line,
                        container: None,
                        path: PathBuf::from(self.name),
                        line: 0,
                        quality: Quality::Text,
                        key_len: 1,
                    }]);
                }
            }
            Ok(())
        }
    }

    fn coordinator(services: &[Arc<Slow>]) -> Coordinator {
        Coordinator::new(
            services
                .iter()
                .map(|s| Slot { service: s.clone() as Arc<dyn SearchService>, budget: Duration::from_secs(60) })
                .collect(),
        )
    }

    #[test]
    fn cancel_stops_every_service_and_no_work_follows() {
        let services = [Slow::new("a", u64::MAX), Slow::new("b", u64::MAX), Slow::new("c", u64::MAX)];
        let coord = coordinator(&services);
        let cancel = Cancel::new();
        let canceller = cancel.clone();
        let mut streamed = 0;
        let result = std::thread::scope(|s| {
            let watcher = s.spawn(|| {
                // Cancel once every service has started working.
                while services.iter().any(|s| s.items.load(Ordering::SeqCst) < 10) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let at_cancel: Vec<u64> = services.iter().map(|s| s.items.load(Ordering::SeqCst)).collect();
                canceller.cancel();
                at_cancel
            });
            let r = coord.run(&Query::new("q", 10), &cancel, Duration::from_secs(60), &mut |b| streamed += b.len());
            (r, watcher.join().unwrap())
        });
        let (r, at_cancel) = result;
        assert_eq!(r, Err(Cancelled));
        assert_eq!(streamed, 3, "each service's first batch streamed before the cancel");
        // `run` has returned, so every thread was joined: the counts are final.
        let after: Vec<u64> = services.iter().map(|s| s.items.load(Ordering::SeqCst)).collect();
        std::thread::sleep(Duration::from_millis(20));
        for ((s, before), final_) in services.iter().zip(&at_cancel).zip(&after) {
            assert_eq!(s.items.load(Ordering::SeqCst), *final_, "{} kept working after run returned", s.name);
            assert!(
                final_ - before <= crate::search::CHECK_EVERY,
                "{}: {} items after the cancel",
                s.name,
                final_ - before
            );
        }
    }

    #[test]
    fn the_deadline_answers_with_what_arrived_and_failures_are_isolated() {
        let fast = Slow::new("fast", 1);
        let slow = Slow::new("slow", u64::MAX);
        let broken =
            Arc::new(Slow { name: "broken", items: AtomicU64::new(0), total: 1, panic: true, best_effort: false });
        let coord = coordinator(&[fast, slow.clone(), broken]);
        let out = coord.run(&Query::new("q", 10), &Cancel::new(), Duration::from_millis(50), &mut |_| {}).unwrap();
        let names: Vec<&str> = out.hits.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["fast q", "slow q"]);
        assert_eq!(out.expired, ["slow"]);
        assert_eq!(out.failed.len(), 1);
        assert_eq!(out.failed[0].0, "broken");
        assert!(!out.is_final());
        let stopped = slow.items.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(slow.items.load(Ordering::SeqCst), stopped, "the late service was stopped and joined");
    }

    /// An answer is final (cached) when no service failed and every service that ran out of
    /// time is best effort; the rule reads the services, not their names.
    #[test]
    fn only_best_effort_services_may_run_out_of_time_in_a_final_answer() {
        let service = |name, total, panic, best_effort| {
            Arc::new(Slow { name, items: AtomicU64::new(0), total, panic, best_effort })
        };
        let cases = [
            ("all finish", vec![service("a", 1, false, false), service("b", 1, false, true)]),
            ("a best-effort one is late", vec![service("a", 1, false, false), service("b", u64::MAX, false, true)]),
            ("a required one is late", vec![service("a", u64::MAX, false, false), service("b", 1, false, true)]),
            ("a best-effort one fails", vec![service("a", 1, false, false), service("b", 1, true, true)]),
        ];
        let mut out = String::new();
        for (case, services) in cases {
            let o = coordinator(&services)
                .run(&Query::new("q", 10), &Cancel::new(), Duration::from_millis(30), &mut |_| {})
                .unwrap();
            let failed: Vec<&str> = o.failed.iter().map(|f| f.0).collect();
            out += &format!("{case}: final {}, expired {:?}, failed {failed:?}\n", o.is_final(), o.expired);
        }
        expect_test::expect![[r#"
            all finish: final true, expired [], failed []
            a best-effort one is late: final true, expired ["b"], failed []
            a required one is late: final false, expired ["a"], failed []
            a best-effort one fails: final false, expired [], failed ["b"]
        "#]]
        .assert_eq(&out);
    }
}
