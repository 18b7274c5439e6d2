//! Mentions: where a text names terms of the graph, and the index of them over the workspace's
//! documents.
//!
//! A mention is the longest term at a word boundary, matched case-insensitively (folded as
//! terms are), with a multi-word term's words possibly broken over two lines. Only prose
//! counts unless code is asked for: code blocks, inline code, HTML, link targets and URLs are
//! not mentions, and in a concept file neither are its `key:: value` lines.
//!
//! A mention is kept by the hash of its folded text, not by the concept it meant when it was
//! found, so the index stays valid across graph rebuilds for every term it found: what it may
//! lack after a rebuild is a term that is new, until its documents are scanned again. Must not
//! read files: the caller hands each text in.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::index::TermIndex;
use crate::search::{Cancel, Cancelled};
use crate::text::prose::{joined, prose_ranges};
use crate::text::{Encoding, LineCol, LineIndex, fold};
use crate::vfs::Vfs;

/// Documents larger than this are not scanned for mentions (as for headings).
pub const MAX_DOC_BYTES: u64 = 4 << 20;

/// What kind of text is scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A markdown or text document.
    Document,
    /// A concept file: its property lines are not prose.
    ConceptFile,
}

/// A term the text names: its bytes and the key number of the term in the [`TermIndex`] it
/// was found with (`terms.map.group(key)` are the concepts that claim it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    pub range: Range<usize>,
    pub key: u64,
}

/// Every mention in `text`, in order. `code`: code blocks and inline code count too.
pub fn mentions(text: &str, kind: Kind, terms: &TermIndex, code: bool) -> Vec<Mention> {
    let mut out = Vec::new();
    if terms.map.is_empty() {
        return out;
    }
    let blanked;
    let text = match kind {
        Kind::Document => text,
        Kind::ConceptFile => {
            blanked = crate::kg::blank_properties(text);
            &blanked
        }
    };
    let ranges: Vec<Range<usize>> =
        if code { std::iter::once(0..text.len()).collect() } else { joined(text, prose_ranges(text)) };
    for r in ranges {
        terms.map.occurrences(&text[r.clone()], |m, key| {
            out.push(Mention { range: r.start + m.start..r.start + m.end, key })
        });
    }
    out
}

/// The key a mention is indexed by: a hash of its folded text ([`fold`]), which is the term's
/// folded form.
pub fn key_of(text: &str) -> u64 {
    key_of_folded(&fold(text))
}

pub(super) fn key_of_folded(folded: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    folded.hash(&mut h);
    h.finish()
}

/// A position in both encodings a client may negotiate, so that an index built once answers
/// any client without the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col8: u32,
    pub col16: u32,
}

impl Pos {
    pub(super) fn at(index: &LineIndex, text: &str, offset: usize) -> Pos {
        let u8 = index.line_col(text, offset, Encoding::Utf8);
        let u16 = index.line_col(text, offset, Encoding::Utf16);
        Pos { line: u8.line, col8: u8.col, col16: u16.col }
    }

    pub fn line_col(self, enc: Encoding) -> LineCol {
        LineCol { line: self.line, col: if enc == Encoding::Utf8 { self.col8 } else { self.col16 } }
    }
}

/// A mention's place in its document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: u64,
    span: Span,
}

/// The mentions of one document, sorted by key so that a concept's are found by binary search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocMentions {
    entries: Box<[Entry]>,
}

impl DocMentions {
    /// The mentions of the document at `path` as `files` has it; `None` when it cannot be read,
    /// is binary or is over [`MAX_DOC_BYTES`].
    pub fn read(files: &dyn Vfs, path: &Path, terms: &TermIndex) -> Option<DocMentions> {
        let bytes = files.read(path, MAX_DOC_BYTES).ok()?;
        if crate::text::is_binary(&bytes) {
            return None;
        }
        Some(DocMentions::scan(&String::from_utf8_lossy(&bytes), Kind::Document, terms, false))
    }

