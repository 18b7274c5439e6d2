//! The completion engine: ranked, typo-tolerant term lookup over an fst, built once and
//! shared immutably.
//!
//! [`CompletionIndex`] holds every term of the graph as a folded fst key mapped to entries
//! (term as written, concept, static weight). Queries go through four tiers, each below the
//! previous one:
//! 1. exact and prefix matches, top-k by weight without scanning every match of a common
//!    prefix (the best [`PRECOMPUTED_K`] entries of every prefix of up to
//!    [`TRACKED_PREFIX_CHARS`] characters with at least [`HEAVY_PREFIX_KEYS`] keys are
//!    computed at build time; other prefixes stream their small fst range into a bounded heap);
//! 2. typo-tolerant matches found by walking the fst with a Levenshtein automaton (distance 1
//!    from 4 characters, 2 from 8, transpositions cost one; whole terms also at distance 2 from
//!    5 characters). The walk finds whole terms within the distance, and the term prefixes
//!    within it, whose best entries come from the prefix tier; it visits a bounded number of
//!    fst nodes. Hits rank by whole term first, then edits, Jaro-Winkler similarity, weight;
//! 3. initials of multi-word terms (`ap` for "async pipeline");
//! 4. subsequences anchored at the first character (`tkrt` for "tokio runtime").
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
//! one entry from its block (a fraction of a microsecond), so no copy of the texts is kept.
//!
//! Dynamic boosts (accepted completions) are applied by the caller through a closure. The
//! index does no I/O (saving and opening it is [`super::persist`]); it knows nothing of
//! protocol types.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use fst::automaton::{Automaton, Str, Subsequence};
use fst::raw::Node;
use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};

use super::bytes::{Bytes, Sections, bits_for, pack, packed_len, u16_at, u32_at, unpack};
use crate::text::fold;

/// Prefixes of up to this many characters may have their best entries precomputed.
pub const TRACKED_PREFIX_CHARS: usize = 12;
/// A prefix with at least this many keys is heavy: its best entries are precomputed, because
/// streaming its range would cost too much. Lighter prefixes stream.
pub const HEAVY_PREFIX_KEYS: usize = 64;
/// How many entries are precomputed per heavy prefix.
pub const PRECOMPUTED_K: usize = 64;
/// Queries longer than this get no fuzzy matching (automaton size grows with the query).
pub const MAX_FUZZY_CHARS: usize = 40;
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

/// How a hit matched; earlier variants rank first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    Exact,
    Prefix,
    /// Within this many edits of the whole term, or of a prefix of it when `whole` is false.
    Fuzzy {
        whole: bool,
        distance: u8,
    },
    Initials,
    Subsequence,
}

impl MatchKind {
    /// The tier: exact/prefix 0, fuzzy 1, initials/subsequence 2.
    pub fn tier(self) -> u8 {
        match self {
            MatchKind::Exact | MatchKind::Prefix => 0,
            MatchKind::Fuzzy { .. } => 1,
            MatchKind::Initials | MatchKind::Subsequence => 2,
        }
    }
}

/// One result of a search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub entry: u32,
    pub kind: MatchKind,
    /// Higher is better within a kind (weight plus boost, or similarity for fuzzy hits).
    pub score: f32,
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

/// The numbers of the header and where each section lies in the payload.
#[derive(Clone, Debug)]
struct Layout {
    entries: usize,
    concepts: usize,
    concept_bits: u32,
    entry_bits: u32,
    weight_min: f32,
    weight_step: f32,
    initials_total: usize,
    key_starts: Range<usize>,
    /// Where each block of texts starts in `text_blocks`, and where the last ends (`u32`s).
    text_starts: Range<usize>,
    text_blocks: Range<usize>,
    entry_concept: Range<usize>,
    entry_weight: Range<usize>,
    concept_name: Range<usize>,
    prefix_lists: Range<usize>,
    initials_lists: Range<usize>,
}

