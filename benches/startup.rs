//! Start-up of the real `kg-ls` binary on a large generated knowledge graph, cold and warm.
//!
//! ```sh
//! cargo bench --bench startup                                # 1M terms, the three layouts
//! KG_LS_BENCH_SIZES=150000 cargo bench --bench startup       # another size (the largest listed)
//! KG_LS_BENCH_LAYOUTS=files,glossary cargo bench --bench startup
//! ```
//!
//! The graph ([`kg_ls::synth`]) is written as one thesaurus, as concept files of 1.6 terms
//! and as concept files of 13 terms, and served by the binary over stdio with a fresh cache
//! directory: cold (no persisted state), then warm, then after one source file changed, to time
//! the first completion and the first `workspace/symbol` after `initialize` and read the
//! server's resident memory. Tables are printed as markdown, ready
//! for `docs/performance.md`. The engine's own figures, beside `terraphim_automata`, are the
//! bench of the `kg-ls-baseline` crate (`benches/baseline`).

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "common/fmt.rs"]
mod fmt;

use common::{Client, file_uri};
use fmt::{fmt_ms, human};
use kg_ls::synth::{GenConfig, Rng, generate};
use serde_json::json;

fn main() {
    let sizes: Vec<usize> = match std::env::var("KG_LS_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|p| p.trim().replace('_', "").parse().ok()).collect(),
        Err(_) => vec![1_000_000],
    };
    let Some(&largest) = sizes.iter().max() else {
        panic!("KG_LS_BENCH_SIZES: no size in {:?}", std::env::var("KG_LS_BENCH_SIZES"));
    };
    println!("# kg-ls start-up benchmark ({} terms)\n", human(largest));
    let layouts = std::env::var("KG_LS_BENCH_LAYOUTS").unwrap_or_else(|_| "thesaurus,files,glossary".into());
    for name in layouts.split(',').map(str::trim) {
        match name {
            "thesaurus" => bench_server(largest, Layout::Thesaurus),
            "files" => bench_server(largest, Layout::ConceptFiles),
            "glossary" => bench_server(largest, Layout::GlossaryFiles),
            other => panic!("KG_LS_BENCH_LAYOUTS: unknown layout {other:?} (thesaurus, files, glossary)"),
        }
    }
}

/// How the generated graph is stored.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// One Terraphim thesaurus JSON file.
    Thesaurus,
    /// One markdown file per concept, 1.6 terms a concept (the generator's default): the most
    /// files for the terms.
    ConceptFiles,
    /// One markdown file per concept, 13 terms a concept, as Terraphim's own concept files
    /// have (12.7 on average in the fixtures).
    GlossaryFiles,
}

