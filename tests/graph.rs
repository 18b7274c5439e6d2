//! End-to-end tests of walking the graph: `kg-ls/graph` by name and by position, the call
//! hierarchy over `related::`, and the `kg-ls graph` command, through the real binary.

mod common;

use std::process::Command;

use common::{Client, Workspace, file_uri};
use expect_test::{Expect, expect};
use serde_json::{Value, json};

const TOKIO: &[u8] = b"# tokio\n\nThe runtime.\n\nsynonyms:: Tokio RT\nrelated:: future, Async Runtime\n";

fn workspace() -> Workspace {
    Workspace::new(&[
        ("kg/tokio.md", TOKIO),
        ("kg/future.md", b"# future\n\nsynonyms:: promise\nrelated:: waker\n"),
        ("kg/async runtime.md", b"# async runtime\n\nrelated:: tokio\n"),
        ("kg/waker.md", b"# waker\n"),
        ("kg/概念 \"graph\".md", "# 概念 \"graph\"\n\nrelated:: tokio rt\n".as_bytes()),
        ("notes.md", b"We use tokio and a promise, then a future.\n\nTokio RT again.\n"),
    ])
}

/// A `kg-ls/graph` answer as lines: the root, each node, each edge; paths relative to `ws`.
fn show(ws: &Workspace, r: &Value) -> String {
    let root = ws.root().display().to_string();
    let mut out = format!("root {} truncated {}\n", r["root"], r["truncated"]);
    for n in r["nodes"].as_array().unwrap() {
        let path = n["path"].as_str().unwrap();
        assert_eq!(n["uri"].as_str().unwrap(), file_uri(std::path::Path::new(path)), "{n}");
        out += &format!(
            "  {} {} ({}:{}) {} mentions\n",
            n["depth"],
            n["id"].as_str().unwrap(),
            path.replace(&format!("{root}/"), ""),
            n["line"],
            n["mentions"]
        );
        assert_eq!(n["id"], n["name"]);
    }
    for e in r["edges"].as_array().unwrap() {
        out += &format!("  {} -> {}\n", e["from"].as_str().unwrap(), e["to"].as_str().unwrap());
    }
    out
}

fn check(ws: &Workspace, c: &mut Client, params: Value, expect: Expect) {
    let r = c.request("kg-ls/graph", params);
    expect.assert_eq(&show(ws, &r));
}

