//! The completion engine: ranked, typo-tolerant term lookup over an fst, built once and
//! shared immutably.
//!
//! [`CompletionIndex`] holds every term of the graph as a folded fst key mapped to entries
//! (term as written, concept, static weight). Queries go through four tiers, each below the
//! previous one:
//! 1. exact and prefix matches, top-k by weight without scanning every match of a common
//!    prefix (the best [`PRECOMPUTED_K`] entries of every prefix of up to
//!    [`TRACKED_PREFIX_CHARS`] characters with at least [`HEAVY_PREFIX_KEYS`] keys, the empty
//!    one included, are computed at build time; other prefixes stream their small fst range
//!    into a bounded heap);
//! 2. typo-tolerant matches found by walking the fst with a Levenshtein automaton (the limits
//!    are [`super::matching::typo_limits`]). The walk finds whole terms within the distance,
//!    and the term prefixes within it, whose best entries come from the prefix tier; it visits
//!    a bounded number of fst nodes. Hits rank by whole term first, then edits, Jaro-Winkler
//!    similarity, weight;
//! 3. initials of multi-word terms (`ap` for "async pipeline");
//! 4. subsequences anchored at the first character (`tkrt` for "tokio runtime").
//!
//! Every hit carries its [`Quality`], decided as [`super::matching::Classifier`] decides it,
//! so completion and search agree on how a query matches a term.
//!
//! # Layout
//!
//! The index is one flat byte payload ([`super::bytes::Sections`]), the same whether it was
//! just built or memory-mapped from the cache: the key fst (value: the key's first entry), a
//! bit per entry marking where each key's entries start, bit-packed concepts, `u16` weights
//! (quantized between the smallest and largest weight), the texts as written (front-coded in
//! entry order, in blocks of [`TEXT_BLOCK`] entries that each decode on their own, behind a
//! table of where each block starts), each concept's name as the entry that spells it, and two
//! small fsts with their bit-packed lists: heavy prefixes and initials. Everything is read in
//! place and nothing is decoded when the index is opened: [`CompletionIndex::text`] decodes
//! one entry from its block, so no copy of the texts is kept.
//!
//! Dynamic boosts (accepted completions) are applied by the caller through a closure. The
//! index does no I/O (saving and opening it is [`super::persist`]); it knows nothing of
//! protocol types.
//!
//! The module's parts: this file holds the types and the accessors that read one entry;
//! [`build`] sorts terms and writes the payload; [`format`] is the payload's layout and the
//! checks that make a damaged one refused when it is opened; [`codec`] is the front-coded text
//! blocks and the string table; [`query`] is the four kinds of lookup. The classes the
//! queries give are [`super::matching`]'s.

mod build;
mod codec;
mod format;
mod query;
#[cfg(test)]
pub(super) mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::bytes::{Bytes, u16_at, u32_at, unpack};
use super::matching::Quality;
use codec::Text;
pub use format::FormatError;
use format::Layout;

/// Prefixes of up to this many characters may have their best entries precomputed.
pub const TRACKED_PREFIX_CHARS: usize = 12;
/// A prefix with at least this many keys is heavy: its best entries are precomputed, because
/// streaming its range would cost too much. Lighter prefixes stream.
pub const HEAVY_PREFIX_KEYS: usize = 64;
/// How many entries are precomputed per heavy prefix.
pub const PRECOMPUTED_K: usize = 64;
/// The most fst nodes one fuzzy walk visits.
const FUZZY_NODE_BUDGET: usize = 30_000;
/// The most fst transitions one subsequence search follows.
const SUBSEQUENCE_NODE_BUDGET: usize = 30_000;
/// The most fst keys one subsequence search collects.
const VISIT_CAP: usize = 1_500;
/// Entries per block of texts. Each block is front-coded on its own, so one text decodes from
/// at most this many; larger blocks share more prefixes on disk but decode more per call.
pub const TEXT_BLOCK: usize = 16;

const _: () = assert!(HEAVY_PREFIX_KEYS >= PRECOMPUTED_K, "a heavy prefix fills its list");

/// One result of a search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub entry: u32,
    /// How the entry's key matches the query.
    pub kind: Quality,
    /// Higher is better within a kind (weight plus boost, or similarity for fuzzy hits).
    pub score: f32,
    /// For a typo: the edits between the query and the whole term, when the whole term is
    /// within the limits (see [`super::matching::Typo`]); completion ranks these first.
    pub whole: Option<u8>,
}

/// The immutable engine. See the module documentation.
pub struct CompletionIndex {
    /// Folded key → its first entry.
    keys: fst::Map<Bytes>,
    /// The whole payload, as saved.
    data: Bytes,
    layout: Layout,
    /// Heavy prefix → index of its list.
    prefix_lists: fst::Map<Bytes>,
    /// Initials → `offset << 7 | length` of its list.
    initials: fst::Map<Bytes>,
    /// Concept names that are no entry's text, by concept.
    other_names: Vec<(u32, Box<str>)>,
}

/// A term handed to the builder.
#[derive(Clone, Debug)]
pub struct TermInput {
    pub text: String,
    pub concept: u32,
    pub weight: f32,
}

