//! Loading a workspace: its configuration files, knowledge-graph sources and documents, and
//! one file again after a change on disk.
//!
//! These are the loaders behind the [`Vfs`] seam: a load walks the roots and source folders on
//! disk (honouring `.gitignore`) and reads each file; [`read_from_disk`] reads one file through
//! whatever [`Vfs`] the host gives it. They return plain data ([`Loaded`], [`DiskRead`]) for
//! [`Workspace`](super::Workspace) to install; they never hold or change a workspace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CONFIG_FILE, Config, Settings, is_markdown, parse_settings, resolve};
use crate::analysis::{Analysis, Feedback};
use crate::index::{DocHeadings, HeadingIndex, TermIndex, extract_headings};
use crate::kg::{FileStamp, Graph, KgFile, MAX_FILE_BYTES, Problem, SavedFiles, load_sources_reusing};
use crate::vfs::{ReadError, RealFs, Vfs};

/// Markdown documents larger than this are not scanned for headings.
const MAX_DOC_BYTES: u64 = 4 << 20;
/// A configuration file larger than this is not one.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// What loading found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Shared with the graph built from them.
    pub kg_files: Vec<Arc<KgFile>>,
    pub docs: Vec<DocHeadings>,
    pub problems: Vec<Problem>,
    /// Folded term → occurrences in the documents.
    pub occurrences: HashMap<String, u64>,
    /// The graph of `kg_files` and its term index, built to count occurrences; the first full
    /// build reuses them instead of building them again.
    pub built: Option<(Arc<Graph>, Arc<TermIndex>)>,
    /// The snapshot of `built` with its completion index, built by [`index_loaded`] on the
    /// loader's thread so that installing it costs the host nothing; its headings are the
    /// host's to set.
    pub analysis: Option<Analysis>,
    /// The heading index of `docs`, when the loader built it (off the host's thread): the host
    /// installs it instead of building it again on the first workspace search.
    pub headings: Option<Arc<HeadingIndex>>,
    /// The stamp each of `kg_files` had when it was read, in the same order: what is saved for
    /// the next start ([`super::save_graph`]).
    pub stamps: Vec<Option<FileStamp>>,
    /// How many of `kg_files` were kept from the saved graph instead of being read.
    pub reused: usize,
    /// Whether the files differ from the saved graph's (some were read, or some saved ones are
    /// gone), or the documents' headings from the saved ones (the caller compares those once it
    /// read them): only then is a new one worth saving.
    pub changed: bool,
}

impl Loaded {
    /// The fingerprint of the sources' files as this load statted them
    /// ([`crate::index::persist::fingerprint`]): what names the completion index built from them.
    pub fn fingerprint(&self) -> u64 {
        crate::index::persist::fingerprint_of(self.kg_files.iter().map(|f| &*f.path).zip(self.stamps.iter().copied()))
    }
}

/// Reads each root's `.kg-ls.toml`, where there is one.
pub fn load_config_file(roots: &[PathBuf]) -> (Vec<(PathBuf, Settings)>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for root in roots {
        let path = root.join(CONFIG_FILE);
        let text = match RealFs.read(&path, MAX_CONFIG_BYTES).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Err(ReadError::NotFound) => continue,
            Err(e) => {
                problems.push(Problem { path, line: None, message: e.to_string() });
                continue;
            }
            Ok(Err(e)) => {
                let at = e.utf8_error().valid_up_to();
                problems.push(Problem { path, line: None, message: format!("invalid UTF-8 at byte {at}") });
                continue;
            }
        };
        found.push((root.clone(), parse_settings(&path, &text)));
    }
    (found, problems)
}

/// Progress of a load: a phase name, files done, files in that phase.
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Resolves the configuration and reads every source and document.
pub fn load(roots: &[PathBuf], client: Option<&Settings>, progress: Progress<'_>) -> (Config, Loaded) {
    let (config, mut loaded) = load_graph(roots, client, progress);
    add_documents(&config, &mut loaded, progress);
    (config, loaded)
}

/// Resolves the configuration and reads the knowledge graph, building its graph and term
/// index; documents are read by [`add_documents`].
pub fn load_graph(roots: &[PathBuf], client: Option<&Settings>, progress: Progress<'_>) -> (Config, Loaded) {
    load_graph_reusing(roots, client, None, progress, &mut |_, _, _| {})
}

