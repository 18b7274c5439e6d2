//! The mutable host behind every snapshot: configuration, parsed sources, open documents.
//!
//! [`Workspace`] keeps what was read from disk (knowledge-graph files, document headings) and
//! the documents open in the editor, which win over the disk. [`Workspace::analysis`] returns an
//! immutable [`Analysis`], rebuilt lazily and only for the parts that changed. The functions that
//! read the disk ([`load`], [`load_config_file`], [`scan_documents`]) are explicit; everything
//! else is pure. No protocol types, no async runtime.

mod config;
mod documents;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{
    CONFIG_FILE, Config, DEFAULT_COMPLETION_LIMIT, DEFAULT_HOVER_MAX_LENGTH, DEFAULT_SYMBOL_LIMIT, HoverSettings,
    KgSettings, LimitSettings, MonitorSettings, SearchConfig, SearchSettings, Settings, parse_settings, read_settings,
    resolve, settings_from_json,
};
pub use documents::{Document, Documents};

use crate::analysis::{Analysis, Feedback, build_completion_index};
use crate::cache::hash_of;
use crate::index::LayeredIndex;
use crate::index::{DocHeadings, HeadingIndex, TermIndex, extract_headings};
use crate::kg::{Graph, KgFile, MAX_FILE_BYTES, Problem, kind_of, load_sources, parse};
use crate::render::{RenderConfig, Renderer};

/// Markdown documents larger than this are not scanned for headings.
const MAX_DOC_BYTES: u64 = 4 << 20;

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
    /// Knowledge-graph files changed since the last full build.
    changed: BTreeSet<PathBuf>,
    /// The completion-only snapshot with a delta for `changed`, until the next change.
    delta: Option<Analysis>,
    /// Bumped by every change to a knowledge-graph source.
    kg_generation: u64,
    /// Everything must be rebuilt (a fresh load).
    needs_full: bool,
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
}

/// Graphs with more terms than this are not rebuilt on the request path after an edit: hover
/// and symbols use the last full build until a background rebuild lands (completion sees the
/// edit at once through its delta). A full build takes about 7 µs a term on the 2-core
/// machine: a hover right after a save waited 1.06 s at 150k terms when this was 200k; at
/// 10k the wait is under 100 ms, once per edit.
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
}

/// A finished rebuild, to be installed with [`Workspace::install`].
pub struct Rebuilt {
    analysis: Analysis,
    generation: u64,
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
        let graph = Graph::build(&files);
        let analysis = Analysis::with_ranking(Arc::new(graph), self.headings, &self.occurrences, self.feedback)
            .with_renderer(self.renderer);
        Rebuilt { analysis, generation: self.generation }
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
}

