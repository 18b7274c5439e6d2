//! [`Terminology`]: what the document checks look terms up in, built once from a graph.
//!
//! Owns the tables from phrase keys to what the graph says about them (avoided terms and the
//! concept that replaces them, synonyms and their concept's name, multi-word terms for the
//! near-miss check) and the one definition of a phrase key ([`scan`]), which prose and terms
//! share. It reads only the graph it is given; no I/O.
//!
//! The tables hold no `String` per term: keys and names live in one arena and are found
//! through 64-bit hashes with collision chains, so that a graph of a million terms costs tens
//! of bytes a term here, not an allocation apiece.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::kg::{ConceptId, Graph};
use crate::text::{fold_char, is_word_char};

pub use crate::kg::AVOID_KEY;

/// The most words a term may have to be a near-miss target (longer terms are rare, and the
/// index keeps one bit per word position of each length in a `u64`).
pub const NEAR_MISS_MAX_WORDS: usize = 8;

/// What a folded phrase is in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avoided {
    /// The concept whose name replaces it.
    pub concept: ConceptId,
    /// The term as its `avoid::` line writes it.
    pub written: String,
    /// The concept's name: the replacement.
    pub replacement: String,
}

/// A synonym of a concept, as a document's phrase matched it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synonym<'t> {
    pub concept: ConceptId,
    /// The concept's canonical name, as written.
    pub name: &'t str,
}

/// What a phrase of prose is, when it is a term of the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhraseInfo<'t> {
    /// It is an avoided term (then it is never also a synonym).
    pub avoided: Option<&'t Avoided>,
    /// It is a synonym of a concept whose name is this (and no concept's name itself).
    pub synonym_of: Option<&'t str>,
}

/// Which phrases a run of the document checks must find: avoided terms only, synonyms too, or
/// every phrase (near-miss needs to know which phrases are terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Reach {
    Avoided = 0,
    Synonyms = 1,
    All = 2,
}

/// A multi-word term that a phrase is close to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NearTerm<'t> {
    /// The term as the graph writes it.
    pub term: &'t str,
    /// Damerau-Levenshtein distance between the phrase's key and the term's.
    pub distance: usize,
}

/// The lookup tables of the document checks.
#[derive(Clone, Debug, Default)]
pub struct Terminology {
    avoided: Vec<Avoided>,
    /// Keys and written forms of phrases, back to back.
    arena: String,
    phrases: Vec<Phrase>,
    /// Hash of a phrase key → its first phrase (the rest through [`Phrase::next`]).
    table: IdMap<u32>,
    /// Hash of a first word's key → the most words of a phrase starting with it.
    /// Three maxima, for the phrases a check run looks at ([`Reach`]).
    starts: IdMap<[u8; 3]>,
    /// The most words any phrase has.
    max_words: usize,
    near: NearIndex,
}

/// One phrase key of the tables.
#[derive(Clone, Copy, Debug)]
struct Phrase {
    key: Span,
    /// The term as the graph writes it (the first writing met).
    written: Span,
    /// For a synonym: the name of its concept.
    name: Span,
    concept: u32,
    /// The next phrase with the same key hash, or [`NONE`].
    next: u32,
    /// Index into `avoided`, or [`NONE`].
    avoided: u32,
    /// Some concept lists it as a synonym.
    synonym: bool,
    /// Some concept has it as its name.
    is_name: bool,
    words: u8,
}

/// Multi-word terms by (word count, word position, initials, the word at that position):
/// a near miss has at least one word exactly as the term has it, and every word starts with the
/// term's word's first letter.
#[derive(Clone, Debug, Default)]
struct NearIndex {
    /// Hash of a word's key → one bit per (word count, position) where some term has it.
    masks: IdMap<u64>,
    /// Bucket hash → its range of `items`.
    buckets: IdMap<(u32, u32)>,
    /// (key length in bytes, phrase), each bucket's in order of length, so that a phrase reads
    /// only the terms of the few lengths it can be near. (Two buckets whose hashes collide
    /// share a range; the distance check tells their terms apart.)
    items: Vec<(u32, u32)>,
    max_words: usize,
}

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span(u32, u32);

impl Span {
    fn of(self, arena: &str) -> &str {
        &arena[self.0 as usize..self.1 as usize]
    }
}

