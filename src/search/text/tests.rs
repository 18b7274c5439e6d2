//! Tests of what goes into the full-text index, how it is kept in step with the files, and
//! knowledge-base and symbol searches over it, on a workspace in memory.

use expect_test::{Expect, expect};

use super::*;
use crate::kg::{KgFile, kind_of, parse};
use crate::vfs::MemFs;

const WS: &str = "
//- /ws/kg/kubernetes.md
# Kubernetes

Container orchestration for the cluster.

synonyms:: k8s, kube
//- /ws/kg/tokio.md
# Tokio

An async runtime for Rust.

synonyms:: tokio runtime
//- /ws/docs/deploy.md
# Deploying

We deploy every service to k8s with a rolling update.
//- /ws/docs/notes.txt
Kubernetes is what we run.
//- /ws/LICENSE.md
Permission is hereby granted to deploy k8s.
//- /ws/node_modules/pkg/README.md
k8s k8s k8s
//- /ws/docs/image.md
\0binary k8s
//- /ws/src/main.rs
// k8s
";

/// The files of a fixture, and the graph of its concept files (under `/ws/kg/`).
fn workspace(fixture: &str) -> (Arc<MemFs>, Arc<Graph>, Arc<TermIndex>) {
    let fs = MemFs::default();
    let mut kg: Vec<KgFile> = Vec::new();
    for section in fixture.split("//- ").filter(|s| !s.trim().is_empty()) {
        let (path, text) = section.split_once('\n').unwrap_or((section, ""));
        let text = text.replace("\\0", "\0");
        let path = Path::new(path.trim());
        if path.starts_with("/ws/kg") {
            kg.push(parse(path, kind_of(path).unwrap(), &text));
        }
        fs.write(path, text);
    }
    let graph = Arc::new(Graph::from_files(&kg));
    let terms = Arc::new(TermIndex::build(&graph));
    (Arc::new(fs), graph, terms)
}

fn corpus(fixture: &str) -> (TextCorpus, Arc<MemFs>, String) {
    let (fs, graph, terms) = workspace(fixture);
    let index = Arc::new(TextIndex::in_memory());
    let roots = vec![PathBuf::from("/ws")];
    let cancel = Cancel::new();
    let want = wanted(&*fs, &roots, &[PathBuf::from("/ws/kg")], &graph, &DocFilter::default(), &cancel).unwrap();
    let p = plan(&want, &index.stamps().unwrap());
    let applied = apply(&index, &*fs, &graph, p, &cancel, &mut |_, _| {}).unwrap();
    let log = format!("{} indexed, skipped {:?}", applied.indexed, applied.skipped);
    (TextCorpus { index, files: fs.clone(), graph, terms, roots }, fs, log)
}

/// A knowledge-base search, shown as each item's kind, path, title and snippets with their
/// matches in `[brackets]`.
fn show(corpus: &TextCorpus, query: &KbQuery) -> String {
    let mut batches = 0;
    let answer = knowledge_search(corpus, query, &Cancel::new(), &mut |_| batches += 1).unwrap();
    let mut out = format!("{} found, {} items in {batches} batches\n", answer.total, answer.items.len());
    for e in &answer.expanded {
        out += &format!("expanded {:?} to {}\n", e.term, e.concept);
    }
    for item in &answer.items {
        out += &format!("{:?} {} {:?}: {} matches\n", item.kind, item.path.display(), item.title, item.matches.len());
        for s in &item.snippets {
            let mut line = s.text.clone();
            for h in s.highlights.iter().rev() {
                line.insert(h.end, ']');
                line.insert(h.start, '[');
            }
            assert_eq!(&item.text[s.start..s.start + s.text.len()], s.text, "a snippet is the document's own text");
            out += &format!("  {line}\n");
        }
    }
    out
}

fn check(query: &str, expect: Expect) {
    let (corpus, _, _) = corpus(WS);
    expect.assert_eq(&show(&corpus, &KbQuery { text: query.into(), limit: 10, ..Default::default() }));
}