impl Workspace {
    pub fn new(config: Config, loaded: Loaded) -> Workspace {
        let mut ws = Workspace::default();
        ws.set_loaded(config, loaded);
        ws
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
        self.headings_dirty = true;
        self.generation = self.fingerprint();
        self.disk_headings_changed = true;
        // Reuse the graph the load built, unless an open buffer must replace one of its files.
        let overlaid = self.documents.iter().any(|(_, d)| d.path.as_deref().is_some_and(|p| self.is_kg_path(p)));
        if let Some((graph, terms)) = loaded.built.filter(|_| !overlaid) {
            let analysis = Analysis::from_parts(
                graph,
                terms,
                self.analysis.headings.clone(),
                &self.occurrences,
                self.feedback.clone(),
            )
            .with_renderer(self.renderer.clone());
            self.install(Rebuilt { analysis, generation: self.kg_generation });
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
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for ByPath(file) in self.kg_files.iter() {
            file.path.hash(&mut h);
            file.concepts.hash(&mut h);
            file.definitions.hash(&mut h);
        }
        for d in self.doc_headings.values() {
            d.path.hash(&mut h);
            d.headings.hash(&mut h);
        }
        h.finish()
    }

    /// Whether `path` is a knowledge-graph source: a configured file, or a concept or
    /// thesaurus file inside a configured folder.
    pub fn is_kg_path(&self, path: &Path) -> bool {
        let Some(config) = &self.config else { return false };
        kind_of(path).is_some()
            && config.sources.iter().any(|s| path == s.path || path.starts_with(&s.path) && s.path.is_dir())
    }

    /// Whether `path` is a markdown document of a workspace root. Concept files are not: their
    /// headings are the concepts themselves, already searched and counted as such.
    pub fn is_doc_path(&self, path: &Path) -> bool {
        let Some(config) = &self.config else { return false };
        is_markdown(path) && config.roots.iter().any(|r| path.starts_with(r)) && !self.is_kg_path(path)
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
        self.changed.insert(path.to_path_buf());
        self.delta = None;
        self.kg_generation += 1;
    }

    /// Bumped by every change to a knowledge-graph source.
    pub fn kg_generation(&self) -> u64 {
        self.kg_generation
    }

    /// Replaces a file's on-disk state (after a save, a close or a change on disk), reading
    /// it now. The main loop reads with [`read_from_disk`] on a worker and applies the result
    /// with [`Workspace::apply_disk_read`] instead.
    pub fn reload_from_disk(&mut self, path: &Path) -> Vec<Problem> {
        let read = read_from_disk(path, self.is_kg_path(path), self.is_doc_path(path));
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
    pub fn loaded(&self) -> bool {
        self.config.is_some()
    }

    /// Accepted completions, shared by every snapshot.
    pub fn feedback(&self) -> Arc<Feedback> {
        self.feedback.clone()
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
            let overlays: BTreeMap<PathBuf, DocHeadings> = self
                .documents
                .iter()
                .filter_map(|(_, d)| d.path.as_ref().filter(|p| self.is_doc_path(p)).map(|p| (p, &d.text)))
                .map(|(path, text)| {
                    (path.clone(), DocHeadings { path: path.clone(), headings: extract_headings(text) })
                })
                .collect();
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
        for path in &self.changed {
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
        }
    }

    /// Installs a rebuild unless a change arrived since its job was taken; returns whether it
    /// was installed.
    pub fn install(&mut self, rebuilt: Rebuilt) -> bool {
        self.replace_analysis(rebuilt).is_some()
    }

    /// [`Workspace::install`], handing back the analysis it replaced, so that the caller can
    /// free a large graph somewhere else than on its own thread.
    pub fn replace_analysis(&mut self, rebuilt: Rebuilt) -> Option<Analysis> {
        if rebuilt.generation != self.kg_generation {
            return None;
        }
        let new = Analysis { headings: self.analysis.headings.clone(), ..rebuilt.analysis };
        let old = std::mem::replace(&mut self.analysis, new);
        self.changed.clear();
        self.delta = None;
        self.needs_full = false;
        Some(old)
    }

    /// Whether edits wait for a background rebuild.
    pub fn has_pending_changes(&self) -> bool {
        !self.changed.is_empty()
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

/// The cache file of one knowledge graph's completion index.
#[derive(Clone, Debug)]
pub struct IndexFile {
    pub path: PathBuf,
    /// Names the graph (its configured sources) across changes to its files.
    pub scope: u64,
}

/// A persisted completion index found (or not) for the current sources.
#[derive(Default)]
pub struct Persisted {
    /// Where the index of the current sources goes, when there is a cache directory to use.
    pub file: Option<IndexFile>,
    pub index: Option<crate::index::CompletionIndex>,
    /// Why a file that was there was not used.
    pub refused: Option<String>,
}

/// Opens the persisted completion index for the sources this configuration names, if one
/// exists and is intact; reads no source contents (only their sizes and times).
pub fn open_persisted(roots: &[PathBuf], client: Option<&Settings>) -> Persisted {
    let Some(dir) = crate::cache::cache_dir() else { return Persisted::default() };
    let (files, _) = load_config_file(roots);
    let (config, _) = resolve(roots, client, &files, &|p| p.exists());
    let fp = crate::index::persist::fingerprint(&config.sources);
    let scope = hash_of(&config.sources);
    let path = crate::index::persist::index_path(&dir, scope, fp);
    let mut p = Persisted { file: Some(IndexFile { path: path.clone(), scope }), ..Default::default() };
    if path.exists() {
        match crate::index::persist::open(&path) {
            Ok(index) => p.index = Some(index),
            Err(e) => p.refused = Some(format!("{}: {e}", path.display())),
        }
    }
    p
}

/// Saves the completion index (to the file [`open_persisted`] named) and removes the indexes it
/// replaces, so the cache directory does not grow with every edit of the graph.
pub fn save_persisted(index: &crate::index::CompletionIndex, file: &IndexFile) -> std::io::Result<()> {
    crate::index::persist::save(index, &file.path)?;
    if let Some(dir) = file.path.parent() {
        crate::index::persist::remove_stale(dir, &file.path, file.scope);
    }
    Ok(())
}

/// Reads each root's `.kg-ls.toml`, where there is one.
pub fn load_config_file(roots: &[PathBuf]) -> (Vec<(PathBuf, Settings)>, Vec<Problem>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for root in roots {
        let path = root.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_settings(&path, &text) {
                Ok(s) => found.push((root.clone(), s)),
                Err(p) => problems.push(p),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(Problem { path, line: None, message: format!("cannot read: {e}") }),
        }
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
    load_graph_and(roots, client, progress, &mut |_| {})
}

/// [`load_graph`], running `alongside` on the graph as soon as it is built, on this thread
/// while another builds the term index: on two cores, an early completion index
/// ([`early_analysis`]) is then ready about when the term index is, not after it.
pub fn load_graph_and(
    roots: &[PathBuf],
    client: Option<&Settings>,
    progress: Progress<'_>,
    alongside: &mut (dyn FnMut(&Arc<Graph>) + '_),
) -> (Config, Loaded) {
    let started = std::time::Instant::now();
    let (files, mut problems) = load_config_file(roots);
    let (config, more) = resolve(roots, client, &files, &|p| p.exists());
    problems.extend(more);
    let (mut kg_files, more) =
        load_sources(&config.sources, &mut |done, total| progress("knowledge graph", done, total));
    problems.extend(more);
    problems.extend(kg_files.iter().flat_map(|f| f.problems.iter().cloned()));
    // In path order, one file once: the order a workspace builds its graph in.
    kg_files.sort_by(|a, b| a.path.cmp(&b.path));
    kg_files.dedup_by(|a, b| a.path == b.path);
    let kg_files: Vec<Arc<KgFile>> = kg_files.into_iter().map(Arc::new).collect();
    let parsed = started.elapsed();
    let graph = Arc::new(Graph::build(&kg_files));
    let built = started.elapsed();
    let terms = std::thread::scope(|s| {
        let terms = s.spawn(|| TermIndex::build(&graph));
        alongside(&graph);
        tracing::debug!("load: beside the term index after {:?}", started.elapsed());
        terms.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    tracing::debug!("load: sources read and parsed {parsed:?}, graph built {built:?}, indexed {:?}", started.elapsed());
    let terms = Arc::new(terms);
    (config, Loaded { kg_files, problems, built: Some((graph, terms)), ..Default::default() })
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

/// Adds every longest term occurrence in `text` to `counts`, indexed by key number in
/// `terms` (grown as needed).
pub fn count_terms(terms: &TermIndex, text: &str, counts: &mut Vec<u64>) {
    if terms.map.is_empty() {
        return;
    }
    let mut prev_word = false;
    let mut skip_to = 0;
    let at_boundary = |end: usize| !text[end..].chars().next().is_some_and(crate::text::is_word_char);
    for (i, c) in text.char_indices() {
        let word = crate::text::is_word_char(c);
        if word
            && !prev_word
            && i >= skip_to
            && let Some((end, k)) = terms.map.longest_at(text, i, at_boundary)
        {
            if counts.len() <= k as usize {
                counts.resize(terms.map.len(), 0);
            }
            counts[k as usize] += 1;
            skip_to = end;
        }
        prev_word = word;
    }
}

/// Reads the headings of every markdown document under `roots`, honouring `.gitignore`, on
/// every core; with `terms`, also counts their occurrences ([`count_terms`]) and returns the
/// counts by key number. Knowledge-graph `sources` are not documents: a source folder is not
/// walked at all (625k concept files took 30 s and 160 MB to read a second time).
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
            if let Some(d) = read_doc_with(&paths[i], visit) {
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

/// A file as the disk has it now, read for [`Workspace::apply_disk_read`]: `kg` when it is a
/// knowledge-graph source, `doc` when it is a document (`Some(None)`: gone or unreadable).
#[derive(Debug, Default)]
pub struct DiskRead {
    kg: Option<Option<KgFile>>,
    doc: Option<Option<DocHeadings>>,
}

/// Reads `path` as a knowledge-graph source (`kg`) and/or as a document (`doc`).
pub fn read_from_disk(path: &Path, kg: bool, doc: bool) -> DiskRead {
    DiskRead { kg: kg.then(|| path.exists().then(|| crate::kg::load_file(path))), doc: doc.then(|| read_doc(path)) }
}

fn read_doc(path: &Path) -> Option<DocHeadings> {
    read_doc_with(path, &mut |_| {})
}

fn read_doc_with(path: &Path, visit: &mut dyn FnMut(&str)) -> Option<DocHeadings> {
    let len = std::fs::metadata(path).ok()?.len();
    if len > MAX_DOC_BYTES.min(MAX_FILE_BYTES) {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    visit(&text);
    Some(DocHeadings { path: path.to_path_buf(), headings: extract_headings(&text) })
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kg::KgSource;

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
    fn documents_count_the_longest_whole_term_at_each_word() {
        let (dir, _) = workspace(&[
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
        let (config, mut loaded) = load_graph_and(std::slice::from_ref(&root), None, &mut |_, _, _| {}, &mut |g| {
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

    #[test]
    fn a_rebuild_overtaken_by_an_edit_is_not_installed() {
        let (dir, mut ws) = workspace(&[("kg/tokio.md", "# tokio\n")]);
        let path = dir.path().join("kg/tokio.md");
        ws.documents.open("u".into(), Document::new("# tokio\nsynonyms:: a1\n".into(), 1, Some(path.clone())));
        ws.document_changed(&path);
        let job = ws.rebuild_job();
        ws.documents.get_mut("u").unwrap().edit(None, "# tokio\nsynonyms:: b2\n");
        ws.document_changed(&path);
        assert!(!ws.install(job.run()));
        assert_eq!(labels(&ws.completion_analysis(), "b"), ["b2 (tokio)"]);
    }
}
