//! How a query matches a term: the one definition that completion ([`super::CompletionIndex`])
//! and search (`search::Dictionary`) share, so that both give the same [`Quality`] for the
//! same folded query and key.
//!
//! It owns:
//! - [`Quality`], the match classes in rank order, and their [`Quality::tier`] bands;
//! - the typo thresholds ([`typo_limits`]: edits allowed per query length) and the shortest
//!   query that matches as a subsequence ([`MIN_SUBSEQUENCE_CHARS`]);
//! - the subsequence span ([`subsequence_span`]) and the initials of a key ([`initials_of`]);
//! - [`Classifier`], which gives the class of one (query, key) pair: the reference that the
//!   engines' fast paths must agree with;
//! - the Levenshtein DFAs and their fst automaton ([`DfaAutomaton`]), and [`Limited`], the one
//!   fst automaton wrapper that bounds a walk by a budget of transitions and stops it when an
//!   [`Interrupt`] (search's cancellation) says so.
//!
//! The engines decide which candidates to look at and how to rank hits of one class; they must
//! not decide a class here differently. Keys and queries are folded ([`crate::text::fold`]).
//! No I/O, no protocol types, no knowledge of either engine.

use std::cell::Cell;
use std::sync::OnceLock;

use fst::automaton::Automaton;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use serde::{Deserialize, Serialize};

/// Queries longer than this (in characters) get no typo matching: the automaton's size grows
/// with the query.
pub const MAX_FUZZY_CHARS: usize = 40;
/// Queries shorter than this (in characters) match no term as a subsequence: a shorter one
/// matches nearly everything. Initials have no such floor.
pub const MIN_SUBSEQUENCE_CHARS: usize = 3;

/// How a term matches a query. Earlier variants rank first (the derived order is the rank
/// order); a pair that fits several classes has the first of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Quality {
    /// The key is the query.
    Exact,
    /// The key starts with the query.
    Prefix,
    /// A later word of the key starts with the query.
    WordPrefix,
    /// The key or a prefix of it is within the [`typo_limits`]; the number is the fewest edits
    /// between the query and any prefix of the key (the whole key included; a transposition is
    /// one edit).
    Typo(u8),
    /// The query is the first letters of the words of a multi-word key (`ap`, "async pipeline").
    Initials,
    /// The query's characters appear in the key in order, the first at its start; the number is
    /// the byte offset of the last one ([`subsequence_span`]): smaller is more compact.
    Subsequence(u32),
    /// The query occurs in a line of text (full-text search only; no key is classified so).
    Text,
}

impl Quality {
    /// The band a class ranks in, for orders that weigh something else (phrase length in
    /// completion, diversity in search) between bands' members: the key starts with the query
    /// (0), a later word does (1), a typo (2), an abbreviation (3), a line of text (4).
    pub fn tier(self) -> u8 {
        match self {
            Quality::Exact | Quality::Prefix => 0,
            Quality::WordPrefix => 1,
            Quality::Typo(_) => 2,
            Quality::Initials | Quality::Subsequence(_) => 3,
            Quality::Text => 4,
        }
    }
}

/// The edits a typo may have, by what it is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypoLimits {
    /// Against a prefix of the key (which may be the whole key).
    pub prefix: u8,
    /// Against the whole key.
    pub whole: u8,
}

/// The typo thresholds: none below 4 characters or above [`MAX_FUZZY_CHARS`]; one edit from
/// 4 characters; from 5, two edits to the whole term; from 8, two edits to a prefix too.
pub fn typo_limits(chars: usize) -> Option<TypoLimits> {
    match chars {
        0..=3 => None,
        4 => Some(TypoLimits { prefix: 1, whole: 1 }),
        5..=7 => Some(TypoLimits { prefix: 1, whole: 2 }),
        _ if chars > MAX_FUZZY_CHARS => None,
        _ => Some(TypoLimits { prefix: 2, whole: 2 }),
    }
}

/// A typo match: see [`Quality::Typo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Typo {
    /// The fewest edits to any prefix of the key (the class's number).
    pub distance: u8,
    /// The edits to the whole key, when within [`TypoLimits::whole`].
    pub whole: Option<u8>,
}

impl Typo {
    /// Whether the edits qualify under `limits`.
    pub fn within(distance: u8, whole: Option<u8>, limits: TypoLimits) -> Option<Typo> {
        let whole = whole.filter(|&d| d <= limits.whole);
        (distance <= limits.prefix || whole.is_some()).then_some(Typo { distance, whole })
    }
}