/// Serves `n` generated terms with the real binary, cold then warm.
fn bench_server(n: usize, layout: Layout) {
    let what = match layout {
        Layout::Thesaurus => "one thesaurus JSON file",
        Layout::ConceptFiles => "markdown concept files (1.6 terms each)",
        Layout::GlossaryFiles => "markdown concept files (13 terms each, as Terraphim's own)",
    };
    println!("## Start-up of the real server, {} terms in {what}\n", human(n));
    let terms_per_concept = (layout == Layout::GlossaryFiles).then_some(13);
    let g = generate(&GenConfig { terms_per_concept, ..GenConfig::new(n) });
    let ws = tempfile::tempdir().expect("temp dir");
    let cache = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let sources = match layout {
        Layout::Thesaurus => {
            g.write_thesaurus(&ws.path().join("kg.json")).expect("write the thesaurus");
            format!("1 thesaurus file ({} concepts)", g.concepts.len())
        }
        Layout::ConceptFiles | Layout::GlossaryFiles => {
            g.write_concept_files(&ws.path().join("kg")).expect("write the concept files");
            format!("{} markdown concept files", g.concepts.len())
        }
    };
    let paths = if layout == Layout::Thesaurus { "kg.json" } else { "kg" };
    std::fs::write(ws.path().join(".kg-ls.toml"), format!("[kg]\npaths = [\"{paths}\"]\n")).expect("write the config");
    eprintln!("[{}] wrote {sources} in {:.1} s", human(n), t.elapsed().as_secs_f64());
    let root = ws.path().canonicalize().expect("workspace path");
    let mut rng = Rng::new(7);
    let word = g.terms[g.frequency_sampler()(&mut rng)].text.chars().take(3).collect::<String>();
    drop(g);

    let cold = Startup::run(&root, cache.path(), &word, true);
    let warm = Startup::run(&root, cache.path(), &word, false);
    // A `git pull` that changed one source file: a new synonym in one concept file (the
    // thesaurus layout has one file, so all of it changes).
    let changed = match layout {
        Layout::Thesaurus => root.join("kg.json"),
        Layout::ConceptFiles | Layout::GlossaryFiles => {
            let (files, _) = kg_ls::kg::list_source_files(&[kg_ls::kg::KgSource { path: root.join("kg") }]);
            files[files.len() / 2].clone()
        }
    };
    let mut text = std::fs::read_to_string(&changed).expect("read a source");
    text.push_str(if layout == Layout::Thesaurus { "\n" } else { "\nsynonyms:: changed since the last run\n" });
    std::fs::write(&changed, text).expect("change a source");
    let one_change = Startup::run(&root, cache.path(), &word, true);
    let persisted = std::fs::read_dir(cache.path())
        .map(|d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum::<u64>())
        .unwrap_or(0);
    let ms = |d: Option<Duration>| d.map_or("–".into(), |d| fmt_ms(d.as_secs_f64() * 1e3));
    let mb = |kb: Option<u64>| kb.map_or("–".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0));
    println!("| measure | cold (no persisted index) | warm (persisted index) | one source changed | target | met? |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| spawn → `initialize` answered | {} | {} | {} | – | – |",
        ms(cold.initialized),
        ms(warm.initialized),
        ms(one_change.initialized)
    );
    let within = |d: Option<Duration>, ms: u64| d.is_some_and(|d| d <= Duration::from_millis(ms));
    let met = |ok: bool| if ok { "yes" } else { "**no**" };
    println!(
        "| `initialize` sent → first completion answered | {} | {} | {} | ≤ 300 ms (warm, one change) | {} |",
        ms(cold.first_completion),
        ms(warm.first_completion),
        ms(one_change.first_completion),
        met(within(warm.first_completion, 300) && within(one_change.first_completion, 300))
    );
    println!("| items in that first completion | {} | {} | {} | – | – |", cold.items, warm.items, one_change.items);
    println!(
        "| `initialize` sent → first `workspace/symbol` answered | {} | {} | {} | ≤ 3 s cold, ≤ 0.5 s warm | {} |",
        ms(cold.first_symbols),
        ms(warm.first_symbols),
        ms(one_change.first_symbols),
        met(within(cold.first_symbols, 3000) && within(warm.first_symbols, 500))
    );
    println!(
        "| peak RSS when the first completion is answered | {} | {} | {} | – | – |",
        mb(cold.hwm_first),
        mb(warm.hwm_first),
        mb(one_change.hwm_first)
    );
    println!(
        "| `initialize` sent → indexing done | {} | {} | {} | – | – |",
        ms(cold.loaded),
        ms(warm.loaded),
        ms(one_change.loaded)
    );
    let rss_met = warm.rss_loaded.is_some_and(|kb| kb <= 150 * 1024);
    println!(
        "| RSS with all terms loaded (peak) | {} ({}) | {} ({}) | {} ({}) | ≤ 150 MB | {} |",
        mb(cold.rss_loaded),
        mb(cold.hwm_loaded),
        mb(warm.rss_loaded),
        mb(warm.hwm_loaded),
        mb(one_change.rss_loaded),
        mb(one_change.hwm_loaded),
        if rss_met { "yes" } else { "**no**" }
    );
    println!(
        "\nThe release binary with `KG_LS_CACHE_DIR` in a fresh temporary directory, a workspace holding \
         {sources}; the client sends `initialize`, then `initialized`, `didOpen` and a \
         completion of `{word}` in one write, and a `workspace/symbol` of it once the completion is answered. \
         Cold: no persisted state (the server reads the files and builds everything, then saves the completion \
         index and the parsed graph: {:.1} MB). Warm: the next start, which answers from the persisted \
         index while it loads the sources in the background, keeping every saved file whose size and time are \
         unchanged. One source changed: a start after one source file was rewritten. RSS is the server's VmRSS and VmHWM; \
         \"loaded\" is read once `kg-ls.stats` reports no background work (search dictionaries built, free \
         memory returned).\n",
        persisted as f64 / 1e6
    );
}

