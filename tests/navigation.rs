//! End-to-end tests of references and document highlights through the real `kg-ls` binary:
//! every term of a concept counts as the concept, in documents on disk, in open documents as
//! they are now, and in the concept files that name it.

mod common;

use common::{Client, Workspace};
use expect_test::{Expect, expect};
use serde_json::{Value, json};

const FILES: &[(&str, &[u8])] = &[
    (
        "kg/tokio runtime.md",
        b"# Tokio Runtime\n\nThe runtime.\n\nsynonyms:: tokio rt, async runtime\nrelated:: scheduler\n",
    ),
    ("kg/scheduler.md", b"# scheduler\n\nSee [[tokio runtime]].\n\nrelated:: tokio rt\n"),
    ("kg/tokio.md", b"# tokio\n"),
    ("docs/guide.md", b"# Guide\n\nThe tokio rt, an Async\nRuntime, and tokio.\n\n```\ntokio rt\n```\n"),
    ("docs/other.md", "Un runtime: l\u{2019}async runtime \u{1f600} ok.\n".as_bytes()),
];

/// Locations as `path line:col-line:col`, one per line, paths relative to the workspace.
fn render(ws: &Workspace, locations: &Value) -> String {
    let root = common::file_uri(&ws.root());
    let mut out = String::new();
    for l in locations.as_array().unwrap_or(&Vec::new()) {
        let uri = l["uri"].as_str().unwrap_or_default();
        let (s, e) = (&l["range"]["start"], &l["range"]["end"]);
        let path = uri.strip_prefix(&root).unwrap_or(uri).trim_start_matches('/').replace("%20", " ");
        out += &format!("{path} {}:{}-{}:{}\n", s["line"], s["character"], e["line"], e["character"]);
    }
    out
}

fn check_references(open: &str, text: &str, line: u32, character: u32, declaration: bool, expect: Expect) {
    let ws = Workspace::new(FILES);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path(open), text);
    let mut params = Client::position_params(&uri, line, character);
    params["context"] = json!({"includeDeclaration": declaration});
    let r = c.request("textDocument/references", params);
    expect.assert_eq(&render(&ws, &r));
}

#[test]
fn references_of_a_synonym_find_every_term_of_its_concept() {
    // The open document is read as it is in the editor, not as on disk.
    check_references(
        "docs/guide.md",
        "# Guide\n\nOnly the tokio rt here.\n",
        2,
        11,
        true,
        expect![[r#"
            docs/guide.md 2:9-2:17
            docs/other.md 0:14-0:27
            kg/scheduler.md 2:6-2:19
            kg/scheduler.md 4:10-4:18
            kg/tokio runtime.md 0:2-0:15
        "#]],
    );
}

#[test]
fn references_without_the_declaration_from_inside_the_concept_file() {
    let text = String::from_utf8(FILES[0].1.to_vec()).unwrap();
    check_references(
        "kg/tokio runtime.md",
        &text,
        0,
        4,
        false,
        expect![[r#"
            docs/guide.md 2:4-2:12
            docs/guide.md 2:17-3:7
            docs/other.md 0:14-0:27
            kg/scheduler.md 2:6-2:19
            kg/scheduler.md 4:10-4:18
        "#]],
    );
}

#[test]
fn references_on_no_term_are_null() {
    check_references("docs/guide.md", "nothing here\n", 0, 3, true, expect![[""]]);
}

#[test]
fn highlights_are_the_mentions_of_the_concept_in_this_document() {
    let ws = Workspace::new(FILES);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/new.md"), "tokio rt and TOKIO RUNTIME, not tokio.\n`tokio rt`\n");
    let r = c.request("textDocument/documentHighlight", Client::position_params(&uri, 0, 2));
    let got: Vec<String> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}:{}-{}",
                h["range"]["start"]["line"], h["range"]["start"]["character"], h["range"]["end"]["character"]
            )
        })
        .collect();
    assert_eq!(got, ["0:0-8", "0:13-26"], "{r}");
}

#[test]
fn a_document_saved_on_disk_is_indexed_again() {
    let ws = Workspace::new(FILES);
    let mut c = Client::start(&ws.root(), Value::Null);
    std::fs::write(ws.path("docs/other.md"), "nothing\n\nthe tokio rt\n").unwrap();
    let uri = common::file_uri(&ws.path("docs/other.md"));
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 2}]}));
    let probe = c.open(&ws.path("docs/probe.md"), "tokio rt\n");
    let mut params = Client::position_params(&probe, 0, 1);
    params["context"] = json!({"includeDeclaration": false});
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = c.request("textDocument/references", params.clone());
        let text = render(&ws, &r);
        if text.contains("docs/other.md 2:4-2:12") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never re-indexed: {text}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
