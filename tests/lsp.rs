//! End-to-end tests: the real `kg-ls` binary driven over stdio like an editor.

mod common;

use common::{Client, Workspace, editor_capabilities, file_uri, labels};
use serde_json::{Value, json};

const TOML: &[u8] = b"[kg]\npaths = [\"kg\", \"glossary.json\"]\n";

fn small() -> Workspace {
    Workspace::new(&[
        (".kg-ls.toml", TOML),
        ("kg/async runtime.md", b"# async runtime\n\nRuns futures.\n\nsynonyms:: executor\nrelated:: tokio\n"),
        ("kg/tokio.md", b"# Tokio\n\nThe tokio runtime library.\n\nsynonyms:: tokio-rs\n"),
        ("kg/tokio runtime.md", b"# tokio runtime\n\nA multi-threaded scheduler.\n\nsynonyms:: tokio rt\n"),
        ("kg/sub/概念.md", "# 概念\n\nConcept, in Chinese.\n".as_bytes()),
        (
            "glossary.json",
            br#"{"name": "g", "data": {"actor model": {"id": 1, "nterm": "actor model", "url": null}, "actors": {"id": 1, "nterm": "actor model"}}}"#,
        ),
        ("docs/guide.md", b"# Guide\n\n## Tokio runtime tuning\n\nTokio, the library, is tuned here.\n"),
    ])
}

#[test]
fn lifecycle_errors_and_exit_codes() {
    let ws = small();
    let mut c = Client::spawn(&[]);
    let r = c.request_raw("workspace/symbol", json!({"query": "x"}));
    assert_eq!(r["error"]["code"], -32002, "{r}");
    c.initialize(&ws.root(), Value::Null, editor_capabilities());
    let r = c.request_raw("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    let r = c.request_raw("workspace/symbol", json!({"query": "x"}));
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert_eq!(c.exit().code(), Some(0));

    let mut c = Client::start(&ws.root(), Value::Null);
    c.request("workspace/symbol", json!({"query": "x"}));
    assert_eq!(c.exit().code(), Some(1), "exit without shutdown");

    let mut c = Client::start(&ws.root(), Value::Null);
    assert!(c.wait().code().is_some(), "closing stdin ends the process");
}

#[test]
fn integer_and_string_request_ids() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "tok");
    let params = Client::position_params(&uri, 0, 3);
    for id in [json!(7), json!("req-abc"), json!(0)] {
        let r = c.request_with_id(id.clone(), "textDocument/completion", params.clone());
        assert_eq!(r["id"], id);
        assert!(labels(&r["result"]).contains(&"tokio".to_string()), "{r}");
    }
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn completion_replaces_the_typed_phrase_and_keeps_server_order() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "We use async ru");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 15));
    let first = &r["items"][0];
    assert_eq!(first["label"], "async runtime");
    assert_eq!(first["detail"], "async runtime");
    assert_eq!(first["textEdit"]["newText"], "async runtime");
    assert_eq!(
        first["textEdit"]["range"],
        json!({"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 15}})
    );
    let sort: Vec<&str> = r["items"].as_array().unwrap().iter().map(|i| i["sortText"].as_str().unwrap()).collect();
    assert!(sort.windows(2).all(|w| w[0] < w[1]), "{sort:?}");
    // Prefix matches filter by their label, as clients do by default.
    assert!(r["items"].as_array().unwrap().iter().all(|i| i.get("filterText").is_none()), "{r}");
    assert!(r.get("itemDefaults").is_none(), "only for clients that declare itemDefaults: {r}");
    assert_eq!(r["isIncomplete"], false);

    // A synonym names its concept.
    let uri = c.open(&ws.path("docs/b.md"), "the execu");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 9));
    assert_eq!(r["items"][0]["label"], "executor");
    assert_eq!(r["items"][0]["detail"], "async runtime");
    assert_eq!(r["items"][0]["labelDetails"]["description"], "async runtime");
}

