//! References to a concept: its mentions in the workspace's documents (from the
//! [`MentionIndex`], and from the open documents as they are now), the `related::` entries and
//! wiki links of the concept files that name it, and its declaration.
//!
//! Every term of the concept counts as the concept. Files are read only through the [`Vfs`]
//! the caller hands in (the open documents over the disk); no protocol types.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::mentions::{Found, Kind, Mention, MentionIndex, Pos, Span, mentions};
use crate::index::TermIndex;
use crate::kg::{ConceptId, EntryKind, Graph, entries};
use crate::search::{Cancel, Cancelled};
use crate::text::{LineIndex, fold};
use crate::vfs::Vfs;

/// The key numbers in `terms` of every term of concept `id` (of `graph`, which may be newer
/// than `terms`: a term `terms` does not know has none).
pub fn concept_keys(graph: &Graph, id: ConceptId, terms: &TermIndex) -> Vec<u32> {
    let mut keys: Vec<u32> = graph.concept(id).terms().filter_map(|t| key_in(terms, t)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The key number of `term` in `terms`, if it is one of its terms.
pub fn key_in(terms: &TermIndex, term: &str) -> Option<u32> {
    terms.map.number(&fold(term)).and_then(|k| u32::try_from(k).ok())
}

/// The items of a concept file's `related::` lines that name one of `keys` (in `terms`).
pub fn related_entries(text: &str, terms: &TermIndex, keys: &[u32]) -> Vec<Range<usize>> {
    entries(text)
        .into_iter()
        .filter(|e| e.kind == EntryKind::Related)
        .filter(|e| key_in(terms, &text[e.range.clone()]).is_some_and(|k| keys.contains(&k)))
        .map(|e| e.range)
        .collect()
}

/// What a search for references reads. Terms are matched with the index's term index
/// ([`MentionIndex::terms`]) everywhere, so that every place agrees on what a mention is.
pub struct ReferenceSet<'a> {
    pub graph: &'a Graph,
    pub index: &'a MentionIndex,
    /// The open documents (path and text as they are now), which are scanned instead of their
    /// indexed mentions. Concept files among them are read through `files` as any other.
    pub open: &'a [(Arc<Path>, &'a str)],
    /// Whether a path is a knowledge-graph source (not a document).
    pub is_source: &'a (dyn Fn(&Path) -> bool + Sync),
    pub files: &'a dyn Vfs,
}