/// The sections of the payload, in order.
mod section {
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
    /// Builds the index. `concept_names[c]` names concept `c`; every term's `concept` must be
    /// an index into it.
    pub fn build(mut terms: Vec<TermInput>, concept_names: &[String]) -> CompletionIndex {
        // Sort by folded key, then by weight (best first) inside a key.
        let mut keyed: Vec<(String, TermInput)> =
            terms.drain(..).map(|t| (fold(&t.text), t)).filter(|(k, _)| !k.is_empty()).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.weight.total_cmp(&a.1.weight)));
        let n = keyed.len();
        let finite = |w: f32| if w.is_finite() { w } else { 0.0 };
        let weight_min = keyed.iter().map(|(_, t)| finite(t.weight)).fold(f32::INFINITY, f32::min);
        let weight_max = keyed.iter().map(|(_, t)| finite(t.weight)).fold(f32::NEG_INFINITY, f32::max);
        let (weight_min, weight_step) = if n > 0 && weight_max > weight_min {
            (weight_min, (weight_max - weight_min) / f32::from(u16::MAX))
        } else {
            (if n > 0 { weight_min } else { 0.0 }, 1.0)
        };
        let quantized: Vec<u16> =
            keyed.iter().map(|(_, t)| ((finite(t.weight) - weight_min) / weight_step).round() as u16).collect();
        let weight = |e: u32| quantized[e as usize];

        let mut keys = fst::MapBuilder::memory();
        let mut key_starts = vec![0u64; n.div_ceil(64)];
        let mut name_entry: Vec<u32> = vec![u32::MAX; concept_names.len()];
        let mut initials: HashMap<String, Vec<u32>> = HashMap::new();
        let mut prefix_lists: Vec<(String, Vec<u32>)> = Vec::new();
        // Per tracked prefix length: the current prefix, its first entry and its key count.
        let mut open: [Option<(String, u32, u32)>; TRACKED_PREFIX_CHARS] = Default::default();
        let mut i = 0;
        while i < n {
            let key = keyed[i].0.as_str();
            keys.insert(key.as_bytes(), i as u64).expect("keys are sorted and unique");
            key_starts[i / 64] |= 1 << (i % 64);
            let first = i as u32;
            while i < n && keyed[i].0 == key {
                let t = &keyed[i].1;
                if let Some(slot) = name_entry.get_mut(t.concept as usize)
                    && *slot == u32::MAX
                    && concept_names[t.concept as usize] == t.text
                {
                    *slot = i as u32;
                }
                i += 1;
            }
            let entries = first..i as u32;
            // Keys arrive sorted, so each prefix's entries are one contiguous range.
            for (len, slot) in open.iter_mut().enumerate() {
                let prefix = char_prefix(key, len + 1);
                if slot.as_ref().is_some_and(|(p, _, _)| Some(p.as_str()) != prefix)
                    && let Some(done) = slot.take()
                {
                    close_prefix(&mut prefix_lists, done, entries.start, &weight);
                }
                if let Some(prefix) = prefix {
                    slot.get_or_insert_with(|| (prefix.to_string(), entries.start, 0)).2 += 1;
                }
            }
            if let Some(ini) = initials_of(key) {
                initials.entry(ini).or_default().extend(entries);
            }
        }
        for slot in open.into_iter().flatten() {
            close_prefix(&mut prefix_lists, slot, n as u32, &weight);
        }
        prefix_lists.sort_by(|a, b| a.0.cmp(&b.0));
        let mut initials: Vec<(String, Vec<u32>)> = initials.into_iter().collect();
        initials.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, list) in &mut initials {
            list.sort_by_key(|&e| std::cmp::Reverse(weight(e)));
            list.truncate(PRECOMPUTED_K);
        }

        // The payload.
        let concept_bits = bits_for(concept_names.len().saturating_sub(1) as u32);
        let entry_bits = bits_for(n as u32); // `n` itself marks "no entry".
        let initials_total: usize = initials.iter().map(|(_, l)| l.len()).sum();
        let mut s = Sections::default();
        let header = [
            n as u32,
            concept_names.len() as u32,
            concept_bits,
            entry_bits,
            weight_min.to_bits(),
            weight_step.to_bits(),
            initials_total as u32,
            PRECOMPUTED_K as u32,
        ];
        s.push(header.iter().flat_map(|v| v.to_le_bytes()).collect());
        s.push(keys.into_inner().expect("in-memory fst"));
        s.push(key_starts.iter().flat_map(|w| w.to_le_bytes()).collect());
        s.push(pack(keyed.iter().map(|(_, t)| t.concept), n, concept_bits));
        s.push(quantized.iter().flat_map(|w| w.to_le_bytes()).collect());
        s.push(encode_texts(keyed.iter().map(|(_, t)| t.text.as_str())));
        let names = name_entry.iter().map(|&e| if e == u32::MAX { n as u32 } else { e });
        s.push(pack(names, concept_names.len(), entry_bits));
        let other_names: Vec<(u32, &str)> = (0..concept_names.len())
            .filter(|&c| name_entry[c] == u32::MAX)
            .map(|c| (c as u32, concept_names[c].as_str()))
            .collect();
        s.push(encode_strings(&other_names));
        let mut fst = fst::MapBuilder::memory();
        for (i, (prefix, _)) in prefix_lists.iter().enumerate() {
            fst.insert(prefix, i as u64).expect("sorted prefixes");
        }
        s.push(fst.into_inner().expect("in-memory fst"));
        let all = prefix_lists.iter().flat_map(|(_, l)| l.iter().copied());
        s.push(pack(all, prefix_lists.len() * PRECOMPUTED_K, entry_bits));
        let mut fst = fst::MapBuilder::memory();
        let mut offset = 0u64;
        for (ini, list) in &initials {
            fst.insert(ini, offset << 7 | list.len() as u64).expect("sorted initials");
            offset += list.len() as u64;
        }
        s.push(fst.into_inner().expect("in-memory fst"));
        s.push(pack(initials.iter().flat_map(|(_, l)| l.iter().copied()), initials_total, entry_bits));
        CompletionIndex::from_bytes(Bytes::from(s.finish())).expect("a fresh index reads back")
    }

    /// The payload [`CompletionIndex::from_bytes`] reads, as saved by [`super::persist`].
    pub(super) fn bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Reads an index from its payload in place, checking that every part is consistent, so
    /// that no later lookup can go out of bounds.
    pub(super) fn from_bytes(data: Bytes) -> Result<CompletionIndex, String> {
        let raw = data.as_ref();
        let ranges = Sections::parse(raw).ok_or("bad section table")?;
        if ranges.len() != section::COUNT {
            return Err(format!("{} sections, expected {}", ranges.len(), section::COUNT));
        }
        let header = &raw[ranges[section::HEADER].clone()];
        if header.len() != 4 * HEADER_FIELDS {
            return Err("bad header".into());
        }
        let h = |i: usize| u32_at(header, i);
        let (entries, concepts) = (h(0) as usize, h(1) as usize);
        let texts = ranges[section::TEXTS].clone();
        let text_starts = texts.start..texts.start + 4 * (entries.div_ceil(TEXT_BLOCK) + 1);
        if text_starts.end > texts.end {
            return Err("bad texts".into());
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
            return Err("bad header".into());
        }
        let fst_at = |i: usize| fst::Map::new(data.slice(ranges[i].clone())).map_err(|e| e.to_string());
        let keys = fst_at(section::KEYS)?;
        let prefix_lists = fst_at(section::PREFIX_FST)?;
        let initials = fst_at(section::INITIALS_FST)?;
        let sizes = [
            (l.key_starts.len(), entries.div_ceil(64) * 8),
            (l.entry_concept.len(), packed_len(entries, l.concept_bits)),
            (l.entry_weight.len(), entries * 2),
            (l.concept_name.len(), packed_len(concepts, l.entry_bits)),
            (l.prefix_lists.len(), packed_len(prefix_lists.len() * PRECOMPUTED_K, l.entry_bits)),
            (l.initials_lists.len(), packed_len(l.initials_total, l.entry_bits)),
        ];
        if sizes.iter().any(|(got, want)| got != want) {
            return Err("section sizes do not match the header".into());
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
        index.check()?;
        Ok(index)
    }

    /// Checks that every stored concept and entry id is in range. (Key values need no pass:
    /// [`CompletionIndex::group`] clamps them to the entries.)
    fn check(&self) -> Result<(), String> {
        let l = &self.layout;
        let raw = self.data.as_ref();
        check_texts(&raw[l.text_starts.clone()], &raw[l.text_blocks.clone()], l.entries)?;
        let concepts = &raw[l.entry_concept.clone()];
        if l.concepts == 0 && l.entries > 0
            || (0..l.entries).any(|e| unpack(concepts, l.concept_bits, e) as usize >= l.concepts)
        {
            return Err("concept out of range".into());
        }
        let names = &raw[l.concept_name.clone()];
        let mut others = self.other_names.iter().map(|(c, _)| *c as usize).peekable();
        for c in 0..l.concepts {
            let e = unpack(names, l.entry_bits, c) as usize;
            let other = others.next_if_eq(&c).is_some();
            if e > l.entries || (e == l.entries) != other {
                return Err("concept name out of range".into());
            }
        }
        let lists = [
            (&raw[l.prefix_lists.clone()], self.prefix_lists.len() * PRECOMPUTED_K),
            (&raw[l.initials_lists.clone()], l.initials_total),
        ];
        for (data, count) in lists {
            if (0..count).any(|i| unpack(data, l.entry_bits, i) as usize >= l.entries) {
                return Err("list entry out of range".into());
            }
        }
        let mut stream = self.initials.stream();
        let mut at = 0u64;
        while let Some((_, v)) = stream.next() {
            if v >> 7 != at || v & 0x7f == 0 || v & 0x7f > PRECOMPUTED_K as u64 {
                return Err("bad initials list".into());
            }
            at += v & 0x7f;
        }
        if at as usize != l.initials_total {
            return Err("bad initials lists".into());
        }
        Ok(())
    }

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

    /// The precomputed best entries of a heavy prefix, best first.
    fn heavy_list(&self, folded: &str) -> Option<impl Iterator<Item = u32> + '_> {
        let i = self.prefix_lists.get(folded)? as usize;
        let lists = &self.data.as_ref()[self.layout.prefix_lists.clone()];
        Some((0..PRECOMPUTED_K).map(move |j| unpack(lists, self.layout.entry_bits, i * PRECOMPUTED_K + j)))
    }

    /// The best `k` entries whose key starts with `folded`, by `weight + boost(entry)`, best
    /// first, with their scores.
    fn top_with_prefix(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<(f32, u32)> {
        let mut top = TopK::new(k);
        // Heavy prefixes have a list; a prefix without one has fewer than HEAVY_PREFIX_KEYS
        // keys and streams cheaply. A full list may hide entries a boost would lift.
        let list = (k <= PRECOMPUTED_K && folded.chars().count() <= TRACKED_PREFIX_CHARS)
            .then(|| self.heavy_list(folded))
            .flatten();
        match list {
            Some(list) => {
                for e in list {
                    top.push(self.weight(e) + boost(e), e);
                }
            }
            None => {
                let mut stream = self.keys.search(Str::new(folded).starts_with()).into_stream();
                while let Some((_, first)) = stream.next() {
                    for e in self.group(first as u32) {
                        top.push(self.weight(e) + boost(e), e);
                    }
                }
            }
        }
        top.into_sorted_scored()
    }

    /// The best `k` prefix matches (exact ones included) by `weight + boost(entry)`, best first.
    pub fn prefix(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let exact = self.exact(folded);
        let mut hits: Vec<Hit> =
            exact.clone().map(|e| Hit { entry: e, kind: MatchKind::Exact, score: self.weight(e) + boost(e) }).collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        for (score, e) in self.top_with_prefix(folded, k, boost) {
            if !exact.contains(&e) && hits.len() < k {
                hits.push(Hit { entry: e, kind: MatchKind::Prefix, score });
            }
        }
        hits.truncate(k);
        hits
    }

    /// Typo-tolerant matches of `folded` against whole terms and term prefixes, best first, at
    /// most `k`; empty for queries shorter than 4 or longer than [`MAX_FUZZY_CHARS`]
    /// characters. Terms that start with `folded` are left to [`CompletionIndex::prefix`].
    pub fn fuzzy(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let chars = folded.chars().count();
        let (prefix_distance, whole_distance) = match chars {
            0..=3 => return Vec::new(),
            4 => (1, 1),
            5..=7 => (1, 2),
            _ if chars > MAX_FUZZY_CHARS => return Vec::new(),
            _ => (2, 2),
        };
        if k == 0 {
            return Vec::new();
        }
        let dfa = automaton_builder(whole_distance).build_dfa(folded);
        let mut walk = Walk {
            dfa: &dfa,
            fst: self.keys.as_fst(),
            prefix_distance,
            budget: FUZZY_NODE_BUDGET,
            path: Vec::with_capacity(folded.len() + 2),
            whole: Vec::new(),
            prefixes: Vec::new(),
        };
        walk.visit(walk.fst.root(), dfa.initial_state(), 0, u8::MAX);

        let mut best: HashMap<u32, Rank> = HashMap::new();
        let offer = |best: &mut HashMap<u32, Rank>, rank: Rank, e: u32| {
            best.entry(e).and_modify(|r| *r = (*r).min(rank)).or_insert(rank);
        };
        for (key, first, distance) in walk.whole {
            if key.starts_with(folded) {
                continue; // A prefix match, found by `prefix`.
            }
            let similarity = strsim::jaro_winkler(folded, &key) as f32;
            for e in self.group(first) {
                offer(&mut best, Rank { whole: true, distance, similarity, weight: self.weight(e) + boost(e) }, e);
            }
        }
        // Every entry under one matched prefix ranks by the prefix's distance and similarity,
        // then by weight: the prefixes in rank order fill the list with their best entries.
        let mut prefixes: Vec<(u8, f32, String)> =
            walk.prefixes.into_iter().map(|(p, d)| (d, strsim::jaro_winkler(folded, &p) as f32, p)).collect();
        prefixes.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then_with(|| a.2.cmp(&b.2)));
        let whole_hits = best.len();
        let mut from_prefixes = 0;
        let prefix_matches = self.entries_with_prefix(folded);
        for (distance, similarity, prefix) in prefixes {
            if whole_hits + from_prefixes >= k {
                break;
            }
            for (weight, e) in self.top_with_prefix(&prefix, k, boost) {
                if prefix_matches.contains(&e) {
                    continue; // A prefix match, found by `prefix`.
                }
                let rank = Rank { whole: false, distance, similarity, weight };
                if !best.contains_key(&e) {
                    from_prefixes += 1;
                }
                offer(&mut best, rank, e);
            }
        }
        let mut scored: Vec<(Rank, u32)> = best.into_iter().map(|(e, r)| (r, e)).collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(r, e)| Hit {
                entry: e,
                kind: MatchKind::Fuzzy { whole: r.whole, distance: r.distance },
                score: r.weight,
            })
            .collect()
    }

    /// The entries whose key starts with `folded`: entries are numbered in key order, so they
    /// are the range from the first key at or after `folded` to the first key after every key
    /// that starts with it.
    fn entries_with_prefix(&self, folded: &str) -> Range<u32> {
        let first_at_or_after = |key: &[u8]| {
            let mut stream = self.keys.range().ge(key).into_stream();
            stream.next().map_or(self.layout.entries as u32, |(_, first)| first as u32)
        };
        // Keys are UTF-8, so no byte is 0xFF and the last byte can always be raised.
        let mut after = folded.as_bytes().to_vec();
        match after.last_mut() {
            Some(last) => *last += 1,
            None => return 0..self.layout.entries as u32,
        }
        first_at_or_after(folded.as_bytes())..first_at_or_after(&after)
    }

    /// Multi-word terms whose initials are `folded` (`ap` → "async pipeline"), by weight.
    pub fn initials(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let Some(v) = self.initials.get(folded) else { return Vec::new() };
        let lists = &self.data.as_ref()[self.layout.initials_lists.clone()];
        let (offset, len) = ((v >> 7) as usize, (v & 0x7f) as usize);
        let mut hits: Vec<Hit> = (offset..offset + len)
            .map(|i| unpack(lists, self.layout.entry_bits, i))
            .map(|e| Hit { entry: e, kind: MatchKind::Initials, score: self.weight(e) + boost(e) })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k);
        hits
    }

    /// Terms that start with the query's first character and contain the rest in order,
    /// ranked by how compact the match is, then by weight. Visits a bounded number of fst
    /// nodes and keys.
    pub fn subsequence(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        if folded.chars().count() < 4 {
            return Vec::new(); // Shorter subsequences match nearly everything.
        }
        let Some(first) = folded.chars().next() else { return Vec::new() };
        let head = &folded[..first.len_utf8()];
        let budget = Cell::new(SUBSEQUENCE_NODE_BUDGET);
        let automaton =
            Budgeted { inner: Str::new(head).starts_with().intersection(Subsequence::new(folded)), budget: &budget };
        let mut stream = self.keys.search(automaton).into_stream();
        let mut scored: Vec<((usize, f32), u32)> = Vec::new();
        let mut visited = 0;
        while let Some((key, first)) = stream.next() {
            visited += 1;
            if visited > VISIT_CAP {
                break;
            }
            let key = std::str::from_utf8(key).expect("fst keys are UTF-8");
            let span = subsequence_span(key, folded);
            for e in self.group(first as u32) {
                scored.push(((span, self.weight(e) + boost(e)), e));
            }
        }
        scored.sort_by(|a, b| a.0.0.cmp(&b.0.0).then(b.0.1.total_cmp(&a.0.1)));
        scored.truncate(k);
        scored.into_iter().map(|((_, w), e)| Hit { entry: e, kind: MatchKind::Subsequence, score: w }).collect()
    }
}

