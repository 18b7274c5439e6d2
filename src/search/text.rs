//! Full-text search of the workspace through its [`TextIndex`]: what goes in, keeping the
//! index in step with the files, knowledge-base search with snippets, and the full-text part
//! of `workspace/symbol`.
//!
//! - **What goes in** ([`wanted`]): the documents under the workspace roots that the
//!   [`DocFilter`] admits (markdown and plain text by default, `.gitignore` honoured by the
//!   walk), and the graph's markdown concept files, as concepts: their `key::` lines are
//!   blanked, so a hit is the concept's definition, never a raw `synonyms::` line.
//! - **Keeping in step** ([`plan`], [`apply`]): each file's [`Stamp`] is compared with the one
//!   indexed; only new and changed files are read and indexed, removed ones are deleted.
//!   Work is committed in steps, so a cancelled or interrupted update keeps what it did.
//! - **Searching** ([`knowledge_search`], [`TextService`]): the index ranks the paths; each
//!   hit's text is read as it is now (an open buffer wins over the disk) to find its matches
//!   and snippets, in byte offsets of that text.
//!
//! Reads files only through the [`Vfs`] it is given; knows no protocol types.

use std::collections::HashMap;
use std::ops::{ControlFlow, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{Cancel, Control, Hit, HitKind, Quality, Query, SearchService, Stop};
use crate::index::TermIndex;
use crate::kg::Graph;
use crate::textindex::snippet::snippets;
use crate::textindex::{DocKind, Expanded, Named, Snippet, TextDoc, TextError, TextIndex, TextQuery};
use crate::vfs::{Stamp, Vfs};

/// Files larger than this are not indexed.
pub const MAX_DOC_BYTES: u64 = 1 << 20;
/// An update commits after this many documents, so its work so far is kept and searchable.
const COMMIT_EVERY: usize = 4096;
/// Snippets shown per document.
const SNIPPETS: usize = 3;
/// Full-text hits a `workspace/symbol` answer holds at most, after concepts and headings.
pub const MAX_SYMBOL_TEXT_HITS: usize = 32;

/// The default globs of the documents that are indexed.
pub const DEFAULT_INCLUDE: &[&str] = &["**/*.md", "**/*.markdown", "**/*.txt"];
/// The default globs of files that are never indexed, even when included.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    "**/LICENSE*",
    "**/LICENCE*",
    "**/COPYING*",
    "**/NOTICE*",
    "**/node_modules/**",
    "**/target/**",
    "**/dist/**",
    "**/build/**",
];

/// Which files under a root are documents to index: paths relative to the root.
#[derive(Clone, Debug)]
pub struct DocFilter {
    include: GlobSet,
    exclude: GlobSet,
}

impl Default for DocFilter {
    fn default() -> Self {
        DocFilter::new(DEFAULT_INCLUDE, DEFAULT_EXCLUDE).expect("the default globs are valid")
    }
}

impl DocFilter {
    /// A filter of `include` globs less `exclude` globs; the error names the glob that is not
    /// one.
    pub fn new(include: &[impl AsRef<str>], exclude: &[impl AsRef<str>]) -> Result<DocFilter, String> {
        fn set(globs: &[impl AsRef<str>]) -> Result<GlobSet, String> {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                let g = g.as_ref();
                b.add(Glob::new(g).map_err(|e| format!("{g:?} is not a glob: {e}"))?);
            }
            b.build().map_err(|e| e.to_string())
        }
        Ok(DocFilter { include: set(include)?, exclude: set(exclude)? })
    }

    /// Whether the file at `relative` (to its root) is a document to index.
    pub fn admits(&self, relative: &Path) -> bool {
        self.include.is_match(relative) && !self.exclude.is_match(relative)
    }
}

pub use crate::text::is_binary;

/// A number that changes when the file does.
pub fn stamp_key(s: &Stamp) -> u64 {
    crate::cache::hash_of(&(s.len, s.modified, s.content))
}