/// The span of `query` in `key` as a subsequence anchored at the key's start: the byte offset
/// of the query's last character in the greedy leftmost embedding. `None` when the key does
/// not start with the query's first character or does not hold the rest in order.
pub fn subsequence_span(key: &str, query: &str) -> Option<u32> {
    let first = query.chars().next()?;
    if !key.starts_with(first) {
        return None;
    }
    let mut q = query.chars().peekable();
    let mut last = 0;
    for (i, c) in key.char_indices() {
        if q.peek() == Some(&c) {
            q.next();
            last = i;
        }
    }
    q.peek().is_none().then_some(last as u32)
}

/// `"async pipeline runner"` → `"apr"`; `None` for one-word keys.
pub fn initials_of(key: &str) -> Option<String> {
    let mut words = key.split(' ').filter(|w| !w.is_empty()).peekable();
    let first = words.next()?;
    words.peek()?;
    Some(first.chars().take(1).chain(words.filter_map(|w| w.chars().next())).collect())
}

/// Whether a word of `key` after its first starts with `query`.
pub fn starts_later_word(key: &str, query: &str) -> bool {
    key.match_indices(' ').any(|(i, _)| key[i + 1..].starts_with(query))
}

/// The class of any key for one query: the definition both engines follow. Building one makes
/// a Levenshtein DFA for queries that allow typos; classifying a key reads it once.
pub struct Classifier<'q> {
    query: &'q str,
    chars: usize,
    typos: Option<(TypoLimits, DFA)>,
}

impl<'q> Classifier<'q> {
    pub fn new(query: &'q str) -> Classifier<'q> {
        let chars = query.chars().count();
        let typos = typo_limits(chars).map(|l| (l, levenshtein_dfa(query, l.whole)));
        Classifier { query, chars, typos }
    }

    /// The best class of `key`, or `None` when it does not match.
    pub fn classify(&self, key: &str) -> Option<Quality> {
        let q = self.query;
        if q.is_empty() {
            return None;
        }
        if key == q {
            return Some(Quality::Exact);
        }
        if key.starts_with(q) {
            return Some(Quality::Prefix);
        }
        if starts_later_word(key, q) {
            return Some(Quality::WordPrefix);
        }
        if let Some(t) = self.typo(key) {
            return Some(Quality::Typo(t.distance));
        }
        if initials_of(key).is_some_and(|i| i == q) {
            return Some(Quality::Initials);
        }
        if self.chars >= MIN_SUBSEQUENCE_CHARS {
            return subsequence_span(key, q).map(Quality::Subsequence);
        }
        None
    }

    /// The typo match of `key`, if within the limits (whether or not a better class applies).
    pub fn typo(&self, key: &str) -> Option<Typo> {
        let (limits, dfa) = self.typos.as_ref()?;
        let mut state = dfa.initial_state();
        let mut best: Option<u8> = None;
        for (i, &b) in key.as_bytes().iter().enumerate() {
            state = dfa.transition(state, b);
            if state == SINK_STATE {
                break;
            }
            if key.is_char_boundary(i + 1)
                && let Distance::Exact(d) = dfa.distance(state)
            {
                best = Some(best.map_or(d, |b| b.min(d)));
            }
        }
        let whole = match dfa.distance(state) {
            Distance::Exact(d) if state != SINK_STATE => Some(d),
            _ => None,
        };
        Typo::within(best?, whole, *limits)
    }
}

fn automaton_builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    match distance {
        1 => ONE.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
        _ => TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
    }
}

/// A Levenshtein DFA matching keys within `distance` edits of `folded` (1 or 2; transpositions
/// cost one). Its state after a prefix of a key tells that prefix's distance.
pub fn levenshtein_dfa(folded: &str, distance: u8) -> DFA {
    automaton_builder(distance).build_dfa(folded)
}

/// A Levenshtein DFA matching keys that start within `distance` edits of `folded`.
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

/// Something a walk asks, now and then, whether to stop: search's cancellation and deadline.
pub trait Interrupt {
    type Stop: Copy;
    fn check(&self) -> Result<(), Self::Stop>;
}

/// No interruption: a walk bounded by its budget alone.
#[derive(Clone, Copy, Debug)]
pub struct Never;

impl Interrupt for Never {
    type Stop = std::convert::Infallible;

    fn check(&self) -> Result<(), Self::Stop> {
        Ok(())
    }
}

/// How many `can_match` calls a [`Limited`] walk makes between two [`Interrupt::check`]s.
pub const INTERRUPT_EVERY: u32 = 1024;

