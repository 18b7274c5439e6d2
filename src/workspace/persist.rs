//! The state saved between runs: the completion index and the parsed knowledge graph of the
//! current sources, finding their files and opening them, and saving new ones.
//!
//! It reads the configuration files and the sources' sizes and times (never their contents),
//! and maps, writes and removes cache files through the [`Vfs`] it is given; the completion
//! index's format and checks are `index::persist`'s, the graph's payload `kg`'s (sealed here).
//! It holds no workspace state.
//!
//! Both files are named by the scope (a hash of the configured sources). The completion index's
//! name also holds the fingerprint of the state of the sources' files it was built from; a
//! start serves the scope's newest (at most the few files that changed since stale) while the
//! load reads what changed. The graph has one file per scope, whatever its files' state: each
//! file in it carries its stamp, and a load keeps the ones that did not change.

use std::path::{Path, PathBuf};

use super::{Settings, load_config_file, resolve};
use crate::cache::{Unsealed, hash_of, seal, unseal};
use std::sync::Arc;

use crate::index::{DocHeadings, TermIndex, TermRef};
use crate::kg::{ConceptId, DecodeError, FileStamp, KgFile, SavedFiles};
use crate::vfs::{ReadError, Vfs};

/// A document's headings as [`DocHeadings`] holds them: `(level, text, line)`.
type Headings = Vec<(u8, String, u32)>;

const GRAPH_MAGIC: &[u8; 8] = b"KGLSGRPH";
/// Bump when the graph's payload (`kg::encode_saved`) or what a parser makes of a file changes.
/// The file's name also holds the package version, so a release never reads another's parses.
pub const GRAPH_FORMAT_VERSION: u32 = 3;

/// What every saved graph's file name of this build starts with.
fn graph_prefix() -> String {
    format!("graph-v{GRAPH_FORMAT_VERSION}-{}-", env!("CARGO_PKG_VERSION"))
}

/// The cache files of one knowledge graph.
#[derive(Clone, Debug)]
pub struct IndexFile {
    /// The cache directory.
    pub dir: PathBuf,
    /// Names the graph (its configured sources) across changes to its files.
    pub scope: u64,
    /// The saved parsed graph of the scope.
    pub graph: PathBuf,
}

impl IndexFile {
    /// Where the completion index of the sources' files in the state `fingerprint` goes.
    pub fn index_path(&self, fingerprint: u64) -> PathBuf {
        crate::index::persist::index_path(&self.dir, self.scope, fingerprint)
    }
}

/// A persisted completion index found (or not) for the current sources.
#[derive(Default)]
pub struct Persisted {
    /// Where the state of the current sources goes, when there is a cache directory to use.
    pub file: Option<IndexFile>,
    /// The configuration the files were found for.
    pub config: Option<super::Config>,
    pub index: Option<crate::index::CompletionIndex>,
    /// Why a file that was there was not used.
    pub refused: Option<String>,
}

/// Opens the newest persisted completion index of the sources this configuration names, if one
/// exists and its checksum and structure are intact. It may be of an older state of their files
/// (it is served while the load catches up, and replaced when it ends), so nothing is statted
/// for it but the configuration files and the cache directory: no source is read or statted.
/// Its keys are not walked here: the caller serves completion from it at once and then runs
/// [`crate::index::CompletionIndex::check_keys`].
pub fn open_persisted(fs: &dyn Vfs, roots: &[PathBuf], client: Option<&Settings>) -> Persisted {
    let Some(dir) = crate::cache::cache_dir() else { return Persisted::default() };
    let (files, _) = load_config_file(roots);
    let (config, _) = resolve(roots, client, &files, &|p| fs.stamp(p).is_some());
    let scope = hash_of(&config.sources);
    let graph = graph_path(&dir, scope);
    let found = crate::index::persist::newest_of_scope(fs, &dir, scope);
    let mut p = Persisted { file: Some(IndexFile { dir, scope, graph }), config: Some(config), ..Default::default() };
    if let Some(found) = found {
        match crate::index::persist::open_deferring_keys(fs, &found) {
            Ok(index) => p.index = Some(index),
            Err(e) => p.refused = Some(format!("{}: {e}", found.display())),
        }
    }
    p
}

/// Saves the completion index of the sources' files in the state `fingerprint`
/// ([`crate::index::persist::fingerprint_of`]) and removes the indexes it replaces, so the
/// cache directory does not grow with every edit of the graph.
pub fn save_persisted(
    fs: &dyn Vfs,
    index: &crate::index::CompletionIndex,
    file: &IndexFile,
    fingerprint: u64,
) -> std::io::Result<()> {
    let path = file.index_path(fingerprint);
    crate::index::persist::save(fs, index, &path)?;
    crate::index::persist::remove_stale(fs, &file.dir, &path, file.scope);
    Ok(())
}