/// A depth-first walk of the key fst under a Levenshtein DFA of the whole query, collecting
/// whole keys within its distance and the shortest prefixes within `prefix_distance`.
struct Walk<'a> {
    dfa: &'a DFA,
    fst: &'a fst::raw::Fst<Bytes>,
    prefix_distance: u8,
    budget: usize,
    path: Vec<u8>,
    /// `(key, first entry, distance)`.
    whole: Vec<(String, u32, u8)>,
    /// `(prefix, distance)`: only prefixes closer than every matched prefix above them.
    prefixes: Vec<(String, u8)>,
}

impl Walk<'_> {
    fn visit(&mut self, node: Node<'_>, state: u32, out: u64, above: u8) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let mut above = above;
        if let Distance::Exact(d) = self.dfa.distance(state)
            && let Ok(text) = std::str::from_utf8(&self.path)
        {
            if node.is_final() {
                let first = out + node.final_output().value();
                self.whole.push((text.to_string(), first as u32, d));
            }
            if d <= self.prefix_distance && d < above && !node.is_empty() {
                self.prefixes.push((text.to_string(), d));
                above = d;
            }
        }
        for t in node.transitions() {
            let next = self.dfa.transition(state, t.inp);
            if next == SINK_STATE {
                continue;
            }
            self.path.push(t.inp);
            self.visit(self.fst.node(t.addr), next, out + t.out.value(), above);
            self.path.pop();
        }
    }
}

