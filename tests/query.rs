//! The `kg-ls query` command and the command line, run as a user would from a shell.

use std::process::Command;

use expect_test::{Expect, expect};

fn kg_ls(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kg-ls"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run kg-ls");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn check(args: &[&str], expect: Expect) {
    let (code, stdout, stderr) = kg_ls(args);
    assert_eq!(code, 0, "{stderr}");
    expect.assert_eq(&stdout);
}

#[test]
fn demo_completion_hover_symbols_and_definition() {
    check(
        &["query", "--workspace", "examples/demo", "complete", "async ru"],
        expect![[r#"
            async runtime          (async runtime)           replaces "async ru"
            async rust             (async await)             replaces "async ru"
            async runtime library  (async runtime)           replaces "async ru"
            runtime                (async runtime)           replaces "ru"
            run loop               (event loop)              replaces "ru"
        "#]],
    );
    check(
        &["query", "--workspace", "examples/demo", "symbols", "tkrt", "--limit", "3"],
        expect![[r#"
            concept  tokio rt              kg/runtime/tokio runtime.md:1 (tokio runtime)
            concept  tokio crate           kg/runtime/tokio.md:1 (tokio)
            heading  Tokio runtime tuning  docs/runtime-guide.md:33 (runtime-guide.md)
        "#]],
    );
    check(
        &["query", "--workspace", "examples/demo", "definition", "the |tokio runtime"],
        expect![[r#"
            kg/runtime/tokio runtime.md:1
        "#]],
    );
    let (code, stdout, _) =
        kg_ls(&["query", "--workspace", "examples/demo", "--plain", "hover", "work-stealing scheduler"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("hover on \"work-stealing scheduler\":\n\nwork stealing\n"), "{stdout}");
}

/// Two of Terraphim's thesauri both claim `middleware` (for "search-pipeline" and for
/// "service"): one completion names both, instead of the same text twice.
#[test]
fn a_term_two_concepts_claim_is_one_completion() {
    check(
        &[
            "query",
            "--workspace",
            "tests/fixtures/terraphim",
            "--kg",
            ".terraphim/thesaurus-taiarch.json",
            "--kg",
            "docs/src/thesaurus.json",
            "complete",
            "Midd",
        ],
        expect![[r#"
            middleware  (search-pipeline, service)  replaces "Midd" with "Middleware"
        "#]],
    );
}

#[test]
fn the_tour_prints_all_three_features() {
    let (code, stdout, stderr) = kg_ls(&["query", "--workspace", "examples/demo"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "the demo loads without warnings: {stderr}");
    for needle in ["53 concepts", "$ kg-ls query", "complete", "### ", "concept  "] {
        assert!(stdout.contains(needle), "{needle} missing from {stdout}");
    }
}

#[test]
fn usage_errors_and_warnings() {
    let (code, _, stderr) = kg_ls(&["query", "--bogus"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown option --bogus"));
    let (code, _, stderr) = kg_ls(&["query", "--workspace", "does/not/exist", "stats"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does/not/exist"), "{stderr}");
    let (code, stdout, _) = kg_ls(&["--version"]);
    assert_eq!((code, stdout.trim()), (0, format!("kg-ls {}", env!("CARGO_PKG_VERSION")).as_str()));
    let (code, stdout, _) = kg_ls(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("kg-ls query"));
    let (code, _, stderr) = kg_ls(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown argument"));
}

/// Runs `kg-ls query ARGS` in a new workspace of `files` (path, text); returns the exit code,
/// stdout and stderr, with the workspace's path shown as `$WS`.
fn in_workspace(files: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let ws = dir.path().canonicalize().unwrap();
    let ws = ws.to_str().unwrap();
    let mut all = vec!["query", "--workspace", ws];
    all.extend(args);
    let (code, stdout, stderr) = kg_ls(&all);
    let stderr = stderr.lines().filter(|l| !l.starts_with("usage:")).take_while(|l| !l.is_empty()).collect::<Vec<_>>();
    let stderr: String = stderr.iter().map(|l| format!("{l}\n")).collect();
    format!("exit {code}\n{stdout}--- stderr\n{stderr}").replace(ws, "$WS")
}

fn check_in(files: &[(&str, &str)], args: &[&str], expect: Expect) {
    expect.assert_eq(&in_workspace(files, args));
}

const WIDGET: (&str, &str) = ("notes/widget frobnicator.md", "# widget frobnicator\nsynonyms:: wf\n\nA widget.\n");

#[test]
fn an_invalid_config_exits_1_and_says_where() {
    check_in(
        &[
            (".kg-ls.toml", "[kg]\npaths = [\"notes\"]\n[completions]\nlimit = 10\n[symbols]\nlimit = \"ten\"\n"),
            WIDGET,
        ],
        &["complete", "widg"],
        expect![[r#"
            exit 1
            widget frobnicator  (widget frobnicator)      replaces "widg"
            --- stderr
            error: .kg-ls.toml:3: column 2: unknown section `[completions]` (did you mean `completion`?); it is ignored
            error: .kg-ls.toml:6: column 9: symbols.limit: expected a whole number from 1 to 5000, got "ten"; the default 128 is used
        "#]],
    );
}

#[test]
fn a_missing_path_exits_1_and_names_it() {
    check_in(
        &[(".kg-ls.toml", "[kg]\npaths = [\"notes\", \"glossary.json\"]\n"), WIDGET],
        &["complete", "widg"],
        expect![[r#"
            exit 1
            widget frobnicator  (widget frobnicator)      replaces "widg"
            --- stderr
            error: glossary.json: path does not exist
        "#]],
    );
}

#[test]
fn an_empty_graph_exits_3() {
    // Nothing configured, and no kg/ folder.
    check_in(
        &[("notes.md", "# Notes\n")],
        &["complete", "tok"],
        expect![[r#"
            exit 3
            --- stderr
            error: $WS: no knowledge graph configured: add `[kg] paths = [...]` to .kg-ls.toml, pass `kg.paths` as initialization options, or create a kg/ folder
            kg-ls query: the knowledge graph of $WS is empty: no concepts were loaded (no knowledge graph is configured)
        "#]],
    );
    // A kg/ folder without a concept in it: stats still answers, and still exits 3.
    check_in(
        &[("kg/README.txt", "not a concept\n")],
        &["stats"],
        expect![[r#"
            exit 3
            workspace $WS: 0 concepts (0 terms) from 0 knowledge-graph files; 0 headings in 0 markdown documents
            --- stderr
            kg-ls query: the knowledge graph of $WS is empty: no concepts were loaded (read from kg)
        "#]],
    );
}

#[test]
fn an_unknown_command_is_named() {
    check_in(
        &[WIDGET],
        &["foo"],
        expect![[r#"
            exit 2
            --- stderr
            kg-ls query: unknown command `foo`; the commands are complete, hover, definition, symbols, stats
        "#]],
    );
    check_in(
        &[WIDGET],
        &["symbol", "wf"],
        expect![[r#"
            exit 2
            --- stderr
            kg-ls query: unknown command `symbol` (did you mean `symbols`?); the commands are complete, hover, definition, symbols, stats
        "#]],
    );
    let (code, stdout, _) = kg_ls(&["query", "--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("exit codes:\n  0  the answer was printed\n  1  the configuration has problems"),
        "{stdout}"
    );
}

/// The tour asks about a term of the workspace's own graph, not the demo's `async ru`.
#[test]
fn the_tour_uses_the_workspaces_own_terms() {
    check_in(
        &[
            (".kg-ls.toml", "[kg]\npaths = [\"notes\"]\n"),
            WIDGET,
            ("notes/gadget.md", "# gadget\nrelated:: widget frobnicator\n"),
        ],
        &[],
        expect![[r#"
            exit 0
            workspace $WS: 2 concepts (3 terms) from 2 knowledge-graph files; 0 headings in 0 markdown documents

            $ kg-ls query --workspace $WS complete "widget fr"
            widget frobnicator  (widget frobnicator)      replaces "widget fr"

            $ kg-ls query --workspace $WS hover "widget frobnicator"
            hover on "widget frobnicator":

            ### widget frobnicator

            **Synonyms:** wf

            A widget.

            $ kg-ls query --workspace $WS symbols "wifr"
            concept  widget frobnicator  notes/widget frobnicator.md:1
            --- stderr
        "#]],
    );
}
