//! End-to-end hover benchmark: the release `kg-ls` binary over stdio on a copy of the Terraphim
//! fixtures, timing hover request round trips as an editor sees them.
//!
//! Uses the integration tests' client (tests/common). Hovers cycle over terms of markdown
//! concepts and thesaurus concepts; the first hover of each term renders cold, the rest come
//! from the cache. Prints p50/p95/p99 beside the target. Run with `cargo bench --bench hover_lsp`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Client, Workspace};
use serde_json::Value;

const N: usize = 5_000;

fn main() {
    let ws = Workspace::new(&[(".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"thesaurus_Default.json\"]\n")]);
    ws.copy_fixture("terraphim/docs/src/kg", "kg");
    ws.copy_fixture("terraphim/terraphim_server/fixtures/thesaurus_Default.json", "thesaurus_Default.json");
    let mut c = Client::start(&ws.root(), Value::Null);
    let line = "bun install, knowledge graph, learnings-system, haystack, life cycle models, terraphim-graph";
    let uri = c.open(&ws.path("notes.md"), line);
    let columns: Vec<u32> = ["bun", "knowledge", "learnings", "haystack", "life", "terraphim-graph"]
        .iter()
        .map(|w| line.find(w).unwrap() as u32 + 2)
        .collect();
    // Wait for indexing: the first request blocks until the graph is loaded.
    let first = c.request("textDocument/hover", Client::position_params(&uri, 0, columns[0]));
    assert!(first["contents"]["value"].as_str().is_some_and(|v| v.contains("bun install")), "{first}");

    let mut cold = Vec::new();
    let mut samples = Vec::with_capacity(N);
    for i in 0..N {
        let col = columns[i % columns.len()];
        let t = Instant::now();
        let r = c.request("textDocument/hover", Client::position_params(&uri, 0, col));
        let d = t.elapsed();
        assert!(r["contents"]["value"].is_string(), "{r}");
        if i < columns.len() {
            cold.push(d);
        }
        samples.push(d);
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    println!("\n{:<44} {:>10} {:>10} {:>10}   target", "hover round trip through the server", "p50", "p95", "p99");
    println!(
        "{:<44} {:>10} {:>10} {:>10}   p99 ≤ 2000 µs",
        format!("{N} hovers, {} terms, Terraphim fixtures", columns.len()),
        us(at(0.50)),
        us(at(0.95)),
        us(at(0.99))
    );
    println!("first (cold) hover of each term: {}", cold.iter().map(|d| us(*d)).collect::<Vec<_>>().join(", "));
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}