/// A word of scanned text: its bytes in the source and its key's bytes in the key buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Word {
    pub src: Range<usize>,
    pub key: Range<usize>,
}

/// Appends the key of `s` to `buf` and its words (source offsets from `base`) to `words`.
///
/// A key is the text folded ([`fold_char`]) word by word, with what separates two words
/// normalized: a run of white space, or one hyphen alone (`master-slave`), becomes one space,
/// so that `master-slave`, `Master slave` and `master\n  slave` have one key; any other
/// separator is kept, folded, with its white space runs made one space (`node.js`, `a, b`).
/// Text before the first word and after the last is not part of the key. The key of words
/// `i..=j` is `buf[words[i].key.start..words[j].key.end]`.
pub(super) fn scan(s: &str, base: usize, buf: &mut String, words: &mut Vec<Word>) {
    let mut sep = String::new();
    let mut had_word = false;
    let mut cur: Option<(usize, usize)> = None;
    for (i, c) in s.char_indices() {
        if is_word_char(c) {
            if cur.is_none() {
                if had_word {
                    push_separator(&sep, buf);
                }
                sep.clear();
                cur = Some((base + i, buf.len()));
            }
            fold_char(c, &mut |f| buf.push(f));
        } else {
            if let Some((s0, k0)) = cur.take() {
                words.push(Word { src: s0..base + i, key: k0..buf.len() });
                had_word = true;
            }
            sep.push(c);
        }
    }
    if let Some((s0, k0)) = cur {
        words.push(Word { src: s0..base + s.len(), key: k0..buf.len() });
    }
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

fn push_separator(sep: &str, buf: &mut String) {
    let mut chars = sep.chars();
    let single_hyphen = matches!((chars.next(), chars.next()), (Some(c), None) if is_hyphen(c));
    if single_hyphen || sep.chars().all(char::is_whitespace) {
        buf.push(' ');
        return;
    }
    let mut space = false;
    for c in sep.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            buf.push(' ');
            space = false;
        }
        fold_char(c, &mut |f| buf.push(f));
    }
    if space {
        buf.push(' ');
    }
}

/// The key of a term and its word count, or `None` when it cannot match prose: no words, or
/// text before its first word or after its last (`c++`, `.net`), which a phrase never has.
fn term_key<'b>(term: &str, buf: &'b mut String, words: &mut Vec<Word>) -> Option<(&'b str, usize)> {
    buf.clear();
    words.clear();
    let term = term.trim();
    scan(term, 0, buf, words);
    let (first, last) = (words.first()?, words.last()?);
    if first.src.start != 0 || last.src.end != term.len() {
        return None;
    }
    Some((&buf[first.key.start..last.key.end], words.len()))
}

/// The 64-bit hash the tables use (FxHash's mixing, fast on short keys). Collisions are
/// resolved by comparing keys, so its quality only matters for speed.
pub(super) fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.add(b as u64);
        }
    }

    fn finish(&self) -> u64 {
        // A final mix, so that the low bits the map uses depend on every input bit.
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51afd7ed558ccd);
        x ^ (x >> 33)
    }
}

impl FxHasher {
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517cc1b727220a95);
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// The bit of (word count `n`, position `i`) in [`NearIndex::masks`].
fn near_bit(n: usize, i: usize) -> u64 {
    1 << ((n - 1) * n / 2 - 1 + i)
}

/// The bucket of [`NearIndex::buckets`] for word `i` (key `word`) of an `n`-word term whose
/// words start with `initials`.
fn near_bucket(n: usize, i: usize, initials: &[char], word: &str) -> u64 {
    let mut h = FxHasher::default();
    h.add(((n as u64) << 8) | i as u64);
    for &c in initials {
        h.add(c as u64);
    }
    h.write(word.as_bytes());
    h.finish()
}

