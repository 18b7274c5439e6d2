//! Mentions: where a text names terms of the graph, and the index of them over the workspace's
//! documents.
//!
//! A mention is the longest term at a word boundary, matched case-insensitively (folded as
//! terms are), with a multi-word term's words possibly broken over two lines. Only prose
//! counts unless code is asked for: code blocks, inline code, HTML, link targets and URLs are
//! not mentions, and in a concept file neither are its `key:: value` lines.
//!
//! The index keeps a mention by its key number in the term index it was built with, and keeps
//! that term index: a concept of a newer graph finds its mentions through its terms' keys in
//! it, so the index answers across a graph rebuild for every term it knows, until the next
//! full build replaces it. Concept files are indexed for their `[[wiki links]]` only. Files are
//! read only through the [`Vfs`] the caller hands in.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::index::TermIndex;
use crate::search::{Cancel, Cancelled};
use crate::text::prose::{joined, prose_ranges};
use crate::text::{Encoding, LineCol, LineIndex};
use crate::vfs::Vfs;

/// Documents larger than this are not scanned for mentions (as for headings).
pub const MAX_DOC_BYTES: u64 = 4 << 20;

/// From this many documents, a [`MentionIndex::find`] reads them on every core.
const PARALLEL_DOCS: usize = 1024;

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
    let text = prose_of(text, kind);
    mentions_in(&text, &scanned_ranges(&text, code), terms, &mut out);
    out
}

/// The text [`mentions`] walks: a concept file's with its property lines blanked (offsets kept).
pub fn prose_of(text: &str, kind: Kind) -> std::borrow::Cow<'_, str> {
    match kind {
        Kind::Document => text.into(),
        Kind::ConceptFile => crate::kg::blank_properties(text).into(),
    }
}

/// The ranges of a document's `text` that [`mentions`] scans: its prose, joined over white
/// space, or all of it when `code`.
pub fn scanned_ranges(text: &str, code: bool) -> Vec<Range<usize>> {
    if code { std::iter::once(0..text.len()).collect() } else { joined(text, prose_ranges(text)) }
}

