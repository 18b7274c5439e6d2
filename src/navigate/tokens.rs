//! Semantic tokens and inlay hints: which words of a text are terms of the graph, what kind of
//! term each is, and the encodings the protocol wants for them.
//!
//! Owns three things, all pure:
//! - [`tokens`]: every term of a text as a [`Token`] (bytes and a [`TermKind`]). Terms come from
//!   [`super::mentions`] (the one scanner of prose); avoided terms, which the term index does not
//!   hold, come from the avoided-term check ([`crate::check::check_document`]), so both agree with
//!   what the diagnostics say. Where the two overlap, the avoided term wins: the check already
//!   chose it as the longest phrase there.
//! - [`encode`]: the relative encoding of semantic tokens (`deltaLine, deltaStart, length, type,
//!   modifiers` per token) in the client's column units. A token is never longer than its line:
//!   a multi-word term broken over two lines becomes one token per line (the protocol's
//!   multi-line tokens are optional and their length across a line break is not defined).
//! - [`delta`]: the one edit that turns an encoded array into another (common prefix and suffix
//!   in whole tokens), and [`hints`]: the canonical name after each synonym.
//!
//! A term two concepts claim is a canonical token if it is the name of any of them, else a
//! synonym; its hint names every concept it is a synonym of. Must not know protocol types or
//! read files: positions are byte offsets and [`LineCol`]s; the LSP layer builds the JSON.

use std::ops::Range;

use super::mentions::{Kind, Mention, mentions, mentions_in, prose_of, scanned_ranges};
use crate::check::{CheckId, Level, Levels, Terminology, check_document};
use crate::index::TermIndex;
use crate::kg::Graph;
use crate::text::{Encoding, LineIndex};

/// The token types of the legend, in order: a term is the standard `type`, which every theme
/// colours and which Neovim links to `@type` and lsp-mode to `font-lock-type-face`.
pub const TOKEN_TYPES: &[&str] = &["type"];

/// The token modifiers of the legend, in bit order. `deprecated` (the standard modifier, which
/// Neovim strikes through by default) goes with `avoided` and is last, so that a client that
/// does not declare it gets a legend without it and the other bits unchanged.
pub const TOKEN_MODIFIERS: &[&str] = &["canonical", "synonym", "avoided", "deprecated"];

/// The bit of each modifier in [`TOKEN_MODIFIERS`].
pub mod modifier {
    pub const CANONICAL: u32 = 1 << 0;
    pub const SYNONYM: u32 = 1 << 1;
    pub const AVOIDED: u32 = 1 << 2;
    pub const DEPRECATED: u32 = 1 << 3;
}

/// What a term is to the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// The name of a concept (of any concept that claims it).
    Canonical,
    /// A synonym of a concept, and the name of none.
    Synonym,
    /// A term the graph says to avoid (`avoid::`).
    Avoided,
}

impl TermKind {
    /// The modifier bits of the kind (before the client's mask).
    pub fn modifiers(self) -> u32 {
        match self {
            TermKind::Canonical => modifier::CANONICAL,
            TermKind::Synonym => modifier::SYNONYM,
            TermKind::Avoided => modifier::AVOIDED | modifier::DEPRECATED,
        }
    }
}

/// A term in a text: its bytes (possibly over a line break) and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub range: Range<usize>,
    pub kind: TermKind,
}

/// What a text's terms are looked up in.
#[derive(Clone, Copy)]
pub struct Terms<'a> {
    pub graph: &'a Graph,
    pub terms: &'a TermIndex,
    pub terminology: &'a Terminology,
}

/// Every term of `text`, in order and without overlaps. `code`: terms in code blocks and inline
/// code count too (avoided terms are found in prose only, as the check finds them).
pub fn tokens(text: &str, kind: Kind, t: Terms<'_>, code: bool) -> Vec<Token> {
    let prose = prose_of(text, kind);
    let walk = || mentions_parallel(&prose, &scanned_ranges(&prose, code), t.terms);
    // A long text's avoided terms are looked for beside the term walk, on a thread of their own.
    let (avoided, found) = if t.terminology.has_avoided() && text.len() >= PART_BYTES {
        std::thread::scope(|scope| {
            let avoided = scope.spawn(|| avoided_ranges(text, kind, t.terminology));
            let found = walk();
            (avoided.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), found)
        })
    } else {
        (avoided_ranges(text, kind, t.terminology), walk())
    };
    let mut out: Vec<Token> = Vec::new();
    let mut next_avoided = avoided.iter().peekable();
    for m in found {
        // Avoided terms that end before this mention come first.
        while let Some(a) = next_avoided.next_if(|a| a.end <= m.range.start) {
            out.push(Token { range: a.clone(), kind: TermKind::Avoided });
        }
        if next_avoided.peek().is_some_and(|a| a.start < m.range.end) {
            continue; // Overlaps an avoided term, which wins.
        }
        out.extend(of_mention(m, t.terms));
    }
    out.extend(next_avoided.map(|a| Token { range: a.clone(), kind: TermKind::Avoided }));
    out
}

/// The token of a mention: canonical when any concept that claims it has it as its name.
fn of_mention(m: Mention, terms: &TermIndex) -> Option<Token> {
    let claims = terms.map.group(m.key);
    if claims.is_empty() {
        return None;
    }
    let kind = if claims.iter().any(|c| c.term == 0) { TermKind::Canonical } else { TermKind::Synonym };
    Some(Token { range: m.range, kind })
}

