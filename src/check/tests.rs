//! Data-driven tests of the checks: a fixture graph and document in, findings printed.

use std::path::Path;

use expect_test::{Expect, expect};

use super::*;
use crate::kg::{Graph, parse_concept_file};

/// `graph` is concept files as `path\ntext` blocks separated by `----\n`.
fn graph(files: &str) -> Graph {
    let parsed: Vec<_> = files
        .split("----\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let (path, text) = b.split_once('\n').unwrap();
            parse_concept_file(Path::new(path.trim()), text)
        })
        .collect();
    Graph::from_files(&parsed)
}

/// Prints each finding as `check level [range] «text»: message`, then its fixes.
fn render(text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out +=
            &format!("{} {} {:?} «{}»: {}\n", f.check.id(), f.level.name(), f.range, &text[f.range.clone()], f.message);
        for fix in &f.fixes {
            out += &format!("  fix{}: {}\n", if fix.safe { " (safe)" } else { "" }, fix.title);
        }
    }
    out
}

fn check_doc(kg: &str, doc: &str, expect: Expect) {
    let g = graph(kg);
    let terms = Terminology::build(&g);
    expect.assert_eq(&render(doc, &check_document(doc, &terms, &Levels::default())));
}

#[test]
fn avoided_terms_are_found_in_prose_only() {
    check_doc(
        "kg/worker pool.md\n# worker pool\navoid:: slave pool, master-slave\n",
        "The Slave pool runs jobs.\n\n`slave pool` in code, and [a link](slave-pool.md).\n\n```\nslave pool\n```\n",
        expect![[r#"
            avoided-term warning 4..14 «Slave pool»: “Slave pool” is an avoided term: use “worker pool”
              fix (safe): Replace with “Worker pool”
        "#]],
    );
}

fn check_kg(kg: &str, path: &str, expect: Expect) {
    let g = graph(kg);
    let terms = Terminology::build(&g);
    let text = kg.split("----\n").find_map(|b| b.strip_prefix(path).and_then(|t| t.strip_prefix('\n'))).unwrap();
    let findings = check_kg_file(Path::new(path), Source::Bytes(text.as_bytes()), &g, &terms, &Levels::default());
    expect.assert_eq(&render(text, &findings));
}

#[test]
fn a_concept_files_own_avoid_line_is_not_a_use_but_its_definition_is_checked() {
    check_kg(
        "kg/worker pool.md\n# worker pool\navoid:: slave pool\n- synonyms:: pool of workers\n\nOnce called a slave pool.\n",
        "kg/worker pool.md",
        expect![[r#"
            avoided-term warning 77..87 «slave pool»: “slave pool” is an avoided term: use “worker pool”
              fix (safe): Replace with “worker pool”
        "#]],
    );
}

#[test]
fn broken_files_are_findings_with_their_place() {
    let g = graph("kg/a.md\n# a\n");
    let terms = Terminology::build(&g);
    let levels = Levels::default();
    let bad = check_kg_file(Path::new("kg/b.md"), Source::Bytes(b"# b\n\xff\n"), &g, &terms, &levels);
    assert_eq!((bad[0].check, bad[0].range.clone()), (CheckId::BrokenFile, 4..4), "{bad:?}");
    let big = check_kg_file(
        Path::new("kg/c.md"),
        Source::TooLarge { len: 1 << 40, limit: crate::kg::MAX_FILE_BYTES },
        &g,
        &terms,
        &levels,
    );
    assert_eq!(big[0].check, CheckId::BrokenFile);
}
