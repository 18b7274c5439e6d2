//! The background thread (rebuilds, search dictionaries, the warmer, saving the index,
//! process samples) and the process sampler that runs on it.
//!
//! Owns the lower priority of that thread and the allocator trims. Must not touch the
//! workspace: jobs get what they need when they are queued.

use super::*;

/// The least time between two trims of the allocator by the sampler.
const TRIM_EVERY: Duration = Duration::from_secs(10);

/// Background work (rebuilds, search dictionaries, the warmer, saving the index): one job at
/// a time, on a thread of its own at a lower priority, so requests get the cores first.
pub(super) struct Background {
    tx: Option<std::sync::mpsc::Sender<handlers::Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub(super) fn new() -> Background {
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

    pub(super) fn run(&self, job: impl FnOnce() + Send + 'static) {
        match &self.tx {
            Some(tx) => {
                let _ = tx.send(Box::new(job));
            }
            None => job(),
        }
    }

    /// Ends the thread after its current job, waiting until `until` at most.
    pub(super) fn stop(&mut self, until: Instant) {
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

/// Makes the calling thread yield the CPU to the others (a nice value of 10). Not
/// `SCHED_IDLE`: under load from other processes (a build beside the editor) that policy
/// would all but stop rebuilds, and the graph would stay stale.
pub(super) fn lower_priority() {
    // SAFETY: setpriority only reads its arguments; on Linux, `who = 0` is the calling thread.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Process figures into the monitor on an interval, and alerts as log messages.
pub(super) struct Sampler {
    pub(super) state: Arc<parking_lot::Mutex<SamplerState>>,
    pub(super) interval: Duration,
    pub(super) budgets: std::collections::BTreeMap<String, u64>,
    pub(super) next: Instant,
    /// A sample is being taken on the background thread.
    pub(super) busy: bool,
}

/// What the sampler keeps between samples, on the background thread.
#[derive(Default)]
pub(super) struct SamplerState {
    pub(super) sampler: ProcessSampler,
    pub(super) trimmed: Option<(Instant, u64)>,
}

impl MainLoop {
    /// (Re)configures the sampler and the monitor's alerts.
    pub(super) fn start_sampler(&mut self, settings: MonitorSettings) {
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
    pub(super) fn sample(&mut self, now: Instant) {
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
}
