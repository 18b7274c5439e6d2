//! Process figures: resident memory (current and peak) and CPU use, read from `/proc` on
//! Linux. Elsewhere every figure is `None`, reported as unknown rather than as zero.

use std::time::Instant;

use serde::Serialize;

/// One sample of the process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessSample {
    /// Seconds since the sampler started.
    pub at_secs: f64,
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// CPU time over wall time since the previous sample, in percent of one core.
    pub cpu_percent: Option<f64>,
}

/// Takes samples; CPU% needs the previous sample's CPU time.
pub struct ProcessSampler {
    started: Instant,
    last: Option<(Instant, f64)>,
}

impl Default for ProcessSampler {
    fn default() -> Self {
        ProcessSampler { started: Instant::now(), last: None }
    }
}

impl ProcessSampler {
    pub fn sample(&mut self) -> ProcessSample {
        let now = Instant::now();
        let cpu = cpu_seconds();
        let cpu_percent = match (self.last, cpu) {
            (Some((t0, c0)), Some(c1)) => {
                let wall = now.duration_since(t0).as_secs_f64();
                (wall > 0.0).then(|| ((c1 - c0) / wall * 100.0).max(0.0))
            }
            _ => None,
        };
        if let Some(c) = cpu {
            self.last = Some((now, c));
        }
        let (rss, peak) = memory();
        ProcessSample {
            at_secs: now.duration_since(self.started).as_secs_f64(),
            rss_bytes: rss,
            peak_rss_bytes: peak,
            cpu_percent,
        }
    }
}

/// Current and peak resident set size, from `/proc/self/status` (`VmRSS`, `VmHWM`).
fn memory() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return (None, None) };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// User plus system CPU time of this process, from `/proc/self/stat`.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (utime + stime) / ticks as f64)
}

/// Limits the C allocator to four arenas, unless `MALLOC_ARENA_MAX` says otherwise. glibc's
/// default (eight per core) left 145 MB resident after the end-to-end session at 150k terms;
/// four gave 127 MB at the same completion latency, while two made the threads that read,
/// answer and write messages wait for arena locks (completion compute p50 80 µs -> 355 µs).
/// Call before other threads start. No-op elsewhere.
pub fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a tuning parameter.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 4);
        }
    }
}

/// Hands memory freed after a large build (a load, a rebuild) back to the system, so resident
/// memory reflects what is held rather than what was once needed. No-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn samples_read_real_figures_on_linux() {
        let mut s = ProcessSampler::default();
        let first = s.sample();
        assert!(first.rss_bytes.unwrap() > 1 << 20, "{first:?}");
        assert!(first.peak_rss_bytes.unwrap() >= first.rss_bytes.unwrap());
        assert_eq!(first.cpu_percent, None, "no previous sample yet");
        // Burn some CPU so the second sample sees it.
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let second = s.sample();
        assert!(second.cpu_percent.unwrap() > 5.0, "{second:?}");
    }
}
