//! End-to-end benchmark: starts the release `kg-ls`, speaks LSP over its stdio exactly as an
//! editor does, and replays a realistic session on a generated knowledge graph and workspace.
//!
//! Run: `cargo bench --bench lsp` (default: 150k terms, 10k documents),
//! `KG_LS_BENCH=large cargo bench --bench lsp` (1M terms, 20k documents),
//! `KG_LS_BENCH=small` (20k terms, 1k documents, for a quick look),
//! `KG_LS_SOAK_SECS=600 cargo bench --bench lsp` adds a soak phase that watches resident memory.
//!
//! It prints, per method, p50/p95/p99/max round-trip latency, throughput and errors; start-up
//! (spawn → initialize → first completion) cold and with the persisted index; the server's CPU
//! at a paced 100 requests per second; and its peak resident memory.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/fmt.rs"]
mod fmt;
#[path = "common/process.rs"]
mod process;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Client, file_uri};
use fmt::{ms, pct};
use kg_ls::synth::{GenConfig, Rng, generate, generate_documents, write_documents};
use process::status_kb;
use serde_json::{Value, json};

struct Size {
    name: &'static str,
    terms: usize,
    files: usize,
}

#[derive(Default)]
struct Lat {
    samples: BTreeMap<String, Vec<Duration>>,
    errors: BTreeMap<String, usize>,
    cancelled: BTreeMap<String, usize>,
}

impl Lat {
    fn add(&mut self, method: &str, d: Duration, resp: &Value) {
        self.samples.entry(method.to_string()).or_default().push(d);
        match resp["error"]["code"].as_i64() {
            None => {}
            Some(-32800) | Some(-32801) => *self.cancelled.entry(method.to_string()).or_default() += 1,
            Some(_) => *self.errors.entry(method.to_string()).or_default() += 1,
        }
    }
}

fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let t: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(t / 100.0)
}

/// Sends a request and measures its round trip.
fn timed(c: &mut Client, lat: &mut Lat, method: &str, params: Value) -> Value {
    timed_as(c, lat, method, method, params)
}

/// Like [`timed`], recorded under `label`.
fn timed_as(c: &mut Client, lat: &mut Lat, label: &str, method: &str, params: Value) -> Value {
    let t = Instant::now();
    let r = c.request_raw(method, params);
    lat.add(label, t.elapsed(), &r);
    r
}

fn main() {
    let size = match std::env::var("KG_LS_BENCH").as_deref() {
        Ok("large") => Size { name: "large", terms: 1_000_000, files: 20_000 },
        Ok("small") => Size { name: "small", terms: 20_000, files: 1_000 },
        _ => Size { name: "default", terms: 150_000, files: 10_000 },
    };
    let soak = std::env::var("KG_LS_SOAK_SECS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    println!(
        "kg-ls end-to-end benchmark: {} ({} terms, {} documents), {} cores",
        size.name,
        size.terms,
        size.files,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // The workspace: a thesaurus with the generated graph, a folder of concept files that the
    // session edits, and markdown documents.
    let t = Instant::now();
    let graph = generate(&GenConfig::new(size.terms));
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path().canonicalize().unwrap();
    graph.write_thesaurus(&root.join("kg.json")).unwrap();
    std::fs::create_dir_all(root.join("kg")).unwrap();
    for i in 0..50 {
        std::fs::write(
            root.join(format!("kg/bench concept {i}.md")),
            format!("# bench concept {i}\n\nDefinition {i}.\n\nsynonyms:: bench synonym {i}\n"),
        )
        .unwrap();
    }
    std::fs::write(root.join(".kg-ls.toml"), "[kg]\npaths = [\"kg.json\", \"kg\"]\n").unwrap();
    let docs = generate_documents(&graph, size.files, 7);
    write_documents(&root, &docs).unwrap();
    println!("generated in {:.1} s", t.elapsed().as_secs_f64());

    let mut rng = Rng::new(99);
    let mut sample = graph.frequency_sampler();
    let targets: Vec<String> = (0..400).map(|_| graph.terms[sample(&mut rng)].text.clone()).collect();

    // Start-up, cold (no persisted index) and warm (the persisted index of the last cold run),
    // three of each on a shared machine: the summary quotes medians. The last warm server goes
    // on to the session.
    const RUNS: usize = 3;
    let mut startups = Vec::new();
    let mut cache = tempfile::tempdir().unwrap();
    for (i, run) in std::iter::repeat_n("cold", RUNS).chain(std::iter::repeat_n("warm", RUNS)).enumerate() {
        if run == "cold" {
            cache = tempfile::tempdir().unwrap();
        }
        let t0 = Instant::now();
        let mut c = Client::spawn_with_cache(&[], cache.path());
        c.initialize(&root, Value::Null, vscode_like_capabilities());
        let init = t0.elapsed();
        let uri = c.open(&root.join("notes.md"), &targets[0][..2.min(targets[0].len())]);
        let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 2));
        let first = t0.elapsed();
        assert!(!r["items"].as_array().unwrap().is_empty(), "first completion answered with items");
        c.wait_for("$/progress", |p| p["value"]["kind"] == "end");
        let loaded = t0.elapsed();
        startups.push((run, init, first, loaded));
        if i == 2 * RUNS - 1 {
            session(c, &root, &targets, soak);
        } else {
            c.shutdown_and_exit();
        }
    }
    println!("\nstart-up (spawn → …)          initialize   first completion   indexing done");
    for (run, init, first, loaded) in &startups {
        println!("  {run:<28} {:>8} ms {:>12} ms {:>14} ms", ms(*init), ms(*first), ms(*loaded));
    }
    for run in ["cold", "warm"] {
        let mut firsts: Vec<Duration> = startups.iter().filter(|s| s.0 == run).map(|s| s.2).collect();
        firsts.sort();
        println!(
            "  {run} first completion: median {} ms, max {} ms over {RUNS} starts",
            ms(firsts[firsts.len() / 2]),
            ms(*firsts.last().unwrap())
        );
    }
    println!("  targets: first completion ≤ 2000 ms cold, ≤ 300 ms with the persisted index");
}

