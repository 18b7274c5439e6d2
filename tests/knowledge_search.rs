//! The full-text index and `kg-ls/search` through the real binary: what is indexed, graph
//! expansion, snippets and match ranges in the document's own coordinates, partial results,
//! updates on save and on edits, warm restarts, and bad params.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Workspace, file_uri};
use serde_json::{Value, json};

/// The progress token of the full-text index.
const TEXT_INDEX: &str = "kg-ls/text-index";

fn workspace() -> Workspace {
    Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\"]\n"),
        ("kg/kubernetes.md", b"# Kubernetes\n\nContainer orchestration.\n\nsynonyms:: k8s, kube\n"),
        ("kg/tokio.md", b"# Tokio\n\nAn async runtime for Rust.\n"),
        ("docs/deploy.md", "# Deploying\n\nWe ship every service to k8s — with a rolling update.\n".as_bytes()),
        ("docs/notes.txt", b"Rolling back is rare.\n"),
        ("LICENSE.md", b"Permission to deploy k8s is granted.\n"),
        ("node_modules/x/README.md", b"k8s k8s k8s\n"),
    ])
}

/// Starts a server on `ws` and waits until the full-text index has been brought up to date;
/// returns the end message.
fn start(ws: &Workspace) -> (Client, String) {
    let mut c = Client::start(&ws.root(), Value::Null);
    let end = c.wait_for("$/progress", |p| p["token"] == TEXT_INDEX && p["value"]["kind"] == "end");
    (c, end["value"]["message"].as_str().unwrap_or_default().to_string())
}

/// Each item as `kind path title: snippet text [matches]`, paths relative to the workspace.
fn items(ws: &Workspace, result: &Value) -> Vec<String> {
    let root = file_uri(&ws.root());
    result["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {result}"))
        .iter()
        .map(|i| {
            let uri = i["uri"].as_str().unwrap().trim_start_matches(&root).to_string();
            let snippet = i["snippets"][0]["text"].as_str().unwrap_or_default();
            let ranges: Vec<String> = i["matches"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let (s, e) = (&r["start"], &r["end"]);
                    format!("{}:{}-{}:{}", s["line"], s["character"], e["line"], e["character"])
                })
                .collect();
            format!(
                "{} {uri} {:?}: {snippet:?} [{}]",
                i["kind"].as_str().unwrap(),
                i["title"].as_str().unwrap(),
                ranges.join(" ")
            )
        })
        .collect()
}

fn search(c: &mut Client, params: Value) -> Value {
    c.request("kg-ls/search", params)
}

#[test]
fn a_concept_named_by_one_term_finds_documents_that_use_another() {
    let ws = workspace();
    let (mut c, end) = start(&ws);
    assert!(end.contains("4 files indexed"), "two concept files and two documents: {end}");
    let r = search(&mut c, json!({"query": "kubernetes"}));
    assert_eq!(
        r["expanded"],
        json!([{"concept": "kubernetes", "term": "kubernetes", "terms": ["kubernetes", "k8s", "kube"]}]),
        "{r}"
    );
    // The licence and the vendored package are not indexed; the concept file is a concept.
    let mut found = items(&ws, &r);
    found.sort();
    assert_eq!(
        found,
        [
            r##"concept /kg/kubernetes.md "kubernetes": "# Kubernetes" [0:2-0:12]"##,
            // UTF-16 columns: the em dash before "with" is one unit.
            r#"document /docs/deploy.md "Deploying": "We ship every service to k8s — with a rolling update." [2:25-2:28]"#,
        ],
        "{r}"
    );
    assert_eq!(r["total"], 2);
    let deploy = r["items"].as_array().unwrap().iter().find(|i| i["kind"] == "document").unwrap();
    assert_eq!(deploy["snippets"][0]["highlights"], json!([[25, 28]]));
    assert_eq!(deploy["snippets"][0]["range"]["start"], json!({"line": 2, "character": 0}));
}

