//! A search dictionary: the folded keys of a [`TermMap`] in an fst set of their own, searched
//! by prefix, word prefix, typo and anchored subsequence, with each key's match quality.
//!
//! The walks find candidates; their classes, thresholds and spans are
//! [`crate::index::matching`]'s, the same as completion's, so a query matches a term the same
//! way in both. The walks are cancellable: the automata are wrapped in [`Limited`] with the
//! search's [`Probe`], so that a cancelled search prunes every branch at once, even where no
//! key matches for a long stretch. Built once per generation; immutable; no I/O.

use std::collections::HashMap;

use fst::automaton::Automaton;
use fst::{IntoStreamer, Streamer};

use super::{Control, Probe, Quality, Stop};
use crate::index::matching::{
    Classifier, DfaAutomaton, Interrupt, Limited, Prefix, anchored_subsequence, levenshtein_dfa,
    levenshtein_prefix_dfa, typo_limits,
};
use crate::index::{Bytes, TermMap};

/// The most keys one pass of one dictionary contributes before ranking.
pub const SCAN_CAP: usize = 20_000;

/// The folded keys of one dictionary.
pub struct Dictionary {
    /// The dictionary's own fst, shared, not copied.
    keys: fst::Set<Bytes>,
    /// [`TermMap::word_suffixes`] of the keys: word-prefix search is a prefix search here.
    suffixes: fst::Set<Bytes>,
    /// The [`letters`] of every key, by its number (its rank in the set): the subsequence pass
    /// reads the keys that hold every letter of the query, not every key.
    letters: Vec<u32>,
}

/// A set of a key's bytes, folded to 32 bits (`a` to `z` apart): a key holds the query's
/// letters in order only if its set holds the query's.
fn letters(key: &[u8]) -> u32 {
    key.iter().fold(0, |set, &b| set | 1 << (b & 31))
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary").field("keys", &self.keys.len()).finish()
    }
}

impl Dictionary {
    /// Shares the keys of `map` and indexes the later words of its multi-word keys.
    pub fn build<T>(map: &TermMap<T>) -> Dictionary {
        Dictionary::new(map, map.word_suffixes())
    }

    /// The dictionary of `map`'s keys with their [`TermMap::word_suffixes`], built already (and
    /// kept by their index, or saved with it). A map numbers its keys in order, which the
    /// subsequence pass reads them back by.
    pub fn new<T>(map: &TermMap<T>, suffixes: fst::Set<Bytes>) -> Dictionary {
        let keys = map.key_set();
        let mut letters_of = Vec::with_capacity(keys.len());
        let mut stream = keys.stream();
        while let Some(key) = stream.next() {
            letters_of.push(letters(key));
        }
        drop(stream);
        Dictionary { keys, suffixes, letters: letters_of }
    }

    /// The numbers of the keys that start with `byte`: a range, the keys being sorted.
    fn starting_with(&self, byte: u8) -> std::ops::Range<usize> {
        let fst = self.keys.as_fst();
        let first = |from: &[u8]| {
            let mut stream = fst.range().ge(from).into_stream();
            stream.next().map_or(self.letters.len(), |(_, number)| number.value() as usize)
        };
        let start = first(&[byte]);
        let end = if byte == u8::MAX { self.letters.len() } else { first(&[byte + 1]) };
        start.min(end)..end.min(self.letters.len())
    }