impl ReferenceSet<'_> {
    /// Every reference to concept `id`, by file in path order, each file's in text order; with
    /// `declaration`, the concept's own heading (or definition line) too.
    pub fn references(&self, id: ConceptId, declaration: bool, cancel: &Cancel) -> Result<Found, Cancelled> {
        let terms = &**self.index.terms();
        let keys = concept_keys(self.graph, id, terms);
        let mut out = self.documents(id, cancel)?;
        let concept = self.graph.concept(id);
        // The wiki links of the other concept files: from the index, the open ones as they are.
        let own = concept.path();
        let is_open = |p: &Path| self.open.iter().any(|(o, _)| **o == *p);
        let not_linking = |p: &Path| !(self.is_source)(p) || is_open(p) || *p == **own;
        out.extend(self.index.find(&keys, &not_linking, cancel)?);
        for (path, text) in self.open {
            if (self.is_source)(path) && **path != **own {
                let ranges: Vec<Range<usize>> = wiki_links(text, terms, &keys);
                if !ranges.is_empty() {
                    out.push((path.clone(), to_spans(&LineIndex::new(text), text, ranges)));
                }
            }
        }
        let mut files: Vec<&Arc<Path>> = concept
            .related_by()
            .iter()
            .map(|&c| self.graph.concept(c).path())
            .filter(|p| ***p != **concept.path())
            .collect();
        files.sort();
        files.dedup();
        for path in files {
            if cancel.is_cancelled() {
                return Err(Cancelled);
            }
            let Some(text) = self.read(path) else { continue };
            let index = LineIndex::new(&text);
            let ranges = related_entries(&text, terms, &keys);
            if !ranges.is_empty() {
                out.push((path.clone(), to_spans(&index, &text, ranges)));
            }
        }
        if declaration && let Some(text) = self.read(concept.path()) {
            let index = LineIndex::new(&text);
            let heading = entries(&text).into_iter().find(|e| e.kind == EntryKind::Heading).map(|e| e.range);
            let range = match heading {
                Some(r) if key_in(terms, &text[r.clone()]).is_some_and(|k| keys.contains(&k)) => r,
                _ => index.line_range(&text, concept.line()).map_or(0..0, |r| r.start..r.start),
            };
            out.push((concept.path().clone(), to_spans(&index, &text, vec![range])));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        // One file's spans from several places (a concept file read for related entries and its
        // declaration) become one list.
        let mut merged: Found = Vec::with_capacity(out.len());
        for (path, spans) in out {
            match merged.last_mut() {
                Some((p, s)) if *p == path => s.extend(spans),
                _ => merged.push((path, spans)),
            }
        }
        // Only a file met twice (a concept file, for its entries and its declaration) needs
        // sorting; the index and the scans give each file's spans in order.
        for (_, spans) in &mut merged {
            if !spans.is_sorted() {
                spans.sort_unstable();
                spans.dedup();
            }
        }
        Ok(merged)
    }

    /// The documents (not concept files) that mention concept `id`, with where, in path order.
    pub fn documents(&self, id: ConceptId, cancel: &Cancel) -> Result<Found, Cancelled> {
        let terms = &**self.index.terms();
        let keys = concept_keys(self.graph, id, terms);
        let skip = |p: &Path| (self.is_source)(p) || self.open.iter().any(|(o, _)| **o == *p);
        let mut out = self.index.find(&keys, &skip, cancel)?;
        for (path, text) in self.open {
            if (self.is_source)(path) {
                continue;
            }
            let spans = spans_of(text, Kind::Document, terms, &keys);
            if !spans.is_empty() {
                out.push((path.clone(), spans));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn read(&self, path: &Path) -> Option<String> {
        let bytes = self.files.read(path, crate::kg::MAX_FILE_BYTES).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The spans of the mentions of `keys` (key numbers in `terms`) in `text`.
pub fn spans_of(text: &str, kind: Kind, terms: &TermIndex, keys: &[u32]) -> Vec<Span> {
    to_spans(&LineIndex::new(text), text, ranges_of(text, kind, terms, keys))
}

/// The byte ranges of the mentions of `keys` (key numbers in `terms`) in `text`.
pub fn ranges_of(text: &str, kind: Kind, terms: &TermIndex, keys: &[u32]) -> Vec<Range<usize>> {
    mentions(text, kind, terms, false).into_iter().filter(|m| keys.contains(&(m.key as u32))).map(|m| m.range).collect()
}

fn to_spans(index: &LineIndex, text: &str, ranges: Vec<Range<usize>>) -> Vec<Span> {
    ranges
        .into_iter()
        .map(|r| Span { start: Pos::at(index, text, r.start), end: Pos::at(index, text, r.end) })
        .collect()
}

/// The `[[wiki links]]` of a concept file's `text` that name one of `keys` (in `terms`).
fn wiki_links(text: &str, terms: &TermIndex, keys: &[u32]) -> Vec<Range<usize>> {
    wiki_link_mentions(text, terms).into_iter().filter(|m| keys.contains(&(m.key as u32))).map(|m| m.range).collect()
}

/// The terms the `[[wiki links]]` of a concept file's `text` name, as mentions (the term scan
/// runs only on a text with a `[[`).
pub(super) fn wiki_link_mentions(text: &str, terms: &TermIndex) -> Vec<Mention> {
    if !text.contains("[[") {
        return Vec::new();
    }
    mentions(text, Kind::ConceptFile, terms, false).into_iter().filter(|m| is_wiki_link(text, &m.range)).collect()
}

/// Whether `range` is the whole target of a `[[wiki link]]` (`[[name]]` or `[[name|label]]`).
pub(super) fn is_wiki_link(text: &str, range: &Range<usize>) -> bool {
    text[..range.start].ends_with("[[") && (text[range.end..].starts_with("]]") || text[range.end..].starts_with('|'))
}
