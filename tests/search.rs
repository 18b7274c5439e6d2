//! Workspace symbol search over the real binary: streaming partial results, cancellation that
//! stops the work, ContentModified on a concurrent edit, no stale cached results after an
//! edit, and the disk cache across restarts (corrupt files ignored).

mod common;

use std::time::Duration;

use common::{Client, Workspace};
use serde_json::{Value, json};

const KG: &[(&str, &[u8])] = &[
    ("kg/tokio.md", b"# tokio\n\nAn async runtime.\n\nsynonyms:: tokio rt\n"),
    ("kg/tokio runtime.md", b"# tokio runtime\n"),
    ("docs/guide.md", b"# Guide\n\n## Alpha one\n\nWe tune the tokio runtime here.\n"),
];

fn names(result: &Value) -> Vec<String> {
    result.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
}

fn stats(c: &mut Client) -> Value {
    c.request("kg-ls/searchStats", Value::Null)
}

/// A workspace big enough that a search for a missing word takes a while (2,000 concepts and
/// 4,000 documents, the typo and subsequence passes finding nothing).
fn big_workspace() -> Workspace {
    let ws = Workspace::new(KG);
    let g = kg_ls::synth::generate(&kg_ls::synth::GenConfig::new(2_000));
    let docs = kg_ls::synth::generate_documents(&g, 4_000, 7);
    kg_ls::synth::write_documents(ws.dir.path(), &docs).unwrap();
    ws
}

fn options(cache: &std::path::Path, deadline_ms: u64) -> Value {
    json!({"search": {"deadline_ms": deadline_ms, "cache_dir": cache.to_str().unwrap(), "warm": false}})
}

#[test]
fn partial_results_arrive_before_an_empty_final_response() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), options(&ws.path("cache"), 5_000));
    // Full-text hits come once the documents are indexed, in the background after the load.
    c.wait_for("$/progress", |p| p["token"] == "kg-ls/text-index" && p["value"]["kind"] == "end");
    let r = c.request("workspace/symbol", json!({"query": "tokio", "partialResultToken": "p1", "workDoneToken": "w1"}));
    assert_eq!(r, json!([]), "the final response is empty when results were streamed");
    // One writer sends a request's notifications before its answer: everything streamed and
    // the end of the work-done progress were received before the response, without waiting.
    let partial: Vec<String> = c
        .received
        .iter()
        .filter(|m| m["method"] == "$/progress" && m["params"]["token"] == "p1")
        .flat_map(|m| names(&m["params"]["value"]))
        .collect();
    // Each service streams its batch when it is done, so batches may come in any order.
    // A full-text line or heading that is a concept's own title is dropped as a duplicate only
    // when the concept's batch went out first; else the better concept hit follows it.
    let mut sorted: Vec<&String> = partial.iter().filter(|n| !n.starts_with("# ")).collect();
    sorted.sort();
    sorted.dedup();
    // No `synonyms::` line: a concept file's text is searched as the concept's definition.
    assert_eq!(sorted, ["We tune the tokio runtime here.", "tokio", "tokio runtime"]);
    assert!(c.received.iter().any(|m| m["params"]["token"] == "w1" && m["params"]["value"]["kind"] == "end"));
    // The same query again comes from the cache, still as a partial result.
    let before = c.received.len();
    assert_eq!(c.request("workspace/symbol", json!({"query": "tokio", "partialResultToken": "p2"})), json!([]));
    let again: Vec<String> = c.received[before..]
        .iter()
        .filter(|m| m["params"]["token"] == "p2")
        .flat_map(|m| names(&m["params"]["value"]))
        .collect();
    // The cache holds the final, deduplicated list: the same hits as the stream, each once.
    let set = |v: &[String]| {
        let mut v: Vec<String> = v.iter().filter(|n| !n.starts_with("# ")).cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(set(&again), set(&partial));
    let mut unique = again.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(again.len(), unique.len());
    assert_eq!(stats(&mut c)["cached"], 1);
}

