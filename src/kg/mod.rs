//! The knowledge graph: concepts, their terms and relations, and the loaders that read them.
//!
//! A [`KgFile`] is what one source file says (markdown concept file or thesaurus JSON), parsed
//! without failing: problems travel beside the result. A [`Graph`] is the immutable union of
//! all files, with related names resolved to concepts. Only `load` touches the file system; a
//! definition left in its file is read again through the caller's [`Vfs`]. Nothing here knows
//! about protocol types or positions other than lines and byte offsets.

mod concepts;
mod load;
mod markdown;
mod saved;
mod terms;
mod thesaurus;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use concepts::{ConceptRef, Concepts, ConceptsBuilder};
pub use load::{
    FileStamp, KgSource, LoadedFile, MAX_FILE_BYTES, file_stamp, kind_of, list_source_files, load_file,
    load_file_keeping_definitions, load_sources, load_sources_reusing, parse, parse_bytes, read_limit,
    visit_source_files,
};
pub use markdown::{Entry, EntryKind, blank_properties, entries, parse_concept_file};
pub(crate) use markdown::{atx_h1, fence_open, is_fence_close, property};
pub use saved::{DecodeError, SavedFiles, decode as decode_saved, encode as encode_saved, keeps as saved_keeps};
pub use terms::{TermClaim, TermTable};
pub use thesaurus::{DataEntry, data_entries, parse_thesaurus, thesaurus_keys};

use crate::text::fold;
use crate::vfs::{Stamp, Vfs};

/// Where a concept is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Markdown,
    Thesaurus,
}

/// One concept as a source file states it, as parsers build it (and tests write it). Parsed
/// files keep their concepts in a compact [`Concepts`] store instead; [`ConceptRef`] reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConceptData {
    /// The canonical name: a markdown file's stem, or a thesaurus entry's `nterm`.
    pub name: String,
    /// Other terms of the concept in the order written (heading, synonyms, thesaurus keys),
    /// without the name itself and without case-insensitive duplicates.
    pub synonyms: Vec<String>,
    /// Names of related concepts, as written.
    pub related: Vec<String>,
    /// Other `key:: value` lines, in order.
    pub properties: Properties,
    /// The remaining markdown text.
    pub definition: String,
    /// Zero-based line where the concept starts (its `# ` heading, or its thesaurus key).
    pub line: u32,
}

impl ConceptData {
    /// Adds a term unless the concept already has it (compared folded).
    pub fn add_term(&mut self, term: &str) {
        let term = term.trim();
        let folded = fold(term);
        if folded.is_empty() || fold(&self.name) == folded {
            return;
        }
        if self.synonyms.iter().any(|s| fold(s) == folded) {
            return;
        }
        self.synonyms.push(term.to_string());
    }
}

/// `key:: value` pairs in order, stored in one string (`key\0value\0` each): a concept has
/// a few short ones, and a million concepts would otherwise pay three allocations apiece.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Properties(String);

impl Properties {
    /// Appends a pair (NUL characters, which cannot be typed in a source, are dropped).
    pub fn push(&mut self, key: &str, value: &str) {
        for part in [key, value] {
            if part.contains('\0') {
                self.0.extend(part.chars().filter(|&c| c != '\0'));
            } else {
                self.0.push_str(part);
            }
            self.0.push('\0');
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The encoded pairs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn iter(&self) -> PropertyIter<'_> {
        PropertyIter(self.0.split('\0'))
    }
}

impl<'a> PropertyIter<'a> {
    /// The pairs of a string laid out as [`Properties`] lays them out.
    fn of(encoded: &'a str) -> PropertyIter<'a> {
        PropertyIter(encoded.split('\0'))
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a str);
    type IntoIter = PropertyIter<'a>;

    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

/// The pairs of [`Properties`], in order.
pub struct PropertyIter<'a>(std::str::Split<'a, char>);

impl<'a> Iterator for PropertyIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let key = self.0.next().filter(|k| !k.is_empty() || self.0.clone().next().is_some())?;
        let value = self.0.next()?;
        Some((key, value))
    }
}

/// The property that lists a concept's avoided terms (`avoid:: old name, other old name` in a
/// concept file; `"avoid": true` on a thesaurus entry).
pub const AVOID_KEY: &str = "avoid";

