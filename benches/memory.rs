//! Where the server's memory goes: loads a generated workspace the way the server does and
//! prints the live heap after each stage, measured by a counting global allocator.
//!
//! Run: `cargo bench --bench memory` (150k terms, 10k documents, like `benches/lsp.rs`);
//! `KG_LS_BENCH=large` for 1M terms and 20k documents, `KG_LS_BENCH=small` for 20k and 1k;
//! `KG_LS_BENCH_KG=files` writes the graph as one markdown concept file per concept instead of
//! one thesaurus JSON file.
//! Heap bytes are exact; resident memory (what the targets speak of) adds the binary, stacks
//! and allocator slack, and is measured end to end by `cargo bench --bench lsp`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kg_ls::search::SearchIndex;
use kg_ls::synth::{GenConfig, generate, generate_documents, write_documents};
use kg_ls::workspace::{Workspace, load};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mb(bytes: usize) -> String {
    format!("{:8.1} MB", bytes as f64 / (1 << 20) as f64)
}

struct Report {
    last: usize,
    terms: usize,
    at: Instant,
}

impl Report {
    fn stage(&mut self, name: &str) {
        let live = LIVE.load(Ordering::Relaxed);
        let delta = live as isize - self.last as isize;
        println!(
            "{name:<44} {} live {:>+9.1} MB {:>7.1} B/term  peak {} {:6.2} s  RSS {}",
            mb(live),
            delta as f64 / (1 << 20) as f64,
            delta as f64 / self.terms as f64,
            mb(PEAK.load(Ordering::Relaxed)),
            self.at.elapsed().as_secs_f64(),
            rss_mb()
        );
        self.at = Instant::now();
        self.last = live;
    }
}

/// Resident memory of this process, from `/proc` (Linux).
fn rss_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<f64>().ok());
    kb.map_or("unknown".to_string(), |kb| format!("{:.1} MB", kb / 1024.0))
}

fn main() {
    // The allocator as the server sets it, so the RSS column is the server's.
    kg_ls::perf::process::tune_allocator();
    let (terms, files) = match std::env::var("KG_LS_BENCH").as_deref() {
        Ok("large") => (1_000_000, 20_000),
        Ok("small") => (20_000, 1_000),
        _ => (150_000, 10_000),
    };
    let layout =
        if std::env::var("KG_LS_BENCH_KG").is_ok_and(|v| v == "files") { "concept files" } else { "thesaurus" };
    println!("kg-ls heap by stage: {terms} terms ({layout}), {files} documents");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    // `KG_LS_BENCH_KG=files`: one markdown concept file per concept instead of one thesaurus.
    let concept_files = std::env::var("KG_LS_BENCH_KG").is_ok_and(|v| v == "files");
    {
        let graph = generate(&GenConfig::new(terms));
        if concept_files {
            graph.write_concept_files(&root.join("kg")).unwrap();
        } else {
            graph.write_thesaurus(&root.join("kg.json")).unwrap();
        }
        write_documents(&root, &generate_documents(&graph, files, 7)).unwrap();
    }
    let source = if concept_files { "kg" } else { "kg.json" };
    std::fs::write(root.join(".kg-ls.toml"), format!("[kg]\npaths = [\"{source}\"]\n")).unwrap();
    kg_ls::perf::process::release_free_memory();
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let mut r = Report { last: LIVE.load(Ordering::Relaxed), terms, at: Instant::now() };
    r.stage("start");

    // The stages of `workspace::load`, one by one, then the real thing.
    {
        let roots = std::slice::from_ref(&root);
        let (settings, _) = kg_ls::workspace::load_config_file(roots);
        let (config, _) = kg_ls::workspace::resolve(roots, None, &settings, &|p| p.exists());
        let (files, _) = kg_ls::kg::load_sources(&config.sources, &mut |_, _| {});
        let files: Vec<std::sync::Arc<kg_ls::kg::KgFile>> = files.into_iter().map(std::sync::Arc::new).collect();
        r.stage("parsed source files");
        let graph = kg_ls::kg::Graph::build(&files);
        r.stage("graph");
        let terms = kg_ls::index::TermIndex::build(&graph);
        r.stage("term index");
        let (docs, occurrences) =
            kg_ls::workspace::scan_documents(roots, &config.sources, Some(&terms), &mut |_, _| {});
        r.stage("document headings and term occurrences");
        drop((files, graph, terms, occurrences, docs));
        r.stage("dropped");
    }
    let t = Instant::now();
    let (config, loaded) = load(std::slice::from_ref(&root), None, &mut |_, _, _| {});
    r.stage("load: all of the above");
    let mut ws = Workspace::new(config, loaded);
    r.stage("workspace: + completion index");
    let analysis = ws.analysis(true);
    r.stage("analysis: + heading index");
    let search = SearchIndex::new(analysis.graph.clone(), analysis.terms.clone(), analysis.headings.clone());
    r.stage("search dictionaries");
    println!("built in {:.2} s", t.elapsed().as_secs_f64());
    let a = &analysis;
    println!(
        "{} concepts, {} terms, completion fst {} bytes ({:.1} B/key)",
        a.graph.len(),
        a.graph.term_count(),
        a.completion.main.fst_bytes(),
        a.completion.main.fst_bytes() as f64 / a.completion.main.key_count().max(1) as f64
    );
    kg_ls::perf::process::release_free_memory();
    r.stage("after malloc_trim (what the server keeps)");
    drop(search);
    drop(analysis);
    r.stage("after dropping the search and the snapshot");
    drop(ws);
    kg_ls::perf::process::release_free_memory();
    r.stage("after dropping the workspace, trimmed");
}
