//! End-to-end tests of hover and completion documentation: the real `kg-ls` binary over stdio,
//! on the Terraphim knowledge graph and on concept files edited in the editor.

mod common;

use common::{Client, Workspace, file_uri};
use serde_json::{Value, json};

fn terraphim() -> Workspace {
    let ws = Workspace::new(&[(".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"thesaurus_Default.json\"]\n")]);
    ws.copy_fixture("terraphim/docs/src/kg", "kg");
    ws.copy_fixture("terraphim/terraphim_server/fixtures/thesaurus_Default.json", "thesaurus_Default.json");
    ws
}

/// The hover's text. A hover over its render budget (likely in debug builds) shows what was
/// ready and finishes in the background; ask again until the whole text is there.
fn hover_text(c: &mut Client, uri: &str, line: u32, character: u32) -> String {
    for _ in 0..500 {
        let r = c.request("textDocument/hover", Client::position_params(uri, line, character));
        let text = r["contents"]["value"].as_str().unwrap_or_default().to_string();
        if !text.contains("still rendering") {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the hover never finished rendering");
}

#[test]
fn terraphim_hovers_are_clean_linked_markdown() {
    let ws = terraphim();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "see learnings-system and knowledge graph");
    let md = hover_text(&mut c, &uri, 0, 6);
    assert!(md.starts_with("### learnings-system\n\n**Synonyms:** Learning Capture System\n"), "{md}");
    // Headings inside the definition are demoted below the hover title; lists are numbered.
    assert!(md.contains("\n##### Overview\n") && md.contains("\n###### Global ("), "{md}");
    assert!(!md.contains("\n## Overview") && !md.contains("\n### Global"), "{md}");
    assert!(md.contains("1. **Captures**") && md.contains("2. **Redacts**"), "{md}");
    // The long definition is cut at a block boundary, with a link to the rest.
    assert!(md.len() < 2 * 6000, "two concepts claim the term, each cut: {}", md.len());
    let file = file_uri(&ws.path("kg/learnings-system.md"));
    assert!(md.contains(&format!("\n\n[… the rest is in learnings-system.md]({file}#L1)\n")), "{md}");
    assert_eq!(md.matches("```").count() % 2, 0, "fences are balanced: {md}");

    let md = hover_text(&mut c, &uri, 0, 30);
    assert!(md.contains("\n###### Knowledge Graph Structure\n\n```rust\npub struct RoleGraph {"), "{md}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));

    // Uncut, relative links point at absolute file URIs next to the concept file.
    let mut c = Client::start(&ws.root(), json!({"hover": {"max_length": 1_000_000}}));
    let uri = c.open(&ws.path("notes.md"), "see learnings-system");
    let md = hover_text(&mut c, &uri, 0, 6);
    let kg = file_uri(&ws.path("kg"));
    assert!(md.contains(&format!("[Knowledge Graph Documentation]({kg}/knowledge-graph.md)")), "{md}");
    assert!(md.contains(&format!("[Terraphim Agent CLI]({})", file_uri(&ws.path("reference/cli.md")))), "{md}");
    assert!(!md.contains("the rest is in"), "{md}");
}

#[test]
fn unsaved_edits_change_the_hover_and_unsafe_markdown_never_reaches_the_client() {
    let ws = Workspace::new(&[
        ("kg/tokio.md", b"# tokio\n\nThe runtime.\n" as &[u8]),
        ("kg/tokio runtime.md", b"# tokio runtime\n\nA scheduler.\n"),
    ]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("notes.md"), "tokio");
    assert!(hover_text(&mut c, &doc, 0, 1).contains("The runtime."));

    let concept = c.open(&ws.path("kg/tokio.md"), "# tokio\n\nThe runtime.\n");
    let edited = "# tokio\n\nThe **edited** runtime, see [[tokio runtime]].\n\n[Run it](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> [js](javascript:alert(1)) <command:evil>\n\n<script>alert(1)</script>\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": concept, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    let md = hover_text(&mut c, &doc, 0, 1);
    let runtime = file_uri(&ws.path("kg/tokio runtime.md"));
    assert!(md.contains(&format!("The **edited** runtime, see [tokio runtime]({runtime}#L1).")), "{md}");
    assert!(md.contains("Run it"), "{md}");
    for bad in ["command:workbench", "javascript:", "](command", "<command", "<img"] {
        assert!(!md.contains(bad), "{bad} reached the client: {md}");
    }
    // An HTML block is shown as its source in a code block, never as HTML.
    assert!(md.contains("```html\n<script>alert(1)</script>\n```"), "{md}");
    assert_eq!(md.matches("<script").count(), 1, "{md}");
    // Saving is not needed; closing without saving goes back to the disk.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": concept}}));
    assert!(hover_text(&mut c, &doc, 0, 1).contains("The runtime."));
}

#[test]
fn definitions_are_read_from_disk_and_follow_the_file_even_unannounced() {
    let ws = Workspace::new(&[
        ("kg/tokio.md", b"# tokio\n\nThe runtime.\n" as &[u8]),
        ("kg/serde.md", b"# serde\n\nSerialization.\n"),
        ("kg/actor.md", b"# actor\n"),
    ]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("notes.md"), "tokio serde actor");
    assert!(hover_text(&mut c, &doc, 0, 1).contains("The runtime."));
    // Saved elsewhere and announced: the hover, cached before, shows the new text.
    std::fs::write(ws.path("kg/tokio.md"), "# tokio\n\nThe new runtime.\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("kg/tokio.md")), "type": 2}]}),
    );
    let md = hover_text(&mut c, &doc, 0, 1);
    assert!(md.contains("The new runtime."), "{md}");
    // Rewritten without a word to the server (another file: the announced one may still be
    // read again in the background): the cached hover is passed over at once. The file had no
    // definition when it was loaded, and gets one.
    assert_eq!(hover_text(&mut c, &doc, 0, 13), "### actor\n");
    std::fs::write(ws.path("kg/actor.md"), "# actor\n\nAn actor, defined unannounced.\n").unwrap();
    let md = hover_text(&mut c, &doc, 0, 13);
    assert!(md.contains("An actor, defined unannounced."), "{md}");
    // Removed without a word to the server: the hover names the concept and says what is wrong.
    std::fs::remove_file(ws.path("kg/serde.md")).unwrap();
    let md = hover_text(&mut c, &doc, 0, 7);
    assert!(md.starts_with("### serde\n\n*The definition could not be read: "), "{md}");
    assert!(md.contains("serde.md: path does not exist*"), "{md}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn completion_resolve_fills_documentation_with_the_same_renderer() {
    let ws = Workspace::new(&[(
        "kg/async runtime.md",
        b"# async runtime\n\nRuns *futures*. [Docs](docs/rt.md) [x](command:x)\n\nsynonyms:: executor\n" as &[u8],
    )]);
    let mut c = Client::spawn(&[]);
    let mut caps = common::editor_capabilities();
    caps["textDocument"]["completion"]["completionItem"]["documentationFormat"] = json!(["markdown", "plaintext"]);
    let init = c.initialize(&ws.root(), Value::Null, caps);
    assert_eq!(init["capabilities"]["completionProvider"]["resolveProvider"], true);
    let uri = c.open(&ws.path("notes.md"), "the execu");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 9));
    let item = r["items"][0].clone();
    assert_eq!(item["label"], "executor");
    assert!(item.get("documentation").is_none(), "documentation waits for resolve: {item}");
    let resolved = c.request("completionItem/resolve", item);
    assert_eq!(resolved["documentation"]["kind"], "markdown");
    let doc = resolved["documentation"]["value"].as_str().unwrap();
    let docs = file_uri(&ws.path("kg/docs/rt.md"));
    assert_eq!(doc, format!("### async runtime\n\n**Synonyms:** executor\n\nRuns *futures*. [Docs]({docs}) x\n"));
    let other = c.open(&ws.path("other.md"), "an executor");
    let hover = hover_text(&mut c, &other, 0, 5);
    assert_eq!(hover, doc, "hover and documentation render alike");

    // An item whose concept is gone resolves to itself.
    let stale = json!({"label": "gone", "data": {"concept": "gone", "path": "/nowhere/gone.md"}});
    let r = c.request("completionItem/resolve", stale.clone());
    assert_eq!(r, stale);
}

#[test]
fn an_item_resolves_to_its_concept_after_a_rebuild_moved_the_concepts() {
    let ws = Workspace::new(&[("kg/tokio.md", b"# tokio\n\nAn async runtime.\n" as &[u8])]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "tok");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
    let item = r["items"][0].clone();
    assert_eq!(item["label"], "tokio");
    // A concept file that sorts first: the rebuilt graph numbers its concepts anew.
    std::fs::write(ws.path("kg/aardvark.md"), "# aardvark\n\nAn animal.\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("kg/aardvark.md")), "type": 1}]}),
    );
    let other = c.open(&ws.path("other.md"), "aardvark");
    let mut rebuilt = false;
    for _ in 0..300 {
        if c.request("textDocument/hover", Client::position_params(&other, 0, 1)) != Value::Null {
            rebuilt = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(rebuilt, "the new concept file was never loaded");
    let resolved = c.request("completionItem/resolve", item);
    let doc = resolved["documentation"]["value"].as_str().or(resolved["documentation"].as_str()).unwrap_or_default();
    assert!(doc.contains("An async runtime.") && !doc.contains("animal"), "{resolved}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn hover_max_length_is_configurable_and_plain_text_is_plain() {
    let para = "A paragraph about the runtime.\n\n".repeat(40);
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[hover]\nmax_length = 200\n" as &[u8]),
        ("kg/long.md", format!("# long\n\n{para}").as_bytes()),
    ]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "long");
    let md = hover_text(&mut c, &uri, 0, 1);
    // The blocks that fit in 200 bytes with the heading: six of 32 bytes.
    assert_eq!(md.matches("A paragraph").count(), 6, "{md}");
    assert!(md.ends_with(&format!("[… the rest is in long.md]({}#L1)\n", file_uri(&ws.path("kg/long.md")))), "{md}");

    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, json!({"textDocument": {"hover": {"contentFormat": ["plaintext"]}}}));
    let uri = c.open(&ws.path("notes.md"), "long");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 1));
    assert_eq!(r["contents"]["kind"], "plaintext");
    let text = r["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("long\n\nA paragraph about the runtime.\n"), "{text}");
    assert!(text.contains("… the rest is in ") && !text.contains("]("), "{text}");
}

