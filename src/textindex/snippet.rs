//! Where a query matches in a text, and the lines that show it best.
//!
//! A [`Matcher`] runs the index's own analyzer over the text, so it matches exactly what the
//! index matched, and reports byte ranges in the text as given: the caller hands over the
//! document as it is now (an open buffer, or the file) and converts the ranges to its own
//! coordinates. Reads nothing, knows no protocol types.

use std::ops::Range;

/// The most bytes of a line a snippet shows; a longer line is cut around its first match.
pub const MAX_SNIPPET_BYTES: usize = 200;

/// The query's token sequences: any occurrence of one is a match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matcher {
    pub(super) patterns: Vec<Pattern>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pattern {
    pub tokens: Vec<String>,
    /// The last token also matches a token it is a prefix of.
    pub prefix: bool,
}

/// A line of a document that shows matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// Where `text` starts in the document, in bytes.
    pub start: usize,
    /// A part of the document, exactly as it is there.
    pub text: String,
    /// The matches, as byte ranges in `text`.
    pub highlights: Vec<Range<usize>>,
}

impl Matcher {
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The first match in `text`: reads only as far as it.
    pub fn first(&self, text: &str) -> Option<Range<usize>> {
        let longest = self.patterns.iter().map(|p| p.tokens.len()).max()?;
        let mut analyzer = super::analyzer();
        let mut stream = analyzer.token_stream(text);
        // The last `longest` tokens, enough for any pattern to end at the newest one.
        let mut window: std::collections::VecDeque<(String, Range<usize>)> = Default::default();
        let mut best: Option<Range<usize>> = None;
        // Tokens read since the first match: a longer pattern at the same start ends within
        // `longest - 1` more.
        let mut since = 0;
        while stream.advance() {
            let t = stream.token();
            if best.is_some() {
                since += 1;
                if since >= longest {
                    break;
                }
            }
            if window.len() == longest {
                window.pop_front();
            }
            window.push_back((t.text.clone(), t.offset_from..t.offset_to));
            for p in &self.patterns {
                let n = p.tokens.len();
                if n == 0 || window.len() < n {
                    continue;
                }
                let at = window.len() - n;
                let hit = p.tokens.iter().enumerate().all(|(k, want)| {
                    let have = &window[at + k].0;
                    have == want || (p.prefix && k + 1 == n && have.starts_with(want.as_str()))
                });
                if hit {
                    let r = window[at].1.start..window[window.len() - 1].1.end;
                    if best.as_ref().is_none_or(|b| r.start < b.start || (r.start == b.start && r.end > b.end)) {
                        best = Some(r);
                    }
                }
            }
        }
        best
    }

    /// Every match in `text`, as byte ranges, in order and not overlapping.
    pub fn matches(&self, text: &str) -> Vec<Range<usize>> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let mut analyzer = super::analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut tokens: Vec<(String, Range<usize>)> = Vec::new();
        while stream.advance() {
            let t = stream.token();
            tokens.push((t.text.clone(), t.offset_from..t.offset_to));
        }
        let mut found: Vec<Range<usize>> = Vec::new();
        for p in &self.patterns {
            let n = p.tokens.len();
            if n == 0 || tokens.len() < n {
                continue;
            }
            for at in 0..=tokens.len() - n {
                let hit = p.tokens.iter().enumerate().all(|(k, want)| {
                    let have = &tokens[at + k].0;
                    have == want || (p.prefix && k + 1 == n && have.starts_with(want.as_str()))
                });
                if hit {
                    found.push(tokens[at].1.start..tokens[at + n - 1].1.end);
                }
            }
        }
        found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut out: Vec<Range<usize>> = Vec::with_capacity(found.len());
        for r in found {
            match out.last_mut() {
                Some(last) if r.start < last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        out
    }
}

/// Up to `max` lines of `text` that show `matches` best (the most matches first, then the
/// earliest), in document order.
pub fn snippets(text: &str, matches: &[Range<usize>], max: usize) -> Vec<Snippet> {
    // (line start, line end, matches on it)
    let mut lines: Vec<(usize, usize, Vec<Range<usize>>)> = Vec::new();
    for m in matches {
        match lines.last_mut() {
            Some((_, end, ms)) if m.start < *end => ms.push(m.clone()),
            _ => {
                let start = text[..m.start].rfind('\n').map_or(0, |i| i + 1);
                let end = text[m.start..].find('\n').map_or(text.len(), |i| m.start + i);
                lines.push((start, end.max(m.end), vec![m.clone()]));
            }
        }
    }
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(lines[i].2.len()), i));
    order.truncate(max);
    order.sort_unstable();
    order.into_iter().map(|i| snippet(text, &lines[i])).collect()
}

fn snippet(text: &str, (start, end, ms): &(usize, usize, Vec<Range<usize>>)) -> Snippet {
    let (mut from, mut to) = (*start, *end);
    // Leading and trailing blanks are not shown.
    while from < to && text.as_bytes()[from].is_ascii_whitespace() {
        from += 1;
    }
    while to > from && text.as_bytes()[to - 1].is_ascii_whitespace() {
        to -= 1;
    }
    if to - from > MAX_SNIPPET_BYTES {
        // Around the first match: a little before it, the rest after, cut between words.
        let first = ms[0].start.max(from);
        let start = floor_char(text, first.saturating_sub(MAX_SNIPPET_BYTES / 4).max(from));
        if start > from {
            // After the first blank at or past the cut, unless that passes the match.
            from = text[start..first].find(char::is_whitespace).map_or(start, |i| start + i + 1);
        }
        let end = floor_char(text, (from + MAX_SNIPPET_BYTES).min(to)).max(ms[0].end.min(to));
        if end < to {
            // Before the last blank, unless that cuts the first match.
            to = text[ms[0].end.min(end)..end].rfind(char::is_whitespace).map_or(end, |i| ms[0].end.min(end) + i);
        }
    }
    let highlights =
        ms.iter().filter(|m| m.start >= from && m.end <= to).map(|m| m.start - from..m.end - from).collect();
    Snippet { start: from, text: text[from..to].to_string(), highlights }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