/// Told of a saved graph's term index with the generation of its files ([`SavedGraph::build`]).
pub type TermsReady<'a> = dyn FnMut(&Arc<Graph>, &Arc<TermIndex>, u64) + 'a;

/// Told of a loaded graph, its term index and its files ([`load_graph_reusing`]).
pub type Built<'a> = dyn FnMut(&Arc<Graph>, &Arc<TermIndex>, &[Arc<KgFile>]) + 'a;

/// The graph of `files` and its term index, its related names resolved through that index: one
/// term map for both, where [`Graph::build`] makes one of its own.
pub fn graph_and_terms(files: &[Arc<KgFile>]) -> (Graph, TermIndex) {
    let unrelated = Graph::build_unrelated(files);
    let terms = TermIndex::build(&unrelated);
    (relate(unrelated, &terms), terms)
}

/// `unrelated` with its related names resolved through `terms`, its own term index.
fn relate(unrelated: Graph, terms: &TermIndex) -> Graph {
    if !unrelated.names_relations() {
        return unrelated;
    }
    unrelated.related_through(&|folded, found| {
        for r in terms.map.get(folded) {
            found(r.concept);
        }
    })
}

/// The files the last run saved ([`super::open_graph`]) and the graph built from them as they
/// were, before any source is statted: workspace symbols are answered from it while the load
/// finds which files changed, and a load that finds none uses it as it is.
pub struct SavedGraph {
    pub saved: SavedFiles,
    /// The documents' headings as the last run read them.
    pub docs: Vec<DocHeadings>,
    pub headings: Arc<HeadingIndex>,
    /// `saved`'s files in path order.
    pub files: Vec<Arc<KgFile>>,
    /// The graph of `files`, without relations ([`Graph::build_unrelated`]): for searching.
    pub graph: Arc<Graph>,
    pub terms: Arc<TermIndex>,
    /// The generation of its contents ([`super::content_generation`]): the workspace's after a
    /// load that finds nothing changed.
    pub generation: u64,
}

impl SavedGraph {
    /// The graph of `state`, with its saved term index when it was saved (it is saved only
    /// with all the files it indexes), else one built again. The headings are indexed on a
    /// second thread meanwhile; `terms_ready` gets the graph and its term index with the
    /// generation of the files alone as soon as they are ready, before the headings are.
    pub fn build(state: super::SavedState, terms_ready: &mut TermsReady<'_>) -> SavedGraph {
        let started = std::time::Instant::now();
        let super::SavedState { files: saved, docs, terms } = state;
        let (files, graph, terms, headings, generation, kept) = std::thread::scope(|s| {
            // With its search dictionary's word suffixes, for the first search.
            let headings = s.spawn(|| {
                let headings = HeadingIndex::build(&docs);
                headings.suffixes();
                Arc::new(headings)
            });
            // In the order saved, which is path order: the order a load gives.
            let files: Vec<Arc<KgFile>> = saved.iter().map(|(_, f)| f.clone()).collect();
            // Searching reads no relations: they are resolved when the load builds its graph.
            let graph = Arc::new(Graph::build_unrelated(&files));
            let reused = terms.and_then(|t| {
                let index = TermIndex::from_parts(&graph, t.fst, t.values, t.starts, Some(t.suffixes))?;
                Some((index, t.generation, t.with_docs))
            });
            let kept = reused.is_some();
            let (terms, alone, generation) = reused.unwrap_or_else(|| {
                let files = || files.iter().map(|f| &**f);
                (
                    TermIndex::build(&graph),
                    super::content_generation(files(), []),
                    super::content_generation(files(), &docs),
                )
            });
            let terms = Arc::new(terms);
            terms_ready(&graph, &terms, alone);
            let headings = headings.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (files, graph, terms, headings, generation, kept)
        });
        tracing::debug!("saved graph: indexed in {:?} (saved term index used: {kept})", started.elapsed());
        SavedGraph { saved, docs, headings, files, graph, terms, generation }
    }
}

