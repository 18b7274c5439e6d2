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
use crate::index::DocHeadings;
use crate::kg::{DecodeError, FileStamp, KgFile, SavedFiles};
use crate::vfs::{ReadError, Vfs};

/// A document's headings as [`DocHeadings`] holds them: `(level, text, line)`.
type Headings = Vec<(u8, String, u32)>;

const GRAPH_MAGIC: &[u8; 8] = b"KGLSGRPH";
/// Bump when the graph's payload (`kg::encode_saved`) or what a parser makes of a file changes.
/// The file's name also holds the package version, so a release never reads another's parses.
pub const GRAPH_FORMAT_VERSION: u32 = 1;

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

/// The parsed files saved at `path` ([`save_graph`]), each with the stamp it had then, and the
/// documents' headings; a file that is missing, damaged or of another format is an error, for
/// the caller to load in full.
pub fn open_graph(fs: &dyn Vfs, path: &Path) -> Result<(SavedFiles, Vec<DocHeadings>), GraphError> {
    let map = fs.map(path).map_err(GraphError::Read)?;
    let payload = unseal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, (*map).as_ref()).map_err(GraphError::Unsealed)?;
    let bad = |e: String| GraphError::Decode(DecodeError::Format(e));
    let (len, rest) = payload.split_first_chunk::<8>().ok_or_else(|| bad("no length".into()))?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|e| bad(e.to_string()))?;
    let (kg, docs) = (rest.get(..len), rest.get(len..));
    let (Some(kg), Some(docs)) = (kg, docs) else { return Err(bad("the length is past the end".into())) };
    let files = crate::kg::decode_saved(kg).map_err(GraphError::Decode)?;
    let docs: Vec<(&str, Headings)> = postcard::from_bytes(docs).map_err(|e| bad(e.to_string()))?;
    let docs = docs.into_iter().map(|(path, headings)| DocHeadings { path: path.into(), headings }).collect();
    Ok((files, docs))
}

/// Saves parsed files with the stamps they had when read, and the documents' headings,
/// replacing the file at `path` atomically, and removes the graphs of other format versions and
/// releases.
/// Documents whose path is not UTF-8 are left out.
pub fn save_graph<'a>(
    fs: &dyn Vfs,
    path: &Path,
    files: impl IntoIterator<Item = (&'a KgFile, Option<FileStamp>)>,
    docs: &[DocHeadings],
) -> std::io::Result<()> {
    let kg = crate::kg::encode_saved(files);
    let docs: Vec<(&str, &Headings)> = docs.iter().filter_map(|d| Some((d.path.to_str()?, &d.headings))).collect();
    let mut payload = (kg.len() as u64).to_le_bytes().to_vec();
    payload.extend_from_slice(&kg);
    payload.extend_from_slice(&postcard::to_stdvec(&docs).expect("plain records serialize"));
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
        save_graph(&fs, &path, [(&file, Some(stamp))], &docs).unwrap();
        assert!(fs.stamp(older).is_none(), "another version's graph is removed");
        assert!(fs.stamp(Path::new(&other_release)).is_none(), "and another release's");
        let (opened, opened_docs) = open_graph(&fs, &path).unwrap();
        assert_eq!(opened.get(Path::new("/kg/a.md")), Some(&(stamp, std::sync::Arc::new(file))));
        assert_eq!(opened_docs, docs);
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
        assert!(
            refused(&seal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, b"\xff\xff\xff\xff\xff")).starts_with("not a saved graph")
        );
        assert_eq!(open_graph(&fs, Path::new("/cache/none.kg")).unwrap_err().to_string(), "path does not exist");
    }
}
