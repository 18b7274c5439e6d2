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
    assert_eq!((bad[0].check, bad[0].range.clone()), (CheckId::BrokenFile, 4..5), "{bad:?}");
    let big = check_kg_file(
        Path::new("kg/c.md"),
        Source::TooLarge { len: 1 << 40, limit: crate::kg::MAX_FILE_BYTES },
        &g,
        &terms,
        &levels,
    );
    assert_eq!(big[0].check, CheckId::BrokenFile);
}

/// [`check_doc`] with the checks `on` set to hint (the others at their defaults).
fn check_doc_with(kg: &str, doc: &str, on: &[CheckId], expect: Expect) {
    let g = graph(kg);
    let terms = Terminology::build(&g);
    let mut levels = Levels::default();
    for &c in on {
        levels.set(c, Level::Hint);
    }
    expect.assert_eq(&render(doc, &check_document(doc, &terms, &levels)));
}

#[test]
fn synonyms_in_prose_are_non_canonical_when_the_check_is_on() {
    let kg = "kg/kubernetes.md\n# kubernetes\nsynonyms:: k8s, kube cluster\n";
    let doc = "K8s runs the kube\ncluster; kubernetes is the name, and `k8s` is code.\n";
    check_doc(kg, doc, expect![[""]]);
    check_doc_with(
        kg,
        doc,
        &[CheckId::NonCanonicalTerm],
        expect![[r#"
            non-canonical-term hint 0..3 «K8s»: “K8s” is a synonym of “kubernetes”; the canonical name is preferred
              fix (safe): Replace with “Kubernetes”
            non-canonical-term hint 13..25 «kube
            cluster»: “kube
            cluster” is a synonym of “kubernetes”; the canonical name is preferred
              fix (safe): Replace with “kubernetes”
        "#]],
    );
}

#[test]
fn the_longest_phrase_wins_and_an_avoided_term_is_only_avoided() {
    check_doc_with(
        "kg/worker pool.md\n# worker pool\navoid:: slave pool\n----\nkg/job runner.md\n# job runner\nsynonyms:: slave pool runner, slave pool, runner\n----\nkg/runner.md\n# runner\n",
        "A slave pool runner, a slave pool, a runner.\n",
        &[CheckId::NonCanonicalTerm],
        expect![[r#"
            non-canonical-term hint 2..19 «slave pool runner»: “slave pool runner” is a synonym of “job runner”; the canonical name is preferred
              fix (safe): Replace with “job runner”
            avoided-term warning 23..33 «slave pool»: “slave pool” is an avoided term: use “worker pool”
              fix (safe): Replace with “worker pool”
        "#]],
    );
}

#[test]
fn hyphenated_terms_match_with_a_hyphen_or_a_space() {
    check_doc(
        "kg/leader follower.md\n# leader follower\navoid:: master-slave, white list\n",
        "A master-slave setup, a Master slave one, a white-list, not a master--slave or master.slave.\n",
        expect![[r#"
            avoided-term warning 2..14 «master-slave»: “master-slave” is an avoided term: use “leader follower”
              fix (safe): Replace with “leader follower”
            avoided-term warning 24..36 «Master slave»: “Master slave” is an avoided term: use “leader follower”
              fix (safe): Replace with “Leader follower”
            avoided-term warning 44..54 «white-list»: “white-list” is an avoided term: use “leader follower”
              fix (safe): Replace with “leader follower”
        "#]],
    );
}

#[test]
fn near_misses_of_multi_word_terms_but_not_plurals_short_words_or_terms() {
    check_doc_with(
        "kg/async runtime.md\n# async runtime\nsynonyms:: asynch runtime engine\n----\nkg/in memory.md\n# in memory\n----\nkg/event loop.md\n# event loop\navoid:: evnt loop\n",
        "The asynch runtime, the Async runtmie, async runtimes, an asynch runtime engine, \
         is memory, an evnt loop, an evetn loop, a basic runtime, an async_runtme.\n",
        &[CheckId::NearMiss],
        expect![[r#"
            near-miss hint 4..18 «asynch runtime»: “asynch runtime” is not a term, but close to “async runtime”: a misspelling?
              fix: Replace with “async runtime”
            near-miss hint 24..37 «Async runtmie»: “Async runtmie” is not a term, but close to “async runtime”: a misspelling?
              fix: Replace with “Async runtime”
            avoided-term warning 95..104 «evnt loop»: “evnt loop” is an avoided term: use “event loop”
              fix (safe): Replace with “event loop”
            near-miss hint 109..119 «evetn loop»: “evetn loop” is not a term, but close to “event loop”: a misspelling?
              fix: Replace with “event loop”
        "#]],
    );
}

#[test]
fn a_synonym_that_is_another_concepts_name_is_canonical_and_hyphens_match_spaces() {
    check_doc_with(
        "kg/kubernetes.md\n# kubernetes\nsynonyms:: kube cluster, orchestrator\n----\nkg/orchestrator.md\n# orchestrator\n",
        "A kube-cluster, a KUBE CLUSTER and an orchestrator.\n",
        &[CheckId::NonCanonicalTerm],
        expect![[r#"
            non-canonical-term hint 2..14 «kube-cluster»: “kube-cluster” is a synonym of “kubernetes”; the canonical name is preferred
              fix (safe): Replace with “kubernetes”
            non-canonical-term hint 18..30 «KUBE CLUSTER»: “KUBE CLUSTER” is a synonym of “kubernetes”; the canonical name is preferred
              fix (safe): Replace with “KUBERNETES”
        "#]],
    );
}