#[test]
fn words_phrases_prefixes_filters_and_pages() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    let paths = |c: &mut Client, params: Value| -> Vec<String> {
        let r = search(c, params);
        let mut p: Vec<String> = items(&ws, &r).iter().map(|i| i.split(' ').nth(1).unwrap().to_string()).collect();
        p.sort();
        p
    };
    assert_eq!(paths(&mut c, json!({"query": "rolling"})), ["/docs/deploy.md", "/docs/notes.txt"]);
    assert_eq!(paths(&mut c, json!({"query": "\"rolling back\""})), ["/docs/notes.txt"]);
    assert_eq!(paths(&mut c, json!({"query": "rol"})), ["/docs/deploy.md", "/docs/notes.txt"], "prefix");
    assert_eq!(paths(&mut c, json!({"query": "rol "})), Vec::<String>::new(), "a finished word is whole");
    assert_eq!(paths(&mut c, json!({"query": "rolling", "concept": "kube"})), ["/docs/deploy.md"]);
    assert_eq!(paths(&mut c, json!({"query": "rolling", "path": "**/*.txt"})), ["/docs/notes.txt"]);
    assert_eq!(paths(&mut c, json!({"query": "runtime", "path": "docs/**"})), Vec::<String>::new());
    let one = search(&mut c, json!({"query": "rolling", "limit": 1}));
    let next = search(&mut c, json!({"query": "rolling", "limit": 1, "offset": 1}));
    assert_eq!((one["total"].clone(), next["total"].clone()), (json!(2), json!(2)));
    assert_ne!(one["items"][0]["uri"], next["items"][0]["uri"]);
    for q in ["", "   ", "--"] {
        assert_eq!(search(&mut c, json!({"query": q}))["items"], json!([]), "{q:?}");
    }
}

#[test]
fn bad_params_are_errors_that_say_what_is_wrong() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    let r = c.request_raw("kg-ls/search", json!({"query": "rolling", "concept": "no such thing"}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("no such thing"), "{r}");
    let r = c.request_raw("kg-ls/search", json!({"limit": 3}));
    assert_eq!(r["error"]["code"], -32602, "a query is required: {r}");
    // Out-of-range numbers are clamped, not errors.
    let r = search(&mut c, json!({"query": "rolling", "limit": 1_000_000_000u64, "offset": u64::MAX}));
    assert_eq!(r["items"], json!([]), "{r}");
    let r = search(&mut c, json!({"query": "rolling", "limit": 0}));
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    let long = "rolling ".repeat(5_000);
    let r = search(&mut c, json!({"query": long}));
    assert!(r["items"].is_array(), "{r}");
}

#[test]
fn partial_results_come_before_an_empty_final_answer() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    let id = json!(900);
    c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "kg-ls/search",
        "params": {"query": "rolling", "partialResultToken": "p1"}}));
    let r = c.response(&id);
    assert_eq!(r["result"]["items"], json!([]), "{r}");
    assert_eq!(r["result"]["total"], 2);
    let partial = c.wait_for("$/progress", |p| p["token"] == "p1");
    assert_eq!(partial["value"]["items"].as_array().unwrap().len(), 2, "{partial}");
}