#[derive(Default)]
struct Startup {
    initialized: Option<Duration>,
    first_completion: Option<Duration>,
    items: usize,
    first_symbols: Option<Duration>,
    hwm_first: Option<u64>,
    loaded: Option<Duration>,
    rss_loaded: Option<u64>,
    hwm_loaded: Option<u64>,
}

impl Startup {
    fn run(root: &Path, cache: &Path, word: &str, saves: bool) -> Startup {
        let mut out = Startup::default();
        let saved_after = std::time::SystemTime::now();
        let start = Instant::now();
        let mut c = Client::spawn_with_cache(&[], cache);
        c.timeout = Duration::from_secs(300);
        let uri = file_uri(root);
        c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "capabilities": {
                    "textDocument": {"completion": {"completionItem": {"snippetSupport": false}}},
                    "window": {"workDoneProgress": true},
                    "general": {"positionEncodings": ["utf-16"]}
                },
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
            }),
        );
        out.initialized = Some(start.elapsed());
        let doc = file_uri(&root.join("notes.md"));
        let text = format!("See {word}");
        // initialized, didOpen and the first completion in one write, as an editor's burst.
        c.send_all(&[
            json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
                {"uri": doc, "languageId": "markdown", "version": 1, "text": text}}}),
            json!({"jsonrpc": "2.0", "id": "first", "method": "textDocument/completion", "params": {
                "textDocument": {"uri": doc}, "position": {"line": 0, "character": text.chars().count()}}}),
        ]);
        let resp = c.response(&json!("first"));
        out.first_completion = Some(start.elapsed());
        out.hwm_first = proc_status(c.pid(), "VmHWM");
        out.items = resp["result"]["items"].as_array().map_or(0, Vec::len);
        c.request("workspace/symbol", json!({"query": word}));
        out.first_symbols = Some(start.elapsed());
        c.wait_for("$/progress", |p| p["value"]["kind"] == "end");
        out.loaded = Some(start.elapsed());
        if saves {
            // The persisted index and graph are saved after indexing ends: wait for them (a
            // new pair replaces the old one).
            let deadline = Instant::now() + c.timeout;
            let saved = |ext: &str| {
                std::fs::read_dir(cache).is_ok_and(|d| {
                    d.filter_map(Result::ok).any(|e| {
                        e.path().extension().is_some_and(|x| x == ext)
                            && e.metadata().and_then(|m| m.modified()).is_ok_and(|m| m >= saved_after)
                    })
                })
            };
            while Instant::now() < deadline && !(saved("idx") && saved("kg")) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // "Loaded" is when the server is idle again: the load task ends after the search
        // dictionaries are prepared and free memory is given back, after indexing's progress.
        let settle = Instant::now();
        while settle.elapsed() < c.timeout {
            let stats = c.request("workspace/executeCommand", json!({"command": "kg-ls.stats"}));
            let background = &stats["background"];
            if background["loading"] == false && background["rebuilding"] == false {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        out.rss_loaded = proc_status(c.pid(), "VmRSS");
        out.hwm_loaded = proc_status(c.pid(), "VmHWM");
        c.shutdown_and_exit();
        out
    }
}

/// A `/proc/<pid>/status` figure in kB.
fn proc_status(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
