//! fst-backed term dictionaries: folded keys mapped to groups of values.
//!
//! [`TermMap`] is the one engine behind every dictionary (concept terms, document headings):
//! an immutable `fst::Map` from a folded key to an index into a table of value groups, with
//! exact, prefix and subsequence search and a longest-match walk over running text. It is built
//! once and shared behind `Arc`; it does no I/O and knows nothing of protocol types.

mod bytes;
mod completion;
mod headings;
mod layered;
pub mod matching;
pub mod persist;
mod terms;

use std::ops::ControlFlow;

use fst::automaton::{Automaton, Str, Subsequence};
use fst::{IntoStreamer, Streamer};

pub use bytes::Bytes;
pub use completion::{CompletionIndex, FormatError, Hit, PRECOMPUTED_K, TermInput};
pub use headings::{DocHeadings, Heading, HeadingIndex, HeadingSpan, extract_headings, heading_spans};
pub use layered::LayeredIndex;
pub use matching::{DfaAutomaton, MAX_FUZZY_CHARS, Quality, levenshtein_prefix_dfa};
pub use terms::{TermIndex, TermRef};

use crate::text::fold;

/// An immutable map from folded keys to groups of values. The groups are stored back to back
/// (`values[starts[k]..starts[k + 1]]` for key `k`): one allocation, not one per key.
pub struct TermMap<T> {
    map: fst::Map<Bytes>,
    values: Vec<T>,
    starts: Vec<u32>,
}

impl<T> Default for TermMap<T> {
    fn default() -> Self {
        TermMap::build(Vec::<(String, T)>::new())
    }
}

impl<T> std::fmt::Debug for TermMap<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TermMap").field("keys", &self.map.len()).finish()
    }
}

impl<T> TermMap<T> {
    /// Builds the map from `(key, value)` pairs; keys are folded here, values sharing a folded
    /// key form one group in insertion order. Empty keys are dropped.
    pub fn build<K: AsRef<str>>(entries: impl IntoIterator<Item = (K, T)>) -> TermMap<T> {
        let mut sorted: Vec<(Box<str>, T)> = entries
            .into_iter()
            .map(|(k, v)| (fold(k.as_ref()).into_boxed_str(), v))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        // Stable: values sharing a key keep their insertion order.
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut builder = fst::MapBuilder::memory();
        let mut values = Vec::with_capacity(sorted.len());
        let mut starts = Vec::new();
        let mut last: Option<Box<str>> = None;
        for (key, value) in sorted {
            if last.as_deref() != Some(&*key) {
                builder.insert(key.as_bytes(), starts.len() as u64).expect("keys are sorted and unique");
                starts.push(values.len() as u32);
                last = Some(key);
            }
            values.push(value);
        }
        starts.push(values.len() as u32);
        let bytes = Bytes::from(builder.into_inner().expect("in-memory fst"));
        let map = fst::Map::new(bytes).expect("freshly built fst");
        TermMap { map, values, starts }
    }

    /// The map's parts as it keeps them: the fst's bytes, the values, and where each key's
    /// group starts in them. [`TermMap::from_parts`] takes them back.
    pub fn parts(&self) -> (&[u8], &[T], &[u32]) {
        (self.map.as_fst().as_bytes(), &self.values, &self.starts)
    }

