//! The mutable host behind every snapshot: configuration, parsed sources, open documents.
//!
//! [`Workspace`] keeps what was read from disk (knowledge-graph files, document headings) and
//! the documents open in the editor, which win over the disk. [`Workspace::analysis`] returns an
//! immutable [`Analysis`], rebuilt lazily and only for the parts that changed, and
//! [`Workspace::files`] the files a snapshot reads: the open buffers over the host's [`Vfs`].
//!
//! This file holds the state and its changes and does no I/O: deciding whether a path is a
//! source ([`Workspace::is_kg_path`]) looks at the configuration, not the disk. Reading is
//! [`load`]'s (configuration, sources, documents, a file after a change) and [`persist`]'s (the
//! saved completion index). No protocol types, no async runtime.

mod config;
mod documents;
mod load;
mod persist;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{
    CONFIG_FILE, Config, DEFAULT_COMPLETION_LIMIT, DEFAULT_HOVER_MAX_LENGTH, DEFAULT_SYMBOL_LIMIT, HoverSettings,
    KgSettings, LimitSettings, MonitorSettings, NavigationConfig, NavigationSettings, SearchConfig, SearchSettings,
    Settings, parse_settings, read_settings, resolve, settings_from_json,
};
pub use documents::{Document, Documents};
pub use load::{
    DiskRead, EARLY_SERVE_MIN_TERMS, Loaded, Progress, SavedGraph, add_documents, buffers_match, count_terms,
    early_analysis, index_loaded, load, load_config_file, load_graph, load_graph_reusing, read_from_disk,
    scan_documents,
};
pub use persist::{
    GRAPH_FORMAT_VERSION, GraphError, IndexFile, Persisted, SavedState, SavedTerms, graph_path, open_graph,
    open_persisted, save_graph, save_persisted,
};

use crate::analysis::{Analysis, Feedback, build_completion_index};
use crate::cache::hash_of;
use crate::index::LayeredIndex;
use crate::index::{DocHeadings, HeadingIndex, extract_headings};
use crate::kg::{Graph, KgFile, Problem, SourceKind, kind_of, parse};
use crate::render::{RenderConfig, Renderer};
use crate::vfs::{Overlay, RealFs, Vfs};

/// Everything the server knows about one workspace.
#[derive(Debug, Default)]
pub struct Workspace {
    pub config: Option<Config>,
    /// Shared with a rebuild job while it runs, so taking one costs no copy of the set.
    kg_files: Arc<BTreeSet<ByPath>>,
    doc_headings: BTreeMap<PathBuf, DocHeadings>,
    pub documents: Documents,
    /// The last full build: graph, term indexes and completion index agree.
    analysis: Analysis,
    /// Knowledge-graph files changed since the last full build, each with the
    /// `kg_generation` of its last change: a rebuild taken at generation `g` holds the changes
    /// up to `g`, and those after it stay here, in the delta over the new build.
    changed: BTreeMap<PathBuf, u64>,
    /// The completion-only snapshot with a delta for `changed`, until the next change.
    delta: Option<Analysis>,
    /// Bumped by every change to a knowledge-graph source.
    kg_generation: u64,
    /// Everything must be rebuilt (a fresh load).
    needs_full: bool,
    /// Bumped by every fresh load: a rebuild taken before one is never installed.
    loads: u64,
    /// Folded term → occurrences in the workspace's documents (for ranking).
    occurrences: Arc<HashMap<String, u64>>,
    feedback: Arc<Feedback>,
    /// Outlives snapshots, so rendered blocks and hovers stay cached across graph rebuilds.
    renderer: Arc<Renderer>,
    /// Open documents or disk documents changed since the heading index was built.
    headings_dirty: bool,
    /// Disk documents changed since the heading index was built.
    disk_headings_changed: bool,
    /// The open documents' headings the heading index was built with.
    indexed_overlays: BTreeMap<PathBuf, DocHeadings>,
    generation: u64,
    changes: u64,
    /// The host's files, without the open documents ([`Workspace::files`] adds them).
    fs: HostFs,
}

/// The host's [`Vfs`]; the disk unless a workspace was made with other files.
#[derive(Clone)]
struct HostFs(Arc<dyn Vfs>);

impl Default for HostFs {
    fn default() -> HostFs {
        HostFs(Arc::new(RealFs))
    }
}

impl std::fmt::Debug for HostFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostFs")
    }
}

