//! Search at the scale of a real vault, through the real binary over stdio: at least 100k
//! concept files and 20k documents of real length, `workspace/symbol` with full text on
//! (uncached and cached), `kg-ls/search`, how long the text index takes to build, the first
//! symbols after a cold and a warm start, the first completion and symbols after a restart with
//! one concept file changed on disk, and peak resident memory. Every figure is printed next to
//! its target (issue 17).
//!
//! Run: `cargo bench --bench search_index`. Knobs:
//! - `KG_LS_BENCH_CONCEPTS` (default 117,000 concept files), `KG_LS_BENCH_TERMS_PER_CONCEPT`
//!   (default 8, so about 940k terms), `KG_LS_BENCH_DOCS` (default 20,000 documents of 300 to
//!   3,000 words), `KG_LS_BENCH_QUERIES` (default 400 distinct queries of each kind);
//! - `KG_LS_BENCH_BIN=/path/to/kg-ls` measures that binary instead of this build;
//!   `KG_LS_BENCH_BASELINE=/path/to/kg-ls` measures another build after it, in the same run and
//!   on the same workspace, and prints both side by side (what a build cannot do, such as
//!   `kg-ls/search` or the text index's progress, shows as "n/a");
//! - `KG_LS_BENCH_DIR=/some/dir` keeps the generated workspace there and reuses it on the next
//!   run with the same sizes (generation is seeded, so it is the same workspace); by default it
//!   lives in a temporary directory for one run.
//!
//! A quick look: `KG_LS_BENCH_CONCEPTS=5000 KG_LS_BENCH_DOCS=500 KG_LS_BENCH_QUERIES=100
//! cargo bench --bench search_index`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/fmt.rs"]
mod fmt;
#[path = "common/process.rs"]
mod process;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Client;
use fmt::{ms, pct};
use kg_ls::synth::{GenConfig, GenGraph, ProseConfig, Rng, Zipf, generate, generate_prose, write_documents};
use process::{status_kb, wait_quiet};
use serde_json::{Value, json};

/// The progress tokens of loading the graph and of building the text index.
const INDEXING: &str = "kg-ls/indexing";
const TEXT_INDEX: &str = "kg-ls/text-index";
/// LSP symbol kinds that kg-ls answers with: a concept, a heading, a line of text.
const KIND_KEY: u64 = 20;
const KIND_STRING: u64 = 15;
const KIND_FIELD: u64 = 8;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.replace(['_', ','], "").parse().ok()).unwrap_or(default)
}

