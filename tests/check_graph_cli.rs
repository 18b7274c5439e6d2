//! The knowledge-graph checks through the real binary: `kg-ls check --workspace DIR --format
//! json` on a temporary workspace whose kg/ folder has one slip of each kind, and `--fix` on
//! the safe ones. Owns only these runs; the checks' details are tested in src/check.

use std::path::Path;
use std::process::Command;

use expect_test::{Expect, expect};

/// A workspace from `//- path` blocks.
fn workspace(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for block in fixture.split("//- ").filter(|b| !b.trim().is_empty()) {
        let (path, body) = block.split_once('\n').unwrap_or((block, ""));
        write(dir.path(), path.trim(), body.as_bytes());
    }
    dir
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Runs `kg-ls check --workspace DIR ARGS` from elsewhere: exit code, stdout, stderr.
fn kg_ls(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kg-ls"))
        .current_dir(elsewhere.path())
        .arg("check")
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .output()
        .expect("run kg-ls");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// The exit code, one line per finding of the JSON output (path:line:column check: message,
/// then its fixes) and the summary line.
fn check(dir: &Path, args: &[&str], expect: Expect) {
    let (code, stdout, stderr) = kg_ls(dir, args);
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let mut out = format!("exit {code}\n");
    for f in findings.as_array().unwrap() {
        out += &format!(
            "{}:{}:{} {} {}: {}\n",
            f["path"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["level"].as_str().unwrap(),
            f["check"].as_str().unwrap(),
            f["message"].as_str().unwrap()
        );
        for fix in f["fixes"].as_array().unwrap() {
            out += &format!(
                "  fix{}: {}\n",
                if fix["safe"] == true { " (safe)" } else { "" },
                fix["title"].as_str().unwrap()
            );
        }
    }
    out += &format!("stderr: {}\n", stderr.lines().last().unwrap_or_default());
    expect.assert_eq(&out);
}

const KG: &str = "
//- kg/widget.md
# widget

A small part.

synonyms:: doohickey, Doohickey
related:: gadgt
//- kg/gadget.md
# gadget
synonyms:: doohickey
//- kg/async-runtime.md
# Async Runtime
synonyms: rt

```
related:: widget
```
//- kg/empty.md
# empty
related::
//- kg/what_is_lsp.md
# What is LSP?
//- kg/t.json
{\"name\": \"t\", \"data\": {,}}
";

#[test]
fn each_graph_check_is_a_json_finding_with_its_fixes() {
    let dir = workspace(KG);
    write(dir.path(), "kg/bin.md", b"# bin\0\n");
    check(
        dir.path(),
        &["--format", "json"],
        expect![[r#"
            exit 1
            kg/async-runtime.md:2:1 warning format-slip: `synonyms:` has one colon, so the line is read as definition text; a list is `synonyms::`
              fix (safe): Write `synonyms::`
            kg/async-runtime.md:5:1 warning format-slip: `related::` is inside a code block, so it is read as part of the definition, not as a property; move it out of the block if it is meant as one
            kg/bin.md:1:1 error broken-file: the file looks binary (it has a NUL byte); not read
            kg/empty.md:2:1 warning format-slip: `related::` lists no related name
              fix: Remove the empty line
            kg/gadget.md:2:12 warning term-claimed-twice: “doohickey” is also a term of “widget” (widget.md); a term names one concept
            kg/t.json:1:24 error broken-file: the thesaurus is not valid JSON: key must be a string at line 1 column 24; none of it is read
            kg/what_is_lsp.md:1:3 warning heading-adds-term: the heading “What is LSP?” differs from the file's name “what_is_lsp” only in spelling, so it adds “What is LSP?” as a second term
              fix: Make the heading “what_is_lsp”
            kg/widget.md:5:12 warning term-claimed-twice: “doohickey” is also a term of “gadget” (gadget.md); a term names one concept
            kg/widget.md:5:23 warning duplicate-synonym: synonym “Doohickey” is listed already; it adds nothing
              fix (safe): Remove the repeated “Doohickey”
            kg/widget.md:6:11 warning unknown-related: related:: “gadgt” names no concept; did you mean “gadget”?
              fix: Replace with “gadget”
              fix: Create concept file “gadgt”
            stderr: kg-ls check: 10 findings (2 errors, 8 warnings, 0 info, 0 hints) in 7 files; checked 0 documents and 7 knowledge-graph files
        "#]],
    );
}

#[test]
fn fix_applies_the_safe_graph_fixes_only() {
    let dir = workspace(KG);
    let (_, _, stderr) = kg_ls(dir.path(), &["--fix"]);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(
        read("kg/widget.md"),
        "# widget\n\nA small part.\n\nsynonyms:: doohickey\nrelated:: gadgt\n",
        "{stderr}"
    );
    assert!(read("kg/async-runtime.md").starts_with("# Async Runtime\nsynonyms:: rt\n"), "{stderr}");
    check(
        dir.path(),
        &["--format", "json"],
        expect![[r#"
            exit 1
            kg/async-runtime.md:5:1 warning format-slip: `related::` is inside a code block, so it is read as part of the definition, not as a property; move it out of the block if it is meant as one
            kg/empty.md:2:1 warning format-slip: `related::` lists no related name
              fix: Remove the empty line
            kg/gadget.md:2:12 warning term-claimed-twice: “doohickey” is also a term of “widget” (widget.md); a term names one concept
            kg/t.json:1:24 error broken-file: the thesaurus is not valid JSON: key must be a string at line 1 column 24; none of it is read
            kg/what_is_lsp.md:1:3 warning heading-adds-term: the heading “What is LSP?” differs from the file's name “what_is_lsp” only in spelling, so it adds “What is LSP?” as a second term
              fix: Make the heading “what_is_lsp”
            kg/widget.md:5:12 warning term-claimed-twice: “doohickey” is also a term of “gadget” (gadget.md); a term names one concept
            kg/widget.md:6:11 warning unknown-related: related:: “gadgt” names no concept; did you mean “gadget”?
              fix: Replace with “gadget”
              fix: Create concept file “gadgt”
            stderr: kg-ls check: 7 findings (1 errors, 6 warnings, 0 info, 0 hints) in 6 files; checked 0 documents and 6 knowledge-graph files
        "#]],
    );
}