/// Sends a search for a missing word, waits until it runs, calls `stop` on it, and returns its
/// answer. A search may end between the moment it is seen running and the stop: then another
/// (uncached) one is tried, up to 20.
fn stop_a_running_search(c: &mut Client, stop: &mut dyn FnMut(&mut Client, &Value, i64)) -> Value {
    let mut r = Value::Null;
    for attempt in 0..20 {
        let id = json!(format!("s{attempt}"));
        let query = format!("qqqzzzxxx{attempt}");
        c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "workspace/symbol", "params": {"query": query}}));
        while stats(c)["running"] != 1 && !c.received_response(&id) {
            std::thread::sleep(Duration::from_millis(2));
        }
        stop(c, &id, attempt);
        r = c.response(&id);
        if r.get("error").is_some() {
            break;
        }
    }
    r
}

#[test]
fn cancel_answers_32800_and_stops_the_work() {
    let ws = big_workspace();
    let mut c = Client::start(&ws.root(), options(&ws.path("cache"), 600_000));
    c.request("workspace/symbol", json!({"query": "warm up"}));
    let r = stop_a_running_search(&mut c, &mut |c, id, _| c.notify("$/cancelRequest", json!({"id": id})));
    assert_eq!(r["error"]["code"], -32800, "{r}");
    // The search's threads are joined and unregistered once its work has stopped.
    let mut s = stats(&mut c);
    for _ in 0..500 {
        if s["running"] == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        s = stats(&mut c);
    }
    assert_eq!(s["running"], 0, "{s}");
    assert_eq!(s["cancelled"], 1, "{s}");
}

#[test]
fn an_edit_during_a_search_answers_32801() {
    let ws = big_workspace();
    let mut c = Client::start(&ws.root(), options(&ws.path("cache"), 600_000));
    let guide = ws.path("docs/guide.md");
    let uri = c.open(&guide, "# Guide\n");
    c.request("workspace/symbol", json!({"query": "warm up"}));
    let r = stop_a_running_search(&mut c, &mut |c, _, attempt| {
        let text = format!("# Guide {}\n", attempt + 2);
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": attempt + 2}, "contentChanges": [{"text": text}]}),
        );
    });
    assert_eq!(r["error"]["code"], -32801, "{r}");
    assert_eq!(stats(&mut c)["contentModified"], 1);
}

#[test]
fn an_edit_is_never_answered_from_a_stale_cache() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), options(&ws.path("cache"), 5_000));
    assert!(names(&c.request("workspace/symbol", json!({"query": "alpha"}))).contains(&"Alpha one".to_string()));
    let uri = c.open(&ws.path("docs/guide.md"), "# Guide\n\n## Beta two\n");
    let after = names(&c.request("workspace/symbol", json!({"query": "alpha"})));
    assert!(!after.contains(&"Alpha one".to_string()), "{after:?}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "# Guide\n\n## Alpha again\n"}]}),
    );
    assert_eq!(names(&c.request("workspace/symbol", json!({"query": "alpha"}))), ["Alpha again"]);
}

#[test]
fn the_disk_cache_survives_a_restart_and_corrupt_files_are_ignored() {
    let ws = Workspace::new(KG);
    let cache = ws.path("cache");
    let query = || json!({"query": "tokio"});

    let mut c = Client::start(&ws.root(), options(&cache, 5_000));
    let first = c.request("workspace/symbol", query());
    assert!(c.shutdown_and_exit().success());

    let mut c = Client::start(&ws.root(), options(&cache, 5_000));
    assert_eq!(c.request("workspace/symbol", query()), first);
    assert_eq!(stats(&mut c)["cache"]["l3"]["hits"], 1);
    assert!(c.shutdown_and_exit().success());

    let mut files = 0;
    for entry in walk(&cache) {
        let mut bytes = std::fs::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&entry, bytes).unwrap();
        files += 1;
    }
    assert_eq!(files, 1);
    let mut c = Client::start(&ws.root(), options(&cache, 5_000));
    assert_eq!(c.request("workspace/symbol", query()), first);
    let s = stats(&mut c);
    assert_eq!((s["cache"]["l3"]["hits"].clone(), s["cache"]["l3"]["misses"].clone()), (json!(0), json!(1)), "{s}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else if e.path().extension().is_some_and(|x| x == "kgc") {
            out.push(e.path());
        }
    }
    out
}
