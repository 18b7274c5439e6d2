//! Tests of the full-text index: queries, filters, updates and the folder on disk, on small
//! fixtures of documents.

use std::path::Path;

use expect_test::{Expect, expect};

use super::snippet::snippets;
use super::*;

/// A small glossary: which words name a concept.
fn names(words: &str) -> Option<Named> {
    let concepts: &[&[&str]] = &[&["Kubernetes", "k8s", "kube"], &["Tokio", "tokio runtime"], &["pre-commit hook"]];
    let folded = crate::text::fold(words);
    concepts
        .iter()
        .find(|terms| terms.iter().any(|t| crate::text::fold(t) == folded))
        .map(|terms| Named { concept: terms[0].to_string(), terms: terms.iter().map(|t| t.to_string()).collect() })
}

/// Documents of the fixture: `== path` lines, each followed by the document's text. Paths
/// under `/kg/` are concept files.
fn docs(fixture: &str) -> Vec<TextDoc> {
    fixture
        .split("== ")
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            let (path, body) = d.split_once('\n').unwrap_or((d, ""));
            let kind = if path.starts_with("/kg/") { DocKind::Concept } else { DocKind::Document };
            let title = body.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or(path).to_string();
            TextDoc { path: path.trim().into(), kind, title, body: body.to_string(), stamp: body.len() as u64 }
        })
        .collect()
}

fn index_of(fixture: &str) -> (TextIndex, Vec<TextDoc>) {
    let index = TextIndex::in_memory();
    let docs = docs(fixture);
    let mut w = index.writer().unwrap();
    for d in &docs {
        w.upsert(d).unwrap();
    }
    w.commit().unwrap();
    w.finish().unwrap();
    (index, docs)
}

/// Runs `query` and shows each hit with its snippets, matches in `[brackets]`.
fn show(index: &TextIndex, docs: &[TextDoc], query: &TextQuery) -> String {
    let found = index.search(query, &names).unwrap();
    let mut out = format!("{} found\n", found.total);
    for e in &found.expanded {
        out += &format!("expanded {:?} to {} {:?}\n", e.term, e.concept, e.terms);
    }
    for hit in &found.hits {
        out += &format!("{} ({:?} {:?})\n", hit.path.display(), hit.kind, hit.title);
        let text = &docs.iter().find(|d| d.path == hit.path).unwrap().body;
        let matches = found.matcher.matches(text);
        assert_eq!(found.matcher.first(text), matches.first().cloned(), "the first match is the first of all");
        for s in snippets(text, &matches, 3) {
            let mut line = s.text.clone();
            for h in s.highlights.iter().rev() {
                line.insert(h.end, ']');
                line.insert(h.start, '[');
            }
            out += &format!("  @{} {line}\n", s.start);
        }
    }
    out
}

fn check(fixture: &str, query: &str, expect: Expect) {
    let (index, docs) = index_of(fixture);
    let q = TextQuery { text: query.to_string(), limit: 10, ..Default::default() };
    expect.assert_eq(&show(&index, &docs, &q));
}

const WORKSPACE: &str = "
== /ws/deploy.md
# Deploying

We deploy every service to k8s with a rolling update.
The cluster runs kube-proxy.
== /ws/notes.md
# Notes

Kubernetes is what we run. Rolling back is rare.
Deployment notes live elsewhere.
== /ws/async.md
# Async

The tokio runtime drives our servers; see the runtime guide.
== /kg/kubernetes.md
# Kubernetes

Container orchestration for the cluster.

synonyms:: k8s, kube
";