/// A problem found while reading a source; the rest of the source is still used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// Zero-based line, where one applies.
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path.display(), l + 1, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// The longest term (name, synonym, thesaurus key, related name) kept, in bytes; a longer one
/// is cut at a character boundary and reported.
///
/// These caps on what a source may state are far above any real glossary (the largest
/// Terraphim thesaurus we know has 98 terms for one concept and keys of at most 136 bytes).
/// They keep a broken or hostile file from stalling the server for seconds or filling a hover
/// with megabytes; docs/settings.md lists them for users.
pub const MAX_TERM_BYTES: usize = 256;
/// The most terms one concept keeps; later ones are reported once and ignored.
pub const MAX_TERMS: usize = 4096;
/// The most related names one concept keeps.
pub const MAX_RELATED: usize = 1024;
/// The longest `key:: value` line of a concept file read for synonyms, related names and
/// properties; the rest of a longer line is reported and ignored.
pub const MAX_LINE_BYTES: usize = 64 << 10;
/// The longest property value kept, in bytes.
pub const MAX_PROPERTY_BYTES: usize = 4096;
/// The most properties one concept keeps.
pub const MAX_PROPERTIES: usize = 256;

/// Adds terms to one concept under [`MAX_TERM_BYTES`] and [`MAX_TERMS`], skipping
/// case-insensitive duplicates in constant time each (a list compared term by term made a line
/// of 100,000 synonyms take minutes).
#[derive(Debug, Default)]
pub struct TermAdder {
    seen: HashSet<String>,
    full: bool,
}

impl TermAdder {
    /// Starts from the terms `c` already has.
    pub fn new(c: &ConceptData) -> TermAdder {
        let seen = std::iter::once(&c.name).chain(&c.synonyms).map(|t| fold(t)).collect();
        TermAdder { seen, full: false }
    }

    /// Adds `term` to `c`, cut to [`MAX_TERM_BYTES`]; returns what to report, if anything.
    pub fn add(&mut self, c: &mut ConceptData, term: &str) -> Option<TermNote> {
        let term = term.trim();
        let kept = cut_at_char(term, MAX_TERM_BYTES).trim_end();
        let folded = fold(kept);
        if folded.is_empty() || self.seen.contains(&folded) {
            return None;
        }
        if c.synonyms.len() + 1 >= MAX_TERMS {
            let first = !std::mem::replace(&mut self.full, true);
            return first.then_some(TermNote::Full);
        }
        self.seen.insert(folded);
        c.synonyms.push(kept.to_string());
        (kept.len() < term.len()).then_some(TermNote::Cut(term.len()))
    }
}

/// What [`TermAdder::add`] has to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermNote {
    /// The term, of this many bytes, was cut to [`MAX_TERM_BYTES`].
    Cut(usize),
    /// The concept already has [`MAX_TERMS`] terms: this one and the rest are ignored (said
    /// once per concept).
    Full,
}

