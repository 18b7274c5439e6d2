//! End-to-end tests of the terminology checks in the editor: pushed and pulled diagnostics and
//! their code actions, through the real `kg-ls` binary over stdio.

mod common;

use common::{Client, Workspace, editor_capabilities, file_uri};
use expect_test::{Expect, expect};
use serde_json::{Value, json};

const KG: &[(&str, &[u8])] = &[
    ("kg/worker pool.md", b"# worker pool\n\navoid:: slave pool, thread farm\nsynonyms:: job pool\n"),
    ("kg/async runtime.md", b"# async runtime\n\nsynonyms:: executor\n"),
];

/// Diagnostics as `line:col-line:col severity code [tags] message`, one per line.
fn render(diagnostics: &Value) -> String {
    let mut out = String::new();
    for d in diagnostics.as_array().unwrap() {
        let (s, e) = (&d["range"]["start"], &d["range"]["end"]);
        out += &format!(
            "{}:{}-{}:{} {} {} {} {}\n",
            s["line"],
            s["character"],
            e["line"],
            e["character"],
            d["severity"],
            d["code"].as_str().unwrap(),
            d["tags"],
            d["message"].as_str().unwrap()
        );
    }
    out
}

/// Pushed diagnostics of `doc` (open as `notes.md` beside `KG`).
fn check_push(doc: &str, expect: Expect) {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), doc);
    let params = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    expect.assert_eq(&render(&params["diagnostics"]));
}

#[test]
fn avoided_terms_are_pushed_as_deprecated_warnings() {
    check_push(
        "The slave pool and the Thread Farm.\n\n`slave pool` in code.\n",
        expect![[r#"
            0:4-0:14 2 avoided-term [2] “slave pool” is an avoided term: use “worker pool”
            0:23-0:34 2 avoided-term [2] “Thread Farm” is an avoided term: use “worker pool”
        "#]],
    );
}

#[test]
fn a_push_has_a_code_description_and_the_document_version() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "a slave pool\n");
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    assert_eq!(p["version"], 1, "{p}");
    let d = &p["diagnostics"][0];
    assert_eq!(d["source"], "kg-ls", "{d}");
    assert!(d["codeDescription"]["href"].as_str().unwrap().ends_with("checks.md#avoided-term"), "{d}");
}

#[test]
fn an_edit_checks_again_and_clears_what_is_fixed() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "a slave pool\n");
    c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["diagnostics"] != json!([]));
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "a worker pool\n"}]}),
    );
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["version"] == 2);
    assert_eq!(p["diagnostics"], json!([]), "{p}");
    // Closing a document with diagnostics clears them.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "a slave pool\n"}]}),
    );
    c.wait_for("textDocument/publishDiagnostics", |p| p["version"] == 3 && p["diagnostics"] != json!([]));
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri && p["version"].is_null());
    assert_eq!(p["diagnostics"], json!([]), "{p}");
}

