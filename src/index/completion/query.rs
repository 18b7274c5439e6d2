//! The completion index's lookups: exact and prefix (top-k by weight, from the precomputed
//! lists of heavy prefixes or a bounded stream), typo-tolerant (a budgeted depth-first walk of
//! the key fst under a Levenshtein DFA), initials (one lookup in their fst) and anchored
//! subsequences (a budgeted fst search).
//!
//! Every hit's [`Quality`] is the one [`crate::index::matching`] defines for its key: the
//! lookups find candidates their own way, but must not classify a key differently from
//! [`Classifier`]. Nothing here allocates per entry of the index or reads the payload's layout
//! beyond the accessors in [`super`].

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

use fst::automaton::{Automaton, Str, Subsequence};
use fst::raw::Node;
use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{DFA, Distance, SINK_STATE};

use super::{
    CompletionIndex, FUZZY_NODE_BUDGET, Hit, PRECOMPUTED_K, SUBSEQUENCE_NODE_BUDGET, TRACKED_PREFIX_CHARS, TopK,
    VISIT_CAP,
};
use crate::index::bytes::{Bytes, unpack};
use crate::index::matching::{
    Classifier, Limited, MIN_SUBSEQUENCE_CHARS, Quality, Typo, levenshtein_dfa, starts_later_word, typo_limits,
};
use crate::text::fold;