/// Polls `kg-ls/search` for `query` until `done` holds of its items (updates are in the
/// background), and returns them.
fn until(c: &mut Client, ws: &Workspace, query: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = items(ws, &search(c, json!({"query": query})));
        if done(&found) || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn saves_watched_changes_and_edits_of_open_documents_are_indexed() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    // Saved on disk, then told.
    std::fs::write(ws.path("docs/notes.txt"), "Blue-green releases now.\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("docs/notes.txt")), "type": 2}]}),
    );
    let found = until(&mut c, &ws, "blue green", |f| !f.is_empty());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(until(&mut c, &ws, "rolling back", |f| f.is_empty()).is_empty(), "the old text is gone");
    // A new file, then a removed one.
    std::fs::write(ws.path("docs/new.md"), "# New\n\nCanary releases.\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("docs/new.md")), "type": 1}]}),
    );
    assert_eq!(until(&mut c, &ws, "canary", |f| !f.is_empty()).len(), 1);
    std::fs::remove_file(ws.path("docs/new.md")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("docs/new.md")), "type": 3}]}),
    );
    assert!(until(&mut c, &ws, "canary", |f| f.is_empty()).is_empty());
    // An open document, edited and not saved: found by its new text once the edits settle.
    let uri = c.open(&ws.path("docs/deploy.md"), "# Deploying\n\nWe ship every service to k8s.\n");
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "# Deploying\n\nNow with feature flags.\n"}],
        }),
    );
    let found = until(&mut c, &ws, "feature flags", |f| !f.is_empty());
    assert_eq!(found, [r#"document /docs/deploy.md "Deploying": "Now with feature flags." [2:9-2:16 2:17-2:22]"#]);
}

#[test]
fn a_restart_reuses_the_index_and_reads_only_what_changed() {
    let ws = workspace();
    let cache = tempfile::tempdir().unwrap();
    let run = |ws: &Workspace| {
        let mut c = Client::spawn_with_cache(&[], cache.path());
        c.initialize(&ws.root(), Value::Null, common::editor_capabilities());
        let end = c.wait_for("$/progress", |p| p["token"] == TEXT_INDEX && p["value"]["kind"] == "end");
        let r = search(&mut c, json!({"query": "rolling"}));
        let _ = c.shutdown_and_exit();
        (end["value"]["message"].as_str().unwrap().to_string(), r["total"].clone())
    };
    let (first, total) = run(&ws);
    assert!(first.starts_with("4 files indexed, 0 removed"), "{first}");
    assert_eq!(total, 2);
    let (second, total) = run(&ws);
    assert!(second.starts_with("0 files indexed, 0 removed"), "nothing changed: {second}");
    assert_eq!(total, 2, "answered from the reopened index");
    std::fs::write(ws.path("docs/notes.txt"), "Nothing about that.\n").unwrap();
    let (third, total) = run(&ws);
    assert!(third.starts_with("1 files indexed, 0 removed"), "only the changed file: {third}");
    assert_eq!(total, 1);
}

#[test]
fn workspace_symbols_rank_full_text_hits_after_concepts_and_headings() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    let r = c.request("workspace/symbol", json!({"query": "rolling"}));
    let names: Vec<(String, u64)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["kind"].as_u64().unwrap()))
        .collect();
    // Lines of documents (FIELD, 8), at their first match; no licence, no synonyms line.
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            ("Rolling back is rare.".to_string(), 8),
            ("We ship every service to k8s — with a rolling update.".to_string(), 8)
        ],
        "{r}"
    );
    let r = c.request("workspace/symbol", json!({"query": "orchestration"}));
    assert_eq!(r[0]["name"], "kubernetes", "a definition shows as its concept: {r}");
    assert_eq!(r[0]["containerName"], "definition");
}

#[test]
fn the_rebuild_command_indexes_everything_again() {
    let ws = workspace();
    let (mut c, _) = start(&ws);
    let ends = |c: &Client| -> Vec<String> {
        c.received
            .iter()
            .filter(|m| m["method"] == "$/progress" && m["params"]["token"] == TEXT_INDEX)
            .filter(|m| m["params"]["value"]["kind"] == "end")
            .map(|m| m["params"]["value"]["message"].as_str().unwrap().to_string())
            .collect()
    };
    let r = c.request_raw("workspace/executeCommand", json!({"command": "kg-ls.rebuildTextIndex", "arguments": []}));
    assert_eq!(r["result"], Value::Null, "{r}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while ends(&c).len() < 2 && Instant::now() < deadline {
        c.request("kg-ls/searchStats", Value::Null);
        std::thread::sleep(Duration::from_millis(20));
    }
    let ends = ends(&c);
    assert!(ends.len() == 2 && ends[1].starts_with("4 files indexed"), "every file again: {ends:?}");
    let stats = c.request("workspace/executeCommand", json!({"command": "kg-ls.stats", "arguments": []}));
    assert_eq!(stats["fullText"]["documents"], 4, "{stats}");
    assert_eq!(search(&mut c, json!({"query": "rolling"}))["total"], 2);
}