#[test]
fn a_graph_edit_checks_the_open_documents_again() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("notes.md"), "the event loop runs\n");
    let concept = c.open(&ws.path("kg/async runtime.md"), "# async runtime\n\nsynonyms:: executor\n");
    // An avoid:: line added in the concept file's buffer, unsaved.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": concept, "version": 2},
               "contentChanges": [{"text": "# async runtime\n\nsynonyms:: executor\navoid:: event loop\n"}]}),
    );
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == doc && p["diagnostics"] != json!([]));
    expect![[r#"
        0:4-0:14 2 avoided-term [2] “event loop” is an avoided term: use “async runtime”
    "#]]
    .assert_eq(&render(&p["diagnostics"]));
}

#[test]
fn check_levels_come_from_the_settings() {
    let ws = Workspace::new(KG);
    let mut c = Client::start(&ws.root(), json!({"checks": {"avoided-term": "error"}}));
    let uri = c.open(&ws.path("notes.md"), "a slave pool\n");
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    assert_eq!(p["diagnostics"][0]["severity"], 1, "{p}");
}

fn pull_capabilities() -> Value {
    let mut caps = editor_capabilities();
    caps["textDocument"]["diagnostic"] = json!({"dynamicRegistration": false});
    caps["textDocument"]["codeAction"] = json!({"codeActionLiteralSupport": {"codeActionKind": {"valueSet": [
        "quickfix", "refactor", "refactor.extract", "source", "source.fixAll"
    ]}}});
    caps["workspace"] = json!({"diagnostics": {"refreshSupport": true},
               "workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}});
    caps
}

#[test]
fn a_pulling_client_pulls_and_is_never_pushed() {
    let ws = Workspace::new(KG);
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, pull_capabilities());
    assert_eq!(init["capabilities"]["diagnosticProvider"]["identifier"], "kg-ls", "{init}");
    let uri = c.open(&ws.path("notes.md"), "a slave pool\n");
    let r = c.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}}));
    assert_eq!(r["kind"], "full", "{r}");
    expect![[r#"
        0:2-0:12 2 avoided-term [2] “slave pool” is an avoided term: use “worker pool”
    "#]]
    .assert_eq(&render(&r["items"]));
    let again =
        c.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}, "previousResultId": r["resultId"]}));
    assert_eq!(again["kind"], "unchanged", "{again}");
    // A graph change asks the client to pull again.
    let concept = c.open(&ws.path("kg/async runtime.md"), "# async runtime\n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": concept, "version": 2},
               "contentChanges": [{"text": "# async runtime\navoid:: event loop\n"}]}),
    );
    c.wait_for("workspace/diagnostic/refresh", |_| true);
    c.request("kg-ls/searchStats", Value::Null); // Every message before this one is in.
    assert!(!c.received.iter().any(|m| m["method"] == "textDocument/publishDiagnostics"), "{:#?}", c.received);
}

/// The code actions at `line:character` of `doc`, as `kind: title` lines, and the edit of each.
fn actions(c: &mut Client, uri: &str, range: Value, only: Option<&[&str]>) -> Vec<Value> {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    let r =
        c.request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": range, "context": context}));
    r.as_array().cloned().unwrap_or_default()
}

fn titles(actions: &[Value]) -> String {
    actions.iter().map(|a| format!("{}: {}\n", a["kind"].as_str().unwrap(), a["title"].as_str().unwrap())).collect()
}