#[test]
fn completion_list_defaults_the_common_edit_range_for_clients_that_take_it() {
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\"]\n".as_slice()),
        ("kg/async runtime.md", b"# async runtime\n\nRuns futures.\n"),
        ("kg/rust.md", b"# rust\n\nA language.\n\nsynonyms:: rustlang\n"),
        ("kg/runtime.md", b"# runtime\n\nWhere code runs.\n"),
    ]);
    let mut c = Client::spawn(&[]);
    let mut caps = editor_capabilities();
    caps["textDocument"]["completion"]["completionList"] =
        json!({"itemDefaults": ["commitCharacters", "editRange", "data"]});
    c.initialize(&ws.root(), Value::Null, caps);
    let uri = c.open(&ws.path("docs/a.md"), "We use async ru");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 15));
    // Most items replace "ru"; the phrase match replaces "async ru" and keeps its own edit.
    assert_eq!(
        r["itemDefaults"]["editRange"],
        json!({"start": {"line": 0, "character": 13}, "end": {"line": 0, "character": 15}}),
        "{r}"
    );
    let items = r["items"].as_array().unwrap();
    assert_eq!(items[0]["label"], "async runtime");
    assert_eq!(items[0]["textEdit"]["range"]["start"]["character"], 7, "{r}");
    let defaulted: Vec<&str> =
        items.iter().filter(|i| i.get("textEdit").is_none()).map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(defaulted, ["rust", "runtime", "rustlang"], "{r}");

    // At the start of a sentence the typed capital stays: the label is what is inserted, so
    // the default range still serves every item.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "We use it. Ru"}]}),
    );
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 13));
    let edits: Vec<(&str, &str)> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["label"].as_str().unwrap(), i["textEdit"]["newText"].as_str().unwrap_or("(default)")))
        .collect();
    assert_eq!(edits, [("Rust", "(default)"), ("Runtime", "(default)"), ("Rustlang", "(default)")], "{r}");
}

#[test]
fn in_the_middle_of_a_word_clients_that_can_choose_get_insert_and_replace_ranges() {
    let ws = small();
    let at =
        |start: u32, end: u32| json!({"start": {"line": 0, "character": start}, "end": {"line": 0, "character": end}});
    for insert_replace in [true, false] {
        let mut c = Client::spawn(&[]);
        let mut caps = editor_capabilities();
        caps["textDocument"]["completion"]["completionItem"]["insertReplaceSupport"] = json!(insert_replace);
        caps["textDocument"]["completion"]["completionList"] = json!({"itemDefaults": ["editRange"]});
        c.initialize(&ws.root(), Value::Null, caps);
        let uri = c.open(&ws.path("docs/a.md"), "the tokxx rt");
        let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 7));
        let first = &r["items"][0];
        assert_eq!(first["label"], "tokio", "{r}");
        if insert_replace {
            assert!(r.get("itemDefaults").is_none(), "{r}");
            assert_eq!(first["textEdit"], json!({"newText": "tokio", "insert": at(4, 7), "replace": at(4, 9)}), "{r}");
        } else {
            assert_eq!(r["itemDefaults"]["editRange"], at(4, 7), "{r}");
        }
        // At the end of a word there is nothing to replace beyond the cursor.
        let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 12));
        assert!(r["items"].as_array().unwrap().iter().all(|i| i["textEdit"].get("replace").is_none()), "{r}");
    }
}

#[test]
fn typo_completions_filter_by_the_typed_text() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    // A client filtering "rutnime" against the label "runtime" would hide the item.
    let uri = c.open(&ws.path("docs/a.md"), "the tokio rutnime");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 17));
    let item = r["items"].as_array().unwrap().iter().find(|i| i["label"] == "tokio runtime").expect("typo match");
    assert_eq!(item["filterText"], "tokio rutnime", "{r}");
    assert_eq!(item["textEdit"]["newText"], "tokio runtime");
}

#[test]
fn a_completion_waiting_for_the_first_load_can_be_cancelled() {
    // A graph big enough that its load is still running when the requests arrive.
    let graph = kg_ls::synth::generate(&kg_ls::synth::GenConfig::new(30_000));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    graph.write_thesaurus(&root.join("kg.json")).unwrap();
    std::fs::write(root.join(".kg-ls.toml"), "[kg]\npaths = [\"kg.json\"]\n").unwrap();

    let mut c = Client::spawn(&[]);
    c.initialize(&root, Value::Null, editor_capabilities());
    let uri = file_uri(&root.join("notes.md"));
    c.send_all(&[
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
               "params": {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": "a"}}}),
        json!({"jsonrpc": "2.0", "id": "slow", "method": "textDocument/completion",
               "params": Client::position_params(&uri, 0, 1)}),
        json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "slow"}}),
    ]);
    let r = c.response(&json!("slow"));
    assert_eq!(r["error"]["code"], -32800, "{r}");
    // Later requests are answered once the graph is loaded.
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 1));
    assert!(!r["items"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn completion_is_capped_and_marked_incomplete() {
    let ws = small();
    let mut c = Client::start(&ws.root(), json!({"completion": {"limit": 2}}));
    let uri = c.open(&ws.path("docs/a.md"), "t");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 1));
    assert_eq!(labels(&r), ["tokio", "tokio runtime"]);
    assert_eq!(r["isIncomplete"], true);
}