impl TermNote {
    /// The message for one line's notes: how many terms were cut (the longest named) and
    /// whether the concept is full. One problem per line, however many terms it holds.
    pub fn message(notes: &[TermNote]) -> Option<String> {
        let cut: Vec<usize> =
            notes.iter().filter_map(|n| if let TermNote::Cut(len) = n { Some(*len) } else { None }).collect();
        let mut parts = Vec::new();
        match cut.as_slice() {
            [] => {}
            [len] => parts.push(cut_message("a term", *len, MAX_TERM_BYTES)),
            many => parts.push(format!(
                "{} terms are longer than {MAX_TERM_BYTES} bytes (the longest has {}); each keeps only its first {MAX_TERM_BYTES} bytes",
                many.len(),
                many.iter().max().expect("not empty")
            )),
        }
        if notes.contains(&TermNote::Full) {
            parts.push(format!("more than {MAX_TERMS} terms for one concept; the rest are ignored"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// "a term of 2000000 bytes is cut to its first 256".
pub(crate) fn cut_message(what: &str, len: usize, max: usize) -> String {
    format!("{what} of {len} bytes is longer than {max}; only its first {max} bytes are kept")
}

/// The longest prefix of `s` of at most `max` bytes that ends at a character boundary.
pub fn cut_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Everything one source file contributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KgFile {
    /// Shared with the graph and the workspace's map of files: one copy per file.
    pub path: Arc<Path>,
    pub kind: SourceKind,
    pub concepts: Concepts,
    /// Boxed, not a `Vec`: a graph keeps one per file and most are empty.
    pub problems: Box<[Problem]>,
    pub definitions: Definitions,
}

// A graph keeps one of these per file (in an `Arc`, 16 bytes more), and a graph may have
// hundreds of thousands of files: 96 bytes would round the allocation up to 128 on glibc.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<KgFile>() == 80);

/// Where the definitions of a file's concepts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Definitions {
    /// In [`KgFile::concepts`]: thesauri, unsaved editor buffers, anything parsed from text.
    Kept,
    /// Left in the file on disk, which is read again for a hover: most of a concept file is its
    /// definition, and a graph of many files would otherwise hold all of them in memory to show
    /// a few. `hash` is [`definition_hash`] of the definitions as parsed, so a change on disk
    /// since then is told apart (and the graph's fingerprint still covers them).
    /// Never zero, so that a file's record needs no separate tag for it.
    OnDisk { hash: std::num::NonZeroU64 },
}

/// A hash of a file's definitions, in order (never zero).
pub fn definition_hash<'a>(definitions: impl IntoIterator<Item = &'a str>) -> std::num::NonZeroU64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in definitions {
        d.hash(&mut h);
    }
    std::num::NonZeroU64::new(h.finish()).unwrap_or(std::num::NonZeroU64::MIN)
}

/// A concept's definition as [`Concept::definition`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition<'g> {
    pub text: std::borrow::Cow<'g, str>,
    /// The text is the one the graph was built from; `false` when the file changed on disk
    /// since (the newer text is returned: it is what the file says now).
    pub as_built: bool,
}

/// Index of a concept in a [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConceptId(pub u32);

/// A concept inside a graph: what its source file says (lent from the parsed file, not copied),
/// where it came from and what it links to.
#[derive(Clone, Copy)]
pub struct Concept<'g> {
    graph: &'g Graph,
    id: u32,
}

impl<'g> Concept<'g> {
    fn file(self) -> &'g GraphFile {
        &self.graph.files[self.graph.owner[self.id as usize] as usize]
    }

    /// What the source file says about the concept.
    pub fn data(self) -> ConceptRef<'g> {
        let file = self.file();
        file.file.concepts.get((self.id - file.first) as usize)
    }

    pub fn name(self) -> &'g str {
        self.data().name()
    }

    /// The file the concept comes from.
    pub fn path(self) -> &'g Arc<Path> {
        &self.file().file.path
    }

    /// The concept's definition (markdown). When the graph left it in the file
    /// ([`Definitions::OnDisk`]), the file is read again from `files` (the host's seam, where an
    /// open buffer wins over the disk); a file that cannot be read or parsed back to this concept
    /// is a problem.
    pub fn definition(self, files: &dyn Vfs) -> Result<Definition<'g>, Problem> {
        let file = self.file();
        match file.file.definitions {
            Definitions::Kept => Ok(Definition { text: self.data().definition().into(), as_built: true }),
            Definitions::OnDisk { hash } => {
                let path = &file.file.path;
                let reread = match files.read(path, MAX_FILE_BYTES) {
                    Ok(bytes) => load::parse_bytes(path, file.file.kind, bytes),
                    Err(e) => return Err(Problem { path: path.to_path_buf(), line: None, message: e.to_string() }),
                };
                let i = (self.id - file.first) as usize;
                let found = (i < reread.concepts.len()).then(|| reread.concepts.get(i));
                match found.filter(|c| c.name() == self.name()) {
                    Some(c) => {
                        let as_built = definition_hash(reread.concepts.iter().map(|c| c.definition())) == hash;
                        Ok(Definition { text: c.definition().to_string().into(), as_built })
                    }
                    None => Err(reread.problems.into_vec().into_iter().next().unwrap_or_else(|| Problem {
                        path: path.to_path_buf(),
                        line: None,
                        message: format!("the file no longer defines {:?}", self.name()),
                    })),
                }
            }
        }
    }

    /// What tells this concept's definition apart when it is not in [`Concept::data`]: the
    /// hash of its file's definitions as parsed and the file's [`Stamp`] in `files` now (so a
    /// change on disk that no one announced still shows), or `None` when the data holds them.
    /// Costs a `stat`, not a read.
    pub fn definition_on_disk(self, files: &dyn Vfs) -> Option<(std::num::NonZeroU64, Option<Stamp>)> {
        match self.file().file.definitions {
            Definitions::Kept => None,
            Definitions::OnDisk { hash } => Some((hash, files.stamp(&self.file().file.path))),
        }
    }

    /// Zero-based line where the concept starts in its file.
    pub fn line(self) -> u32 {
        self.data().line()
    }

    /// Related names resolved to concepts (a name that two concepts claim names both).
    pub fn related(self) -> &'g [ConceptId] {
        self.graph.related.of(self.id)
    }

    /// Concepts whose `related::` names this one.
    pub fn related_by(self) -> &'g [ConceptId] {
        self.graph.related_by.of(self.id)
    }

    /// The name followed by every synonym.
    pub fn terms(self) -> impl Iterator<Item = &'g str> + Clone {
        let data = self.data();
        std::iter::once(data.name()).chain(data.synonyms())
    }

    /// The `i`th of [`Concept::terms`].
    pub fn term(self, i: usize) -> Option<&'g str> {
        let data = self.data();
        if i == 0 { Some(data.name()) } else { data.synonym(i - 1) }
    }
}