/// The generation of loaded sources and documents (in path order, as a workspace holds them): a
/// hash of what they say, so equal contents have equal generations, also across restarts (for
/// the same build), and a search of either may share cached results.
pub fn content_generation<'a>(
    kg_files: impl IntoIterator<Item = &'a KgFile>,
    docs: impl IntoIterator<Item = &'a DocHeadings>,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for file in kg_files {
        file.path.hash(&mut h);
        file.concepts.hash(&mut h);
        file.definitions.hash(&mut h);
    }
    for d in docs {
        d.path.hash(&mut h);
        d.headings.hash(&mut h);
    }
    h.finish()
}

/// Graphs with more terms than this are not rebuilt on the request path after an edit: hover
/// and symbols use the last full build until a background rebuild lands (completion sees the
/// edit at once through its delta). A full build costs time in proportion to the terms, so
/// this bounds what the first hover after an edit waits for to a small fraction of a second,
/// once per edit; above it, a wait that grows with the graph is not worth a fresher hover.
pub const INLINE_REBUILD_MAX_TERMS: usize = 10_000;

/// A parsed file, ordered and found by its path: the workspace's set of files holds a pointer
/// per file and no key beside it (a map from path to file held 24 bytes a file).
#[derive(Clone, Debug)]
struct ByPath(Arc<KgFile>);

impl PartialEq for ByPath {
    fn eq(&self, other: &Self) -> bool {
        self.0.path == other.0.path
    }
}

impl Eq for ByPath {}

impl PartialOrd for ByPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.path.cmp(&other.0.path)
    }
}

impl std::borrow::Borrow<Path> for ByPath {
    fn borrow(&self) -> &Path {
        &self.0.path
    }
}

/// Inputs of a full rebuild, taken under the lock and run without it.
pub struct RebuildJob {
    files: Arc<BTreeSet<ByPath>>,
    /// Open buffers of knowledge-graph files: they win over the disk.
    overlays: Vec<(PathBuf, Arc<String>)>,
    renderer: Arc<Renderer>,
    occurrences: Arc<HashMap<String, u64>>,
    feedback: Arc<Feedback>,
    headings: Arc<HeadingIndex>,
    generation: u64,
    loads: u64,
}

/// A finished rebuild, to be installed with [`Workspace::install`].
pub struct Rebuilt {
    analysis: Analysis,
    /// The `kg_generation` its job was taken at: it holds every change up to it.
    generation: u64,
    loads: u64,
}

impl RebuildJob {
    pub fn run(self) -> Rebuilt {
        // In path order, as the set is.
        let mut files: Vec<Arc<KgFile>> = self.files.iter().map(|f| f.0.clone()).collect();
        // The workspace copies its set when it changes while a job holds it: let go at once.
        drop(self.files);
        for (path, text) in &self.overlays {
            if let Some(kind) = kind_of(path) {
                let file = Arc::new(parse(path, kind, text));
                match files.binary_search_by(|f| (*f.path).cmp(path)) {
                    Ok(i) => files[i] = file,
                    Err(i) => files.insert(i, file),
                }
            }
        }
        let (graph, terms) = load::graph_and_terms(&files);
        let analysis =
            Analysis::from_parts(Arc::new(graph), Arc::new(terms), self.headings, &self.occurrences, self.feedback)
                .with_renderer(self.renderer);
        Rebuilt { analysis, generation: self.generation, loads: self.loads }
    }
}

/// Counts of what a workspace holds, for logs and the query command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub kg_files: usize,
    pub concepts: usize,
    pub terms: usize,
    pub documents: usize,
    pub headings: usize,
}

impl Workspace {
    /// A workspace on the disk.
    pub fn new(config: Config, loaded: Loaded) -> Workspace {
        Workspace::with_files(Arc::new(RealFs), config, loaded)
    }

    /// A workspace whose files are `fs` (memory in tests, the disk in the server).
    pub fn with_files(fs: Arc<dyn Vfs>, config: Config, loaded: Loaded) -> Workspace {
        let mut ws = Workspace { fs: HostFs(fs), ..Workspace::default() };
        ws.set_loaded(config, loaded);
        ws
    }