/// The mentions within `ranges` of `text` (as [`scanned_ranges`] gives them, or parts of them
/// cut at blank lines), added to `out` in order.
pub fn mentions_in(text: &str, ranges: &[Range<usize>], terms: &TermIndex, out: &mut Vec<Mention>) {
    if terms.map.is_empty() {
        return;
    }
    let mut memo = crate::index::WordMemo::default();
    for r in ranges {
        terms.map.occurrences_with(&text[r.clone()], &mut memo, |m, key| {
            out.push(Mention { range: r.start + m.start..r.start + m.end, key })
        });
    }
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

/// The mentions of one document, kept small: ten bytes a mention (its key number, start and
/// length, as arrays sorted by key so that a concept's are found by binary search), the line
/// starts, and the UTF-16 columns of the few mentions on lines that are not ASCII.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocMentions {
    lines: Box<[u32]>,
    keys: Box<[u32]>,
    starts: Box<[u32]>,
    lens: Box<[u16]>,
    /// (mention, start column, end column) in UTF-16, for mentions whose line is not ASCII up
    /// to the mention's end; sorted by mention.
    wide: Box<[(u32, u32, u32)]>,
    /// A concept file's `[[wiki links]]` only ([`DocMentions::read_links`]), which are not
    /// counted as mentions in the documents.
    links_only: bool,
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

    /// The `[[wiki links]]` of the concept file at `path` as `files` has it (the terms they
    /// name, as mentions); `None` as for [`DocMentions::read`].
    pub fn read_links(files: &dyn Vfs, path: &Path, terms: &TermIndex) -> Option<DocMentions> {
        let bytes = files.read(path, MAX_DOC_BYTES).ok()?;
        if crate::text::is_binary(&bytes) {
            return None;
        }
        Some(DocMentions::scan_links(&String::from_utf8_lossy(&bytes), terms))
    }

    /// The `[[wiki links]]` of a concept file's `text`.
    pub fn scan_links(text: &str, terms: &TermIndex) -> DocMentions {
        DocMentions { links_only: true, ..DocMentions::of(text, super::references::wiki_link_mentions(text, terms)) }
    }

    pub fn scan(text: &str, kind: Kind, terms: &TermIndex, code: bool) -> DocMentions {
        DocMentions::of(text, mentions(text, kind, terms, code))
    }

    fn of(text: &str, found: Vec<Mention>) -> DocMentions {
        let mut found: Vec<Mention> = found
            .into_iter()
            .filter(|m| {
                m.range.len() <= u16::MAX as usize && m.key <= u32::MAX as u64 && text.len() <= u32::MAX as usize
            })
            .collect();
        if found.is_empty() {
            return DocMentions::default();
        }
        found.sort_unstable_by_key(|m| (m.key, m.range.start));
        let index = LineIndex::new(text);
        let mut lines = vec![0u32];
        lines.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        let mut wide = Vec::new();
        for (i, m) in found.iter().enumerate() {
            let line_start = lines[lines.partition_point(|&l| l as usize <= m.range.start) - 1] as usize;
            if !text[line_start..m.range.end].is_ascii() {
                let (a, b) = (Pos::at(&index, text, m.range.start), Pos::at(&index, text, m.range.end));
                wide.push((i as u32, a.col16, b.col16));
            }
        }
        DocMentions {
            lines: lines.into(),
            keys: found.iter().map(|m| m.key as u32).collect(),
            starts: found.iter().map(|m| m.range.start as u32).collect(),
            lens: found.iter().map(|m| m.range.len() as u16).collect(),
            wide: wide.into(),
            links_only: false,
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        self.lines.len() * 4 + self.keys.len() * 10 + self.wide.len() * 12
    }

    /// Each key number once, ascending, with its number of mentions.
    fn key_counts(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.keys.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u64))
    }

    /// The spans of the mentions whose key number is one of `keys`, in document order.
    pub fn find(&self, keys: &[u32]) -> Vec<Span> {
        let mut out = Vec::new();
        let mut groups = 0;
        for &k in keys {
            let from = self.keys.partition_point(|&x| x < k);
            let to = from + self.keys[from..].partition_point(|&x| x == k);
            if from == to {
                continue;
            }
            groups += 1;
            // A key's mentions are in text order: the line only moves forward.
            let mut line = 0usize;
            out.extend((from..to).map(|i| self.span(i, &mut line)));
        }
        if groups > 1 {
            out.sort_unstable();
        }
        out
    }

    /// Mention `i`'s span; `line` is a line at or before it, moved to its line.
    fn span(&self, i: usize, line: &mut usize) -> Span {
        let (start, end) = (self.starts[i], self.starts[i] + self.lens[i] as u32);
        let mut pos = |offset: u32| {
            *line += self.lines[*line..].partition_point(|&l| l <= offset).saturating_sub(1);
            let col = offset - self.lines[*line];
            Pos { line: *line as u32, col8: col, col16: col }
        };
        let (mut a, mut b) = (pos(start), pos(end));
        if !self.wide.is_empty()
            && let Ok(w) = self.wide.binary_search_by_key(&(i as u32), |w| w.0)
        {
            (a.col16, b.col16) = (self.wide[w].1, self.wide[w].2);
        }
        Span { start: a, end: b }
    }
}

/// The mentions of every document of the workspace, and the wiki links of the concept files
/// that have any, by path, with the term index whose key numbers they hold, for each key the
/// files that mention it (so that a query reads only those), and each key's total in the
/// documents. Immutable: an update makes a new index that shares the files and key lists it
/// did not change.
#[derive(Clone, Debug, Default)]
pub struct MentionIndex {
    terms: Arc<TermIndex>,
    /// Documents by slot; a removed document leaves its slot empty.
    docs: Vec<Option<(Arc<Path>, Arc<DocMentions>)>>,
    slots: HashMap<Arc<Path>, u32>,
    /// Key number → the slots of the documents that mention it, ascending.
    postings: HashMap<u32, Arc<[u32]>>,
    /// Key number → its mentions in all the documents.
    counts: HashMap<u32, u64>,
}

