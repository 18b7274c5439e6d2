//! Number formats shared by the benchmarks (`benches/startup.rs`, `benches/lsp.rs`,
//! `benches/main_loop.rs` and the baseline crate's `benches/completion.rs` include this file by
//! path). Formatting and percentiles only; each uses some of it.
#![allow(dead_code)]

/// Milliseconds, with one decimal below 100.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 { format!("{ms:.0} ms") } else { format!("{ms:.1} ms") }
}

/// A term count as the tables name sizes: `10k`, `1M`.
pub fn human(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// The `p` quantile (0 to 1) of sorted durations; zero for none.
pub fn pct(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds with three decimals.
pub fn ms(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}
