//! The files the core reads, as the host provides them: the one seam between the core and the
//! file system.
//!
//! [`Vfs`] answers two questions about a path: its bytes ([`Vfs::read`], bounded, or
//! [`Vfs::map`], in place) and what is there now without reading it ([`Vfs::stamp`]: kind,
//! size, modification time). It also lists folders and writes and removes the files the
//! persisted caches keep ([`Vfs::write_atomic`], [`Vfs::remove_file`]). The host picks
//! the implementation: [`RealFs`] reads the disk, [`MemFs`] holds files in memory (tests supply
//! files without a disk), and [`Overlay`] puts the editor's open buffers over either, so that an
//! open and edited file wins over what the disk says wherever the core reads it.
//!
//! Only [`RealFs`] and the loaders behind it (`kg::load`, `workspace::load`) touch `std::fs`
//! or map memory; `tests/tidy.rs` checks that. Nothing here parses, and nothing here
//! knows protocol types or an async runtime.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::RwLock;

/// Where the core reads files: the disk, memory, or open buffers over either.
pub trait Vfs: Send + Sync + std::fmt::Debug {
    /// The bytes of the file at `path`, refused when it holds more than `limit` bytes.
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError>;

    /// What is at `path` now, without reading it; `None` when nothing is (or it cannot be
    /// statted).
    fn stamp(&self, path: &Path) -> Option<Stamp>;

    /// Visits the files under `root` (a folder or a file) in the order a walk finds them,
    /// leaving out what `.gitignore` files and hidden-file rules exclude, until `visit` breaks.
    /// What cannot be listed is skipped.
    fn walk_files(&self, root: &Path, visit: &mut dyn FnMut(&Path) -> ControlFlow<()>);

    /// The whole file at `path` as one shared block, read in place where the source can map
    /// it. Only for files that are replaced by rename, never written in place (what
    /// [`Vfs::write_atomic`] writes), so the block cannot change while it is held; the caller
    /// checks its contents all the same.
    fn map(&self, path: &Path) -> Result<Mapped, ReadError>;

    /// Writes `bytes` to `path`, creating its folder, so that a reader sees the old file or the
    /// new one, never half of one.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;

    /// Removes the file at `path`.
    fn remove_file(&self, path: &Path) -> std::io::Result<()>;

    /// The files directly in the folder `dir` with their stamps, in no set order; nothing when
    /// it cannot be listed. Hidden files are listed too: this is for folders the caller owns.
    fn list_dir(&self, dir: &Path) -> Vec<(PathBuf, Stamp)>;
}

/// A whole file held in one shared block: a memory map, or bytes in memory.
pub type Mapped = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// What tells one version of a file from another without reading it.
///
/// For a file on disk that is its size and modification time: two writes of the same size
/// within the file system's timestamp granularity look alike, and every user of a stamp accepts
/// that. An open buffer has no time; its stamp holds a hash of its text instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub kind: EntryKind,
    pub len: u64,
    pub modified: Option<SystemTime>,
    /// A hash of the content, where the source has the content at hand (open buffers).
    pub content: Option<u64>,
}

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    File,
    Dir,
    /// A device, socket or anything else that is neither.
    Other,
}

/// Why a file could not be read. Its `Display` is the message a problem report shows.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    /// The file is over the reader's limit.
    TooLarge {
        len: u64,
        limit: u64,
    },
    /// The file grew over the limit while it was read.
    Grew {
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("path does not exist"),
            ReadError::TooLarge { len, limit } => {
                write!(f, "file is {len} bytes, over the {limit} byte limit for its kind; skipped")
            }
            ReadError::Grew { limit } => {
                write!(f, "file grew over the {limit} byte limit for its kind while it was read; skipped")
            }
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(e),
        }
    }
}