/// The test client's capabilities plus the completion-list defaults that VS Code's client
/// declares (vscode-languageclient 9: commitCharacters, editRange, insertTextFormat,
/// insertTextMode, data), so completion answers have the shape VS Code gets.
fn vscode_like_capabilities() -> Value {
    let mut caps = common::editor_capabilities();
    caps["textDocument"]["completion"]["completionList"] = json!({
        "itemDefaults": ["commitCharacters", "editRange", "insertTextFormat", "insertTextMode", "data"]
    });
    caps
}

fn session(mut c: Client, root: &std::path::Path, targets: &[String], soak: u64) {
    let pid = c.pid();
    let mut lat = Lat::default();
    let doc_path = root.join("bench-notes.md");
    let uri = c.open(&doc_path, "");
    let mut version = 1;
    let mut line = 0u32;

    // 1. A typing storm: each keystroke is an incremental didChange followed by a completion,
    //    paced at about 500 requests per second.
    let storm = Instant::now();
    let mut storm_requests = 0;
    let pace = Duration::from_micros(2_000);
    for target in targets.iter().take(300) {
        let mut col = 0u32;
        for ch in target.chars() {
            let next = Instant::now() + pace;
            version += 1;
            c.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version},
                       "contentChanges": [{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": ch.to_string()}]}),
            );
            col += ch.len_utf16() as u32;
            timed(&mut c, &mut lat, "textDocument/completion", Client::position_params(&uri, line, col));
            storm_requests += 1;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "\n"}]}),
        );
        line += 1;
    }
    let storm_secs = storm.elapsed().as_secs_f64();

    // 2. Hovers and definitions on the typed terms.
    for l in 0..line.min(200) {
        timed(&mut c, &mut lat, "textDocument/hover", Client::position_params(&uri, l, 1));
        timed(&mut c, &mut lat, "textDocument/definition", Client::position_params(&uri, l, 1));
    }

    // 3. Workspace symbols, every fourth one cancelled right after it is sent.
    for (i, target) in targets.iter().take(120).enumerate() {
        let query: String = target.chars().take(3 + i % 4).collect();
        if i % 4 == 3 {
            let id = json!(format!("sym-{i}"));
            let t = Instant::now();
            c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": {"query": query}}));
            c.notify("$/cancelRequest", json!({"id": id}));
            let r = c.response(&id);
            lat.add("workspace/symbol (cancelled)", t.elapsed(), &r);
        } else {
            timed(&mut c, &mut lat, "workspace/symbol", json!({"query": query}));
        }
    }

    // 4. CPU at a paced 100 requests per second for 5 seconds, before the concept edit below,
    //    whose background rebuild would be counted as typing's cost.
    let cpu0 = cpu_secs(pid);
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed() < Duration::from_secs(5) {
        let next = Instant::now() + Duration::from_millis(10);
        let target = &targets[n % targets.len()];
        let prefix: String = target.chars().take(2 + n % 4).collect();
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": prefix.clone()}]}),
        );
        timed(
            &mut c,
            &mut lat,
            "textDocument/completion",
            Client::position_params(&uri, 0, prefix.chars().count() as u32),
        );
        n += 1;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let cpu = match (cpu0, cpu_secs(pid)) {
        (Some(a), Some(b)) => Some((b - a) / t.elapsed().as_secs_f64() * 100.0),
        _ => None,
    };

    // 5. A concept file edited in the editor, completed at once, then saved.
    let concept = root.join("kg/bench concept 1.md");
    let curi = c.open(&concept, &std::fs::read_to_string(&concept).unwrap());
    for i in 0..20 {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": curi, "version": i + 2},
                   "contentChanges": [{"range": {"start": {"line": 4, "character": 0}, "end": {"line": 5, "character": 0}}, "text": format!("synonyms:: edited synonym {i}\n")}]}),
        );
        let probe = c.open(&root.join(format!("probe{i}.md")), "edited syn");
        let r = timed(&mut c, &mut lat, "textDocument/completion", Client::position_params(&probe, 0, 10));
        assert_eq!(r["result"]["items"][0]["label"], format!("edited synonym {i}"), "the edit is visible at once");
    }
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": curi}}));

    // 6. Optional soak: repeat typing and hovers, sampling resident memory.
    let mut rss_track = Vec::new();
    if soak > 0 {
        let t = Instant::now();
        let mut i = 0;
        while t.elapsed() < Duration::from_secs(soak) {
            let target = &targets[i % targets.len()];
            version += 1;
            c.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": target}]}),
            );
            // Recorded apart, so the storm's figures stay the storm's.
            let (completion, hover) = ("textDocument/completion", "textDocument/hover");
            timed_as(&mut c, &mut lat, "completion (soak)", completion, Client::position_params(&uri, 0, 2));
            timed_as(&mut c, &mut lat, "hover (soak)", hover, Client::position_params(&uri, 0, 1));
            if i % 200 == 0 {
                rss_track.push((t.elapsed().as_secs(), status_kb(pid, "VmRSS:").unwrap_or(0)));
            }
            i += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    // Resident memory is read once the save's background rebuild is done.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(60) {
        let stats = c.request("workspace/executeCommand", json!({"command": "kg-ls.stats"}));
        if stats["background"] == json!({"loading": false, "rebuilding": false}) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let peak_kb = status_kb(pid, "VmHWM:").unwrap_or(0);
    let rss_kb = status_kb(pid, "VmRSS:").unwrap_or(0);
    let stats = c.request("workspace/executeCommand", json!({"command": "kg-ls.stats"}));
    c.shutdown_and_exit();

    println!("\nper method (round trip through stdio)     n     p50 ms   p95 ms   p99 ms   max ms  errors  cancelled");
    for (method, mut v) in lat.samples {
        v.sort();
        println!(
            "  {method:<36} {:>6} {:>9} {:>8} {:>8} {:>8} {:>7} {:>10}",
            v.len(),
            ms(pct(&v, 0.5)),
            ms(pct(&v, 0.95)),
            ms(pct(&v, 0.99)),
            ms(*v.last().unwrap()),
            lat.errors.get(&method).copied().unwrap_or(0),
            lat.cancelled.get(&method).copied().unwrap_or(0)
        );
    }
    println!(
        "\ntyping storm: {storm_requests} completions in {storm_secs:.2} s = {:.0} requests/s (paced at 500/s)",
        storm_requests as f64 / storm_secs
    );
    match cpu {
        Some(cpu) => println!("server CPU at 100 completions/s: {cpu:.1}% of one core (target < 50%)"),
        None => println!("server CPU at 100 completions/s: unknown (no /proc)"),
    }
    println!(
        "server resident memory: {:.1} MB now, {:.1} MB peak (target ≤ 100 MB at 150k terms)",
        rss_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0
    );
    let mb = |v: &Value| v.as_f64().map_or("unknown".to_string(), |b| format!("{:.1} MB", b / 1048576.0));
    println!(
        "  allocator (kg-ls.stats, latest sample): {} in use and {} free in its heaps, {} in mapped blocks",
        mb(&stats["process"]["heap_in_use_bytes"]),
        mb(&stats["process"]["heap_free_bytes"]),
        mb(&stats["process"]["heap_mapped_bytes"])
    );
    if let Some(m) = stats["methods"].as_array() {
        let c = m.iter().find(|m| m["method"] == "textDocument/completion");
        if let Some(c) = c {
            println!(
                "server-side completion (kg-ls.stats): p50 {} µs, p99 {} µs over {} requests",
                c["p50_us"], c["p99_us"], c["count"]
            );
        }
    }
    if !rss_track.is_empty() {
        let warm = rss_track.iter().find(|(s, _)| *s >= 60).or(rss_track.first()).map(|x| x.1).unwrap_or(0);
        let last = rss_track.last().map(|x| x.1).unwrap_or(0);
        println!(
            "soak: RSS after warm-up {:.1} MB, at the end {:.1} MB, growth {:+.1}% (target ≤ 10%)",
            warm as f64 / 1024.0,
            last as f64 / 1024.0,
            (last as f64 - warm as f64) / warm.max(1) as f64 * 100.0
        );
        let track: Vec<String> = rss_track.iter().map(|(s, kb)| format!("{s}s {:.0}", *kb as f64 / 1024.0)).collect();
        println!("  RSS track (MB): {}", track.join(", "));
    }
    let _ = file_uri;
}