/// Documents with the mentions of one concept.
pub type Found = Vec<(Arc<Path>, Vec<Span>)>;

impl MentionIndex {
    /// The index of the documents at `docs` and of the wiki links of the markdown concept files
    /// at `sources`, read through `files` and scanned on every core. A file that cannot be
    /// read, is binary or is over [`MAX_DOC_BYTES`] has no mentions; a concept file without a
    /// wiki link is left out.
    pub fn build(
        docs: &[Arc<Path>],
        sources: &[Arc<Path>],
        files: &dyn Vfs,
        terms: Arc<TermIndex>,
        cancel: &Cancel,
    ) -> Result<MentionIndex, Cancelled> {
        let paths: Vec<&Arc<Path>> = docs.iter().chain(sources).collect();
        let results = crate::par::for_each_index(
            paths.len(),
            256,
            Vec::new,
            |out: &mut Vec<(usize, DocMentions)>, i| {
                if cancel.is_cancelled() {
                    return;
                }
                if i < docs.len() {
                    out.push((i, DocMentions::read(files, paths[i], &terms).unwrap_or_default()));
                } else if let Some(m) = DocMentions::read_links(files, paths[i], &terms).filter(|m| !m.is_empty()) {
                    out.push((i, m));
                }
            },
            &mut |_| {},
        );
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        // A worker that panicked loses its documents' mentions, not the index.
        let mut scanned: Vec<(usize, DocMentions)> = results.into_iter().flatten().flatten().collect();
        scanned.sort_unstable_by_key(|(i, _)| *i);
        let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut index = MentionIndex { terms, ..MentionIndex::default() };
        for (slot, (i, m)) in scanned.into_iter().enumerate() {
            for (k, n) in m.key_counts() {
                postings.entry(k).or_default().push(slot as u32);
                if !m.links_only {
                    *index.counts.entry(k).or_default() += n;
                }
            }
            index.slots.insert(paths[i].clone(), slot as u32);
            index.docs.push(Some((paths[i].clone(), Arc::new(m))));
        }
        index.postings = postings.into_iter().map(|(k, v)| (k, Arc::from(v))).collect();
        Ok(index)
    }

    /// The term index whose key numbers the mentions hold.
    pub fn terms(&self) -> &Arc<TermIndex> {
        &self.terms
    }

    /// This index with each of `updates` applied: a document's new mentions (scanned with
    /// [`MentionIndex::terms`]), or `None` for a document that is gone. Costs a copy of the
    /// maps (milliseconds at 150k keys): run it off the main loop.
    pub fn with(&self, updates: impl IntoIterator<Item = (Arc<Path>, Option<DocMentions>)>) -> MentionIndex {
        let mut new = self.clone();
        let mut touched: HashMap<u32, Vec<u32>> = HashMap::new();
        let list =
            |new: &MentionIndex, k: u32| -> Vec<u32> { new.postings.get(&k).map_or_else(Vec::new, |l| l.to_vec()) };
        for (path, m) in updates {
            let slot = match new.slots.get(&path) {
                Some(&s) => s,
                None => {
                    new.docs.push(None);
                    (new.docs.len() - 1) as u32
                }
            };
            if let Some((_, old)) = new.docs[slot as usize].clone() {
                for (k, n) in old.key_counts() {
                    let l = touched.entry(k).or_insert_with(|| list(&new, k));
                    l.retain(|&s| s != slot);
                    if let Some(c) = new.counts.get_mut(&k).filter(|_| !old.links_only) {
                        *c = c.saturating_sub(n);
                        if *c == 0 {
                            new.counts.remove(&k);
                        }
                    }
                }
            }
            match m {
                Some(m) => {
                    for (k, n) in m.key_counts() {
                        let l = touched.entry(k).or_insert_with(|| list(&new, k));
                        if let Err(at) = l.binary_search(&slot) {
                            l.insert(at, slot);
                        }
                        if !m.links_only {
                            *new.counts.entry(k).or_default() += n;
                        }
                    }
                    new.slots.insert(path.clone(), slot);
                    new.docs[slot as usize] = Some((path, Arc::new(m)));
                }
                None => {
                    new.slots.remove(&path);
                    new.docs[slot as usize] = None;
                }
            }
        }
        for (k, l) in touched {
            if l.is_empty() {
                new.postings.remove(&k);
            } else {
                new.postings.insert(k, l.into());
            }
        }
        new
    }

