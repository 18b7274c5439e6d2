//! Where a full-text index lives on disk: one folder in the cache directory per workspace and
//! schema version, opened memory-mapped through tantivy's `MmapDirectory`.
//!
//! A folder that does not open, or holds an index of another schema, is removed and a new
//! index is created in its place: a damaged index is rebuilt, never trusted. The folders of
//! other schema versions of the same workspace are removed too. This is the only file that
//! hands tantivy a folder; it knows nothing about what is indexed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tantivy::Index;
use tantivy::directory::MmapDirectory;

use super::{SCHEMA_VERSION, TextError, TextIndex, schema};

/// The folder of the index of the workspace named by `scope` inside `cache_dir`.
pub fn index_dir(cache_dir: &Path, scope: u64) -> PathBuf {
    cache_dir.join(format!("text-v{SCHEMA_VERSION}-{scope:016x}"))
}

/// How an index on disk was opened.
#[derive(Debug)]
pub struct Opened {
    pub index: TextIndex,
    /// Why the folder's old contents were not used, when they were not.
    pub rebuilt: Option<String>,
    /// What [`TextIndex::stamps`] says of it now (read once while opening, to check it).
    pub stamps: HashMap<PathBuf, u64>,
}

/// Opens the index in `dir`, or creates an empty one there when there is none or it cannot be
/// used.
pub fn open_or_create(dir: &Path) -> Result<Opened, TextError> {
    remove_other_versions(dir);
    let exists = dir.join("meta.json").exists();
    let rebuilt = if exists {
        match open(dir) {
            Ok((index, stamps)) => return Ok(Opened { index, rebuilt: None, stamps }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(dir);
                Some(e.to_string())
            }
        }
    } else {
        None
    };
    std::fs::create_dir_all(dir).map_err(|e| TextError(format!("{}: {e}", dir.display())))?;
    let directory = MmapDirectory::open(dir).map_err(|e| TextError(format!("{}: {e}", dir.display())))?;
    let (schema, _) = schema();
    let index = Index::create(directory, schema, Default::default())?;
    Ok(Opened { index: TextIndex::from_index(index)?, rebuilt, stamps: HashMap::new() })
}

fn open(dir: &Path) -> Result<(TextIndex, HashMap<PathBuf, u64>), TextError> {
    let directory = MmapDirectory::open(dir).map_err(|e| TextError(e.to_string()))?;
    let index = Index::open(directory)?;
    let index = TextIndex::from_index(index)?;
    // Reading the stamps touches every segment's store: a damaged one fails here, not later.
    let stamps = index.stamps()?;
    Ok((index, stamps))
}

/// Removes `text-v{other}-{scope}` beside `dir`.
fn remove_other_versions(dir: &Path) {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name().and_then(|n| n.to_str())) else { return };
    let Some((_, scope)) = name.split_once('-').and_then(|(_, rest)| rest.split_once('-')) else { return };
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let other = e.file_name();
        let Some(other) = other.to_str() else { continue };
        if other != name && other.starts_with("text-v") && other.ends_with(&format!("-{scope}")) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
