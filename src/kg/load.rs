//! Reading knowledge-graph sources: the only file-system access of `kg`, and the loader behind
//! the [`Vfs`] seam (source folders are walked on disk; each file is read through a `Vfs`).
//!
//! A source is a folder (searched recursively for `.md` concept files and `.json` thesaurus
//! files, honouring `.gitignore`) or a single file. Every failure (a missing path, an unreadable
//! or oversized file, invalid UTF-8) becomes a [`Problem`] and loading goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Definitions, KgFile, Problem, SourceKind, definition_hash, parse_concept_file, parse_thesaurus};
use crate::vfs::{ReadError, RealFs, Vfs};

/// Concept files larger than this are not read: no glossary entry is 16 MiB.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Thesaurus files larger than this are not read. A thesaurus holds a whole vocabulary (a
/// million terms is about 70 MB of JSON), so its limit only guards against a wrong file.
pub const MAX_THESAURUS_BYTES: u64 = 512 << 20;

/// The most bytes the loaders read of a source of `kind`.
pub fn read_limit(kind: SourceKind) -> u64 {
    match kind {
        SourceKind::Markdown => MAX_FILE_BYTES,
        SourceKind::Thesaurus => MAX_THESAURUS_BYTES,
    }
}

/// A configured knowledge-graph path, already resolved to an absolute path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KgSource {
    pub path: PathBuf,
}