    /// The subsequence pass: the keys starting with the query's first byte whose [`letters`]
    /// hold the query's, read back by number, in key order, at most [`SCAN_CAP`] of them that
    /// hold the query in order ([`anchored_subsequence`]). An automaton walk of the same keys
    /// could not prune, and would decode every key with that first byte.
    fn subsequences(
        &self,
        query: &[u8],
        ctl: &mut Control<'_>,
        classify: impl Fn(&[u8]) -> Option<Quality>,
        add: &mut impl FnMut(&[u8], Quality),
    ) -> Result<(), Stop> {
        let Some(&first) = query.first() else { return Ok(()) };
        let wanted = letters(query);
        let fst = self.keys.as_fst();
        let mut key = Vec::new();
        let mut n = 0;
        let range = self.starting_with(first);
        for (number, &set) in self.letters[range.clone()].iter().enumerate() {
            ctl.step()?;
            if set & wanted != wanted {
                continue;
            }
            key.clear();
            if !fst.get_key_into((range.start + number) as u64, &mut key) || !anchored_subsequence(&key, query) {
                continue;
            }
            if let Some(q) = classify(&key) {
                add(&key, q);
            }
            n += 1;
            if n >= SCAN_CAP {
                break;
            }
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys matching `folded` with their best quality (see [`Quality`]): prefix, word prefix,
    /// typo (within [`typo_limits`]), initials, subsequence. A caller that keeps only the best
    /// `enough` gets them all: a looser pass runs only while fewer than `enough` keys were found
    /// of a better class than it can give (the subsequence walk cannot prune, and walks every
    /// key with the query's first letter).
    pub fn candidates(
        &self,
        folded: &str,
        enough: usize,
        ctl: &mut Control<'_>,
    ) -> Result<HashMap<String, Quality>, Stop> {
        let mut found: HashMap<String, Quality> = HashMap::new();
        if folded.is_empty() {
            return Ok(found);
        }
        fn add(found: &mut HashMap<String, Quality>, key: &[u8], q: Quality) {
            let key = String::from_utf8_lossy(key).into_owned();
            let e = found.entry(key).or_insert(q);
            *e = (*e).min(q);
        }
        // Prefix (exact included).
        let exact = |key: &[u8], _: &_| Some(if key == folded.as_bytes() { Quality::Exact } else { Quality::Prefix });
        self.walk(Prefix(folded.as_bytes()), ctl, exact, &mut |k, q| add(&mut found, k, q))?;
        // Each later pass gives a word prefix at best, then a typo, then initials.
        let beaten =
            |found: &HashMap<String, Quality>, best: Quality| found.values().filter(|&&q| q < best).count() >= enough;
        if beaten(&found, Quality::WordPrefix) {
            return Ok(found);
        }
        // Word prefixes: `runtime` finds "tokio runtime", through the suffix set.
        {
            let guarded = Limited::interruptible(Prefix(folded.as_bytes()), ctl.probe());
            let mut stream = self.suffixes.search(&guarded).into_stream();
            let mut n = 0;
            let mut key = Vec::new();
            while let Some(entry) = stream.next() {
                if let Some(i) = entry.iter().position(|&b| b == 0) {
                    key.clear();
                    key.extend_from_slice(&entry[i + 1..]);
                    key.push(b' ');
                    key.extend_from_slice(&entry[..i]);
                    add(&mut found, &key, Quality::WordPrefix);
                }
                n += 1;
                ctl.step()?;
                if n >= SCAN_CAP {
                    break;
                }
            }
            guarded.stopped()?;
        }
        let classifier = Classifier::new(folded);
        let classify = |key: &[u8]| std::str::from_utf8(key).ok().and_then(|k| classifier.classify(k));
        // Typos: keys with a prefix within the prefix limit, and whole keys within the whole one.
        if let Some(limits) = typo_limits(folded.chars().count())
            && !beaten(&found, Quality::Typo(0))
        {
            let dfa = levenshtein_prefix_dfa(folded, limits.prefix);
            self.walk(DfaAutomaton(&dfa), ctl, |key, _| classify(key), &mut |k, q| add(&mut found, k, q))?;
            if limits.whole > limits.prefix {
                let dfa = levenshtein_dfa(folded, limits.whole);
                self.walk(DfaAutomaton(&dfa), ctl, |key, _| classify(key), &mut |k, q| add(&mut found, k, q))?;
            }
        }
        // Initials and subsequences are anchored at the first character (`tkrt` finds "tokio
        // runtime", `tr` too): the walk stays inside the keys that start with it.
        if folded.chars().nth(1).is_some() && !beaten(&found, Quality::Initials) {
            self.subsequences(folded.as_bytes(), ctl, classify, &mut |k, q| add(&mut found, k, q))?;
        }
        Ok(found)
    }

    /// Streams the keys `aut` accepts, at most [`SCAN_CAP`], through `classify` into `add`.
    fn walk<A: Automaton>(
        &self,
        aut: A,
        ctl: &mut Control<'_>,
        classify: impl Fn(&[u8], &A::State) -> Option<Quality>,
        add: &mut impl FnMut(&[u8], Quality),
    ) -> Result<(), Stop>
    where
        A::State: Clone,
    {
        let guarded = Limited::interruptible(aut, ctl.probe());
        let mut stream = self.keys.search_with_state(&guarded).into_stream();
        let mut n = 0;
        while let Some((key, state)) = stream.next() {
            if let Some(q) = classify(key, &state) {
                add(key, q);
            }
            n += 1;
            ctl.step()?;
            if n >= SCAN_CAP {
                break;
            }
        }
        guarded.stopped()
    }
}

impl Interrupt for Probe<'_> {
    type Stop = Stop;

    fn check(&self) -> Result<(), Stop> {
        Probe::check(self)
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::index::matching::Classifier;
    use crate::index::{CompletionIndex, TermInput};
    use crate::search::Cancel;
    use crate::text::fold;

    /// Completion's class for `term`: the best of its four lookups, on an index of that term.
    fn completion_class(query: &str, term: &str) -> Option<Quality> {
        let idx =
            CompletionIndex::build(vec![TermInput { text: term.into(), concept: 0, weight: 1.0 }], &[term.into()]);
        let none = |_: u32| 0.0;
        [
            idx.prefix(query, 5, &none),
            idx.fuzzy(query, 5, &none),
            idx.initials(query, 5, &none),
            idx.subsequence(query, 5, &none),
        ]
        .into_iter()
        .flatten()
        .map(|h| h.kind)
        .min()
    }

    /// Search's class for `term`: its dictionary's candidates, on a dictionary of that term.
    fn search_class(query: &str, term: &str) -> Option<Quality> {
        let map = TermMap::build([(term, ())]);
        let dict = Dictionary::build(&map);
        let cancel = Cancel::new();
        let mut emit = |_| {};
        let mut ctl = Control::new(&cancel, None, &mut emit);
        dict.candidates(query, usize::MAX, &mut ctl).unwrap().get(&fold(term)).copied()
    }

    /// `query | term` per line: the class that completion, search and [`Classifier`] give, or
    /// `differ` with each when they do not agree.
    fn check(pairs: &str, expect: Expect) {
        let mut out = String::new();
        for line in pairs.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (query, term) = line.split_once(" | ").unwrap();
            let query = fold(query);
            let (c, s) = (completion_class(&query, term), search_class(&query, term));
            let reference = Classifier::new(&query).classify(&fold(term));
            // Completion has no word-prefix lookup: a term that only a later word matches is
            // search's alone, with the class both would give.
            let search_only = c.is_none() && s == Some(Quality::WordPrefix);
            out += &if s == reference && (c == s || search_only) {
                format!("{query} | {term}: {s:?}{}\n", if search_only { " (search only)" } else { "" })
            } else {
                format!("{query} | {term}: differ: completion {c:?}, search {s:?}, matching {reference:?}\n")
            };
        }
        expect.assert_eq(&out);
        assert!(!out.contains("differ"), "completion and search classify differently:\n{out}");
    }

    #[test]
    fn completion_and_search_classify_alike() {
        check(
            "
            tokio | tokio
            Tok | Tokio runtime
            runtime | tokio runtime
            runtime | a runtime
            tokoi | tokio
            tokoi runtime | tokio runtime
            kernek | Kernel threads
            potoh | photo
            phtosynthsis | photosynthesis
            fotosynth | photosynthesis
            rntime | runtime
            ap | async pipeline
            tr | tokio runtime
            tk | tokio
            tkr | tokio runtime
            tkrt | tokio runtime
            tkrt | Tokio runtime tuning
            STRASS | straße
            café | cafe\u{301}
            zzzz | tokio
            ",
            expect![[r#"
                tokio | tokio: Some(Exact)
                tok | Tokio runtime: Some(Prefix)
                runtime | tokio runtime: Some(WordPrefix) (search only)
                runtime | a runtime: Some(WordPrefix)
                tokoi | tokio: Some(Typo(1))
                tokoi runtime | tokio runtime: Some(Typo(1))
                kernek | Kernel threads: Some(Typo(1))
                potoh | photo: Some(Typo(2))
                phtosynthsis | photosynthesis: Some(Typo(2))
                fotosynth | photosynthesis: Some(Typo(2))
                rntime | runtime: Some(Typo(1))
                ap | async pipeline: Some(Initials)
                tr | tokio runtime: Some(Initials)
                tk | tokio: None
                tkr | tokio runtime: Some(Subsequence(6))
                tkrt | tokio runtime: Some(Subsequence(9))
                tkrt | Tokio runtime tuning: Some(Subsequence(9))
                strass | straße: Some(Prefix)
                café | café: Some(Exact)
                zzzz | tokio: None
            "#]],
        );
    }

    /// `query` per line, over a dictionary of `terms`: the best of its candidates for a
    /// limit of 8, and whether skipping the passes that could not make that cut changed them.
    fn check_cut(terms: &[String], queries: &str, expect: Expect) {
        let map = TermMap::build(terms.iter().map(|t| (t.as_str(), ())));
        let dict = Dictionary::build(&map);
        let cancel = Cancel::new();
        let mut emit = |_| {};
        let mut ctl = Control::new(&cancel, None, &mut emit);
        let limit = 8;
        let mut out = String::new();
        for query in queries.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let cut = super::super::services::keep(limit);
            let all = super::super::services::best(dict.candidates(query, usize::MAX, &mut ctl).unwrap(), limit);
            let skipped = super::super::services::best(dict.candidates(query, cut, &mut ctl).unwrap(), limit);
            let head: Vec<String> = all.iter().take(3).map(|(k, q)| format!("{k} {q:?}")).collect();
            let same = if all == skipped { "same" } else { "DIFFERENT" };
            out += &format!("{query}: {same} of {}: {}\n", all.len(), head.join(", "));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn skipping_passes_keeps_the_best_candidates() {
        // Many keys with each first letter, so that every pass finds more than the cut.
        let words = ["stream", "state", "store", "search", "sort", "tokio", "task", "timer", "trait", "type"];
        let terms: Vec<String> = (0..2000).map(|i| format!("{} {} {i}", words[i % 10], words[(i / 10) % 10])).collect();
        check_cut(
            &terms,
            "
            st
            stream
            stat
            stram
            strm
            ts
            tt
            tkts
            stsr
            tsrt
            sotre
            zz
            ",
            expect![[r#"
                st: same of 16: state sort 41 Prefix, state task 61 Prefix, state type 91 Prefix
                stream: same of 16: stream sort 40 Prefix, stream task 60 Prefix, stream type 90 Prefix
                stat: same of 16: state sort 41 Prefix, state task 61 Prefix, state type 91 Prefix
                stram: same of 16: stream sort 40 Typo(1), stream task 60 Typo(1), stream type 90 Typo(1)
                strm: same of 16: stream sort 40 Typo(1), stream task 60 Typo(1), stream type 90 Typo(1)
                ts: same of 0: 
                tt: same of 0: 
                tkts: same of 16: task task 66 Subsequence(7), task task 166 Subsequence(7), task task 266 Subsequence(7)
                stsr: same of 16: store sort 42 Typo(1), store task 62 Typo(1), store type 92 Typo(1)
                tsrt: same of 16: task sort 46 Subsequence(8), type sort 49 Subsequence(8), task sort 146 Subsequence(8)
                sotre: same of 16: store sort 42 Typo(1), store task 62 Typo(1), store type 92 Typo(1)
                zz: same of 0: 
            "#]],
        );
    }
}