impl Terminology {
    pub fn build(graph: &Graph) -> Terminology {
        let mut t = Terminology::default();
        let mut b = Builder::default();
        for (id, c) in graph.concepts() {
            for (key, value) in c.data().properties() {
                if !key.eq_ignore_ascii_case(AVOID_KEY) {
                    continue;
                }
                for written in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let Some((key, n)) = term_key(written, &mut b.buf, &mut b.words) else { continue };
                    let p = t.intern(key, written, n, id);
                    if t.phrases[p].avoided == NONE {
                        t.phrases[p].avoided = t.avoided.len() as u32;
                        t.avoided.push(Avoided {
                            concept: id,
                            written: written.to_string(),
                            replacement: c.name().to_string(),
                        });
                    }
                }
            }
        }
        for (id, c) in graph.concepts() {
            let mut name = None;
            for s in c.data().synonyms() {
                let Some((key, n)) = term_key(s, &mut b.buf, &mut b.words) else { continue };
                let p = t.intern(key, s, n, id);
                if !t.phrases[p].synonym {
                    let span = *name.get_or_insert_with(|| t.push_arena(c.name()));
                    let ph = &mut t.phrases[p];
                    ph.synonym = true;
                    ph.name = span;
                    ph.concept = id.0;
                }
            }
        }
        for (id, c) in graph.concepts() {
            let Some((key, n)) = term_key(c.name(), &mut b.buf, &mut b.words) else { continue };
            match t.find(key) {
                Some(p) => t.phrases[p].is_name = true,
                None if n >= 2 => {
                    let p = t.intern(key, c.name(), n, id);
                    t.phrases[p].is_name = true;
                }
                None => {}
            }
        }
        t.index(&mut b);
        t.table.shrink_to_fit();
        t.arena.shrink_to_fit();
        t.phrases.shrink_to_fit();
        t
    }

    /// Builds `starts` and the near-miss index from the phrases.
    fn index(&mut self, b: &mut Builder) {
        let mut items: Vec<(u64, u32, u32)> = Vec::new();
        for p in 0..self.phrases.len() {
            let ph = self.phrases[p];
            let key = ph.key.of(&self.arena);
            b.buf.clear();
            b.words.clear();
            scan(key, 0, &mut b.buf, &mut b.words);
            {
                let first = &b.buf[b.words[0].key.clone()];
                let max = self.starts.entry(hash_str(first)).or_insert([0; 3]);
                let reach = if ph.avoided != NONE {
                    Reach::Avoided
                } else if ph.synonym && !ph.is_name {
                    Reach::Synonyms
                } else {
                    Reach::All
                };
                for m in &mut max[reach as usize..] {
                    *m = (*m).max(ph.words);
                }
                self.max_words = self.max_words.max(ph.words as usize);
            }
            let n = b.words.len();
            let plain = b
                .words
                .windows(2)
                .all(|w| w[1].key.start == w[0].key.end + 1 && b.buf.as_bytes()[w[0].key.end] == b' ');
            if ph.avoided != NONE || !(2..=NEAR_MISS_MAX_WORDS).contains(&n) || !plain {
                continue;
            }
            let initials: Vec<char> = b.words.iter().filter_map(|w| b.buf[w.key.clone()].chars().next()).collect();
            for (i, w) in b.words.iter().enumerate() {
                let word = &b.buf[w.key.clone()];
                *self.near.masks.entry(hash_str(word)).or_insert(0) |= near_bit(n, i);
                items.push((near_bucket(n, i, &initials, word), key.len() as u32, p as u32));
            }
            self.near.max_words = self.near.max_words.max(n);
        }
        items.sort_unstable();
        self.near.items = Vec::with_capacity(items.len());
        for (k, (bucket, len, p)) in items.iter().enumerate() {
            if k == 0 || items[k - 1].0 != *bucket {
                let at = self.near.items.len() as u32;
                self.near.buckets.insert(*bucket, (at, at));
            }
            self.near.items.push((*len, *p));
            self.near.buckets.get_mut(bucket).expect("inserted").1 += 1;
        }
        self.near.masks.shrink_to_fit();
        self.starts.shrink_to_fit();
    }

    fn push_arena(&mut self, s: &str) -> Span {
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        Span(start, self.arena.len() as u32)
    }

    /// The phrase with `key`, added if new.
    fn intern(&mut self, key: &str, written: &str, words: usize, concept: ConceptId) -> usize {
        if let Some(p) = self.find(key) {
            return p;
        }
        let key_span = self.push_arena(key);
        let written = if written == key { key_span } else { self.push_arena(written) };
        let p = self.phrases.len() as u32;
        let next = self.table.insert(hash_str(key), p).unwrap_or(NONE);
        self.phrases.push(Phrase {
            key: key_span,
            written,
            name: Span::default(),
            concept: concept.0,
            next,
            avoided: NONE,
            synonym: false,
            is_name: false,
            words: words.min(u8::MAX as usize) as u8,
        });
        p as usize
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.find_hashed(key, hash_str(key))
    }

    fn find_hashed(&self, key: &str, hash: u64) -> Option<usize> {
        let mut p = *self.table.get(&hash)?;
        while p != NONE {
            let ph = &self.phrases[p as usize];
            if ph.key.of(&self.arena) == key {
                return Some(p as usize);
            }
            p = ph.next;
        }
        None
    }

    /// The avoided term whose key ([`scan`]) is `key`, if any.
    pub fn avoided(&self, key: &str) -> Option<&Avoided> {
        let p = self.find(key)?;
        self.avoided.get(self.phrases[p].avoided as usize)
    }

    /// The avoided term that `phrase` writes (in any case and spacing), if any.
    pub fn avoided_phrase(&self, phrase: &str) -> Option<&Avoided> {
        let (mut key, mut words) = (String::new(), Vec::new());
        scan(phrase, 0, &mut key, &mut words);
        self.avoided(&key)
    }

    /// The concept that has `key` as a synonym, unless it is an avoided term or some concept's
    /// name (then the phrase is canonical for that concept).
    pub fn synonym(&self, key: &str) -> Option<Synonym<'_>> {
        let ph = &self.phrases[self.find(key)?];
        (ph.synonym && !ph.is_name && ph.avoided == NONE)
            .then(|| Synonym { concept: ConceptId(ph.concept), name: ph.name.of(&self.arena) })
    }

    /// What the phrase with `key` is: `None` when it is no avoided term, synonym or multi-word
    /// name.
    pub fn phrase(&self, key: &str) -> Option<PhraseInfo<'_>> {
        let ph = &self.phrases[self.find(key)?];
        let avoided = self.avoided.get(ph.avoided as usize);
        let synonym_of = (ph.synonym && !ph.is_name && avoided.is_none()).then(|| ph.name.of(&self.arena));
        Some(PhraseInfo { avoided, synonym_of })
    }

    /// Whether `key` is any term of the graph (name, synonym or avoided term).
    pub fn is_term(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The most words of any phrase that `reach` takes in starting with the word whose key
    /// hashes to `hash` ([`hash_str`]); 0 for none.
    pub(super) fn max_words_from(&self, hash: u64, reach: Reach) -> usize {
        self.starts.get(&hash).map_or(0, |n| n[reach as usize] as usize)
    }

    /// The most words of any phrase of the tables (0 when there are none).
    pub fn max_words(&self) -> usize {
        self.max_words
    }

    /// The most words of any near-miss target (0 when there are none).
    pub fn near_miss_max_words(&self) -> usize {
        self.near.max_words
    }

    /// The closest multi-word term to the phrase of `words` (keys in `buf`, hashes in `hashes`),
    /// if one is a near miss: same word count, each word starting with the same letter, at
    /// least one word the same, every differing word of 4 letters or more, one edit from the
    /// term's word unless both have 8 or more, and not the same word with a plural `s`/`es`; in
    /// all a Damerau-Levenshtein distance (word by word) of 1, or 2 for terms of 12 characters
    /// or more. The phrase's separators must be single spaces, and the phrase must not be a
    /// term itself.
    /// One bit per (word count, position) where some near-miss target has the word whose key
    /// hashes to `hash`: what [`Terminology::near_miss`] takes for each word.
    pub(super) fn near_mask(&self, hash: u64) -> u64 {
        self.near.masks.get(&hash).copied().unwrap_or(0)
    }

    pub(super) fn near_miss(&self, buf: &str, words: &[Word], masks: &[u64]) -> Option<NearTerm<'_>> {
        let n = words.len();
        if !(2..=self.near.max_words).contains(&n) {
            return None;
        }
        if words.windows(2).any(|w| w[1].key.start != w[0].key.end + 1 || buf.as_bytes()[w[0].key.end] != b' ') {
            return None;
        }
        let mut keys = [""; NEAR_MISS_MAX_WORDS];
        let mut initials = ['\0'; NEAR_MISS_MAX_WORDS];
        for (i, w) in words.iter().enumerate() {
            keys[i] = &buf[w.key.clone()];
            initials[i] = keys[i].chars().next()?;
        }
        let (keys, initials) = (&keys[..n], &initials[..n]);
        let phrase = &buf[words[0].key.start..words[n - 1].key.end];
        // The key lengths of the terms it can be near: an edit changes the length by one
        // character, up to 4 bytes; terms of 12 characters or more allow two edits.
        let reach = if phrase.is_ascii() { 1 } else { 4 } * if phrase.len() >= 10 { 2 } else { 1 };
        let (lo, hi) = (phrase.len().saturating_sub(reach) as u32, (phrase.len() + reach) as u32);
        let mut best: Option<NearTerm<'_>> = None;
        for (i, key) in keys.iter().enumerate() {
            if masks[i] & near_bit(n, i) == 0 {
                continue;
            }
            let Some(&(start, end)) = self.near.buckets.get(&near_bucket(n, i, initials, key)) else { continue };
            let bucket = &self.near.items[start as usize..end as usize];
            let from = bucket.partition_point(|&(len, _)| len < lo);
            for &(_, p) in bucket[from..].iter().take_while(|&&(len, _)| len <= hi) {
                {
                    let ph = &self.phrases[p as usize];
                    let term = ph.key.of(&self.arena);
                    if let Some(d) = near_distance(keys, phrase, term)
                        && best.is_none_or(|b| d < b.distance)
                    {
                        best = Some(NearTerm { term: ph.written.of(&self.arena), distance: d });
                    }
                }
            }
        }
        best.filter(|_| !self.is_term(phrase))
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Whether the graph has any avoided term (when not, the avoided-term check finds nothing).
    pub fn has_avoided(&self) -> bool {
        !self.avoided.is_empty()
    }
}

