//! The completion engine: ranked, typo-tolerant term lookup over an fst, built once and
//! shared immutably.
//!
//! [`CompletionIndex`] holds every term of the graph as a folded fst key mapped to entries
//! (term as written, concept, static weight). Queries go through four tiers, each below the
//! previous one:
//! 1. exact and prefix matches, top-k by weight without scanning every match of a short or
//!    common prefix (the best [`PRECOMPUTED_K`] entries of every prefix up to
//!    [`PRECOMPUTED_PREFIX_CHARS`] characters, and of every longer prefix with at least
//!    [`HEAVY_PREFIX_KEYS`] keys, are computed at build time; other prefixes stream their
//!    small fst range into a bounded heap);
//! 2. typo-tolerant matches found through the fst with a Levenshtein automaton over term
//!    prefixes (distance 1 from 4 characters, 2 from 8, transpositions cost one), re-ranked by
//!    whole-term distance, Jaro-Winkler similarity and weight;
//! 3. initials of multi-word terms (`ap` for "async pipeline");
//! 4. subsequences anchored at the first character (`tkrt` for "tokio runtime").
//!
//! Dynamic boosts (accepted completions) are applied by the caller through a closure. The
//! index does no I/O (saving and opening it is [`super::persist`]); it knows nothing of
//! protocol types.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::OnceLock;

use fst::automaton::{Automaton, Str, Subsequence};
use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use crate::text::fold;

/// Prefixes up to this many characters have their best entries precomputed.
pub const PRECOMPUTED_PREFIX_CHARS: usize = 3;
/// Longer prefixes (up to this many characters) are precomputed too when they are heavy.
pub const TRACKED_PREFIX_CHARS: usize = 12;
/// A prefix with at least this many keys is heavy: streaming its range would cost too much.
pub const HEAVY_PREFIX_KEYS: usize = 256;
/// How many entries are precomputed per short prefix.
pub const PRECOMPUTED_K: usize = 64;
/// Queries longer than this get no fuzzy matching (automaton size grows with the query).
pub const MAX_FUZZY_CHARS: usize = 40;
/// The most fst keys one fuzzy search visits.
const FUZZY_VISIT_CAP: usize = 1_500;
/// The most fst keys one subsequence search visits.
const VISIT_CAP: usize = 1_500;

/// How a hit matched; earlier variants rank first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    Exact,
    Prefix,
    /// Within this many edits (of the whole term, or of a prefix when `prefix` is set).
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
    pub(super) keys: fst::Map<Bytes>,
    pub(super) meta: Meta,
}

/// Everything but the key fst: plain arrays, serializable as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Meta {
    /// For key `k`, its entries are `group_start[k]..group_start[k + 1]`.
    pub group_start: Vec<u32>,
    pub entry_concept: Vec<u32>,
    pub entry_weight: Vec<f32>,
    /// String id of the term as written.
    pub entry_text: Vec<u32>,
    /// String id of each concept's canonical name.
    pub concept_name: Vec<u32>,
    pub strings: Strings,
    /// Best entries (by weight) of every folded prefix up to the precomputed length.
    pub prefix_top: HashMap<String, Vec<u32>>,
    /// Folded initials of multi-word keys → entries.
    pub initials: HashMap<String, Vec<u32>>,
}

/// Strings stored back to back.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Strings {
    pub text: String,
    pub starts: Vec<u32>,
}

impl Strings {
    fn push(&mut self, s: &str) -> u32 {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.text.push_str(s);
        self.starts.push(self.text.len() as u32);
        (self.starts.len() - 2) as u32
    }

    fn get(&self, id: u32) -> &str {
        let i = id as usize;
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
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
    /// Builds the index. `concept_names[c]` names concept `c`; every term's `concept` must be
    /// an index into it.
    pub fn build(mut terms: Vec<TermInput>, concept_names: &[String]) -> CompletionIndex {
        let mut meta = Meta::default();
        for name in concept_names {
            let id = meta.strings.push(name);
            meta.concept_name.push(id);
        }
        // Sort by folded key, then by weight (best first) inside a key.
        let mut keyed: Vec<(String, TermInput)> =
            terms.drain(..).map(|t| (fold(&t.text), t)).filter(|(k, _)| !k.is_empty()).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.weight.total_cmp(&a.1.weight)));