/// Every file the index should hold now, with its kind and stamp: the graph's markdown files
/// and any other markdown file under its `sources` as concepts, and the documents under the
/// roots that `filter` admits.
pub fn wanted(
    files: &dyn Vfs,
    roots: &[PathBuf],
    sources: &[PathBuf],
    graph: &Graph,
    filter: &DocFilter,
    cancel: &Cancel,
) -> Result<HashMap<PathBuf, (DocKind, u64)>, super::Cancelled> {
    let mut out = HashMap::new();
    for path in graph.file_paths() {
        if crate::kg::kind_of(path) == Some(crate::kg::SourceKind::Markdown)
            && let Some(s) = files.stamp(path)
        {
            out.insert(path.to_path_buf(), (DocKind::Concept, stamp_key(&s)));
        }
    }
    for root in roots {
        files.walk_files(root, &mut |path| {
            if cancel.is_cancelled() {
                return ControlFlow::Break(());
            }
            let relative = path.strip_prefix(root).unwrap_or(path);
            let concept = sources.iter().any(|s| path.starts_with(s))
                && crate::kg::kind_of(path) == Some(crate::kg::SourceKind::Markdown);
            if (concept || filter.admits(relative))
                && !out.contains_key(path)
                && let Some(s) = files.stamp(path)
            {
                let kind = if concept { DocKind::Concept } else { DocKind::Document };
                out.insert(path.to_path_buf(), (kind, stamp_key(&s)));
            }
            ControlFlow::Continue(())
        });
    }
    if cancel.is_cancelled() { Err(super::Cancelled) } else { Ok(out) }
}

/// The update for the files at `paths` alone (saved, changed on disk, edited): each is
/// indexed when it is wanted (a markdown file under one of the knowledge graph's `sources`, as
/// a concept, even one the graph has not been rebuilt with yet; or a document under a root
/// that `filter` admits) and its stamp is not the indexed one, and deleted when it is indexed
/// but no longer wanted or gone.
pub fn plan_paths(
    files: &dyn Vfs,
    roots: &[PathBuf],
    sources: &[PathBuf],
    filter: &DocFilter,
    paths: &[PathBuf],
    indexed: &dyn Fn(&Path) -> Option<u64>,
) -> Plan {
    let mut plan = Plan::default();
    for path in paths {
        let stamp = files.stamp(path).filter(|s| s.kind == crate::vfs::EntryKind::File);
        let concept = sources.iter().any(|s| path.starts_with(s))
            && crate::kg::kind_of(path) == Some(crate::kg::SourceKind::Markdown);
        let document = roots.iter().any(|r| path.strip_prefix(r).is_ok_and(|rel| filter.admits(rel)));
        let kind = if concept { Some(DocKind::Concept) } else { document.then_some(DocKind::Document) };
        match (kind, stamp) {
            (Some(kind), Some(s)) => {
                if indexed(path) != Some(stamp_key(&s)) {
                    plan.upsert.push((path.clone(), kind));
                }
            }
            _ => {
                if indexed(path).is_some() {
                    plan.delete.push(path.clone());
                }
            }
        }
    }
    plan
}

/// What an update does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files to read and index, new or changed.
    pub upsert: Vec<(PathBuf, DocKind)>,
    /// Indexed files that are gone or no longer wanted.
    pub delete: Vec<PathBuf>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.upsert.is_empty() && self.delete.is_empty()
    }
}

/// The update that brings an index holding `indexed` to `wanted`.
pub fn plan(wanted: &HashMap<PathBuf, (DocKind, u64)>, indexed: &HashMap<PathBuf, u64>) -> Plan {
    let mut upsert: Vec<(PathBuf, DocKind)> = wanted
        .iter()
        .filter(|(p, (_, stamp))| indexed.get(*p) != Some(stamp))
        .map(|(p, (kind, _))| (p.clone(), *kind))
        .collect();
    let mut delete: Vec<PathBuf> = indexed.keys().filter(|p| !wanted.contains_key(*p)).cloned().collect();
    upsert.sort();
    delete.sort();
    Plan { upsert, delete }
}

/// What an update did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub indexed: usize,
    pub deleted: usize,
    /// Files that could not be indexed, and why.
    pub skipped: Vec<(PathBuf, String)>,
    /// Whether it stopped early because it was cancelled (what it did is committed).
    pub cancelled: bool,
}