/// The avoided terms of `text`, as the avoided-term check finds them (in a concept file, not in
/// its property lines).
fn avoided_ranges(text: &str, kind: Kind, terminology: &Terminology) -> Vec<Range<usize>> {
    if !terminology.has_avoided() {
        return Vec::new();
    }
    let mut levels = Levels::default();
    for check in CheckId::ALL {
        levels.set(check, Level::Off);
    }
    levels.set(CheckId::AvoidedTerm, Level::Hint);
    let mut found: Vec<Range<usize>> = check_document(&prose_of(text, kind), terminology, &levels)
        .into_iter()
        .filter(|f| f.check == CheckId::AvoidedTerm)
        .map(|f| f.range)
        .collect();
    found.sort_by_key(|r| (r.start, r.end));
    found.dedup_by(|b, a| b.start < a.end);
    found
}

/// Each token's line pieces in the relative encoding: five numbers per piece, for the tokens
/// that overlap `within` (all of them when `None`). `mask` keeps the modifier bits the legend
/// has.
pub fn encode(
    text: &str,
    index: &LineIndex,
    tokens: &[Token],
    enc: Encoding,
    mask: u32,
    within: Option<Range<usize>>,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.len() * 5);
    let mut cols = Columns::new(text, index, enc);
    let mut last = (0u32, 0u32);
    for t in tokens {
        if let Some(w) = &within
            && (t.range.end <= w.start || t.range.start >= w.end)
        {
            continue;
        }
        encode_one(text, t, &mut cols, mask, &mut last, &mut out);
    }
    out
}

/// Appends the pieces of `t` to `out`, each relative to `last` (the line and column of the
/// piece before), which it moves on; returns how many pieces there were.
fn encode_one(
    text: &str,
    t: &Token,
    cols: &mut Columns<'_>,
    mask: u32,
    last: &mut (u32, u32),
    out: &mut Vec<u32>,
) -> u32 {
    let mut n = 0;
    for_pieces(text, cols.index, t.range.clone(), |piece| {
        let (line, start) = cols.at(piece.start);
        let len = units(&text[piece], cols.enc);
        let delta_line = line - last.0;
        let delta_start = if delta_line == 0 { start - last.1 } else { start };
        out.extend([delta_line, delta_start, len, 0, t.kind.modifiers() & mask]);
        *last = (line, start);
        n += 1;
    });
    n
}

/// Calls `f` with each line piece of `range` (see [`line_pieces`]), without allocating for a
/// range on one line.
fn for_pieces(text: &str, index: &LineIndex, range: Range<usize>, mut f: impl FnMut(Range<usize>)) {
    if memchr2(b'\n', b'\r', &text.as_bytes()[range.clone()]) {
        line_pieces(text, index, range).into_iter().for_each(f);
    } else if let Some(piece) = trimmed(text, range) {
        f(piece);
    }
}

/// Whether `bytes` holds `a` or `b`.
fn memchr2(a: u8, b: u8, bytes: &[u8]) -> bool {
    bytes.iter().any(|&x| x == a || x == b)
}

/// `range` of one line without the blanks (and a blockquote's `>`) around it; `None` when
/// nothing is left.
fn trimmed(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let piece = &text[range.clone()];
    let start = piece.trim_start_matches(|c: char| c.is_whitespace() || c == '>');
    let kept = start.trim_end();
    let s = range.start + (piece.len() - start.len());
    (!kept.is_empty()).then(|| s..s + kept.len())
}

/// The parts of `range` on each of its lines, without the line breaks and the blanks (and a
/// blockquote's `>`) around them.
fn line_pieces(text: &str, index: &LineIndex, range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let line = index.line_col(text, at, Encoding::Utf8).line;
        let Some(lr) = index.line_range(text, line) else { break };
        let end = range.end.min(lr.end.max(at));
        out.extend(trimmed(text, at..end));
        // On to the next line's start, past this line's terminator.
        let next = index.line_range(text, line + 1).map_or(range.end, |r| r.start);
        if next <= at {
            break;
        }
        at = next;
    }
    out
}

/// Line and column of offsets visited in order, counting each line's units once.
struct Columns<'a> {
    text: &'a str,
    index: &'a LineIndex,
    enc: Encoding,
    /// The line, a byte offset on it and that offset's column.
    at: Option<(u32, usize, u32)>,
    /// The last line asked for and its start.
    line: Option<(u32, usize)>,
}

impl<'a> Columns<'a> {
    fn new(text: &'a str, index: &'a LineIndex, enc: Encoding) -> Columns<'a> {
        Columns { text, index, enc, at: None, line: None }
    }

    /// The line and column of `offset`, a character boundary: from the last offset when it is
    /// on the same line and not after `offset`, else from the line's start.
    fn at(&mut self, offset: usize) -> (u32, u32) {
        let (line, line_start) = self.line_of(offset);
        let col = match self.at {
            Some((l, from, col)) if l == line && from <= offset => col + units(&self.text[from..offset], self.enc),
            _ => units(&self.text[line_start..offset], self.enc),
        };
        self.at = Some((line, offset, col));
        (line, col)
    }

    /// The line of `offset` and that line's start, moving on from the last line asked for when
    /// offsets come in order (a binary search when they go back).
    fn line_of(&mut self, offset: usize) -> (u32, usize) {
        let start = |l: u32| self.index.line_range(self.text, l).map(|r| r.start);
        let (mut line, mut line_start) = match self.line {
            Some((l, s)) if s <= offset => (l, s),
            _ => {
                let l = self.index.line_col(self.text, offset, Encoding::Utf8).line;
                (l, start(l).unwrap_or(0))
            }
        };
        while let Some(next) = start(line + 1).filter(|&n| n <= offset) {
            (line, line_start) = (line + 1, next);
        }
        self.line = Some((line, line_start));
        (line, line_start)
    }
}

