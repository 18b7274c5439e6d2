//! End-to-end tests of prepareRename and rename through the real `kg-ls` binary over stdio:
//! each applies the WorkspaceEdit it gets to the workspace, as an editor would, and compares
//! the files that result.

mod common;

use std::path::Path;

use common::{Client, Workspace, editor_capabilities, file_uri};
use expect_test::{Expect, expect};
use serde_json::{Value, json};

const KG: &[(&str, &[u8])] = &[
    ("kg/tokio runtime.md", b"# Tokio Runtime\n\nsynonyms:: tokio rt, async runtime\nrelated:: scheduler\n"),
    (
        "kg/scheduler.md",
        b"# scheduler\n\nrelated:: tokio runtime\n\nSee [[tokio runtime|the runtime]] and [[tokio rt]].\n",
    ),
    ("kg/k8s.md", b"# k8s\n\nsynonyms:: kube\n"),
    ("docs/notes.md", b"The Tokio runtime and the tokio\nruntime; the tokio rt.\n"),
    ("docs/other.md", b"Nothing to see.\n"),
];

/// Capabilities of an editor that takes every shape of workspace edit (as VS Code does).
fn full_capabilities() -> Value {
    let mut caps = editor_capabilities();
    caps["workspace"] = json!({"workspaceEdit": {
        "documentChanges": true,
        "resourceOperations": ["create", "rename", "delete"],
        "changeAnnotationSupport": {"groupsOnLabel": true}
    }});
    caps
}

fn start(ws: &Workspace, caps: Value) -> Client {
    let mut c = Client::spawn(&[]);
    c.initialize(&ws.root(), Value::Null, caps);
    c
}

/// The byte offset of an LSP position (UTF-16 columns) in `text`.
fn offset(text: &str, pos: &Value) -> usize {
    let (line, col) = (pos["line"].as_u64().unwrap() as usize, pos["character"].as_u64().unwrap() as usize);
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= col || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

fn rel(ws: &Workspace, uri: &str) -> String {
    let root = file_uri(&ws.root());
    let r = uri.strip_prefix(&root).unwrap().trim_start_matches('/');
    r.replace("%20", " ")
}

fn path_of(ws: &Workspace, uri: &str) -> std::path::PathBuf {
    ws.path(&rel(ws, uri))
}

/// Applies `edits` (LSP text edits) to the file at `path`.
fn apply_text_edits(path: &Path, edits: &[Value]) {
    let mut text = std::fs::read_to_string(path).unwrap();
    let mut ranges: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let (s, t) = (offset(&text, &e["range"]["start"]), offset(&text, &e["range"]["end"]));
            (s, t, e["newText"].as_str().unwrap().to_string())
        })
        .collect();
    ranges.sort_by_key(|r| (r.0, r.1));
    for w in ranges.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlapping edits in {}: {edits:?}", path.display());
    }
    for (s, t, new) in ranges.into_iter().rev() {
        text.replace_range(s..t, &new);
    }
    std::fs::write(path, text).unwrap();
}

/// Applies a WorkspaceEdit to the workspace; returns its shape, one line per operation.
fn apply(ws: &Workspace, edit: &Value) -> String {
    let mut shape = String::new();
    if let Some(ops) = edit["documentChanges"].as_array() {
        let mut renamed: Vec<String> = Vec::new();
        for op in ops {
            if op["kind"] == "rename" {
                let (from, to) = (op["oldUri"].as_str().unwrap(), op["newUri"].as_str().unwrap());
                let to_path = path_of(ws, to);
                assert!(!to_path.exists(), "{}", to_path.display());
                std::fs::rename(path_of(ws, from), to_path).unwrap();
                shape += &format!("rename {} -> {}\n", rel(ws, from), rel(ws, to));
                renamed.push(from.to_string());
                continue;
            }
            let uri = op["textDocument"]["uri"].as_str().unwrap();
            assert!(!renamed.iter().any(|r| r == uri), "an edit of {uri} after it was renamed");
            let edits = op["edits"].as_array().unwrap();
            let annotated: Vec<&str> = edits.iter().filter_map(|e| e["annotationId"].as_str()).collect();
            shape += &format!(
                "edit {} version {} ({} edits{})\n",
                rel(ws, uri),
                op["textDocument"]["version"],
                edits.len(),
                if annotated.is_empty() { String::new() } else { format!(", {} annotated", annotated.len()) }
            );
            apply_text_edits(&path_of(ws, uri), edits);
        }
    }
    if let Some(changes) = edit["changes"].as_object() {
        let mut uris: Vec<&String> = changes.keys().collect();
        uris.sort();
        for uri in uris {
            let edits = changes[uri].as_array().unwrap();
            shape += &format!("change {} ({} edits)\n", rel(ws, uri), edits.len());
            apply_text_edits(&path_of(ws, uri), edits);
        }
    }
    if let Some(notes) = edit["changeAnnotations"].as_object() {
        for (id, n) in notes {
            shape += &format!("annotation {id}: {} (needsConfirmation {})\n", n["label"], n["needsConfirmation"]);
        }
    }
    shape
}