        let mut builder = fst::MapBuilder::memory();
        let mut texts: HashMap<String, u32> = HashMap::new();
        // Per tracked prefix length: the current prefix, its first entry and its key count.
        let mut open: [Option<(String, u32, u32)>; TRACKED_PREFIX_CHARS] = Default::default();
        let mut i = 0;
        while i < keyed.len() {
            let key = keyed[i].0.clone();
            let k = meta.group_start.len() as u64;
            builder.insert(key.as_bytes(), k).expect("keys are sorted and unique");
            meta.group_start.push(meta.entry_concept.len() as u32);
            let first_entry = meta.entry_concept.len() as u32;
            while i < keyed.len() && keyed[i].0 == key {
                let t = &keyed[i].1;
                let text_id = match texts.get(&t.text) {
                    Some(&id) => id,
                    None => {
                        let id = meta.strings.push(&t.text);
                        texts.insert(t.text.clone(), id);
                        id
                    }
                };
                meta.entry_concept.push(t.concept);
                meta.entry_weight.push(t.weight);
                meta.entry_text.push(text_id);
                i += 1;
            }
            let entries = first_entry..meta.entry_concept.len() as u32;
            // Keys arrive sorted, so each prefix's entries are one contiguous range.
            for (n, slot) in open.iter_mut().enumerate() {
                let Some(prefix) = char_prefix(&key, n + 1) else {
                    if let Some(done) = slot.take() {
                        close_prefix(&mut meta, n + 1, done, entries.start);
                    }
                    continue;
                };
                if slot.as_ref().is_none_or(|(p, _, _)| p != prefix) {
                    if let Some(done) = slot.take() {
                        close_prefix(&mut meta, n + 1, done, entries.start);
                    }
                    *slot = Some((prefix.to_string(), entries.start, 0));
                }
                slot.as_mut().expect("just set").2 += 1;
            }
            if let Some(ini) = initials(&key) {
                meta.initials.entry(ini).or_default().extend(entries);
            }
        }
        let end = meta.entry_concept.len() as u32;
        for (n, slot) in open.into_iter().enumerate() {
            if let Some(done) = slot {
                close_prefix(&mut meta, n + 1, done, end);
            }
        }
        meta.group_start.push(meta.entry_concept.len() as u32);
        for list in meta.initials.values_mut() {
            list.sort_by(|&a, &b| meta.entry_weight[b as usize].total_cmp(&meta.entry_weight[a as usize]));
            list.truncate(PRECOMPUTED_K);
        }
        let keys = fst::Map::new(Bytes::from(builder.into_inner().expect("in-memory fst"))).expect("fresh fst");
        CompletionIndex { keys, meta }
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn entry_count(&self) -> usize {
        self.meta.entry_concept.len()
    }

    pub fn fst_bytes(&self) -> usize {
        self.keys.as_fst().as_bytes().len()
    }

    /// The term as written.
    pub fn text(&self, entry: u32) -> &str {
        self.meta.strings.get(self.meta.entry_text[entry as usize])
    }

    pub fn concept(&self, entry: u32) -> u32 {
        self.meta.entry_concept[entry as usize]
    }

    pub fn weight(&self, entry: u32) -> f32 {
        self.meta.entry_weight[entry as usize]
    }

    pub fn concept_name(&self, concept: u32) -> &str {
        self.meta.strings.get(self.meta.concept_name[concept as usize])
    }

    pub fn concept_count(&self) -> usize {
        self.meta.concept_name.len()
    }

    /// Entries whose folded key is exactly `folded`.
    pub fn exact(&self, folded: &str) -> std::ops::Range<u32> {
        match self.keys.get(folded) {
            Some(k) => self.group(k as usize),
            None => 0..0,
        }
    }

    fn group(&self, k: usize) -> std::ops::Range<u32> {
        self.meta.group_start[k]..self.meta.group_start[k + 1]
    }

    /// The best `k` prefix matches (exact ones included) by `weight + boost(entry)`, best first.
    pub fn prefix(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let exact = self.exact(folded);
        let mut top = TopK::new(k);
        let chars = folded.chars().count();
        // Short prefixes are all precomputed; longer ones only when heavy, so a longer prefix
        // without a list has fewer than HEAVY_PREFIX_KEYS keys and streams cheaply.
        let pre = (chars <= TRACKED_PREFIX_CHARS).then(|| self.meta.prefix_top.get(folded)).flatten();
        match pre {
            // A full precomputed list may hide entries a boost would lift; short lists are whole.
            Some(list) if list.len() < PRECOMPUTED_K || k <= list.len() => {
                for &e in list {
                    top.push(self.weight(e) + boost(e), e);
                }
            }
            _ if chars <= PRECOMPUTED_PREFIX_CHARS && pre.is_none() => {}
            _ => {
                let mut stream = self.keys.search(Str::new(folded).starts_with()).into_stream();
                while let Some((_, key)) = stream.next() {
                    for e in self.group(key as usize) {
                        top.push(self.weight(e) + boost(e), e);
                    }
                }
            }
        }
        let mut hits: Vec<Hit> =
            exact.clone().map(|e| Hit { entry: e, kind: MatchKind::Exact, score: self.weight(e) + boost(e) }).collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        for (score, e) in top.into_sorted_scored() {
            if !exact.contains(&e) && hits.len() < k {
                hits.push(Hit { entry: e, kind: MatchKind::Prefix, score });
            }
        }
        hits.truncate(k);
        hits
    }