fn units(s: &str, enc: Encoding) -> u32 {
    match enc {
        Encoding::Utf8 => s.len() as u32,
        Encoding::Utf16 => s.chars().map(char::len_utf16).sum::<usize>() as u32,
    }
}

/// One edit of an encoded array: replace `delete_count` numbers from `start` with `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub delete_count: u32,
    pub data: Vec<u32>,
}

/// The single edit that turns `old` into `new`, in whole tokens (multiples of five numbers);
/// `None` when they are equal.
pub fn delta(old: &[u32], new: &[u32]) -> Option<Edit> {
    if old == new {
        return None;
    }
    let (o, n): (Vec<&[u32]>, Vec<&[u32]>) = (old.chunks(5).collect(), new.chunks(5).collect());
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let suffix = o[prefix..].iter().rev().zip(n[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (start, old_end, new_end) = (prefix * 5, old.len() - suffix * 5, new.len() - suffix * 5);
    Some(Edit { start: start as u32, delete_count: (old_end - start) as u32, data: new[start..new_end].to_vec() })
}

/// `old` with `edit` applied (what a client does with a delta).
pub fn apply(old: &[u32], edit: &Edit) -> Vec<u32> {
    let (s, d) = (edit.start as usize, edit.delete_count as usize);
    let mut out = old[..s.min(old.len())].to_vec();
    out.extend(&edit.data);
    out.extend(&old[(s + d).min(old.len())..]);
    out
}

/// How a document's tokens are found and encoded: what a kept result must share with a new
/// request for an update from it to be valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setup {
    pub kind: Kind,
    /// Terms in code count too.
    pub code: bool,
    pub enc: Encoding,
    /// The modifier bits the legend has.
    pub mask: u32,
}

/// A text's tokens with their encoding, and what an update needs to redo only the part of them
/// an edit touches: the ranges that were scanned and where each token's pieces start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub setup: Setup,
    /// The ranges [`mentions_in`] scanned (empty for a concept file, which is never updated).
    scanned: Vec<Range<usize>>,
    pub tokens: Vec<Token>,
    /// The piece (five numbers of `data`) each token starts at, and the number of pieces last.
    starts: Vec<u32>,
    /// The encoded tokens, as [`encode`] gives them for the whole text.
    pub data: Vec<u32>,
}

impl Encoded {
    /// Every token of `text` (as [`tokens`]), encoded (as [`encode`], without a range).
    pub fn new(text: &str, index: &LineIndex, t: Terms<'_>, setup: Setup) -> Encoded {
        if setup.kind == Kind::Document && !t.terminology.has_avoided() {
            return encode_in_parts(text, index, t, setup, &scanned_ranges(text, setup.code));
        }
        let (scanned, tokens) = (Vec::new(), tokens(text, setup.kind, t, setup.code));
        let mut cols = Columns::new(text, index, setup.enc);
        let (mut data, mut starts) = (Vec::with_capacity(tokens.len() * 5), Vec::with_capacity(tokens.len() + 1));
        let (mut last, mut n) = ((0, 0), 0);
        for tok in &tokens {
            starts.push(n);
            n += encode_one(text, tok, &mut cols, setup.mask, &mut last, &mut data);
        }
        starts.push(n);
        Encoded { setup, scanned, tokens, starts, data }
    }

    /// The tokens of `new`, an edit of `old` (the text this was encoded from), and the edit of
    /// [`Encoded::data`] that gives their encoding; the edit is `None` when nothing changed.
    /// `t` must be what `self` was found with (the caller knows when the graph changed).
    ///
    /// Only the blocks the edit touches are scanned again: the text from the blank line before
    /// the first changed byte to the blank line after the last (no mention crosses a blank
    /// line), when the prose outside them is what it was. Otherwise (a code fence opened or
    /// closed, a concept file, a graph with avoided terms, another setup) every token is found
    /// again and the edit is [`delta`]'s.
    pub fn update(
        &self,
        old: &str,
        new: &str,
        index: &LineIndex,
        t: Terms<'_>,
        setup: Setup,
    ) -> (Encoded, Option<Edit>) {
        let incremental = setup == self.setup && setup.kind == Kind::Document && !t.terminology.has_avoided();
        if let Some(done) = incremental.then(|| self.splice(old, new, index, t)).flatten() {
            return done;
        }
        let fresh = Encoded::new(new, index, t, setup);
        let edit = delta(&self.data, &fresh.data);
        (fresh, edit)
    }