/// Keeps the best entries of a finished prefix when it is heavy.
fn close_prefix(
    lists: &mut Vec<(String, Vec<u32>)>,
    (prefix, start, keys): (String, u32, u32),
    end: u32,
    weight: &dyn Fn(u32) -> u16,
) {
    if (keys as usize) < HEAVY_PREFIX_KEYS {
        return;
    }
    let mut top = TopK::new(PRECOMPUTED_K);
    for e in start..end {
        top.push(f32::from(weight(e)), e);
    }
    lists.push((prefix, top.into_sorted_scored().into_iter().map(|(_, e)| e).collect()));
}

/// Every entry's text, in blocks of [`TEXT_BLOCK`] entries: `starts (u32 × (blocks + 1)) |
/// blocks`, where block `b` is `blocks[starts[b]..starts[b + 1]]`. Inside a block each text is
/// front-coded against the one before it (the block's first against nothing). A block of `n`
/// texts is `shared (u8 × n) | lengths (u8 × n) | rests`: per text, the bytes it shares with
/// the previous text (on a character boundary), the length of the rest that follows them (255:
/// the length is a `u32` just before the rest), and the rests back to back. Fixed-width heads
/// locate any text of a block with a few additions. Texts arrive sorted by key, so neighbours
/// share long prefixes.
fn encode_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut starts = Vec::new();
    let mut blocks = Vec::new();
    let (mut lengths, mut rests) = (Vec::with_capacity(TEXT_BLOCK), Vec::new());
    let mut prev = "";
    for (i, t) in texts.enumerate() {
        if i % TEXT_BLOCK == 0 {
            // The previous block's shared bytes are in; its lengths and rests follow them.
            blocks.append(&mut lengths);
            blocks.append(&mut rests);
            starts.extend_from_slice(&u32::try_from(blocks.len()).expect("texts under 4 GiB").to_le_bytes());
            prev = "";
        }
        let mut shared = prev.bytes().zip(t.bytes()).take(255).take_while(|(a, b)| a == b).count();
        while !t.is_char_boundary(shared) {
            shared -= 1;
        }
        blocks.push(shared as u8);
        let rest = &t.as_bytes()[shared..];
        lengths.push(rest.len().min(255) as u8);
        if rest.len() >= 255 {
            rests.extend_from_slice(&u32::try_from(rest.len()).expect("texts under 4 GiB").to_le_bytes());
        }
        rests.extend_from_slice(rest);
        prev = t;
    }
    blocks.append(&mut lengths);
    blocks.append(&mut rests);
    starts.extend_from_slice(&u32::try_from(blocks.len()).expect("texts under 4 GiB").to_le_bytes());
    starts.append(&mut blocks);
    starts
}

