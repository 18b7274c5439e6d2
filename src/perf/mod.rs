//! The performance monitor: per-method latency histograms and outcome counts, process memory
//! and CPU samples in a bounded ring, cache and index figures, and alerts with rate limits.
//!
//! Cheap enough to stay on: recording a request is one short lock and a histogram increment.
//! It measures nothing by itself (callers record requests and take process samples, see
//! [`process`]) and knows nothing of protocol types; [`Monitor::stats`] returns plain data that
//! the LSP layer serializes.

pub mod process;

use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

pub use process::{ProcessSample, ProcessSampler};

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Error,
    Cancelled,
    /// The request was answered but ran out of its time budget.
    TimedOut,
}

/// Latency budgets (p95) per method, from the performance guide.
pub fn default_budget(method: &str) -> Option<Duration> {
    Some(Duration::from_millis(match method {
        "textDocument/completion" | "completionItem/resolve" => 10,
        "textDocument/hover" => 16,
        "workspace/symbol" => 200,
        "textDocument/definition" => 50,
        _ => return None,
    }))
}

/// Monitor settings.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Resident memory above which an alert fires.
    pub memory_limit_bytes: u64,
    /// Process samples kept.
    pub history: usize,
    /// The least time between two alerts of the same kind.
    pub alert_interval: Duration,
    /// Requests a method needs before its p95 is judged.
    pub min_samples: u64,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            memory_limit_bytes: 100 << 20,
            history: 600,
            alert_interval: Duration::from_secs(60),
            min_samples: 20,
        }
    }
}

struct MethodStats {
    count: u64,
    errors: u64,
    cancelled: u64,
    timeouts: u64,
    /// Microseconds.
    latency: Histogram<u64>,
}

impl MethodStats {
    fn new() -> MethodStats {
        MethodStats {
            count: 0,
            errors: 0,
            cancelled: 0,
            timeouts: 0,
            latency: Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid histogram bounds"),
        }
    }
}

/// Figures of one method.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodFigures {
    pub method: String,
    pub count: u64,
    pub errors: u64,
    pub cancelled: u64,
    pub timeouts: u64,
    pub p50_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

/// Everything the monitor knows, as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub uptime_secs: f64,
    pub requests: u64,
    pub error_rate: f64,
    /// Requests per second over the uptime.
    pub throughput: f64,
    pub methods: Vec<MethodFigures>,
    /// The latest process sample, if one was taken.
    pub process: Option<ProcessSample>,
    pub peak_rss_bytes: Option<u64>,
    /// Figures that other modules report (index sizes, cache levels), by name.
    pub gauges: Vec<(String, f64)>,
    pub alerts: Vec<String>,
}

/// An alert to show the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub key: String,
    pub message: String,
}

/// The monitor; shared behind `Arc`, all methods take `&self`.
pub struct Monitor {
    config: Mutex<MonitorConfig>,
    started: Instant,
    methods: Mutex<HashMap<String, MethodStats>>,
    samples: Mutex<VecDeque<ProcessSample>>,
    gauges: Mutex<HashMap<String, f64>>,
    alerts: Mutex<AlertState>,
}

#[derive(Default)]
struct AlertState {
    last: HashMap<String, Instant>,
    recent: VecDeque<String>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor::new(MonitorConfig::default())
    }
}

impl Monitor {
    pub fn new(config: MonitorConfig) -> Monitor {
        Monitor {
            config: Mutex::new(config),
            started: Instant::now(),
            methods: Mutex::default(),
            samples: Mutex::default(),
            gauges: Mutex::default(),
            alerts: Mutex::default(),
        }
    }

    /// Replaces the settings (after the workspace configuration is read).
    pub fn set_config(&self, config: MonitorConfig) {
        *self.config.lock() = config;
    }

    fn config(&self) -> MonitorConfig {
        self.config.lock().clone()
    }

    /// Records one answered request.
    pub fn record(&self, method: &str, elapsed: Duration, outcome: Outcome) {
        let mut methods = self.methods.lock();
        let m = methods.entry(method.to_string()).or_insert_with(MethodStats::new);
        m.count += 1;
        match outcome {
            Outcome::Ok => {}
            Outcome::Error => m.errors += 1,
            Outcome::Cancelled => m.cancelled += 1,
            Outcome::TimedOut => m.timeouts += 1,
        }
        let us = (elapsed.as_micros() as u64).clamp(1, 60_000_000);
        m.latency.saturating_record(us);
    }

