//! The completion index's on-disk format: where each section lies in the one flat payload
//! ([`Layout`]), reading a payload in place ([`CompletionIndex::from_bytes`]), and the checks
//! that refuse a damaged one with a [`FormatError`] before any lookup can read out of bounds,
//! decode a key that is not UTF-8 or panic.
//!
//! It must not decode the texts or copy the payload: opening stays a matter of milliseconds on
//! a memory map. Writing the payload is [`super::build`]'s; the file around it is
//! [`crate::index::persist`]'s.

use std::ops::Range;

use fst::Streamer;

use super::codec::{check_texts, decode_strings};
use super::{CompletionIndex, PRECOMPUTED_K, TEXT_BLOCK};
use crate::index::bytes::{Bytes, Sections, bits_for, packed_len, u32_at, unpack};

/// Why a payload was refused. Each names the part that is damaged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The table of sections is unreadable.
    SectionTable,
    /// The payload has another number of sections than this version writes.
    SectionCount { found: usize, expected: usize },
    /// The header's numbers are inconsistent, or were written for another layout.
    Header,
    /// One of the three fsts (`"keys"`, `"prefixes"`, `"initials"`) does not read.
    Fst { section: &'static str, error: String },
    /// A section's length does not match what the header says it holds.
    SectionSizes,
    /// The blocks of texts (or their table) are inconsistent.
    Texts,
    /// The table of concept names that no entry spells is inconsistent.
    Names,
    /// A stored id points past what it indexes (`what`: concept, concept name, list entry).
    OutOfRange { what: &'static str },
    /// The lists of initials are inconsistent.
    Initials,
    /// A key is not UTF-8.
    KeyNotUtf8,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::SectionTable => f.write_str("bad section table"),
            FormatError::SectionCount { found, expected } => write!(f, "{found} sections, expected {expected}"),
            FormatError::Header => f.write_str("bad header"),
            FormatError::Fst { section, error } => write!(f, "bad {section} fst: {error}"),
            FormatError::SectionSizes => f.write_str("section sizes do not match the header"),
            FormatError::Texts => f.write_str("bad texts"),
            FormatError::Names => f.write_str("bad table of concept names"),
            FormatError::OutOfRange { what } => write!(f, "{what} out of range"),
            FormatError::Initials => f.write_str("bad initials lists"),
            FormatError::KeyNotUtf8 => f.write_str("a key is not UTF-8"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The numbers of the header and where each section lies in the payload.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    pub(super) entries: usize,
    pub(super) concepts: usize,
    pub(super) concept_bits: u32,
    pub(super) entry_bits: u32,
    pub(super) weight_min: f32,
    pub(super) weight_step: f32,
    pub(super) initials_total: usize,
    pub(super) key_starts: Range<usize>,
    /// Where each block of texts starts in `text_blocks`, and where the last ends (`u32`s).
    pub(super) text_starts: Range<usize>,
    pub(super) text_blocks: Range<usize>,
    pub(super) entry_concept: Range<usize>,
    pub(super) entry_weight: Range<usize>,
    pub(super) concept_name: Range<usize>,
    pub(super) prefix_lists: Range<usize>,
    pub(super) initials_lists: Range<usize>,
}

/// The sections of the payload, in order.
pub(super) mod section {
    pub const HEADER: usize = 0;
    pub const KEYS: usize = 1;
    pub const KEY_STARTS: usize = 2;
    pub const ENTRY_CONCEPT: usize = 3;
    pub const ENTRY_WEIGHT: usize = 4;
    pub const TEXTS: usize = 5;
    pub const CONCEPT_NAME: usize = 6;
    pub const NAME_EXCEPTIONS: usize = 7;
    pub const PREFIX_FST: usize = 8;
    pub const PREFIX_LISTS: usize = 9;
    pub const INITIALS_FST: usize = 10;
    pub const INITIALS_LISTS: usize = 11;
    pub const COUNT: usize = 12;
}
const HEADER_FIELDS: usize = 8;

impl CompletionIndex {
    /// The payload [`CompletionIndex::from_bytes`] reads, as saved by [`super::persist`].
    pub(in crate::index) fn bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Reads an index from its payload in place, checking that every part is consistent, so
    /// that no later lookup can go out of bounds, and that every key is UTF-8 (what
    /// `persist::open` does in two steps).
    #[cfg(test)]
    pub(in crate::index) fn from_bytes(data: Bytes) -> Result<CompletionIndex, FormatError> {
        CompletionIndex::read(data, true)
    }

    /// [`CompletionIndex::from_bytes`] without the walk over the keys: for a persisted index
    /// that completion is served from at once, whose keys the caller then checks with
    /// [`CompletionIndex::check_keys`] (the walk takes milliseconds per 100k terms).
    pub(in crate::index) fn from_bytes_deferring_keys(data: Bytes) -> Result<CompletionIndex, FormatError> {
        CompletionIndex::read(data, false)
    }

    /// Whether every key is UTF-8 (what [`CompletionIndex::from_bytes`] checks besides the
    /// structure). A key that is not only reads back lossily; it never panics.
    pub fn check_keys(&self) -> Result<(), FormatError> {
        if keys_are_utf8(self.keys.as_fst()) { Ok(()) } else { Err(FormatError::KeyNotUtf8) }
    }

    /// [`CompletionIndex::from_bytes`] for a payload this process has just built from strings,
    /// whose keys are UTF-8 by construction: the walk over every key (milliseconds per 100k
    /// terms) is left out of every rebuild.
    pub(in crate::index) fn from_built(data: Bytes) -> Result<CompletionIndex, FormatError> {
        CompletionIndex::read(data, false)
    }

    fn read(data: Bytes, check_keys: bool) -> Result<CompletionIndex, FormatError> {
        let raw = data.as_ref();
        let ranges = Sections::parse(raw).ok_or(FormatError::SectionTable)?;
        if ranges.len() != section::COUNT {
            return Err(FormatError::SectionCount { found: ranges.len(), expected: section::COUNT });
        }
        let header = &raw[ranges[section::HEADER].clone()];
        if header.len() != 4 * HEADER_FIELDS {
            return Err(FormatError::Header);
        }
        let h = |i: usize| u32_at(header, i);
        let (entries, concepts) = (h(0) as usize, h(1) as usize);
        let texts = ranges[section::TEXTS].clone();
        let text_starts = texts.start..texts.start + 4 * (entries.div_ceil(TEXT_BLOCK) + 1);
        if text_starts.end > texts.end {
            return Err(FormatError::Texts);
        }
        let layout = Layout {
            entries,
            concepts,
            concept_bits: h(2),
            entry_bits: h(3),
            weight_min: f32::from_bits(h(4)),
            weight_step: f32::from_bits(h(5)),
            initials_total: h(6) as usize,
            key_starts: ranges[section::KEY_STARTS].clone(),
            text_blocks: text_starts.end..texts.end,
            text_starts,
            entry_concept: ranges[section::ENTRY_CONCEPT].clone(),
            entry_weight: ranges[section::ENTRY_WEIGHT].clone(),
            concept_name: ranges[section::CONCEPT_NAME].clone(),
            prefix_lists: ranges[section::PREFIX_LISTS].clone(),
            initials_lists: ranges[section::INITIALS_LISTS].clone(),
        };
        let l = &layout;
        if l.concept_bits > 32 || l.entry_bits != bits_for(entries as u32) || h(7) as usize != PRECOMPUTED_K {
            return Err(FormatError::Header);
        }
        let fst_at = |i: usize, section: &'static str| {
            fst::Map::new(data.slice(ranges[i].clone())).map_err(|e| FormatError::Fst { section, error: e.to_string() })
        };
        let keys = fst_at(section::KEYS, "keys")?;
        let prefix_lists = fst_at(section::PREFIX_FST, "prefixes")?;
        let initials = fst_at(section::INITIALS_FST, "initials")?;
        let sizes = [
            (l.key_starts.len(), entries.div_ceil(64) * 8),
            (l.entry_concept.len(), packed_len(entries, l.concept_bits)),
            (l.entry_weight.len(), entries * 2),
            (l.concept_name.len(), packed_len(concepts, l.entry_bits)),
            (l.prefix_lists.len(), packed_len(prefix_lists.len() * PRECOMPUTED_K, l.entry_bits)),
            (l.initials_lists.len(), packed_len(l.initials_total, l.entry_bits)),
        ];
        if sizes.iter().any(|(got, want)| got != want) {
            return Err(FormatError::SectionSizes);
        }
        let other_names = decode_strings(&raw[ranges[section::NAME_EXCEPTIONS].clone()], concepts)?;
        let index = CompletionIndex {
            keys,
            data: data.clone(),
            layout,
            prefix_lists,
            initials,
            other_names: other_names.into_iter().map(|(c, s)| (c, s.into_boxed_str())).collect(),
        };
        index.check(check_keys)?;
        Ok(index)
    }

    /// Checks that every stored concept and entry id is in range, and with `check_keys` that
    /// every key is UTF-8. (Key values need no pass: [`CompletionIndex::group`] clamps them to
    /// the entries.)
    fn check(&self, check_keys: bool) -> Result<(), FormatError> {
        let l = &self.layout;
        let raw = self.data.as_ref();
        check_texts(&raw[l.text_starts.clone()], &raw[l.text_blocks.clone()], l.entries)?;
        let concepts = &raw[l.entry_concept.clone()];
        if l.concepts == 0 && l.entries > 0
            || (0..l.entries).any(|e| unpack(concepts, l.concept_bits, e) as usize >= l.concepts)
        {
            return Err(FormatError::OutOfRange { what: "concept" });
        }
        let names = &raw[l.concept_name.clone()];
        let mut others = self.other_names.iter().map(|(c, _)| *c as usize).peekable();
        for c in 0..l.concepts {
            let e = unpack(names, l.entry_bits, c) as usize;
            let other = others.next_if_eq(&c).is_some();
            if e > l.entries || (e == l.entries) != other {
                return Err(FormatError::OutOfRange { what: "concept name" });
            }
        }
        let lists = [
            (&raw[l.prefix_lists.clone()], self.prefix_lists.len() * PRECOMPUTED_K),
            (&raw[l.initials_lists.clone()], l.initials_total),
        ];
        for (data, count) in lists {
            if (0..count).any(|i| unpack(data, l.entry_bits, i) as usize >= l.entries) {
                return Err(FormatError::OutOfRange { what: "list entry" });
            }
        }
        let mut stream = self.initials.stream();
        let mut at = 0u64;
        while let Some((_, v)) = stream.next() {
            if v >> 7 != at || v & 0x7f == 0 || v & 0x7f > PRECOMPUTED_K as u64 {
                return Err(FormatError::Initials);
            }
            at += v & 0x7f;
        }
        if at as usize != l.initials_total {
            return Err(FormatError::Initials);
        }
        if check_keys && !keys_are_utf8(self.keys.as_fst()) {
            return Err(FormatError::KeyNotUtf8);
        }
        Ok(())
    }
}

/// Whether every key of `fst` is UTF-8: a walk of its nodes under a UTF-8 decoder's states,
/// each pair of node and state visited once (the fst shares suffixes, so this reads about as
/// many nodes as the fst has, not one path per key).
fn keys_are_utf8(fst: &fst::raw::Fst<Bytes>) -> bool {
    // States: 0 between characters; 1, 2, 3 continuation bytes still due; 4 (after E0), 5
    // (after ED), 6 (after F0), 7 (after F4): the first continuation byte has a narrower range.
    fn next(state: u8, b: u8) -> Option<u8> {
        Some(match (state, b) {
            (0, 0x00..=0x7f) => 0,
            (0, 0xc2..=0xdf) => 1,
            (0, 0xe0) => 4,
            (0, 0xe1..=0xec | 0xee..=0xef) => 2,
            (0, 0xed) => 5,
            (0, 0xf0) => 6,
            (0, 0xf1..=0xf3) => 3,
            (0, 0xf4) => 7,
            (1, 0x80..=0xbf) => 0,
            (2, 0x80..=0xbf) | (4, 0xa0..=0xbf) | (5, 0x80..=0x9f) => 1,
            (3, 0x80..=0xbf) | (6, 0x90..=0xbf) | (7, 0x80..=0x8f) => 2,
            _ => return None,
        })
    }
    let (mut seen, mut stack) = (vec![0u8; fst.as_bytes().len() + 1], vec![(fst.root().addr(), 0u8)]);
    while let Some((addr, state)) = stack.pop() {
        let bit = 1u8 << state;
        match seen.get_mut(addr) {
            Some(s) if *s & bit != 0 => continue,
            Some(s) => *s |= bit,
            None => return false,
        }
        let node = fst.node(addr);
        if node.is_final() && state != 0 {
            return false;
        }
        for t in node.transitions() {
            match next(state, t.inp) {
                Some(s) => stack.push((t.addr, s)),
                None => return false,
            }
        }
    }
    true
}