/// The texts of a block up to some text: where each one's rest lies in the block. The bytes
/// each shares with the previous text are the block's first bytes.
struct TextHeads {
    starts: [u32; TEXT_BLOCK],
    ends: [u32; TEXT_BLOCK],
    /// How many texts were found: those asked for, or fewer when the block is corrupt.
    found: usize,
}

impl TextHeads {
    /// Reads the heads of the first `count` texts of a block of `n` texts.
    fn read(block: &[u8], n: usize, count: usize) -> TextHeads {
        let mut heads = TextHeads { starts: [0; TEXT_BLOCK], ends: [0; TEXT_BLOCK], found: 0 };
        let Some(lengths) = block.get(n..2 * n) else { return heads };
        let mut at = 2 * n;
        for (k, &len) in lengths.iter().enumerate().take(count.min(TEXT_BLOCK)) {
            let mut len = usize::from(len);
            if len == 255 {
                let Some(long) = block.get(at..at + 4) else { break };
                len = u32::from_le_bytes(long.try_into().expect("4 bytes")) as usize;
                at += 4;
            }
            let Some(end) = at.checked_add(len).filter(|&end| end <= block.len()) else { break };
            (heads.starts[k], heads.ends[k]) = (at as u32, end as u32);
            at = end;
            heads.found = k + 1;
        }
        heads
    }

    fn rest(&self, k: usize) -> Range<usize> {
        self.starts[k] as usize..self.ends[k] as usize
    }
}

