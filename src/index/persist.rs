//! Saving a [`CompletionIndex`] to the cache directory and opening it again without rebuilding.
//!
//! The file is sealed (magic, format version, length, CRC-32: see [`crate::cache`]) around the
//! index's flat payload (see the layout in [`super::completion`]). Opening maps the file
//! through the [`Vfs`] (memory-mapped on disk): the fsts, arrays and blocks of texts are used
//! in place, zero-copy; nothing is decoded
//! into memory. A file that is corrupt, truncated, stale, inconsistent or from another format
//! version is refused, never trusted: the caller rebuilds. Sources are identified by a
//! [`fingerprint`] of their paths, sizes and modification times, so checking freshness reads no
//! file contents.

use super::bytes::Bytes;
use super::completion::{CompletionIndex, FormatError};
use crate::cache::{Unsealed, seal, unseal};
use crate::vfs::{ReadError, Vfs};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"KGLSCOMP";
/// Bump when the layout of the file or of the index payload changes, or how keys are folded
/// (4: full Unicode case folding, so `ﬁ` is `fi`).
pub const FORMAT_VERSION: u32 = 4;

/// Why a persisted index was not used.
#[derive(Debug)]
pub enum OpenError {
    Read(ReadError),
    Unsealed(Unsealed),
    /// The payload is damaged or inconsistent.
    Decode(FormatError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Read(e) => write!(f, "{e}"),
            OpenError::Unsealed(u) => write!(f, "{u}"),
            OpenError::Decode(e) => write!(f, "cannot decode: {e}"),
        }
    }
}

/// Where the index of one knowledge graph lives inside `cache_dir`: `scope` names the graph
/// (its configured sources), `fingerprint` the state of its files.
pub fn index_path(cache_dir: &Path, scope: u64, fingerprint: u64) -> PathBuf {
    cache_dir.join(format!("completion-v{FORMAT_VERSION}-{scope:016x}-{fingerprint:016x}.idx"))
}

/// Removes the indexes that `keep` replaces: the same graph's older states, and every file of
/// another format version (no build of this version can read them). Other graphs' indexes stay.
/// Returns how many files were removed.
pub fn remove_stale(fs: &dyn Vfs, cache_dir: &Path, keep: &Path, scope: u64) -> usize {
    let ours = format!("completion-v{FORMAT_VERSION}-{scope:016x}-");
    let current = format!("completion-v{FORMAT_VERSION}-");
    let mut removed = 0;
    for (path, _) in fs.list_dir(cache_dir) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let stale = name.starts_with("completion-v")
            && name.ends_with(".idx")
            && (name.starts_with(&ours) || !name.starts_with(&current));
        if stale && path != keep && fs.remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The newest index of the graph `scope` in `cache_dir` (by modification time), whatever state
/// of its files it was built from: served while a load catches up with the files that changed.
pub fn newest_of_scope(fs: &dyn Vfs, cache_dir: &Path, scope: u64) -> Option<PathBuf> {
    let ours = format!("completion-v{FORMAT_VERSION}-{scope:016x}-");
    fs.list_dir(cache_dir)
        .into_iter()
        .filter(|(path, _)| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&ours) && n.ends_with(".idx"))
        })
        .max_by_key(|(path, stamp)| (stamp.modified, path.clone()))
        .map(|(path, _)| path)
}

/// Writes `index` to `path` atomically.
pub fn save(fs: &dyn Vfs, index: &CompletionIndex, path: &Path) -> std::io::Result<()> {
    fs.write_atomic(path, &seal(MAGIC, FORMAT_VERSION, index.bytes()))
}

/// Opens a saved index, mapping it.
pub fn open(fs: &dyn Vfs, path: &Path) -> Result<CompletionIndex, OpenError> {
    let index = open_deferring_keys(fs, path)?;
    index.check_keys().map_err(OpenError::Decode)?;
    Ok(index)
}

/// [`open`] without the check that every key is UTF-8, for a caller that serves completion from
/// the index at once and then runs [`CompletionIndex::check_keys`] itself. The checksum and the
/// structure are checked here all the same.
pub fn open_deferring_keys(fs: &dyn Vfs, path: &Path) -> Result<CompletionIndex, OpenError> {
    // The file is only ever replaced by rename ([`save`]), as `Vfs::map` requires; its checksum
    // is verified before use.
    let map = fs.map(path).map_err(OpenError::Read)?;
    let all: &[u8] = (*map).as_ref();
    let payload = unseal(MAGIC, FORMAT_VERSION, all).map_err(OpenError::Unsealed)?;
    let (offset, len) = (all.len() - payload.len(), all.len());
    let bytes = Bytes::mapped(map.clone(), offset..len);
    CompletionIndex::from_bytes_deferring_keys(bytes).map_err(OpenError::Decode)
}

