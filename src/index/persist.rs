//! Saving a [`CompletionIndex`] to the cache directory and opening it again without rebuilding.
//!
//! The file is sealed (magic, format version, length, CRC-32: see [`crate::cache`]) around the
//! index's flat payload (see the layout in [`super::completion`]). Opening memory-maps the
//! file: the fsts, arrays and blocks of texts are used in place, zero-copy; nothing is decoded
//! into memory. A file that is corrupt, truncated, stale, inconsistent or from another format
//! version is refused, never trusted: the caller rebuilds. Sources are identified by a
//! [`fingerprint`] of their paths, sizes and modification times, so checking freshness reads no
//! file contents.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bytes::Bytes;
use super::completion::CompletionIndex;
use crate::cache::{Unsealed, seal, unseal, write_atomic};

const MAGIC: &[u8; 8] = b"KGLSCOMP";
/// Bump when the layout of the file or of the index payload changes.
pub const FORMAT_VERSION: u32 = 3;

/// Why a persisted index was not used.
#[derive(Debug)]
pub enum OpenError {
    Io(std::io::Error),
    Unsealed(Unsealed),
    Decode(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(e) => write!(f, "cannot read: {e}"),
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
pub fn remove_stale(cache_dir: &Path, keep: &Path, scope: u64) -> usize {
    let Ok(entries) = std::fs::read_dir(cache_dir) else { return 0 };
    let ours = format!("completion-v{FORMAT_VERSION}-{scope:016x}-");
    let current = format!("completion-v{FORMAT_VERSION}-");
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = name.starts_with("completion-v")
            && name.ends_with(".idx")
            && (name.starts_with(&ours) || !name.starts_with(&current));
        if stale && entry.path() != keep && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes `index` to `path` atomically.
pub fn save(index: &CompletionIndex, path: &Path) -> std::io::Result<()> {
    write_atomic(path, &seal(MAGIC, FORMAT_VERSION, index.bytes()))
}

/// Opens a saved index, memory-mapping it.
pub fn open(path: &Path) -> Result<CompletionIndex, OpenError> {
    let file = std::fs::File::open(path).map_err(OpenError::Io)?;
    // SAFETY: the file is only ever replaced by rename, never written in place, so the mapped
    // bytes do not change under us; its checksum is verified before use.
    let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.map_err(OpenError::Io)?);
    let payload = unseal(MAGIC, FORMAT_VERSION, &map).map_err(OpenError::Unsealed)?;
    let offset = map.len() - payload.len();
    let bytes = Bytes::mapped(map.clone(), offset..map.len());
    CompletionIndex::from_bytes(bytes).map_err(OpenError::Decode)
}

/// A fingerprint of knowledge-graph sources: every file's path, size and modification time,
/// in path order. `files` lists the files (see [`crate::kg::list_source_files`]). The files are
/// statted on every core (up to 8): a stat is a system call of 1 to 2 µs here, 0.8 s for 625k
/// files on one core, and start-up waits for it.
pub fn fingerprint(files: &[PathBuf]) -> u64 {
    fingerprint_in_chunks(files, 4096)
}

/// [`fingerprint`], with threads taking `chunk` files at a time.
fn fingerprint_in_chunks(files: &[PathBuf], chunk: usize) -> u64 {
    type Stat = Option<(u64, Option<std::time::SystemTime>)>;
    let stat = |f: &PathBuf| -> Stat { std::fs::metadata(f).ok().map(|m| (m.len(), m.modified().ok())) };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let workers = workers.min(files.len().div_ceil(chunk));
    let stats: Vec<Stat> = if workers <= 1 {
        files.iter().map(stat).collect()
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let start = next.fetch_add(chunk, std::sync::atomic::Ordering::Relaxed);
                let Some(chunk) = files.get(start..(start + chunk).min(files.len())).filter(|c| !c.is_empty()) else {
                    break done;
                };
                done.push((start, chunk.iter().map(stat).collect::<Vec<_>>()));
            }
        };
        let mut parts: Vec<(usize, Vec<Stat>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
            let mut parts = work();
            for h in handles {
                parts.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            parts
        });
        parts.sort_unstable_by_key(|(start, _)| *start);
        parts.into_iter().flat_map(|(_, s)| s).collect()
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    FORMAT_VERSION.hash(&mut h);
    for (f, s) in files.iter().zip(stats) {
        f.hash(&mut h);
        if let Some((len, modified)) = s {
            len.hash(&mut h);
            if let Some(t) = modified {
                t.hash(&mut h);
            }
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::TermInput;

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
        save(&built, &path).unwrap();
        let opened = open(&path).unwrap();
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
        save(&sample(), &path).unwrap();
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x40;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(open(&path), Err(OpenError::Unsealed(Unsealed::BadChecksum))));
        std::fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(matches!(open(&path), Err(OpenError::Unsealed(Unsealed::WrongLength))));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(open(&path).is_err());
        assert!(matches!(open(&dir.path().join("missing.idx")), Err(OpenError::Io(_))));
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
        save(&sample(), &new).unwrap();
        assert_eq!(remove_stale(dir.path(), &new, 1), 2);
        assert!(new.exists() && other_graph.exists() && unrelated.exists());
        assert!(!old.exists() && !legacy.exists());
    }

    #[test]
    fn fingerprint_changes_with_size_or_file_set() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.md");
        std::fs::write(&a, "one").unwrap();
        let f1 = fingerprint(std::slice::from_ref(&a));
        assert_eq!(f1, fingerprint(std::slice::from_ref(&a)));
        std::fs::write(&a, "three").unwrap();
        assert_ne!(f1, fingerprint(std::slice::from_ref(&a)));
        assert_ne!(fingerprint(std::slice::from_ref(&a)), fingerprint(&[a.clone(), dir.path().join("b.md")]));
    }

    #[test]
    fn fingerprint_is_the_same_on_any_number_of_threads_and_sees_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (0..9).map(|i| dir.path().join(format!("{i}.md"))).collect();
        for (i, f) in files.iter().enumerate() {
            std::fs::write(f, "x".repeat(i)).unwrap();
        }
        let serial = fingerprint_in_chunks(&files, usize::MAX);
        for chunk in [1, 2, 4] {
            assert_eq!(fingerprint_in_chunks(&files, chunk), serial, "chunks of {chunk}");
        }
        // A change in the middle, statted by whichever thread takes it, is seen.
        std::fs::write(&files[5], "changed!").unwrap();
        assert_ne!(fingerprint_in_chunks(&files, 2), serial);
    }
}