impl CompletionIndex {
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
        let mut hits: Vec<Hit> = exact
            .clone()
            .map(|e| Hit { entry: e, kind: Quality::Exact, score: self.weight(e) + boost(e), whole: None })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        for (score, e) in self.top_with_prefix(folded, k, boost) {
            if !exact.contains(&e) && hits.len() < k {
                hits.push(Hit { entry: e, kind: Quality::Prefix, score, whole: None });
            }
        }
        hits.truncate(k);
        hits
    }

    /// Typo-tolerant matches of `folded` against whole terms and term prefixes, best first, at
    /// most `k`; empty for queries outside [`typo_limits`]. Terms that start with `folded` are
    /// left to [`CompletionIndex::prefix`]. Hits are [`Quality::Typo`], or
    /// [`Quality::WordPrefix`] for a term that a later word of also starts with `folded`.
    pub fn fuzzy(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let Some(limits) = typo_limits(folded.chars().count()) else { return Vec::new() };
        if k == 0 {
            return Vec::new();
        }
        let dfa = levenshtein_dfa(folded, limits.whole);
        let mut walk = Walk {
            dfa: &dfa,
            fst: self.keys.as_fst(),
            prefix_distance: limits.prefix,
            budget: FUZZY_NODE_BUDGET,
            path: Vec::with_capacity(folded.len() + 2),
            whole: Vec::new(),
            prefixes: Vec::new(),
        };
        walk.visit(walk.fst.root(), dfa.initial_state(), 0, u8::MAX, u8::MAX);

        // Per entry: its best rank, the fewest edits seen to a prefix of its key (the class's
        // number), and its key when the walk reached it whole.
        let mut best: HashMap<u32, (Rank, u8, Option<usize>)> = HashMap::new();
        let offer = |best: &mut HashMap<u32, (Rank, u8, Option<usize>)>, rank: Rank, closest: u8, key, e: u32| {
            best.entry(e)
                .and_modify(|(r, c, k)| {
                    *r = (*r).min(rank);
                    *c = (*c).min(closest);
                    *k = k.or(key);
                })
                .or_insert((rank, closest, key));
        };
        for (i, (key, first, distance, closest)) in walk.whole.iter().enumerate() {
            if key.starts_with(folded) {
                continue; // A prefix match, found by `prefix`.
            }
            let similarity = strsim::jaro_winkler(folded, key) as f32;
            for e in self.group(*first) {
                let rank = Rank { whole: true, distance: *distance, similarity, weight: self.weight(e) + boost(e) };
                offer(&mut best, rank, *closest, Some(i), e);
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
                offer(&mut best, rank, distance, None, e);
            }
        }
        let mut scored: Vec<(Rank, u8, Option<usize>, u32)> =
            best.into_iter().map(|(e, (r, closest, key))| (r, closest, key, e)).collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(r, closest, key, e)| {
                // A later word that starts with the query is the better class.
                let later_word = match key {
                    Some(i) => starts_later_word(&walk.whole[i].0, folded),
                    None => self.with_text(e, |t| t.contains(' ') && starts_later_word(&fold(t), folded)),
                };
                let kind = if later_word { Quality::WordPrefix } else { Quality::Typo(closest) };
                let whole = r.whole.then_some(r.distance);
                debug_assert!(later_word || Typo::within(closest, whole, limits).is_some());
                Hit { entry: e, kind, score: r.weight, whole }
            })
            .collect()
    }

    /// The entries whose key starts with `folded`: entries are numbered in key order, so they
    /// are the range from the first key at or after `folded` to the first key after every key
    /// that starts with it.
    pub(super) fn entries_with_prefix(&self, folded: &str) -> Range<u32> {
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

    /// Multi-word terms whose initials are `folded` (`ap` → "async pipeline"), best class
    /// first (a term may match better, as a prefix say), then by weight.
    pub fn initials(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        let Some(v) = self.initials.get(folded) else { return Vec::new() };
        let lists = &self.data.as_ref()[self.layout.initials_lists.clone()];
        let (offset, len) = ((v >> 7) as usize, (v & 0x7f) as usize);
        let classifier = Classifier::new(folded);
        let mut hits: Vec<Hit> = (offset..offset + len)
            .map(|i| unpack(lists, self.layout.entry_bits, i))
            .map(|e| {
                let kind = self.with_text(e, |t| classifier.classify(&fold(t))).unwrap_or(Quality::Initials);
                Hit { entry: e, kind, score: self.weight(e) + boost(e), whole: None }
            })
            .collect();
        hits.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.score.total_cmp(&a.score)));
        hits.truncate(k);
        hits
    }

    /// Terms that start with the query's first character and contain the rest in order, by
    /// class (a few match better, as a typo say), then how compact the match is, then weight.
    /// Visits a bounded number of fst nodes and keys.
    pub fn subsequence(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        if folded.chars().count() < MIN_SUBSEQUENCE_CHARS {
            return Vec::new();
        }
        let Some(first) = folded.chars().next() else { return Vec::new() };
        let head = &folded[..first.len_utf8()];
        let automaton = Limited::budgeted(
            Str::new(head).starts_with().intersection(Subsequence::new(folded)),
            SUBSEQUENCE_NODE_BUDGET,
        );
        let classifier = Classifier::new(folded);
        let mut stream = self.keys.search(automaton).into_stream();
        let mut scored: Vec<(Quality, f32, u32)> = Vec::new();
        let mut visited = 0;
        while let Some((key, first)) = stream.next() {
            visited += 1;
            if visited > VISIT_CAP {
                break;
            }
            let Some(kind) = std::str::from_utf8(key).ok().and_then(|key| classifier.classify(key)) else { continue };
            for e in self.group(first as u32) {
                scored.push((kind, self.weight(e) + boost(e), e));
            }
        }
        scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        scored.truncate(k);
        scored.into_iter().map(|(kind, score, entry)| Hit { entry, kind, score, whole: None }).collect()
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
    /// `(key, first entry, distance, fewest edits to a prefix of it)`.
    whole: Vec<(String, u32, u8, u8)>,
    /// `(prefix, distance)`: only prefixes closer than every matched prefix above them.
    prefixes: Vec<(String, u8)>,
}

impl Walk<'_> {
    /// `above`: the distance of the closest prefix recorded on the path; `closest`: the fewest
    /// edits to any prefix on it (at character boundaries).
    fn visit(&mut self, node: Node<'_>, state: u32, out: u64, above: u8, closest: u8) {
        if self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let (mut above, mut closest) = (above, closest);
        if let Distance::Exact(d) = self.dfa.distance(state)
            && let Ok(text) = std::str::from_utf8(&self.path)
        {
            closest = closest.min(d);
            if node.is_final() {
                let first = out + node.final_output().value();
                self.whole.push((text.to_string(), first as u32, d, closest));
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
            self.visit(self.fst.node(t.addr), next, out + t.out.value(), above, closest);
            self.path.pop();
        }
    }
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