/// The disk, through `std::fs`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl Vfs for RealFs {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        // Opened once, then sized and read through the handle: a `stat` by path before the read
        // would cost every file of a large graph a second path lookup.
        let mut handle = std::fs::File::open(path)?;
        let len = handle.metadata()?.len();
        if len > limit {
            return Err(ReadError::TooLarge { len, limit });
        }
        // One byte more than the size, so a file that grew since is read to its end in one go.
        let mut bytes = Vec::with_capacity(len as usize + 1);
        (&mut handle).take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::Grew { limit });
        }
        Ok(bytes)
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        let kind = if m.is_file() {
            EntryKind::File
        } else if m.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::Other
        };
        Some(Stamp { kind, len: m.len(), modified: m.modified().ok(), content: None })
    }

    fn walk_files(&self, root: &Path, visit: &mut dyn FnMut(&Path) -> ControlFlow<()>) {
        for entry in ignore::WalkBuilder::new(root).build() {
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_some_and(|t| t.is_file()) && visit(entry.path()).is_break() {
                return;
            }
        }
    }

    fn map(&self, path: &Path) -> Result<Mapped, ReadError> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the trait's contract: files read this way are only ever replaced by rename,
        // never written in place, so the mapped bytes do not change under the map.
        let map = unsafe { memmap2::Mmap::map(&file) }?;
        Ok(Arc::new(map))
    }

    /// Through a temporary file in the same folder, synced, then a rename.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write as _;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.{:x}.tmp", std::process::id(), unique()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }

    fn list_dir(&self, dir: &Path) -> Vec<(PathBuf, Stamp)> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        entries
            .flatten()
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                m.is_file().then(|| {
                    let stamp =
                        Stamp { kind: EntryKind::File, len: m.len(), modified: m.modified().ok(), content: None };
                    (e.path(), stamp)
                })
            })
            .collect()
    }
}

/// A name part that no other temporary file of this process has had.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    t ^ N.fetch_add(1, Ordering::Relaxed).rotate_left(32)
}

/// Files held in memory, for tests and tools that have no disk to use. Folders exist where a
/// file is below them. Every write moves the file's modification time on, as a disk would.
#[derive(Debug, Default)]
pub struct MemFs {
    files: RwLock<BTreeMap<PathBuf, MemFile>>,
    writes: std::sync::atomic::AtomicU64,
}

/// A file of a [`MemFs`]: its bytes and when they were written.
type MemFile = (Arc<[u8]>, SystemTime);

impl MemFs {
    /// A file system holding `files` (path, content).
    pub fn with<P: Into<PathBuf>>(files: impl IntoIterator<Item = (P, impl AsRef<[u8]>)>) -> MemFs {
        let fs = MemFs::default();
        for (path, bytes) in files {
            fs.write(path, bytes);
        }
        fs
    }

    /// Creates or replaces the file at `path`.
    pub fn write(&self, path: impl Into<PathBuf>, bytes: impl AsRef<[u8]>) {
        let n = self.writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(n);
        self.files.write().insert(path.into(), (Arc::from(bytes.as_ref()), modified));
    }

    /// Removes the file at `path`; returns whether there was one.
    pub fn remove(&self, path: &Path) -> bool {
        self.files.write().remove(path).is_some()
    }
}

fn mem_stamp((bytes, modified): &MemFile) -> Stamp {
    Stamp { kind: EntryKind::File, len: bytes.len() as u64, modified: Some(*modified), content: None }
}