/// The distance of `phrase` (its words `keys`) from `term` when it is a near miss of it.
fn near_distance(keys: &[&str], phrase: &str, term: &str) -> Option<usize> {
    if phrase.len().abs_diff(term.len()) > 4 || phrase == term {
        return None;
    }
    let limit = if term.len() >= 12 && term.chars().count() >= 12 { 2 } else { 1 };
    let (mut same, mut total) = (0, 0);
    for (a, b) in keys.iter().zip(term.split(' ')) {
        if *a == b {
            same += 1;
            continue;
        }
        if a.len() < 4 || b.len() < 4 || a.chars().next() != b.chars().next() || plural_of(a, b) || plural_of(b, a) {
            return None;
        }
        if a.chars().count() < 4 || b.chars().count() < 4 {
            return None;
        }
        // Two edits in one short word make another word (`share` and `state`), not a slip.
        let word_limit = if a.len().min(b.len()) < 8 { 1 } else { 2 };
        total += osa_distance(a, b, word_limit.min(limit - total.min(limit)))?;
        if total > limit {
            return None;
        }
    }
    (same > 0 && total > 0).then_some(total)
}

/// The optimal-string-alignment distance of `a` and `b` (Damerau-Levenshtein without edits
/// of a transposed pair), if it is at most `max`.
fn osa_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    const N: usize = 48;
    let (mut ab, mut bb) = (['\0'; N], ['\0'; N]);
    let (mut la, mut lb) = (0, 0);
    for c in a.chars() {
        *ab.get_mut(la)? = c;
        la += 1;
    }
    for c in b.chars() {
        *bb.get_mut(lb)? = c;
        lb += 1;
    }
    if la.abs_diff(lb) > max {
        return None;
    }
    let (a, b) = (&ab[..la], &bb[..lb]);
    // Three rows of the dynamic programme: i - 2, i - 1 and i.
    let mut rows = [[0usize; N + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(lb + 1) {
        *cell = j;
    }
    for i in 1..=la {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=lb {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
    }
    let d = rows[la % 3][lb];
    (d <= max).then_some(d)
}

/// Whether `a` is `b` with a plural or possessive ending.
fn plural_of(a: &str, b: &str) -> bool {
    a.strip_prefix(b).is_some_and(|rest| matches!(rest, "s" | "es"))
}

/// Scratch buffers for building.
#[derive(Default)]
struct Builder {
    buf: String,
    words: Vec<Word>,
}