/// Checks the texts of `entries` entries as [`CompletionIndex::text`] reads them: the block
/// table ascends inside the section, and each block holds exactly its texts, each sharing no
/// more than the previous text's length. This reads only the heads of the texts; a text whose
/// bytes are corrupt still decodes, to other text (see [`Text`]).
fn check_texts(starts: &[u8], blocks: &[u8], entries: usize) -> Result<(), String> {
    let bad = || "bad texts".to_string();
    let count = entries.div_ceil(TEXT_BLOCK);
    if u32_at(starts, 0) != 0 || u32_at(starts, count) as usize != blocks.len() {
        return Err(bad());
    }
    for b in 0..count {
        let (start, end) = (u32_at(starts, b) as usize, u32_at(starts, b + 1) as usize);
        let block = blocks.get(start..end).ok_or_else(bad)?;
        let n = TEXT_BLOCK.min(entries - b * TEXT_BLOCK);
        let heads = TextHeads::read(block, n, n);
        if heads.found != n || heads.ends[n - 1] as usize != block.len() {
            return Err(bad());
        }
        let mut prev_len = 0;
        for (k, &shared) in block[..n].iter().enumerate() {
            if usize::from(shared) > prev_len {
                return Err(bad());
            }
            prev_len = usize::from(shared) + heads.rest(k).len();
        }
    }
    Ok(())
}

/// One text of a block of [`encode_texts`], located. Total: a block that [`check_texts`] would
/// refuse, or bytes that are not UTF-8, give some other text, never a panic.
struct Text<'a> {
    block: &'a [u8],
    heads: TextHeads,
    /// The text's place in the block; `None` when the block is too corrupt to hold it.
    i: Option<usize>,
}

/// Texts up to this many bytes are decoded on the stack by [`CompletionIndex::with_text`].
const INLINE_TEXT: usize = 64;

impl<'a> Text<'a> {
    /// The `i`th text of a block of `n` texts.
    fn locate(block: &'a [u8], n: usize, i: usize) -> Text<'a> {
        let heads = TextHeads::read(block, n, i + 1);
        let i = heads.found.checked_sub(1);
        Text { block, heads, i }
    }

    /// The bytes shared with the previous text, and where the rest lies.
    fn head(&self) -> (usize, Range<usize>) {
        self.i.map_or((0, 0..0), |i| (usize::from(self.block[i]), self.heads.rest(i)))
    }

    /// Writes the text into `out`, which is as long as the text. The rest follows the shared
    /// bytes, which the texts before it spell: walking back, each earlier text supplies what
    /// lies between its own shared bytes and what is still missing.
    fn write(&self, shared: usize, rest: Range<usize>, out: &mut [u8]) {
        out[shared..].copy_from_slice(&self.block[rest]);
        let mut missing = shared;
        for k in (0..self.i.unwrap_or(0)).rev() {
            if missing == 0 {
                break;
            }
            let shared = usize::from(self.block[k]);
            if shared < missing {
                let rest = self.heads.rest(k);
                let n = (missing - shared).min(rest.len());
                out[shared..shared + n].copy_from_slice(&self.block[rest.start..rest.start + n]);
                missing = shared;
            }
        }
    }

    fn to_cow(&self) -> Cow<'a, str> {
        let (shared, rest) = self.head();
        if shared == 0 {
            return String::from_utf8_lossy(&self.block[rest]);
        }
        let mut text = vec![0; shared + rest.len()];
        self.write(shared, rest, &mut text);
        match String::from_utf8(text) {
            Ok(text) => Cow::Owned(text),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let (shared, rest) = self.head();
        let len = shared + rest.len();
        let mut buf = [0; INLINE_TEXT];
        let bytes = if shared == 0 {
            &self.block[rest]
        } else if len <= INLINE_TEXT {
            self.write(shared, rest, &mut buf[..len]);
            &buf[..len]
        } else {
            return f(&self.to_cow());
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => f(text),
            Err(_) => f(&String::from_utf8_lossy(bytes)),
        }
    }
}

/// `len (u32) | ids (u32 × len) | ends (u32 × len) | text`, ids ascending.
fn encode_strings(items: &[(u32, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for (id, _) in items {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let mut end = 0u32;
    for (_, s) in items {
        end += s.len() as u32;
        out.extend_from_slice(&end.to_le_bytes());
    }
    for (_, s) in items {
        out.extend_from_slice(s.as_bytes());
    }
    out
}

/// Reads [`encode_strings`], checking that ids ascend below `bound` and texts are UTF-8.
fn decode_strings(data: &[u8], bound: usize) -> Result<Vec<(u32, String)>, String> {
    let bad = || "bad string table".to_string();
    let n = u32_at(data.get(..4).ok_or_else(bad)?, 0) as usize;
    let text_at = 4 + n.checked_mul(8).ok_or_else(bad)?;
    let text = data.get(text_at..).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(n);
    let mut start = 0usize;
    for i in 0..n {
        let id = u32_at(&data[4..], i);
        let end = u32_at(&data[4 + 4 * n..], i) as usize;
        if id as usize >= bound || out.last().is_some_and(|(last, _)| *last >= id) || end < start || end > text.len() {
            return Err(bad());
        }
        out.push((id, String::from_utf8(text[start..end].to_vec()).map_err(|_| bad())?));
        start = end;
    }
    Ok(out)
}

/// The fuzzy ranking key; smaller is better.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rank {
    whole: bool,
    distance: u8,
    similarity: f32,
    weight: f32,
}

impl Eq for Rank {}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rank {
    fn cmp(&self, o: &Self) -> Ordering {
        // A whole-term typo beats a typo in a prefix; fewer edits first; then the more
        // similar spelling, then the heavier term.
        o.whole
            .cmp(&self.whole)
            .then(self.distance.cmp(&o.distance))
            .then(o.similarity.total_cmp(&self.similarity))
            .then(o.weight.total_cmp(&self.weight))
    }
}

/// An fst automaton that stops descending once it has followed `budget` transitions.
struct Budgeted<'a, A> {
    inner: A,
    budget: &'a Cell<usize>,
}

impl<A: Automaton> Automaton for Budgeted<'_, A> {
    type State = A::State;

    fn start(&self) -> A::State {
        self.inner.start()
    }

    fn is_match(&self, state: &A::State) -> bool {
        self.inner.is_match(state)
    }

    fn can_match(&self, state: &A::State) -> bool {
        self.budget.get() > 0 && self.inner.can_match(state)
    }

    fn accept(&self, state: &A::State, byte: u8) -> A::State {
        self.budget.set(self.budget.get().saturating_sub(1));
        self.inner.accept(state, byte)
    }
}

fn subsequence_span(key: &str, query: &str) -> usize {
    let mut q = query.chars().peekable();
    let mut last = 0;
    for (i, c) in key.char_indices() {
        if q.peek() == Some(&c) {
            q.next();
            last = i;
        }
    }
    last
}

/// The first `n` characters of `s`, if it has that many.
fn char_prefix(s: &str, n: usize) -> Option<&str> {
    let mut it = s.char_indices();
    let end = it.nth(n).map_or(if s.chars().count() >= n { s.len() } else { return None }, |(i, _)| i);
    Some(&s[..end])
}

/// `"async pipeline runner"` → `"apr"`; `None` for one-word keys.
fn initials_of(key: &str) -> Option<String> {
    let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    (words.len() >= 2).then(|| words.iter().filter_map(|w| w.chars().next()).collect())
}

fn automaton_builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    match distance {
        1 => ONE.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
        _ => TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
    }
}