/// A fingerprint of knowledge-graph sources: every file's path, size and modification time,
/// read without opening a file. Each file is hashed on its own and the hashes are summed, so the
/// folders are walked and the files statted on every core in any order: no sort of the paths
/// and no stat one after another, which on a graph of many files would dominate a warm start.
pub fn fingerprint(sources: &[crate::kg::KgSource]) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    let (sum, count) = (AtomicU64::new(0), AtomicU64::new(0));
    crate::kg::visit_source_files(sources, &|path| {
        sum.fetch_add(file_hash(path, crate::kg::file_stamp(path)), Ordering::Relaxed);
        count.fetch_add(1, Ordering::Relaxed);
    });
    finish(count.into_inner(), sum.into_inner())
}

/// [`fingerprint`] of files already statted (as a load stats them): the same value for the same
/// files and stamps, with no walk.
pub fn fingerprint_of<'a>(files: impl IntoIterator<Item = (&'a Path, Option<crate::kg::FileStamp>)>) -> u64 {
    let (mut sum, mut count) = (0u64, 0u64);
    for (path, stamp) in files {
        sum = sum.wrapping_add(file_hash(path, stamp));
        count += 1;
    }
    finish(count, sum)
}

fn file_hash(path: &Path, stamp: Option<crate::kg::FileStamp>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    stamp.hash(&mut h);
    h.finish()
}

