//! Render benchmarks: a cold 10 KB definition, a cached hover, and a stream of 10,000 small
//! chunks, printed as percentiles beside the issue's targets.
//!
//! Measures with its own timer loop: percentiles of each render and the per-chunk streaming
//! cost, which a sampling harness's mean would not show. Run with `cargo bench --bench render`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use kg_ls::kg::{ConceptId, Graph, parse_concept_file};
use kg_ls::render::{Budget, Env, Format, NoLinks, RenderConfig, Renderer, Stream};
use kg_ls::vfs::MemFs;

/// About 10 KB of varied definition markdown.
fn definition_10k() -> String {
    let unit = "## Scheduling\n\nThe *runtime* schedules tasks on a [work-stealing](../pool.md) pool; see [[tokio runtime]] and <https://tokio.rs>.\n\n- spawn a task\n  - nested detail with `code`\n- join it\n\n| knob | default |\n|---|---|\n| workers | cores |\n\n```rust\nlet rt = tokio::runtime::Runtime::new()?;\nrt.block_on(async { 1 });\n```\n\n> Note: <b>blocking</b> calls stall a worker.\n\n";
    let mut s = String::new();
    while s.len() < 10 * 1024 {
        s += unit;
    }
    s
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    (at(0.50), at(0.95), at(0.99))
}

fn fmt(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let def = definition_10k();
    let file = format!("# tokio\n\n{def}");
    let graph = Graph::from_files(&[parse_concept_file(Path::new("/kg/tokio.md"), &file)]);
    let unlimited = RenderConfig { max_length: usize::MAX };

    // Percentiles: cold (a fresh renderer each time, so nothing is cached) and cached hovers.
    let warm = Renderer::new(unlimited);
    warm.render_concepts(&graph, &[ConceptId(0)], Format::Markdown, &NoLinks, &MemFs::default(), Budget::unlimited());
    let cold: Vec<Duration> = (0..500)
        .map(|_| {
            let r = Renderer::new(unlimited);
            let t = Instant::now();
            black_box(r.render_concepts(
                &graph,
                &[ConceptId(0)],
                Format::Markdown,
                &NoLinks,
                &MemFs::default(),
                Budget::unlimited(),
            ));
            t.elapsed()
        })
        .collect();
    let cut = Renderer::default();
    let cold_cut: Vec<Duration> = (0..500)
        .map(|_| {
            let r = Renderer::new(*cut.config());
            let t = Instant::now();
            black_box(r.render_concepts(
                &graph,
                &[ConceptId(0)],
                Format::Markdown,
                &NoLinks,
                &MemFs::default(),
                Budget::unlimited(),
            ));
            t.elapsed()
        })
        .collect();
    let cached: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            black_box(warm.render_concepts(
                &graph,
                &[ConceptId(0)],
                Format::Markdown,
                &NoLinks,
                &MemFs::default(),
                Budget::unlimited(),
            ));
            t.elapsed()
        })
        .collect();

    // Streaming: 10,000 chunks of 4 to 12 bytes; cost per chunk early versus at the end.
    let mut text = String::new();
    while text.len() < 10_000 * 8 {
        text += &def;
    }
    let mut chunks = Vec::new();
    let mut at = 0;
    for i in 0..10_000 {
        let mut end = (at + 4 + i % 9).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        chunks.push(&text[at..end]);
        at = end;
    }
    let mut s = Stream::new(Path::new("/kg/tokio.md"), Format::Markdown);
    let env = Env::new(&NoLinks);
    let per_chunk: Vec<Duration> = chunks
        .iter()
        .map(|chunk| {
            let t = Instant::now();
            s.append(chunk, env, Budget::within(Duration::from_millis(16)));
            t.elapsed()
        })
        .collect();
    let first = percentiles(per_chunk[..1000].to_vec());
    let last = percentiles(per_chunk[9000..].to_vec());
    let mean = |d: &[Duration]| d.iter().sum::<Duration>() / d.len() as u32;

    let (c50, c95, c99) = percentiles(cold);
    let (k50, k95, k99) = percentiles(cold_cut);
    let (h50, h95, h99) = percentiles(cached);
    println!("\n{:<46} {:>10} {:>10} {:>10}   target", "render", "p50", "p95", "p99");
    println!(
        "{:<46} {:>10} {:>10} {:>10}   p99 ≤ 1000 µs",
        "cold render, 10 KB definition (whole)",
        fmt(c50),
        fmt(c95),
        fmt(c99)
    );
    println!(
        "{:<46} {:>10} {:>10} {:>10}   (cut at 4000)",
        "cold render, 10 KB definition (default cut)",
        fmt(k50),
        fmt(k95),
        fmt(k99)
    );
    println!(
        "{:<46} {:>10} {:>10} {:>10}   p99 ≤ 50 µs",
        "cached hover, 10 KB definition",
        fmt(h50),
        fmt(h95),
        fmt(h99)
    );
    println!(
        "{:<46} {:>10} {:>10} {:>10}   ≤ 100 µs, flat",
        "stream append, chunks 1-1000",
        fmt(first.0),
        fmt(first.1),
        fmt(first.2)
    );
    println!(
        "{:<46} {:>10} {:>10} {:>10}   ≤ 100 µs, flat",
        "stream append, chunks 9001-10000",
        fmt(last.0),
        fmt(last.1),
        fmt(last.2)
    );
    println!(
        "stream: {} bytes in 10,000 chunks; mean per chunk {} (first 1000) vs {} (last 1000)",
        s.text().len(),
        fmt(mean(&per_chunk[..1000])),
        fmt(mean(&per_chunk[9000..]))
    );
}
