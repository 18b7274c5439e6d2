//! The state saved between runs: the completion index and the parsed knowledge graph of the
//! current sources, finding their files and opening them, and saving new ones.
//!
//! It reads the configuration files and the sources' sizes and times (never their contents),
//! and maps, writes and removes cache files through the [`Vfs`] it is given; the completion
//! index's format and checks are `index::persist`'s, the graph's payload `kg`'s (sealed here).
//! It holds no workspace state.
//!
//! Both files are named by the scope (a hash of the configured sources). The completion index's
//! name also holds the fingerprint of the sources' files: the index of exactly these files is
//! used when there is one, else the scope's newest (a few files stale, to serve completion
//! while the load reads what changed). The graph has one file per scope, whatever its files'
//! state: each file in it carries its stamp, and a load keeps the ones that did not change.

use std::path::{Path, PathBuf};

use super::{Settings, load_config_file, resolve};
use crate::cache::{Unsealed, hash_of, seal, unseal};
use crate::kg::{DecodeError, FileStamp, KgFile, SavedFiles};
use crate::vfs::{ReadError, Vfs};

const GRAPH_MAGIC: &[u8; 8] = b"KGLSGRPH";
/// Bump when the graph's payload (`kg::encode_saved`) or what a parser makes of a file changes.
pub const GRAPH_FORMAT_VERSION: u32 = 1;

/// The cache files of one knowledge graph.
#[derive(Clone, Debug)]
pub struct IndexFile {
    /// The completion index of the sources' current state.
    pub path: PathBuf,
    /// Names the graph (its configured sources) across changes to its files.
    pub scope: u64,
    /// The saved parsed graph of the scope.
    pub graph: PathBuf,
}

/// A persisted completion index found (or not) for the current sources.
#[derive(Default)]
pub struct Persisted {
    /// Where the index of the current sources goes, when there is a cache directory to use.
    pub file: Option<IndexFile>,
    pub index: Option<crate::index::CompletionIndex>,
    /// The index is the scope's newest but was built from another state of its files.
    pub stale: bool,
    /// Why a file that was there was not used.
    pub refused: Option<String>,
}

/// Opens the persisted completion index for the sources this configuration names, if one
/// exists and its checksum and structure are intact: the one of their files' current state, or
/// else the newest one of the same sources ([`Persisted::stale`]). Reads no source contents
/// (only their sizes and times). Its keys are not walked here: the caller serves completion
/// from it at once and then runs [`crate::index::CompletionIndex::check_keys`].
pub fn open_persisted(fs: &dyn Vfs, roots: &[PathBuf], client: Option<&Settings>) -> Persisted {
    let Some(dir) = crate::cache::cache_dir() else { return Persisted::default() };
    let (files, _) = load_config_file(roots);
    let (config, _) = resolve(roots, client, &files, &|p| fs.stamp(p).is_some());
    let fp = crate::index::persist::fingerprint(&config.sources);
    let scope = hash_of(&config.sources);
    let path = crate::index::persist::index_path(&dir, scope, fp);
    let graph = graph_path(&dir, scope);
    let mut p = Persisted { file: Some(IndexFile { path: path.clone(), scope, graph }), ..Default::default() };
    let (found, stale) = if fs.stamp(&path).is_some() {
        (Some(path), false)
    } else {
        (crate::index::persist::newest_of_scope(fs, &dir, scope), true)
    };
    if let Some(found) = found {
        match crate::index::persist::open_deferring_keys(fs, &found) {
            Ok(index) => (p.index, p.stale) = (Some(index), stale),
            Err(e) => p.refused = Some(format!("{}: {e}", found.display())),
        }
    }
    p
}

/// Saves the completion index (to the file [`open_persisted`] named) and removes the indexes it
/// replaces, so the cache directory does not grow with every edit of the graph.
pub fn save_persisted(fs: &dyn Vfs, index: &crate::index::CompletionIndex, file: &IndexFile) -> std::io::Result<()> {
    crate::index::persist::save(fs, index, &file.path)?;
    if let Some(dir) = file.path.parent() {
        crate::index::persist::remove_stale(fs, dir, &file.path, file.scope);
    }
    Ok(())
}

/// Where the parsed graph of the sources named by `scope` is saved.
pub fn graph_path(cache_dir: &Path, scope: u64) -> PathBuf {
    cache_dir.join(format!("graph-v{GRAPH_FORMAT_VERSION}-{scope:016x}.kg"))
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

/// The parsed files saved at `path` ([`save_graph`]), each with the stamp it had then; a file
/// that is missing, damaged or of another format is an error, for the caller to load in full.
pub fn open_graph(fs: &dyn Vfs, path: &Path) -> Result<SavedFiles, GraphError> {
    let map = fs.map(path).map_err(GraphError::Read)?;
    let payload = unseal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, (*map).as_ref()).map_err(GraphError::Unsealed)?;
    crate::kg::decode_saved(payload).map_err(GraphError::Decode)
}

/// Saves parsed files with the stamps they had when read, replacing the file at `path`
/// atomically, and removes the graphs of other format versions.
pub fn save_graph<'a>(
    fs: &dyn Vfs,
    path: &Path,
    files: impl IntoIterator<Item = (&'a KgFile, Option<FileStamp>)>,
) -> std::io::Result<()> {
    fs.write_atomic(path, &seal(GRAPH_MAGIC, GRAPH_FORMAT_VERSION, &crate::kg::encode_saved(files)))?;
    let current = format!("graph-v{GRAPH_FORMAT_VERSION}-");
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
        save_graph(&fs, &path, [(&file, Some(stamp))]).unwrap();
        assert!(fs.stamp(older).is_none(), "another version's graph is removed");
        let opened = open_graph(&fs, &path).unwrap();
        assert_eq!(opened[Path::new("/kg/a.md")], (stamp, std::sync::Arc::new(file)));
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
