//! The mutable host behind every snapshot: configuration, parsed sources, open documents.
//!
//! [`Workspace`] keeps what was read from disk (knowledge-graph files, document headings) and
//! the documents open in the editor, which win over the disk. [`Workspace::analysis`] returns an
//! immutable [`Analysis`], rebuilt lazily and only for the parts that changed. The functions that
//! read the disk ([`load`], [`load_config_file`], [`scan_documents`]) are explicit; everything
//! else is pure. No protocol types, no async runtime.

mod config;
mod documents;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{
    CONFIG_FILE, Config, DEFAULT_COMPLETION_LIMIT, DEFAULT_SYMBOL_LIMIT, KgSettings, LimitSettings, SearchConfig,
    SearchSettings, Settings, parse_settings, resolve,
};
pub use documents::{Document, Documents};

use crate::analysis::Analysis;
use crate::index::{DocHeadings, HeadingIndex, extract_headings};
use crate::kg::{Graph, KgFile, MAX_FILE_BYTES, Problem, kind_of, load_sources, parse};

/// Markdown documents larger than this are not scanned for headings.
const MAX_DOC_BYTES: u64 = 4 << 20;

/// Everything the server knows about one workspace.
#[derive(Debug, Default)]
pub struct Workspace {
    pub config: Option<Config>,
    kg_files: BTreeMap<PathBuf, Arc<KgFile>>,
    doc_headings: BTreeMap<PathBuf, DocHeadings>,
    pub documents: Documents,
    analysis: Analysis,
    graph_dirty: bool,
    headings_dirty: bool,
    generation: u64,
    changes: u64,
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
    pub kg_files: Vec<KgFile>,
    pub docs: Vec<DocHeadings>,
    pub problems: Vec<Problem>,
}

impl Workspace {
    pub fn new(config: Config, loaded: Loaded) -> Workspace {
        let mut ws = Workspace::default();
        ws.set_loaded(config, loaded);
        ws
    }

    /// Replaces configuration and sources with a fresh load; open documents stay.
    pub fn set_loaded(&mut self, config: Config, loaded: Loaded) {
        self.config = Some(config);
        self.kg_files = loaded.kg_files.into_iter().map(|f| (f.path.clone(), Arc::new(f))).collect();
        self.doc_headings = loaded.docs.into_iter().map(|d| (d.path.clone(), d)).collect();
        self.graph_dirty = true;
        self.headings_dirty = true;
        self.generation = self.fingerprint();
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
        for (path, file) in &self.kg_files {
            path.hash(&mut h);
            format!("{:?}", file.concepts).hash(&mut h);
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

    /// Whether `path` is a markdown document of a workspace root.
    pub fn is_doc_path(&self, path: &Path) -> bool {
        let Some(config) = &self.config else { return false };
        is_markdown(path) && config.roots.iter().any(|r| path.starts_with(r))
    }

    /// Records that the open document at `path` changed, so the next analysis re-reads it.
    pub fn document_changed(&mut self, path: &Path) {
        self.graph_dirty |= self.is_kg_path(path);
        self.headings_dirty |= self.is_doc_path(path);
        self.bump();
    }

    /// Replaces a file's on-disk state (after a save, a close or a change on disk).
    pub fn reload_from_disk(&mut self, path: &Path) -> Vec<Problem> {
        self.bump();
        let mut problems = Vec::new();
        if self.is_kg_path(path) {
            if path.exists() {
                let file = crate::kg::load_file(path);
                problems.extend(file.problems.iter().cloned());
                self.kg_files.insert(path.to_path_buf(), Arc::new(file));
            } else {
                self.kg_files.remove(path);
            }
            self.graph_dirty = true;
        }
        if self.is_doc_path(path) {
            match read_doc(path) {
                Some(d) => {
                    self.doc_headings.insert(path.to_path_buf(), d);
                }
                None => {
                    self.doc_headings.remove(path);
                }
            }
            self.headings_dirty = true;
        }
        problems
    }

    /// Problems of the current sources, open documents included.
    pub fn problems(&self) -> Vec<Problem> {
        self.kg_files.values().flat_map(|f| f.problems.iter().cloned()).collect()
    }

    /// An immutable snapshot. The graph is rebuilt when a source changed; headings only when
    /// `with_headings` asks for them (completion and hover never wait for a heading rebuild).
    pub fn analysis(&mut self, with_headings: bool) -> Analysis {
        let overlays: Vec<(PathBuf, Arc<String>)> =
            self.documents.iter().filter_map(|(_, d)| Some((d.path.clone()?, d.text.clone()))).collect();
        if with_headings && self.headings_dirty {
            let mut docs = self.doc_headings.clone();
            for (path, text) in &overlays {
                if self.is_doc_path(path) {
                    docs.insert(path.clone(), DocHeadings { path: path.clone(), headings: extract_headings(text) });
                }
            }
            self.analysis.headings = Arc::new(HeadingIndex::build(docs.values()));
            self.headings_dirty = false;
        }
        if self.graph_dirty {
            let mut files: BTreeMap<&Path, Arc<KgFile>> =
                self.kg_files.iter().map(|(p, f)| (p.as_path(), f.clone())).collect();
            for (path, text) in &overlays {
                if self.is_kg_path(path) {
                    let kind = kind_of(path).expect("kg paths have a kind");
                    files.insert(path.as_path(), Arc::new(parse(path, kind, text)));
                }
            }
            let graph = Graph::build(files.values().map(|f| f.as_ref()));
            self.analysis = Analysis::new(Arc::new(graph), self.analysis.headings.clone());
            self.graph_dirty = false;
        }
        self.analysis.clone()
    }

    pub fn stats(&mut self) -> Stats {
        let a = self.analysis(true);
        Stats {
            kg_files: self.kg_files.len(),
            concepts: a.graph.len(),
            terms: a.graph.term_count(),
            documents: self.doc_headings.len(),
            headings: self.doc_headings.values().map(|d| d.headings.len()).sum(),
        }
    }
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
    let (files, mut problems) = load_config_file(roots);
    let (config, more) = resolve(roots, client, &files, &|p| p.exists());
    problems.extend(more);
    let (kg_files, more) = load_sources(&config.sources, &mut |done, total| progress("knowledge graph", done, total));
    problems.extend(more);
    problems.extend(kg_files.iter().flat_map(|f| f.problems.iter().cloned()));
    let docs = scan_documents(roots, &mut |done, total| progress("documents", done, total));
    (config, Loaded { kg_files, docs, problems })
}

/// Reads the headings of every markdown document under `roots`, honouring `.gitignore`.
pub fn scan_documents(roots: &[PathBuf], progress: &mut dyn FnMut(usize, usize)) -> Vec<DocHeadings> {
    let mut paths = Vec::new();
    for root in roots {
        for entry in ignore::WalkBuilder::new(root).build().flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) && is_markdown(entry.path()) {
                paths.push(entry.into_path());
            }
        }
    }
    paths.sort();
    let total = paths.len();
    let mut docs = Vec::with_capacity(total);
    for (i, path) in paths.iter().enumerate() {
        docs.extend(read_doc(path));
        if (i + 1) % 64 == 0 || i + 1 == total {
            progress(i + 1, total);
        }
    }
    docs
}

fn hash_of(v: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

fn read_doc(path: &Path) -> Option<DocHeadings> {
    let len = std::fs::metadata(path).ok()?.len();
    if len > MAX_DOC_BYTES.min(MAX_FILE_BYTES) {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(DocHeadings { path: path.to_path_buf(), headings: extract_headings(&text) })
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}