#[test]
fn a_concept_file_with_megabytes_of_synonyms_keeps_hover_and_resolve_to_max_length() {
    // One synonym line of about 2 MB, and a second concept named in a megabyte-long value.
    let synonyms: Vec<String> = (0..150_000).map(|i| format!("huge synonym {i}")).collect();
    let huge = format!("# huge\n\nA concept with too many synonyms.\n\nsynonyms:: {}\n", synonyms.join(", "));
    assert!(huge.len() > 2_000_000);
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[hover]\nmax_length = 1000\n" as &[u8]),
        ("kg/huge.md", huge.as_bytes()),
        ("kg/tokio.md", b"# tokio\n\nAn async runtime.\n"),
    ]);
    let mut c = Client::spawn(&[]);
    let mut caps = common::editor_capabilities();
    caps["textDocument"]["completion"]["completionItem"]["documentationFormat"] = json!(["markdown", "plaintext"]);
    c.initialize(&ws.root(), Value::Null, caps);
    let uri = c.open(&ws.path("notes.md"), "huge");
    // What the renderer may add past the budget: the closing markup and the link to the rest.
    let bound = 1000 + kg_ls::render::MAX_OVERRUN;
    let hover = hover_text(&mut c, &uri, 0, 1);
    assert!(hover.starts_with("### huge\n"), "{}", &hover[..hover.len().min(300)]);
    assert!(hover.len() <= bound, "the hover is {} bytes", hover.len());
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 4));
    let item = r["items"].as_array().unwrap().iter().find(|i| i["label"] == "huge").cloned().expect("huge is offered");
    let resolved = c.request("completionItem/resolve", item);
    let doc = resolved["documentation"]["value"].as_str().unwrap_or_default();
    assert!(doc.starts_with("### huge\n") && doc.len() <= bound, "the documentation is {} bytes", doc.len());
    // The other concepts answer as usual.
    let other = c.open(&ws.path("other.md"), "tokio");
    assert!(hover_text(&mut c, &other, 0, 1).contains("An async runtime."));
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}