#[test]
fn words_must_all_match_and_rank_with_bm25() {
    check(
        WORKSPACE,
        "rolling update ",
        expect![[r#"
            1 found
            /ws/deploy.md (Document "Deploying")
              @13 We deploy every service to k8s with a [rolling] [update].
        "#]],
    );
}

#[test]
fn a_quoted_phrase_matches_its_words_in_order() {
    check(
        WORKSPACE,
        r#""rolling back""#,
        expect![[r#"
            1 found
            /ws/notes.md (Document "Notes")
              @9 Kubernetes is what we run. [Rolling back] is rare.
        "#]],
    );
    check(WORKSPACE, r#""back rolling""#, expect!["0 found\n"]);
}

#[test]
fn the_last_word_is_a_prefix_while_it_is_typed() {
    check(
        WORKSPACE,
        "deploy",
        expect![[r#"
            2 found
            /ws/deploy.md (Document "Deploying")
              @0 # [Deploying]
              @13 We [deploy] every service to k8s with a rolling update.
            /ws/notes.md (Document "Notes")
              @58 [Deployment] notes live elsewhere.
        "#]],
    );
    check(
        WORKSPACE,
        "deploy ",
        expect![[r#"
            1 found
            /ws/deploy.md (Document "Deploying")
              @13 We [deploy] every service to k8s with a rolling update.
        "#]],
    );
}

/// The graph expands a concept's name to every term of it: "kubernetes" finds the document
/// that only says "k8s" and "kube", and the concept file is a hit as the concept.
#[test]
fn a_concept_named_by_any_term_finds_documents_that_use_another() {
    check(
        WORKSPACE,
        "k8s ",
        expect![[r#"
            3 found
            expanded "k8s" to Kubernetes ["Kubernetes", "k8s", "kube"]
            /kg/kubernetes.md (Concept "Kubernetes")
              @0 # [Kubernetes]
              @56 synonyms:: [k8s], [kube]
            /ws/deploy.md (Document "Deploying")
              @13 We deploy every service to [k8s] with a rolling update.
              @67 The cluster runs [kube]-proxy.
            /ws/notes.md (Document "Notes")
              @9 [Kubernetes] is what we run. Rolling back is rare.
        "#]],
    );
    check(
        WORKSPACE,
        "tokio runtime guide",
        expect![[r#"
            1 found
            expanded "tokio runtime" to Tokio ["Tokio", "tokio runtime"]
            /ws/async.md (Document "Async")
              @9 The [tokio runtime] drives our servers; see the runtime [guide].
        "#]],
    );
}

#[test]
fn filters_keep_documents_of_a_concept_or_under_a_glob() {
    let (index, docs) = index_of(WORKSPACE);
    let q = |text: &str, concept: Option<&str>, glob: Option<&str>| TextQuery {
        text: text.into(),
        limit: 10,
        offset: 0,
        concept: concept.and_then(names),
        paths: glob.map(|g| (vec![PathBuf::from("/ws")], g.to_string())),
    };
    let out = [
        show(&index, &docs, &q("rolling ", Some("k8s"), None)),
        show(&index, &docs, &q("runtime ", None, Some("*.md"))),
        show(&index, &docs, &q("runtime ", None, Some("docs/**"))),
        show(&index, &docs, &q("cluster ", None, Some("**/*.md"))),
    ];
    expect![[r#"
        [
            "2 found\n/ws/deploy.md (Document \"Deploying\")\n  @13 We deploy every service to k8s with a [rolling] update.\n/ws/notes.md (Document \"Notes\")\n  @9 Kubernetes is what we run. [Rolling] back is rare.\n",
            "1 found\n/ws/async.md (Document \"Async\")\n  @9 The tokio [runtime] drives our servers; see the [runtime] guide.\n",
            "0 found\n",
            "1 found\n/ws/deploy.md (Document \"Deploying\")\n  @67 The [cluster] runs kube-proxy.\n",
        ]
    "#]]
    .assert_debug_eq(&out);
}

#[test]
fn a_replaced_document_is_found_by_its_new_text_only_and_a_deleted_one_not_at_all() {
    let (index, _) = index_of(WORKSPACE);
    let mut w = index.writer().unwrap();
    w.upsert(&TextDoc {
        path: "/ws/deploy.md".into(),
        kind: DocKind::Document,
        title: "Deploying".into(),
        body: "Now we use blue-green releases.".into(),
        stamp: 7,
    })
    .unwrap();
    w.delete(Path::new("/ws/notes.md"));
    w.commit().unwrap();
    w.finish().unwrap();
    let paths = |text: &str| -> Vec<String> {
        let q = TextQuery { text: text.into(), limit: 10, ..Default::default() };
        index.search(&q, &|_| None).unwrap().hits.iter().map(|h| h.path.display().to_string()).collect()
    };
    assert_eq!(paths("rolling "), Vec::<String>::new());
    assert_eq!(paths("blue green "), ["/ws/deploy.md"]);
    let stamps = index.stamps().unwrap();
    assert_eq!((stamps.len(), stamps[Path::new("/ws/deploy.md")]), (3, 7));
}

#[test]
fn empty_and_punctuation_only_queries_find_nothing() {
    for q in ["", "   ", "\"\"", "-- ::"] {
        check(WORKSPACE, q, expect!["0 found\n"]);
    }
}

#[test]
fn offset_and_limit_page_through_the_ranking() {
    let (index, _) = index_of(WORKSPACE);
    let page = |offset: usize, limit: usize| -> (usize, Vec<String>) {
        let q = TextQuery { text: "kubernetes ".into(), limit, offset, ..Default::default() };
        let r = index.search(&q, &names).unwrap();
        (r.total, r.hits.iter().map(|h| h.path.display().to_string()).collect())
    };
    let all = page(0, 10).1;
    assert_eq!(all.len(), 3);
    assert_eq!(page(1, 1), (3, vec![all[1].clone()]));
    assert_eq!(page(3, 5), (3, vec![]));
}

#[test]
fn a_long_line_is_cut_around_its_first_match_at_a_character_boundary() {
    let text = format!("{}needle{}", "é".repeat(300), " tail".repeat(100));
    let needle = 600..606;
    let s = &snippets(&text, std::slice::from_ref(&needle), 3)[0];
    assert!(s.text.len() <= snippet::MAX_SNIPPET_BYTES);
    assert_eq!(&s.text[s.highlights[0].clone()], "needle");
    assert_eq!(&text[s.start..s.start + s.text.len()], s.text);
}

#[test]
fn an_index_on_disk_is_reopened_and_a_damaged_one_is_rebuilt_empty() {
    let dir = tempfile::tempdir().unwrap();
    let at = store::index_dir(dir.path(), 1);
    let opened = store::open_or_create(&at).unwrap();
    assert!(opened.rebuilt.is_none());
    let mut w = opened.index.writer().unwrap();
    for d in docs(WORKSPACE) {
        w.upsert(&d).unwrap();
    }
    w.commit().unwrap();
    w.finish().unwrap();
    drop(opened);
    let again = store::open_or_create(&at).unwrap();
    assert_eq!((again.index.doc_count(), again.rebuilt.is_none()), (4, true));
    drop(again);
    // Every segment file cut short.
    for e in std::fs::read_dir(&at).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".store") || name.ends_with(".idx") || name.ends_with(".term") {
            std::fs::write(e.path(), b"x").unwrap();
        }
    }
    let rebuilt = store::open_or_create(&at).unwrap();
    assert_eq!(rebuilt.index.doc_count(), 0);
    assert!(rebuilt.rebuilt.is_some(), "the damage is reported");
    std::fs::write(at.join("meta.json"), b"{ not json").unwrap();
    drop(rebuilt);
    assert!(store::open_or_create(&at).unwrap().rebuilt.is_some());
}

#[test]
fn a_cut_line_starts_and_ends_between_words() {
    let text = format!("{} needle {}", "word ".repeat(40), "tail ".repeat(60));
    let at = text.find("needle").unwrap();
    let needle = at..at + 6;
    let s = &snippets(&text, std::slice::from_ref(&needle), 3)[0];
    assert!(s.text.starts_with("word ") && s.text.ends_with("tail"), "{:?}", s.text);
    assert_eq!(&s.text[s.highlights[0].clone()], "needle");
}