struct Workspace {
    _dir: Option<tempfile::TempDir>,
    root: PathBuf,
    graph: GenGraph,
    concept_files: usize,
    documents: usize,
    /// Distinct `workspace/symbol` queries: prefixes of terms, whole terms, words of the prose.
    symbol_queries: Vec<String>,
    /// Distinct `kg-ls/search` queries, each with what kind of query it is.
    search_queries: Vec<(&'static str, String)>,
    /// A concept whose name the first-symbol probes look for.
    probe: String,
    /// A prefix that completes to something in any loaded graph.
    completion_prefix: String,
}

impl Workspace {
    /// The concept file of concept `i`, as `GenGraph::write_concept_files` names it.
    fn concept_file(&self, i: usize) -> PathBuf {
        self.root.join("kg").join(format!("{:04}", i / 1000)).join(format!("{}.md", self.graph.concepts[i].name))
    }
}

fn workspace() -> Workspace {
    let concepts = env_usize("KG_LS_BENCH_CONCEPTS", 117_000);
    let per_concept = env_usize("KG_LS_BENCH_TERMS_PER_CONCEPT", 8).max(1);
    let docs = env_usize("KG_LS_BENCH_DOCS", 20_000);
    let queries = env_usize("KG_LS_BENCH_QUERIES", 400).max(10);
    let t = Instant::now();
    // About `concepts` concepts: a name and 0 to 2(k − 1) synonyms each, uniformly; definitions
    // of one long sentence, as in Terraphim's own concept files (a heading, one or two
    // sentences, `synonyms::` and `related::` lines: about 300 bytes).
    let graph = generate(&GenConfig {
        definition_words: 24,
        terms_per_concept: Some(per_concept),
        ..GenConfig::new(concepts * per_concept)
    });
    let (dir, root) = match std::env::var_os("KG_LS_BENCH_DIR") {
        Some(base) => {
            let root = Path::new(&base).join(format!("search-index-{concepts}c-{per_concept}t-{docs}d-v1"));
            std::fs::create_dir_all(&root).unwrap();
            (None, root.canonicalize().unwrap())
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().canonicalize().unwrap();
            (Some(dir), root)
        }
    };
    let done = root.join(".generated");
    if done.exists() {
        println!("  reusing the workspace in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(root.join("kg"));
        let _ = std::fs::remove_dir_all(root.join("docs"));
        graph.write_concept_files(&root.join("kg")).unwrap();
        let prose = generate_prose(&graph, &ProseConfig::new(docs));
        write_documents(&root, &prose).unwrap();
        std::fs::write(root.join(".kg-ls.toml"), "[kg]\npaths = [\"kg\"]\n\n[search]\nfull_text = true\n").unwrap();
        std::fs::write(&done, "").unwrap();
    }
    let (bytes, words) = docs_size(&root.join("docs"));
    println!(
        "  {} concept files ({} terms), {docs} documents ({:.0} MB, {} words on average) in {:.1} s",
        graph.concepts.len(),
        graph.terms.len(),
        bytes as f64 / 1e6,
        words / docs.max(1) as u64,
        t.elapsed().as_secs_f64()
    );

    let mut rng = Rng::new(17);
    let mut sample = graph.frequency_sampler();
    let word_zipf = Zipf::new(graph.words.len(), 1.0);
    let mut seen = HashSet::new();
    let mut symbol_queries = Vec::new();
    while symbol_queries.len() < queries {
        let term = &graph.terms[sample(&mut rng)].text;
        let q: String = match symbol_queries.len() % 4 {
            0 | 1 => term.chars().take(3.max(term.chars().count() / 2)).collect(),
            2 => term.clone(),
            _ => graph.words[word_zipf.sample(&mut rng)].clone(),
        };
        if seen.insert(q.clone()) {
            symbol_queries.push(q);
        }
    }
    let mut search_queries = Vec::new();
    while search_queries.len() < queries {
        let t = &graph.terms[sample(&mut rng)];
        let concept = &graph.concepts[t.concept as usize];
        let q = match search_queries.len() % 10 {
            0..=2 => ("concept name", concept.name.clone()),
            3 | 4 => ("other term", t.text.clone()),
            5 | 6 => ("prose word", graph.words[word_zipf.sample(&mut rng)].clone()),
            7 => {
                let mut phrase = t.text.clone();
                for _ in 0..100 {
                    if phrase.contains(' ') {
                        break;
                    }
                    phrase = graph.terms[sample(&mut rng)].text.clone();
                }
                ("phrase", format!("\"{phrase}\""))
            }
            _ => {
                let last = &graph.words[rng.below(graph.words.len())];
                (
                    "two words, prefix",
                    format!("{} {}", graph.words[word_zipf.sample(&mut rng)], &last[..last.len().min(3)]),
                )
            }
        };
        if seen.insert(q.1.clone()) {
            search_queries.push(q);
        }
    }
    let probe = graph.concepts[graph.terms[sample(&mut rng)].concept as usize].name.clone();
    let completion_prefix = probe.chars().take(3).collect();
    drop(sample);
    Workspace {
        _dir: dir,
        root,
        concept_files: graph.concepts.len(),
        documents: docs,
        graph,
        symbol_queries,
        search_queries,
        probe,
        completion_prefix,
    }
}

/// Bytes and words of the markdown files under `dir`.
fn docs_size(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    let Ok(entries) = std::fs::read_dir(dir) else { return total };
    for entry in entries.flatten() {
        let path = entry.path();
        let (b, w) = if path.is_dir() {
            docs_size(&path)
        } else {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (text.len() as u64, text.split_whitespace().count() as u64)
        };
        total = (total.0 + b, total.1 + w);
    }
    total
}

/// Bytes of every file under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// One server process from its spawn, with when each of its notifications had arrived by:
/// after every request the count of notifications received so far is marked with the time, so
/// a notification's arrival is known to within one request's round trip.
struct Session {
    c: Client,
    t0: Instant,
    marks: Vec<(usize, Duration)>,
}

impl Session {
    fn start(root: &Path, cache: &Path) -> Session {
        let t0 = Instant::now();
        let mut c = Client::spawn_with_cache(&[], cache);
        c.timeout = Duration::from_secs(900);
        c.initialize(root, Value::Null, common::editor_capabilities());
        let mut s = Session { c, t0, marks: Vec::new() };
        s.mark();
        s
    }

    fn mark(&mut self) {
        self.marks.push((self.c.received.len(), self.t0.elapsed()));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.c.request_raw(method, params);
        self.mark();
        r
    }

    /// Since spawn, when the first `$/progress` of `token` with `kind` had arrived, if it has.
    fn progress(&self, token: &str, kind: &str) -> Option<Duration> {
        let k = self.c.received.iter().position(|m| {
            m["method"] == "$/progress" && m["params"]["token"] == token && m["params"]["value"]["kind"] == kind
        })?;
        self.marks.iter().find(|(n, _)| *n > k).map(|m| m.1)
    }

    /// Polls with `kg-ls.stats` until the `end` of `token` has arrived, at most `limit`.
    fn wait_progress_end(&mut self, token: &str, limit: Duration) -> Option<Duration> {
        let until = Instant::now() + limit;
        loop {
            if let Some(d) = self.progress(token, "end") {
                return Some(d);
            }
            if Instant::now() >= until {
                return None;
            }
            self.stats();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until nothing runs in the background (`kg-ls.stats`) and the server's CPU is
    /// quiet, at most `limit` for each.
    fn settle(&mut self, limit: Duration) {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            let b = self.stats()["background"].clone();
            if b["loading"] != true && b["rebuilding"] != true {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        wait_quiet(self.c.pid(), limit);
    }

    fn stats(&mut self) -> Value {
        let r = self.request("workspace/executeCommand", json!({"command": "kg-ls.stats"}));
        r["result"].clone()
    }

    /// Repeats `ask` until `ok` holds for its answer; the time since spawn then.
    fn poll(
        &mut self,
        limit: Duration,
        mut ask: impl FnMut(&mut Session) -> Value,
        ok: impl Fn(&Value) -> bool,
    ) -> Option<Duration> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            let r = ask(self);
            if ok(&r) {
                return Some(self.t0.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// Since spawn, when `workspace/symbol` first answered `name` as a concept.
    fn first_symbol(&mut self, name: &str) -> Option<Duration> {
        let params = json!({"query": name});
        self.poll(
            Duration::from_secs(600),
            |s| s.request("workspace/symbol", params.clone()),
            |r| has_concept(r, &[name]),
        )
    }

    /// Since spawn, when completion of `prefix` first answered with items (`label`, if given,
    /// among them).
    fn first_completion(&mut self, uri: &str, prefix: &str, label: Option<&str>) -> Option<Duration> {
        let mut version = 1;
        self.poll(
            Duration::from_secs(600),
            |s| {
                version += 1;
                s.c.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": prefix}]}),
                );
                s.request("textDocument/completion", Client::position_params(uri, 0, prefix.chars().count() as u32))
            },
            |r| {
                let items = r["result"]["items"].as_array().or(r["result"].as_array());
                items.is_some_and(|items| match label {
                    None => !items.is_empty(),
                    Some(l) => items.iter().any(|i| i["label"] == l),
                })
            },
        )
    }

    fn shutdown(self) {
        self.c.shutdown_and_exit();
    }
}

/// Whether a `workspace/symbol` answer has a concept named by one of `names`.
fn has_concept(r: &Value, names: &[&str]) -> bool {
    r["result"].as_array().is_some_and(|a| {
        a.iter().any(|s| {
            s["kind"] == KIND_KEY && s["name"].as_str().is_some_and(|n| names.iter().any(|m| n.eq_ignore_ascii_case(m)))
        })
    })
}

/// Latencies of one kind of request, sorted.
#[derive(Clone, Default)]
struct Lat(Vec<Duration>);

impl Lat {
    fn done(mut self) -> Lat {
        self.0.sort();
        self
    }

    fn p99(&self) -> Option<Duration> {
        (!self.0.is_empty()).then(|| pct(&self.0, 0.99))
    }

    fn show(&self) -> String {
        match self.0.last() {
            None => "n/a".into(),
            Some(max) => {
                format!("p50 {} / p99 {} / max {} ms", ms(pct(&self.0, 0.5)), ms(pct(&self.0, 0.99)), ms(*max))
            }
        }
    }
}

/// What one build measured; `None` where it cannot say.
#[derive(Default)]
struct Figures {
    symbol_uncached: Lat,
    symbol_cached: Lat,
    search: Lat,
    graph_loaded: Option<Duration>,
    text_index: Option<Duration>,
    first_symbol_cold: Option<Duration>,
    first_symbol_warm: Option<Duration>,
    changed_first_completion: Option<Duration>,
    changed_completion_visible: Option<Duration>,
    changed_first_symbol: Option<Duration>,
    changed_symbol_visible: Option<Duration>,
    rss_cold_kb: Option<u64>,
    rss_warm_kb: Option<u64>,
    cache_bytes: Option<u64>,
}

fn run(label: &str, ws: &Workspace) -> Figures {
    println!("\n== {label}");
    let mut f = Figures::default();
    let cache = tempfile::tempdir().unwrap();

    // Cold: an empty cache directory.
    let mut s = Session::start(&ws.root, cache.path());
    f.first_symbol_cold = s.first_symbol(&ws.probe);
    println!("  cold start: first symbols after {}", secs(f.first_symbol_cold));
    let probe = s.request("kg-ls/search", json!({"query": ws.probe, "limit": 5}));
    let searches = probe["error"]["code"] != -32601;
    f.graph_loaded = s.wait_progress_end(INDEXING, Duration::from_secs(900));
    if searches {
        f.text_index = s.wait_progress_end(TEXT_INDEX, Duration::from_secs(900));
    }
    println!(
        "  graph loaded ({INDEXING} end) after {}; text index built ({TEXT_INDEX} end) after {}",
        secs(f.graph_loaded),
        if searches { secs(f.text_index) } else { "n/a".into() }
    );
    let pid = s.c.pid();
    s.settle(Duration::from_secs(300));
    let stats = s.stats();
    println!("  workspace (kg-ls.stats): {}", stats["workspace"]);
    if let Some(gauges) = stats["gauges"].as_array().filter(|g| !g.is_empty()) {
        let shown: Vec<String> = gauges.iter().map(|g| format!("{} {}", g[0].as_str().unwrap_or("?"), g[1])).collect();
        println!("  gauges (kg-ls.stats): {}", shown.join(", "));
    }

    // Uncached symbols: every query asked once; then cached: the first hundred asked again.
    let mut kinds = [0usize; 3];
    let mut lat = Lat::default();
    for q in &ws.symbol_queries {
        let t = Instant::now();
        let r = s.request("workspace/symbol", json!({"query": q}));
        lat.0.push(t.elapsed());
        for sym in r["result"].as_array().into_iter().flatten() {
            match sym["kind"].as_u64() {
                Some(KIND_KEY) => kinds[0] += 1,
                Some(KIND_STRING) => kinds[1] += 1,
                Some(KIND_FIELD) => kinds[2] += 1,
                _ => {}
            }
        }
    }
    f.symbol_uncached = lat.done();
    let n = ws.symbol_queries.len() as f64;
    println!(
        "  workspace/symbol uncached ({} distinct queries): {}; per answer {:.1} concepts, {:.1} headings, {:.1} text hits",
        ws.symbol_queries.len(),
        f.symbol_uncached.show(),
        kinds[0] as f64 / n,
        kinds[1] as f64 / n,
        kinds[2] as f64 / n
    );
    let mut lat = Lat::default();
    for _ in 0..3 {
        for q in ws.symbol_queries.iter().take(100) {
            let t = Instant::now();
            s.request("workspace/symbol", json!({"query": q}));
            lat.0.push(t.elapsed());
        }
    }
    f.symbol_cached = lat.done();
    println!("  workspace/symbol cached ({} repeats): {}", f.symbol_cached.0.len(), f.symbol_cached.show());

    // kg-ls/search, every query once.
    if searches {
        let mut lat = Lat::default();
        let mut by_kind: Vec<(&str, Lat)> = Vec::new();
        let (mut expanded, mut empty, mut items, mut errors) = (0, 0, 0, 0);
        for (kind, q) in &ws.search_queries {
            let t = Instant::now();
            let r = s.request("kg-ls/search", json!({"query": q, "limit": 20}));
            let d = t.elapsed();
            lat.0.push(d);
            match by_kind.iter_mut().find(|k| k.0 == *kind) {
                Some(k) => k.1.0.push(d),
                None => by_kind.push((kind, Lat(vec![d]))),
            }
            if r.get("error").is_some() {
                errors += 1;
            }
            let n = r["result"]["items"].as_array().map_or(0, Vec::len);
            items += n;
            empty += usize::from(n == 0);
            expanded += usize::from(r["result"]["expanded"].as_array().is_some_and(|e| !e.is_empty()));
        }
        f.search = lat.done();
        println!(
            "  kg-ls/search ({} distinct queries, limit 20): {}; {:.1} items per answer, {empty} empty, {expanded} expanded through a concept, {errors} errors",
            ws.search_queries.len(),
            f.search.show(),
            items as f64 / ws.search_queries.len() as f64
        );
        for (kind, l) in by_kind {
            println!("    {kind:<18} {}", l.done().show());
        }
    }
    // The same requests as the server timed them, from reading each to writing its answer
    // (all of them so far: the first-symbol probes too).
    let stats = s.stats();
    for m in stats["methods"].as_array().into_iter().flatten() {
        if m["method"] == "workspace/symbol" || (searches && m["method"] == "kg-ls/search") {
            let (method, n, p50, p99, max) = (&m["method"], &m["count"], &m["p50_us"], &m["p99_us"], &m["max_us"]);
            println!("  server-side {method} (kg-ls.stats): n {n}, p50 {p50} µs, p99 {p99} µs, max {max} µs");
        }
    }
    f.rss_cold_kb = status_kb(pid, "VmHWM:");
    s.shutdown();
    f.cache_bytes = Some(dir_bytes(cache.path()));
    println!("  peak RSS {}; cache directory {:.1} MB", mb(f.rss_cold_kb), f.cache_bytes.unwrap() as f64 / 1e6);

    // Warm: the same cache directory, nothing changed.
    let mut s = Session::start(&ws.root, cache.path());
    f.first_symbol_warm = s.first_symbol(&ws.probe);
    s.settle(Duration::from_secs(300));
    f.rss_warm_kb = status_kb(s.c.pid(), "VmHWM:");
    s.shutdown();
    println!("  warm start: first symbols after {}; peak RSS {}", secs(f.first_symbol_warm), mb(f.rss_warm_kb));

    // Restarts with one concept file changed on disk while the server was down (a `git pull`):
    // a synonym added. The first completion, then the first symbols.
    for (n, which) in [(1, "completion"), (2, "symbols")] {
        let i = ws.concept_files * n / 3;
        let path = ws.concept_file(i);
        let before = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(ws.root.join(".generated"));
        let added = format!("zqxbench changed {n}");
        std::fs::write(&path, format!("{before}\nsynonyms:: {added}\n")).unwrap();
        let mut s = Session::start(&ws.root, cache.path());
        if n == 1 {
            let uri = s.c.open(&ws.root.join("notes.md"), "");
            f.changed_first_completion = s.first_completion(&uri, &ws.completion_prefix, None);
            f.changed_completion_visible = s.first_completion(&uri, "zqxbench", Some(&added));
        } else {
            f.changed_first_symbol = s.first_symbol(&ws.probe);
            let params = json!({"query": added});
            f.changed_symbol_visible = s.poll(
                Duration::from_secs(600),
                |s| s.request("workspace/symbol", params.clone()),
                |r| has_concept(r, &[&ws.graph.concepts[i].name, &added]),
            );
        }
        s.settle(Duration::from_secs(300));
        s.shutdown();
        std::fs::write(&path, before).unwrap();
        std::fs::write(ws.root.join(".generated"), "").unwrap();
        let (first, visible) = if n == 1 {
            (f.changed_first_completion, f.changed_completion_visible)
        } else {
            (f.changed_first_symbol, f.changed_symbol_visible)
        };
        println!(
            "  restart after one change: first {which} after {}, the change in {which} after {}",
            secs(first),
            secs(visible)
        );
    }
    f
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "n/a".into(), |d| format!("{} ms", ms(d)))
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0))
}

/// Whether `d` is at most `ms` milliseconds; `None` when unknown.
fn within(d: Option<Duration>, ms: u64) -> Option<bool> {
    d.map(|d| d <= Duration::from_millis(ms))
}

/// Whether `kb` is at most `mb` megabytes; `None` when unknown.
fn within_mb(kb: Option<u64>, mb: u64) -> Option<bool> {
    kb.map(|kb| kb <= mb * 1024)
}

fn table(ws: &Workspace, this: &Figures, baseline: Option<&Figures>) {
    println!("\n### {} concept files, {} terms, {} documents\n", ws.concept_files, ws.graph.terms.len(), ws.documents);
    println!("| figure | target | this build | met | baseline |\n|---|---|---|---|---|");
    type Row = (&'static str, &'static str, fn(&Figures) -> String, fn(&Figures) -> Option<bool>);
    let rows: [Row; 14] = [
        (
            "`workspace/symbol` uncached, full text on",
            "p99 ≤ 20 ms",
            |f| f.symbol_uncached.show(),
            |f| within(f.symbol_uncached.p99(), 20),
        ),
        ("`workspace/symbol` cached", "p99 ≤ 1 ms", |f| f.symbol_cached.show(), |f| within(f.symbol_cached.p99(), 1)),
        ("`kg-ls/search`", "", |f| f.search.show(), |_| None),
        ("graph loaded (`kg-ls/indexing` ends)", "", |f| secs(f.graph_loaded), |_| None),
        ("text index built (`kg-ls/text-index` ends)", "", |f| secs(f.text_index), |_| None),
        ("first symbols, cold start", "≤ 3 s", |f| secs(f.first_symbol_cold), |f| within(f.first_symbol_cold, 3_000)),
        ("first symbols, warm start", "≤ 0.5 s", |f| secs(f.first_symbol_warm), |f| within(f.first_symbol_warm, 500)),
        (
            "first completion after one change",
            "≤ 300 ms",
            |f| secs(f.changed_first_completion),
            |f| within(f.changed_first_completion, 300),
        ),
        ("the changed synonym in completion", "", |f| secs(f.changed_completion_visible), |_| None),
        ("first symbols after one change", "", |f| secs(f.changed_first_symbol), |_| None),
        ("the changed synonym in symbols", "", |f| secs(f.changed_symbol_visible), |_| None),
        ("peak RSS, cold start and queries", "≤ 200 MB", |f| mb(f.rss_cold_kb), |f| within_mb(f.rss_cold_kb, 200)),
        ("peak RSS, warm start", "≤ 200 MB", |f| mb(f.rss_warm_kb), |f| within_mb(f.rss_warm_kb, 200)),
        (
            "cache directory on disk",
            "",
            |f| f.cache_bytes.map_or("n/a".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            |_| None,
        ),
    ];
    for (name, target, show, check) in rows {
        let met = match check(this) {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!("| {name} | {target} | {} | {met} | {} |", show(this), baseline.map_or_else(String::new, show));
    }
    println!("\n(times are since spawn; \"n/a\": the build cannot produce the figure)");
}

fn main() {
    println!("kg-ls search-index benchmark, {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    let ws = workspace();
    let this = match std::env::var_os("KG_LS_BENCH_BIN") {
        Some(bin) => format!("KG_LS_BENCH_BIN {}", bin.to_string_lossy()),
        None => concat!("this build (", env!("CARGO_PKG_VERSION"), ")").to_string(),
    };
    let figures = run(&this, &ws);
    let baseline = std::env::var_os("KG_LS_BENCH_BASELINE").map(|baseline| {
        assert!(Path::new(&baseline).exists(), "no baseline binary at {baseline:?}");
        // SAFETY: single-threaded here; the client reads it when it spawns the server.
        unsafe { std::env::set_var("KG_LS_BENCH_BIN", &baseline) };
        run(&format!("baseline {}", baseline.to_string_lossy()), &ws)
    });
    table(&ws, &figures, baseline.as_ref());
}