/// Lists the files of every source, then reads and parses them on every core (up to 8),
/// reporting `(done, total)` to `progress` as they are done. Returns the parsed files (sorted by
/// path within a source) and the problems that concern no single parsed file (missing paths,
/// unreadable folders).
pub fn load_sources(sources: &[KgSource], progress: &mut dyn FnMut(usize, usize)) -> (Vec<KgFile>, Vec<Problem>) {
    let (paths, problems) = list_source_files(sources);
    let total = paths.len();
    let parts = crate::par::for_each_index(
        total,
        1,
        Vec::new,
        |parsed: &mut Vec<(usize, KgFile)>, i| parsed.push((i, load_file(&RealFs, &paths[i]))),
        &mut |done| progress(done, total),
    );
    // A parser that panicked is a bug, and the graph would silently lack its files: it stops
    // the load, as it would have on this thread.
    let mut files: Vec<(usize, KgFile)> =
        parts.into_iter().flat_map(|part| part.unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect();
    files.sort_unstable_by_key(|(i, _)| *i);
    (files.into_iter().map(|(_, f)| f).collect(), problems)
}

/// A source file as a load found it: parsed now or kept from an earlier run, with the stamp it
/// had when it was read (`None` when it could not be statted).
#[derive(Clone, Debug)]
pub struct LoadedFile {
    pub file: Arc<KgFile>,
    pub stamp: Option<FileStamp>,
    /// Taken from `saved`, not read.
    pub reused: bool,
}

/// [`load_sources`], keeping each file of `saved` whose stamp is the same now: only files that
/// are new or changed are read and parsed. Files are statted on every core, each before it is
/// read (a file written meanwhile has an older stamp than its content, so it is read again next
/// time, never kept stale). A saved file no source names any more is dropped. The files are the
/// ones a full load returns, in the same order.
pub fn load_sources_reusing(
    sources: &[KgSource],
    saved: &super::SavedFiles,
    progress: &mut dyn FnMut(usize, usize),
) -> (Vec<LoadedFile>, Vec<Problem>) {
    let (paths, problems) = list_source_files(sources);
    let total = paths.len();
    let load = |path: &PathBuf| {
        let stamp = file_stamp(path);
        match saved.get(path) {
            Some((then, file)) if stamp.is_some_and(|now| now.modified.is_some() && now == *then) => {
                LoadedFile { file: file.clone(), stamp, reused: true }
            }
            _ => LoadedFile { file: Arc::new(load_file(&RealFs, path)), stamp, reused: false },
        }
    };
    let parts = crate::par::for_each_index(
        total,
        1,
        Vec::new,
        |done: &mut Vec<(usize, LoadedFile)>, i| done.push((i, load(&paths[i]))),
        &mut |done| progress(done, total),
    );
    let mut files: Vec<(usize, LoadedFile)> =
        parts.into_iter().flat_map(|part| part.unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect();
    files.sort_unstable_by_key(|(i, _)| *i);
    (files.into_iter().map(|(_, f)| f).collect(), problems)
}

/// Every knowledge-graph file the sources name, in order (sorted by path within a folder),
/// and the problems with sources that could not be listed.
pub fn list_source_files(sources: &[KgSource]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut paths = Vec::new();
    for source in sources {
        let path = &source.path;
        match std::fs::metadata(path) {
            Err(e) => {
                problems.push(Problem { path: path.clone(), line: None, message: ReadError::from(e).to_string() })
            }
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                for entry in folder_walker(path).build() {
                    match entry {
                        Ok(e) if is_source_entry(&e) => found.push(e.into_path()),
                        Ok(_) => {}
                        Err(e) => problems.push(Problem {
                            path: path.clone(),
                            line: None,
                            message: format!("cannot read part of the folder: {e}"),
                        }),
                    }
                }
                // Sorted as `Path` sorts, but by bytes ([`path_order`]): comparing paths
                // component by component costs a large folder several times more.
                found.sort_unstable_by(|a, b| path_order(a, b));
                paths.extend(found);
            }
            Ok(_) => paths.push(path.clone()),
        }
    }
    (paths, problems)
}

/// Calls `visit` with every file [`list_source_files`] lists, in no particular order: folders
/// are walked on several threads, and `visit` runs on them. Sources that cannot be read are
/// passed over (listing them says why).
pub fn visit_source_files(sources: &[KgSource], visit: &(dyn Fn(&Path) + Sync)) {
    // Twice the cores: the work is mostly system calls that wait on the file system.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() * 2).min(8);
    for source in sources {
        let path = &source.path;
        match std::fs::metadata(path) {
            Err(_) => {}
            Ok(m) if m.is_dir() => folder_walker(path).threads(threads).build_parallel().run(|| {
                Box::new(|entry| {
                    if let Some(e) = entry.as_ref().ok().filter(|e| is_source_entry(e)) {
                        visit(e.path());
                    }
                    ignore::WalkState::Continue
                })
            }),
            Ok(_) => visit(path),
        }
    }
}

/// How a source folder is walked: recursively, hidden files included, `.gitignore` honoured
/// inside or outside a git repository.
fn folder_walker(path: &Path) -> ignore::WalkBuilder {
    let mut walker = ignore::WalkBuilder::new(path);
    walker.hidden(false).require_git(false);
    walker
}

/// Whether a walked entry is a knowledge-graph file.
fn is_source_entry(e: &ignore::DirEntry) -> bool {
    e.file_type().is_some_and(|t| t.is_file()) && kind_of(e.path()).is_some()
}

/// The order of [`Path`]'s `Ord` (component by component) for paths a walk found under one
/// folder: their bytes compared with every separator below any other byte, as a component ends
/// there. Below the folder they share, such paths have no `.` components and no repeated or
/// trailing separators, and a name holds no separator, so the first differing byte decides as
/// the first differing component would.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (a.as_os_str().as_encoded_bytes(), b.as_os_str().as_encoded_bytes());
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let rank = |c: u8| if c == b'/' || c == std::path::MAIN_SEPARATOR as u8 { 0 } else { c };
    match (a.get(same), b.get(same)) {
        (Some(&x), Some(&y)) => rank(x).cmp(&rank(y)),
        _ => a.len().cmp(&b.len()),
    }
}

/// Reads and parses one source file from `fs`. Never fails: problems are in the result. A
/// concept file's definitions are not kept ([`Definitions::OnDisk`]): the graph reads them
/// again, through the same kind of seam, to show them.
pub fn load_file(fs: &dyn Vfs, path: &Path) -> KgFile {
    let mut file = load_file_keeping_definitions(fs, path);
    // Also when every definition is empty: the file may get one later, which a hover shows.
    if file.kind == SourceKind::Markdown && !file.concepts.is_empty() {
        let hash = definition_hash(file.concepts.iter().map(|c| c.definition()));
        if file.concepts.iter().any(|c| !c.definition().is_empty()) {
            file.concepts = file.concepts.without_definitions();
        }
        file.definitions = Definitions::OnDisk { hash };
    }
    file
}

/// [`load_file`], keeping the definitions in memory.
pub fn load_file_keeping_definitions(fs: &dyn Vfs, path: &Path) -> KgFile {
    let Some(kind) = kind_of(path) else {
        return unread(path, SourceKind::Markdown, "not a knowledge-graph file (expected .md or .json)".to_string());
    };
    let limit = match kind {
        SourceKind::Markdown => MAX_FILE_BYTES,
        SourceKind::Thesaurus => MAX_THESAURUS_BYTES,
    };
    match fs.read(path, limit) {
        Ok(bytes) => parse_bytes(path, kind, bytes),
        Err(e) => unread(path, kind, e.to_string()),
    }
}