impl std::fmt::Debug for CompletionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionIndex").field("keys", &self.keys.len()).field("entries", &self.entry_count()).finish()
    }
}

impl Default for CompletionIndex {
    fn default() -> Self {
        CompletionIndex::build(Vec::new(), &[])
    }
}

impl CompletionIndex {
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn entry_count(&self) -> usize {
        self.layout.entries
    }

    pub fn fst_bytes(&self) -> usize {
        self.keys.as_fst().as_bytes().len()
    }

    /// The term as written, decoded from its block: owned unless it is stored whole. See also
    /// [`CompletionIndex::with_text`].
    pub fn text(&self, entry: u32) -> Cow<'_, str> {
        self.locate_text(entry).to_cow()
    }

    /// Calls `f` with the term as written: cheaper than [`CompletionIndex::text`] when `f`
    /// only reads it, because a short text is decoded on the stack.
    pub fn with_text<R>(&self, entry: u32, f: impl FnOnce(&str) -> R) -> R {
        self.locate_text(entry).with(f)
    }

    fn locate_text(&self, entry: u32) -> Text<'_> {
        let l = &self.layout;
        assert!((entry as usize) < l.entries, "entry {entry} out of range");
        let raw = self.data.as_ref();
        let (b, i) = (entry as usize / TEXT_BLOCK, entry as usize % TEXT_BLOCK);
        let starts = &raw[l.text_starts.clone()];
        let (start, end) = (u32_at(starts, b) as usize, u32_at(starts, b + 1) as usize);
        // Checked when opened; a range that is not yields an empty block, never a panic.
        let block = raw[l.text_blocks.clone()].get(start..end).unwrap_or_default();
        Text::locate(block, TEXT_BLOCK.min(l.entries - b * TEXT_BLOCK), i)
    }

    pub fn concept(&self, entry: u32) -> u32 {
        let l = &self.layout;
        assert!((entry as usize) < l.entries, "entry {entry} out of range");
        unpack(&self.data.as_ref()[l.entry_concept.clone()], l.concept_bits, entry as usize)
    }

    pub fn weight(&self, entry: u32) -> f32 {
        let l = &self.layout;
        let q = u16_at(&self.data.as_ref()[l.entry_weight.clone()], entry as usize);
        l.weight_min + f32::from(q) * l.weight_step
    }

    /// Whether `entry` is the entry that spells its concept's name.
    pub fn names_its_concept(&self, entry: u32) -> bool {
        let l = &self.layout;
        unpack(&self.data.as_ref()[l.concept_name.clone()], l.entry_bits, self.concept(entry) as usize) == entry
    }

    pub fn concept_name(&self, concept: u32) -> Cow<'_, str> {
        let l = &self.layout;
        assert!((concept as usize) < l.concepts, "concept {concept} out of range");
        let e = unpack(&self.data.as_ref()[l.concept_name.clone()], l.entry_bits, concept as usize);
        if (e as usize) < l.entries {
            return self.text(e);
        }
        let i = self.other_names.binary_search_by_key(&concept, |(c, _)| *c).expect("checked when opened");
        Cow::Borrowed(&self.other_names[i].1)
    }

    pub fn concept_count(&self) -> usize {
        self.layout.concepts
    }

    /// Entries whose folded key is exactly `folded`.
    pub fn exact(&self, folded: &str) -> std::ops::Range<u32> {
        match self.keys.get(folded) {
            Some(first) => self.group(first as u32),
            None => 0..0,
        }
    }

    /// The entries of the key whose first entry is `first`: up to the next key's first entry.
    fn group(&self, first: u32) -> std::ops::Range<u32> {
        let words = &self.data.as_ref()[self.layout.key_starts.clone()];
        let word = |i: usize| u64::from_le_bytes(words[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let next = first as usize + 1;
        let mut i = next / 64;
        let mut w = if i < words.len() / 8 { word(i) & (u64::MAX << (next % 64)) } else { 0 };
        while w == 0 && i + 1 < words.len() / 8 {
            i += 1;
            w = word(i);
        }
        let end =
            if w == 0 { self.layout.entries } else { (i * 64 + w.trailing_zeros() as usize).min(self.layout.entries) };
        first..end as u32
    }
}

/// A bounded min-heap keeping the `k` largest `(score, entry)` pairs.
struct TopK {
    k: usize,
    heap: BinaryHeap<std::cmp::Reverse<(Score, u32)>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Score(f32);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK { k, heap: BinaryHeap::with_capacity(k.min(1024) + 1) }
    }

    fn push(&mut self, score: f32, entry: u32) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse((Score(score), entry)));
        } else if let Some(min) = self.heap.peek()
            && (Score(score), std::cmp::Reverse(entry)) > (min.0.0, std::cmp::Reverse(min.0.1))
        {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse((Score(score), entry)));
        }
    }

    fn into_sorted_scored(self) -> Vec<(f32, u32)> {
        let mut v: Vec<(f32, u32)> = self.heap.into_iter().map(|r| (r.0.0.0, r.0.1)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v
    }
}
