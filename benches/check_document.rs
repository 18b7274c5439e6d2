//! `check_document` on one 2,000-line markdown document against a graph of about 100k
//! concepts, with the avoided-term, non-canonical-term and near-miss checks on, beside
//! pulldown-cmark's parse of the same text (which every run of the checks pays) as the baseline
//! of the same run. Also times `Terminology::build` on that graph once.
//!
//! ```sh
//! cargo bench --bench check_document
//! KG_LS_BENCH_RUNS=500 cargo bench --bench check_document
//! ```
//!
//! The document is [`kg_ls::synth::generate_prose`] text (function words, graph vocabulary and
//! term mentions, half of them by synonyms) cut to 2,000 lines, with a fenced code block every
//! hundred lines and twenty misspelt multi-word terms, so each check finds something.

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "common/fmt.rs"]
mod fmt;

use fmt::{ms, pct};
use kg_ls::check::{CheckId, Level, Levels, Terminology, check_document};
use kg_ls::kg::{Graph, parse_concept_file};
use kg_ls::synth::{GenConfig, ProseConfig, generate, generate_prose};
use pulldown_cmark::{Options, Parser};

const LINES: usize = 2_000;

fn main() {
    let runs: usize = std::env::var("KG_LS_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    let synth = generate(&GenConfig::new(160_000));
    let avoided: Vec<&str> = synth.words.iter().skip(500).take(20).map(String::as_str).collect();
    let mut files = synth.to_kg_files();
    let avoiding = format!("# avoided words\n\navoid:: {}\n", avoided.join(", "));
    files.push(parse_concept_file(std::path::Path::new("kg/avoided words.md"), &avoiding));
    let graph = Graph::from_files(&files);
    let start = Instant::now();
    let terms = Terminology::build(&graph);
    let build = start.elapsed();

    let text = document(&synth);
    let words = text.split_whitespace().count();
    let mut levels = Levels::default();
    let avoided_only = levels;
    levels.set(CheckId::NonCanonicalTerm, Level::Hint);
    levels.set(CheckId::NearMiss, Level::Hint);
    let findings = check_document(&text, &terms, &levels);
    let count = |c: CheckId| findings.iter().filter(|f| f.check == c).count();

    println!(
        "# check_document benchmark ({} concepts, {} terms; {LINES} lines, {words} words, {} bytes)\n",
        graph.len(),
        graph.term_count(),
        text.len()
    );
    println!("Terminology::build: {:.1} ms\n", build.as_secs_f64() * 1e3);
    println!(
        "Findings with all three on: {} avoided-term, {} non-canonical-term, {} near-miss.\n",
        count(CheckId::AvoidedTerm),
        count(CheckId::NonCanonicalTerm),
        count(CheckId::NearMiss)
    );
    println!("| what ({runs} runs) | median ms | p99 ms | max ms |");
    println!("|---|---|---|---|");
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    row("pulldown-cmark parse (baseline)", runs, || {
        black_box(Parser::new_ext(&text, opts).into_offset_iter().count());
    });
    row("check_document, avoided-term only (default levels)", runs, || {
        black_box(check_document(&text, &terms, &avoided_only));
    });
    let mut with_synonyms = avoided_only;
    with_synonyms.set(CheckId::NonCanonicalTerm, Level::Hint);
    row("check_document, avoided + non-canonical", runs, || {
        black_box(check_document(&text, &terms, &with_synonyms));
    });
    let mut with_near = avoided_only;
    with_near.set(CheckId::NearMiss, Level::Hint);
    row("check_document, avoided + near-miss", runs, || {
        black_box(check_document(&text, &terms, &with_near));
    });
    row("check_document, avoided + non-canonical + near-miss", runs, || {
        black_box(check_document(&text, &terms, &levels));
    });
}

fn row(name: &str, runs: usize, mut f: impl FnMut()) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!("| {name} | {} | {} | {} |", ms(pct(&times, 0.5)), ms(pct(&times, 0.99)), ms(times[times.len() - 1]));
}

/// Generated prose cut to [`LINES`] lines, with code blocks and misspelt terms.
fn document(synth: &kg_ls::synth::GenGraph) -> String {
    let mut cfg = ProseConfig::new(40);
    cfg.words = (2_000, 3_000);
    let prose: String = generate_prose(synth, &cfg).into_iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n");
    // Misspellings of twenty multi-word terms: the last word's two middle letters swapped.
    let typos: Vec<String> = synth
        .terms
        .iter()
        .filter(|t| t.text.contains(' ') && t.text.rsplit(' ').next().is_some_and(|w| w.len() >= 6))
        .step_by(997)
        .take(20)
        .map(|t| {
            let (head, last) = t.text.rsplit_once(' ').expect("two words");
            let mut b = last.as_bytes().to_vec();
            let m = b.len() / 2;
            b.swap(m, m + 1);
            format!("{head} {}", String::from_utf8(b).expect("ASCII"))
        })
        .collect();
    let mut out = String::new();
    for (i, line) in prose.lines().take(LINES).enumerate() {
        if i % 100 == 50 {
            out += "```rust\nlet pool = worker::Pool::new(4);\n```\n";
        }
        out += line;
        if i % 100 == 20 && !line.is_empty() {
            out += &format!(" Some write {} here.", typos[(i / 100) % typos.len()]);
        }
        out.push('\n');
    }
    out
}