/// Every file of the workspace (but the cache), sorted, with its text.
fn files(ws: &Workspace) -> String {
    let mut out = Vec::new();
    let root = ws.root();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
                out.push(format!("--- {name}\n{}", std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out.concat()
}

/// Renames what is at `line:character` of the file `at` (opened first) to `new`; applies the
/// answer and shows its shape and the workspace after.
fn check_rename(ws: &Workspace, caps: Value, at: &str, line: u32, character: u32, new: &str, expect: Expect) {
    let mut c = start(ws, caps);
    let text = std::fs::read_to_string(ws.path(at)).unwrap();
    let uri = c.open(&ws.path(at), &text);
    let mut params = Client::position_params(&uri, line, character);
    params["newName"] = json!(new);
    let r = c.request_raw("textDocument/rename", params);
    let out = match r.get("error") {
        Some(e) => format!("error: {}\n", e["message"].as_str().unwrap()),
        None => format!("{}{}", apply(ws, &r["result"]), files(ws)),
    };
    expect.assert_eq(&out);
}

fn prepare(ws: &Workspace, at: &str, line: u32, character: u32) -> String {
    let mut c = start(ws, full_capabilities());
    let text = std::fs::read_to_string(ws.path(at)).unwrap();
    let uri = c.open(&ws.path(at), &text);
    let r = c.request_raw("textDocument/prepareRename", Client::position_params(&uri, line, character));
    match r.get("error") {
        Some(e) => format!("error: {}", e["message"].as_str().unwrap()),
        None => r["result"].to_string(),
    }
}

#[test]
fn renaming_a_concept_renames_its_file_heading_related_entries_links_and_mentions() {
    let ws = Workspace::new(KG);
    check_rename(
        &ws,
        full_capabilities(),
        "docs/notes.md",
        0,
        8,
        "async engine",
        expect![[r#"
            edit docs/notes.md version 1 (2 edits, 2 annotated)
            edit kg/scheduler.md version null (2 edits)
            edit kg/tokio runtime.md version null (1 edits)
            rename kg/tokio runtime.md -> kg/async engine.md
            annotation kg-ls.prose: "Mentions in prose" (needsConfirmation true)
            --- docs/notes.md
            The Async engine and the async
            engine; the tokio rt.
            --- docs/other.md
            Nothing to see.
            --- kg/async engine.md
            # async engine

            synonyms:: tokio rt, async runtime
            related:: scheduler
            --- kg/k8s.md
            # k8s

            synonyms:: kube
            --- kg/scheduler.md
            # scheduler

            related:: async engine

            See [[async engine|the runtime]] and [[tokio rt]].
        "#]],
    );
}

#[test]
fn renaming_a_synonym_edits_its_entry_and_its_mentions() {
    let ws = Workspace::new(KG);
    check_rename(
        &ws,
        full_capabilities(),
        "kg/tokio runtime.md",
        2,
        13,
        "tokio-rt",
        expect![[r#"
            edit docs/notes.md version null (1 edits, 1 annotated)
            edit kg/scheduler.md version null (1 edits)
            edit kg/tokio runtime.md version 1 (1 edits)
            annotation kg-ls.prose: "Mentions in prose" (needsConfirmation true)
            --- docs/notes.md
            The Tokio runtime and the tokio
            runtime; the tokio-rt.
            --- docs/other.md
            Nothing to see.
            --- kg/k8s.md
            # k8s

            synonyms:: kube
            --- kg/scheduler.md
            # scheduler

            related:: tokio runtime

            See [[tokio runtime|the runtime]] and [[tokio-rt]].
            --- kg/tokio runtime.md
            # Tokio Runtime

            synonyms:: tokio-rt, async runtime
            related:: scheduler
        "#]],
    );
}

#[test]
fn a_name_that_is_a_term_of_another_concept_is_refused() {
    let ws = Workspace::new(KG);
    check_rename(
        &ws,
        full_capabilities(),
        "kg/tokio runtime.md",
        0,
        3,
        "Kube",
        expect![[r#"
        error: “Kube” is already a term of concept “k8s”
    "#]],
    );
}

#[test]
fn prepare_rename_gives_the_term_or_says_why_not() {
    let ws = Workspace::new(KG);
    expect![[
        r#"{"placeholder":"tokio rt","range":{"end":{"character":21,"line":1},"start":{"character":13,"line":1}}}"#
    ]]
    .assert_eq(&prepare(&ws, "docs/notes.md", 1, 14));
    expect![[
        r#"{"placeholder":"tokio runtime","range":{"end":{"character":23,"line":2},"start":{"character":10,"line":2}}}"#
    ]]
    .assert_eq(&prepare(&ws, "kg/scheduler.md", 2, 12));
    expect!["error: no term of the knowledge graph here to rename"].assert_eq(&prepare(&ws, "docs/other.md", 0, 3));
}

#[test]
fn a_client_without_document_changes_gets_changes_and_no_file_rename() {
    let ws = Workspace::new(KG);
    check_rename(
        &ws,
        editor_capabilities(),
        "kg/tokio runtime.md",
        0,
        3,
        "async engine",
        expect![[r#"
            change docs/notes.md (2 edits)
            change kg/scheduler.md (2 edits)
            change kg/tokio runtime.md (1 edits)
            --- docs/notes.md
            The Async engine and the async
            engine; the tokio rt.
            --- docs/other.md
            Nothing to see.
            --- kg/k8s.md
            # k8s

            synonyms:: kube
            --- kg/scheduler.md
            # scheduler

            related:: async engine

            See [[async engine|the runtime]] and [[tokio rt]].
            --- kg/tokio runtime.md
            # async engine

            synonyms:: tokio rt, async runtime
            related:: scheduler
        "#]],
    );
}

#[test]
fn a_thesaurus_concept_is_renamed_in_its_json() {
    let ws = Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"thesaurus.json\"]\n"),
        (
            "thesaurus.json",
            b"{\n  \"name\": \"devops\",\n  \"data\": {\n    \"docker\": {\"id\": 1, \"nterm\": \"containerisation\", \"url\": null},\n    \"containerisation\": {\"id\": 1, \"nterm\": \"containerisation\"},\n    \"k8s\": {\"id\": 2, \"nterm\": \"orchestration\"}\n  }\n}\n",
        ),
        ("notes.md", b"Containerisation with docker.\n"),
    ]);
    check_rename(
        &ws,
        full_capabilities(),
        "notes.md",
        0,
        3,
        "containerization",
        expect![[r#"
        edit notes.md version 1 (1 edits, 1 annotated)
        edit thesaurus.json version null (3 edits)
        annotation kg-ls.prose: "Mentions in prose" (needsConfirmation true)
        --- .kg-ls.toml
        [kg]
        paths = ["thesaurus.json"]
        --- notes.md
        Containerization with docker.
        --- thesaurus.json
        {
          "name": "devops",
          "data": {
            "docker": {"id": 1, "nterm": "containerization", "url": null},
            "containerization": {"id": 1, "nterm": "containerization"},
            "k8s": {"id": 2, "nterm": "orchestration"}
          }
        }
    "#]],
    );
}

#[test]
fn a_client_that_cannot_rename_files_is_told_to_when_no_heading_carries_the_name() {
    let ws = Workspace::new(&[("kg/plain.md", b"synonyms:: simple\n"), ("notes.md", b"A plain note.\n")]);
    check_rename(
        &ws,
        editor_capabilities(),
        "notes.md",
        0,
        3,
        "clear",
        expect![[r#"
            error: this editor cannot rename files: rename plain.md to clear.md yourself, or give it a `# ` heading first
        "#]],
    );
}
