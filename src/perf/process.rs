//! Process figures: resident memory (current and peak) and CPU use, read from `/proc` on
//! Linux. Elsewhere every figure is `None`, reported as unknown rather than as zero.

use std::time::Instant;

use serde::Serialize;

/// One sample of the process.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProcessSample {
    /// Seconds since the sampler started.
    pub at_secs: f64,
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// CPU time over wall time since the previous sample, in percent of one core.
    pub cpu_percent: Option<f64>,
    /// The C allocator's figures (glibc only): bytes handed out from its heaps, bytes its
    /// heaps hold free (resident or not), and bytes in blocks mapped on their own (their
    /// untouched pages are not resident).
    pub heap_in_use_bytes: Option<u64>,
    pub heap_free_bytes: Option<u64>,
    pub heap_mapped_bytes: Option<u64>,
}

/// Takes samples; CPU% needs the previous sample's CPU time.
pub struct ProcessSampler {
    started: Instant,
    last: Option<(Instant, f64)>,
    /// The allocator's figures and when they were read: reading them walks every free block
    /// of every arena under its lock (milliseconds in a large heap, and the request threads
    /// wait for the lock), so they are read at most every [`HEAP_EVERY`].
    heap: Option<(Instant, HeapFigures)>,
    heap_every: std::time::Duration,
}

/// Bytes in use in the allocator's heaps, free in them, and in mapped blocks.
type HeapFigures = (Option<u64>, Option<u64>, Option<u64>);

/// How often [`ProcessSampler::sample`] reads the allocator's figures.
pub const HEAP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl Default for ProcessSampler {
    fn default() -> Self {
        ProcessSampler { started: Instant::now(), last: None, heap: None, heap_every: HEAP_EVERY }
    }
}

impl ProcessSampler {
    /// A sampler that reads the allocator's figures at most every `every`.
    pub fn with_heap_every(every: std::time::Duration) -> ProcessSampler {
        ProcessSampler { heap_every: every, ..ProcessSampler::default() }
    }

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
        let (in_use, free, mapped) = match self.heap {
            Some((at, figures)) if now.duration_since(at) < self.heap_every => figures,
            _ => {
                let figures = heap();
                self.heap = Some((now, figures));
                figures
            }
        };
        ProcessSample {
            at_secs: now.duration_since(self.started).as_secs_f64(),
            rss_bytes: rss,
            peak_rss_bytes: peak,
            cpu_percent,
            heap_in_use_bytes: in_use,
            heap_free_bytes: free,
            heap_mapped_bytes: mapped,
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

/// The C allocator's bytes in use in its heaps, free in its heaps, and in mapped blocks.
fn heap() -> HeapFigures {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        let info = unsafe { libc::mallinfo2() };
        (Some(info.uordblks as u64), Some(info.fordblks as u64), Some(info.hblkhd as u64))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    (None, None, None)
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

/// Tunes the C allocator for a long-running server whose large structures are built once and
/// replaced whole, unless the environment sets the same parameter (`MALLOC_ARENA_MAX`,
/// `MALLOC_MMAP_THRESHOLD_`). Call before other threads start. No-op elsewhere.
///
/// - Blocks of 128 KiB and more are mapped on their own and unmapped when freed. glibc's
///   default raises that threshold after each large free, so the buffers of a load then stay
///   in the heaps as holes after it.
/// - Two arenas instead of eight per core: each thread that allocates during a load (the
///   blocking pool's, the document scanners) otherwise keeps its own partly free heap.
/// - No fast bins (`M_MXFAST` 0). Small freed blocks otherwise wait in fast bins until a
///   larger request consolidates the whole arena at once; with two arenas shared by every
///   thread, a request thread then pays for the hundreds of thousands of blocks a background
///   rebuild freed (`malloc_consolidate`), and a completion waits tens of milliseconds while
///   a large graph is rebuilt. `GLIBC_TUNABLES=glibc.malloc.mxfast=…` still overrides it.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            // SAFETY: mallopt only sets a tuning parameter.
            unsafe {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
        }
        if !std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("mxfast")) {
            // SAFETY: as above.
            unsafe {
                libc::mallopt(libc::M_MXFAST, 0);
            }
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            // SAFETY: as above.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
            }
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
        let mut s = ProcessSampler::with_heap_every(std::time::Duration::ZERO);
        let first = s.sample();
        assert!(first.rss_bytes.unwrap() > 1 << 20, "{first:?}");
        assert!(first.peak_rss_bytes.unwrap() >= first.rss_bytes.unwrap());
        assert_eq!(first.cpu_percent, None, "no previous sample yet");
        #[cfg(target_env = "gnu")]
        {
            // Other tests allocate meanwhile, and whether a block is mapped on its own depends
            // on glibc's moving threshold: only the sum is certain to grow.
            // Tests on other threads also free memory meanwhile: one of a few tries must see it.
            let total = |x: &ProcessSample| x.heap_in_use_bytes.unwrap() + x.heap_mapped_bytes.unwrap();
            let grew = (0..5).any(|_| {
                let before = s.sample();
                let big = std::hint::black_box(vec![1u8; 8 << 20]);
                let with = s.sample();
                drop(big);
                total(&with) >= total(&before) + (8 << 20) - (1 << 20)
            });
            assert!(grew, "an 8 MiB block never showed in the heap figures");
        }
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