    /// Typo-tolerant matches of `folded` against term prefixes, best first, at most `k`;
    /// empty for queries shorter than 4 or longer than [`MAX_FUZZY_CHARS`] characters.
    pub fn fuzzy(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let chars = folded.chars().count();
        let distance = match chars {
            0..=3 => return Vec::new(),
            4..=7 => 1,
            _ if chars > MAX_FUZZY_CHARS => return Vec::new(),
            _ => 2,
        };
        let builder = automaton_builder(distance);
        let prefix_dfa = builder.build_prefix_dfa(folded);
        let whole_dfa = builder.build_dfa(folded);
        let mut stream = self.keys.search(DfaAutomaton(&prefix_dfa)).into_stream();
        let mut scored: Vec<(Rank, u32)> = Vec::new();
        let mut visited = 0;
        while let Some((key, k_idx)) = stream.next() {
            visited += 1;
            if visited > FUZZY_VISIT_CAP {
                break;
            }
            if key.starts_with(folded.as_bytes()) {
                continue; // A prefix match, found by `prefix`.
            }
            // Both distances come from the automata: no edit-distance table per key.
            let (is_whole, d) = match whole_dfa.eval(key) {
                Distance::Exact(d) => (true, d),
                Distance::AtLeast(_) => match prefix_dfa.eval(key) {
                    Distance::Exact(d) => (false, d),
                    Distance::AtLeast(d) => (false, d),
                },
            };
            let key = std::str::from_utf8(key).expect("fst keys are UTF-8");
            let jw = strsim::jaro_winkler(folded, key) as f32;
            for e in self.group(k_idx as usize) {
                let rank = Rank { whole: is_whole, distance: d, similarity: jw, weight: self.weight(e) + boost(e) };
                scored.push((rank, e));
            }
        }
        scored.sort_by_key(|s| s.0);
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

    /// Multi-word terms whose initials are `folded` (`ap` → "async pipeline"), by weight.
    pub fn initials(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self
            .meta
            .initials
            .get(folded)
            .map(|l| {
                l.iter()
                    .map(|&e| Hit { entry: e, kind: MatchKind::Initials, score: self.weight(e) + boost(e) })
                    .collect()
            })
            .unwrap_or_default();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k);
        hits
    }

    /// Terms that start with the query's first character and contain the rest in order,
    /// ranked by how compact the match is, then by weight. Visits a bounded number of keys.
    pub fn subsequence(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        if folded.chars().count() < 4 {
            return Vec::new(); // Shorter subsequences match nearly everything.
        }
        let Some(first) = folded.chars().next() else { return Vec::new() };
        let head = &folded[..first.len_utf8()];
        let automaton = Str::new(head).starts_with().intersection(Subsequence::new(folded));
        let mut stream = self.keys.search(automaton).into_stream();
        let mut scored: Vec<((usize, f32), u32)> = Vec::new();
        let mut visited = 0;
        while let Some((key, k_idx)) = stream.next() {
            visited += 1;
            if visited > VISIT_CAP {
                break;
            }
            let key = std::str::from_utf8(key).expect("fst keys are UTF-8");
            let span = subsequence_span(key, folded);
            for e in self.group(k_idx as usize) {
                scored.push(((span, self.weight(e) + boost(e)), e));
            }
        }
        scored.sort_by(|a, b| a.0.0.cmp(&b.0.0).then(b.0.1.total_cmp(&a.0.1)));
        scored.truncate(k);
        scored.into_iter().map(|((_, w), e)| Hit { entry: e, kind: MatchKind::Subsequence, score: w }).collect()
    }
}

/// Stores the best entries of a finished prefix: always for prefixes of up to
/// [`PRECOMPUTED_PREFIX_CHARS`] characters, and for longer ones when they are heavy.
fn close_prefix(meta: &mut Meta, chars: usize, (prefix, start, keys): (String, u32, u32), end: u32) {
    if chars > PRECOMPUTED_PREFIX_CHARS && (keys as usize) < HEAVY_PREFIX_KEYS {
        return;
    }
    let mut top = TopK::new(PRECOMPUTED_K);
    for e in start..end {
        top.push(meta.entry_weight[e as usize], e);
    }
    meta.prefix_top.insert(prefix, top.into_sorted());
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
fn initials(key: &str) -> Option<String> {
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
        TopK { k, heap: BinaryHeap::with_capacity(k + 1) }
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

    fn into_sorted(self) -> Vec<u32> {
        self.into_sorted_scored().into_iter().map(|(_, e)| e).collect()
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