    fn splice(&self, old: &str, new: &str, index: &LineIndex, t: Terms<'_>) -> Option<(Encoded, Option<Edit>)> {
        let (changed, changed_old) = changed(old, new);
        if old == new {
            return Some((self.clone(), None));
        }
        // The window [from, to) of `new`, [from, to_old) of `old`: whole blocks around the change.
        let from = block_start(new, changed.start);
        let to = block_end(new, changed.end);
        let to_old = to - changed.end + changed_old.end;
        let shift = |x: usize| x + to - to_old;
        let scanned = scanned_ranges(new, self.setup.code);
        // The prose outside the window must be what it was.
        let before = |r: &[Range<usize>]| clipped(r, 0, from).collect::<Vec<_>>();
        let after = |r: &[Range<usize>], at: usize, len: usize| clipped(r, at, len).collect::<Vec<_>>();
        if before(&self.scanned) != before(&scanned) {
            return None;
        }
        let old_after: Vec<Range<usize>> =
            after(&self.scanned, to_old, old.len()).into_iter().map(|r| shift(r.start)..shift(r.end)).collect();
        if old_after != after(&scanned, to, new.len()) {
            return None;
        }
        let window: Vec<Range<usize>> = clipped(&scanned, from, to).collect();
        let mut found = Vec::new();
        mentions_in(new, &window, t.terms, &mut found);
        let middle: Vec<Token> = found.into_iter().filter_map(|m| of_mention(m, t.terms)).collect();
        // Old tokens [a, c) are replaced by `middle`; token c, the first after the window, is
        // encoded again too, since its first piece is relative to the one before it.
        let a = self.tokens.partition_point(|x| x.range.start < from);
        let c = self.tokens.partition_point(|x| x.range.start < to_old);
        let d = (c + 1).min(self.tokens.len());
        let mut cols = Columns::new(new, index, self.setup.enc);
        let mut last = (0, 0);
        // Relative to the last piece before the window (of the last token before it that has any).
        let mut b = a;
        while b > 0 && self.starts[b - 1] == self.starts[b] {
            b -= 1;
        }
        if b > 0 {
            for_pieces(new, index, self.tokens[b - 1].range.clone(), |p| last = cols.at(p.start));
        }
        let moved =
            self.tokens[c..d].iter().map(|x| Token { range: shift(x.range.start)..shift(x.range.end), kind: x.kind });
        let redone: Vec<Token> = middle.into_iter().chain(moved).collect();
        let mut data = Vec::with_capacity(redone.len() * 5);
        let mut counts = Vec::with_capacity(redone.len());
        for tok in &redone {
            counts.push(encode_one(new, tok, &mut cols, self.setup.mask, &mut last, &mut data));
        }
        // The new state: the old parts around the redone tokens, the later ones shifted.
        let (p0, p1) = (self.starts[a] as usize, self.starts[d] as usize);
        let mut tokens = Vec::with_capacity(self.tokens.len() + redone.len() + 1 - (d - a));
        tokens.extend_from_slice(&self.tokens[..a]);
        tokens.extend(redone);
        tokens.extend(
            self.tokens[d..].iter().map(|x| Token { range: shift(x.range.start)..shift(x.range.end), kind: x.kind }),
        );
        let mut starts = Vec::with_capacity(tokens.len() + 1);
        starts.extend_from_slice(&self.starts[..a]);
        let mut n = p0 as u32;
        for k in counts {
            starts.push(n);
            n += k;
        }
        let moved_by = |s: u32| s - p1 as u32 + n;
        starts.extend(self.starts[d..].iter().map(|&s| moved_by(s)));
        let mut all = Vec::with_capacity(self.data.len() + data.len());
        all.extend_from_slice(&self.data[..p0 * 5]);
        all.extend_from_slice(&data);
        all.extend_from_slice(&self.data[p1 * 5..]);
        // The edit: the redone numbers without the tokens at either end that did not change.
        let was = &self.data[p0 * 5..p1 * 5];
        let same = |x: &[u32], y: &[u32]| x == y;
        let pre = was.chunks(5).zip(data.chunks(5)).take_while(|(x, y)| same(x, y)).count();
        let post =
            was[pre * 5..].chunks(5).rev().zip(data[pre * 5..].chunks(5).rev()).take_while(|(x, y)| same(x, y)).count();
        let edit = (was != data.as_slice()).then(|| Edit {
            start: ((p0 + pre) * 5) as u32,
            delete_count: (was.len() - (pre + post) * 5) as u32,
            data: data[pre * 5..data.len() - post * 5].to_vec(),
        });
        Some((Encoded { setup: self.setup, scanned, tokens, starts, data: all }, edit))
    }
}

/// The least bytes of text worth another thread for its tokens.
const PART_BYTES: usize = 32 * 1024;

/// `f` of each part of `text`, in order: the text cut at blank lines (where the term walk stops)
/// into one part per core when it is long, so that each part can be walked alone and the parts'
/// results joined in order are the whole text's. A user waits on a whole document's tokens.
fn in_parts<T: Send>(text: &str, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    // One part per core: each part learns the text's common words afresh (its own memo).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let parts = (text.len() / PART_BYTES).clamp(1, cores);
    let mut cuts = vec![0];
    for i in 1..parts {
        let cut = block_end(text, text.len() * i / parts);
        if cut > cuts[cuts.len() - 1] && cut < text.len() {
            cuts.push(cut);
        }
    }
    cuts.push(text.len());
    if cuts.len() == 2 {
        return vec![f(0..text.len())];
    }
    crate::par::map_in_order(cuts.len() - 1, |i| f(cuts[i]..cuts[i + 1]))
}