/// A file that could not be read: no concepts, one problem saying why.
fn unread(path: &Path, kind: SourceKind, message: String) -> KgFile {
    KgFile {
        path: Arc::from(path),
        kind,
        concepts: Default::default(),
        problems: Box::new([Problem { path: path.to_path_buf(), line: None, message }]),
        definitions: Definitions::Kept,
    }
}

/// Parses a source file's bytes: binary files are refused, invalid UTF-8 is replaced and
/// reported, and the text is parsed as its kind says. Keeps the definitions.
pub fn parse_bytes(path: &Path, kind: SourceKind, bytes: Vec<u8>) -> KgFile {
    let (text, mut problems) = decode(path, bytes);
    let Some(text) = text else {
        return KgFile {
            path: Arc::from(path),
            kind,
            concepts: Default::default(),
            problems: problems.into(),
            definitions: Definitions::Kept,
        };
    };
    let mut file = parse(path, kind, &text);
    problems.extend(std::mem::take(&mut file.problems));
    file.problems = problems.into();
    file
}

/// What tells one version of a file on disk from another without reading it: its size and
/// modification time (`None` when it cannot be statted). Two writes of the same size within
/// the file system's timestamp granularity look alike; every user of a stamp accepts that.
pub fn file_stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp { len: m.len(), modified: m.modified().ok() })
}

/// See [`file_stamp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileStamp {
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
}

/// Parses source text of a known kind (used for unsaved editor buffers too).
pub fn parse(path: &Path, kind: SourceKind, text: &str) -> KgFile {
    match kind {
        SourceKind::Markdown => parse_concept_file(path, text),
        SourceKind::Thesaurus => parse_thesaurus(path, text),
    }
}

/// The kind of a knowledge-graph file by its extension.
pub fn kind_of(path: &Path) -> Option<SourceKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" => Some(SourceKind::Markdown),
        "json" => Some(SourceKind::Thesaurus),
        _ => None,
    }
}

