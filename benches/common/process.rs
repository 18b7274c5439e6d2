//! Figures of a server process read from `/proc`, shared by the end-to-end benchmarks
//! (`benches/lsp.rs`, `benches/main_loop.rs` and `benches/search_index.rs` include this file by
//! path): memory fields, CPU time, and waiting until the process is quiet. Reads only; each
//! benchmark uses some of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), in KiB.
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// CPU time of every live thread of `pid`, in nanoseconds (`schedstat`: time on a CPU). A
/// thread that ends takes its share with it, so differences are clamped at zero.
pub fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Waits until the server has used under 2 ms of CPU in 200 ms (its background work is done),
/// at most `limit`.
pub fn wait_quiet(pid: u32, limit: Duration) {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        let at = cpu_ns(pid);
        std::thread::sleep(Duration::from_millis(200));
        if cpu_ns(pid).saturating_sub(at) < 2_000_000 {
            return;
        }
    }
    println!("  (the server never went quiet in {} s)", limit.as_secs());
}