impl std::fmt::Debug for Concept<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Concept").field("id", &self.id).field("name", &self.name()).finish()
    }
}

/// A parsed file in a graph.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GraphFile {
    file: Arc<KgFile>,
    /// The id of the file's first concept; its concepts are consecutive.
    first: u32,
}

/// Lists of concept ids, one per concept, in two flat vectors (a boxed slice per concept
/// would cost 16 bytes each even when empty, as most are).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Adjacency {
    /// `ids[starts[c]..starts[c + 1]]` are concept `c`'s; empty when no concept has any.
    starts: Vec<u32>,
    ids: Vec<ConceptId>,
}

impl Adjacency {
    fn from_lists(lists: impl ExactSizeIterator<Item = impl AsRef<[ConceptId]>>) -> Adjacency {
        let mut adj = Adjacency { starts: Vec::with_capacity(lists.len() + 1), ids: Vec::new() };
        adj.starts.push(0);
        for list in lists {
            adj.ids.extend_from_slice(list.as_ref());
            adj.starts.push(adj.ids.len() as u32);
        }
        if adj.ids.is_empty() {
            return Adjacency::default();
        }
        adj.ids.shrink_to_fit();
        adj
    }

    fn of(&self, c: u32) -> &[ConceptId] {
        match self.starts.get(c as usize..c as usize + 2) {
            Some(&[a, b]) => &self.ids[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// The immutable union of all knowledge-graph files. Built whole, shared behind `Arc`,
/// replaced whole when a source changes. Concept data stays in the parsed files, which the
/// graph shares with the workspace: building a graph copies no text, and a concept costs the
/// graph 4 bytes plus its relations. Graphs are equal when built from equal files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    files: Vec<GraphFile>,
    /// `files` are in path order (as a workspace builds them), so a path is found by binary
    /// search; otherwise by a scan.
    files_sorted: bool,
    /// The file (index into `files`) of every concept.
    owner: Vec<u32>,
    /// Concept names plus synonyms, counted once at the build: the main loop asks on every
    /// edit, and counting walks every file.
    term_count: usize,
    related: Adjacency,
    related_by: Adjacency,
    /// Every term, folded, to the concepts claiming it: built on first use (by the graph
    /// checks), not by every build.
    terms: LazyTerms,
}

/// A graph's [`TermTable`], made on first use. It is derived from the files, so
/// it plays no part in equality, and a clone shares it.
#[derive(Clone, Default)]
struct LazyTerms(std::sync::OnceLock<Arc<TermTable>>);

impl PartialEq for LazyTerms {
    fn eq(&self, _: &LazyTerms) -> bool {
        true
    }
}

impl Eq for LazyTerms {}

impl std::fmt::Debug for LazyTerms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "LazyTerms(built)" } else { "LazyTerms(not built)" })
    }
}