/// [`load_graph`], keeping the files of `saved` (a graph saved by an earlier run) that did not
/// change on disk since: only new and changed files are read and parsed, and when none changed,
/// its term index is the one used. The result is the one a full load gives. `built` is called
/// with the graph, its term index and the files as soon as they are built, before the
/// documents are read: a caller serves completion and symbols from them while it reads them.
pub fn load_graph_reusing(
    roots: &[PathBuf],
    client: Option<&Settings>,
    saved: Option<&SavedGraph>,
    progress: Progress<'_>,
    built: &mut Built<'_>,
) -> (Config, Loaded) {
    let started = std::time::Instant::now();
    let (files, mut problems) = load_config_file(roots);
    let (config, more) = resolve(roots, client, &files, &|p| p.exists());
    problems.extend(more);
    let none = SavedFiles::new();
    let saved_files = saved.map_or(&none, |s| &s.saved);
    let (mut found, more) =
        load_sources_reusing(&config.sources, saved_files, &mut |done, total| progress("knowledge graph", done, total));
    problems.extend(more);
    problems.extend(found.iter().flat_map(|f| f.file.problems.iter().cloned()));
    // In path order, one file once: the order a workspace builds its graph in.
    found.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    found.dedup_by(|a, b| a.file.path == b.file.path);
    let reused = found.iter().filter(|f| f.reused).count();
    let changed = reused != found.len() || reused != saved_files.len();
    let (kg_files, stamps): (Vec<Arc<KgFile>>, Vec<Option<FileStamp>>) =
        found.into_iter().map(|f| (f.file, f.stamp)).unzip();
    let parsed = started.elapsed();
    let unchanged = saved
        .filter(|s| s.files.len() == kg_files.len() && s.files.iter().zip(&kg_files).all(|(a, b)| Arc::ptr_eq(a, b)));
    let (graph, build_time, terms) = match unchanged {
        // The same files in the same order: the same concepts, so the same term index; only
        // the relations are still to resolve.
        Some(s) => {
            let graph = Arc::new(relate(Graph::build_unrelated(&kg_files), &s.terms));
            (graph, started.elapsed(), s.terms.clone())
        }
        None => {
            let (graph, terms) = graph_and_terms(&kg_files);
            // The search dictionary's word suffixes, before the documents and the completion
            // index take the cores: the first symbols wait for them.
            terms.suffixes();
            (Arc::new(graph), started.elapsed(), Arc::new(terms))
        }
    };
    built(&graph, &terms, &kg_files);
    tracing::debug!(
        "load: {} sources ({reused} kept from the saved graph) read and parsed {parsed:?}, graph and term index built \
         {build_time:?}",
        kg_files.len(),
    );
    let loaded =
        Loaded { kg_files, problems, built: Some((graph, terms)), stamps, reused, changed, ..Default::default() };
    (config, loaded)
}

/// Reads the headings of the documents under the configuration's roots (not its knowledge-graph
/// sources) and counts the graph's terms in them (the counts weigh completion).
pub fn add_documents(config: &Config, loaded: &mut Loaded, progress: Progress<'_>) {
    let terms = loaded.built.as_ref().map(|(_, t)| t.clone());
    let (docs, counts) = scan_documents(&config.roots, &config.sources, terms.as_deref(), &mut |done, total| {
        progress("documents", done, total)
    });
    loaded.docs = docs;
    if let Some(terms) = terms {
        terms.map.keys(|key, k| {
            if let Some(&n) = counts.get(k as usize).filter(|&&n| n > 0) {
                loaded.occurrences.insert(key.to_string(), n);
            }
        });
    }
}

/// Builds the completion index of what was loaded (ranked with the documents' counts) into
/// [`Loaded::analysis`], so that [`Workspace::set_loaded`](super::Workspace::set_loaded) only
/// installs it: on a large graph that is seconds the host's loop would otherwise be stalled.
pub fn index_loaded(loaded: &mut Loaded, feedback: Arc<Feedback>) {
    if let Some((graph, terms)) = &loaded.built {
        let (graph, terms) = (graph.clone(), terms.clone());
        loaded.analysis = Some(Analysis::from_parts(graph, terms, Arc::default(), &loaded.occurrences, feedback));
    }
}

/// Graphs with fewer terms than this are not served early: their documents are read in
/// moments, and completion is ranked with them from the first request.
pub const EARLY_SERVE_MIN_TERMS: usize = 20_000;