#[test]
fn graph_by_name_to_depths_zero_one_and_two() {
    let ws = workspace();
    let mut c = Client::start(&ws.root(), Value::Null);
    check(
        &ws,
        &mut c,
        json!({"concept": "TOKIO rt", "depth": 0}),
        expect![[r#"
            root "tokio" truncated false
              0 tokio (kg/tokio.md:0) 2 mentions
        "#]],
    );
    check(
        &ws,
        &mut c,
        json!({"concept": "tokio"}),
        expect![[r#"
            root "tokio" truncated false
              0 tokio (kg/tokio.md:0) 2 mentions
              1 future (kg/future.md:0) 2 mentions
              1 async runtime (kg/async runtime.md:0) 0 mentions
              1 概念 "graph" (kg/概念 "graph".md:0) 0 mentions
              tokio -> future
              tokio -> async runtime
              async runtime -> tokio
              概念 "graph" -> tokio
        "#]],
    );
    check(
        &ws,
        &mut c,
        json!({"concept": "promise", "depth": 2}),
        expect![[r#"
            root "future" truncated false
              0 future (kg/future.md:0) 2 mentions
              1 waker (kg/waker.md:0) 0 mentions
              1 tokio (kg/tokio.md:0) 2 mentions
              2 async runtime (kg/async runtime.md:0) 0 mentions
              2 概念 "graph" (kg/概念 "graph".md:0) 0 mentions
              future -> waker
              tokio -> future
              tokio -> async runtime
              async runtime -> tokio
              概念 "graph" -> tokio
        "#]],
    );
    // Depth above the range is taken as its top.
    let r = c.request("kg-ls/graph", json!({"concept": "waker", "depth": 50}));
    assert_eq!(r["nodes"].as_array().unwrap().len(), 5, "{r}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn graph_at_a_position_in_a_document_and_in_a_concept_file() {
    let ws = workspace();
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("notes.md"), "We use tokio and a promise, then a future.\n\nTokio RT again.\n");
    let at = |line, character, depth| {
        let mut p = Client::position_params(&doc, line, character);
        p["depth"] = json!(depth);
        p
    };
    check(
        &ws,
        &mut c,
        at(0, 22, 0),
        expect![[r#"
            root "future" truncated false
              0 future (kg/future.md:0) 2 mentions
        "#]],
    );
    // No term at the position: no root and no nodes, not an error.
    check(
        &ws,
        &mut c,
        at(0, 1, 1),
        expect![[r#"
        root null truncated false
    "#]],
    );
    // A concept file on its own heading, open or not.
    let concept = file_uri(&ws.path("kg/waker.md"));
    let mut p = Client::position_params(&concept, 0, 0);
    p["depth"] = json!(1);
    check(
        &ws,
        &mut c,
        p,
        expect![[r#"
            root "waker" truncated false
              0 waker (kg/waker.md:0) 0 mentions
              1 future (kg/future.md:0) 2 mentions
              future -> waker
        "#]],
    );
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn an_unknown_concept_and_bad_params_are_invalid_params_with_a_reason() {
    let ws = workspace();
    let mut c = Client::start(&ws.root(), Value::Null);
    let error = |c: &mut Client, params: Value| {
        let r = c.request_raw("kg-ls/graph", params);
        assert_eq!(r["error"]["code"], -32602, "{r}");
        r["error"]["message"].as_str().unwrap().to_string()
    };
    assert_eq!(error(&mut c, json!({"concept": "nowhere"})), r#"kg-ls/graph: no concept has the term "nowhere""#);
    assert!(error(&mut c, json!({})).contains("give `concept`"));
    assert!(error(&mut c, json!({"concept": "tokio", "depth": -1})).contains("depth"));
    assert!(error(&mut c, json!({"concep": "tokio"})).contains("concep"));
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

/// Call-hierarchy items and calls as lines: name, file, range, detail; ranges as
/// `line:col-line:col`.
fn show_items(ws: &Workspace, items: &Value, key: &str) -> String {
    let root = file_uri(&ws.root());
    let range = |r: &Value| {
        format!("{}:{}-{}:{}", r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"])
    };
    let mut out = String::new();
    for entry in items.as_array().unwrap() {
        let item = if key.is_empty() { entry } else { &entry[key] };
        out += &format!(
            "{} kind {} {} {} detail {}",
            item["name"].as_str().unwrap(),
            item["kind"],
            item["uri"].as_str().unwrap().replace(&format!("{root}/"), ""),
            range(&item["range"]),
            item["detail"]
        );
        if let Some(from) = entry["fromRanges"].as_array() {
            out += &format!(" from {}", from.iter().map(range).collect::<Vec<_>>().join(", "));
        }
        out.push('\n');
    }
    out
}

#[test]
fn call_hierarchy_prepares_a_concept_and_walks_related_both_ways() {
    let ws = workspace();
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, common::editor_capabilities());
    assert_eq!(init["capabilities"]["callHierarchyProvider"], true, "{init}");
    let doc = c.open(&ws.path("notes.md"), "We use tokio and a promise, then a future.\n\nTokio RT again.\n");
    let items = c.request("textDocument/prepareCallHierarchy", Client::position_params(&doc, 2, 2));
    expect![[r#"
        tokio kind 20 kg/tokio.md 0:0-1:0 detail "Tokio RT"
    "#]]
    .assert_eq(&show_items(&ws, &items, ""));
    let item = items[0].clone();
    assert_eq!(item["data"]["concept"], "tokio");

    let outgoing = c.request("callHierarchy/outgoingCalls", json!({"item": item}));
    expect![[r#"
        future kind 20 kg/future.md 0:0-1:0 detail "promise" from 5:10-5:16
        async runtime kind 20 kg/async%20runtime.md 0:0-1:0 detail null from 5:18-5:31
    "#]]
    .assert_eq(&show_items(&ws, &outgoing, "to"));
    let incoming = c.request("callHierarchy/incomingCalls", json!({"item": item}));
    expect![[r#"
        async runtime kind 20 kg/async%20runtime.md 0:0-1:0 detail null from 2:10-2:15
        概念 "graph" kind 20 kg/%E6%A6%82%E5%BF%B5%20%22graph%22.md 0:0-1:0 detail null from 2:10-2:18
        notes.md kind 1 notes.md 0:7-0:12 detail "2 mentions" from 0:7-0:12, 2:0-2:8
    "#]]
    .assert_eq(&show_items(&ws, &incoming, "from"));

    // In a concept file, on its own heading; and an item whose id is gone is found by name.
    let concept = c.open(&ws.path("kg/tokio.md"), std::str::from_utf8(TOKIO).unwrap());
    let items = c.request("textDocument/prepareCallHierarchy", Client::position_params(&concept, 0, 0));
    assert_eq!(items[0]["name"], "tokio", "{items}");
    let stale = json!({"item": {"name": "waker", "kind": 20, "uri": file_uri(&ws.path("kg/waker.md")),
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
        "selectionRange": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}}});
    let incoming = c.request("callHierarchy/incomingCalls", stale);
    expect![[r#"
        future kind 20 kg/future.md 0:0-1:0 detail "promise" from 3:10-3:15
    "#]]
    .assert_eq(&show_items(&ws, &incoming, "from"));
    // An item of another kind (its data names no concept) has no calls.
    let mut other = item.clone();
    other["data"] = json!({"document": "notes.md"});
    let none = c.request("callHierarchy/outgoingCalls", json!({"item": other}));
    assert!(none.is_null(), "{none}");
    // No term: no item.
    let none = c.request("textDocument/prepareCallHierarchy", Client::position_params(&doc, 0, 1));
    assert!(none.is_null(), "{none}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

fn kg_ls(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kg-ls"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run kg-ls");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn the_graph_command_prints_dot_and_json_for_the_demo() {
    let (code, stdout, stderr) = kg_ls(&["graph", "--workspace", "examples/demo", "--depth", "1", "Tokio RT"]);
    assert_eq!(code, 0, "{stderr}");
    expect![[r#"
        digraph kg {
          node [shape=box];
          "tokio runtime" [label="tokio runtime\n10 mentions", tooltip="kg/runtime/tokio runtime.md", style=bold];
          "tokio" [label="tokio\n25 mentions", tooltip="kg/runtime/tokio.md"];
          "async runtime" [label="async runtime\n23 mentions", tooltip="kg/runtime/async runtime.md"];
          "work stealing" [label="work stealing\n4 mentions", tooltip="kg/runtime/work stealing.md"];
          "future" [label="future\n12 mentions", tooltip="kg/runtime/future.md"];
          "spawn blocking" [label="spawn blocking\n9 mentions", tooltip="kg/runtime/spawn blocking.md"];
          "send and sync" [label="send and sync\n5 mentions", tooltip="kg/concurrency/send and sync.md"];
          "tokio runtime" -> "tokio";
          "tokio runtime" -> "async runtime";
          "tokio runtime" -> "work stealing";
          "tokio runtime" -> "future";
          "tokio runtime" -> "spawn blocking";
          "tokio" -> "tokio runtime";
          "tokio" -> "async runtime";
          "tokio" -> "spawn blocking";
          "async runtime" -> "tokio";
          "async runtime" -> "future";
          "async runtime" -> "tokio runtime";
          "work stealing" -> "tokio runtime";
          "work stealing" -> "async runtime";
          "spawn blocking" -> "tokio runtime";
          "spawn blocking" -> "tokio";
          "send and sync" -> "tokio runtime";
          "send and sync" -> "future";
        }
    "#]]
    .assert_eq(&stdout);
    let (code, stdout, stderr) =
        kg_ls(&["graph", "waker", "--workspace", "examples/demo", "--format", "json", "--depth", "0"]);
    assert_eq!(code, 0, "{stderr}");
    let root = std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo")).unwrap();
    expect![[r#"
        {
          "root": "waker",
          "nodes": [
            {
              "id": "waker",
              "name": "waker",
              "uri": "file://$DEMO/kg/runtime/waker.md",
              "path": "kg/runtime/waker.md",
              "line": 0,
              "mentions": 1,
              "depth": 0
            }
          ],
          "edges": [],
          "truncated": false
        }
    "#]]
    .assert_eq(&stdout.replace(&file_uri(&root), "file://$DEMO"));

    let (code, stdout, stderr) = kg_ls(&["graph", "--workspace", "examples/demo", "no such thing"]);
    assert_eq!((code, stdout.as_str()), (4, ""));
    assert!(stderr.contains(r#"has the term "no such thing""#), "{stderr}");
    let (code, _, stderr) = kg_ls(&["graph", "--workspace", "examples/demo", "--depth", "9", "tokio"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--depth takes a whole number from 0 to 5"), "{stderr}");
    let (code, _, stderr) = kg_ls(&["graph", "--workspace", "examples/demo", "--format", "svg", "tokio"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--format takes dot or json"), "{stderr}");
    let (code, _, stderr) = kg_ls(&["graph", "--workspace", "examples/demo"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("name a concept"), "{stderr}");
    let (code, stdout, _) = kg_ls(&["graph", "--help"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("usage: kg-ls graph"), "{stdout}");
}

#[test]
fn mention_counts_follow_a_document_changed_on_disk() {
    let ws = workspace();
    let mut c = Client::start(&ws.root(), Value::Null);
    let tokio = |c: &mut Client| -> u64 {
        let r = c.request("kg-ls/graph", json!({"concept": "tokio", "depth": 0}));
        r["nodes"][0]["mentions"].as_u64().unwrap()
    };
    assert_eq!(tokio(&mut c), 2);
    // A new document that mentions tokio three times (once as its synonym), saved behind the
    // editor's back and announced by its watcher.
    let path = ws.path("more.md");
    std::fs::write(&path, "tokio, Tokio and tokio rt\n").unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": file_uri(&path), "type": 1}]}));
    let deadline = std::time::Instant::now() + common::TIMEOUT;
    let mut seen = tokio(&mut c);
    while seen != 5 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        seen = tokio(&mut c);
    }
    assert_eq!(seen, 5, "tokio's mentions after more.md was added");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}