    /// Adds a process sample to the bounded history.
    pub fn add_sample(&self, sample: ProcessSample) {
        let history = self.config().history.max(1);
        let mut samples = self.samples.lock();
        while samples.len() >= history {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// Sets a named figure reported by another module (an index size, a cache hit rate).
    pub fn set_gauge(&self, name: &str, value: f64) {
        self.gauges.lock().insert(name.to_string(), value);
    }

    /// Alerts due now: a method whose p95 exceeds its budget, or memory above the limit. Each
    /// kind fires at most once per alert interval.
    pub fn check_alerts(&self, budget: &dyn Fn(&str) -> Option<Duration>) -> Vec<Alert> {
        let config = self.config();
        let mut due = Vec::new();
        {
            let methods = self.methods.lock();
            for (name, m) in methods.iter() {
                let Some(b) = budget(name) else { continue };
                if m.count < config.min_samples {
                    continue;
                }
                let p95 = Duration::from_micros(m.latency.value_at_quantile(0.95));
                if p95 > b {
                    due.push(Alert {
                        key: format!("latency:{name}"),
                        message: format!(
                            "{name} is slow: p95 {:.1} ms over its {:.0} ms budget ({} requests, p99 {:.1} ms)",
                            p95.as_secs_f64() * 1e3,
                            b.as_secs_f64() * 1e3,
                            m.count,
                            m.latency.value_at_quantile(0.99) as f64 / 1e3
                        ),
                    });
                }
            }
        }
        if let Some(s) = self.samples.lock().back()
            && let Some(rss) = s.rss_bytes.filter(|&r| r > config.memory_limit_bytes)
        {
            {
                due.push(Alert {
                    key: "memory".to_string(),
                    message: format!(
                        "memory is high: {:.1} MB resident, over the {:.0} MB limit",
                        rss as f64 / 1048576.0,
                        config.memory_limit_bytes as f64 / 1048576.0
                    ),
                });
            }
        }
        let now = Instant::now();
        let mut state = self.alerts.lock();
        due.retain(|a| {
            let fire = state.last.get(&a.key).is_none_or(|&t| now.duration_since(t) >= config.alert_interval);
            if fire {
                state.last.insert(a.key.clone(), now);
            }
            fire
        });
        for a in &due {
            if state.recent.len() == 20 {
                state.recent.pop_front();
            }
            state.recent.push_back(a.message.clone());
        }
        due
    }

    pub fn stats(&self) -> Stats {
        let methods = self.methods.lock();
        let mut figures: Vec<MethodFigures> = methods
            .iter()
            .map(|(name, m)| MethodFigures {
                method: name.clone(),
                count: m.count,
                errors: m.errors,
                cancelled: m.cancelled,
                timeouts: m.timeouts,
                p50_us: m.latency.value_at_quantile(0.50),
                p95_us: m.latency.value_at_quantile(0.95),
                p99_us: m.latency.value_at_quantile(0.99),
                max_us: m.latency.max(),
                mean_us: m.latency.mean(),
            })
            .collect();
        figures.sort_by(|a, b| b.count.cmp(&a.count).then(a.method.cmp(&b.method)));
        let requests: u64 = figures.iter().map(|f| f.count).sum();
        let errors: u64 = figures.iter().map(|f| f.errors).sum();
        let uptime = self.started.elapsed().as_secs_f64();
        let samples = self.samples.lock();
        let mut gauges: Vec<(String, f64)> = self.gauges.lock().iter().map(|(k, v)| (k.clone(), *v)).collect();
        gauges.sort_by(|a, b| a.0.cmp(&b.0));
        Stats {
            uptime_secs: uptime,
            requests,
            error_rate: if requests == 0 { 0.0 } else { errors as f64 / requests as f64 },
            throughput: if uptime > 0.0 { requests as f64 / uptime } else { 0.0 },
            methods: figures,
            process: samples.back().cloned(),
            peak_rss_bytes: samples.iter().filter_map(|s| s.peak_rss_bytes.or(s.rss_bytes)).max(),
            gauges,
            alerts: self.alerts.lock().recent.iter().cloned().collect(),
        }
    }

    /// A one-paragraph summary for the log at shutdown.
    pub fn summary(&self) -> String {
        let s = self.stats();
        let mut out =
            format!("{} requests in {:.0} s, error rate {:.3}%", s.requests, s.uptime_secs, s.error_rate * 100.0);
        for m in s.methods.iter().take(8) {
            out += &format!(
                "; {} n={} p50={:.2}ms p99={:.2}ms",
                m.method,
                m.count,
                m.p50_us as f64 / 1e3,
                m.p99_us as f64 / 1e3
            );
        }
        if let Some(peak) = s.peak_rss_bytes {
            out += &format!("; peak RSS {:.1} MB", peak as f64 / 1048576.0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_outcomes_and_rate_limited_alerts() {
        let m = Monitor::new(MonitorConfig { min_samples: 5, memory_limit_bytes: 1000, ..Default::default() });
        for i in 1..=100u64 {
            m.record("textDocument/completion", Duration::from_micros(i * 100), Outcome::Ok);
        }
        m.record("textDocument/completion", Duration::from_millis(1), Outcome::Cancelled);
        m.record("textDocument/hover", Duration::from_millis(1), Outcome::Error);
        let s = m.stats();
        let c = &s.methods[0];
        assert_eq!((c.method.as_str(), c.count, c.cancelled), ("textDocument/completion", 101, 1));
        assert!((9_400..=9_700).contains(&c.p95_us), "{}", c.p95_us);
        assert!((4_900..=5_100).contains(&c.p50_us), "{}", c.p50_us);
        assert_eq!(s.requests, 102);
        assert!((s.error_rate - 1.0 / 102.0).abs() < 1e-9);

        let budget = |method: &str| (method == "textDocument/completion").then(|| Duration::from_millis(5));
        m.add_sample(ProcessSample {
            at_secs: 0.0,
            rss_bytes: Some(5000),
            peak_rss_bytes: Some(6000),
            cpu_percent: Some(1.0),
            ..Default::default()
        });
        let alerts = m.check_alerts(&budget);
        let keys: Vec<&str> = alerts.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["latency:textDocument/completion", "memory"]);
        assert!(alerts[0].message.contains("over its 5 ms budget"), "{}", alerts[0].message);
        assert!(m.check_alerts(&budget).is_empty(), "rate-limited");
        assert_eq!(m.stats().alerts.len(), 2);
        assert_eq!(m.stats().peak_rss_bytes, Some(6000));
    }

    #[test]
    fn history_is_bounded() {
        let m = Monitor::new(MonitorConfig { history: 3, ..Default::default() });
        for i in 0..10 {
            m.add_sample(ProcessSample {
                at_secs: i as f64,
                rss_bytes: Some(i),
                peak_rss_bytes: None,
                cpu_percent: None,
                ..Default::default()
            });
        }
        assert_eq!(m.samples.lock().len(), 3);
        assert_eq!(m.stats().process.unwrap().at_secs, 9.0);
    }
}