/// A completion-only snapshot of a large graph loaded without its documents: ranked by the
/// graph alone, to answer while the documents are read.
/// It has no term index: completion does not read one.
pub fn early_analysis(graph: &Arc<Graph>, feedback: Arc<Feedback>) -> Option<Analysis> {
    if graph.term_count() < EARLY_SERVE_MIN_TERMS {
        return None;
    }
    Some(Analysis::from_parts(graph.clone(), Arc::default(), Arc::default(), &HashMap::new(), feedback))
}

/// Whether every editor buffer in `buffers` (path, text) says what `early` (a snapshot of the
/// sources as a load read them) holds for its path: a concept file's concepts, a document's
/// headings. Symbols are answered from such a snapshot only while this holds, never from a
/// file as the disk had it once the editor's text differs. A snapshot without headings yet
/// (concepts first) is not compared for headings: it has none for any document.
pub fn buffers_match<'a>(early: &Analysis, buffers: impl IntoIterator<Item = (&'a Path, &'a str)>) -> bool {
    let headings = early.headings.map.parts().1;
    buffers.into_iter().all(|(path, text)| {
        if let Some(file) = early.graph.file(path) {
            let Some(kind) = crate::kg::kind_of(path) else { return false };
            let buffer = crate::kg::parse(path, kind, text);
            return buffer.concepts.without_definitions() == file.concepts.without_definitions();
        }
        if headings.is_empty() {
            return true;
        }
        let mut had: Vec<(u8, &str, u32)> =
            headings.iter().filter(|h| *h.path == *path).map(|h| (h.level, &*h.text, h.line)).collect();
        let mut has: Vec<(u8, String, u32)> = crate::index::extract_headings(text);
        had.sort_unstable();
        has.sort_unstable();
        had.len() == has.len() && had.iter().zip(&has).all(|(a, b)| a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
    })
}

/// Adds every longest term occurrence in `text` to `counts`, indexed by key number in
/// `terms` (grown as needed).
pub fn count_terms(terms: &TermIndex, text: &str, counts: &mut Vec<u64>) {
    terms.map.occurrences(text, |_, k| {
        if counts.len() <= k as usize {
            counts.resize(terms.map.len(), 0);
        }
        counts[k as usize] += 1;
    });
}

/// Reads the headings of every markdown document under `roots`, honouring `.gitignore`, on
/// every core; with `terms`, also counts their occurrences ([`count_terms`]) and returns the
/// counts by key number. Knowledge-graph `sources` are not documents: a source folder is not
/// walked at all: its files are read once, as sources, and a large graph's folder read again
/// as documents would cost a second load's time and memory.
pub fn scan_documents(
    roots: &[PathBuf],
    sources: &[crate::kg::KgSource],
    terms: Option<&TermIndex>,
    progress: &mut dyn FnMut(usize, usize),
) -> (Vec<DocHeadings>, Vec<u64>) {
    let mut paths = Vec::new();
    for root in roots {
        let sources: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
        let walk = ignore::WalkBuilder::new(root).filter_entry(move |e| !sources.iter().any(|s| e.path() == s)).build();
        for entry in walk.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) && is_markdown(entry.path()) {
                paths.push(entry.into_path());
            }
        }
    }
    paths.sort();
    let total = paths.len();
    type Scanned = (Vec<(usize, DocHeadings)>, Vec<u64>);
    let results = crate::par::for_each_index(
        total,
        64,
        Scanned::default,
        |(docs, counts): &mut Scanned, i| {
            let visit = &mut |text: &str| {
                if let Some(terms) = terms {
                    count_terms(terms, text, counts);
                }
            };
            if let Some(d) = read_doc(&RealFs, &paths[i], visit) {
                docs.push((i, d));
            }
        },
        &mut |done| progress(done, total),
    );
    let mut docs: Vec<(usize, DocHeadings)> = Vec::with_capacity(total);
    let mut counts: Vec<u64> = Vec::new();
    // A worker that panicked loses its files' headings, not the load.
    for (d, c) in results.into_iter().flatten() {
        docs.extend(d);
        if counts.len() < c.len() {
            counts.resize(c.len(), 0);
        }
        for (n, x) in counts.iter_mut().zip(c) {
            *n += x;
        }
    }
    docs.sort_unstable_by_key(|(i, _)| *i);
    (docs.into_iter().map(|(_, d)| d).collect(), counts)
}