    /// A map from the parts [`TermMap::parts`] gave, checked so that no lookup can fall outside
    /// them: `None` when they are not a map's (a damaged file).
    pub fn from_parts(fst: Vec<u8>, values: Vec<T>, starts: Vec<u32>) -> Option<TermMap<T>> {
        let map = fst::Map::new(Bytes::from(fst)).ok()?;
        let keys = map.len();
        let ordered = starts.first() == Some(&0) && starts.windows(2).all(|w| w[0] <= w[1]);
        if !ordered || starts.len() != keys + 1 || starts.last().copied() != Some(values.len() as u32) {
            return None;
        }
        // The keys are not walked: the parts come from a checksummed file, a key that is not
        // UTF-8 is passed over where keys are read as text, and a key number past the keys
        // finds no group.
        Some(TermMap { map, values, starts })
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The group of key number `k` (none for a number past the keys, which only a damaged
    /// map could give).
    pub fn group(&self, k: u64) -> &[T] {
        let k = k as usize;
        match self.starts.get(k..k.saturating_add(2)) {
            Some(&[a, b]) => &self.values[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Heap bytes held, for statistics.
    pub fn heap_bytes(&self) -> usize {
        self.fst_bytes() + self.values.capacity() * std::mem::size_of::<T>() + self.starts.capacity() * 4
    }

    /// The keys as an fst set sharing this map's bytes (no copy).
    pub fn key_set(&self) -> fst::Set<Bytes> {
        let bytes = self.map.as_fst().as_inner().clone();
        fst::Set::from(fst::raw::Fst::new(bytes).expect("the bytes of a valid fst"))
    }

    /// `"<later words of a key>\0<the words before them>"` for every multi-word key, as an fst
    /// set: a search for keys with a word starting with a prefix is then a prefix search of
    /// this set instead of a walk over every key. The key is the two parts joined by a space,
    /// so it is not stored whole a second time.
    pub fn word_suffixes(&self) -> fst::Set<Bytes> {
        let mut suffixes: Vec<Box<[u8]>> = Vec::new();
        self.keys(|key, _| {
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
        let mut builder = fst::SetBuilder::memory();
        builder.extend_iter(suffixes).expect("sorted and unique");
        let bytes = Bytes::from(builder.into_inner().expect("in-memory fst"));
        fst::Set::new(bytes).expect("freshly built fst")
    }

    /// Size of the fst in bytes.
    pub fn fst_bytes(&self) -> usize {
        self.map.as_fst().as_bytes().len()
    }

    /// The group of an already folded key.
    pub fn get(&self, folded: &str) -> &[T] {
        self.map.get(folded).map_or(&[], |i| self.group(i))
    }

    /// The key number of `folded`, if it is a key.
    pub fn number(&self, folded: &str) -> Option<u64> {
        self.map.get(folded)
    }

    /// Visits every key starting with `folded_prefix`, in byte order, until `visit` breaks.
    pub fn prefix<'a>(&'a self, folded_prefix: &str, visit: impl FnMut(&str, &'a [T]) -> ControlFlow<()>) {
        self.search(Str::new(folded_prefix).starts_with(), visit)
    }

    /// Visits every key that contains `folded_query` as a subsequence, until `visit` breaks.
    pub fn subsequence<'a>(&'a self, folded_query: &str, visit: impl FnMut(&str, &'a [T]) -> ControlFlow<()>) {
        self.search(Subsequence::new(folded_query), visit)
    }

    fn search<'a, A: Automaton>(&'a self, automaton: A, mut visit: impl FnMut(&str, &'a [T]) -> ControlFlow<()>) {
        let mut stream = self.map.search(automaton).into_stream();
        while let Some((key, i)) = stream.next() {
            // Keys are built from `String`s; one that is not UTF-8 (a damaged saved map) is passed over.
            let Ok(key) = std::str::from_utf8(key) else { continue };
            if visit(key, self.group(i)).is_break() {
                break;
            }
        }
    }

    /// Walks the dictionary along `text` from byte `start`, folding as it goes (white space runs
    /// match one space), and returns every `(end, group)` where a whole key ends, shortest first.
    /// Stops at a line break.
    pub fn matches_at<'a>(&'a self, text: &str, start: usize) -> Vec<(usize, &'a [T])> {
        let mut found = Vec::new();
        self.walk(text, start, false, |end, k| found.push((end, self.group(k))));
        found
    }

    /// The longest key along `text` from byte `start` (as [`TermMap::matches_at`]) whose end
    /// `accept`s, as `(end, key number)`. Allocates nothing.
    pub fn longest_at(&self, text: &str, start: usize, accept: impl Fn(usize) -> bool) -> Option<(usize, u64)> {
        let mut best = None;
        self.walk(text, start, false, |end, k| {
            if accept(end) {
                best = Some((end, k));
            }
        });
        best
    }

    /// Calls `found(range, key number)` for every longest key of `text` that starts and ends at
    /// a word boundary, left to right, never overlapping: the terms a text mentions. A key's
    /// words may be broken over two lines (one line break in the white space between them),
    /// as prose wraps.
    pub fn occurrences(&self, text: &str, found: impl FnMut(std::ops::Range<usize>, u64)) {
        self.occurrences_with(text, &mut WordMemo::default(), found)
    }

    /// [`TermMap::occurrences`], remembering in `memo` where each ASCII word leads in the
    /// dictionary, so that a word met again costs a hash lookup instead of a walk over its
    /// letters (and a word that starts no key costs nothing more). `memo` must only be used
    /// with this map and slices of one text.
    pub fn occurrences_with<'t>(
        &self,
        text: &'t str,
        memo: &mut WordMemo<'t>,
        mut found: impl FnMut(std::ops::Range<usize>, u64),
    ) {
        if self.is_empty() {
            return;
        }
        let at_boundary = |end: usize| !text[end..].chars().next().is_some_and(crate::text::is_word_char);
        let bytes = text.as_bytes();
        let (mut prev_word, mut skip_to) = (false, 0);
        let mut i = 0;
        while i < bytes.len() {
            let (word, len) = match bytes[i] {
                b if b.is_ascii() => (b.is_ascii_alphanumeric(), 1),
                _ => {
                    let c = text[i..].chars().next().expect("at a character boundary");
                    (crate::text::is_word_char(c), c.len_utf8())
                }
            };
            if word && !prev_word && i >= skip_to {
                let mut best = None;
                let mut keep = |end: usize, k: u64| {
                    if at_boundary(end) {
                        best = Some((end, k));
                    }
                };
                // A key that ends at a boundary covers the whole word: when the word is ASCII
                // (and not followed by more letters of another script), walk on from its end.
                let j = i + bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
                if j > i && bytes.get(j).is_none_or(|b| b.is_ascii()) {
                    if let Some(w) = memo.get(self, &text[i..j]) {
                        if let Some(k) = w.key {
                            keep(j, k);
                        }
                        // The walk goes on only if the next character (folded) leads on.
                        if bytes.get(j).is_some_and(|&b| w.leads_on(b)) {
                            let fst = self.map.as_fst();
                            self.walk_from(text, j, fst.node(w.addr), w.output, true, &mut keep);
                        }
                    }
                } else {
                    self.walk(text, i, true, keep);
                }
                if let Some((end, k)) = best {
                    found(i..end, k);
                    skip_to = end;
                }
            }
            prev_word = word;
            i += len;
        }
    }

    /// Calls `found(end, key number)` wherever a whole key ends along `text` from `start`. The
    /// walk ends at a line break unless `lines`, and then at the second line break of one run
    /// of white space (a paragraph's end).
    fn walk(&self, text: &str, start: usize, lines: bool, found: impl FnMut(usize, u64)) {
        let fst = self.map.as_fst();
        self.walk_from(text, start, fst.root(), fst::raw::Output::zero(), lines, found)
    }

    /// [`TermMap::walk`] from `node`, reached with `output`, at `start` (which the walk reached
    /// after a character that is not white space).
    fn walk_from<'a>(
        &'a self,
        text: &str,
        start: usize,
        mut node: fst::raw::Node<'a>,
        mut output: fst::raw::Output,
        lines: bool,
        mut found: impl FnMut(usize, u64),
    ) {
        let fst = self.map.as_fst();
        let mut chars = text[start..].char_indices().peekable();
        let mut buf = [0u8; 4];
        while let Some((i, c)) = chars.next() {
            let is_break = |c: char| c == '\n' || c == '\r';
            if is_break(c) && !lines {
                break;
            }
            let mut step = |bytes: &[u8]| -> bool {
                for &b in bytes {
                    match node.find_input(b) {
                        Some(t) => {
                            let tr = node.transition(t);
                            output = output.cat(tr.out);
                            node = fst.node(tr.addr);
                        }
                        None => return false,
                    }
                }
                true
            };
            let ok = if c.is_whitespace() {
                // `\r\n` is one line break.
                let mut breaks = usize::from(is_break(c));
                let mut last = c;
                while let Some(&(_, n)) = chars.peek().filter(|&&(_, n)| n.is_whitespace()) {
                    if is_break(n) && !(last == '\r' && n == '\n') {
                        breaks += 1;
                        if !lines || breaks > 1 {
                            break;
                        }
                    }
                    last = n;
                    chars.next();
                }
                if breaks > 1 || (breaks == 1 && chars.peek().is_some_and(|&(_, n)| is_break(n))) {
                    break;
                }
                step(b" ")
            } else if c.is_ascii() {
                step(&[c.to_ascii_lowercase() as u8])
            } else {
                let mut ok = true;
                crate::text::fold_char(c, &mut |f| ok = ok && step(f.encode_utf8(&mut buf).as_bytes()));
                ok
            };
            if !ok {
                break;
            }
            if node.is_final() && !c.is_whitespace() {
                found(start + i + c.len_utf8(), output.cat(node.final_output()).value());
            }
        }
    }

    /// Every key with its number, in byte order.
    pub fn keys(&self, mut visit: impl FnMut(&str, u64)) {
        let mut stream = self.map.stream();
        while let Some((key, k)) = stream.next() {
            if let Ok(key) = std::str::from_utf8(key) {
                visit(key, k);
            }
        }
    }
}

/// Where ASCII words lead in a [`TermMap`], for [`TermMap::occurrences_with`]: by the word as
/// written, the dictionary's state after its folded letters, or `None` when no key starts with
/// it followed by a non-letter (or is it).
#[derive(Default)]
pub struct WordMemo<'t> {
    states: std::collections::HashMap<&'t str, Option<WordState>, std::hash::BuildHasherDefault<WordHasher>>,
}

#[derive(Clone, Copy)]
struct WordState {
    addr: fst::raw::CompiledAddr,
    output: fst::raw::Output,
    /// The key number when the word is a whole key.
    key: Option<u64>,
    /// The ASCII bytes the state has a transition on, as bits.
    next: u128,
}

impl WordState {
    /// Whether the walk can go on from this state over ASCII byte `b` (white space walks as
    /// one space).
    fn leads_on(&self, b: u8) -> bool {
        let folded = if (b as char).is_whitespace() { b' ' } else { b.to_ascii_lowercase() };
        folded < 128 && self.next & (1u128 << folded) != 0
    }
}

impl<'t> WordMemo<'t> {
    fn get<T>(&mut self, map: &TermMap<T>, word: &'t str) -> Option<WordState> {
        *self.states.entry(word).or_insert_with(|| {
            let fst = map.map.as_fst();
            let (mut node, mut output) = (fst.root(), fst::raw::Output::zero());
            for b in word.bytes() {
                let t = node.find_input(b.to_ascii_lowercase())?;
                let tr = node.transition(t);
                output = output.cat(tr.out);
                node = fst.node(tr.addr);
            }
            let key = node.is_final().then(|| output.cat(node.final_output()).value());
            // Nothing more to walk and no key: the word leads nowhere.
            if key.is_none() && node.is_empty() {
                return None;
            }
            let next = node.transitions().filter(|t| t.inp < 128).fold(0u128, |m, t| m | 1u128 << t.inp);
            Some(WordState { addr: node.addr(), output, key, next })
        })
    }
}

/// A multiplicative hash of short words (the memo's keys are a text's own words).
#[derive(Default)]
struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> TermMap<u32> {
        TermMap::build(
            [("Tokio Runtime", 1), ("tokio", 2), ("TOKIO", 3), ("async runtime", 4), ("", 5)]
                .map(|(k, v)| (k.to_string(), v)),
        )
    }

    #[test]
    fn groups_share_folded_keys() {
        let m = map();
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("tokio"), [2, 3]);
        assert!(m.get("nope").is_empty());
    }

    #[test]
    fn prefix_and_subsequence() {
        let m = map();
        let mut keys = Vec::new();
        m.prefix("tok", |k, _| {
            keys.push(k.to_string());
            ControlFlow::Continue(())
        });
        assert_eq!(keys, ["tokio", "tokio runtime"]);
        keys.clear();
        m.subsequence("tkrt", |k, _| {
            keys.push(k.to_string());
            ControlFlow::Continue(())
        });
        assert_eq!(keys, ["tokio runtime"]);
    }

    #[test]
    fn matches_at_folds_case_and_white_space() {
        let m = map();
        let text = "use TOKIO \t RUNTIME now";
        let found: Vec<_> = m.matches_at(text, 4).into_iter().map(|(end, g)| (&text[4..end], g.to_vec())).collect();
        assert_eq!(found, [("TOKIO", vec![2, 3]), ("TOKIO \t RUNTIME", vec![1])]);
        assert!(m.matches_at("tokio\nruntime", 0).len() == 1);
    }
}
