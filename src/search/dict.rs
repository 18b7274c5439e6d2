//! A search dictionary: the folded keys of a [`TermMap`] in an fst set of their own, searched
//! by prefix, subsequence and bounded edit distance (typos), with each key's match quality.
//!
//! The walk itself is cancellable: the automata are wrapped so that a cancelled search prunes
//! every branch at once, even where no key matches for a long stretch. Built once per
//! generation; immutable; no I/O.

use std::cell::Cell;
use std::collections::HashMap;

use fst::automaton::Automaton;
use fst::{IntoStreamer, Streamer};

use super::{Control, Probe, Quality, Stop};
use crate::index::{Bytes, TermMap};

/// The most keys one pass of one dictionary contributes before ranking.
pub const SCAN_CAP: usize = 20_000;

/// The folded keys of one dictionary.
pub struct Dictionary {
    /// The dictionary's own fst, shared, not copied.
    keys: fst::Set<Bytes>,
    /// `"<later words of a key>\0<the words before them>"` for every multi-word key: word-prefix
    /// search is a prefix search here instead of a walk over every key. The key is the two
    /// parts joined by a space, so it is not stored whole a second time.
    suffixes: fst::Set<Vec<u8>>,
}

/// With this many prefix matches, the looser passes could not make the cut.
const ENOUGH_PREFIX_MATCHES: usize = 256;

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary").field("keys", &self.keys.len()).finish()
    }
}

impl Dictionary {
    /// Shares the keys of `map` and indexes the later words of its multi-word keys.
    pub fn build<T>(map: &TermMap<T>) -> Dictionary {
        let mut suffixes: Vec<Box<[u8]>> = Vec::new();
        map.keys(|key, _| {
            for (i, _) in key.match_indices(' ') {
                let mut entry = Vec::with_capacity(key.len());
                entry.extend_from_slice(&key.as_bytes()[i + 1..]);
                entry.push(0);
                entry.extend_from_slice(&key.as_bytes()[..i]);
                suffixes.push(entry.into_boxed_slice());
            }
        });
        suffixes.sort_unstable();
        suffixes.dedup();
        let suffixes = fst::Set::from_iter(suffixes).expect("sorted and unique");
        Dictionary { keys: map.key_set(), suffixes }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys matching `folded` with their best quality: prefix, word prefix or subsequence, and
    /// for queries of four characters or more, a prefix within one typo (two from eight).
    pub fn candidates(&self, folded: &str, ctl: &mut Control<'_>) -> Result<HashMap<String, Quality>, Stop> {
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
        if found.len() >= ENOUGH_PREFIX_MATCHES {
            return Ok(found);
        }
        // Word prefixes: `runtime` finds "tokio runtime", through the suffix set.
        {
            let guarded = Guarded {
                inner: Prefix(folded.as_bytes()),
                probe: ctl.probe(),
                calls: Cell::new(0),
                stopped: Cell::new(None),
            };
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
            if let Some(stop) = guarded.stopped.get() {
                return Err(stop);
            }
        }
        // Subsequences anchored at the first character (`tkrt` finds "tokio runtime"): the walk
        // stays inside the keys that start with it.
        self.walk(
            AnchoredSubsequence(folded.as_bytes()),
            ctl,
            |key, _| Some(quality(&String::from_utf8_lossy(key), folded)),
            &mut |k, q| add(&mut found, k, q),
        )?;
        let chars = folded.chars().count();
        if (4..=crate::index::MAX_FUZZY_CHARS).contains(&chars) {
            let max = if chars >= 8 { 2 } else { 1 };
            let dfa = crate::index::levenshtein_prefix_dfa(folded, max);
            self.walk(
                crate::index::DfaAutomaton(&dfa),
                ctl,
                |_, state| match dfa.distance(*state) {
                    levenshtein_automata::Distance::Exact(d) => Some(Quality::Typo(d)),
                    levenshtein_automata::Distance::AtLeast(_) => None,
                },
                &mut |k, q| add(&mut found, k, q),
            )?;
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
        let guarded = Guarded { inner: aut, probe: ctl.probe(), calls: Cell::new(0), stopped: Cell::new(None) };
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
        match guarded.stopped.get() {
            Some(stop) => Err(stop),
            None => Ok(()),
        }
    }
}

/// An automaton that stops matching anything once the search is told to stop (checked every
/// 1,024 transitions), which prunes an fst walk at once.
struct Guarded<'p, A> {
    inner: A,
    probe: Probe<'p>,
    calls: Cell<u32>,
    stopped: Cell<Option<Stop>>,
}

impl<A: Automaton> Automaton for Guarded<'_, A> {
    type State = A::State;

