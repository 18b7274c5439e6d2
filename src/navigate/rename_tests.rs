//! Tests of rename: a fixture of concept files and documents with a `$0` cursor and a new name
//! in; the files as the plan leaves them (prose edits marked «like this») or the refusal out.

use std::path::Path;
use std::sync::Arc;

use expect_test::{Expect, expect};

use super::rename::{plan, renamable};
use super::tests::sections;
use super::*;
use crate::analysis::fixture::{analysis, cursor};
use crate::search::Cancel;
use crate::vfs::MemFs;

/// Renames the term at the `$0` of the fixture to `new`.
fn check(fixture: &str, new: &str, expect: Expect) {
    let (fixture, at) = cursor(fixture);
    let files = sections(&fixture);
    let a = analysis(&fixture);
    // The file with the cursor, and the cursor's offset in it.
    let (path, offset) = {
        let mut found = None;
        let mut pos = 0;
        for (p, t) in &files {
            let header = fixture[pos..].find(&format!("//- {p}\n")).map(|i| pos + i).unwrap();
            let body = header + 4 + p.len() + 1;
            if at >= body && at <= body + t.len() {
                found = Some((p.clone(), at - body));
            }
            pos = body;
        }
        found.expect("the cursor is in a section")
    };
    let fs = MemFs::with(files.iter().map(|(p, t)| (p.clone(), t.clone())));
    let docs: Vec<Arc<Path>> =
        files.iter().filter(|(p, _)| !p.starts_with("kg/")).map(|(p, _)| Arc::from(Path::new(p))).collect();
    let sources: Vec<Arc<Path>> = files
        .iter()
        .filter(|(p, _)| p.starts_with("kg/") && p.ends_with(".md"))
        .map(|(p, _)| Arc::from(Path::new(p)))
        .collect();
    let index = MentionIndex::build(&docs, &sources, &fs, a.terms.clone(), &Cancel::new()).unwrap();
    let text = &files.iter().find(|(p, _)| *p == path).unwrap().1;
    let is_source = |p: &Path| p.starts_with("kg");
    let out = match renamable(&a.graph, &a.terms, Path::new(&path), text, is_source(Path::new(&path)), offset) {
        Err(e) => format!("prepare refused: {e}"),
        Ok(r) => {
            let head = format!("prepare: {:?} placeholder {:?}\n", &text[r.range.clone()], r.placeholder);
            let set = ReferenceSet { graph: &a.graph, index: &index, open: &[], is_source: &is_source, files: &fs };
            match plan(&set, a.terminology(), &r.target, new, &Cancel::new()) {
                Err(e) => format!("{head}refused: {e}"),
                Ok(p) => {
                    let mut out = head;
                    for f in &p.files {
                        let mut text = files.iter().find(|(p, _)| Path::new(p) == &*f.path).unwrap().1.clone();
                        for e in f.edits.iter().rev() {
                            let t = if e.prose { format!("«{}»", e.text) } else { e.text.clone() };
                            text.replace_range(e.range.clone(), &t);
                        }
                        out += &format!("--- {}\n{text}", f.path.display());
                    }
                    if let Some(r) = &p.rename {
                        out += &format!("--- renamed {} -> {}\n", r.from.display(), r.to.display());
                    }
                    out
                }
            }
        }
    };
    expect.assert_eq(&out);
}

const GRAPH: &str = r#"
//- kg/tokio runtime.md
# Tokio Runtime
synonyms:: tokio rt, async runtime
related:: scheduler
The runtime.
//- kg/scheduler.md
# scheduler
synonyms:: task scheduler
related:: tokio runtime, tokio rt
See [[tokio runtime|the runtime]] and [[tokio rt]] and the tokio runtime.
//- kg/k8s.md
# Kubernetes
synonyms:: kube
//- kg/tokio.md
# tokio
"#;

const DOCS: &str = r#"
//- docs/a.md
The Tokio Runtime and the tokio
runtime; a TOKIO RUNTIME, the tokio rt.
`tokio runtime` in code.
"#;