#[test]
fn completion_right_after_did_change_sees_the_change_1000_times() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "xxx\n");
    let words = [("tok", "tokio"), ("asy", "async runtime"), ("act", "actor model")];
    for i in 0..1000 {
        let (typed, expected) = words[i % words.len()];
        // The change and the completion arrive in one read, as in a burst of typing.
        let r = c.notify_then_request(
            (
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": uri, "version": i + 2},
                    "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}}, "text": typed}]
                }),
            ),
            ("textDocument/completion", Client::position_params(&uri, 0, 3)),
        );
        assert_eq!(r["items"][0]["label"], expected, "iteration {i}: {r}");
    }
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn utf16_positions_on_lines_with_emoji_and_cjk() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    // "😀" is 2 UTF-16 units, "概念" 2 units (6 bytes), "é" written as e + combining accent.
    let text = "😀 概念 and e\u{301} tokio runtime!\n";
    let uri = c.open(&ws.path("docs/a.md"), text);
    // Hover inside "runtime": UTF-16 column of 'r' is 2+1+2+1+3+1+2+1+6 = 19.
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 21));
    assert_eq!(r["range"], json!({"start": {"line": 0, "character": 13}, "end": {"line": 0, "character": 26}}), "{r}");
    assert!(r["contents"]["value"].as_str().unwrap().contains("tokio runtime"));
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 4));
    assert_eq!(r["range"], json!({"start": {"line": 0, "character": 3}, "end": {"line": 0, "character": 5}}), "{r}");

    // An incremental edit addressed in UTF-16: delete the emoji and its space.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}}, "text": ""}]}),
    );
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 1));
    assert_eq!(r["range"], json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 2}}), "{r}");
    // A position past the end of the line clamps to the line end, where "runtime!" ends.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": {"start": {"line": 0, "character": 500}, "end": {"line": 0, "character": 900}}, "text": " tok"}]}),
    );
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 999));
    assert_eq!(r["items"][0]["label"], "tokio", "{r}");
    assert_eq!(r["items"][0]["textEdit"]["range"]["start"]["character"], 25);
}

#[test]
fn utf8_position_encoding_when_the_client_offers_it() {
    let ws = small();
    let mut c = Client::spawn(&[]);
    let mut caps = editor_capabilities();
    caps["general"]["positionEncodings"] = json!(["utf-8", "utf-16"]);
    let init = c.initialize(&ws.root(), Value::Null, caps);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let uri = c.open(&ws.path("docs/a.md"), "😀 tokio");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 6));
    assert_eq!(r["range"], json!({"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 10}}), "{r}");
}

#[test]
fn hover_is_markdown_or_plain_text_as_the_client_asks() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "The ASYNC   Runtime is here. nothing");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 6));
    assert_eq!(r["contents"]["kind"], "markdown");
    let md = r["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("### async runtime"), "{md}");
    assert!(md.contains("**Synonyms:** executor"), "{md}");
    assert!(md.contains("[tokio](file://"), "{md}");
    assert!(md.contains("Runs futures."), "{md}");
    assert_eq!(r["range"], json!({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 19}}));
    let none = c.request("textDocument/hover", Client::position_params(&uri, 0, 31));
    assert_eq!(none, Value::Null);

    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, json!({"textDocument": {"hover": {"contentFormat": ["plaintext"]}}}));
    let uri = c.open(&ws.path("docs/a.md"), "tokio");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 1));
    assert_eq!(r["contents"]["kind"], "plaintext");
    assert!(r["contents"]["value"].as_str().unwrap().starts_with("tokio\n"), "{r}");
}