/// Carries out `plan` on `index`, reading files through `files`; reports `(done, total)` as it
/// goes. Commits every [`COMMIT_EVERY`] documents and at the end.
pub fn apply(
    index: &TextIndex,
    files: &dyn Vfs,
    graph: &Graph,
    plan: Plan,
    cancel: &Cancel,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Applied, TextError> {
    let mut done = Applied::default();
    if plan.is_empty() {
        return Ok(done);
    }
    let total = plan.upsert.len() + plan.delete.len();
    let mut w = index.writer()?;
    for path in &plan.delete {
        w.delete(path);
        done.deleted += 1;
    }
    for (i, (path, kind)) in plan.upsert.into_iter().enumerate() {
        if cancel.is_cancelled() {
            done.cancelled = true;
            break;
        }
        let stamp = files.stamp(&path);
        match files.read(&path, MAX_DOC_BYTES) {
            // A file that is not indexed is kept as an empty document with its stamp, so it
            // is not read again until it changes.
            Ok(bytes) if is_binary(&bytes) => {
                w.upsert(&empty_doc(path.clone(), kind, stamp.as_ref()))?;
                done.skipped.push((path, "binary".into()));
            }
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let stamp = stamp.as_ref().map_or(0, stamp_key);
                w.upsert(&text_doc(&path, kind, &text, graph, stamp))?;
                done.indexed += 1;
            }
            Err(crate::vfs::ReadError::NotFound) => w.delete(&path),
            Err(e) => {
                w.upsert(&empty_doc(path.clone(), kind, stamp.as_ref()))?;
                done.skipped.push((path, e.to_string()));
            }
        }
        if w.pending() >= COMMIT_EVERY {
            w.commit()?;
            progress(done.deleted + i + 1, total);
        }
    }
    w.commit()?;
    w.finish()?;
    progress(total, total);
    Ok(done)
}

fn empty_doc(path: PathBuf, kind: DocKind, stamp: Option<&Stamp>) -> TextDoc {
    TextDoc { path, kind, title: String::new(), body: String::new(), stamp: stamp.map_or(0, stamp_key) }
}

/// The document the index holds for the file at `path` with `text`.
pub fn text_doc(path: &Path, kind: DocKind, text: &str, graph: &Graph, stamp: u64) -> TextDoc {
    let file_name = || path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match kind {
        DocKind::Concept => {
            let name = graph
                .file_concepts(path)
                .filter(|r| !r.is_empty())
                .map(|r| graph.concept(crate::kg::ConceptId(r.start)).name().to_string());
            TextDoc {
                path: path.to_path_buf(),
                kind,
                title: name.unwrap_or_else(file_name),
                body: blank_properties(text),
                stamp,
            }
        }
        DocKind::Document => {
            let heading = text.lines().find_map(|l| l.strip_prefix("# ")).map(|h| h.trim().to_string());
            TextDoc {
                path: path.to_path_buf(),
                kind,
                title: heading.filter(|h| !h.is_empty()).unwrap_or_else(file_name),
                body: text.to_string(),
                stamp,
            }
        }
    }
}

pub use crate::kg::blank_properties;

/// The concept that `words` name, by any of its terms.
pub fn named(graph: &Graph, terms: &TermIndex, words: &str) -> Option<Named> {
    let claim = terms.map.get(&crate::text::fold(words)).first()?;
    let concept = graph.concept(claim.concept);
    Some(Named { concept: concept.name().to_string(), terms: concept.terms().map(str::to_string).collect() })
}

/// A knowledge-base search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KbQuery {
    pub text: String,
    pub limit: usize,
    pub offset: usize,
    /// Only documents that mention this concept (named by any of its terms).
    pub concept: Option<String>,
    /// Only documents whose path below a root matches this glob.
    pub path: Option<String>,
}

/// A document found, with where it matches in its text as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct KbItem {
    pub path: PathBuf,
    pub kind: DocKind,
    pub title: String,
    pub score: f32,
    /// The text the ranges below are offsets into.
    pub text: Arc<str>,
    pub snippets: Vec<Snippet>,
    pub matches: Vec<Range<usize>>,
}

/// What a knowledge-base search found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KbAnswer {
    pub items: Vec<KbItem>,
    pub expanded: Vec<Expanded>,
    pub total: usize,
    /// The concept filter named no concept.
    pub unknown_concept: bool,
}