#[test]
fn renaming_a_concept_renames_its_file_heading_entries_links_and_mentions() {
    check(
        &format!("{GRAPH}{DOCS}").replace("# Tokio Runtime", "# Tokio $0Runtime"),
        "async engine",
        expect![[r#"
            prepare: "Tokio Runtime" placeholder "Tokio Runtime"
            --- docs/a.md
            The «Async Engine» and the «async
            engine»; a «ASYNC ENGINE», the tokio rt.
            `tokio runtime` in code.
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: async engine, tokio rt
            See [[async engine|the runtime]] and [[tokio rt]] and the tokio runtime.
            --- kg/tokio runtime.md
            # async engine
            synonyms:: tokio rt, async runtime
            related:: scheduler
            The runtime.
            --- renamed kg/tokio runtime.md -> kg/async engine.md
        "#]],
    );
}

#[test]
fn a_mention_or_a_related_entry_renames_the_concept_it_names() {
    check(
        &format!("{GRAPH}{DOCS}").replace("The Tokio Runtime", "The Tokio Run$0time"),
        "Async Engine",
        expect![[r#"
            prepare: "Tokio Runtime" placeholder "Tokio Runtime"
            --- docs/a.md
            The «Async Engine» and the «Async
            Engine»; a «Async Engine», the tokio rt.
            `tokio runtime` in code.
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: Async Engine, tokio rt
            See [[Async Engine|the runtime]] and [[tokio rt]] and the tokio runtime.
            --- kg/tokio runtime.md
            # Async Engine
            synonyms:: tokio rt, async runtime
            related:: scheduler
            The runtime.
            --- renamed kg/tokio runtime.md -> kg/Async Engine.md
        "#]],
    );
    check(
        &GRAPH.replace("related:: tokio runtime, tokio rt", "related:: tokio runtime, tokio$0 rt"),
        "engine",
        expect![[r#"
            prepare: "tokio rt" placeholder "tokio runtime"
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: engine, tokio rt
            See [[engine|the runtime]] and [[tokio rt]] and the tokio runtime.
            --- kg/tokio runtime.md
            # engine
            synonyms:: tokio rt, async runtime
            related:: scheduler
            The runtime.
            --- renamed kg/tokio runtime.md -> kg/engine.md
        "#]],
    );
}

#[test]
fn renaming_a_synonym_edits_its_entry_the_entries_and_links_using_it_and_its_mentions() {
    check(
        &format!("{GRAPH}{DOCS}").replace("synonyms:: tokio rt", "synonyms:: tokio$0 rt"),
        "tokio-rt",
        expect![[r#"
            prepare: "tokio rt" placeholder "tokio rt"
            --- docs/a.md
            The Tokio Runtime and the tokio
            runtime; a TOKIO RUNTIME, the «tokio-rt».
            `tokio runtime` in code.
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: tokio runtime, tokio-rt
            See [[tokio runtime|the runtime]] and [[tokio-rt]] and the tokio runtime.
            --- kg/tokio runtime.md
            # Tokio Runtime
            synonyms:: tokio-rt, async runtime
            related:: scheduler
            The runtime.
        "#]],
    );
}

#[test]
fn a_heading_that_is_not_the_name_is_a_term_and_the_file_keeps_its_name() {
    check(
        &format!("{GRAPH}//- docs/b.md\nRun Kubernetes.\n").replace("# Kubernetes", "# Kube$0rnetes"),
        "K8s cluster",
        expect![[r#"
        prepare: "Kubernetes" placeholder "Kubernetes"
        --- docs/b.md
        Run «K8s cluster».
        --- kg/k8s.md
        # K8s cluster
        synonyms:: kube
    "#]],
    );
    check(
        &GRAPH.replace("# tokio", "# to$0kio"),
        "Tokio",
        expect![[r#"
        prepare: "tokio" placeholder "tokio"
        --- kg/tokio.md
        # Tokio
        --- renamed kg/tokio.md -> kg/Tokio.md
    "#]],
    );
}

#[test]
fn refusals_say_why() {
    let on_name = format!("{GRAPH}{DOCS}").replace("# Tokio Runtime", "# Tokio $0Runtime");
    check(
        &on_name,
        "  ",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: the new name is empty"#]],
    );
    check(
        &on_name,
        "kube",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: “kube” is already a term of concept “k8s”"#]],
    );
    check(
        &on_name,
        "async runtime",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: “async runtime” is already a term of concept “tokio runtime”"#]],
    );
    check(
        &format!("{on_name}//- kg/old engine.md\n# old engine\navoid:: legacy runtime\n"),
        "Legacy  Runtime",
        expect![[r#"
            prepare: "Tokio Runtime" placeholder "Tokio Runtime"
            refused: “Legacy Runtime” is a term to avoid: the glossary says “old engine” instead"#]],
    );
    check(
        &on_name,
        "a/b",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: “a/b” cannot be a file name: it has “/”"#]],
    );
    check(
        &on_name,
        "a, b",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: “a, b” has a comma, which would split a synonyms:: or related:: entry"#]],
    );
    check(
        &on_name,
        "Tokio Runtime",
        expect![[r#"
            prepare: "Tokio Runtime" placeholder "Tokio Runtime"
            --- docs/a.md
            The Tokio Runtime and the «Tokio
            Runtime»; a «Tokio Runtime», the tokio rt.
            `tokio runtime` in code.
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: Tokio Runtime, tokio rt
            See [[Tokio Runtime|the runtime]] and [[tokio rt]] and the tokio runtime.
            --- renamed kg/tokio runtime.md -> kg/Tokio Runtime.md
        "#]],
    );
    check(
        &format!("{on_name}//- kg/engine.md\n"),
        "Engine",
        expect![[r#"
        prepare: "Tokio Runtime" placeholder "Tokio Runtime"
        refused: “Engine” is already a term of concept “engine”"#]],
    );
    check(
        &format!("{GRAPH}//- docs/b.md\nPlain $0prose.\n"),
        "x",
        expect!["prepare refused: no term of the knowledge graph here to rename"],
    );
    check(
        &GRAPH.replace("synonyms:: task", "syn$0onyms:: task"),
        "x",
        expect!["prepare refused: no term of the knowledge graph here to rename"],
    );
}

#[test]
fn thesaurus_concepts_are_renamed_in_the_json_text() {
    let fixture = r#"
//- kg/t.json
{"name": "devops", "data": {
    "docker": {"id": 1, "nterm": "containerisation", "url": null},
    "containerisation": {"id": 1, "nterm": "containerisation"},
    "k8s": {"id": 2, "nterm": "orchestration"}
}}
//- docs/a.md
Containerisation with docker.
"#;
    check(
        &fixture.replace("\"containerisation\": {", "\"container$0isation\": {"),
        "containerization",
        expect![[r#"
        prepare: "containerisation" placeholder "containerisation"
        --- docs/a.md
        «Containerization» with docker.
        --- kg/t.json
        {"name": "devops", "data": {
            "docker": {"id": 1, "nterm": "containerization", "url": null},
            "containerization": {"id": 1, "nterm": "containerization"},
            "k8s": {"id": 2, "nterm": "orchestration"}
        }}
    "#]],
    );
    check(
        &fixture.replace("\"docker\"", "\"do$0cker\""),
        "podman",
        expect![[r#"
        prepare: "docker" placeholder "docker"
        --- docs/a.md
        Containerisation with «podman».
        --- kg/t.json
        {"name": "devops", "data": {
            "podman": {"id": 1, "nterm": "containerisation", "url": null},
            "containerisation": {"id": 1, "nterm": "containerisation"},
            "k8s": {"id": 2, "nterm": "orchestration"}
        }}
    "#]],
    );
    check(
        &fixture.replace("with docker", "with do$0cker"),
        "k8s",
        expect![[r#"
        prepare: "docker" placeholder "docker"
        refused: “k8s” is already a term of concept “orchestration”"#]],
    );
}

#[test]
fn a_wiki_link_in_a_document_is_a_graph_edit_and_a_markdown_link_to_the_file_is_left() {
    check(
        &format!("{GRAPH}//- docs/b.md\nSee [[tokio runtime|the runtime]] and [Tokio](../kg/tokio%20runtime.md).\n")
            .replace("# Tokio Runtime", "# Tokio $0Runtime"),
        "engine",
        expect![[r#"
            prepare: "Tokio Runtime" placeholder "Tokio Runtime"
            --- docs/b.md
            See [[engine|the runtime]] and [Tokio](../kg/tokio%20runtime.md).
            --- kg/scheduler.md
            # scheduler
            synonyms:: task scheduler
            related:: engine, tokio rt
            See [[engine|the runtime]] and [[tokio rt]] and the tokio runtime.
            --- kg/tokio runtime.md
            # engine
            synonyms:: tokio rt, async runtime
            related:: scheduler
            The runtime.
            --- renamed kg/tokio runtime.md -> kg/engine.md
        "#]],
    );
}