/// A Levenshtein DFA matching keys that start within `distance` edits of `folded`
/// (transpositions cost one). Building one takes microseconds.
pub fn levenshtein_prefix_dfa(folded: &str, distance: u8) -> DFA {
    automaton_builder(distance).build_prefix_dfa(folded)
}

/// A Levenshtein DFA as an fst automaton.
pub struct DfaAutomaton<'a>(pub &'a DFA);

impl Automaton for DfaAutomaton<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
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

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// `text:weight:concept` per line.
    fn index(spec: &str) -> CompletionIndex {
        let mut names = Vec::new();
        let terms = spec
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut parts = l.rsplitn(3, ':');
                let concept: u32 = parts.next().unwrap().parse().unwrap();
                let weight: f32 = parts.next().unwrap().parse().unwrap();
                let text = parts.next().unwrap().to_string();
                while names.len() <= concept as usize {
                    names.push(String::new());
                }
                if names[concept as usize].is_empty() {
                    names[concept as usize] = text.clone();
                }
                TermInput { text, concept, weight }
            })
            .collect();
        CompletionIndex::build(terms, &names)
    }

    const TERMS: &str = "
        photosynthesis:5:0
        photosensitise:1:1
        photo:3:2
        Photon:4:3
        photograph:2:4
        tokio runtime:3:5
        tokio:6:6
        async pipeline:1:7
        straße:1:8
        café:1:9
    ";

    fn show(idx: &CompletionIndex, hits: &[Hit]) -> String {
        hits.iter().map(|h| format!("{} {:?}\n", idx.text(h.entry), h.kind)).collect()
    }

    fn check(f: impl Fn(&CompletionIndex, &str) -> Vec<Hit>, query: &str, expect: Expect) {
        let idx = index(TERMS);
        expect.assert_eq(&show(&idx, &f(&idx, &fold(query))));
    }

    fn none(_: u32) -> f32 {
        0.0
    }

    #[test]
    fn prefix_is_exact_first_then_by_weight_for_short_and_long_prefixes() {
        check(
            |i, q| i.prefix(q, 10, &none),
            "photo",
            expect![[r#"
            photo Exact
            photosynthesis Prefix
            Photon Prefix
            photograph Prefix
            photosensitise Prefix
        "#]],
        );
        check(
            |i, q| i.prefix(q, 3, &none),
            "ph",
            expect![[r#"
            photosynthesis Prefix
            Photon Prefix
            photo Prefix
        "#]],
        );
        check(|i, q| i.prefix(q, 10, &none), "x", expect![[""]]);
    }

    #[test]
    fn boosts_reorder_and_lift_entries() {
        let idx = index(TERMS);
        let boost = |e: u32| if idx.text(e) == "photosensitise" { 10.0 } else { 0.0 };
        let hits = idx.prefix("ph", 2, &boost);
        assert_eq!(show(&idx, &hits), "photosensitise Prefix\nphotosynthesis Prefix\n");
    }

    #[test]
    fn fuzzy_prefers_the_whole_term_with_fewer_edits() {
        check(
            |i, q| i.fuzzy(q, 3, &none),
            "photosinthesis",
            expect![[r#"
            photosynthesis Fuzzy { whole: true, distance: 1 }
        "#]],
        );
        check(
            |i, q| i.fuzzy(q, 5, &none),
            "tokoi",
            expect![[r#"
            tokio Fuzzy { whole: true, distance: 1 }
            tokio runtime Fuzzy { whole: false, distance: 1 }
        "#]],
        );
        check(|i, q| i.fuzzy(q, 5, &none), "tok", expect![[""]]);
    }

    #[test]
    fn entries_with_a_prefix_are_one_range_and_fuzzy_leaves_them_to_prefix() {
        let idx = index(TERMS);
        for q in ["", "p", "photo", "photos", "photosz", "tokio ", "straß", "café", "a", "zz", "\u{10ffff}"] {
            let want: Vec<u32> = (0..idx.entry_count() as u32).filter(|&e| fold(&idx.text(e)).starts_with(q)).collect();
            assert_eq!(idx.entries_with_prefix(q).collect::<Vec<_>>(), want, "{q:?}");
        }
        for q in ["photo", "photon", "tokio", "phot"] {
            let hits = idx.fuzzy(q, 10, &none);
            assert!(hits.iter().all(|h| !fold(&idx.text(h.entry)).starts_with(q)), "{q}: {}", show(&idx, &hits));
        }
    }

    #[test]
    fn fuzzy_finds_two_edit_typos_of_whole_terms_and_prefixes() {
        // Two edits in a short query match whole terms only; from 8 characters, prefixes too.
        check(
            |i, q| i.fuzzy(q, 5, &none),
            "potoh",
            expect![[r#"
            photo Fuzzy { whole: true, distance: 2 }
            Photon Fuzzy { whole: true, distance: 2 }
        "#]],
        );
        check(
            |i, q| i.fuzzy(q, 5, &none),
            "phtosynthsis",
            expect![[r#"
            photosynthesis Fuzzy { whole: true, distance: 2 }
        "#]],
        );
        check(
            |i, q| i.fuzzy(q, 5, &none),
            "fotosynth",
            expect![[r#"
            photosynthesis Fuzzy { whole: false, distance: 2 }
        "#]],
        );
    }

    /// Terms that share prefixes across and inside blocks: multi-byte characters where the
    /// shared bytes end, a prefix longer than the 255 bytes a text can share, a rest longer than
    /// a one-byte length.
    fn block_terms() -> Vec<TermInput> {
        let long = "ß".repeat(150);
        let mut texts: Vec<String> = (0..40).map(|i| format!("term {i:02}")).collect();
        texts.extend(["café", "cafés", "cafe\u{301}s", "Café au lait", "x"].map(String::from));
        texts.extend((0..20).map(|i| format!("{long}{}", "é".repeat(i))));
        texts.push("y".repeat(300));
        texts.into_iter().enumerate().map(|(i, text)| TermInput { text, concept: i as u32, weight: 1.0 }).collect()
    }

    fn build_blocks() -> (CompletionIndex, Vec<TermInput>) {
        let terms = block_terms();
        let names: Vec<String> = terms.iter().map(|t| t.text.clone()).collect();
        (CompletionIndex::build(terms.clone(), &names), terms)
    }

    #[test]
    fn every_text_decodes_from_its_block() {
        let (idx, terms) = build_blocks();
        assert!(idx.entry_count() > 4 * TEXT_BLOCK);
        let mut decoded: Vec<String> = (0..idx.entry_count() as u32).map(|e| idx.text(e).into_owned()).collect();
        for (e, text) in decoded.iter().enumerate() {
            let e = e as u32;
            assert_eq!(terms[idx.concept(e) as usize].text, *text, "entry {e}");
            assert!(idx.with_text(e, |t| t == text), "entry {e}");
            assert_eq!(idx.concept_name(idx.concept(e)), *text);
            assert!(idx.names_its_concept(e));
        }
        let mut want: Vec<String> = terms.into_iter().map(|t| t.text).collect();
        decoded.sort();
        want.sort();
        assert_eq!(decoded, want);
    }

    #[test]
    fn corrupt_texts_are_refused_or_decode_to_other_text() {
        let (idx, _) = build_blocks();
        let good = idx.bytes().to_vec();
        let texts = Sections::parse(&good).unwrap()[section::TEXTS].clone();
        let table = 4 * (idx.entry_count().div_ceil(TEXT_BLOCK) + 1);
        let mut refused = 0;
        for at in texts.clone() {
            for flip in [0x01, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[at] ^= flip;
                let Ok(opened) = CompletionIndex::from_bytes(Bytes::from(bad)) else {
                    refused += 1;
                    continue;
                };
                assert!(at >= texts.start + table, "a changed block table at {at} is refused");
                for e in 0..opened.entry_count() as u32 {
                    assert!(opened.with_text(e, |t| t == opened.text(e)));
                }
                for c in 0..opened.concept_count() as u32 {
                    opened.concept_name(c);
                }
            }
        }
        assert!(refused > 3 * table, "heads of texts are checked too: {refused} refused");
        // Decoding is total even for blocks that would not pass the check: random bytes, and
        // heads that fit but share more than the texts before them hold.
        let mut rng = crate::synth::Rng::new(7);
        for len in 0..400 {
            let n = 1 + len % TEXT_BLOCK;
            let mut block: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            if len % 2 == 1 {
                block.truncate(n);
                block.extend((0..n).map(|_| rng.below(8) as u8));
                block.extend((0..n * 8).map(|_| rng.below(256) as u8));
            }
            for i in 0..n {
                let text = Text::locate(&block, n, i);
                assert!(text.with(|t| t == text.to_cow()));
            }
        }
    }

    #[test]
    fn initials_subsequence_and_unicode_folding() {
        check(
            |i, q| i.initials(q, 5, &none),
            "ap",
            expect![[r#"
            async pipeline Initials
        "#]],
        );
        check(
            |i, q| i.subsequence(q, 5, &none),
            "tkrt",
            expect![[r#"
            tokio runtime Subsequence
        "#]],
        );
        check(
            |i, q| i.prefix(q, 5, &none),
            "STRASS",
            expect![[r#"
            straße Prefix
        "#]],
        );
        check(
            |i, q| i.prefix(q, 5, &none),
            "cafe\u{301}",
            expect![[r#"
            café Exact
        "#]],
        );
    }
}
