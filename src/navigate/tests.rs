//! Tests of mentions and references: a fixture of concept files and documents in, every
//! reference as `path:line:col-line:col text` out.

use std::path::Path;
use std::sync::Arc;

use expect_test::{Expect, expect};

use super::*;
use crate::analysis::fixture::analysis;
use crate::search::Cancel;
use crate::vfs::MemFs;

/// The fixture's sections (`//- path`): `kg/` files are concepts, the rest documents.
pub(super) fn sections(fixture: &str) -> Vec<(String, String)> {
    fixture
        .split("//- ")
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (p, t) = s.split_once('\n').unwrap_or((s, ""));
            (p.trim().to_string(), t.to_string())
        })
        .collect()
}

/// The mentions of every document, as `text@line:col`.
fn check_mentions(text: &str, kind: Kind, code: bool, terms: &str, expect: Expect) {
    let a = analysis(terms);
    let found: Vec<String> = mentions(text, kind, &a.terms, code)
        .into_iter()
        .map(|m| {
            let names: Vec<&str> = a.terms.map.group(m.key).iter().map(|r| a.graph.concept(r.concept).name()).collect();
            format!("{:?} → {}", &text[m.range], names.join(" | "))
        })
        .collect();
    expect.assert_eq(&found.join("\n"));
}

/// References of the concept named `name`; `open` paths are scanned as open documents.
fn check_refs(fixture: &str, name: &str, open: &[&str], declaration: bool, expect: Expect) {
    let a = analysis(fixture);
    let files = sections(fixture);
    let fs = MemFs::with(files.iter().map(|(p, t)| (p.clone(), t.clone())));
    let docs: Vec<Arc<Path>> = files
        .iter()
        .filter(|(p, _)| !p.starts_with("kg/") && !open.contains(&p.as_str()))
        .map(|(p, _)| Arc::from(Path::new(p)))
        .collect();
    let sources: Vec<Arc<Path>> = files
        .iter()
        .filter(|(p, _)| p.starts_with("kg/") && p.ends_with(".md") && !open.contains(&p.as_str()))
        .map(|(p, _)| Arc::from(Path::new(p)))
        .collect();
    let index = MentionIndex::build(&docs, &sources, &fs, a.terms.clone(), &Cancel::new()).unwrap();
    let open: Vec<(Arc<Path>, &str)> = files
        .iter()
        .filter(|(p, _)| open.contains(&p.as_str()))
        .map(|(p, t)| (Arc::from(Path::new(p)), t.as_str()))
        .collect();
    let id = a.terms.map.get(&crate::text::fold(name)).first().expect("the concept").concept;
    let set = ReferenceSet {
        graph: &a.graph,
        index: &index,
        open: &open,
        is_source: &|p: &Path| p.starts_with("kg"),
        files: &fs,
    };
    let found = set.references(id, declaration, &Cancel::new()).unwrap();
    let mut out = Vec::new();
    for (path, spans) in found {
        let text = &files.iter().find(|(p, _)| Path::new(p) == &*path).unwrap().1;
        let index = crate::text::LineIndex::new(text);
        for s in spans {
            let (a, b) = (s.start.line_col(crate::text::Encoding::Utf8), s.end.line_col(crate::text::Encoding::Utf8));
            let from = index.offset(text, a, crate::text::Encoding::Utf8);
            let to = index.offset(text, b, crate::text::Encoding::Utf8);
            out.push(format!("{}:{}:{}-{}:{} {:?}", path.display(), a.line, a.col, b.line, b.col, &text[from..to]));
        }
    }
    expect.assert_eq(&out.join("\n"));
}

const GRAPH: &str = r#"
//- kg/tokio runtime.md
# Tokio Runtime
synonyms:: tokio rt, async runtime
related:: scheduler
//- kg/scheduler.md
# scheduler
synonyms:: task scheduler
related:: tokio rt, [[unknown]]
See [[tokio runtime]] and the tokio runtime.
//- kg/tokio.md
# tokio
"#;