/// Where the parsed graph of the sources named by `scope` is saved.
pub fn graph_path(cache_dir: &Path, scope: u64) -> PathBuf {
    cache_dir.join(format!("{}{scope:016x}.kg", graph_prefix()))
}

/// Why a saved graph was not used.
#[derive(Debug)]
pub enum GraphError {
    Read(ReadError),
    Unsealed(Unsealed),
    Decode(DecodeError),
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphError::Read(e) => write!(f, "{e}"),
            GraphError::Unsealed(u) => write!(f, "{u}"),
            GraphError::Decode(e) => write!(f, "{e}"),
        }
    }
}

/// What a saved graph holds.
#[derive(Debug, Default)]
pub struct SavedState {
    pub files: SavedFiles,
    /// The documents' headings as the last run read them.
    pub docs: Vec<DocHeadings>,
    /// The term index of the files the last run loaded, when it was saved.
    pub terms: Option<SavedTerms>,
}

/// A term index as saved: the parts of its map ([`crate::index::TermMap::parts`]) and its
/// [`TermIndex::suffixes`]. It is saved only with every file it was built from, so it is the
/// index of the saved files, in their order. `generation` is their
/// [`super::content_generation`] without documents, `with_docs` with the saved documents' headings:
/// computed when saved, so that opening it hashes nothing.
#[derive(Debug)]
pub struct SavedTerms {
    pub generation: u64,
    pub with_docs: u64,
    pub fst: Vec<u8>,
    pub values: Vec<TermRef>,
    pub starts: Vec<u32>,
    pub suffixes: Vec<u8>,
}

/// The saved term index as postcard writes it: the two generations, fst, `(concept, term)`
/// values, starts, suffixes.
type TermParts = Option<(u64, u64, Vec<u8>, Vec<(u32, u32)>, Vec<u32>, Vec<u8>)>;

/// The parsed files saved at `path` ([`save_graph`]), each with the stamp it had then, the
/// documents' headings and the term index; a file that is missing, damaged or of another format
/// is an error, for the caller to load in full.
pub fn open_graph(fs: &dyn Vfs, path: &Path) -> Result<SavedState, GraphError> {
    let map = fs.map(path).map_err(GraphError::Read)?;
    let payload = unseal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, (*map).as_ref()).map_err(GraphError::Unsealed)?;
    let bad = |e: String| GraphError::Decode(DecodeError::Format(e));
    let past_end = || bad("a section's length is past the end".into());
    let (kg, rest) = section(payload).ok_or_else(past_end)?;
    let (docs, terms) = section(rest).ok_or_else(past_end)?;
    let files = crate::kg::decode_saved(kg).map_err(GraphError::Decode)?;
    let docs: Vec<(&str, Headings)> = postcard::from_bytes(docs).map_err(|e| bad(e.to_string()))?;
    let docs = docs.into_iter().map(|(path, headings)| DocHeadings { path: path.into(), headings }).collect();
    let terms: TermParts = postcard::from_bytes(terms).map_err(|e| bad(e.to_string()))?;
    let terms = terms.map(|(generation, with_docs, fst, values, starts, suffixes)| SavedTerms {
        generation,
        with_docs,
        fst,
        values: values.into_iter().map(|(c, term)| TermRef { concept: ConceptId(c), term }).collect(),
        starts,
        suffixes,
    });
    Ok(SavedState { files, docs, terms })
}

