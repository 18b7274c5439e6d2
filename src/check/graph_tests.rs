//! Data-driven tests of the knowledge-graph checks ([`check_kg_file`]): a fixture graph of
//! concept files and thesauri in, one file's findings printed with their related places and
//! fixes. Nothing here reads the disk.

use std::path::Path;

use expect_test::{Expect, expect};

use super::*;
use crate::kg::{Graph, kind_of, parse};

/// `files` are `path\ntext` blocks separated by `----\n`, each parsed by its kind.
fn graph(files: &str) -> Graph {
    let parsed: Vec<_> =
        blocks(files).map(|(path, text)| parse(Path::new(path), kind_of(Path::new(path)).unwrap(), text)).collect();
    Graph::from_files(&parsed)
}

fn blocks(files: &str) -> impl Iterator<Item = (&str, &str)> {
    files.split("----\n").filter(|b| !b.trim().is_empty()).map(|b| {
        let (path, text) = b.split_once('\n').unwrap();
        (path.trim(), text)
    })
}

/// Each finding as `check level [range] «text»: message`, then its related places and its
/// fixes with their edits.
fn render(text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out +=
            &format!("{} {} {:?} «{}»: {}\n", f.check.id(), f.level.name(), f.range, &text[f.range.clone()], f.message);
        for r in &f.related {
            out += &format!("  related {}:{}: {}\n", r.path.display(), r.line, r.message);
        }
        for fix in &f.fixes {
            out += &format!("  fix{}: {}\n", if fix.safe { " (safe)" } else { "" }, fix.title);
            for e in &fix.edits {
                out += &match e {
                    Edit::Replace { path: None, range, text: new } => {
                        format!("    {range:?} {:?} -> {new:?}\n", &text[range.clone()])
                    }
                    Edit::Replace { path: Some(p), range, text: new } => {
                        format!("    {}:{range:?} -> {new:?}\n", p.display())
                    }
                    Edit::Create { path, text } => format!("    create {} {text:?}\n", path.display()),
                };
            }
        }
    }
    out
}

/// Checks the file `path` of the graph `files` with `levels`.
fn check_with(files: &str, path: &str, levels: &Levels, expect: Expect) {
    let g = graph(files);
    let terms = Terminology::build(&g);
    let text = blocks(files).find(|(p, _)| *p == path).map(|(_, t)| t).unwrap();
    let findings = check_kg_file(Path::new(path), Source::Bytes(text.as_bytes()), &g, &terms, levels);
    expect.assert_eq(&render(text, &findings));
}

fn check(files: &str, path: &str, expect: Expect) {
    check_with(files, path, &Levels::default(), expect);
}

const GRAPH: &str = "kg/kubernetes.md\n# kubernetes\nsynonyms:: k8s\n----\nkg/docker.md\n# docker\n----\nkg/dockerfile.md\n# dockerfile\n----\n";

