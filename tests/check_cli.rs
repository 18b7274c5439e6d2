//! `kg-ls check` run as CI runs it: the real binary on temporary workspaces, its output in each
//! format, `--fix`, `--fail-on`, its settings and its exit codes.

use std::path::Path;
use std::process::Command;

use expect_test::{Expect, expect};

/// The concept every workspace here has: `widget`, whose old name `gizmo` is to be avoided.
const WIDGET: &str = "# widget\n\nA small part.\n\nsynonyms:: doohickey\navoid:: gizmo, thingamajig\n";

/// A workspace from `//- path` blocks (the widget concept is added unless the fixture names
/// `kg/widget.md` itself).
fn workspace(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, String)> = Vec::new();
    for block in fixture.split("//- ").filter(|b| !b.trim().is_empty()) {
        let (path, body) = block.split_once('\n').unwrap_or((block, ""));
        files.push((path.trim().to_string(), body.to_string()));
    }
    if !files.iter().any(|(p, _)| p == "kg/widget.md") {
        files.push(("kg/widget.md".into(), WIDGET.into()));
    }
    for (path, body) in files {
        write(dir.path(), &path, body.as_bytes());
    }
    dir
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Runs `kg-ls check ARGS` in `dir`: exit code, stdout, stderr.
fn kg_ls(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_kg-ls")).current_dir(dir).arg("check").args(args).output().expect("run kg-ls");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// The exit code, stdout and the last stderr line (the summary) of `kg-ls check ARGS` on the
/// workspace `fixture`.
fn check(fixture: &str, args: &[&str], expect: Expect) {
    let dir = workspace(fixture);
    let (code, stdout, stderr) = kg_ls(dir.path(), args);
    let last = stderr.lines().last().unwrap_or_default();
    expect.assert_eq(&format!("exit {code}\n{stdout}stderr: {last}\n"));
}

const DOCS: &str = "
//- docs/a.md
# Notes

The gizmo is here, and so is the Gizmo.

`gizmo` in code and [a link](gizmo.md) are not prose.

```
gizmo
```
//- docs/b.md
Über thingamajig.
//- docs/clean.md
A widget is fine.
";

#[test]
fn findings_are_compiler_style_lines_sorted_by_path_and_line() {
    check(
        DOCS,
        &["docs"],
        expect![[r#"
            exit 1
            docs/a.md:3:5: warning[avoided-term]: “gizmo” is an avoided term: use “widget”
            docs/a.md:3:34: warning[avoided-term]: “Gizmo” is an avoided term: use “widget”
            docs/b.md:1:6: warning[avoided-term]: “thingamajig” is an avoided term: use “widget”
            stderr: kg-ls check: 3 findings (0 errors, 3 warnings, 0 info, 0 hints) in 2 files; checked 3 documents and 0 knowledge-graph files
        "#]],
    );
}

#[test]
fn json_lists_each_finding_with_its_range_and_fixes() {
    check(
        "//- docs/b.md\nÜber thingamajig.\n",
        &["--format", "json", "docs"],
        expect![[r#"
            exit 1
            [
              {
                "check": "avoided-term",
                "column": 6,
                "endColumn": 17,
                "endLine": 1,
                "fixes": [
                  {
                    "safe": true,
                    "title": "Replace with “widget”"
                  }
                ],
                "level": "warning",
                "line": 1,
                "message": "“thingamajig” is an avoided term: use “widget”",
                "path": "docs/b.md"
              }
            ]
            stderr: kg-ls check: 1 findings (0 errors, 1 warnings, 0 info, 0 hints) in 1 files; checked 1 documents and 0 knowledge-graph files
        "#]],
    );
}

#[test]
fn sarif_has_the_shape_code_scanning_reads() {
    let dir = workspace(DOCS);
    let (code, stdout, stderr) = kg_ls(dir.path(), &["--format", "sarif", "docs"]);
    assert_eq!(code, 1, "{stderr}");
    let log: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "kg-ls");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().unwrap();
    let avoided = rules.iter().find(|r| r["id"] == "avoided-term").unwrap();
    assert!(avoided["helpUri"].as_str().unwrap().ends_with("checks.md#avoided-term"), "{avoided}");
    assert_eq!(avoided["defaultConfiguration"]["level"], "warning");
    assert!(avoided["shortDescription"]["text"].is_string());
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let r = &results[2];
    assert_eq!(r["ruleId"], "avoided-term");
    assert_eq!(r["level"], "warning");
    assert!(r["message"]["text"].as_str().unwrap().contains("thingamajig"));
    let at = &r["locations"][0]["physicalLocation"];
    assert_eq!(at["artifactLocation"]["uri"], "docs/b.md");
    let region = &at["region"];
    let region = [&region["startLine"], &region["startColumn"], &region["endLine"], &region["endColumn"]];
    assert_eq!(region.map(|v| v.as_u64().unwrap()), [1, 6, 1, 17]);
}

#[test]
fn fix_rewrites_the_files_and_the_next_run_is_clean() {
    let dir = workspace(DOCS);
    let (code, stdout, stderr) = kg_ls(dir.path(), &["--fix", "docs"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("3 fixes applied"), "{stderr}");
    let a = std::fs::read_to_string(dir.path().join("docs/a.md")).unwrap();
    expect![[r#"
        # Notes

        The widget is here, and so is the Widget.

        `gizmo` in code and [a link](gizmo.md) are not prose.

        ```
        gizmo
        ```
    "#]]
    .assert_eq(&a);
    let b = std::fs::read_to_string(dir.path().join("docs/b.md")).unwrap();
    assert_eq!(b, "Über widget.\n");
    let (code, stdout, _) = kg_ls(dir.path(), &["docs"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn fail_on_sets_the_least_level_that_fails() {
    let b = "//- docs/b.md\nthingamajig\n";
    check(
        b,
        &["--fail-on", "error", "docs"],
        expect![[r#"
            exit 0
            docs/b.md:1:1: warning[avoided-term]: “thingamajig” is an avoided term: use “widget”
            stderr: kg-ls check: 1 findings (0 errors, 1 warnings, 0 info, 0 hints) in 1 files; checked 1 documents and 0 knowledge-graph files
        "#]],
    );
    check(
        &format!("{b}//- .kg-ls.toml\n[checks]\navoided-term = \"hint\"\n"),
        &["--fail-on", "hint", "docs"],
        expect![[r#"
            exit 1
            docs/b.md:1:1: hint[avoided-term]: “thingamajig” is an avoided term: use “widget”
            stderr: kg-ls check: 1 findings (0 errors, 0 warnings, 0 info, 1 hints) in 1 files; checked 1 documents and 0 knowledge-graph files
        "#]],
    );
    check(
        b,
        &["--fail-on", "off", "docs"],
        expect![[r#"
            exit 0
            docs/b.md:1:1: warning[avoided-term]: “thingamajig” is an avoided term: use “widget”
            stderr: kg-ls check: 1 findings (0 errors, 1 warnings, 0 info, 0 hints) in 1 files; checked 1 documents and 0 knowledge-graph files
        "#]],
    );
}

#[test]
fn settings_turn_a_check_off_and_bad_settings_exit_3() {
    check(
        &format!("{DOCS}//- .kg-ls.toml\n[checks]\navoided-term = \"off\"\n"),
        &["docs"],
        expect![[r#"
            exit 0
            stderr: kg-ls check: 0 findings (0 errors, 0 warnings, 0 info, 0 hints) in 0 files; checked 3 documents and 0 knowledge-graph files
        "#]],
    );
    let dir = workspace(&format!("{DOCS}//- .kg-ls.toml\n[checks]\navoided-trem = \"off\"\nformat-slip = \"loud\"\n"));
    let (code, stdout, stderr) = kg_ls(dir.path(), &["docs"]);
    assert_eq!(code, 3, "{stderr}");
    // The findings are still printed, with the defaults kept.
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    expect![[r#"
        error: .kg-ls.toml:2: column 1: unknown key `checks.avoided-trem` (did you mean `avoided-term`?); it is ignored
        error: .kg-ls.toml:3: column 15: checks.format-slip: expected one of off, hint, info, warning, error, got "loud"; the default warning is used
    "#]]
    .assert_eq(&stderr.lines().filter(|l| l.starts_with("error")).map(|l| format!("{l}\n")).collect::<String>());
}

#[test]
fn usage_errors_exit_2_and_an_empty_graph_exits_3() {
    let dir = workspace(DOCS);
    for args in [&["missing.md"][..], &["--format", "xml"], &["--fail-on", "loud"], &["--bogus"], &["--workspace"]] {
        let (code, stdout, stderr) = kg_ls(dir.path(), args);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: kg-ls check"), "{stderr}");
    }
    let (_, _, stderr) = kg_ls(dir.path(), &["missing.md"]);
    assert!(stderr.starts_with("kg-ls check: missing.md: "), "{stderr}");
    let (code, stdout, _) = kg_ls(dir.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("exit codes:"));

    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "a.md", b"nothing\n");
    let (code, _, stderr) = kg_ls(empty.path(), &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no knowledge graph configured"), "{stderr}");
}

#[test]
fn a_document_that_is_not_utf8_is_a_broken_file_finding() {
    let dir = workspace("//- docs/ok.md\nfine\n");
    write(dir.path(), "docs/latin1.md", b"line one\ncaf\xe9 gizmo\n");
    let (code, stdout, stderr) = kg_ls(dir.path(), &["docs"]);
    assert_eq!(code, 1, "{stderr}");
    expect![[r#"
        docs/latin1.md:2:4: error[broken-file]: invalid UTF-8: the document is not text; not checked
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn a_named_file_is_checked_and_the_workspace_flag_is_honoured() {
    let dir = workspace(DOCS);
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "notes.txt", b"a gizmo\n");
    let cwd = outside.path();
    let ws = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = kg_ls(cwd, &["--workspace", ws, "notes.txt"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.ends_with("notes.txt:1:3: warning[avoided-term]: “gizmo” is an avoided term: use “widget”\n"),
        "{stdout}"
    );
    let (code, stdout, _) = kg_ls(cwd, &["--workspace", ws, &format!("{ws}/docs/clean.md")]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn a_thesaurus_entry_marked_avoid_is_an_avoided_term() {
    check(
        r#"
//- .kg-ls.toml
[kg]
paths = ["kg", "glossary.json"]
//- glossary.json
{"name": "g", "data": {
  "worker pool": {"id": 1, "nterm": "worker pool"},
  "slave pool": {"id": 1, "nterm": "worker pool", "avoid": true}
}}
//- docs/a.md
The slave pool runs.
"#,
        &[],
        expect![[r#"
            exit 1
            docs/a.md:1:5: warning[avoided-term]: “slave pool” is an avoided term: use “worker pool”
            stderr: kg-ls check: 1 findings (0 errors, 1 warnings, 0 info, 0 hints) in 1 files; checked 1 documents and 2 knowledge-graph files
        "#]],
    );
}

#[test]
fn non_canonical_terms_and_near_misses_are_found_when_turned_on() {
    let fixture = "
//- kg/async runtime.md
# async runtime

synonyms:: async rt, executor
//- docs/a.md
Pick an Executor, an asynch runtime, or an async runtime.
";
    // Off by default: nothing.
    check(
        fixture,
        &[],
        expect![[r#"
            exit 0
            stderr: kg-ls check: 0 findings (0 errors, 0 warnings, 0 info, 0 hints) in 0 files; checked 1 documents and 2 knowledge-graph files
        "#]],
    );
    let on = format!("{fixture}//- .kg-ls.toml\n[checks]\nnon-canonical-term = \"hint\"\nnear-miss = \"info\"\n");
    check(
        &on,
        &["--fail-on", "hint"],
        expect![[r#"
            exit 1
            docs/a.md:1:9: hint[non-canonical-term]: “Executor” is a synonym of “async runtime”; the canonical name is preferred
            docs/a.md:1:22: info[near-miss]: “asynch runtime” is not a term, but close to “async runtime”: a misspelling?
            stderr: kg-ls check: 2 findings (0 errors, 0 warnings, 1 info, 1 hints) in 1 files; checked 1 documents and 2 knowledge-graph files
        "#]],
    );
}