/// What the searches of one generation read.
#[derive(Clone)]
pub struct TextCorpus {
    pub index: Arc<TextIndex>,
    pub files: Arc<dyn Vfs>,
    pub graph: Arc<Graph>,
    pub terms: Arc<TermIndex>,
    pub roots: Vec<PathBuf>,
}

/// Runs a knowledge-base search; `emit` gets the items in rank order, a few at a time, before
/// the answer returns them all.
pub fn knowledge_search(
    corpus: &TextCorpus,
    query: &KbQuery,
    cancel: &Cancel,
    emit: &mut dyn FnMut(&[KbItem]),
) -> Result<KbAnswer, SearchError> {
    let names = |words: &str| named(&corpus.graph, &corpus.terms, words);
    let concept = match &query.concept {
        Some(c) => match names(c) {
            Some(n) => Some(n),
            None => return Ok(KbAnswer { unknown_concept: true, ..KbAnswer::default() }),
        },
        None => None,
    };
    let text_query = TextQuery {
        text: query.text.clone(),
        limit: query.limit,
        offset: query.offset,
        concept,
        paths: query.path.clone().filter(|p| !p.trim().is_empty()).map(|p| (corpus.roots.clone(), p)),
    };
    let found = corpus.index.search(&text_query, &names).map_err(SearchError::Index)?;
    let mut items = Vec::with_capacity(found.hits.len());
    let mut sent = 0;
    for hit in found.hits {
        if cancel.is_cancelled() {
            return Err(SearchError::Cancelled);
        }
        let text: Arc<str> = match corpus.files.read(&hit.path, MAX_DOC_BYTES) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into(),
            Err(_) => Arc::from(""),
        };
        // A concept's matches are in its definition, as indexed: not in its `key::` lines.
        let matches = match hit.kind {
            DocKind::Concept => found.matcher.matches(&blank_properties(&text)),
            DocKind::Document => found.matcher.matches(&text),
        };
        let snippets = snippets(&text, &matches, SNIPPETS);
        items.push(KbItem {
            path: hit.path,
            kind: hit.kind,
            title: hit.title,
            score: hit.score,
            text,
            snippets,
            matches,
        });
        if items.len() - sent >= 8 {
            emit(&items[sent..]);
            sent = items.len();
        }
    }
    if sent < items.len() {
        emit(&items[sent..]);
    }
    Ok(KbAnswer { items, expanded: found.expanded, total: found.total, unknown_concept: false })
}

/// Why a knowledge-base search gave no answer.
#[derive(Debug)]
pub enum SearchError {
    Cancelled,
    Index(TextError),
}

/// The full-text part of `workspace/symbol`: one hit per document, at its first match.
pub struct TextService {
    corpus: TextCorpus,
}

impl TextService {
    pub fn new(corpus: TextCorpus) -> TextService {
        TextService { corpus }
    }
}

impl SearchService for TextService {
    fn name(&self) -> &'static str {
        "full text"
    }

    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
        let c = &self.corpus;
        let names = |words: &str| named(&c.graph, &c.terms, words);
        let limit = query.limit.min(MAX_SYMBOL_TEXT_HITS);
        let text_query = TextQuery { text: query.text.clone(), limit, ..TextQuery::default() };
        let found = match c.index.search(&text_query, &names) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("full-text search failed: {e}");
                return Ok(());
            }
        };
        let mut batch = Vec::with_capacity(found.hits.len());
        for hit in found.hits {
            ctl.step()?;
            let container = hit.path.file_name().map(|n| n.to_string_lossy().into_owned());
            if hit.kind == DocKind::Concept {
                batch.push(Hit {
                    name: hit.title,
                    kind: HitKind::Concept,
                    container: Some("definition".into()),
                    path: hit.path,
                    line: 0,
                    quality: Quality::Text,
                    key_len: u32::MAX,
                });
                continue;
            }
            let Ok(bytes) = c.files.read(&hit.path, MAX_DOC_BYTES) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            let Some(first) = found.matcher.first(&text) else { continue };
            let line = text[..first.start].matches('\n').count() as u32;
            let name = snippets(&text, &[first], 1).pop().map(|s| s.text).unwrap_or_default();
            batch.push(Hit {
                name,
                kind: HitKind::Line,
                container,
                path: hit.path,
                line,
                quality: Quality::Text,
                key_len: u32::MAX - 1,
            });
        }
        ctl.emit(batch);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
