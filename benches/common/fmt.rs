//! Number formats shared by the benchmarks' markdown tables (`benches/startup.rs` and the
//! baseline crate's `benches/completion.rs` include this file by path). Formatting only.

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