#[test]
fn workspace_symbols_find_concepts_and_headings_by_subsequence() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let r = c.request("workspace/symbol", json!({"query": "tkrt"}));
    let hits: Vec<(String, String)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s["location"]["uri"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(hits[0], ("tokio rt".to_string(), file_uri(&ws.path("kg/tokio runtime.md"))), "{r}");
    let heading = r.as_array().unwrap().iter().find(|s| s["name"] == "Tokio runtime tuning").expect("heading found");
    assert_eq!(heading["location"]["uri"], file_uri(&ws.path("docs/guide.md")));
    assert_eq!(heading["location"]["range"]["start"]["line"], 2);
    let r = c.request("workspace/symbol", json!({"query": "ACTORS"}));
    assert_eq!(r[0]["name"], "actors");
    assert_eq!(r[0]["containerName"], "actor model");
    assert_eq!(r[0]["location"]["uri"], file_uri(&ws.path("glossary.json")));
}

#[test]
fn definition_goes_to_the_concept_file() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "see tokio-rs and 概念");
    let r = c.request("textDocument/definition", Client::position_params(&uri, 0, 6));
    assert_eq!(r["uri"], file_uri(&ws.path("kg/tokio.md")), "{r}");
    let r = c.request("textDocument/definition", Client::position_params(&uri, 0, 18));
    assert_eq!(r["uri"], file_uri(&ws.path("kg/sub/概念.md")), "{r}");
    let r = c.request("textDocument/definition", Client::position_params(&uri, 0, 1));
    assert_eq!(r, Value::Null);
}

#[test]
fn unsaved_edits_to_a_concept_file_win_over_the_disk() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("docs/a.md"), "tokio");
    let hover = |c: &mut Client| {
        let r = c.request("textDocument/hover", Client::position_params(&doc, 0, 1));
        r["contents"]["value"].as_str().unwrap_or_default().to_string()
    };
    assert!(hover(&mut c).contains("The tokio runtime library."));
    let concept = c.open(&ws.path("kg/tokio.md"), "# Tokio\n\nThe tokio runtime library.\n\nsynonyms:: tokio-rs\n");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": concept, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 9}}, "text": "EDITED"}]}),
    );
    assert!(hover(&mut c).contains("The EDITED runtime library."), "{}", hover(&mut c));
    // A new synonym typed into the buffer completes at once.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": concept, "version": 3},
               "contentChanges": [{"range": {"start": {"line": 4, "character": 19}, "end": {"line": 4, "character": 19}}, "text": ", tokyo"}]}),
    );
    let other = c.open(&ws.path("docs/b.md"), "toky");
    let r = c.request("textDocument/completion", Client::position_params(&other, 0, 4));
    assert_eq!(labels(&r)[0], "tokyo", "{r}");
    // Closing without saving goes back to the disk.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": concept}}));
    assert!(hover(&mut c).contains("The tokio runtime library."));
}

#[test]
fn saved_changes_on_disk_are_picked_up() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let doc = c.open(&ws.path("docs/a.md"), "zebra");
    let r = c.request("textDocument/hover", Client::position_params(&doc, 0, 1));
    assert_eq!(r, Value::Null);
    std::fs::write(ws.path("kg/zebra.md"), "# zebra\n\nStriped.\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path("kg/zebra.md")), "type": 1}]}),
    );
    // The reload runs concurrently; poll until it lands.
    let mut found = false;
    for _ in 0..200 {
        let r = c.request("textDocument/hover", Client::position_params(&doc, 0, 1));
        if r != Value::Null {
            found = r["contents"]["value"].as_str().unwrap().contains("Striped.");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(found);
}

#[test]
fn broken_files_and_missing_paths_warn_and_the_rest_still_works() {
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"missing-folder\", \"broken.json\"]\n"),
        ("kg/good.md", b"# good concept\n\nFine.\n"),
        ("kg/latin1.md", b"# caf\xe9\n\nNot UTF-8.\n"),
        ("kg/binary.md", b"\x00\x01\x02"),
        ("broken.json", b"{\"data\": {\"a\": "),
    ]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("a.md"), "good con");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 8));
    assert_eq!(labels(&r), ["good concept"]);
    let missing = c.wait_for("window/showMessage", |p| p["message"].as_str().unwrap().contains("missing-folder"));
    assert_eq!(missing["type"], 2, "a warning");
    assert!(missing["message"].as_str().unwrap().contains("path does not exist"));
    c.wait_for("window/showMessage", |p| {
        let m = p["message"].as_str().unwrap();
        m.contains("broken.json") && m.contains("not valid thesaurus JSON")
    });
    c.wait_for("window/showMessage", |p| {
        let m = p["message"].as_str().unwrap();
        m.contains("latin1.md") && m.contains("invalid UTF-8")
    });
    c.wait_for("window/showMessage", |p| p["message"].as_str().unwrap().contains("binary.md"));
    // The file with invalid UTF-8 is still loaded, with the bad byte replaced.
    let uri = c.open(&ws.path("b.md"), "caf\u{fffd}");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 1));
    assert!(r["contents"]["value"].as_str().unwrap().contains("Not UTF-8."), "{r}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn no_knowledge_graph_is_a_warning_not_silence() {
    let ws = Workspace::new(&[("notes.md", b"# Notes\n")]);
    let mut c = Client::start(&ws.root(), Value::Null);
    c.wait_for("window/showMessage", |p| p["message"].as_str().unwrap().contains("no knowledge graph configured"));
    c.wait_for("window/showMessage", |p| p["message"].as_str().unwrap().contains("knowledge graph is empty"));
    // Headings still work.
    let r = c.request("workspace/symbol", json!({"query": "notes"}));
    assert_eq!(r[0]["name"], "Notes");
}