    pub fn scan(text: &str, kind: Kind, terms: &TermIndex, code: bool) -> DocMentions {
        let found = mentions(text, kind, terms, code);
        if found.is_empty() {
            return DocMentions::default();
        }
        let index = LineIndex::new(text);
        let mut entries: Vec<Entry> = found
            .iter()
            .map(|m| Entry {
                key: key_of(&text[m.range.clone()]),
                span: Span { start: Pos::at(&index, text, m.range.start), end: Pos::at(&index, text, m.range.end) },
            })
            .collect();
        entries.sort_unstable();
        DocMentions { entries: entries.into() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The spans of the mentions whose key is one of `keys`, in document order.
    pub fn find(&self, keys: &[u64]) -> Vec<Span> {
        let mut out = Vec::new();
        for &k in keys {
            let from = self.entries.partition_point(|e| e.key < k);
            out.extend(self.entries[from..].iter().take_while(|e| e.key == k).map(|e| e.span));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The mentions of every document of the workspace, by path. Immutable: an update makes a new
/// index that shares the documents it did not change.
#[derive(Clone, Debug, Default)]
pub struct MentionIndex {
    docs: HashMap<Arc<Path>, Arc<DocMentions>>,
}

/// Documents with the mentions of one concept.
pub type Found = Vec<(Arc<Path>, Vec<Span>)>;

impl MentionIndex {
    /// The index of the documents at `paths`, read through `files` and scanned on every core.
    /// A document that cannot be read, is binary or is over [`MAX_DOC_BYTES`] has no mentions.
    pub fn build(
        paths: &[Arc<Path>],
        files: &dyn Vfs,
        terms: &TermIndex,
        cancel: &Cancel,
    ) -> Result<MentionIndex, Cancelled> {
        let results = crate::par::for_each_index(
            paths.len(),
            256,
            Vec::new,
            |out: &mut Vec<(Arc<Path>, Arc<DocMentions>)>, i| {
                if cancel.is_cancelled() {
                    return;
                }
                let m = DocMentions::read(files, &paths[i], terms).unwrap_or_default();
                out.push((paths[i].clone(), Arc::new(m)));
            },
            &mut |_| {},
        );
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        // A worker that panicked loses its documents' mentions, not the index.
        Ok(MentionIndex { docs: results.into_iter().flatten().flatten().collect() })
    }

    /// This index with each of `updates` applied: a document's new mentions, or `None` for a
    /// document that is gone.
    pub fn with(&self, updates: impl IntoIterator<Item = (Arc<Path>, Option<DocMentions>)>) -> MentionIndex {
        let mut docs = self.docs.clone();
        for (path, m) in updates {
            match m {
                Some(m) => docs.insert(path, Arc::new(m)),
                None => docs.remove(&path),
            };
        }
        MentionIndex { docs }
    }

    pub fn doc_count(&self) -> usize {
        self.docs.len()
    }

    pub fn mention_count(&self) -> usize {
        self.docs.values().map(|d| d.len()).sum()
    }

    /// Bytes the index holds on the heap (its entries and map, not counting the allocator's
    /// overhead).
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<Entry>();
        let slot = std::mem::size_of::<(Arc<Path>, Arc<DocMentions>)>() + 1;
        self.docs
            .iter()
            .map(|(p, d)| d.len() * entry + p.as_os_str().len() + std::mem::size_of::<DocMentions>() + 16)
            .sum::<usize>()
            + self.docs.capacity() * slot
    }

    /// The documents that mention any of `keys`, with where, skipping those `skip` says (the
    /// open documents, which the caller scans as they are now); sorted by path.
    pub fn find(&self, keys: &[u64], skip: &dyn Fn(&Path) -> bool, cancel: &Cancel) -> Result<Found, Cancelled> {
        let mut out = Vec::new();
        for (n, (path, doc)) in self.docs.iter().enumerate() {
            if n % 1024 == 0 && cancel.is_cancelled() {
                return Err(Cancelled);
            }
            if skip(path) {
                continue;
            }
            let spans = doc.find(keys);
            if !spans.is_empty() {
                out.push((path.clone(), spans));
            }
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// How many mentions of any of `keys` the documents have (open documents as indexed).
    pub fn count(&self, keys: &[u64]) -> usize {
        self.docs.values().map(|d| d.find(keys).len()).sum()
    }
}
