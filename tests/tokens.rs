//! End-to-end tests of semantic tokens and inlay hints: the real `kg-ls` binary over stdio, with
//! a client that declares them as VS Code does. Tokens are decoded back to `line:col+len "text"
//! modifiers` with the legend the server sent, so the tests read as what an editor shows.

mod common;

use common::{Client, Workspace, editor_capabilities};
use serde_json::{Value, json};

fn workspace() -> Workspace {
    Workspace::new(&[
        ("kg/tokio runtime.md", b"# tokio runtime\nsynonyms:: tokio rt, async runtime\n"),
        ("kg/tokio.md", b"# tokio\n"),
        ("kg/worker pool.md", b"# worker pool\navoid:: slave pool\n"),
    ])
}

/// A typical editor's capabilities, with semantic tokens (full, delta and range), inlay hints
/// and both refresh requests.
fn capabilities() -> Value {
    let mut caps = editor_capabilities();
    caps["textDocument"]["semanticTokens"] = json!({
        "dynamicRegistration": false,
        "requests": {"range": true, "full": {"delta": true}},
        "tokenTypes": ["namespace", "type", "class", "enum", "interface", "struct", "typeParameter", "parameter",
            "variable", "property", "enumMember", "event", "function", "method", "macro", "keyword", "modifier",
            "comment", "string", "number", "regexp", "operator", "decorator"],
        "tokenModifiers": ["declaration", "definition", "readonly", "static", "deprecated", "abstract", "async",
            "modification", "documentation", "defaultLibrary"],
        "formats": ["relative"],
        "overlappingTokenSupport": false,
        "multilineTokenSupport": false
    });
    caps["textDocument"]["inlayHint"] = json!({"dynamicRegistration": false});
    caps["workspace"] = json!({"semanticTokens": {"refreshSupport": true}, "inlayHint": {"refreshSupport": true}});
    caps
}

fn start(ws: &Workspace, options: Value) -> (Client, Value) {
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), options, capabilities());
    (c, init)
}

/// `data` decoded against `text` (UTF-16 columns) and the legend's modifier names.
fn decode(text: &str, data: &[u64], modifiers: &[String]) -> Vec<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let (mut line, mut col) = (0u64, 0u64);
    let mut out = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            (line, col) = (line + t[0], t[1]);
        } else {
            col += t[1];
        }
        let units: Vec<u16> = lines[line as usize].encode_utf16().collect();
        let word = String::from_utf16(&units[col as usize..(col + t[2]) as usize]).unwrap();
        let mods: Vec<&str> =
            modifiers.iter().enumerate().filter(|(i, _)| t[4] & (1 << i) != 0).map(|(_, m)| m.as_str()).collect();
        out.push(format!("{line}:{col}+{} {word:?} {}", t[2], mods.join(",")));
    }
    out
}

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).iter().map(|n| n.as_u64().unwrap()).collect()
}

fn legend(init: &Value) -> Vec<String> {
    let legend = &init["capabilities"]["semanticTokensProvider"]["legend"];
    assert_eq!(legend["tokenTypes"], json!(["type"]), "{init}");
    legend["tokenModifiers"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect()
}

const TEXT: &str = "# Notes on tokio\n\nThe café 😀 uses an async\nruntime, not a slave pool; `tokio rt` is code.\n\n```\ntokio\n```\n";

#[test]
fn full_and_range_mark_terms_split_per_line_in_utf16_columns_and_not_in_code() {
    let ws = workspace();
    let (mut c, init) = start(&ws, Value::Null);
    let provider = &init["capabilities"]["semanticTokensProvider"];
    assert_eq!((&provider["full"], &provider["range"]), (&json!({"delta": true}), &json!(true)), "{init}");
    let modifiers = legend(&init);
    assert_eq!(modifiers, ["canonical", "synonym", "avoided", "deprecated"]);
    let uri = c.open(&ws.path("notes.md"), TEXT);

    let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    assert!(full["resultId"].is_string(), "{full}");
    assert_eq!(
        decode(TEXT, &numbers(&full["data"]), &modifiers),
        [
            "0:11+5 \"tokio\" canonical",
            "2:20+5 \"async\" synonym",
            "3:0+7 \"runtime\" synonym",
            "3:15+10 \"slave pool\" avoided,deprecated",
        ]
    );

    let range = c.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}}}),
    );
    assert_eq!(
        decode(TEXT, &numbers(&range["data"]), &modifiers),
        ["2:20+5 \"async\" synonym", "3:0+7 \"runtime\" synonym", "3:15+10 \"slave pool\" avoided,deprecated"],
        "a term that starts on the line before the range still overlaps it"
    );
    assert_eq!(c.shutdown_and_exit().code(), Some(0));

    // With code configured, code blocks and inline code count too.
    let (mut c, init) = start(&ws, json!({"navigation": {"semantic_tokens_in_code": true}}));
    let uri = c.open(&ws.path("notes.md"), TEXT);
    let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    let found = decode(TEXT, &numbers(&full["data"]), &legend(&init));
    assert!(found.contains(&"3:28+8 \"tokio rt\" synonym".to_string()), "{found:?}");
    assert!(found.contains(&"6:0+5 \"tokio\" canonical".to_string()), "{found:?}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));

    // Turned off, every answer is empty.
    let (mut c, _) = start(&ws, json!({"navigation": {"semantic_tokens": false}}));
    let uri = c.open(&ws.path("notes.md"), TEXT);
    let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    assert_eq!(full["data"], json!([]), "{full}");
}