    pub fn doc_count(&self) -> usize {
        self.slots.len()
    }

    /// The mentions of any of `keys` (key numbers in [`MentionIndex::terms`]) in all the
    /// documents, as they were when indexed.
    pub fn count(&self, keys: &[u32]) -> u64 {
        keys.iter().filter_map(|k| self.counts.get(k)).sum()
    }

    pub fn mention_count(&self) -> usize {
        self.docs.iter().flatten().map(|(_, d)| d.len()).sum()
    }

    /// Bytes the index holds on the heap (its arrays and maps, not counting the allocator's
    /// overhead or the term index).
    pub fn heap_bytes(&self) -> usize {
        let per_doc = std::mem::size_of::<DocMentions>() + 2 * 16 + std::mem::size_of::<(Arc<Path>, u32)>() + 1;
        let docs: usize = self.docs.iter().flatten().map(|(p, d)| d.heap_bytes() + p.as_os_str().len() + per_doc).sum();
        let postings: usize = self.postings.values().map(|l| l.len() * 4 + 16).sum::<usize>()
            + self.postings.capacity() * (std::mem::size_of::<(u32, Arc<[u32]>)>() + 1);
        let counts = self.counts.capacity() * (std::mem::size_of::<(u32, u64)>() + 1);
        docs + self.docs.capacity() * std::mem::size_of::<Option<(Arc<Path>, Arc<DocMentions>)>>() + postings + counts
    }

    /// The documents that mention any of `keys` (key numbers in [`MentionIndex::terms`]),
    /// with where, skipping those `skip` says (the open documents, which the caller scans as
    /// they are now); sorted by path.
    pub fn find(
        &self,
        keys: &[u32],
        skip: &(dyn Fn(&Path) -> bool + Sync),
        cancel: &Cancel,
    ) -> Result<Found, Cancelled> {
        let mut slots: Vec<u32> =
            keys.iter().filter_map(|k| self.postings.get(k)).flat_map(|l| l.iter().copied()).collect();
        slots.sort_unstable();
        slots.dedup();
        let found = |slot: u32| {
            let (path, doc) = self.docs[slot as usize].as_ref()?;
            (!skip(path)).then(|| (path.clone(), doc.find(keys)))
        };
        let mut out = Vec::with_capacity(slots.len());
        if slots.len() < PARALLEL_DOCS {
            for (n, &slot) in slots.iter().enumerate() {
                if n % 256 == 0 && cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                out.extend(found(slot));
            }
        } else {
            // A concept mentioned in thousands of documents: on every core, in parts of slots
            // in order, joined in order.
            let parts: Vec<&[u32]> = slots.chunks(PARALLEL_DOCS / 4).collect();
            let done = crate::par::map_in_order(parts.len(), |i| {
                if cancel.is_cancelled() { Vec::new() } else { parts[i].iter().filter_map(|&s| found(s)).collect() }
            });
            if cancel.is_cancelled() {
                return Err(Cancelled);
            }
            out.extend(done.into_iter().flatten());
        }
        // Slots are given in path order at a build; only documents added since are not.
        if !out.is_sorted_by(|a, b| a.0 <= b.0) {
            out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(out)
    }
}
