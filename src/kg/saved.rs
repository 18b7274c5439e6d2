//! The parsed files of a knowledge graph as bytes, to be kept between runs: each file's
//! concepts, problems and definition hash, with the [`FileStamp`] it had when it was read.
//!
//! [`encode`] and [`decode`] only turn files into bytes and back; sealing the bytes, naming the
//! file and writing it belong to the caller (`workspace::persist`), and deciding which files are
//! still fresh to [`super::load_sources_reusing`]. Decoding checks every store it rebuilds
//! ([`Concepts::from_parts`]): bytes that are not what [`encode`] wrote are an error, never a
//! graph that panics later.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{Concepts, Definitions, FileStamp, KgFile, Problem, SourceKind};

/// Files read in an earlier run, each with the stamp it had then: in the order they were saved
/// (a workspace saves them in path order) and found by path.
#[derive(Clone, Debug, Default)]
pub struct SavedFiles {
    files: Vec<(FileStamp, Arc<KgFile>)>,
    by_path: HashMap<Arc<Path>, usize>,
}

impl SavedFiles {
    pub fn new() -> SavedFiles {
        SavedFiles::default()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The file saved for `path`, with its stamp then.
    pub fn get(&self, path: &Path) -> Option<&(FileStamp, Arc<KgFile>)> {
        self.by_path.get(path).map(|&i| &self.files[i])
    }

    /// The files in the order they were saved.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &(FileStamp, Arc<KgFile>)> {
        self.files.iter()
    }

    fn push(&mut self, stamp: FileStamp, file: Arc<KgFile>) {
        match self.by_path.get(&file.path) {
            Some(&i) => self.files[i] = (stamp, file),
            None => {
                self.by_path.insert(file.path.clone(), self.files.len());
                self.files.push((stamp, file));
            }
        }
    }
}

/// Why saved bytes were not decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not a list of files as [`encode`] writes it.
    Format(String),
    /// A file's concepts are inconsistent.
    Concepts { path: PathBuf },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Format(e) => write!(f, "not a saved graph: {e}"),
            DecodeError::Concepts { path } => write!(f, "the saved concepts of {} are damaged", path.display()),
        }
    }
}

/// One file as saved. Its problems are about the file itself (their path is its own).
#[derive(Serialize, Deserialize)]
struct SavedFile<'a> {
    path: &'a str,
    len: u64,
    /// Seconds and nanoseconds since the Unix epoch.
    modified: (u64, u32),
    markdown: bool,
    text: &'a str,
    index: Cow<'a, [u32]>,
    problems: Vec<(Option<u32>, &'a str)>,
    /// [`Definitions::OnDisk`]'s hash, or 0 for [`Definitions::Kept`].
    on_disk: u64,
}

/// The files that can be saved, as bytes: those with a stamp that has a time (a file without one
/// cannot be told apart from its next version), a UTF-8 path, and problems about themselves only.
/// Files left out are read again next time.
pub fn encode<'a>(files: impl IntoIterator<Item = (&'a KgFile, Option<FileStamp>)>) -> Vec<u8> {
    let saved: Vec<SavedFile<'_>> = files.into_iter().filter_map(|(file, stamp)| saved_file(file, stamp?)).collect();
    postcard::to_stdvec(&saved).expect("a list of plain records serializes")
}

/// Whether [`encode`] keeps `file` with `stamp` (it leaves out a file it could not read back
/// as it is: a stamp without a time, a path that is not UTF-8, a problem with another file).
pub fn keeps(file: &KgFile, stamp: Option<FileStamp>) -> bool {
    stamp.and_then(|stamp| saved_file(file, stamp)).is_some()
}

fn saved_file(file: &KgFile, stamp: FileStamp) -> Option<SavedFile<'_>> {
    let since = stamp.modified?.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    let path = file.path.to_str()?;
    let mut problems = Vec::with_capacity(file.problems.len());
    for p in file.problems.iter() {
        if p.path != *file.path {
            return None;
        }
        problems.push((p.line, p.message.as_str()));
    }
    let (text, index) = file.concepts.parts();
    Some(SavedFile {
        path,
        len: stamp.len,
        modified: (since.as_secs(), since.subsec_nanos()),
        markdown: file.kind == SourceKind::Markdown,
        text,
        index: Cow::Borrowed(index),
        problems,
        on_disk: match file.definitions {
            Definitions::Kept => 0,
            Definitions::OnDisk { hash } => hash.get(),
        },
    })
}