/// An fst automaton that stops descending once it has followed `budget` transitions, or once
/// its [`Interrupt`] (asked every [`INTERRUPT_EVERY`] `can_match` calls) says to stop: either
/// prunes the walk at once, even where no key matches for a long stretch.
pub struct Limited<A, I: Interrupt = Never> {
    inner: A,
    budget: Cell<usize>,
    interrupt: I,
    calls: Cell<u32>,
    stopped: Cell<Option<I::Stop>>,
}

impl<A: Automaton> Limited<A, Never> {
    /// A walk of at most `budget` transitions.
    pub fn budgeted(inner: A, budget: usize) -> Limited<A, Never> {
        Limited::new(inner, budget, Never)
    }
}

impl<A: Automaton, I: Interrupt> Limited<A, I> {
    pub fn new(inner: A, budget: usize, interrupt: I) -> Limited<A, I> {
        Limited { inner, budget: Cell::new(budget), interrupt, calls: Cell::new(0), stopped: Cell::new(None) }
    }

    /// A walk that only its interrupt stops.
    pub fn interruptible(inner: A, interrupt: I) -> Limited<A, I> {
        Limited::new(inner, usize::MAX, interrupt)
    }

    /// Why the walk was stopped, if its interrupt stopped it.
    pub fn stopped(&self) -> Result<(), I::Stop> {
        self.stopped.get().map_or(Ok(()), Err)
    }
}

impl<A: Automaton, I: Interrupt> Automaton for Limited<A, I> {
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
        if calls.is_multiple_of(INTERRUPT_EVERY)
            && let Err(stop) = self.interrupt.check()
        {
            self.stopped.set(Some(stop));
            return false;
        }
        self.budget.get() > 0 && self.inner.can_match(state)
    }

    fn will_always_match(&self, state: &A::State) -> bool {
        self.inner.will_always_match(state)
    }

    fn accept(&self, state: &A::State, byte: u8) -> A::State {
        self.budget.set(self.budget.get().saturating_sub(1));
        self.inner.accept(state, byte)
    }
}

/// Accepts keys that start with the given bytes. (fst's own `starts_with` state is not
/// `Clone`, which streaming with states needs.)
pub struct Prefix<'q>(pub &'q [u8]);

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

/// Whether `key` starts with `query`'s first byte and holds the rest in order (bytes: a
/// candidate filter; [`subsequence_span`] decides by characters).
pub fn anchored_subsequence(key: &[u8], query: &[u8]) -> bool {
    let Some((first, rest)) = query.split_first() else { return false };
    if key.first() != Some(first) {
        return false;
    }
    let mut rest = rest.iter().peekable();
    for b in &key[1..] {
        if rest.peek() == Some(&b) {
            rest.next();
        }
    }
    rest.peek().is_none()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// `query | key` per line → the class.
    fn check(pairs: &str, expect: Expect) {
        let mut out = String::new();
        for line in pairs.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (q, k) = line.split_once(" | ").unwrap();
            out += &format!("{q} | {k}: {:?}\n", Classifier::new(q).classify(k));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn classes_and_their_thresholds() {
        check(
            "
            tokio | tokio
            tok | tokio runtime
            run | tokio runtime
            tokoi | tokio
            toki | tokyo
            potoh | photo
            phtosynthsis | photosynthesis
            fotosynth | photosynthesis
            fotos | photosynthesis
            ap | async pipeline
            apr | async pipeline
            tkrt | tokio runtime
            tkr | tokio runtime
            okio | tokio
            rntime | runtime
            ",
            expect![[r#"
                tokio | tokio: Some(Exact)
                tok | tokio runtime: Some(Prefix)
                run | tokio runtime: Some(WordPrefix)
                tokoi | tokio: Some(Typo(1))
                toki | tokyo: Some(Typo(1))
                potoh | photo: Some(Typo(2))
                phtosynthsis | photosynthesis: Some(Typo(2))
                fotosynth | photosynthesis: Some(Typo(2))
                fotos | photosynthesis: None
                ap | async pipeline: Some(Initials)
                apr | async pipeline: None
                tkrt | tokio runtime: Some(Subsequence(9))
                tkr | tokio runtime: Some(Subsequence(6))
                okio | tokio: Some(Typo(1))
                rntime | runtime: Some(Typo(1))
            "#]],
        );
    }

    #[test]
    fn bands_keep_the_rank_order() {
        let all = [
            Quality::Exact,
            Quality::Prefix,
            Quality::WordPrefix,
            Quality::Typo(1),
            Quality::Typo(2),
            Quality::Initials,
            Quality::Subsequence(3),
            Quality::Text,
        ];
        assert!(all.windows(2).all(|w| w[0] < w[1] && w[0].tier() <= w[1].tier()));
    }
}