/// A file as the disk has it now, read for
/// [`Workspace::apply_disk_read`](super::Workspace::apply_disk_read): `kg` when it is a
/// knowledge-graph source, `doc` when it is a document (`Some(None)`: gone or unreadable).
#[derive(Debug, Default)]
pub struct DiskRead {
    pub(super) kg: Option<Option<KgFile>>,
    pub(super) doc: Option<Option<DocHeadings>>,
}

/// Reads `path` from `fs` (the disk, without the editor's buffers) as a knowledge-graph source
/// (`kg`) and/or as a document (`doc`). Run it off the main loop: it stats and reads the file.
pub fn read_from_disk(fs: &dyn Vfs, path: &Path, kg: bool, doc: bool) -> DiskRead {
    let kg = kg.then(|| fs.stamp(path).is_some().then(|| crate::kg::load_file(fs, path)));
    DiskRead { kg, doc: doc.then(|| read_doc(fs, path, &mut |_| {})) }
}

/// The headings of the document at `path`, calling `visit` with its text; `None` when it cannot
/// be read or is over the size limit for documents.
fn read_doc(fs: &dyn Vfs, path: &Path, visit: &mut dyn FnMut(&str)) -> Option<DocHeadings> {
    let bytes = fs.read(path, MAX_DOC_BYTES.min(MAX_FILE_BYTES)).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    visit(&text);
    Some(DocHeadings { path: path.to_path_buf(), headings: extract_headings(&text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder holding `files` (path below it, content).
    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, t) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        }
        dir
    }

    /// Which buffers say what a snapshot loaded from disk holds: a concept file with the same
    /// concepts, a document with the same headings (prose aside), and any document while the
    /// snapshot has no headings yet.
    #[test]
    fn buffers_match_the_snapshot_only_with_its_concepts_and_headings() {
        let kg = Path::new("/ws/kg/tokio.md");
        let doc = Path::new("/ws/docs/a.md");
        let file =
            Arc::new(crate::kg::parse(kg, crate::kg::SourceKind::Markdown, "# tokio\n\nA runtime.\n\nsynonyms:: rt\n"));
        let graph = Arc::new(Graph::build([&file]));
        let docs = [DocHeadings {
            path: doc.to_path_buf(),
            headings: crate::index::extract_headings("# Notes\n\n## Alpha\n"),
        }];
        let with =
            Analysis { graph: graph.clone(), headings: Arc::new(HeadingIndex::build(&docs)), ..Analysis::default() };
        let concepts_only = Analysis { graph, ..Analysis::default() };
        let check = |early: &Analysis, path: &Path, text: &str, expect: bool| {
            assert_eq!(buffers_match(early, [(path, text)]), expect, "{path:?}: {text:?}");
        };
        check(&with, kg, "# tokio\n\nA runtime.\n\nsynonyms:: rt\n", true);
        check(&with, kg, "# tokio\n\nAn async runtime.\n\nsynonyms:: rt\n", true);
        check(&with, kg, "# tokio\n\nA runtime.\n\nsynonyms:: rt, tokio-rs\n", false);
        check(&with, doc, "# Notes\n\n## Alpha\n\nSome prose.\n", true);
        check(&with, doc, "# Notes\n\n## Beta\n", false);
        check(&with, doc, "# Notes\n\n\n## Alpha\n", false);
        check(&with, Path::new("/ws/docs/new.md"), "# New\n", false);
        check(&with, Path::new("/ws/docs/new.md"), "no heading\n", true);
        check(&concepts_only, doc, "# Notes\n\n## Beta\n", true);
        check(&concepts_only, kg, "# tokyo\n", false);
    }

    /// A step of a graph's life between two starts: files written (path, content) or removed
    /// (content `None`).
    type Step<'a> = &'a [(&'a str, Option<&'a str>)];

    /// Loads the files of `before` in full and saves them as a run would, applies `after` on
    /// disk, then loads again keeping the saved files: the result must be the full load's, to
    /// the graph, its files and its problems. Shows which files were read again.
    fn check_reload(before: Step<'_>, after: Step<'_>, expect: expect_test::Expect) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let apply = |step: Step<'_>| {
            for (p, text) in step {
                let path = root.join(p);
                match text {
                    Some(t) => {
                        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                        std::fs::write(path, t).unwrap();
                    }
                    None => std::fs::remove_file(path).unwrap(),
                }
            }
        };
        apply(before);
        let (_, first) = load_graph(std::slice::from_ref(&root), None, &mut |_, _, _| {});
        assert_eq!((first.reused, first.changed), (0, !first.kg_files.is_empty()));
        let bytes = crate::kg::encode_saved(first.kg_files.iter().map(|f| &**f).zip(first.stamps.iter().copied()));
        let state = super::super::SavedState { files: crate::kg::decode_saved(&bytes).unwrap(), ..Default::default() };
        let saved = SavedGraph::build(state, &mut |_, _, _| {});
        let names = |g: &Graph| g.concepts().map(|(_, c)| c.terms().collect::<Vec<_>>().join("|")).collect::<Vec<_>>();
        assert_eq!(names(&saved.graph), names(&first.built.as_ref().unwrap().0), "the saved graph is the one saved");
        apply(after);
        let (_, full) = load_graph(std::slice::from_ref(&root), None, &mut |_, _, _| {});
        let (_, reused) =
            load_graph_reusing(std::slice::from_ref(&root), None, Some(&saved), &mut |_, _, _| {}, &mut |_, _, _| {});
        assert_eq!(
            reused.fingerprint(),
            crate::index::persist::fingerprint(&[crate::kg::KgSource { path: root.join("kg") }])
        );
        let same_terms = Arc::ptr_eq(&reused.built.as_ref().unwrap().1, &saved.terms);
        assert_eq!(same_terms, !reused.changed, "the saved term index is used as it is when nothing changed");
        let saved = &saved.saved;
        assert_eq!(reused.kg_files, full.kg_files);
        assert_eq!(reused.problems, full.problems);
        assert_eq!(reused.built.as_ref().unwrap().0, full.built.as_ref().unwrap().0, "the same graph");
        let name = |f: &Arc<KgFile>| f.path.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        let read: Vec<String> = reused
            .kg_files
            .iter()
            .filter(|f| !saved.get(&f.path).is_some_and(|(_, s)| Arc::ptr_eq(s, f)))
            .map(name)
            .collect();
        let concepts: Vec<&str> = reused.built.as_ref().unwrap().0.concepts().map(|(_, c)| c.name()).collect();
        let shown = format!(
            "read again: {read:?}\nkept: {}\nchanged: {}\nconcepts: {concepts:?}\nproblems: {:?}",
            reused.reused,
            reused.changed,
            reused.problems.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        expect.assert_eq(&shown);
    }

    const CONFIG: (&str, Option<&str>) = (CONFIG_FILE, Some("[kg]\npaths = [\"kg\"]\n"));

    #[test]
    fn a_restart_reads_only_the_files_that_changed_and_builds_the_full_loads_graph() {
        let before = [
            CONFIG,
            ("kg/tokio.md", Some("# tokio\nA runtime.\nsynonyms:: tokio rt\nrelated:: future\n")),
            ("kg/future.md", Some("# future\nA value later.\n")),
            ("kg/old.md", Some("# old\nrelated:: tokio\n")),
            ("kg/sub/bin.md", Some("\0\0")),
            ("kg/glossary.json", Some(r#"{"name": "g", "data": {"k8s": {"id": 1, "nterm": "kubernetes"}}}"#)),
        ];
        // One file changed (a new synonym and relation), one added, one removed.
        let after = [
            ("kg/future.md", Some("# future\nA value, later.\nsynonyms:: promise\nrelated:: new\n")),
            ("kg/sub/new.md", Some("# new\nsynonyms:: fresh\n")),
            ("kg/old.md", None),
        ];
        check_reload(
            &before,
            &after,
            expect_test::expect![[r#"
                read again: ["kg/future.md", "kg/sub/new.md"]
                kept: 3
                changed: true
                concepts: ["future", "kubernetes", "new", "tokio"]
                problems: ["binary file (contains NUL bytes); skipped"]"#]],
        );
        // Nothing changed: nothing is read, and nothing needs saving.
        check_reload(
            &before,
            &[],
            expect_test::expect![[r#"
                read again: []
                kept: 5
                changed: false
                concepts: ["future", "kubernetes", "old", "tokio"]
                problems: ["binary file (contains NUL bytes); skipped"]"#]],
        );
        // Only a removal: nothing is read, but the saved graph is out of date.
        check_reload(
            &before,
            &[("kg/glossary.json", None)],
            expect_test::expect![[r#"
                read again: []
                kept: 4
                changed: true
                concepts: ["future", "old", "tokio"]
                problems: ["binary file (contains NUL bytes); skipped"]"#]],
        );
        // A broken file mended and another edited: both are read again, and the problem is gone.
        check_reload(
            &before,
            &[("kg/tokio.md", Some("# tokio\ncaf\u{e9}\n")), ("kg/sub/bin.md", Some("# bin\nfixed\n"))],
            expect_test::expect![[r#"
                read again: ["kg/sub/bin.md", "kg/tokio.md"]
                kept: 3
                changed: true
                concepts: ["future", "kubernetes", "old", "bin", "tokio"]
                problems: []"#]],
        );
    }

    #[test]
    fn documents_count_the_longest_whole_term_at_each_word() {
        let dir = folder(&[
            ("kg/tokio.md", "# tokio\nsynonyms:: Tokio Runtime\n"),
            ("docs/a.md", "# Notes\n\nThe TOKIO  runtime and tokio, but not tokiox or xtokio.\n"),
            ("docs/b.md", "tokio runtime\n"),
        ]);
        let root = dir.path().to_path_buf();
        let (_, loaded) = load(std::slice::from_ref(&root), None, &mut |_, _, _| {});
        let mut counts: Vec<_> = loaded.occurrences.into_iter().collect();
        counts.sort();
        // The concept file is a source, not a document: its own terms do not count for it.
        assert_eq!(counts, [("tokio".to_string(), 1), ("tokio runtime".to_string(), 2)]);
        let docs: Vec<_> = loaded.docs.iter().map(|d| d.path.strip_prefix(&root).unwrap().to_path_buf()).collect();
        assert_eq!(docs, [Path::new("docs/a.md"), Path::new("docs/b.md")]);
        assert_eq!(loaded.docs.iter().map(|d| d.headings.len()).sum::<usize>(), 1);
    }

    #[test]
    fn large_graphs_answer_completion_before_their_documents_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let graph = crate::synth::generate(&crate::synth::GenConfig::new(EARLY_SERVE_MIN_TERMS));
        graph.write_thesaurus(&root.join("kg.json")).unwrap();
        std::fs::write(root.join(CONFIG_FILE), "[kg]\npaths = [\"kg.json\"]\n").unwrap();
        std::fs::write(root.join("notes.md"), format!("{0} {0} {0}\n", graph.terms[7].text)).unwrap();
        let mut early = None;
        let (config, mut loaded) =
            load_graph_reusing(std::slice::from_ref(&root), None, None, &mut |_, _, _| {}, &mut |g, _, _| {
                early = early_analysis(g, Arc::default());
            });
        assert!(loaded.docs.is_empty() && loaded.occurrences.is_empty());
        let early = early.expect("a large graph is served early");
        let term = &graph.terms[7].text;
        let items = early.completions(term, term.len(), 5).items;
        assert!(items.iter().any(|i| &*i.term == term), "{items:?}");
        add_documents(&config, &mut loaded, &mut |_, _, _| {});
        assert_eq!(loaded.docs.len(), 1);
        assert_eq!(loaded.occurrences.get(&crate::text::fold(term)), Some(&3));
        // A small graph waits for its documents.
        let small = tempfile::tempdir().unwrap();
        std::fs::write(small.path().join(CONFIG_FILE), "[kg]\npaths = [\"kg.json\"]\n").unwrap();
        let few = crate::synth::generate(&crate::synth::GenConfig::new(EARLY_SERVE_MIN_TERMS - 1));
        few.write_thesaurus(&small.path().join("kg.json")).unwrap();
        let (_, few) = load_graph(&[small.path().to_path_buf()], None, &mut |_, _, _| {});
        assert_eq!(few.built.as_ref().unwrap().0.term_count(), EARLY_SERVE_MIN_TERMS - 1);
        assert!(early_analysis(&few.built.unwrap().0, Arc::default()).is_none());
    }
}
