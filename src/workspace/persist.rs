//! The completion index saved between runs: finding the file of the current sources and
//! opening it, and saving a new one.
//!
//! It reads the configuration files and the sources' sizes and times (never their contents),
//! and maps, writes and removes index files through the [`Vfs`] it is given; the format and
//! its checks are `index::persist`'s. It holds no workspace state.

use std::path::PathBuf;

use super::{Settings, load_config_file, resolve};
use crate::cache::hash_of;
use crate::vfs::Vfs;

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
/// exists and its checksum and structure are intact; reads no source contents (only their
/// sizes and times). Its keys are not walked here: the caller serves completion from it at
/// once and then runs [`crate::index::CompletionIndex::check_keys`].
pub fn open_persisted(fs: &dyn Vfs, roots: &[PathBuf], client: Option<&Settings>) -> Persisted {
    let Some(dir) = crate::cache::cache_dir() else { return Persisted::default() };
    let (files, _) = load_config_file(roots);
    let (config, _) = resolve(roots, client, &files, &|p| fs.stamp(p).is_some());
    let fp = crate::index::persist::fingerprint(&config.sources);
    let scope = hash_of(&config.sources);
    let path = crate::index::persist::index_path(&dir, scope, fp);
    let mut p = Persisted { file: Some(IndexFile { path: path.clone(), scope }), ..Default::default() };
    if fs.stamp(&path).is_some() {
        match crate::index::persist::open_deferring_keys(fs, &path) {
            Ok(index) => p.index = Some(index),
            Err(e) => p.refused = Some(format!("{}: {e}", path.display())),
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