fn at(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

#[test]
fn quick_fixes_replace_one_use_or_all() {
    let ws = Workspace::new(KG);
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, pull_capabilities());
    let uri = c.open(&ws.path("notes.md"), "The slave pool, a Slave Pool.\n");
    let found = actions(&mut c, &uri, at(0, 6, 6), None);
    expect![[r#"
        quickfix: Replace with “worker pool”
        quickfix: Fix all 2 avoided-term findings in this document
    "#]]
    .assert_eq(&titles(&found));
    assert_eq!(found[0]["isPreferred"], true, "{}", found[0]);
    assert_eq!(found[0]["diagnostics"][0]["code"], "avoided-term", "{}", found[0]);
    let edits = &found[1]["edit"]["changes"][&uri];
    expect![[r#"[{"newText":"worker pool","range":{"end":{"character":14,"line":0},"start":{"character":4,"line":0}}},{"newText":"Worker Pool","range":{"end":{"character":28,"line":0},"start":{"character":18,"line":0}}}]"#]]
    .assert_eq(&edits.to_string());
    // The source action that editor.codeActionsOnSave asks for.
    let fix_all = actions(&mut c, &uri, at(0, 0, 0), Some(&["source.fixAll"]));
    expect![[r#"
        source.fixAll.kg-ls: kg-ls: apply every safe terminology fix
    "#]]
    .assert_eq(&titles(&fix_all));
    assert_eq!(fix_all[0]["edit"]["changes"][&uri], *edits);
}

#[test]
fn a_selection_that_is_no_term_can_become_a_concept() {
    let ws = Workspace::new(KG);
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, pull_capabilities());
    let uri = c.open(&ws.path("notes.md"), "The backpressure gate holds.\n");
    let found = actions(&mut c, &uri, at(0, 4, 21), None);
    expect![[r#"
        refactor.extract: Create concept file “backpressure gate”
    "#]]
    .assert_eq(&titles(&found));
    let ops = &found[0]["edit"]["documentChanges"];
    let file = file_uri(&ws.path("kg/backpressure gate.md"));
    assert_eq!(ops[0]["kind"], "create", "{ops}");
    assert_eq!(ops[0]["uri"], file, "{ops}");
    assert_eq!(ops[1]["edits"][0]["newText"], "# backpressure gate\n\n", "{ops}");
    // A phrase that is a term already is not offered.
    let uri2 = c.open(&ws.path("other.md"), "the job pool\n");
    assert_eq!(titles(&actions(&mut c, &uri2, at(0, 4, 12), None)), "");
    // A client that cannot create files gets no such action.
    let mut caps = pull_capabilities();
    caps["workspace"]["workspaceEdit"] = json!({"documentChanges": true});
    let mut old = Client::spawn(&[]);
    old.initialize(&ws.root(), Value::Null, caps);
    let uri = old.open(&ws.path("notes.md"), "The backpressure gate holds.\n");
    assert_eq!(titles(&actions(&mut old, &uri, at(0, 4, 21), None)), "");
}

#[test]
fn a_selected_phrase_can_become_a_synonym_of_a_concept_mentioned_near_it() {
    let ws = Workspace::new(KG);
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, pull_capabilities());
    let uri = c.open(&ws.path("notes.md"), "The executor is far.\n\nOur job queue feeds the worker pool.\n");
    let found = actions(&mut c, &uri, at(2, 4, 13), None);
    expect![[r#"
        refactor.extract: Create concept file “job queue”
        refactor.rewrite: Add “job queue” as a synonym of “worker pool”
        refactor.rewrite: Add “job queue” as a synonym of “async runtime”
    "#]]
    .assert_eq(&titles(&found));
    let file = file_uri(&ws.path("kg/worker pool.md"));
    let edit = &found[1]["edit"]["changes"][&file];
    expect![[
        r#"[{"newText":", job queue","range":{"end":{"character":19,"line":3},"start":{"character":19,"line":3}}}]"#
    ]]
    .assert_eq(&edit.to_string());
}

#[test]
fn a_broken_concept_file_gets_diagnostics_without_being_opened() {
    let mut files = KG.to_vec();
    files.push(("kg/broken.md", b"# broken\n\nsynonyms:: fine\n\xff\xfe bad bytes\n"));
    let ws = Workspace::new(&files);
    let mut c = Client::start(&ws.root(), Value::Null);
    let broken = file_uri(&ws.path("kg/broken.md"));
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == broken);
    expect![[r#"
        3:0-3:0 1 broken-file null invalid UTF-8 at byte 26: the loader reads such bytes as U+FFFD; the other checks skip this file
    "#]]
    .assert_eq(&render(&p["diagnostics"]));
    // Nothing valid is lost: the file's concept is there.
    let uri = c.open(&ws.path("notes.md"), "the broken one\n");
    let hover = c.request("textDocument/hover", Client::position_params(&uri, 0, 6));
    assert!(hover["contents"]["value"].as_str().unwrap_or_default().contains("fine"), "{hover}");
}

#[test]
fn an_open_concept_file_gets_the_graph_checks_and_their_fixes() {
    let ws = Workspace::new(KG);
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, pull_capabilities());
    let text = "# pod\n\nrelated:: worker pol, nowhere at all\nsynonyms: pods\n";
    let uri = c.open(&ws.path("kg/pod.md"), text);
    let r = c.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}}));
    expect![[r#"
        2:10-2:20 2 unknown-related null related:: “worker pol” names no concept; did you mean “worker pool”?
        2:22-2:36 2 unknown-related null related:: “nowhere at all” names no concept in the knowledge graph
        3:0-3:9 2 format-slip null `synonyms:` has one colon, so the line is read as definition text; a list is `synonyms::`
    "#]]
    .assert_eq(&render(&r["items"]));
    let found = actions(&mut c, &uri, at(2, 12, 12), None);
    expect![[r#"
        quickfix: Replace with “worker pool”
        quickfix: Create concept file “worker pol”
    "#]]
    .assert_eq(&titles(&found));
    let create = &found[1]["edit"]["documentChanges"][0];
    assert_eq!(create["kind"], "create", "{create}");
    assert_eq!(create["uri"], file_uri(&ws.path("kg/worker pol.md")), "{create}");
}

#[test]
fn the_graph_checks_of_files_not_open_are_published() {
    let mut files = KG.to_vec();
    files.push(("kg/pod.md", b"# pod\n\nrelated:: worker pol\n"));
    let ws = Workspace::new(&files);
    let mut c = Client::start(&ws.root(), Value::Null);
    let pod = file_uri(&ws.path("kg/pod.md"));
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == pod);
    expect![[r#"
        2:10-2:20 2 unknown-related null related:: “worker pol” names no concept; did you mean “worker pool”?
    "#]]
    .assert_eq(&render(&p["diagnostics"]));
    // Fixed in the editor: opened, edited, the graph rebuilt; closed, nothing is left.
    let uri = c.open(&ws.path("kg/pod.md"), "# pod\n\nrelated:: worker pol\n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "# pod\n\nrelated:: worker pool\n"}]}),
    );
    std::fs::write(ws.path("kg/pod.md"), "# pod\n\nrelated:: worker pool\n").unwrap();
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": uri}}));
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    c.request("kg-ls/searchStats", Value::Null);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    c.request("kg-ls/searchStats", Value::Null);
    let last =
        c.received.iter().rev().find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == pod);
    assert_eq!(last.map(|m| m["params"]["diagnostics"].clone()), Some(json!([])), "{:#?}", c.received);
}

#[test]
fn checks_that_are_off_by_default_report_once_turned_on() {
    let ws = Workspace::new(KG);
    let options = json!({"checks": {"non-canonical-term": "hint", "near-miss": "info"}});
    let mut c = Client::start(&ws.root(), options);
    let uri = c.open(&ws.path("notes.md"), "The Executor and an asynch runtime.\n");
    let p = c.wait_for("textDocument/publishDiagnostics", |p| p["uri"] == uri);
    expect![[r#"
        0:4-0:12 4 non-canonical-term null “Executor” is a synonym of “async runtime”; the canonical name is preferred
        0:20-0:34 3 near-miss null “asynch runtime” is not a term, but close to “async runtime”: a misspelling?
    "#]]
    .assert_eq(&render(&p["diagnostics"]));
}

#[test]
fn a_client_that_pulls_the_workspace_gets_the_graph_report_and_no_push_of_it() {
    let mut files = KG.to_vec();
    files.push(("kg/pod.md", b"# pod\n\nrelated:: worker pol\n"));
    let ws = Workspace::new(&files);
    let mut c = Client::spawn(&[]);
    let init = c.initialize(&ws.root(), Value::Null, pull_capabilities());
    assert_eq!(init["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"], true, "{init}");
    let pod = file_uri(&ws.path("kg/pod.md"));
    // The report is made in the background once the graph is loaded: ask as VS Code does,
    // again until it is there.
    let mut r = Value::Null;
    for _ in 0..300 {
        r = c.request("workspace/diagnostic", json!({"previousResultIds": []}));
        if r["items"].as_array().is_some_and(|i| !i.is_empty()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let item = &r["items"][0];
    assert_eq!((item["uri"].as_str(), item["kind"].as_str()), (Some(pod.as_str()), Some("full")), "{r}");
    expect![[r#"
        2:10-2:20 2 unknown-related null related:: “worker pol” names no concept; did you mean “worker pool”?
    "#]]
    .assert_eq(&render(&item["items"]));
    // Asked again with the result id: unchanged.
    let again =
        c.request("workspace/diagnostic", json!({"previousResultIds": [{"uri": pod, "value": item["resultId"]}]}));
    assert_eq!(again["items"][0]["kind"], "unchanged", "{again}");
    // The report is not also pushed (what was pushed before the first pull is cleared).
    let pushed: Vec<&Value> = c
        .received
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == pod)
        .collect();
    assert!(pushed.last().is_none_or(|m| m["params"]["diagnostics"] == json!([])), "{pushed:#?}");
}