#[test]
fn documents_and_concept_files_go_in_licences_vendored_binary_and_code_do_not() {
    let (corpus, _, log) = corpus(WS);
    let mut indexed: Vec<String> =
        corpus.index.stamps().unwrap().into_keys().map(|p| p.display().to_string()).collect();
    indexed.sort();
    expect![[r#"
        4 indexed, skipped [("/ws/docs/image.md", "binary")]
        ["/ws/docs/deploy.md", "/ws/docs/image.md", "/ws/docs/notes.txt", "/ws/kg/kubernetes.md", "/ws/kg/tokio.md"]
    "#]]
    .assert_eq(&format!("{log}\n{indexed:?}\n"));
}

/// "kubernetes" finds the document that says only "k8s"; the concept file is a hit as the
/// concept, and its `synonyms::` line is not searched.
#[test]
fn a_concept_is_searched_by_all_of_its_terms() {
    check(
        "kubernetes",
        expect![[r#"
            3 found, 3 items in 1 batches
            expanded "kubernetes" to kubernetes
            Document /ws/docs/deploy.md "Deploying": 1 matches
              We deploy every service to [k8s] with a rolling update.
            Document /ws/docs/notes.txt "notes.txt": 1 matches
              [Kubernetes] is what we run.
            Concept /ws/kg/kubernetes.md "kubernetes": 1 matches
              # [Kubernetes]
        "#]],
    );
    check(
        "runtime rust",
        expect![[r#"
            1 found, 1 items in 1 batches
            Concept /ws/kg/tokio.md "tokio": 2 matches
              An async [runtime] for [Rust].
        "#]],
    );
    check("orchestration synonyms", expect!["0 found, 0 items in 0 batches\n"]);
}

#[test]
fn filters_by_concept_and_by_path() {
    let (corpus, _, _) = corpus(WS);
    let q = |text: &str, concept: Option<&str>, path: Option<&str>| KbQuery {
        text: text.into(),
        limit: 10,
        offset: 0,
        concept: concept.map(str::to_string),
        path: path.map(str::to_string),
    };
    let out = [
        show(&corpus, &q("rolling", Some("kube"), None)),
        show(&corpus, &q("kubernetes", None, Some("docs/*.txt"))),
        show(&corpus, &q("rolling", Some("no such concept"), None)),
    ];
    expect![[r#"
        [
            "1 found, 1 items in 1 batches\nDocument /ws/docs/deploy.md \"Deploying\": 1 matches\n  We deploy every service to k8s with a [rolling] update.\n",
            "1 found, 1 items in 1 batches\nexpanded \"kubernetes\" to kubernetes\nDocument /ws/docs/notes.txt \"notes.txt\": 1 matches\n  [Kubernetes] is what we run.\n",
            "0 found, 0 items in 0 batches\n",
        ]
    "#]]
    .assert_debug_eq(&out);
}

/// Only changed, new and removed files are touched by an update, and a search reads a hit's
/// text as it is now.
#[test]
fn an_update_touches_only_what_changed() {
    let (corpus, fs, _) = corpus(WS);
    let roots = corpus.roots.clone();
    let filter = DocFilter::default();
    let cancel = Cancel::new();
    let again = |c: &TextCorpus| {
        let want = wanted(&*fs, &roots, &[PathBuf::from("/ws/kg")], &c.graph, &filter, &cancel).unwrap();
        plan(&want, &c.index.stamps().unwrap())
    };
    assert_eq!(again(&corpus), Plan::default(), "nothing changed");
    fs.write("/ws/docs/deploy.md", "# Deploying\n\nBlue-green now.\n");
    fs.write("/ws/docs/new.md", "A new k8s note.\n");
    fs.remove(Path::new("/ws/docs/notes.txt"));
    let p = again(&corpus);
    expect![[r#"
        Plan {
            upsert: [
                (
                    "/ws/docs/deploy.md",
                    Document,
                ),
                (
                    "/ws/docs/new.md",
                    Document,
                ),
            ],
            delete: [
                "/ws/docs/notes.txt",
            ],
        }
    "#]]
    .assert_debug_eq(&p);
    let paths = [
        PathBuf::from("/ws/docs/deploy.md"),
        PathBuf::from("/ws/docs/new.md"),
        PathBuf::from("/ws/docs/notes.txt"),
        PathBuf::from("/ws/src/main.rs"),
    ];
    let indexed = |p: &Path| corpus.index.stamp_of(p).unwrap();
    let sources = [PathBuf::from("/ws/kg")];
    assert_eq!(plan_paths(&*fs, &roots, &sources, &filter, &paths, &indexed), p, "the same plan, path by path");
    apply(&corpus.index, &*fs, &corpus.graph, p, &cancel, &mut |_, _| {}).unwrap();
    assert_eq!(again(&corpus), Plan::default());
    expect![[r#"
        2 found, 2 items in 1 batches
        expanded "k8s" to kubernetes
        Document /ws/docs/new.md "new.md": 1 matches
          A new [k8s] note.
        Concept /ws/kg/kubernetes.md "kubernetes": 1 matches
          # [Kubernetes]
    "#]]
    .assert_eq(&show(&corpus, &KbQuery { text: "k8s".into(), limit: 10, ..Default::default() }));
}

#[test]
fn property_lines_are_blanked_byte_for_byte() {
    let text = "# Café\nsynonyms:: crème, brûlée\n- related:: x\nNot a key :: here\n";
    let blanked = blank_properties(text);
    assert_eq!(blanked.len(), text.len());
    let blank = |line: &str| " ".repeat(line.len());
    let expected =
        ["# Café".to_string(), blank("synonyms:: crème, brûlée"), blank("- related:: x"), "Not a key :: here".into()];
    assert_eq!(blanked.lines().collect::<Vec<_>>(), expected);
}

/// `workspace/symbol`'s full-text part: a document at the line of its first match, a
/// definition as its concept.
#[test]
fn symbol_hits_are_lines_of_documents_and_concepts_by_name() {
    let (corpus, _, _) = corpus(WS);
    let service = TextService::new(corpus);
    let mut hits = Vec::new();
    let cancel = Cancel::new();
    let mut emit = |b: Vec<Hit>| hits.extend(b);
    let mut ctl = Control::new(&cancel, None, &mut emit);
    service.search(&Query::new("orchestration", 10), &mut ctl).unwrap();
    service.search(&Query::new("rolling upd", 10), &mut ctl).unwrap();
    let shown: Vec<String> = hits
        .iter()
        .map(|h| format!("{:?} {:?} {}:{} {:?}", h.kind, h.name, h.path.display(), h.line, h.container))
        .collect();
    expect![[r#"
        [
            "Concept \"kubernetes\" /ws/kg/kubernetes.md:0 Some(\"definition\")",
            "Line \"We deploy every service to k8s with a rolling update.\" /ws/docs/deploy.md:2 Some(\"deploy.md\")",
        ]
    "#]]
    .assert_debug_eq(&shown);
}
