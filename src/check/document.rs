//! The document checks: prose of a markdown or text document against the [`Terminology`].
//!
//! Owns matching the phrases of the prose ([`crate::text::prose`] finds it): the longest avoided term or synonym at
//! each word, else the longest near miss of a multi-word term. Pure: text in, findings out.

use std::ops::Range;

use super::terminology::{Avoided, Reach, Word, hash_str, scan};
use super::{CheckId, Edit, Finding, Fix, Levels, Terminology};
use crate::text::prose::{joined, prose_ranges};

pub(super) fn check(text: &str, terms: &Terminology, levels: &Levels) -> Vec<Finding> {
    let mut out = Vec::new();
    let on = [CheckId::AvoidedTerm, CheckId::NonCanonicalTerm, CheckId::NearMiss];
    if terms.is_empty() || !on.iter().any(|&c| levels.is_on(c)) {
        return out;
    }
    let mut scratch = Scratch::default();
    for prose in joined(text, prose_ranges(text)) {
        phrases_in(text, prose, terms, levels, &mut scratch, &mut out);
    }
    out
}

/// Buffers reused from one prose range to the next.
#[derive(Default)]
struct Scratch {
    buf: String,
    words: Vec<Word>,
    hashes: Vec<u64>,
    /// [`Terminology::near_mask`] of each word, when the near-miss check is on.
    masks: Vec<u64>,
}

fn phrases_in(
    text: &str,
    prose: Range<usize>,
    terms: &Terminology,
    levels: &Levels,
    s: &mut Scratch,
    out: &mut Vec<Finding>,
) {
    s.buf.clear();
    s.words.clear();
    scan(&text[prose.clone()], prose.start, &mut s.buf, &mut s.words);
    s.hashes.clear();
    s.hashes.extend(s.words.iter().map(|w| hash_str(&s.buf[w.key.clone()])));
    let avoided_on = levels.is_on(CheckId::AvoidedTerm);
    let synonyms_on = levels.is_on(CheckId::NonCanonicalTerm);
    let near_on = levels.is_on(CheckId::NearMiss) && terms.near_miss_max_words() >= 2;
    s.masks.clear();
    if near_on {
        s.masks.extend(s.hashes.iter().map(|&h| terms.near_mask(h)));
    }
    let reach = match () {
        _ if near_on => Reach::All,
        _ if synonyms_on => Reach::Synonyms,
        _ => Reach::Avoided,
    };
    let (words, buf) = (&s.words, s.buf.as_str());
    let mut i = 0;
    while i < words.len() {
        let key = |n: usize| &buf[words[i].key.start..words[i + n - 1].key.end];
        let span = |n: usize| words[i].src.start..words[i + n - 1].src.end;
        // The longest phrase starting at word i that is a term. An avoided term or a synonym is
        // a finding when its check is on; any term is never part of a near miss.
        let mut found = None;
        for n in (1..=terms.max_words_from(s.hashes[i], reach).min(words.len() - i)).rev() {
            let k = key(n);
            let Some(p) = terms.phrase(k) else { continue };
            found = Some((n, None));
            if let Some(a) = p.avoided {
                if avoided_on {
                    found = Some((n, Some(avoided(text, span(n), a, levels))));
                }
            } else if let Some(name) = p.synonym_of.filter(|_| synonyms_on) {
                found = Some((n, Some(non_canonical(text, span(n), name, levels))));
            }
            break;
        }
        if found.is_none() && near_on {
            for n in (2..=terms.near_miss_max_words().min(words.len() - i)).rev() {
                if let Some(near) = terms.near_miss(buf, &words[i..i + n], &s.masks[i..i + n]) {
                    found = Some((n, Some(near_miss(text, span(n), near.term, levels))));
                    break;
                }
            }
        }
        match found {
            Some((n, f)) => {
                out.extend(f);
                i += n;
            }
            None => i += 1,
        }
    }
}

/// `replacement` in the case `written` has it (`Slave pool` → `Worker pool`).
fn in_case_of(written: &str, replacement: &str) -> String {
    crate::text::infer_case(written, replacement).unwrap_or_else(|| replacement.to_string())
}

fn avoided(text: &str, span: Range<usize>, a: &Avoided, levels: &Levels) -> Finding {
    let message = format!("“{}” is an avoided term: use “{}”", &text[span.clone()], a.replacement);
    let mut f = replaceable(CheckId::AvoidedTerm, text, span, &a.replacement, message, true, levels);
    f.deprecated = true;
    f
}

fn non_canonical(text: &str, span: Range<usize>, name: &str, levels: &Levels) -> Finding {
    let message = format!("“{}” is a synonym of “{name}”; the canonical name is preferred", &text[span.clone()]);
    replaceable(CheckId::NonCanonicalTerm, text, span, name, message, true, levels)
}

fn near_miss(text: &str, span: Range<usize>, term: &str, levels: &Levels) -> Finding {
    let message = format!("“{}” is not a term, but close to “{term}”: a misspelling?", &text[span.clone()]);
    replaceable(CheckId::NearMiss, text, span, term, message, false, levels)
}

/// A finding of `check` at `span` whose one fix writes `term` there, in the case of the text.
fn replaceable(
    check: CheckId,
    text: &str,
    span: Range<usize>,
    term: &str,
    message: String,
    safe: bool,
    levels: &Levels,
) -> Finding {
    let replacement = in_case_of(&text[span.clone()], term);
    Finding {
        check,
        level: levels.get(check),
        range: span.clone(),
        message,
        deprecated: false,
        related: Vec::new(),
        fixes: vec![Fix {
            title: format!("Replace with “{replacement}”"),
            edits: vec![Edit::Replace { path: None, range: span, text: replacement }],
            safe,
        }],
    }
}