#[test]
fn mentions_are_longest_terms_in_prose_across_line_breaks() {
    check_mentions(
        "The Tokio\n  runtime and tokio; an ASYNC RUNTIME.\n\n`tokio rt` in code\n\n```\ntokio\n```\nTokio\n\nruntime\n",
        Kind::Document,
        false,
        GRAPH,
        expect![[r#"
            "Tokio\n  runtime" → tokio runtime
            "tokio" → tokio
            "ASYNC RUNTIME" → tokio runtime
            "Tokio" → tokio"#]],
    );
}

#[test]
fn code_counts_when_asked_and_property_lines_never_in_concept_files() {
    check_mentions("`tokio rt` here", Kind::Document, true, GRAPH, expect![[r#""tokio rt" → tokio runtime"#]]);
    check_mentions(
        "# scheduler\nsynonyms:: task scheduler\nrelated:: tokio rt\nThe tokio rt.\n",
        Kind::ConceptFile,
        false,
        GRAPH,
        expect![[r#"
            "scheduler" → scheduler
            "tokio rt" → tokio runtime"#]],
    );
}

#[test]
fn references_cover_every_term_in_documents_related_entries_and_wiki_links() {
    let fixture = format!(
        "{GRAPH}//- docs/a.md\nThe tokio rt and an Async\nRuntime; tokio alone.\n```\ntokio rt\n```\n//- docs/b.md\nNothing.\n//- docs/c.md\n# Tokio runtime\n"
    );
    check_refs(
        &fixture,
        "async runtime",
        &[],
        true,
        expect![[r#"
            docs/a.md:0:4-0:12 "tokio rt"
            docs/a.md:0:20-1:7 "Async\nRuntime"
            docs/c.md:0:2-0:15 "Tokio runtime"
            kg/scheduler.md:2:10-2:18 "tokio rt"
            kg/scheduler.md:3:6-3:19 "tokio runtime"
            kg/tokio runtime.md:0:2-0:15 "Tokio Runtime""#]],
    );
}

#[test]
fn open_documents_are_read_as_they_are_now() {
    let fixture = format!("{GRAPH}//- docs/a.md\nThe tokio rt.\n");
    check_refs(&fixture, "tokio", &["docs/a.md"], false, expect![[r#""#]]);
    check_refs(
        &fixture,
        "tokio runtime",
        &["docs/a.md"],
        false,
        expect![[r#"
        docs/a.md:0:4-0:12 "tokio rt"
        kg/scheduler.md:2:10-2:18 "tokio rt"
        kg/scheduler.md:3:6-3:19 "tokio runtime""#]],
    );
}

#[test]
fn an_update_replaces_a_documents_mentions_and_its_keys() {
    let a = analysis(GRAPH);
    let fs = MemFs::with([("docs/a.md", "tokio rt\n"), ("docs/b.md", "tokio\n")]);
    let paths: Vec<Arc<Path>> = ["docs/a.md", "docs/b.md"].iter().map(|p| Arc::from(Path::new(p))).collect();
    let index = MentionIndex::build(&paths, &[], &fs, a.terms.clone(), &Cancel::new()).unwrap();
    let keys = |name: &str| {
        let id = a.terms.map.get(&crate::text::fold(name)).first().unwrap().concept;
        concept_keys(&a.graph, id, &a.terms)
    };
    let docs = |index: &MentionIndex, name: &str| -> Vec<String> {
        let found = index.find(&keys(name), &|_| false, &Cancel::new()).unwrap();
        found.iter().map(|(p, s)| format!("{} {}", p.display(), s.len())).collect()
    };
    assert_eq!(docs(&index, "tokio runtime"), ["docs/a.md 1"]);
    assert_eq!((index.count(&keys("tokio runtime")), index.count(&keys("tokio"))), (1, 1));
    fs.write("docs/a.md", "tokio and tokio\n");
    fs.write("docs/c.md", "async runtime\n");
    let updates = ["docs/a.md", "docs/c.md", "docs/b.md"].map(|p| {
        let path: Arc<Path> = Arc::from(Path::new(p));
        let m = if p == "docs/b.md" { None } else { DocMentions::read(&fs, &path, &a.terms) };
        (path, m)
    });
    let index = index.with(updates);
    assert_eq!(docs(&index, "tokio runtime"), ["docs/c.md 1"]);
    assert_eq!(docs(&index, "tokio"), ["docs/a.md 2"]);
    assert_eq!(index.doc_count(), 2);
    // The counts follow: b.md's tokio is gone, a.md has two, c.md's async runtime is new.
    assert_eq!((index.count(&keys("tokio runtime")), index.count(&keys("tokio"))), (1, 2));
}

#[test]
fn a_concept_in_thousands_of_documents_is_found_in_all_of_them_in_path_order() {
    // Past the count from which a lookup reads the documents on every core; the open ones
    // (every seventh) are skipped.
    let a = analysis(GRAPH);
    let fs = MemFs::default();
    let names: Vec<String> = (0..3_000).map(|i| format!("docs/{i:05}.md")).collect();
    for (i, n) in names.iter().enumerate() {
        fs.write(n.as_str(), if i % 3 == 0 { "no term here\n" } else { "tokio, then\ntokio rt\n" });
    }
    let paths: Vec<Arc<Path>> = names.iter().map(|p| Arc::from(Path::new(p))).collect();
    let index = MentionIndex::build(&paths, &[], &fs, a.terms.clone(), &Cancel::new()).unwrap();
    let id = a.terms.map.get("tokio runtime").first().unwrap().concept;
    let skip = |p: &Path| p.to_str().is_some_and(|p| p[5..10].parse::<usize>().is_ok_and(|i| i % 7 == 0));
    let found = index.find(&concept_keys(&a.graph, id, &a.terms), &skip, &Cancel::new()).unwrap();
    let want: Vec<&String> =
        names.iter().enumerate().filter(|(i, _)| i % 3 != 0 && i % 7 != 0).map(|(_, n)| n).collect();
    let got: Vec<String> = found.iter().map(|(p, _)| p.display().to_string()).collect();
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(g, w)| g == *w), "out of order");
    assert!(found.iter().all(|(_, s)| s.len() == 1 && s[0].start.line == 1), "{:?}", found[0]);
    // A cancelled lookup says so.
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(index.find(&concept_keys(&a.graph, id, &a.terms), &skip, &cancel).is_err());
}

#[test]
fn a_wiki_link_in_another_concept_files_prose_is_a_reference_without_a_related_entry() {
    // kg/notes.md names tokio runtime only in a link of its prose (and once in code, which is
    // none); it is found from the index, and as it is now when it is open.
    let fixture = format!("{GRAPH}//- kg/notes.md\n# notes\nSee [[Tokio RT|the runtime]].\n\n`[[tokio rt]]`\n");
    for open in [&[][..], &["kg/notes.md"]] {
        check_refs(
            &fixture,
            "tokio runtime",
            open,
            false,
            expect![[r#"
                kg/notes.md:1:6-1:14 "Tokio RT"
                kg/scheduler.md:2:10-2:18 "tokio rt"
                kg/scheduler.md:3:6-3:19 "tokio runtime""#]],
        );
    }
}
