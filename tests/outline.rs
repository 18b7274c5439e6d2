//! End-to-end tests of document links, document symbols (the outline) and the `[` completion
//! trigger: the real `kg-ls` binary over stdio, on a small workspace.

mod common;

use common::{Client, Workspace, editor_capabilities, file_uri};
use expect_test::{Expect, expect};
use serde_json::{Value, json};

fn small() -> Workspace {
    Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"glossary.json\"]\n"),
        ("kg/async runtime.md", b"# async runtime\n\nRuns futures; see [[Tokio]].\n\nsynonyms:: executor\nrelated:: tokio\n"),
        ("kg/tokio.md", b"# Tokio\n\nThe tokio runtime library.\n\nsynonyms:: tokio-rs, tokio rt\n"),
        (
            "glossary.json",
            b"{\"name\": \"g\", \"data\": {\n  \"actor model\": {\"id\": 1, \"nterm\": \"actor model\"},\n  \"actors\": {\"id\": 1, \"nterm\": \"actor model\"}\n}}",
        ),
    ])
}

/// A client that takes document symbols as a tree, like VS Code, Neovim and Emacs.
fn hierarchical() -> Value {
    let mut caps = editor_capabilities();
    caps["textDocument"]["documentSymbol"] = json!({"hierarchicalDocumentSymbolSupport": true});
    caps
}

fn start(ws: &Workspace, caps: Value) -> Client {
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, caps);
    c
}