#[test]
fn a_delta_after_an_edit_reproduces_the_new_full_result() {
    let ws = workspace();
    let (mut c, init) = start(&ws, Value::Null);
    let modifiers = legend(&init);
    let uri = c.open(&ws.path("notes.md"), TEXT);
    let first = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    let old = numbers(&first["data"]);

    // Insert a line with a term after the heading.
    let edited = TEXT.replacen("\n\n", "\ntokio rt here.\n\n", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
            "text": "tokio rt here.\n"
        }]}),
    );
    let delta = c.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": first["resultId"]}),
    );
    let edits = delta["edits"].as_array().unwrap_or_else(|| panic!("a delta: {delta}"));
    assert_eq!(edits.len(), 1, "{delta}");
    assert_ne!(delta["resultId"], first["resultId"]);
    let (start, count) = (edits[0]["start"].as_u64().unwrap() as usize, edits[0]["deleteCount"].as_u64().unwrap());
    let mut applied = old[..start].to_vec();
    applied.extend(numbers(&edits[0]["data"]));
    applied.extend(&old[start + count as usize..]);

    let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    assert_eq!(applied, numbers(&full["data"]));
    assert_eq!(decode(&edited, &applied, &modifiers)[1], "1:0+8 \"tokio rt\" synonym");

    // An unknown previous result gets full tokens.
    let again = c.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": "no such result"}),
    );
    assert_eq!(numbers(&again["data"]), applied, "{again}");
    // No change: an empty edit list.
    let same = c.request(
        "textDocument/semanticTokens/full/delta",
        json!({"textDocument": {"uri": uri}, "previousResultId": again["resultId"]}),
    );
    assert_eq!(same["edits"], json!([]), "{same}");
}