/// Calls its second argument with every concept that has the folded term it is given
/// ([`Graph::related_through`]).
pub type Claimants<'a> = dyn Fn(&str, &mut dyn FnMut(ConceptId)) + 'a;

impl Graph {
    /// Builds the graph from parsed files, in the order given.
    pub fn build<'a>(files: impl IntoIterator<Item = &'a Arc<KgFile>>) -> Graph {
        let graph = Graph::build_unrelated(files);
        // Related names resolve through every term; most graphs of thesauri have none, and
        // then the term map, the largest transient of a build, is not made at all.
        if !graph.names_relations() {
            return graph;
        }
        let mut by_term: HashMap<String, Vec<ConceptId>> = HashMap::new();
        for (id, c) in graph.concepts() {
            for t in c.terms() {
                let ids = by_term.entry(fold(t)).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        graph.related_through(&|folded, found| {
            for &id in by_term.get(folded).map(Vec::as_slice).unwrap_or(&[]) {
                found(id);
            }
        })
    }

    /// Whether any concept names a related one (else [`Graph::related_through`] has nothing
    /// to resolve).
    pub fn names_relations(&self) -> bool {
        self.concepts().any(|(_, c)| c.data().related().len() > 0)
    }

    /// This graph (built by [`Graph::build_unrelated`]) with its related names resolved:
    /// `claimants` calls `found` with every concept that has the folded term it is given. A
    /// caller that has a term dictionary of the graph already passes its lookup, and the build
    /// makes none of its own.
    pub fn related_through(mut self, claimants: &Claimants<'_>) -> Graph {
        let mut related: Vec<Vec<ConceptId>> = vec![Vec::new(); self.len()];
        let mut related_by: Vec<Vec<ConceptId>> = vec![Vec::new(); self.len()];
        for (id, c) in self.concepts() {
            let list = &mut related[id.0 as usize];
            for name in c.data().related() {
                claimants(&fold(name), &mut |other| {
                    if other != id && !list.contains(&other) {
                        list.push(other);
                    }
                });
            }
            for &other in list.iter() {
                related_by[other.0 as usize].push(id);
            }
        }
        self.related = Adjacency::from_lists(related.into_iter());
        self.related_by = Adjacency::from_lists(related_by.into_iter());
        self
    }

    /// [`Graph::build`] without resolving related names: every concept relates to none. For a
    /// reader that uses no relations (searching the concepts' terms), at a fraction of the cost.
    pub fn build_unrelated<'a>(files: impl IntoIterator<Item = &'a Arc<KgFile>>) -> Graph {
        let mut graph = Graph { files_sorted: true, ..Graph::default() };
        for file in files {
            if file.concepts.is_empty() {
                continue;
            }
            let first = graph.owner.len() as u32;
            let index = graph.files.len() as u32;
            graph.files_sorted &= graph.files.last().is_none_or(|last| last.file.path < file.path);
            graph.owner.extend(std::iter::repeat_n(index, file.concepts.len()));
            graph.term_count += file.concepts.iter().map(|c| 1 + c.synonyms().len()).sum::<usize>();
            graph.files.push(GraphFile { file: file.clone(), first });
        }
        graph.owner.shrink_to_fit();
        graph.files.shrink_to_fit();
        graph
    }

    /// Builds the graph from files that are not shared yet (tests, benchmarks, one-off tools).
    pub fn from_files(files: &[KgFile]) -> Graph {
        let shared: Vec<Arc<KgFile>> = files.iter().cloned().map(Arc::new).collect();
        Graph::build(&shared)
    }

    pub fn len(&self) -> usize {
        self.owner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }

    pub fn concept(&self, id: ConceptId) -> Concept<'_> {
        assert!((id.0 as usize) < self.owner.len(), "concept {} of {}", id.0, self.owner.len());
        Concept { graph: self, id: id.0 }
    }

    pub fn concepts(&self) -> impl ExactSizeIterator<Item = (ConceptId, Concept<'_>)> + Clone {
        (0..self.owner.len() as u32).map(|id| (ConceptId(id), Concept { graph: self, id }))
    }

    /// The ids of the concepts from the file at `path` (none when it has none here).
    /// The paths of the graph's source files, in the graph's order.
    pub fn file_paths(&self) -> impl ExactSizeIterator<Item = &Arc<Path>> + '_ {
        self.files.iter().map(|f| &f.file.path)
    }

    pub fn file_concepts(&self, path: &Path) -> Option<std::ops::Range<u32>> {
        let f = self.graph_file(path)?;
        Some(f.first..f.first + f.file.concepts.len() as u32)
    }

    /// The source file at `path` as this graph was built from it.
    pub fn file(&self, path: &Path) -> Option<&Arc<KgFile>> {
        self.graph_file(path).map(|f| &f.file)
    }

    fn graph_file(&self, path: &Path) -> Option<&GraphFile> {
        let at = if self.files_sorted {
            self.files.binary_search_by(|f| (*f.file.path).cmp(path)).ok()?
        } else {
            self.files.iter().position(|f| *f.file.path == *path)?
        };
        Some(&self.files[at])
    }

    /// Every term of every concept, folded, to the concepts that claim it: built once, on the
    /// first call, in one pass over the graph; later calls are free. For the graph checks, which
    /// look up terms of one file at a time and must not scan the graph for each.
    pub fn term_table(&self) -> &TermTable {
        self.terms.0.get_or_init(|| Arc::new(TermTable::build(self)))
    }

    /// Number of terms over all concepts.
    pub fn term_count(&self) -> usize {
        self.term_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, concepts: Vec<ConceptData>) -> KgFile {
        KgFile {
            path: Path::new(path).into(),
            kind: SourceKind::Markdown,
            concepts: concepts.into(),
            problems: Box::default(),
            definitions: Definitions::Kept,
        }
    }

    fn concept(name: &str, syn: &[&str], related: &[&str]) -> ConceptData {
        let mut c = ConceptData { name: name.into(), ..Default::default() };
        for s in syn {
            c.add_term(s);
        }
        c.related = related.iter().map(|s| s.to_string()).collect();
        c
    }

    #[test]
    fn related_names_resolve_through_synonyms_and_both_claimants() {
        let g = Graph::from_files(&[
            file("a.md", vec![concept("tokio", &["Tokio RT"], &["FUTURE", "nowhere"])]),
            file("b.md", vec![concept("future", &[], &["tokio rt"])]),
            file("c.md", vec![concept("promise", &["future"], &[])]),
        ]);
        let names = |ids: &[ConceptId]| ids.iter().map(|&i| g.concept(i).name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(g.concept(ConceptId(0)).related()), ["future", "promise"]);
        assert_eq!(names(g.concept(ConceptId(1)).related()), ["tokio"]);
        assert_eq!(names(g.concept(ConceptId(0)).related_by()), ["future"]);
        assert_eq!(names(g.concept(ConceptId(2)).related_by()), ["tokio"]);
        assert!(g.concept(ConceptId(2)).related().is_empty());
        assert_eq!(g.term_count(), 5);
    }

    #[test]
    fn a_files_concepts_are_found_by_its_path_in_any_order() {
        let a = file("a.md", vec![concept("one", &[], &[]), concept("two", &[], &[])]);
        let b = file("b.md", vec![]);
        let c = file("c.md", vec![concept("three", &[], &[])]);
        for files in [[a.clone(), b.clone(), c.clone()], [c, b, a]] {
            let g = Graph::from_files(&files);
            let ids = |p: &str| {
                g.file_concepts(Path::new(p)).map(|r| r.map(|i| g.concept(ConceptId(i)).name()).collect::<Vec<_>>())
            };
            assert_eq!(ids("a.md").unwrap(), ["one", "two"]);
            assert_eq!(ids("c.md").unwrap(), ["three"]);
            assert_eq!(ids("b.md"), None, "a file without concepts is not in the graph");
            assert_eq!(ids("d.md"), None);
        }
    }

    #[test]
    fn add_term_skips_case_insensitive_duplicates() {
        let c = concept("Tokio", &["tokio", " TOKIO RT ", "tokio  rt", ""], &[]);
        assert_eq!(c.synonyms, ["TOKIO RT"]);
    }
}