impl Vfs for MemFs {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        let files = self.files.read();
        let (bytes, _) = files.get(path).ok_or(ReadError::NotFound)?;
        bounded(bytes, limit)
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        let files = self.files.read();
        if let Some(file) = files.get(path) {
            return Some(mem_stamp(file));
        }
        // A folder: some file sorts after it and lies below it.
        let below = files.range(path.to_path_buf()..).next().is_some_and(|(p, _)| p.starts_with(path));
        below.then_some(Stamp { kind: EntryKind::Dir, len: 0, modified: None, content: None })
    }

    /// In path order; hidden files and `.gitignore` rules are not applied in memory.
    fn walk_files(&self, root: &Path, visit: &mut dyn FnMut(&Path) -> ControlFlow<()>) {
        let below: Vec<PathBuf> = {
            let files = self.files.read();
            files.range(root.to_path_buf()..).map(|(p, _)| p).take_while(|p| p.starts_with(root)).cloned().collect()
        };
        for path in below {
            if visit(&path).is_break() {
                return;
            }
        }
    }

    fn map(&self, path: &Path) -> Result<Mapped, ReadError> {
        let files = self.files.read();
        let (bytes, _) = files.get(path).ok_or(ReadError::NotFound)?;
        Ok(Arc::new(bytes.clone()))
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.write(path, bytes);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        match self.remove(path) {
            true => Ok(()),
            false => Err(std::io::ErrorKind::NotFound.into()),
        }
    }

    fn list_dir(&self, dir: &Path) -> Vec<(PathBuf, Stamp)> {
        let files = self.files.read();
        let below = files.range(dir.to_path_buf()..).take_while(|(p, _)| p.starts_with(dir));
        below.filter(|(p, _)| p.parent() == Some(dir)).map(|(p, f)| (p.clone(), mem_stamp(f))).collect()
    }
}

/// The editor's open buffers over another [`Vfs`]: a path with an open buffer reads as the
/// buffer says, every other path as `base` does. Taken for a snapshot; it does not follow
/// later edits.
pub struct Overlay {
    base: Arc<dyn Vfs>,
    open: HashMap<PathBuf, Arc<String>>,
}

impl Overlay {
    pub fn new(base: Arc<dyn Vfs>, open: impl IntoIterator<Item = (PathBuf, Arc<String>)>) -> Overlay {
        Overlay { base, open: open.into_iter().collect() }
    }
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay").field("open", &self.open.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

impl Vfs for Overlay {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
        match self.open.get(path) {
            Some(text) => bounded(text.as_bytes(), limit),
            None => self.base.read(path, limit),
        }
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        match self.open.get(path) {
            Some(text) => Some(Stamp {
                kind: EntryKind::File,
                len: text.len() as u64,
                modified: None,
                content: Some(text_hash(text)),
            }),
            None => self.base.stamp(path),
        }
    }

    /// The base's files: a buffer with no file behind it is not part of a walk.
    fn walk_files(&self, root: &Path, visit: &mut dyn FnMut(&Path) -> ControlFlow<()>) {
        self.base.walk_files(root, visit);
    }

    fn map(&self, path: &Path) -> Result<Mapped, ReadError> {
        match self.open.get(path) {
            Some(text) => Ok(Arc::new(text.as_bytes().to_vec())),
            None => self.base.map(path),
        }
    }

    /// Writes go to the base: a buffer is the editor's to change.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.base.write_atomic(path, bytes)
    }

    fn remove_file(&self, path: &Path) -> std::io::Result<()> {
        self.base.remove_file(path)
    }

    fn list_dir(&self, dir: &Path) -> Vec<(PathBuf, Stamp)> {
        self.base.list_dir(dir)
    }
}

/// A hash of an open buffer's text, standing in for the modification time it does not have.
fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

