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