#[test]
fn configuration_precedence() {
    // Without configuration, kg/ and .terraphim/kg/ are used.
    let ws = Workspace::new(&[
        ("kg/alpha.md", b"# alpha\n"),
        (".terraphim/kg/beta.md", b"# beta\n"),
        ("other/gamma.md", b"# gamma\n"),
    ]);
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("x.md"), "");
    for (word, expected) in [("alp", vec!["alpha"]), ("bet", vec!["beta"]), ("gam", vec![])] {
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": word}]}),
        );
        let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
        assert_eq!(labels(&r), expected, "{word}");
    }
    // initializationOptions override both, relative to the workspace folder or absolute.
    let abs = ws.path("kg").to_string_lossy().into_owned();
    let mut c = Client::start(&ws.root(), json!({"kg": {"paths": ["other", abs]}, "editor.unrelated": true}));
    let uri = c.open(&ws.path("x.md"), "gam");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
    assert_eq!(labels(&r), ["gamma"]);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "bet alp"}]}),
    );
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
    assert!(labels(&r).is_empty());
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 7));
    assert_eq!(labels(&r), ["alpha"]);
}

#[test]
fn indexing_reports_progress_with_percentages() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let create = c.wait_for("window/workDoneProgress/create", |_| true);
    let token = create["token"].clone();
    c.wait_for("$/progress", |p| p["token"] == token && p["value"]["kind"] == "begin");
    let report = c.wait_for("$/progress", |p| p["token"] == token && p["value"]["kind"] == "report");
    assert!(report["value"]["percentage"].as_u64().unwrap() <= 100);
    let end = c.wait_for("$/progress", |p| p["token"] == token && p["value"]["kind"] == "end");
    assert!(
        end["value"]["message"].as_str().unwrap().contains("5 concepts (9 terms), 2 headings in 1 documents"),
        "{end}"
    );
}