/// Turns bytes into text: binary files are refused, invalid UTF-8 is replaced and reported.
fn decode(path: &Path, bytes: Vec<u8>) -> (Option<String>, Vec<Problem>) {
    let problem = |message: String| vec![Problem { path: path.to_path_buf(), line: None, message }];
    if bytes.contains(&0) {
        return (None, problem("binary file (contains NUL bytes); skipped".to_string()));
    }
    match String::from_utf8(bytes) {
        Ok(s) => (Some(s), Vec::new()),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u32;
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let p = Problem {
                path: path.to_path_buf(),
                line: Some(line),
                message: format!("invalid UTF-8 at byte {at}; the bad bytes were replaced with U+FFFD"),
            };
            (Some(text), vec![p])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kg::Graph;
    use crate::vfs::{MemFs, Overlay};

    #[test]
    fn missing_paths_invalid_utf8_and_binary_files_are_problems() {
        let dir = std::env::temp_dir().join(format!("kg-ls-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("kg/sub")).unwrap();
        std::fs::write(dir.join("kg/sub/tokio.md"), "# tokio\nA runtime.\nsynonyms:: tokio rt\n").unwrap();
        std::fs::write(dir.join("kg/bad.md"), b"# bad\ncaf\xe9 latte\n").unwrap();
        std::fs::write(dir.join("kg/bin.md"), b"\0\0\0").unwrap();
        std::fs::write(dir.join("kg/notes.txt"), "ignored").unwrap();
        let sources = [KgSource { path: dir.join("kg") }, KgSource { path: dir.join("missing") }];
        let mut seen = Vec::new();
        let (files, problems) = load_sources(&sources, &mut |d, t| seen.push((d, t)));
        // Files are read on every core; progress only ever grows and ends complete.
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0) && seen.iter().all(|&(_, t)| t == 3), "{seen:?}");
        assert_eq!(seen.last(), Some(&(3, 3)));
        let names: Vec<_> = files.iter().flat_map(|f| f.concepts.iter().map(|c| c.name().to_string())).collect();
        assert_eq!(names, ["bad", "tokio"]);
        // Definitions stay on disk; the graph reads them again.
        assert!(files[0].concepts.get(0).definition().is_empty());
        let graph = super::super::Graph::from_files(&files);
        let bad = graph.concept(super::super::ConceptId(0)).definition(&RealFs).unwrap();
        assert!(bad.text.contains("caf\u{fffd} latte") && bad.as_built, "{bad:?}");
        assert!(files[0].problems[0].message.contains("invalid UTF-8"), "{:?}", files[0].problems);
        assert!(files[1].problems[0].message.contains("binary"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, "path does not exist");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_concept_file_over_its_limit_is_skipped_but_a_thesaurus_that_size_loads() {
        let dir = tempfile::tempdir().unwrap();
        let filler = "x".repeat(MAX_FILE_BYTES as usize);
        let md = dir.path().join("big.md");
        std::fs::write(&md, format!("# big\n{filler}\n")).unwrap();
        let file = load_file(&RealFs, &md);
        assert!(file.concepts.is_empty());
        assert!(file.problems[0].message.contains("over the 16777216 byte limit"), "{:?}", file.problems);
        let json = dir.path().join("big.json");
        let text = format!(r#"{{"name": "{filler}", "data": {{"tokio": {{"id": 1, "nterm": "tokio"}}}}}}"#);
        std::fs::write(&json, text).unwrap();
        let file = load_file(&RealFs, &json);
        assert_eq!(file.concepts.len(), 1, "{:?}", file.problems);
    }

    #[test]
    fn a_folder_lists_in_path_order_at_every_depth() {
        // Path order compares component by component: `a/z.md` comes before `a-b.md`, which
        // byte order would put first ('-' < '/'), and so are names with a space or a '!'.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("kg");
        for f in ["b.md", "a-b.md", "a/z.md", "a/b/c.md", "a.json", "A.md", "a/b.md", "ä.md", "a!.md", "a/b c.md"] {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "# x\n").unwrap();
        }
        let (paths, problems) = list_source_files(&[KgSource { path: root.clone() }]);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<String> =
            paths.iter().map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            ["A.md", "a/b/c.md", "a/b c.md", "a/b.md", "a/z.md", "a!.md", "a-b.md", "a.json", "b.md", "ä.md"]
        );
        let mut by_path = paths.clone();
        by_path.sort();
        assert_eq!(paths, by_path);
    }

    #[test]
    fn a_definition_left_on_disk_is_read_again_and_a_change_there_is_told_apart() {
        // No disk: the files come from memory through the same seam.
        let fs = MemFs::with([("/kg/tokio.md", "# Tokio\nsynonyms:: tokio rt\n\nAn async runtime.\n")]);
        let path = Path::new("/kg/tokio.md");
        let file = load_file(&fs, path);
        assert!(matches!(file.definitions, Definitions::OnDisk { .. }), "{file:?}");
        assert_eq!(file.concepts.get(0).synonyms().collect::<Vec<_>>(), ["tokio rt"]);
        let graph = Graph::from_files(&[file]);
        let tokio = graph.concept(super::super::ConceptId(0));
        let def = tokio.definition(&fs).unwrap();
        assert_eq!((def.text.trim(), def.as_built), ("An async runtime.", true));
        fs.write(path, "# Tokio\n\nA runtime for async Rust.\n");
        let def = tokio.definition(&fs).unwrap();
        assert_eq!((def.text.trim(), def.as_built), ("A runtime for async Rust.", false));
        // An open buffer wins over the file.
        let open = Overlay::new(
            Arc::new(MemFs::with([(path, "# Tokio\n\nOn disk.\n")])),
            [(path.to_path_buf(), Arc::new("# Tokio\n\nIn the editor.\n".to_string()))],
        );
        assert_eq!(tokio.definition(&open).unwrap().text.trim(), "In the editor.");
        fs.remove(path);
        let problem = tokio.definition(&fs).unwrap_err();
        assert_eq!(problem.to_string(), "/kg/tokio.md: path does not exist");
        // A file without a definition is read again too: it may get one. An unsaved buffer,
        // parsed from its text, keeps what it has.
        fs.write(path, "# Tokio\n");
        let empty = Graph::from_files(&[load_file(&fs, path)]);
        fs.write(path, "# Tokio\n\nNow defined.\n");
        let def = empty.concept(super::super::ConceptId(0)).definition(&fs).unwrap();
        assert_eq!((def.text.trim(), def.as_built), ("Now defined.", false));
        assert_eq!(parse(path, SourceKind::Markdown, "# Tokio\nText.\n").definitions, Definitions::Kept);
    }
}