fn bounded(bytes: &[u8], limit: u64) -> Result<Vec<u8>, ReadError> {
    let len = bytes.len() as u64;
    if len > limit {
        return Err(ReadError::TooLarge { len, limit });
    }
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `path` from `fs` as the problem report would show it.
    fn show(fs: &dyn Vfs, path: &str, limit: u64) -> String {
        let path = Path::new(path);
        let read = match fs.read(path, limit) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => format!("error: {e}"),
        };
        let kind = fs.stamp(path).map(|s| format!("{:?} {}", s.kind, s.len));
        format!("{read} | {}", kind.as_deref().unwrap_or("nothing"))
    }

    #[test]
    fn memory_files_read_stat_and_bound_as_the_disk_does() {
        let disk = tempfile::tempdir().unwrap();
        let root = disk.path();
        std::fs::create_dir_all(root.join("kg")).unwrap();
        std::fs::write(root.join("kg/a.md"), "# a\n").unwrap();
        let mem = MemFs::with([(root.join("kg/a.md"), "# a\n")]);
        for fs in [&RealFs as &dyn Vfs, &mem] {
            let at = |p: &str| root.join(p).display().to_string();
            assert_eq!(show(fs, &at("kg/a.md"), 16), "# a\n | File 4");
            assert_eq!(
                show(fs, &at("kg/a.md"), 2),
                "error: file is 4 bytes, over the 2 byte limit for its kind; skipped | File 4"
            );
            assert_eq!(fs.stamp(&root.join("kg")).map(|s| s.kind), Some(EntryKind::Dir));
            assert_eq!(show(fs, &at("kg/b.md"), 16), "error: path does not exist | nothing");
            assert_eq!(show(fs, &at("k"), 16), "error: path does not exist | nothing", "a prefix is not a folder");
        }
    }

    #[test]
    fn a_write_moves_the_stamp_on_and_a_removal_leaves_nothing() {
        let fs = MemFs::with([("/kg/a.md", "one")]);
        let first = fs.stamp(Path::new("/kg/a.md")).unwrap();
        fs.write("/kg/a.md", "two");
        let second = fs.stamp(Path::new("/kg/a.md")).unwrap();
        assert_eq!(first.len, second.len);
        assert_ne!(first, second, "same size, later write");
        assert!(fs.remove(Path::new("/kg/a.md")));
        assert_eq!(fs.stamp(Path::new("/kg/a.md")), None);
        assert_eq!(fs.stamp(Path::new("/kg")), None, "an emptied folder is gone");
    }

    /// What a cache folder holds, as `list_dir` and `map` see it: `name len content`, sorted.
    fn folder(fs: &dyn Vfs, dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = fs
            .list_dir(dir)
            .into_iter()
            .map(|(p, s)| {
                let bytes = fs.map(&p).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                format!("{name} {} {}", s.len, String::from_utf8_lossy((*bytes).as_ref()))
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn cache_files_are_written_whole_listed_mapped_and_removed_alike_on_disk_and_in_memory() {
        let disk = tempfile::tempdir().unwrap();
        let mem = MemFs::default();
        for fs in [&RealFs as &dyn Vfs, &mem] {
            let dir = disk.path().join("cache");
            fs.write_atomic(&dir.join("a.bin"), b"one").unwrap();
            fs.write_atomic(&dir.join("a.bin"), b"three").unwrap();
            fs.write_atomic(&dir.join("b.bin"), b"two").unwrap();
            fs.write_atomic(&dir.join("sub/c.bin"), b"below").unwrap();
            assert_eq!(folder(fs, &dir), ["a.bin 5 three", "b.bin 3 two"], "no temporary files, nothing below");
            fs.remove_file(&dir.join("a.bin")).unwrap();
            assert!(fs.remove_file(&dir.join("a.bin")).is_err(), "already gone");
            assert_eq!(folder(fs, &dir), ["b.bin 3 two"]);
            assert!(matches!(fs.map(&dir.join("a.bin")), Err(ReadError::NotFound)));
            assert_eq!(fs.list_dir(&disk.path().join("missing")), []);
        }
    }

    #[test]
    fn open_buffers_win_over_the_base_and_their_stamp_follows_the_text() {
        let base: Arc<dyn Vfs> = Arc::new(MemFs::with([("/kg/a.md", "disk"), ("/kg/b.md", "disk b")]));
        let open = |text: &str| Overlay::new(base.clone(), [(PathBuf::from("/kg/a.md"), Arc::new(text.to_string()))]);
        let (one, two) = (open("buffer"), open("buffed"));
        assert_eq!(show(&one, "/kg/a.md", 16), "buffer | File 6");
        assert_eq!(show(&one, "/kg/b.md", 16), "disk b | File 6");
        assert_eq!(
            show(&one, "/kg/a.md", 3),
            "error: file is 6 bytes, over the 3 byte limit for its kind; skipped | File 6"
        );
        let stamp = |o: &Overlay| o.stamp(Path::new("/kg/a.md")).unwrap();
        assert_ne!(stamp(&one), stamp(&two), "same length, other text");
        assert_eq!(stamp(&one), stamp(&open("buffer")));
        assert_ne!(stamp(&one), base.stamp(Path::new("/kg/a.md")).unwrap());
    }
}