#[test]
fn terraphim_fixtures_complete_hover_symbols_and_definition() {
    let ws = Workspace::new(&[(".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"thesaurus_Default.json\"]\n")]);
    ws.copy_fixture("terraphim/docs/src/kg", "kg");
    ws.copy_fixture("terraphim/terraphim_server/fixtures/thesaurus_Default.json", "thesaurus_Default.json");
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("notes.md"), "Run yarn install then bun i");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 27));
    assert_eq!(r["items"][0]["label"], "bun install", "{r}");
    // "yarn install" is a synonym of the concept "bun install".
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 6));
    let md = r["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("### bun install"), "{md}");
    assert!(md.contains("Fast package installation with Bun."), "{md}");
    let r = c.request("textDocument/definition", Client::position_params(&uri, 0, 6));
    assert_eq!(r["uri"], file_uri(&ws.path("kg/bun install.md")));
    // Thesaurus concepts: terms that share an id.
    let r = c.request("workspace/symbol", json!({"query": "life cycle models"}));
    assert_eq!(r[0]["name"], "life cycle models", "{r}");
    assert_eq!(r[0]["location"]["uri"], file_uri(&ws.path("thesaurus_Default.json")));
    // Synonyms under sub-headings belong to the file's concept.
    let r = c.request("workspace/symbol", json!({"query": "rbac policy"}));
    assert_eq!(r[0]["containerName"], "security", "{r}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn accepted_completions_rank_higher() {
    let ws = small();
    let mut c = Client::start(&ws.root(), Value::Null);
    let uri = c.open(&ws.path("docs/a.md"), "tok");
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
    assert_eq!(labels(&r)[0], "tokio");
    // The editor runs the item's command when the user accepts it; accept the last one.
    let item = r["items"].as_array().unwrap().last().unwrap().clone();
    let last = item["label"].as_str().unwrap().to_string();
    assert_ne!(last, "tokio");
    assert_eq!(item["command"]["command"], "kg-ls.completionAccepted");
    let accept = json!({"command": item["command"]["command"], "arguments": item["command"]["arguments"]});
    c.request("workspace/executeCommand", accept.clone());
    c.request("workspace/executeCommand", accept);
    let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
    assert_eq!(labels(&r)[0], last, "{r}");
    let bad =
        c.request_raw("workspace/executeCommand", json!({"command": "kg-ls.completionAccepted", "arguments": [1]}));
    assert_eq!(bad["error"]["code"], -32602);
}

#[test]
fn the_completion_index_is_persisted_and_a_corrupt_file_is_rebuilt() {
    let ws = small();
    let cache = tempfile::tempdir().unwrap();
    let run = |expect_first: &str| {
        let mut c = Client::spawn_with_cache(&[], cache.path());
        c.initialize(&ws.root(), Value::Null, editor_capabilities());
        let uri = c.open(&ws.path("docs/a.md"), "asy");
        let r = c.request("textDocument/completion", Client::position_params(&uri, 0, 3));
        assert_eq!(r["items"][0]["label"], expect_first, "{r}");
        // Wait for indexing to end: the index is saved right after.
        c.wait_for("$/progress", |p| p["value"]["kind"] == "end");
        assert_eq!(c.shutdown_and_exit().code(), Some(0));
    };
    let index_files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "idx"))
            .collect()
    };
    run("async runtime");
    let files = index_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let saved = std::fs::read(&files[0]).unwrap();
    assert!(kg_ls::index::persist::open(&kg_ls::vfs::RealFs, &files[0]).is_ok());

    // A second start opens it; a corrupt one is refused, rebuilt and saved again.
    run("async runtime");
    let mut corrupt = saved.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    std::fs::write(&files[0], &corrupt).unwrap();
    run("async runtime");
    assert!(kg_ls::index::persist::open(&kg_ls::vfs::RealFs, &files[0]).is_ok(), "the corrupt file was replaced");

    // Changed sources get a new index file; the old one is not trusted for them, and removed
    // once the new one is saved, so the cache does not grow with every edit.
    std::fs::write(ws.path("kg/asymptote.md"), "# asymptote\n").unwrap();
    run("async runtime");
    let now = index_files();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now[0], files[0]);
}