/// A section of a payload (its length, then its bytes) and what follows it.
fn section(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// Saves parsed files with the stamps they had when read (in the same order), the documents'
/// headings and the term index of those files, replacing the file at `path` atomically, and
/// removes the graphs of other format versions and releases. Documents whose path is not UTF-8
/// are left out.
pub fn save_graph(
    fs: &dyn Vfs,
    path: &Path,
    files: &[Arc<KgFile>],
    stamps: &[Option<FileStamp>],
    docs: &[DocHeadings],
    terms: Option<&TermIndex>,
) -> std::io::Result<()> {
    let kg = crate::kg::encode_saved(files.iter().map(|f| &**f).zip(stamps.iter().copied()));
    let docs: Vec<&DocHeadings> = docs.iter().filter(|d| d.path.to_str().is_some()).collect();
    // The term index fits the saved files only if every file is saved.
    let complete = files.iter().zip(stamps).all(|(f, s)| crate::kg::saved_keeps(f, *s));
    let terms: TermParts = terms.filter(|_| complete && files.len() == stamps.len()).map(|t| {
        let (fst, values, starts) = t.map.parts();
        let values = values.iter().map(|r| (r.concept.0, r.term)).collect();
        let generation = super::content_generation(files.iter().map(|f| &**f), []);
        let with_docs = super::content_generation(files.iter().map(|f| &**f), docs.iter().copied());
        (generation, with_docs, fst.to_vec(), values, starts.to_vec(), t.suffixes().as_fst().as_bytes().to_vec())
    });
    let docs: Vec<(&str, &Headings)> = docs.iter().filter_map(|d| Some((d.path.to_str()?, &d.headings))).collect();
    let mut payload = Vec::new();
    for part in [kg, postcard::to_stdvec(&docs).expect("plain records serialize")] {
        payload.extend_from_slice(&(part.len() as u64).to_le_bytes());
        payload.extend_from_slice(&part);
    }
    payload.extend_from_slice(&postcard::to_stdvec(&terms).expect("plain records serialize"));
    fs.write_atomic(path, &seal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, &payload))?;
    let current = graph_prefix();
    for (other, _) in path.parent().map(|dir| fs.list_dir(dir)).unwrap_or_default() {
        let Some(name) = other.file_name().and_then(|n| n.to_str()) else { continue };
        if name.starts_with("graph-v") && name.ends_with(".kg") && !name.starts_with(&current) {
            let _ = fs.remove_file(&other);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemFs;

    #[test]
    fn a_saved_graph_opens_again_and_a_damaged_one_is_refused() {
        let fs = MemFs::with([("/kg/a.md", "# alpha\nsynonyms:: first\n")]);
        let file = crate::kg::load_file(&fs, Path::new("/kg/a.md"));
        let stamp = FileStamp { len: 9, modified: Some(std::time::SystemTime::UNIX_EPOCH) };
        let path = graph_path(Path::new("/cache"), 5);
        let older = Path::new("/cache/graph-v0-0000000000000005.kg");
        fs.write(older, b"an older format");
        let other_release = format!("/cache/graph-v{GRAPH_FORMAT_VERSION}-0.0.0-0000000000000005.kg");
        fs.write(&other_release, b"another release's parses");
        let docs =
            [DocHeadings { path: "/docs/a.md".into(), headings: vec![(1, "Alpha".into(), 0), (2, "Beta".into(), 4)] }];
        let file = Arc::new(file);
        let graph = crate::kg::Graph::build([&file]);
        let terms = TermIndex::build(&graph);
        save_graph(&fs, &path, std::slice::from_ref(&file), &[Some(stamp)], &docs, Some(&terms)).unwrap();
        assert!(fs.stamp(older).is_none(), "another version's graph is removed");
        assert!(fs.stamp(Path::new(&other_release)).is_none(), "and another release's");
        let opened = open_graph(&fs, &path).unwrap();
        assert_eq!(opened.files.get(Path::new("/kg/a.md")), Some(&(stamp, file.clone())));
        assert_eq!(opened.docs, docs);
        let saved = opened.terms.unwrap();
        assert_eq!(saved.generation, super::super::content_generation([&*file], []));
        assert_eq!(saved.with_docs, super::super::content_generation([&*file], &docs));
        assert_eq!(saved.suffixes, terms.suffixes().as_fst().as_bytes());
        let back = TermIndex::from_parts(&graph, saved.fst, saved.values, saved.starts, Some(saved.suffixes)).unwrap();
        assert_eq!(back.map.get("first"), terms.map.get("first"));
        assert_eq!(back.map.len(), terms.map.len());
        // A term index is saved only with the files it was built from: a file left out of the
        // saved graph (its stamp has no time) leaves the index to be built again.
        let other = Arc::new(crate::kg::load_file(&MemFs::with([("/kg/b.md", "# beta\n")]), Path::new("/kg/b.md")));
        let both = [file.clone(), other];
        let terms = TermIndex::build(&crate::kg::Graph::build(&both));
        save_graph(&fs, &path, &both, &[Some(stamp), None], &docs, Some(&terms)).unwrap();
        let reopened = open_graph(&fs, &path).unwrap();
        assert!(reopened.terms.is_none(), "no term index is saved without all its files");
        let rebuilt = super::super::SavedGraph::build(reopened, &mut |_, _, _| {});
        assert_eq!(rebuilt.files.len(), 1);
        assert!(rebuilt.terms.map.get("beta").is_empty(), "the term index was built again");
        assert_eq!(rebuilt.terms.map.len(), back.map.len());
        let good = fs.read(&path, u64::MAX).unwrap();
        let refused = |bytes: &[u8]| {
            fs.write(&path, bytes);
            open_graph(&fs, &path).unwrap_err().to_string()
        };
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(refused(&flipped), "checksum mismatch (corrupt)");
        assert_eq!(refused(&good[..good.len() - 1]), "length does not match (truncated?)");
        let mut other = good.clone();
        other[8] ^= 1;
        assert!(refused(&other).starts_with("format version"), "{}", refused(&other));
        // Sealed right around bytes that are not a graph: refused all the same.
        let sections = b"\x01\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\x07";
        for payload in [&b"\xff\xff"[..], b"\x09\0\0\0\0\0\0\0\0", sections] {
            let sealed = seal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, payload);
            assert!(refused(&sealed).starts_with("not a saved graph"), "{payload:?}: {}", refused(&sealed));
        }
        assert_eq!(open_graph(&fs, Path::new("/cache/none.kg")).unwrap_err().to_string(), "path does not exist");
    }
}