fn finish(count: u64, sum: u64) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (FORMAT_VERSION, count, sum).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::TermInput;
    use crate::vfs::RealFs;

    fn sample() -> CompletionIndex {
        // Concept 2 has no terms: its name is stored on its own.
        let names = vec!["tokio".to_string(), "async runtime".to_string(), "Orphan".to_string()];
        let terms = vec![
            TermInput { text: "tokio".into(), concept: 0, weight: 2.0 },
            TermInput { text: "Tokio RT".into(), concept: 0, weight: 1.0 },
            TermInput { text: "async runtime".into(), concept: 1, weight: 1.5 },
        ];
        CompletionIndex::build(terms, &names)
    }

    #[test]
    fn saved_index_opens_with_the_same_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = index_path(dir.path(), 1, 7);
        let built = sample();
        save(&RealFs, &built, &path).unwrap();
        let opened = open(&RealFs, &path).unwrap();
        let none = |_: u32| 0.0;
        for q in ["t", "tok", "tokio r", "async", "tokoi"] {
            let a: Vec<_> = built.prefix(q, 10, &none).into_iter().chain(built.fuzzy(q, 10, &none)).collect();
            let b: Vec<_> = opened.prefix(q, 10, &none).into_iter().chain(opened.fuzzy(q, 10, &none)).collect();
            assert_eq!(a, b, "{q}");
        }
        assert_eq!(opened.concept_name(1), "async runtime");
        assert_eq!(opened.concept_name(2), "Orphan");
        assert_eq!(opened.concept_count(), 3);
        assert_eq!(opened.text(opened.exact("tokio rt").start), "Tokio RT");
    }

    #[test]
    fn corrupt_truncated_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        save(&RealFs, &sample(), &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x40;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(open(&RealFs, &path), Err(OpenError::Unsealed(Unsealed::BadChecksum))));
        std::fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(matches!(open(&RealFs, &path), Err(OpenError::Unsealed(Unsealed::WrongLength))));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(open(&RealFs, &path).is_err());
        assert!(matches!(open(&RealFs, &dir.path().join("missing.idx")), Err(OpenError::Read(ReadError::NotFound))));
    }

    /// A sealed file (its checksum right) whose payload has a key that is not UTF-8: refused
    /// with the reason, for the caller to rebuild, not a panic at the first lookup.
    #[test]
    fn a_sealed_index_with_a_damaged_key_is_refused() {
        let idx = sample();
        let payload = crate::index::completion::tests::with_keys(&idx, &[b"async runtime", b"tokio", b"tokio r\xfft"]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.idx");
        RealFs.write_atomic(&path, &seal(MAGIC, FORMAT_VERSION, &payload)).unwrap();
        let err = open(&RealFs, &path).unwrap_err();
        assert!(matches!(err, OpenError::Decode(FormatError::KeyNotUtf8)), "{err}");
        assert_eq!(err.to_string(), "cannot decode: a key is not UTF-8");
        // Opened for serving at once, it reads, and the deferred check finds the same key.
        let served = open_deferring_keys(&RealFs, &path).expect("checksum and structure are intact");
        assert_eq!(served.check_keys(), Err(FormatError::KeyNotUtf8));
        let good = dir.path().join("good.idx");
        save(&RealFs, &idx, &good).unwrap();
        assert_eq!(open_deferring_keys(&RealFs, &good).unwrap().check_keys(), Ok(()));
    }

    #[test]
    fn saving_removes_the_same_graphs_older_indexes_and_other_versions_only() {
        let dir = tempfile::tempdir().unwrap();
        let old = index_path(dir.path(), 1, 7);
        let other_graph = index_path(dir.path(), 2, 7);
        let legacy = dir.path().join("completion-v1-00000000000000aa.idx");
        let unrelated = dir.path().join("search-l3.bin");
        for p in [&old, &other_graph, &legacy, &unrelated] {
            std::fs::write(p, b"x").unwrap();
        }
        let new = index_path(dir.path(), 1, 8);
        save(&RealFs, &sample(), &new).unwrap();
        assert_eq!(remove_stale(&RealFs, dir.path(), &new, 1), 2);
        assert!(new.exists() && other_graph.exists() && unrelated.exists());
        assert!(!old.exists() && !legacy.exists());
    }

    #[test]
    fn the_newest_index_of_a_graph_is_found_whatever_its_fingerprint() {
        let fs = crate::vfs::MemFs::default();
        let dir = Path::new("/cache");
        assert_eq!(newest_of_scope(&fs, dir, 1), None);
        for (scope, fp) in [(1, 7), (2, 9), (1, 8)] {
            save(&fs, &sample(), &index_path(dir, scope, fp)).unwrap();
        }
        fs.write(dir.join(format!("completion-v{}-{:016x}-aa.idx", FORMAT_VERSION + 1, 1)), b"x");
        assert_eq!(newest_of_scope(&fs, dir, 1), Some(index_path(dir, 1, 8)));
        assert_eq!(newest_of_scope(&fs, dir, 2), Some(index_path(dir, 2, 9)));
        assert_eq!(newest_of_scope(&fs, dir, 3), None);
    }

    #[test]
    fn fingerprint_changes_with_size_or_file_set() {
        use crate::kg::KgSource;
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.md");
        std::fs::write(&a, "one").unwrap();
        let file = |p: &std::path::Path| KgSource { path: p.to_path_buf() };
        let f1 = fingerprint(&[file(&a)]);
        assert_eq!(f1, fingerprint(&[file(&a)]));
        std::fs::write(&a, "three").unwrap();
        assert_ne!(f1, fingerprint(&[file(&a)]));
        // A source that is missing counts for nothing until it is there.
        let b = dir.path().join("b.md");
        let without = fingerprint(&[file(&a)]);
        assert_eq!(fingerprint(&[file(&a), file(&b)]), without);
        std::fs::write(&b, "").unwrap();
        assert_ne!(fingerprint(&[file(&a), file(&b)]), without);
    }

    #[test]
    fn fingerprint_of_a_folder_sees_every_file_whatever_the_walk() {
        use crate::kg::KgSource;
        let dir = tempfile::tempdir().unwrap();
        let kg = dir.path().join("kg");
        let names: Vec<String> = (0..40).map(|i| format!("{}/{i}.md", i % 3)).collect();
        for (i, name) in names.iter().enumerate() {
            std::fs::create_dir_all(kg.join(name).parent().unwrap()).unwrap();
            std::fs::write(kg.join(name), "x".repeat(i)).unwrap();
        }
        std::fs::write(kg.join("notes.txt"), "not a source").unwrap();
        let folder = fingerprint(&[KgSource { path: kg.clone() }]);
        // The same files named one by one: another order, the same fingerprint.
        let one_by_one: Vec<KgSource> = names.iter().rev().map(|n| KgSource { path: kg.join(n) }).collect();
        assert_eq!(fingerprint(&one_by_one), folder);
        assert_eq!(fingerprint(&[KgSource { path: kg.clone() }]), folder, "walks on several threads agree");
        // Files that are not sources do not count; any source file's change does.
        std::fs::write(kg.join("notes.txt"), "still not a source").unwrap();
        assert_eq!(fingerprint(&[KgSource { path: kg.clone() }]), folder);
        std::fs::write(kg.join("1/22.md"), "changed").unwrap();
        let changed = fingerprint(&[KgSource { path: kg.clone() }]);
        assert_ne!(changed, folder);
        std::fs::write(kg.join("2/new.md"), "").unwrap();
        let added = fingerprint(&[KgSource { path: kg.clone() }]);
        assert_ne!(added, changed);
        // The same from the files a load listed and statted.
        let (paths, _) = crate::kg::list_source_files(&[KgSource { path: kg.clone() }]);
        assert_eq!(fingerprint_of(paths.iter().map(|p| (p.as_path(), crate::kg::file_stamp(p)))), added);
    }
}
