//! `kg-ls check` on a generated workspace of 10k documents, timed as CI runs it: the real
//! binary, start to exit, median of 5 runs, beside `kg-ls query stats` on the same workspace
//! (which loads the workspace the same way and checks nothing) as the baseline of the same run.
//!
//! ```sh
//! cargo bench --bench check_cli                               # 10k documents
//! KG_LS_BENCH_DOCS=50000 cargo bench --bench check_cli        # another size
//! ```
//!
//! The graph ([`kg_ls::synth`]) has 20k terms in concept files, plus one concept that avoids
//! twenty of the graph's words (not its most frequent ones), so the document checks find some.
//! The issue's target is 2 s for 10k documents.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/fmt.rs"]
mod fmt;

use fmt::{fmt_ms, human};
use kg_ls::synth::{GenConfig, generate, generate_documents, write_documents};

const RUNS: usize = 5;

fn main() {
    let docs: usize = std::env::var("KG_LS_BENCH_DOCS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    let graph = generate(&GenConfig::new(20_000));
    graph.write_concept_files(&root.join("kg")).expect("write the concept files");
    let avoided: Vec<&str> = graph.words.iter().skip(500).take(20).map(String::as_str).collect();
    std::fs::write(root.join("kg/avoided words.md"), format!("# avoided words\n\navoid:: {}\n", avoided.join(", ")))
        .expect("write the avoiding concept");
    write_documents(root, &generate_documents(&graph, docs, 7)).expect("write the documents");
    let cache = tempfile::tempdir().expect("a cache folder");

    println!("# kg-ls check benchmark ({} documents, {} terms)\n", human(docs), human(graph.terms.len()));
    println!("| command | median | min | max |");
    println!("|---|---|---|---|");
    let ws = root.to_str().expect("a UTF-8 path");
    for (name, args) in [
        ("kg-ls query stats (baseline)", vec!["query", "--workspace", ws, "stats"]),
        ("kg-ls check", vec!["check", "--workspace", ws, "--fail-on", "off"]),
        ("kg-ls check --format sarif", vec!["check", "--workspace", ws, "--fail-on", "off", "--format", "sarif"]),
    ] {
        let mut times: Vec<Duration> = (0..RUNS).map(|_| run(&args, cache.path())).collect();
        times.sort();
        let ms = |d: Duration| fmt_ms(d.as_secs_f64() * 1e3);
        println!("| `{name}` | {} | {} | {} |", ms(times[RUNS / 2]), ms(times[0]), ms(times[RUNS - 1]));
    }
}

/// One run of the binary, start to exit; it must succeed.
fn run(args: &[&str], cache: &Path) -> Duration {
    let start = Instant::now();
    let out =
        Command::new(env!("CARGO_BIN_EXE_kg-ls")).args(args).env("KG_LS_CACHE_DIR", cache).output().expect("run kg-ls");
    let took = start.elapsed();
    assert!(out.status.success(), "kg-ls {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    took
}