/// The files [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<SavedFiles, DecodeError> {
    let saved: Vec<SavedFile<'_>> = postcard::from_bytes(bytes).map_err(|e| DecodeError::Format(e.to_string()))?;
    // Each file is made on every core; the map by path is made here, in order.
    let made = crate::par::map_in_order(saved.len(), |i| {
        let s = &saved[i];
        let path: Arc<Path> = Arc::from(Path::new(s.path));
        let concepts = Concepts::from_parts(s.text.into(), s.index.to_vec().into_boxed_slice())
            .ok_or_else(|| DecodeError::Concepts { path: path.to_path_buf() })?;
        let modified = SystemTime::UNIX_EPOCH
            .checked_add(Duration::new(s.modified.0, s.modified.1))
            .ok_or_else(|| DecodeError::Format(format!("a time out of range for {}", path.display())))?;
        let problems = s
            .problems
            .iter()
            .map(|&(line, message)| Problem { path: path.to_path_buf(), line, message: message.to_string() })
            .collect();
        let definitions = match std::num::NonZeroU64::new(s.on_disk) {
            None => Definitions::Kept,
            Some(hash) => Definitions::OnDisk { hash },
        };
        let kind = if s.markdown { SourceKind::Markdown } else { SourceKind::Thesaurus };
        let file = KgFile { path, kind, concepts, problems, definitions };
        Ok((FileStamp { len: s.len, modified: Some(modified) }, Arc::new(file)))
    });
    drop(saved);
    let mut files = SavedFiles { files: Vec::with_capacity(made.len()), by_path: HashMap::with_capacity(made.len()) };
    for m in made {
        let (stamp, file) = m?;
        files.push(stamp, file);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kg::ConceptData;

    fn file(path: &str, kind: SourceKind, concepts: &[(&str, &str)], problems: &[&str], on_disk: u64) -> KgFile {
        let concepts: Vec<ConceptData> = concepts
            .iter()
            .map(|(name, definition)| {
                let mut c =
                    ConceptData { name: name.to_string(), definition: definition.to_string(), ..Default::default() };
                c.add_term(&format!("{name} synonym"));
                c.related = vec!["other".into()];
                c.properties.push("k", "v");
                c
            })
            .collect();
        KgFile {
            path: Path::new(path).into(),
            kind,
            concepts: concepts.into(),
            problems: problems
                .iter()
                .map(|m| Problem { path: path.into(), line: Some(1), message: m.to_string() })
                .collect(),
            definitions: std::num::NonZeroU64::new(on_disk)
                .map_or(Definitions::Kept, |hash| Definitions::OnDisk { hash }),
        }
    }

    fn stamp(len: u64, secs: u64) -> Option<FileStamp> {
        Some(FileStamp { len, modified: Some(SystemTime::UNIX_EPOCH + Duration::new(secs, 7)) })
    }

    #[test]
    fn saved_files_decode_to_the_same_files_and_stamps() {
        let files = [
            (file("/kg/a.md", SourceKind::Markdown, &[("a", "")], &[], 42), stamp(10, 1)),
            (file("/kg/t.json", SourceKind::Thesaurus, &[("x", "def"), ("y", "")], &["odd entry"], 0), stamp(20, 2)),
            (file("/kg/empty.md", SourceKind::Markdown, &[], &["binary file"], 0), stamp(0, 3)),
        ];
        let bytes = encode(files.iter().map(|(f, s)| (f, *s)));
        let back = decode(&bytes).unwrap();
        assert_eq!(back.len(), 3);
        let order: Vec<&Path> = back.iter().map(|(_, f)| &*f.path).collect();
        assert_eq!(order, files.iter().map(|(f, _)| &*f.path).collect::<Vec<_>>(), "in the order saved");
        for (f, s) in &files {
            let (saved_stamp, saved) = back.get(&f.path).unwrap();
            assert_eq!((Some(*saved_stamp), &**saved), (*s, f));
        }
    }

    #[test]
    fn files_that_cannot_be_told_apart_later_are_left_out() {
        let no_time = Some(FileStamp { len: 3, modified: None });
        let foreign = KgFile {
            problems: Box::new([Problem { path: "/elsewhere".into(), line: None, message: "x".into() }]),
            ..file("/kg/b.md", SourceKind::Markdown, &[("b", "")], &[], 0)
        };
        let files = [
            (file("/kg/a.md", SourceKind::Markdown, &[("a", "")], &[], 0), None),
            (file("/kg/c.md", SourceKind::Markdown, &[("c", "")], &[], 0), no_time),
            (foreign, stamp(1, 1)),
            (file("/kg/d.md", SourceKind::Markdown, &[("d", "")], &[], 0), stamp(1, 1)),
        ];
        let back = decode(&encode(files.iter().map(|(f, s)| (f, *s)))).unwrap();
        assert_eq!(back.iter().map(|(_, f)| &*f.path).collect::<Vec<_>>(), [Path::new("/kg/d.md")]);
    }

    #[test]
    fn bytes_that_are_not_a_saved_graph_are_refused() {
        let files = [(file("/kg/a.md", SourceKind::Markdown, &[("alpha", "text")], &[], 0), stamp(10, 1))];
        let good = encode(files.iter().map(|(f, s)| (f, *s)));
        assert!(matches!(decode(&good[..good.len() - 1]), Err(DecodeError::Format(_))));
        assert!(matches!(decode(b"\xff\xff\xff\xff\xff\xff"), Err(DecodeError::Format(_))));
        // Every single-byte change decodes to an error or to some files, never to a panic; a
        // change of an offset is caught by the check of the store.
        let mut caught = 0;
        for at in 0..good.len() {
            for bit in [0x01, 0x80] {
                let mut bad = good.clone();
                bad[at] ^= bit;
                match decode(&bad) {
                    Err(DecodeError::Concepts { .. }) => caught += 1,
                    Err(_) => {}
                    Ok(files) => {
                        for (_, f) in files.iter() {
                            for c in f.concepts.iter() {
                                let _ = (c.name(), c.synonyms().count(), c.related().count(), c.definition());
                                let _ = c.properties().count();
                            }
                        }
                    }
                }
            }
        }
        assert!(caught > 0, "no damaged store was caught");
    }
}
