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
    for needle in ["concepts", "async runtime", "### tokio", "Tokio runtime tuning"] {
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
    let (code, stdout, stderr) =
        kg_ls(&["query", "--workspace", "examples/demo", "--kg", "nowhere", "complete", "tok"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("warning: nowhere: path does not exist"), "{stderr}");
    assert!(stdout.contains("no completions"), "{stdout}");
    let (code, stdout, _) = kg_ls(&["--version"]);
    assert_eq!((code, stdout.trim()), (0, format!("kg-ls {}", env!("CARGO_PKG_VERSION")).as_str()));
    let (code, stdout, _) = kg_ls(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("kg-ls query"));
    let (code, _, stderr) = kg_ls(&["--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown argument"));
}