/// A restart after a `git pull` that changed one concept file: completion answers at once from
/// the last run's index, and the load reads only the files that changed, after which the
/// changed concept is right. A source that is a named pipe holds the load until the test writes
/// it, so "before the load ends" is a state the test controls, not a race.
#[test]
fn a_restart_with_one_concept_changed_answers_from_the_saved_state_then_reads_only_that_file() {
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\", \"hold.md\"]\n"),
        ("kg/tokio.md", b"# tokio\nsynonyms:: tokio runtime\n"),
        ("kg/asymptote.md", b"# asymptote\nrelated:: tokio\n"),
        ("kg/zebra.md", b"# zebra\n"),
        ("docs/guide.md", b"# Reactor guide\n"),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let start = || {
        let mut c = Client::spawn_with_cache(&[], cache.path());
        c.initialize(&ws.root(), Value::Null, editor_capabilities());
        c
    };
    let complete = |c: &mut Client, uri: &str| {
        let r = c.request("textDocument/completion", Client::position_params(uri, 0, 7));
        labels(&r)
    };
    let indexed = |c: &mut Client| {
        let log = c.wait_for("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains("indexed")));
        log["message"].as_str().unwrap().to_string()
    };
    let mut c = start();
    let uri = c.open(&ws.path("notes.md"), "tokio r");
    assert_eq!(indexed(&mut c), "kg-ls: indexed 3 concepts (4 terms), 1 headings in 1 documents");
    assert_eq!(complete(&mut c, &uri), ["tokio runtime"]);
    // The state is saved in the background after indexing: wait for it to be there.
    let saved = || -> Vec<String> {
        let names = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name());
        let mut names: Vec<String> =
            names.map(|n| n.to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect();
        names.retain(|n| n.starts_with("graph-") || n.starts_with("completion-"));
        names.sort();
        names
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while saved().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
    let files = saved();
    assert!(
        files.len() == 2 && files[1].starts_with("graph-"),
        "the graph is saved beside the completion index: {files:?}"
    );

    // One concept file changed (and its size with it), and a new source that holds the load.
    std::fs::write(ws.path("kg/tokio.md"), "# tokio\nsynonyms:: tokio reactor\n").unwrap();
    let hold = std::ffi::CString::new(ws.path("hold.md").into_os_string().into_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(hold.as_ptr(), 0o600) }, 0, "mkfifo");
    let mut c = start();
    let uri = c.open(&ws.path("notes.md"), "tokio r");
    assert_eq!(complete(&mut c, &uri), ["tokio runtime"], "served from the last run's index while loading");
    // Symbols come from the saved graph and headings meanwhile: concepts (kind 20, key) and
    // headings (kind 15, string) as they were; lines of full text (read from the files now) are
    // left out here.
    let symbols = |c: &mut Client, query: &str| {
        let r = c.request("workspace/symbol", json!({"query": query}));
        let hits = r.as_array().unwrap().iter().filter(|s| s["kind"] == 20 || s["kind"] == 15);
        hits.map(|s| s["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(symbols(&mut c, "tokio r"), ["tokio runtime"]);
    assert_eq!(symbols(&mut c, "reactor"), ["Reactor guide"]);
    // Writing the pipe lets the load end (it waits for the server to open the pipe).
    let path = ws.path("hold.md");
    let writer = std::thread::spawn(move || std::fs::write(path, "# hold\n").unwrap());
    let log = indexed(&mut c);
    writer.join().unwrap();
    assert_eq!(
        log,
        "kg-ls: indexed 4 concepts (5 terms), 1 headings in 1 documents (2 of 4 sources kept from the last run)"
    );
    assert_eq!(complete(&mut c, &uri), ["tokio reactor"]);
    assert_eq!(symbols(&mut c, "tokio r"), ["tokio reactor"]);
    assert_eq!(symbols(&mut c, "reactor"), ["Reactor guide", "tokio reactor"]);
    let r = c.request("workspace/symbol", json!({"query": "asymptote"}));
    assert_eq!(r[0]["name"], "asymptote", "{r}");
    let r = c.request("textDocument/hover", Client::position_params(&uri, 0, 2));
    let md = r["contents"]["value"].as_str().unwrap();
    assert!(md.contains("tokio reactor"), "the changed concept: {md}");
    assert_eq!(c.shutdown_and_exit().code(), Some(0));
}

#[test]
fn configuration_changes_reload_the_graph() {
    let ws = Workspace::new(&[("kg/alpha.md", b"# alpha\n"), ("other/gamma.md", b"# gamma\n")]);
    let mut c = Client::spawn(&[]);
    let mut caps = editor_capabilities();
    caps["workspace"] = json!({"didChangeWatchedFiles": {"dynamicRegistration": true}});
    c.initialize(&ws.root(), Value::Null, caps);
    let reg = c.wait_for("client/registerCapability", |_| true);
    assert_eq!(reg["registrations"][0]["method"], "workspace/didChangeWatchedFiles");
    let uri = c.open(&ws.path("x.md"), "gam");
    let complete = |c: &mut Client| labels(&c.request("textDocument/completion", Client::position_params(&uri, 0, 3)));
    assert!(complete(&mut c).is_empty());
    // VS Code sends the section it synchronizes.
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"kg-ls": {"kg": {"paths": ["other"]}}}}));
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = complete(&mut c);
        if !seen.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(seen, ["gamma"]);
    // A new .kg-ls.toml reported by the watcher is read again.
    std::fs::write(ws.path(".kg-ls.toml"), "[kg]\npaths = [\"kg\"]\n").unwrap();
    c.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&ws.path(".kg-ls.toml")), "type": 1}]}),
    );
    // The client's own setting still wins over the file, so gamma stays.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(complete(&mut c), ["gamma"]);
}