/// Edits in turn, each followed by a delta from the last result (which, in a graph without
/// avoided terms, redoes only the blocks the edit touched): each applied delta is the full
/// result of the new text, across typing in a paragraph, a term broken and mended, a code fence
/// opened and closed, and a block joined to the next.
#[test]
fn deltas_after_each_of_many_edits_reproduce_the_full_results() {
    let ws = Workspace::new(&[
        ("kg/tokio runtime.md", b"# tokio runtime\nsynonyms:: tokio rt, async runtime\n"),
        ("kg/tokio.md", b"# tokio\n"),
    ]);
    let (mut c, init) = start(&ws, Value::Null);
    let modifiers = legend(&init);
    let mut text = "# Notes\n\nThe tokio rt and an async\nruntime.\n\n```\ntokio\n```\n\nAt last tokio.\n".to_string();
    let uri = c.open(&ws.path("notes.md"), &text);
    let first = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    let (mut data, mut id) = (numbers(&first["data"]), first["resultId"].clone());
    // (find, replace with), each applied to the text as it is then.
    let edits = [
        ("The tokio", "The tokio runtime, tokio"),
        ("an async\nruntime", "an asyncx\nruntime"),
        ("asyncx", "async"),
        ("```\ntokio\n```", "```\ntokio\n"),
        ("At last", "```\nAt last"),
        ("runtime.\n\n", "runtime.\n"),
        ("# Notes", "# Notes on tokio"),
    ];
    for (version, (find, replace)) in edits.into_iter().enumerate() {
        text = text.replacen(find, replace, 1);
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version + 2}, "contentChanges": [{"text": text}]}),
        );
        let delta = c.request(
            "textDocument/semanticTokens/full/delta",
            json!({"textDocument": {"uri": uri}, "previousResultId": id}),
        );
        for e in delta["edits"].as_array().unwrap_or_else(|| panic!("a delta: {delta}")) {
            let (start, count) = (e["start"].as_u64().unwrap() as usize, e["deleteCount"].as_u64().unwrap() as usize);
            data.splice(start..start + count, numbers(&e["data"]));
        }
        // A full request keeps its own result, which the next delta starts from.
        let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
        id = full["resultId"].clone();
        assert_eq!(
            decode(&text, &data, &modifiers),
            decode(&text, &numbers(&full["data"]), &modifiers),
            "after {find:?} -> {replace:?}"
        );
        assert_eq!(data, numbers(&full["data"]));
    }
    assert!(decode(&text, &data, &modifiers).contains(&"0:11+5 \"tokio\" canonical".to_string()));
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn inlay_hints_are_off_by_default_and_name_the_concept_when_on() {
    let ws = workspace();
    let text = "An async\nruntime and tokio rt.\n";
    let params = |uri: &str| json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}});
    let (mut c, init) = start(&ws, Value::Null);
    assert_eq!(init["capabilities"]["inlayHintProvider"], json!(true), "{init}");
    let uri = c.open(&ws.path("notes.md"), text);
    assert_eq!(c.request("textDocument/inlayHint", params(&uri)), json!([]));

    // Turned on by the client: the client is asked to fetch hints and tokens again.
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"navigation": {"inlay_hints": true}}}));
    c.wait_for("workspace/inlayHint/refresh", |_| true);
    c.wait_for("workspace/semanticTokens/refresh", |_| true);
    let hints = c.request("textDocument/inlayHint", params(&uri));
    let shown: Vec<String> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!("{}:{} {} {}", h["position"]["line"], h["position"]["character"], h["label"], h["paddingLeft"])
        })
        .collect();
    assert_eq!(shown, ["1:7 \"→ tokio runtime\" true", "1:20 \"→ tokio runtime\" true"]);
    assert_eq!(c.shutdown_and_exit().code(), Some(0));

    let (mut c, _) = start(&ws, json!({"navigation": {"inlay_hints": true}}));
    let uri = c.open(&ws.path("notes.md"), text);
    let within = json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 1, "character": 10}, "end": {"line": 1, "character": 22}}});
    let hints = c.request("textDocument/inlayHint", within);
    assert_eq!(hints.as_array().map(Vec::len), Some(1), "only the hint in the range: {hints}");
    assert_eq!(hints[0]["tooltip"], "“tokio rt” is a synonym of “tokio runtime”");
}

#[test]
fn a_client_without_the_capabilities_gets_no_provider() {
    let ws = workspace();
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, editor_capabilities());
    let caps = &init["capabilities"];
    assert!(caps.get("semanticTokensProvider").is_none(), "{init}");
    assert!(caps.get("inlayHintProvider").is_none(), "{init}");

    // Without `deprecated` and without deltas, the legend and the provider say so.
    let mut declared = capabilities();
    declared["textDocument"]["semanticTokens"]["tokenModifiers"] = json!(["declaration"]);
    declared["textDocument"]["semanticTokens"]["requests"] = json!({"full": true});
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, declared);
    let provider = &init["capabilities"]["semanticTokensProvider"];
    assert_eq!(legend(&init), ["canonical", "synonym", "avoided"]);
    assert_eq!((&provider["full"], &provider["range"]), (&json!(true), &json!(false)), "{init}");
    let uri = c.open(&ws.path("notes.md"), "a slave pool");
    let full = c.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": uri}}));
    assert_eq!(full, json!({"data": [0, 2, 10, 0, 4]}), "no result id without deltas; no deprecated bit");
}