#[test]
fn an_unknown_related_name_suggests_the_closest_concepts_and_a_new_file() {
    check(
        &format!("{GRAPH}kg/pod.md\n# pod\nrelated:: kubernets, K8S, dokcer, quantum flux\n"),
        "kg/pod.md",
        expect![[r##"
            unknown-related warning 16..25 «kubernets»: related:: “kubernets” names no concept; did you mean “kubernetes”?
              fix: Replace with “kubernetes”
                16..25 "kubernets" -> "kubernetes"
              fix: Create concept file “kubernets”
                create kg/kubernets.md "# kubernets\n\n"
            unknown-related warning 32..38 «dokcer»: related:: “dokcer” names no concept; did you mean “docker”?
              fix: Replace with “docker”
                32..38 "dokcer" -> "docker"
              fix: Create concept file “dokcer”
                create kg/dokcer.md "# dokcer\n\n"
            unknown-related warning 40..52 «quantum flux»: related:: “quantum flux” names no concept in the knowledge graph
              fix: Create concept file “quantum flux”
                create kg/quantum flux.md "# quantum flux\n\n"
        "##]],
    );
}

#[test]
fn a_check_that_is_off_finds_nothing() {
    let mut levels = Levels::default();
    levels.set(CheckId::UnknownRelated, Level::Off);
    levels.set(CheckId::FormatSlip, Level::Error);
    check_with(
        &format!("{GRAPH}kg/pod.md\n# pod\nrelated:: kubernets\nsynonyms: pods\n"),
        "kg/pod.md",
        &levels,
        expect![[r#"
            format-slip error 26..35 «synonyms:»: `synonyms:` has one colon, so the line is read as definition text; a list is `synonyms::`
              fix (safe): Write `synonyms::`
                35..35 "" -> ":"
        "#]],
    );
}

#[test]
fn a_term_claimed_by_two_concepts_is_found_in_both_files_with_the_other_place() {
    let files = "kg/tokio.md\n# tokio\nsynonyms:: async runtime, Runtime\n----\nkg/async-std.md\n\n# async-std\nsynonyms:: Async  Runtime, async-std\n----\nkg/runtime.md\nA runtime.\n";
    check(
        files,
        "kg/tokio.md",
        expect![[r#"
            term-claimed-twice warning 19..32 «async runtime»: “async runtime” is also a term of “async-std” (async-std.md); a term names one concept
              related kg/async-std.md:1: “async runtime” is a term of “async-std” here
            term-claimed-twice warning 34..41 «Runtime»: “Runtime” is also a term of “runtime” (runtime.md); a term names one concept
              related kg/runtime.md:0: “Runtime” is a term of “runtime” here
        "#]],
    );
    check(
        files,
        "kg/async-std.md",
        expect![[r#"
            term-claimed-twice warning 24..38 «Async  Runtime»: “Async  Runtime” is also a term of “tokio” (tokio.md); a term names one concept
              related kg/tokio.md:0: “Async  Runtime” is a term of “tokio” here
        "#]],
    );
    check(
        files,
        "kg/runtime.md",
        expect![[r#"
            term-claimed-twice warning 0..0 «»: the file's name “runtime” is also a term of “tokio” (tokio.md); a term names one concept
              related kg/tokio.md:0: “runtime” is a term of “tokio” here
        "#]],
    );
}

#[test]
fn synonyms_listed_twice_are_found_at_the_second_listing() {
    check(
        "kg/tokio.md\n# Tokio Runtime\nsynonyms:: tokio rt, TOKIO RT, tokio-rt\nsynonyms:: tokio runtime\n- synonyms:: Tokio, rt, tokio rt\n",
        "kg/tokio.md",
        expect![[r#"
            duplicate-synonym warning 37..45 «TOKIO RT»: synonym “TOKIO RT” is listed already; it adds nothing
              fix (safe): Remove the repeated “TOKIO RT”
                35..45 ", TOKIO RT" -> ""
            duplicate-synonym warning 105..113 «tokio rt»: synonym “tokio rt” is listed already; it adds nothing
              fix (safe): Remove the repeated “tokio rt”
                103..113 ", tokio rt" -> ""
        "#]],
    );
}

#[test]
fn a_heading_that_only_respells_the_file_name_adds_a_term() {
    let one = |path: &str, heading: &str, expect: Expect| {
        check(&format!("{path}\n# {heading}\n"), path, expect);
    };
    // A slug file name under a readable heading is Terraphim's convention: intended.
    one("kg/async-runtime.md", "Async Runtime", expect![""]);
    one(
        "kg/what_is_lsp.md",
        "What is LSP?",
        expect![[r#"
            heading-adds-term warning 2..14 «What is LSP?»: the heading “What is LSP?” differs from the file's name “what_is_lsp” only in spelling, so it adds “What is LSP?” as a second term
              fix: Make the heading “what_is_lsp”
                2..14 "What is LSP?" -> "what_is_lsp"
        "#]],
    );
    // Same term (folded alike), or different names on purpose: nothing.
    one("kg/tokio.md", "TOKIO", expect![""]);
    one("kg/lsp.md", "Language Server Protocol", expect![""]);
    one("kg/c.md", "C++", expect![""]);
    one("kg/nodejs.md", "Node.js", expect![""]);
}

#[test]
fn format_slips_one_colon_empty_lists_and_properties_in_code() {
    check(
        "kg/docker.md\n# docker\n----\nkg/tokio.md\n# tokio\nsynonyms: rt\n- Related: docker\nRelated: see the docs.\nsynonyms::\nrelated:: , \n\n```\nsynonyms:: not read\nlet p = std::fs::read(x);\n```\nNote: synonyms: in prose is prose.\n```markdown\nsynonyms:: an example of the format\n```\n",
        "kg/tokio.md",
        expect![[r#"
            format-slip warning 8..17 «synonyms:»: `synonyms:` has one colon, so the line is read as definition text; a list is `synonyms::`
              fix (safe): Write `synonyms::`
                17..17 "" -> ":"
            format-slip warning 23..31 «Related:»: `Related:` has one colon, so the line is read as definition text; a list is `Related::`
              fix (safe): Write `Related::`
                31..31 "" -> ":"
            format-slip warning 62..72 «synonyms::»: `synonyms::` lists no synonym
              fix: Remove the empty line
                62..73 "synonyms::\n" -> ""
            format-slip warning 73..82 «related::»: `related::` lists no related name
              fix: Remove the empty line
                73..86 "related:: , \n" -> ""
            format-slip warning 91..101 «synonyms::»: `synonyms::` is inside a code block, so it is read as part of the definition, not as a property; move it out of the block if it is meant as one
        "#]],
    );
}

#[test]
fn a_thesaurus_that_is_not_json_is_broken_where_it_breaks() {
    let good = r#"{"name": "t", "data": {"tokio": {"id": 1, "nterm": "tokio"}}}"#;
    check(&format!("kg/t.json\n{good}\n"), "kg/t.json", expect![""]);
    check(
        "kg/t.json\n{\"name\": \"t\",\n \"data\": {\"tokio\": {\"id\": 1,, \"nterm\": \"tokio\"}}}\n",
        "kg/t.json",
        expect![[r#"
            broken-file error 42..43 «,»: the thesaurus is not valid JSON: key must be a string at line 2 column 29; none of it is read
        "#]],
    );
    check(
        "kg/t.json\n{\"name\": \"ü\", \"data\": {\n",
        "kg/t.json",
        expect![[r#"
            broken-file error 25..25 «»: the thesaurus is not valid JSON: EOF while parsing an object at line 2 column 0; none of it is read
        "#]],
    );
}

#[test]
fn a_binary_kg_file_is_broken_and_not_read() {
    let g = graph(GRAPH);
    let terms = Terminology::build(&g);
    for path in ["kg/x.md", "kg/x.json"] {
        let found = check_kg_file(
            Path::new(path),
            Source::Bytes(b"# x\0\nrelated:: nowhere\n"),
            &g,
            &terms,
            &Levels::default(),
        );
        let got: Vec<_> = found.iter().map(|f| (f.check, f.range.clone(), f.message.as_str())).collect();
        assert_eq!(got, [(CheckId::BrokenFile, 0..0, "the file looks binary (it has a NUL byte); not read")], "{path}");
    }
}

#[test]
fn findings_of_all_checks_are_in_text_order() {
    check(
        &format!(
            "{GRAPH}kg/pod.md\n# Pod\nrelated:: dockr\n\nOnce a k8s pod.\nsynonyms: pods\n- synonyms:: docker, pod\n"
        ),
        "kg/pod.md",
        expect![[r##"
            unknown-related warning 16..21 «dockr»: related:: “dockr” names no concept; did you mean “docker”?
              fix: Replace with “docker”
                16..21 "dockr" -> "docker"
              fix: Create concept file “dockr”
                create kg/dockr.md "# dockr\n\n"
            format-slip warning 39..48 «synonyms:»: `synonyms:` has one colon, so the line is read as definition text; a list is `synonyms::`
              fix (safe): Write `synonyms::`
                48..48 "" -> ":"
            term-claimed-twice warning 67..73 «docker»: “docker” is also a term of “docker” (docker.md); a term names one concept
              related kg/docker.md:0: “docker” is a term of “docker” here
        "##]],
    );
}

#[test]
fn a_term_a_thesaurus_claims_too_points_at_the_thesaurus_concept() {
    check(
        "kg/kubernetes.md\n# kubernetes\nsynonyms:: k8s\n----\nkg/t.json\n{\"name\": \"t\", \"data\": {\n  \"orchestrator\": {\"id\": 7, \"nterm\": \"orchestrator\"},\n  \"K8S\": {\"id\": 7, \"nterm\": \"orchestrator\"}\n}}\n",
        "kg/kubernetes.md",
        expect![[r#"
            term-claimed-twice warning 24..27 «k8s»: “k8s” is also a term of “orchestrator” (t.json); a term names one concept
              related kg/t.json:1: “k8s” is a term of “orchestrator” here
        "#]],
    );
}