    fn start(&self) -> A::State {
        self.inner.start()
    }

    fn is_match(&self, state: &A::State) -> bool {
        self.inner.is_match(state)
    }

    fn can_match(&self, state: &A::State) -> bool {
        if self.stopped.get().is_some() {
            return false;
        }
        let calls = self.calls.get().wrapping_add(1);
        self.calls.set(calls);
        if calls.is_multiple_of(1024)
            && let Err(stop) = self.probe.check()
        {
            self.stopped.set(Some(stop));
            return false;
        }
        self.inner.can_match(state)
    }

    fn will_always_match(&self, state: &A::State) -> bool {
        self.inner.will_always_match(state)
    }

    fn accept(&self, state: &A::State, byte: u8) -> A::State {
        self.inner.accept(state, byte)
    }
}

/// How well `key` matches `query` (both folded) when `query` is a subsequence of it.
pub fn quality(key: &str, query: &str) -> Quality {
    if key == query {
        Quality::Exact
    } else if key.starts_with(query) {
        Quality::Prefix
    } else if key.match_indices(' ').any(|(i, _)| key[i + 1..].starts_with(query)) {
        Quality::WordPrefix
    } else {
        // Greedy leftmost embedding: its span measures how compact the match is.
        let mut q = query.chars().peekable();
        let (mut first, mut last) = (None, 0);
        for (i, c) in key.char_indices() {
            if q.peek() == Some(&c) {
                q.next();
                first.get_or_insert(i);
                last = i;
            }
        }
        Quality::Subsequence((last - first.unwrap_or(0)) as u32)
    }
}

/// Accepts keys that start with the given bytes. (fst's own `starts_with` state is not
/// `Clone`, which streaming with states needs.)
/// Keys that start with the query's first byte and contain the rest in order.
struct AnchoredSubsequence<'q>(&'q [u8]);

impl Automaton for AnchoredSubsequence<'_> {
    /// `None` once the first byte failed; else whether a byte was read, and query bytes matched.
    type State = Option<(bool, usize)>;

    fn start(&self) -> Self::State {
        Some((false, 0))
    }

    fn is_match(&self, state: &Self::State) -> bool {
        matches!(state, Some((_, i)) if *i == self.0.len())
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        match *state {
            Some((false, _)) => (self.0.first() == Some(&byte)).then_some((true, 1)),
            Some((true, i)) if i < self.0.len() && self.0[i] == byte => Some((true, i + 1)),
            other => other,
        }
    }
}

struct Prefix<'q>(&'q [u8]);

impl Automaton for Prefix<'_> {
    /// Bytes matched so far; `None` once a byte differs.
    type State = Option<usize>;

    fn start(&self) -> Option<usize> {
        Some(0)
    }

    fn is_match(&self, state: &Option<usize>) -> bool {
        *state == Some(self.0.len())
    }

    fn can_match(&self, state: &Option<usize>) -> bool {
        state.is_some()
    }

    fn will_always_match(&self, state: &Option<usize>) -> bool {
        self.is_match(state)
    }

    fn accept(&self, state: &Option<usize>, byte: u8) -> Option<usize> {
        match *state {
            Some(i) if i == self.0.len() => Some(i),
            Some(i) if self.0[i] == byte => Some(i + 1),
            _ => None,
        }
    }
}