/// `line:col-line:col` of an LSP range.
fn span(r: &Value) -> String {
    format!("{}:{}-{}:{}", r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"])
}

/// Each link as its range, the text it covers, its target relative to the workspace, and its
/// tooltip.
fn check_links(c: &mut Client, ws: &Workspace, uri: &str, text: &str, expect: Expect) {
    let links = c.request("textDocument/documentLink", json!({"textDocument": {"uri": uri}}));
    let root = file_uri(&ws.root());
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for l in links.as_array().unwrap() {
        let r = &l["range"];
        let line = lines[r["start"]["line"].as_u64().unwrap() as usize];
        let (from, to) =
            (r["start"]["character"].as_u64().unwrap() as usize, r["end"]["character"].as_u64().unwrap() as usize);
        let target = l["target"].as_str().unwrap().replacen(&root, "", 1);
        out += &format!("{} {:?} -> {target} ({})\n", span(r), &line[from..to], l["tooltip"].as_str().unwrap());
    }
    expect.assert_eq(&out);
}

#[test]
fn document_links_in_a_document_and_a_concept_file() {
    let ws = small();
    let mut c = start(&ws, editor_capabilities());
    let doc = "# Notes\n\nSee [[Tokio]], [[TOKIO RT|the runtime]], [[actors]] and [[nowhere]].\n\n`[[tokio]]`\n";
    let uri = c.open(&ws.path("notes.md"), doc);
    check_links(
        &mut c,
        &ws,
        &uri,
        doc,
        expect![[r#"
            2:4-2:13 "[[Tokio]]" -> /kg/tokio.md (tokio)
            2:15-2:39 "[[TOKIO RT|the runtime]]" -> /kg/tokio.md (tokio)
            2:41-2:51 "[[actors]]" -> /glossary.json#L2 (actor model)
        "#]],
    );

    let concept = "# async runtime\n\nRuns futures; see [[Tokio]].\n\nsynonyms:: executor\nrelated:: tokio,  tokio rt , nowhere, Actor Model\n";
    let uri = c.open(&ws.path("kg/async runtime.md"), concept);
    check_links(
        &mut c,
        &ws,
        &uri,
        concept,
        expect![[r#"
            2:18-2:27 "[[Tokio]]" -> /kg/tokio.md (tokio)
            5:10-5:15 "tokio" -> /kg/tokio.md (tokio)
            5:18-5:26 "tokio rt" -> /kg/tokio.md (tokio)
            5:38-5:49 "Actor Model" -> /glossary.json#L2 (actor model)
        "#]],
    );
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

/// The outline as an indented tree: kind, name, detail, the range and the selection range.
fn tree(symbols: &Value, depth: usize, out: &mut String) {
    for s in symbols.as_array().unwrap() {
        let detail = s["detail"].as_str().map_or(String::new(), |d| format!(" ({d})"));
        out.push_str(&format!(
            "{}{} {:?}{detail} {} sel={}\n",
            "  ".repeat(depth),
            s["kind"],
            s["name"].as_str().unwrap(),
            span(&s["range"]),
            span(&s["selectionRange"]),
        ));
        if let Some(children) = s.get("children") {
            tree(children, depth + 1, out);
        }
    }
}

fn check_symbols(c: &mut Client, uri: &str, expect: Expect) {
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let mut out = String::new();
    if symbols.as_array().unwrap().first().is_some_and(|s| s.get("location").is_some()) {
        for s in symbols.as_array().unwrap() {
            let container = s["containerName"].as_str().map_or(String::new(), |p| format!(" in {p:?}"));
            out += &format!(
                "{} {:?}{container} {}\n",
                s["kind"],
                s["name"].as_str().unwrap(),
                span(&s["location"]["range"])
            );
        }
    } else {
        tree(&symbols, 0, &mut out);
    }
    expect.assert_eq(&out);
}

const DOC: &str = "# Guide\n\nIntro.\n\n## Install\n\nSteps.\n\n### Linux\n\n## Use\n\n```\n# not a heading\n```\n";
const CONCEPT: &str = "# Tokio\n\nThe tokio runtime library.\n\nsynonyms:: tokio-rs, tokio rt\nrelated:: async runtime\nsource:: https://tokio.rs\n\n## Notes\n";

#[test]
fn document_symbols_as_a_tree() {
    let ws = small();
    let mut c = start(&ws, hierarchical());
    let uri = c.open(&ws.path("docs/guide.md"), DOC);
    check_symbols(
        &mut c,
        &uri,
        expect![[r#"
        15 "Guide" (#) 0:0-14:3 sel=0:2-0:7
          15 "Install" (##) 4:0-8:9 sel=4:3-4:10
            15 "Linux" (###) 8:0-8:9 sel=8:4-8:9
          15 "Use" (##) 10:0-14:3 sel=10:3-10:6
    "#]],
    );
    let uri = c.open(&ws.path("kg/tokio.md"), CONCEPT);
    check_symbols(
        &mut c,
        &uri,
        expect![[r#"
            20 "tokio" (concept) 0:0-9:0 sel=0:2-0:7
              14 "tokio-rs" 4:11-4:19 sel=4:11-4:19
              14 "tokio rt" 4:21-4:29 sel=4:21-4:29
              11 "async runtime" 5:10-5:23 sel=5:10-5:23
              7 "source" (https://tokio.rs) 6:0-6:25 sel=6:0-6:6
              15 "Notes" (##) 8:0-8:8 sel=8:3-8:8
        "#]],
    );
    let text = std::fs::read_to_string(ws.path("glossary.json")).unwrap();
    let uri = c.open(&ws.path("glossary.json"), &text);
    check_symbols(
        &mut c,
        &uri,
        expect![[r#"
            20 "actor model" (concept) 1:3-2:9 sel=1:3-1:14
              14 "actors" 2:3-2:9 sel=2:3-2:9
        "#]],
    );
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn document_symbols_flat_for_clients_without_hierarchy() {
    let ws = small();
    let mut c = start(&ws, editor_capabilities());
    let uri = c.open(&ws.path("docs/guide.md"), DOC);
    check_symbols(
        &mut c,
        &uri,
        expect![[r#"
        15 "Guide" 0:2-0:7
        15 "Install" in "Guide" 4:3-4:10
        15 "Linux" in "Install" 8:4-8:9
        15 "Use" in "Guide" 10:3-10:6
    "#]],
    );
    let uri = c.open(&ws.path("kg/tokio.md"), CONCEPT);
    check_symbols(
        &mut c,
        &uri,
        expect![[r#"
            20 "tokio" 0:2-0:7
            14 "tokio-rs" in "tokio" 4:11-4:19
            14 "tokio rt" in "tokio" 4:21-4:29
            11 "async runtime" in "tokio" 5:10-5:23
            7 "source" in "tokio" 6:0-6:6
            15 "Notes" in "tokio" 8:3-8:8
        "#]],
    );
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

/// Typing `[` triggers completion (triggerKind 2): a lone `[` (a markdown link) gets an empty
/// list at once, `[[` the wiki-link items, closed with `]]`.
#[test]
fn the_bracket_trigger_character_opens_wiki_link_completion() {
    let ws = small();
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, editor_capabilities());
    assert_eq!(init["capabilities"]["completionProvider"]["triggerCharacters"], json!(["["]), "{init}");
    assert_eq!(init["capabilities"]["documentLinkProvider"]["resolveProvider"], json!(false), "{init}");
    assert_eq!(init["capabilities"]["documentSymbolProvider"], json!(true), "{init}");
    let uri = c.open(&ws.path("notes.md"), "see [\nsee [[\n");
    let complete = |c: &mut Client, line: u32, character: u32| {
        let mut params = Client::position_params(&uri, line, character);
        params["context"] = json!({"triggerKind": 2, "triggerCharacter": "["});
        c.request("textDocument/completion", params)
    };
    let lone = complete(&mut c, 0, 5);
    assert_eq!(lone["items"], json!([]), "{lone}");
    let wiki = complete(&mut c, 1, 6);
    let items = wiki["items"].as_array().unwrap();
    assert!(!items.is_empty() && wiki["isIncomplete"] == json!(true), "{wiki}");
    let inserted: Vec<&str> = items
        .iter()
        .filter_map(|i| i["textEdit"]["newText"].as_str().or(i["insertText"].as_str()).or(i["label"].as_str()))
        .collect();
    assert!(inserted.iter().all(|t| t.ends_with("]]")), "{inserted:?}");
    assert!(inserted.contains(&"tokio]]") || inserted.contains(&"Tokio]]"), "{inserted:?}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

/// Terraphim's own thesaurus: every term of it is in the outline, under its concept, and every
/// symbol's selection lies in its range (VS Code refuses an outline that breaks that).
#[test]
fn the_terraphim_thesaurus_outline_has_every_term() {
    let ws = Workspace::new(&[(".kg-ls.toml", b"[kg]\npaths = [\"thesaurus_Default.json\"]\n")]);
    ws.copy_fixture("terraphim/terraphim_server/fixtures/thesaurus_Default.json", "thesaurus_Default.json");
    let mut c = start(&ws, hierarchical());
    let text = std::fs::read_to_string(ws.path("thesaurus_Default.json")).unwrap();
    let uri = c.open(&ws.path("thesaurus_Default.json"), &text);
    let symbols = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let pos = |p: &Value| (p["line"].as_u64().unwrap(), p["character"].as_u64().unwrap());
    let within = |s: &Value| {
        let (r, sel) = (&s["range"], &s["selectionRange"]);
        pos(&r["start"]) <= pos(&sel["start"]) && pos(&sel["end"]) <= pos(&r["end"])
    };
    let concepts = symbols.as_array().unwrap();
    let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
    for s in concepts {
        assert!(within(s), "{s}");
        names.insert(s["name"].as_str().unwrap().to_lowercase());
        for child in s["children"].as_array().into_iter().flatten() {
            assert!(within(child), "{child}");
            names.insert(child["name"].as_str().unwrap().to_lowercase());
        }
    }
    let data: Value = serde_json::from_str(&text).unwrap();
    let terms = data["data"].as_object().unwrap();
    let missing: Vec<&String> = terms.keys().filter(|t| !names.contains(&t.to_lowercase())).collect();
    assert!(
        missing.is_empty(),
        "{} of {} terms missing: {:?}",
        missing.len(),
        terms.len(),
        &missing[..missing.len().min(5)]
    );
    let ids: std::collections::HashSet<String> = terms.values().map(|v| v["id"].to_string()).collect();
    assert_eq!(concepts.len(), ids.len(), "one concept per id");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}