/// The mentions within `scanned` of `part` of `text`.
fn mentions_of_part(text: &str, scanned: &[Range<usize>], terms: &TermIndex, part: Range<usize>) -> Vec<Mention> {
    let window: Vec<Range<usize>> = clipped(scanned, part.start, part.end).collect();
    let mut found = Vec::new();
    mentions_in(text, &window, terms, &mut found);
    found
}

/// The mentions within `scanned` of `text`, as [`mentions_in`] finds them, walked in parts
/// ([`in_parts`]).
fn mentions_parallel(text: &str, scanned: &[Range<usize>], terms: &TermIndex) -> Vec<Mention> {
    in_parts(text, |part| mentions_of_part(text, scanned, terms, part)).into_iter().flatten().collect()
}

/// One part's tokens encoded as if it were the whole text: its first piece relative to line 0.
struct EncodedPart {
    tokens: Vec<Token>,
    /// Where each token's pieces start in `data`, in pieces.
    starts: Vec<u32>,
    data: Vec<u32>,
    pieces: u32,
    /// The line and column of the last piece.
    last: (u32, u32),
}

/// A document's tokens found and encoded in parts ([`in_parts`]), joined: the first piece of
/// each part is made relative to the last piece of the parts before it.
fn encode_in_parts(text: &str, index: &LineIndex, t: Terms<'_>, setup: Setup, scanned: &[Range<usize>]) -> Encoded {
    let parts = in_parts(text, |part| {
        let tokens: Vec<Token> =
            mentions_of_part(text, scanned, t.terms, part).into_iter().filter_map(|m| of_mention(m, t.terms)).collect();
        let mut cols = Columns::new(text, index, setup.enc);
        let (mut data, mut starts) = (Vec::with_capacity(tokens.len() * 5), Vec::with_capacity(tokens.len()));
        let (mut last, mut pieces) = ((0, 0), 0);
        for tok in &tokens {
            starts.push(pieces);
            pieces += encode_one(text, tok, &mut cols, setup.mask, &mut last, &mut data);
        }
        EncodedPart { tokens, starts, data, pieces, last }
    });
    let count: usize = parts.iter().map(|p| p.tokens.len()).sum();
    let (mut tokens, mut starts, mut data) =
        (Vec::with_capacity(count), Vec::with_capacity(count + 1), Vec::with_capacity(count * 5));
    let (mut last, mut pieces) = ((0u32, 0u32), 0u32);
    for mut part in parts {
        if part.pieces > 0 {
            // The first piece holds its own line and column (relative to line 0, column 0).
            let (line, col) = (part.data[0], part.data[1]);
            part.data[0] = line - last.0;
            if line == last.0 {
                part.data[1] = col - last.1;
            }
            last = part.last;
        }
        tokens.extend(part.tokens);
        starts.extend(part.starts.iter().map(|s| s + pieces));
        data.extend(part.data);
        pieces += part.pieces;
    }
    starts.push(pieces);
    Encoded { setup, scanned: scanned.to_vec(), tokens, starts, data }
}

/// The bytes an edit changed: `(in new, in old)`, from the end of the common prefix to the
/// start of the common suffix, on character boundaries.
fn changed(old: &str, new: &str) -> (Range<usize>, Range<usize>) {
    let (o, n) = (old.as_bytes(), new.as_bytes());
    let mut p = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    while !new.is_char_boundary(p) {
        p -= 1;
    }
    let most = o.len().min(n.len()) - p;
    let mut s = o.iter().rev().zip(n.iter().rev()).take(most).take_while(|(a, b)| a == b).count();
    while !new.is_char_boundary(n.len() - s) {
        s -= 1;
    }
    (p..n.len() - s, p..o.len() - s)
}

/// Whether `b` is the end of a line break.
fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// The last offset at or before `at` that starts a block: 0, or the end of two line breaks with
/// only spaces and tabs between them (`\r\n` is one break), where the term walk stops.
fn block_start(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut k = at;
    // `k` is a candidate end: the byte before it ends a break.
    while k > 0 {
        if is_break(b[k - 1]) && !(b[k - 1] == b'\r' && b.get(k) == Some(&b'\n')) {
            // The break before `k` starts at `j`.
            let mut j = k - 1;
            if b[j] == b'\n' && j > 0 && b[j - 1] == b'\r' {
                j -= 1;
            }
            let mut m = j;
            while m > 0 && (b[m - 1] == b' ' || b[m - 1] == b'\t') {
                m -= 1;
            }
            if m > 0 && is_break(b[m - 1]) {
                return k;
            }
        }
        k -= 1;
    }
    0
}

/// The first offset at or after `at` that ends two line breaks (as in [`block_start`]) both at
/// or after `at`, or the text's end.
fn block_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let unit_end = |k: usize| if b[k] == b'\r' && b.get(k + 1) == Some(&b'\n') { k + 2 } else { k + 1 };
    let mut k = at;
    while k < b.len() {
        if is_break(b[k]) {
            let mut j = unit_end(k);
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if j < b.len() && is_break(b[j]) {
                return unit_end(j);
            }
            k = unit_end(k);
        } else {
            k += 1;
        }
    }
    b.len()
}