    /// The files as a snapshot taken now reads them: the open documents over the host's files.
    /// It does not follow later edits; take a new one per request.
    pub fn files(&self) -> Arc<dyn Vfs> {
        let open = self.documents.iter().filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone())));
        Arc::new(Overlay::new(self.fs.0.clone(), open))
    }

    /// The host's files without the open documents: what the disk says, for [`read_from_disk`].
    pub fn disk(&self) -> Arc<dyn Vfs> {
        self.fs.0.clone()
    }

    /// Replaces configuration and sources with a fresh load; open documents stay.
    pub fn set_loaded(&mut self, config: Config, loaded: Loaded) {
        let render = RenderConfig { max_length: config.hover_max_length };
        if *self.renderer.config() != render {
            self.renderer = Arc::new(Renderer::new(render));
        }
        self.config = Some(config);
        self.kg_files = Arc::new(loaded.kg_files.into_iter().map(ByPath).collect());
        self.doc_headings = loaded.docs.into_iter().map(|d| (d.path.clone(), d)).collect();
        self.occurrences = Arc::new(loaded.occurrences);
        self.needs_full = true;
        self.kg_generation += 1;
        self.loads += 1;
        self.headings_dirty = true;
        // What the disk holds, and the open buffers over it: an answer cached for the disk's
        // text (say while loading, or by the last run) is not one for an edited buffer.
        let mut buffers: Vec<(&Path, &str)> = self
            .documents
            .iter()
            .filter_map(|(_, d)| d.path.as_deref().map(|p| (p, d.text.as_str())))
            .filter(|(p, _)| self.is_kg_path(p) || self.is_doc_path(p))
            .collect();
        buffers.sort_unstable();
        self.generation = if buffers.is_empty() { self.fingerprint() } else { hash_of(&(self.fingerprint(), buffers)) };
        self.disk_headings_changed = true;
        // The loader's heading index is the one to search unless an open buffer's headings
        // differ from the disk's: then the first search builds it with them.
        if let Some(headings) = loaded.headings {
            let overlays = self.overlay_headings();
            if overlays.iter().all(|(p, o)| self.doc_headings.get(p).is_some_and(|d| d.headings == o.headings)) {
                self.analysis.headings = headings;
                self.indexed_overlays = overlays;
                self.disk_headings_changed = false;
                self.headings_dirty = false;
            }
        }
        // Reuse the graph the load built, unless an open buffer must replace one of its files.
        let overlaid = self.documents.iter().any(|(_, d)| d.path.as_deref().is_some_and(|p| self.is_kg_path(p)));
        if let Some((graph, terms)) = loaded.built.filter(|_| !overlaid) {
            // Indexed by the loader already ([`index_loaded`]), off the caller's thread.
            let analysis = match loaded.analysis.filter(|a| Arc::ptr_eq(&a.graph, &graph)) {
                Some(a) => Analysis { headings: self.analysis.headings.clone(), ..a },
                None => Analysis::from_parts(
                    graph,
                    terms,
                    self.analysis.headings.clone(),
                    &self.occurrences,
                    self.feedback.clone(),
                ),
            }
            .with_renderer(self.renderer.clone());
            self.install(Rebuilt { analysis, generation: self.kg_generation, loads: self.loads });
        }
    }

    /// The index generation: a fingerprint of what was loaded, changed by every later edit,
    /// save or change on disk. Equal generations mean equal sources, also across restarts
    /// (for the same build), so cached results keyed by it are never stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn bump(&mut self) {
        self.changes += 1;
        self.generation = hash_of(&(self.generation, self.changes));
    }

    fn fingerprint(&self) -> u64 {
        content_generation(self.kg_files.iter().map(|ByPath(f)| &**f), self.doc_headings.values())
    }

    /// Whether `path` is a knowledge-graph source: a configured file, or a concept or
    /// thesaurus file inside a configured folder. Decided from the configuration alone, without
    /// a `stat` (it runs on every edit): a path below a configured path can only exist when
    /// that path is a folder.
    pub fn is_kg_path(&self, path: &Path) -> bool {
        let Some(config) = &self.config else { return false };
        kind_of(path).is_some() && config.sources.iter().any(|s| path.starts_with(&s.path))
    }

    /// Whether `path` is a markdown document of a workspace root. Concept files are not: their
    /// headings are the concepts themselves, already searched and counted as such.
    pub fn is_doc_path(&self, path: &Path) -> bool {
        let Some(config) = &self.config else { return false };
        is_markdown(path) && config.roots.iter().any(|r| path.starts_with(r)) && !self.is_kg_path(path)
    }

    /// The paths of the knowledge graph's markdown concept files (shared: a copy costs no
    /// allocation).
    pub fn concept_file_paths(&self) -> impl Iterator<Item = &Arc<Path>> + '_ {
        self.kg_files.iter().filter(|ByPath(f)| f.kind == SourceKind::Markdown).map(|ByPath(f)| &f.path)
    }

    /// Whether `path` is a markdown concept file of the knowledge graph (by the configuration).
    pub fn is_concept_file_path(&self, path: &Path) -> bool {
        self.is_kg_path(path) && kind_of(path) == Some(SourceKind::Markdown)
    }

    /// The paths of the workspace's documents as last read from disk.
    pub fn doc_paths(&self) -> impl Iterator<Item = &Path> + '_ {
        self.doc_headings.keys().map(PathBuf::as_path)
    }

    /// Records that the open document at `path` changed, so the next analysis re-reads it.
    pub fn document_changed(&mut self, path: &Path) {
        if self.is_kg_path(path) {
            self.kg_changed(path);
        }
        self.headings_dirty |= self.is_doc_path(path);
        self.bump();
    }

    fn kg_changed(&mut self, path: &Path) {
        self.kg_generation += 1;
        self.changed.insert(path.to_path_buf(), self.kg_generation);
        self.delta = None;
    }

    /// Bumped by every change to a knowledge-graph source.
    pub fn kg_generation(&self) -> u64 {
        self.kg_generation
    }

    /// Replaces a file's on-disk state (after a save, a close or a change on disk), reading
    /// it now from the host's files. The main loop reads with [`read_from_disk`] on a worker
    /// and applies the result with [`Workspace::apply_disk_read`] instead.
    pub fn reload_from_disk(&mut self, path: &Path) -> Vec<Problem> {
        let read = read_from_disk(&*self.fs.0, path, self.is_kg_path(path), self.is_doc_path(path));
        self.apply_disk_read(path, read)
    }

    /// Applies what [`read_from_disk`] found at `path`; returns the file's problems.
    pub fn apply_disk_read(&mut self, path: &Path, read: DiskRead) -> Vec<Problem> {
        self.bump();
        let mut problems = Vec::new();
        if let Some(kg) = read.kg.filter(|_| self.is_kg_path(path)) {
            match kg {
                Some(file) => {
                    problems.extend(file.problems.iter().cloned());
                    Arc::make_mut(&mut self.kg_files).replace(ByPath(Arc::new(file)));
                }
                None => {
                    Arc::make_mut(&mut self.kg_files).remove(path);
                }
            }
            self.kg_changed(path);
        }
        if let Some(doc) = read.doc.filter(|_| self.is_doc_path(path)) {
            match doc {
                Some(d) => {
                    self.doc_headings.insert(path.to_path_buf(), d);
                }
                None => {
                    self.doc_headings.remove(path);
                }
            }
            self.headings_dirty = true;
            self.disk_headings_changed = true;
        }
        problems
    }

    /// Whether a load has been installed.
    /// Which graph the last full build holds (edits waiting for a rebuild are not in it).
    pub fn graph_stamp(&self) -> crate::analysis::GraphStamp {
        self.analysis.stamp
    }

    pub fn loaded(&self) -> bool {
        self.config.is_some()
    }

    /// Accepted completions, shared by every snapshot.
    pub fn feedback(&self) -> Arc<Feedback> {
        self.feedback.clone()
    }

    /// Folded term → occurrences in the workspace's documents, as last counted (shared).
    pub fn occurrences(&self) -> Arc<HashMap<String, u64>> {
        self.occurrences.clone()
    }

    /// Problems of the current sources, open documents included.
    pub fn problems(&self) -> Vec<Problem> {
        self.kg_files.iter().flat_map(|f| f.0.problems.iter().cloned()).collect()
    }

    /// An immutable snapshot with everything up to date. Headings are rebuilt only when
    /// `with_headings` asks for them. After an edit to a knowledge-graph file the graph is
    /// rebuilt here when it is small; a large one keeps the last full build (and completion its
    /// delta) until [`Workspace::rebuild_job`] has run in the background.
    pub fn analysis(&mut self, with_headings: bool) -> Analysis {
        if with_headings && self.headings_dirty {
            // Typing in prose leaves the headings as they were: the index is rebuilt only when
            // the open documents' headings (or the disk's) differ from those it was built with.
            let overlays = self.overlay_headings();
            if self.disk_headings_changed || overlays != self.indexed_overlays {
                let mut docs: Vec<&DocHeadings> = self
                    .doc_headings
                    .iter()
                    .filter(|(p, _)| !overlays.contains_key(*p))
                    .map(|(_, d)| d)
                    .chain(overlays.values())
                    .collect();
                docs.sort_by(|a, b| a.path.cmp(&b.path));
                self.analysis.headings = Arc::new(HeadingIndex::build(docs));
                if let Some(delta) = &mut self.delta {
                    delta.headings = self.analysis.headings.clone();
                }
                self.indexed_overlays = overlays;
                self.disk_headings_changed = false;
            }
            self.headings_dirty = false;
        }
        if self.needs_full || (!self.changed.is_empty() && self.analysis.graph.term_count() <= INLINE_REBUILD_MAX_TERMS)
        {
            let rebuilt = self.rebuild_job().run();
            self.install(rebuilt);
        }
        self.completion_analysis()
    }

    /// The headings of the open documents, as their buffers have them.
    fn overlay_headings(&self) -> BTreeMap<PathBuf, DocHeadings> {
        self.documents
            .iter()
            .filter_map(|(_, d)| d.path.as_ref().filter(|p| self.is_doc_path(p)).map(|p| (p, &d.text)))
            .map(|(path, text)| (path.clone(), DocHeadings { path: path.clone(), headings: extract_headings(text) }))
            .collect()
    }

    /// A snapshot for completion: the last full build with a delta for edited knowledge-graph
    /// files, so an edit costs a parse of that file, not a rebuild of the index.
    pub fn completion_analysis(&mut self) -> Analysis {
        if self.needs_full {
            let rebuilt = self.rebuild_job().run();
            self.install(rebuilt);
        }
        if self.changed.is_empty() {
            return self.analysis.clone();
        }
        if self.delta.is_none() {
            self.delta = Some(self.build_delta());
        }
        self.delta.clone().expect("just built")
    }

    fn build_delta(&self) -> Analysis {
        let mut hidden = HashSet::new();
        let mut files = Vec::new();
        for path in self.changed.keys() {
            // The last full build's concepts from this file, hidden behind the delta.
            hidden.extend(self.analysis.graph.file_concepts(path).into_iter().flatten());
            if let Some(f) = self.current_file(path) {
                files.push(f);
            }
        }
        let graph = Graph::build(&files);
        let delta = build_completion_index(&graph, &self.occurrences);
        let main = self.analysis.completion.main.clone();
        Analysis { completion: Arc::new(LayeredIndex::with_delta(main, delta, hidden)), ..self.analysis.clone() }
    }

    /// A knowledge-graph file as the editor has it (open buffers win) or as the disk has it.
    fn current_file(&self, path: &Path) -> Option<Arc<KgFile>> {
        let open = self.documents.iter().find(|(_, d)| d.path.as_deref() == Some(path));
        match open {
            Some((_, d)) => Some(Arc::new(parse(path, kind_of(path)?, &d.text))),
            None => self.kg_files.get(path).map(|f| f.0.clone()),
        }
    }

    /// What a full rebuild needs, taken now; run it anywhere, then [`Workspace::install`] it.
    /// Taking it is cheap (shared pointers and the open knowledge-graph buffers' texts): the
    /// job parses those buffers and merges them when it runs.
    pub fn rebuild_job(&self) -> RebuildJob {
        let overlays = self
            .documents
            .iter()
            .filter_map(|(_, d)| d.path.as_ref().filter(|p| self.is_kg_path(p)).map(|p| (p.clone(), d.text.clone())))
            .collect();
        RebuildJob {
            files: self.kg_files.clone(),
            overlays,
            renderer: self.renderer.clone(),
            occurrences: self.occurrences.clone(),
            feedback: self.feedback.clone(),
            headings: self.analysis.headings.clone(),
            generation: self.kg_generation,
            loads: self.loads,
        }
    }

    /// Installs a rebuild unless a fresh load came since its job was taken; returns whether it
    /// was installed. Files changed after the job was taken stay in the delta over it, so a
    /// rebuild overtaken by a save is not thrown away (under saves every second, none would
    /// ever land).
    pub fn install(&mut self, rebuilt: Rebuilt) -> bool {
        self.replace_analysis(rebuilt).is_some()
    }

    /// [`Workspace::install`], handing back the analysis it replaced, so that the caller can
    /// free a large graph somewhere else than on its own thread.
    pub fn replace_analysis(&mut self, rebuilt: Rebuilt) -> Option<Analysis> {
        if rebuilt.loads != self.loads || rebuilt.generation > self.kg_generation {
            return None;
        }
        let new = Analysis { headings: self.analysis.headings.clone(), ..rebuilt.analysis };
        let old = std::mem::replace(&mut self.analysis, new);
        self.changed.retain(|_, changed_at| *changed_at > rebuilt.generation);
        self.delta = None;
        self.needs_full = false;
        Some(old)
    }

    /// Whether edits wait for a background rebuild.
    pub fn has_pending_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// How many knowledge-graph files changed since the last full build (the delta's files).
    pub fn pending_change_count(&self) -> usize {
        self.changed.len()
    }

    /// Whether edits to the knowledge graph wait for a background rebuild: the graph is too
    /// large to rebuild on the request path ([`INLINE_REBUILD_MAX_TERMS`]).
    pub fn rebuilds_in_background(&self) -> bool {
        self.analysis.graph.term_count() > INLINE_REBUILD_MAX_TERMS
    }

    pub fn stats(&mut self) -> Stats {
        // The counts need the graph, not a fresh heading index (whose rebuild takes a while).
        let a = self.analysis(false);
        Stats {
            kg_files: self.kg_files.len(),
            concepts: a.graph.len(),
            terms: a.graph.term_count(),
            documents: self.doc_headings.len(),
            headings: self.doc_headings.values().map(|d| d.headings.len()).sum(),
        }
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kg::{KgSource, load_sources};
    use crate::vfs::MemFs;

    fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        for (p, t) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, t).unwrap();
        }
        let config = Config {
            roots: vec![dir.path().to_path_buf()],
            sources: vec![KgSource { path: dir.path().join("kg") }],
            completion_limit: 50,
            symbol_limit: 50,
            monitor: Default::default(),
            hover_max_length: DEFAULT_HOVER_MAX_LENGTH,
            search: Default::default(),
            checks: Default::default(),
            navigation: Default::default(),
        };
        let (kg_files, _) = load_sources(&config.sources, &mut |_, _| {});
        let kg_files = kg_files.into_iter().map(Arc::new).collect();
        let ws = Workspace::new(config, Loaded { kg_files, ..Default::default() });
        (dir, ws)
    }

    fn labels(a: &Analysis, text: &str) -> Vec<String> {
        a.completions(text, text.len(), 10).items.iter().map(|i| format!("{} ({})", i.term, i.canonical)).collect()
    }

    #[test]
    fn edits_go_through_a_delta_that_matches_a_full_rebuild() {
        let (dir, mut ws) = workspace(&[("kg/tokio.md", "# tokio\nsynonyms:: tokio rt\n"), ("kg/toml.md", "# toml\n")]);
        let path = dir.path().join("kg/tokio.md");
        let before = ws.completion_analysis();
        assert_eq!(labels(&before, "to"), ["toml (toml)", "tokio (tokio)", "tokio rt (tokio)"]);
        ws.documents.open("u".into(), Document::new("# tokio\nsynonyms:: tokyo\n".into(), 1, Some(path.clone())));
        ws.document_changed(&path);
        let delta = ws.completion_analysis();
        assert!(delta.completion.has_delta());
        let main_before = Arc::as_ptr(&before.completion.main);
        assert_eq!(Arc::as_ptr(&delta.completion.main), main_before, "the main index was not rebuilt");
        let with_delta = labels(&delta, "to");
        // A background rebuild gives the same answers from a fresh main index.
        let job = ws.rebuild_job();
        assert!(ws.install(job.run()));
        let full = ws.completion_analysis();
        assert!(!full.completion.has_delta());
        assert_eq!(with_delta, labels(&full, "to"));
        assert!(
            with_delta.contains(&"tokyo (tokio)".to_string()) && !with_delta.contains(&"tokio rt (tokio)".to_string())
        );
    }

    #[test]
    fn typing_prose_keeps_the_heading_index_and_a_new_heading_rebuilds_it() {
        let (dir, mut ws) = workspace(&[("kg/tokio.md", "# tokio\n"), ("docs/a.md", "# Notes\n")]);
        let path = dir.path().join("docs/a.md");
        let before = ws.analysis(true).headings;
        ws.documents.open("a".into(), Document::new("# Notes\n".into(), 1, Some(path.clone())));
        ws.document_changed(&path);
        let opened = ws.analysis(true).headings;
        ws.documents.get_mut("a").unwrap().edit(Some(8..8), "some prose");
        ws.document_changed(&path);
        assert!(Arc::ptr_eq(&opened, &ws.analysis(true).headings), "prose does not rebuild");
        ws.documents.get_mut("a").unwrap().edit(Some(8..8), "\n## Tuning\n");
        ws.document_changed(&path);
        let after = ws.analysis(true).headings;
        assert!(!Arc::ptr_eq(&opened, &after));
        assert_eq!(after.map.get("tuning").len(), 1);
        assert_eq!(opened.map.get("notes").len(), 1);
        assert!(before.map.is_empty(), "the helper reads no documents from disk");
    }

    /// A search answer cached for the disk's text (while loading, or by the last run) is not
    /// one for the open buffers: a load under an edited buffer has another generation.
    #[test]
    fn a_load_under_open_buffers_has_the_generation_of_the_buffers() {
        let (dir, mut ws) = workspace(&[("kg/tokio.md", "# tokio\n"), ("docs/a.md", "# Notes\n")]);
        let reload = |ws: &mut Workspace| {
            let config = ws.config.clone().unwrap();
            let kg_files = ws.kg_files.iter().map(|f| f.0.clone()).collect();
            ws.set_loaded(config, Loaded { kg_files, ..Default::default() });
            ws.generation()
        };
        let disk = reload(&mut ws);
        assert_eq!(reload(&mut ws), disk, "the same sources, the same generation");
        let path = dir.path().join("docs/a.md");
        ws.documents.open("a".into(), Document::new("# Beta\n".into(), 1, Some(path)));
        let edited = reload(&mut ws);
        assert_ne!(edited, disk);
        assert_eq!(reload(&mut ws), edited);
        ws.documents.close("a");
        assert_eq!(reload(&mut ws), disk);
    }

    #[test]
    fn a_rebuild_overtaken_by_edits_is_installed_and_keeps_them_in_the_delta() {
        let (dir, mut ws) = workspace(&[("kg/tokio.md", "# tokio\n"), ("kg/toml.md", "# toml\n")]);
        let (tokio, toml) = (dir.path().join("kg/tokio.md"), dir.path().join("kg/toml.md"));
        let open = |ws: &mut Workspace, uri: &str, path: &Path, text: &str| {
            ws.documents.open(uri.into(), Document::new(text.into(), 1, Some(path.to_path_buf())));
            ws.document_changed(path);
        };
        // Each step: the edits made while a rebuild runs, and what completion and the graph
        // say once it is installed.
        let mut steps = Vec::new();
        open(&mut ws, "t", &tokio, "# tokio\nsynonyms:: a1\n");
        let job = ws.rebuild_job();
        ws.documents.get_mut("t").unwrap().edit(None, "# tokio\nsynonyms:: b2\n");
        ws.document_changed(&tokio);
        open(&mut ws, "m", &toml, "# toml\nsynonyms:: b3\n");
        let installed = ws.install(job.run());
        let describe = |ws: &mut Workspace, installed: bool| {
            let a = ws.completion_analysis();
            let graph: Vec<String> = a.graph.concepts().flat_map(|(_, c)| c.terms().map(str::to_string)).collect();
            format!(
                "installed {installed}, delta of {} files: a → {:?}, b → {:?}; the full build's terms {graph:?}",
                ws.pending_change_count(),
                labels(&a, "a"),
                labels(&a, "b"),
            )
        };
        steps.push(describe(&mut ws, installed));
        let job = ws.rebuild_job();
        let installed = ws.install(job.run());
        steps.push(describe(&mut ws, installed));
        // A rebuild taken before a fresh load is not installed: the load replaced its files.
        open(&mut ws, "t", &tokio, "# tokio\nsynonyms:: c4\n");
        let job = ws.rebuild_job();
        let config = ws.config.clone().unwrap();
        let (kg_files, _) = crate::kg::load_sources(&config.sources, &mut |_, _| {});
        ws.set_loaded(config, Loaded { kg_files: kg_files.into_iter().map(Arc::new).collect(), ..Default::default() });
        let installed = ws.install(job.run());
        steps.push(describe(&mut ws, installed));
        expect_test::expect![[r#"
            [
                "installed true, delta of 2 files: a → [], b → [\"b2 (tokio)\", \"b3 (toml)\"]; the full build's terms [\"tokio\", \"a1\", \"toml\"]",
                "installed true, delta of 0 files: a → [], b → [\"b2 (tokio)\", \"b3 (toml)\"]; the full build's terms [\"tokio\", \"b2\", \"toml\", \"b3\"]",
                "installed false, delta of 0 files: a → [], b → [\"b3 (toml)\"]; the full build's terms [\"tokio\", \"c4\", \"toml\", \"b3\"]",
            ]
        "#]]
        .assert_debug_eq(&steps);
    }

    /// A workspace on files in memory (nothing on disk): `/ws` is its root, `/ws/kg` a source
    /// folder and `/ws/one.json` a source file.
    fn in_memory(files: &[(&str, &str)]) -> (Arc<MemFs>, Workspace) {
        let fs = Arc::new(MemFs::with(files.iter().copied()));
        let config = Config {
            roots: vec![PathBuf::from("/ws")],
            sources: vec![KgSource { path: "/ws/kg".into() }, KgSource { path: "/ws/one.json".into() }],
            completion_limit: 50,
            symbol_limit: 50,
            monitor: Default::default(),
            hover_max_length: DEFAULT_HOVER_MAX_LENGTH,
            search: Default::default(),
            checks: Default::default(),
            navigation: Default::default(),
        };
        let kg_files = files
            .iter()
            .map(|(p, _)| Path::new(p))
            .filter(|p| kind_of(p).is_some() && config.sources.iter().any(|s| p.starts_with(&s.path)))
            .map(|p| Arc::new(crate::kg::load_file(&*fs, p)))
            .collect();
        let ws = Workspace::with_files(fs.clone(), config, Loaded { kg_files, ..Default::default() });
        (fs, ws)
    }

    #[test]
    fn sources_and_documents_are_told_apart_by_the_configuration_alone() {
        // Nothing of this exists on disk: no stat can decide, the configuration does.
        let (_, ws) = in_memory(&[("/ws/kg/tokio.md", "# tokio\n")]);
        let kinds: Vec<String> = [
            "/ws/kg/tokio.md",
            "/ws/kg/new/deep.json",
            "/ws/kg/notes.txt",
            "/ws/kgx/a.md",
            "/ws/one.json",
            "/ws/one.json/x.md",
            "/ws/docs/a.md",
            "/elsewhere/a.md",
        ]
        .iter()
        .map(|p| {
            let p = Path::new(p);
            let kind = match (ws.is_kg_path(p), ws.is_doc_path(p)) {
                (true, false) => "source",
                (false, true) => "document",
                (false, false) => "neither",
                (true, true) => "both",
            };
            format!("{} {kind}", p.display())
        })
        .collect();
        expect_test::expect![[r#"
            [
                "/ws/kg/tokio.md source",
                "/ws/kg/new/deep.json source",
                "/ws/kg/notes.txt neither",
                "/ws/kgx/a.md document",
                "/ws/one.json source",
                "/ws/one.json/x.md source",
                "/ws/docs/a.md document",
                "/elsewhere/a.md neither",
            ]
        "#]]
        .assert_debug_eq(&kinds);
    }

    #[test]
    fn a_hover_shows_the_open_buffer_over_the_file_it_was_built_from() {
        let path = Path::new("/ws/kg/tokio.md");
        let (_, mut ws) = in_memory(&[("/ws/kg/tokio.md", "# tokio\n\nOn disk.\n")]);
        let hover = |ws: &mut Workspace| {
            // The last full build, as a hover on a large graph reads it before its rebuild.
            let a = ws.completion_analysis();
            let hit = a.hover("tokio", 0).expect("a term");
            a.render_hover(&hit, crate::render::Format::PlainText, &*ws.files())
        };
        assert!(hover(&mut ws).ends_with("On disk.\n"), "{}", hover(&mut ws));
        ws.documents.open("u".into(), Document::new("# tokio\n\nIn the buffer.\n".into(), 1, Some(path.into())));
        ws.document_changed(path);
        assert!(hover(&mut ws).ends_with("In the buffer.\n"), "{}", hover(&mut ws));
        ws.documents.get_mut("u").unwrap().edit(None, "# tokio\n\nTyped further.\n");
        ws.document_changed(path);
        assert!(hover(&mut ws).ends_with("Typed further.\n"), "{}", hover(&mut ws));
        ws.documents.close("u");
        ws.document_changed(path);
        assert!(hover(&mut ws).ends_with("On disk.\n"), "{}", hover(&mut ws));
    }

    #[test]
    fn a_change_on_disk_is_read_through_the_hosts_files() {
        let path = Path::new("/ws/kg/tokio.md");
        let (fs, mut ws) = in_memory(&[("/ws/kg/tokio.md", "# tokio\n"), ("/ws/docs/a.md", "# Notes\n")]);
        assert_eq!(labels(&ws.completion_analysis(), "to"), ["tokio (tokio)"]);
        fs.write(path, "# tokio\nsynonyms:: tokyo\n");
        assert!(ws.reload_from_disk(path).is_empty());
        assert_eq!(labels(&ws.analysis(false), "to"), ["tokio (tokio)", "tokyo (tokio)"]);
        fs.write("/ws/kg/bad.md", b"# bad\ncaf\xe9\n");
        let problems = ws.reload_from_disk(Path::new("/ws/kg/bad.md"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().starts_with("/ws/kg/bad.md:2: invalid UTF-8"), "{}", problems[0]);
        fs.remove(path);
        ws.reload_from_disk(path);
        assert_eq!(labels(&ws.analysis(false), "to"), Vec::<String>::new());
        ws.reload_from_disk(Path::new("/ws/docs/a.md"));
        assert_eq!(ws.stats().documents, 1);
        fs.remove(Path::new("/ws/docs/a.md"));
        ws.reload_from_disk(Path::new("/ws/docs/a.md"));
        assert_eq!(ws.stats().documents, 0);
    }
}