/// The parts of `ranges` (in order, without overlaps) within `[from, to)`, the empty ones left out.
fn clipped(ranges: &[Range<usize>], from: usize, to: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let first = ranges.partition_point(|r| r.end <= from);
    ranges[first..]
        .iter()
        .take_while(move |r| r.start < to)
        .map(move |r| r.start.max(from)..r.end.min(to))
        .filter(|r| !r.is_empty())
}

/// An inlay hint: a label to show at a byte offset (the end of a synonym).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub offset: usize,
    /// `→ name`, with every concept the synonym is a synonym of.
    pub label: String,
    /// What the hint means, for a tooltip.
    pub tooltip: String,
}

/// After each synonym that overlaps `within`, the canonical name of its concept. `code`: as in
/// [`tokens`].
pub fn hints(text: &str, kind: Kind, t: Terms<'_>, code: bool, within: Range<usize>) -> Vec<Hint> {
    let mut out = Vec::new();
    for m in mentions(text, kind, t.terms, code) {
        if m.range.end < within.start || m.range.start > within.end {
            continue;
        }
        let claims = t.terms.map.group(m.key);
        if claims.is_empty() || claims.iter().any(|c| c.term == 0) {
            continue;
        }
        let mut names: Vec<&str> = claims.iter().map(|c| t.graph.concept(c.concept).name()).collect();
        names.dedup();
        let written = &text[m.range.clone()];
        out.push(Hint {
            offset: m.range.end,
            label: format!("→ {}", names.join(" | ")),
            tooltip: format!("“{}” is a synonym of {}", written.split_whitespace().collect::<Vec<_>>().join(" "), {
                let quoted: Vec<String> = names.iter().map(|n| format!("“{n}”")).collect();
                quoted.join(" and ")
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::analysis::fixture::analysis;

    const GRAPH: &str = r#"
//- kg/tokio runtime.md
# Tokio Runtime
synonyms:: tokio rt, async runtime
//- kg/tokio.md
# tokio
//- kg/worker pool.md
# worker pool
avoid:: slave pool
//- kg/kubernetes.md
# kubernetes
synonyms:: k8s, kube
//- kg/kube.md
# kube
//- kg/container platform.md
# container platform
synonyms:: k8s
"#;

    /// Every encoded token of `text` (UTF-16 columns, every modifier), decoded back to absolute
    /// `line:col+len` with its text and modifiers; `within` as bytes.
    fn check(text: &str, kind: Kind, code: bool, within: Option<Range<usize>>, expect: Expect) {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let found = tokens(text, kind, t, code);
        let index = LineIndex::new(text);
        let data = encode(text, &index, &found, Encoding::Utf16, u32::MAX, within);
        expect.assert_eq(&decode(text, &index, &data).join("\n"));
    }

    fn decode(text: &str, index: &LineIndex, data: &[u32]) -> Vec<String> {
        let (mut line, mut col) = (0, 0);
        let mut out = Vec::new();
        for t in data.chunks(5) {
            if t[0] > 0 {
                (line, col) = (line + t[0], t[1]);
            } else {
                col += t[1];
            }
            let from = index.offset(text, crate::text::LineCol { line, col }, Encoding::Utf16);
            let to = index.offset(text, crate::text::LineCol { line, col: col + t[2] }, Encoding::Utf16);
            let mods: Vec<&str> =
                TOKEN_MODIFIERS.iter().enumerate().filter(|(i, _)| t[4] & (1 << i) != 0).map(|(_, m)| *m).collect();
            out.push(format!("{line}:{col}+{} {:?} {}", t[2], &text[from..to], mods.join(",")));
        }
        out
    }

    #[test]
    fn terms_are_canonical_synonym_or_avoided_and_split_per_line() {
        check(
            "The Tokio\n  runtime, an async runtime and k8s.\nOnce a slave pool of tokio rt.\n",
            Kind::Document,
            false,
            None,
            expect![[r#"
                0:4+5 "Tokio" canonical
                1:2+7 "runtime" canonical
                1:14+13 "async runtime" synonym
                1:32+3 "k8s" synonym
                2:7+10 "slave pool" avoided,deprecated
                2:21+8 "tokio rt" synonym"#]],
        );
    }

    #[test]
    fn a_term_over_a_crlf_line_break_is_split_without_the_break() {
        // Over two quoted lines it is no mention at all (the scanner's rule), so no token.
        check(
            "An async\r\nruntime.\r\n> An async\r\n> runtime\r\n",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:3+5 "async" synonym
            1:0+7 "runtime" synonym"#]],
        );
    }

    #[test]
    fn a_term_that_names_one_concept_and_is_a_synonym_of_another_is_canonical() {
        check(
            "kube and K8S",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:0+4 "kube" canonical
            0:9+3 "K8S" synonym"#]],
        );
    }

    #[test]
    fn columns_count_utf16_units_of_non_ascii_text() {
        check(
            "café 😀 tokio — tokio rt",
            Kind::Document,
            false,
            None,
            expect![[r#"
            0:8+5 "tokio" canonical
            0:16+8 "tokio rt" synonym"#]],
        );
    }

    #[test]
    fn code_is_left_out_unless_asked_for_and_property_lines_always() {
        let text = "`tokio` and\n```\nk8s\n```\nkube\n";
        check(text, Kind::Document, false, None, expect![[r#"4:0+4 "kube" canonical"#]]);
        check(
            text,
            Kind::Document,
            true,
            None,
            expect![[r#"
            0:1+5 "tokio" canonical
            2:0+3 "k8s" synonym
            4:0+4 "kube" canonical"#]],
        );
        check(
            "# kubernetes\nsynonyms:: k8s, kube\navoid:: slave pool\n\nThe k8s.\n",
            Kind::ConceptFile,
            false,
            None,
            expect![[r#"
            0:2+10 "kubernetes" canonical
            4:4+3 "k8s" synonym"#]],
        );
    }

    #[test]
    fn a_range_keeps_the_tokens_that_overlap_it_encoded_from_the_start() {
        let text = "tokio\nkube\nk8s\n";
        check(text, Kind::Document, false, Some(7..9), expect![[r#"1:0+4 "kube" canonical"#]]);
    }

    #[test]
    fn a_delta_is_one_edit_that_gives_the_new_array() {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let enc = |text: &str| {
            encode(text, &LineIndex::new(text), &tokens(text, Kind::Document, t, false), Encoding::Utf16, 15, None)
        };
        let old = enc("tokio\nkube and k8s\ntokio rt\nkube\n");
        let new = enc("tokio\nkube, tokio and k8s\ntokio rt\nkube\n");
        let edit = delta(&old, &new).unwrap();
        assert_eq!(apply(&old, &edit), new);
        expect![[r#"Edit { start: 10, delete_count: 5, data: [0, 6, 5, 0, 1, 0, 10, 3, 0, 2] }"#]]
            .assert_eq(&format!("{edit:?}"));
        assert_eq!(delta(&new, &new), None);
        let gone = delta(&new, &[]).unwrap();
        assert_eq!((gone.start, gone.delete_count, apply(&new, &gone)), (0, new.len() as u32, vec![]));
        let grown = delta(&[], &new).unwrap();
        assert_eq!(apply(&[], &grown), new);
    }

    #[test]
    fn a_long_text_walked_in_parts_on_every_core_gives_the_mentions_of_one_walk() {
        let a = analysis(GRAPH);
        // Paragraphs with terms broken over lines, blank lines with blanks and CRLF, code.
        let paragraph = |i: usize| match i % 4 {
            0 => format!("Para {i} é: the Tokio\n runtime and k8s, tokio rt.\n\n"),
            1 => format!("An async\r\nruntime {i}.\r\n \t\r\n"),
            2 => format!("```\ntokio rt {i}\n```\n\n"),
            _ => format!("> quoted tokio runtime {i}\n   \n"),
        };
        let text: String = (0..12_000).map(paragraph).collect();
        assert!(text.len() > 8 * 32 * 1024, "long enough to be cut: {}", text.len());
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let index = LineIndex::new(&text);
        for code in [false, true] {
            let scanned = scanned_ranges(&text, code);
            let mut one = Vec::new();
            mentions_in(&text, &scanned, &a.terms, &mut one);
            assert!(one.len() > 10_000, "{}", one.len());
            assert!(one == mentions_parallel(&text, &scanned, &a.terms), "code: {code}");
            // Encoded in parts, the tokens, their pieces and the numbers are one encoding's.
            for enc in [Encoding::Utf8, Encoding::Utf16] {
                let tokens: Vec<Token> = one.iter().cloned().filter_map(|m| of_mention(m, &a.terms)).collect();
                let (mut cols, mut last, mut data, mut starts, mut n) =
                    (Columns::new(&text, &index, enc), (0, 0), Vec::new(), Vec::new(), 0);
                for tok in &tokens {
                    starts.push(n);
                    n += encode_one(&text, tok, &mut cols, u32::MAX, &mut last, &mut data);
                }
                starts.push(n);
                let setup = Setup { kind: Kind::Document, code, enc, mask: u32::MAX };
                let parts = encode_in_parts(&text, &index, t, setup, &scanned);
                assert!(parts.tokens == tokens, "code: {code}, {enc:?}");
                assert!(parts.starts == starts, "code: {code}, {enc:?}");
                assert!(parts.data == data, "code: {code}, {enc:?}");
            }
        }
    }

    /// The graph without its avoided term, so that updates take the incremental path.
    fn plain_graph() -> String {
        GRAPH.replace("avoid:: slave pool\n", "")
    }

    /// `text` with bytes `at..at + delete` (moved to character boundaries) replaced by `insert`.
    fn edited(text: &str, at: usize, delete: usize, insert: &str) -> String {
        let floor = |mut i: usize| {
            i = i.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (a, b) = (floor(at), floor(at + delete));
        format!("{}{insert}{}", &text[..a], &text[b..])
    }

    /// An update from `old` to `new` gives what encoding `new` afresh gives, and its edit turns
    /// the old numbers into the new ones.
    fn check_update(graph: &str, old: &str, new: &str, setup: Setup) -> Result<(), String> {
        let a = analysis(graph);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let kept = Encoded::new(old, &LineIndex::new(old), t, setup);
        let fresh = Encoded::new(new, &LineIndex::new(new), t, setup);
        let index = LineIndex::new(new);
        let whole = encode(new, &index, &tokens(new, setup.kind, t, setup.code), setup.enc, setup.mask, None);
        if fresh.data != whole || fresh.tokens != tokens(new, setup.kind, t, setup.code) {
            return Err(format!("Encoded::new differs from tokens and encode for {new:?}"));
        }
        let (updated, edit) = kept.update(old, new, &index, t, setup);
        if updated != fresh {
            return Err(format!("update {old:?} -> {new:?}:\n{updated:?}\nfresh:\n{fresh:?}"));
        }
        let applied = edit.as_ref().map_or(kept.data.clone(), |e| apply(&kept.data, e));
        if applied != fresh.data {
            return Err(format!("edit {edit:?} of {old:?} -> {new:?} gives {applied:?}, not {:?}", fresh.data));
        }
        if (edit.is_none()) != (kept.data == fresh.data) {
            return Err(format!(
                "edit {edit:?} when the numbers are {}",
                if kept.data == fresh.data { "equal" } else { "not equal" }
            ));
        }
        Ok(())
    }

    const DOC: Setup = Setup { kind: Kind::Document, code: false, enc: Encoding::Utf16, mask: u32::MAX };

    #[test]
    fn an_update_redoes_the_blocks_an_edit_touches_and_keeps_the_rest() {
        let old = "tokio and kube.\n\nAn async\nruntime here.\n\n```\nk8s\n```\n\nkube, tokio rt.\n";
        for (at, delete, insert) in [
            (0, 0, "k8s "),               // In the first block.
            (22, 0, " tokio"),            // In the second, whose term spans a line break.
            (21, 3, ""),                  // Breaking that term.
            (40, 0, "\n```\n"),           // A fence opened: the prose after it changes.
            (16, 1, ""),                  // Joining two blocks.
            (16, 0, "\n"),                // Splitting none.
            (3, 1000, ""),                // Deleting to the end.
            (5, 0, "\r\n\r\n kube \r\n"), // CRLF blank lines.
        ] {
            let new = edited(old, at, delete, insert);
            check_update(&plain_graph(), old, &new, DOC).unwrap();
            check_update(GRAPH, old, &new, DOC).unwrap();
            check_update(&plain_graph(), old, &new, Setup { code: true, enc: Encoding::Utf8, ..DOC }).unwrap();
        }
        // Another setup or kind of file is encoded afresh.
        let a = analysis(&plain_graph());
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let kept = Encoded::new(old, &LineIndex::new(old), t, DOC);
        let (new, _) = kept.update(old, old, &LineIndex::new(old), t, Setup { mask: 1, ..DOC });
        assert_eq!(new, Encoded::new(old, &LineIndex::new(old), t, Setup { mask: 1, ..DOC }));
    }

    #[test]
    fn blocks_start_and_end_at_blank_lines() {
        let text = "a\n\nb c\r\n \t\r\nd\n";
        let found: Vec<_> = (0..=text.len()).map(|i| (block_start(text, i), block_end(text, i))).collect();
        expect!["[(0, 3), (0, 3), (0, 12), (3, 12), (3, 12), (3, 12), (3, 12), (3, 12), (3, 14), (3, 14), (3, 14), (3, 14), (12, 14), (12, 14), (12, 14)]"]
            .assert_eq(&format!("{found:?}"));
    }

    proptest::proptest! {
        /// Any edit of any text: the update equals a fresh encoding, and its edit applies.
        #[test]
        fn any_update_equals_encoding_afresh(
            old in r"(tokio|Tokio|runtime|async|tokio rt|k8s|kube|slave|pool|kubernetes|café|é|x| |  |\n|\n\n|\r\n| \n\t\n|```\n|`|> |# |- |\.|,){0,40}",
            at in 0usize..200,
            delete in 0usize..20,
            insert in r"(tokio|runtime|async|rt|k8s|kube| |\n|\n\n|\r|```\n|`|> |é|x){0,4}",
            code in proptest::bool::ANY,
            utf8 in proptest::bool::ANY,
        ) {
            let new = edited(&old, at, delete, &insert);
            let setup = Setup { code, enc: if utf8 { Encoding::Utf8 } else { Encoding::Utf16 }, ..DOC };
            check_update(&plain_graph(), &old, &new, setup).map_err(proptest::test_runner::TestCaseError::fail)?;
            check_update(&plain_graph(), &new, &old, setup).map_err(proptest::test_runner::TestCaseError::fail)?;
        }
    }

    fn check_hints(text: &str, within: Range<usize>, expect: Expect) {
        let a = analysis(GRAPH);
        let t = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
        let found: Vec<String> = hints(text, Kind::Document, t, false, within)
            .iter()
            .map(|h| format!("{} {} ({})", h.offset, h.label, h.tooltip))
            .collect();
        expect.assert_eq(&found.join("\n"));
    }

    #[test]
    fn hints_name_the_concepts_of_each_synonym_in_the_range() {
        check_hints(
            "k8s, tokio rt, tokio, kube, async\nruntime",
            0..100,
            expect![[r#"
            3 → kubernetes | container platform (“k8s” is a synonym of “kubernetes” and “container platform”)
            13 → tokio runtime (“tokio rt” is a synonym of “tokio runtime”)
            41 → tokio runtime (“async runtime” is a synonym of “tokio runtime”)"#]],
        );
        check_hints("k8s, tokio rt", 5..6, expect!["13 → tokio runtime (“tokio rt” is a synonym of “tokio runtime”)"]);
    }
}
