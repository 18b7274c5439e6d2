//! The knowledge-graph checks on one source file: its own lines, and what the graph says about
//! them. Pure: bytes in, findings out.
//!
//! A concept file is read line by line the way the loader reads it (the same fence, heading and
//! `key::` rules, from `kg::markdown`), but keeping each item's bytes, so that a finding sits on
//! the name it is about. What other files say comes from the graph's term index
//! ([`Graph::term_table`]), built once per graph: checking a file costs its own size plus one
//! lookup per term, never a pass over the graph. A thesaurus is checked for being JSON at all.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::path::Path;

use fst::{IntoStreamer, Streamer};

use super::{CheckId, Edit, Finding, Fix, Levels, Related, Source, Terminology, broken};
use crate::index::{DfaAutomaton, MAX_FUZZY_CHARS};
use crate::kg::{Graph, SourceKind};
use crate::text::fold;

/// The most concept names an unknown related name suggests.
const MAX_SUGGESTIONS: usize = 3;
/// The most other claimants a term claimed twice points at.
const MAX_CLAIMANTS: usize = 5;

pub(super) fn check(
    path: &Path,
    source: Source<'_>,
    graph: &Graph,
    terms: &Terminology,
    levels: &Levels,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let bytes = match source {
        Source::Bytes(b) => b,
        Source::TooLarge { len, limit } => {
            broken(levels, &mut out, 0..0, format!("the file has {len} bytes, more than the {limit} read"));
            return out;
        }
    };
    if crate::text::is_binary(bytes) {
        broken(levels, &mut out, 0..0, "the file looks binary (it has a NUL byte); not read".to_string());
        return out;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let message = format!(
                "invalid UTF-8 at byte {at}: the loader reads such bytes as U+FFFD; the other checks skip this file"
            );
            broken(levels, &mut out, at..at + 1, message);
            return out;
        }
    };
    match crate::kg::kind_of(path) {
        Some(SourceKind::Markdown) => {
            // A concept file's prose is its definition: its `key::` lines (the `avoid::` line
            // among them) are blanked byte for byte, so they are never a use of a term and
            // offsets stay.
            out.extend(super::document::check(&crate::kg::blank_properties(text), terms, levels));
            ConceptFile { path, text, graph, levels, out: &mut out }.check();
        }
        Some(SourceKind::Thesaurus) => thesaurus(text, levels, &mut out),
        None => {}
    }
    // Stable: findings at one place keep the order they were made in.
    out.sort_by_key(|f| (f.range.start, f.range.end));
    out
}

/// A thesaurus that is not JSON is one finding where the JSON breaks.
fn thesaurus(text: &str, levels: &Levels, out: &mut Vec<Finding>) {
    let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) else { return };
    let at = offset_of(text, e.line(), e.column());
    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    broken(levels, out, at..end, format!("the thesaurus is not valid JSON: {e}; none of it is read"));
}

/// The byte offset of serde_json's one-based `line` and `column` (bytes), clamped to the text
/// and to a character boundary.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start =
        if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1) };
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let mut at = (line_start + column.saturating_sub(1)).min(line_end);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One markdown concept file being checked.
struct ConceptFile<'a> {
    path: &'a Path,
    text: &'a str,
    graph: &'a Graph,
    levels: &'a Levels,
    out: &'a mut Vec<Finding>,
}

/// Where a file first gave its concept a term.
#[derive(Clone, Copy)]
enum Seen {
    Name,
    Heading,
    Synonym,
}

/// A term the file gives its concept, with where it is written (`None`: the file's name only).
struct Term<'a> {
    text: &'a str,
    range: Option<Range<usize>>,
}

impl<'a> ConceptFile<'a> {
    fn check(mut self) {
        let text = self.text;
        let stem = self.path.file_stem().map(|s| s.to_string_lossy().trim().to_string()).unwrap_or_default();
        let mut terms: Vec<Term<'_>> = Vec::new();
        // Folded terms seen so far, for duplicate synonyms; the name comes first, as in the loader.
        let mut seen: HashMap<String, Seen> = HashMap::new();
        if !fold(&stem).is_empty() {
            seen.insert(fold(&stem), Seen::Name);
        }
        let mut fence: Option<(char, usize)> = None;
        // A fence with a language (```markdown) is an example on purpose: its `key::` lines are
        // no slip.
        let mut tagged = false;
        let mut seen_heading = false;
        let mut start = 0;
        for raw in text.split_inclusive('\n') {
            let line_start = start;
            start += raw.len();
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line = line.strip_suffix('\r').unwrap_or(line);
            let trimmed = line.trim_start();
            if let Some((c, n)) = fence {
                if crate::kg::is_fence_close(trimmed, c, n) {
                    fence = None;
                } else if !tagged {
                    self.property_in_fence(trimmed);
                }
                continue;
            }
            if let Some(open) = crate::kg::fence_open(trimmed) {
                fence = Some(open);
                tagged = !trimmed[open.1 * open.0.len_utf8()..].trim().is_empty();
                continue;
            }
            if !seen_heading && let Some(h) = crate::kg::atx_h1(trimmed) {
                seen_heading = true;
                let range = self.at(h);
                if stem.is_empty() || fold(&stem).is_empty() {
                    terms.push(Term { text: h, range: Some(range) });
                    seen.insert(fold(h), Seen::Name);
                    continue;
                }
                if fold(h) == fold(&stem) {
                    // The heading restates the name: the name's place in the text.
                    terms.insert(0, Term { text: h, range: Some(range) });
                    continue;
                }
                self.heading_adds_term(h, &stem, range.clone());
                if let Entry::Vacant(e) = seen.entry(fold(h)) {
                    e.insert(Seen::Heading);
                    terms.push(Term { text: h, range: Some(range) });
                }
                continue;
            }
            if let Some((key, value)) = crate::kg::property(trimmed) {
                let k = key.to_ascii_lowercase();
                let items = self.items(value, trimmed);
                match k.as_str() {
                    "synonyms" | "synonym" => {
                        if items.is_empty() {
                            self.empty_list(key, line_start, raw.len());
                        }
                        for (n, item) in items.iter().enumerate() {
                            match seen.entry(fold(item)) {
                                Entry::Vacant(e) => {
                                    e.insert(Seen::Synonym);
                                    terms.push(Term { text: item, range: Some(self.at(item)) });
                                }
                                // Repeating the file's name or heading as a synonym is Terraphim's
                                // own habit (most of its concept files do): harmless, not flagged.
                                Entry::Occupied(e) if matches!(e.get(), Seen::Synonym) => {
                                    self.duplicate_synonym(item, &items, n, line_start..start);
                                }
                                Entry::Occupied(_) => {}
                            }
                        }
                    }
                    "related" => {
                        if items.is_empty() {
                            self.empty_list(key, line_start, raw.len());
                        }
                        for item in items {
                            self.unknown_related(item);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            self.one_colon(trimmed);
        }
        if !terms.iter().any(|t| fold(t.text) == fold(&stem)) && !fold(&stem).is_empty() {
            terms.insert(0, Term { text: &stem, range: None });
        }
        for t in &terms {
            self.claimed_twice(t);
        }
    }

    /// The bytes of `s`, a slice of the text.
    fn at(&self, s: &str) -> Range<usize> {
        let start = s.as_ptr() as usize - self.text.as_ptr() as usize;
        start..start + s.len()
    }

    /// A list's items (trimmed, empty ones dropped), each a slice of the text. Like the loader,
    /// a line is read to its first [`crate::kg::MAX_LINE_BYTES`] only, without its last, cut item.
    fn items(&self, value: &'a str, trimmed: &str) -> Vec<&'a str> {
        let limit = self.at(trimmed).start + crate::kg::MAX_LINE_BYTES;
        value.split(',').map(str::trim).filter(|s| !s.is_empty() && self.at(s).end < limit).collect()
    }

    fn push(&mut self, check: CheckId, range: Range<usize>, message: String, related: Vec<Related>, fixes: Vec<Fix>) {
        if self.levels.is_on(check) {
            let level = self.levels.get(check);
            self.out.push(Finding { check, level, range, message, deprecated: false, related, fixes });
        }
    }

    /// `related:: name` where no concept has the term `name`.
    fn unknown_related(&mut self, name: &str) {
        if !self.levels.is_on(CheckId::UnknownRelated) {
            return;
        }
        let folded = fold(name);
        let index = self.graph.term_table();
        if !index.get(&folded).is_empty() {
            return;
        }
        let range = self.at(name);
        let suggestions = self.closest_terms(&folded);
        let message = match suggestions.as_slice() {
            [] => format!("related:: “{name}” names no concept in the knowledge graph"),
            [one] => format!("related:: “{name}” names no concept; did you mean “{one}”?"),
            [first @ .., last] => {
                let first: Vec<String> = first.iter().map(|s| format!("“{s}”")).collect();
                format!("related:: “{name}” names no concept; did you mean {} or “{last}”?", first.join(", "))
            }
        };
        let mut fixes: Vec<Fix> = suggestions
            .iter()
            .map(|s| Fix {
                title: format!("Replace with “{s}”"),
                edits: vec![Edit::Replace { path: None, range: range.clone(), text: s.clone() }],
                safe: false,
            })
            .collect();
        // The name is no term (that is the finding): only whether it can be a file name counts.
        let dir = self.path.parent().unwrap_or(Path::new(""));
        fixes.extend(super::actions::new_concept(dir, name, |_| false));
        self.push(CheckId::UnknownRelated, range, message, Vec::new(), fixes);
    }

    /// The terms of other concepts closest to `folded` (within two edits, one for a short
    /// name), best first, as their concepts write them. One walk of the term index's fst.
    fn closest_terms(&self, folded: &str) -> Vec<String> {
        let chars = folded.chars().count();
        if !(3..=MAX_FUZZY_CHARS).contains(&chars) {
            return Vec::new();
        }
        let distance = if chars <= 4 { 1 } else { 2 };
        let dfa = crate::index::matching::levenshtein_dfa(folded, distance);
        let index = self.graph.term_table();
        let mut stream = index.keys().search(DfaAutomaton(&dfa)).into_stream();
        let mut found: Vec<(f64, String)> = Vec::new();
        while let Some((key, _)) = stream.next() {
            let Ok(key) = std::str::from_utf8(key) else { continue };
            let score = strsim::normalized_damerau_levenshtein(folded, key);
            if score >= 0.7 || distance == 1 {
                found.push((score, key.to_string()));
            }
            if found.len() >= 512 {
                break;
            }
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, key) in found {
            let written = index.get(&key).iter().find_map(|r| {
                let c = self.graph.concept(r.concept);
                (**c.path() != *self.path).then(|| c.term(r.term as usize)).flatten()
            });
            if let Some(w) = written
                && !out.iter().any(|o| fold(o) == fold(w))
            {
                out.push(w.to_string());
            }
            if out.len() == MAX_SUGGESTIONS {
                break;
            }
        }
        out
    }

    /// A term of this file that a concept of another file claims too.
    fn claimed_twice(&mut self, term: &Term<'_>) {
        if !self.levels.is_on(CheckId::TermClaimedTwice) {
            return;
        }
        let folded = fold(term.text);
        let index = self.graph.term_table();
        let mut others: Vec<crate::kg::ConceptId> = Vec::new();
        for r in index.get(&folded) {
            let c = self.graph.concept(r.concept);
            if **c.path() != *self.path && !others.contains(&r.concept) {
                others.push(r.concept);
            }
        }
        let Some(&first) = others.first() else { return };
        let graph = self.graph;
        let name = |id| graph.concept(id).name();
        let other = graph.concept(first);
        let whose = match others.len() {
            1 => {
                let file = other.path().file_name().unwrap_or(other.path().as_os_str());
                format!("“{}” ({})", other.name(), file.to_string_lossy())
            }
            2 => format!("“{}” and “{}”", name(others[0]), name(others[1])),
            n => format!("“{}”, “{}” and {} more", name(others[0]), name(others[1]), n - 2),
        };
        let message = match term.range {
            Some(_) => format!("“{}” is also a term of {whose}; a term names one concept", term.text),
            None => {
                format!("the file's name “{}” is also a term of {whose}; a term names one concept", term.text)
            }
        };
        let related = others
            .iter()
            .take(MAX_CLAIMANTS)
            .map(|&id| {
                let c = graph.concept(id);
                Related {
                    path: c.path().to_path_buf(),
                    line: c.line(),
                    message: format!("“{}” is a term of “{}” here", term.text, c.name()),
                }
            })
            .collect();
        self.push(CheckId::TermClaimedTwice, term.range.clone().unwrap_or(0..0), message, related, Vec::new());
    }

    /// The `n`th item of a `synonyms::` line is a term the concept already has.
    fn duplicate_synonym(&mut self, item: &str, items: &[&str], n: usize, line: Range<usize>) {
        let range = self.at(item);
        let message = format!("synonym “{item}” is listed already; it adds nothing");
        // The item and one comma beside it: the one before it, or the one after the first.
        let remove = if items.len() == 1 {
            line
        } else if n > 0 {
            self.at(items[n - 1]).end..range.end
        } else {
            range.start..self.at(items[1]).start
        };
        let fix = Fix {
            title: format!("Remove the repeated “{item}”"),
            edits: vec![Edit::Replace { path: None, range: remove, text: String::new() }],
            safe: true,
        };
        self.push(CheckId::DuplicateSynonym, range, message, Vec::new(), vec![fix]);
    }

    /// A heading that differs from the file's stem only in case, spacing, hyphens or
    /// underscores, or quotes and sentence punctuation: the loader makes it a second term.
    fn heading_adds_term(&mut self, heading: &str, stem: &str, range: Range<usize>) {
        if loose(heading) != loose(stem) {
            return;
        }
        // A slug file name under a readable heading (`agent-patterns.md`, `# Agent Patterns`) is
        // how Terraphim names its files, and documents match a hyphen as a space: intended.
        let spaced = |s: &str| fold(&s.replace(['-', '_'], " "));
        if spaced(heading) == spaced(stem) {
            return;
        }
        let message = format!(
            "the heading “{heading}” differs from the file's name “{stem}” only in spelling, so it adds “{heading}” as a second term"
        );
        let fix = Fix {
            title: format!("Make the heading “{stem}”"),
            edits: vec![Edit::Replace { path: None, range: range.clone(), text: stem.to_string() }],
            safe: false,
        };
        self.push(CheckId::HeadingAddsTerm, range, message, Vec::new(), vec![fix]);
    }

    /// `synonyms::` or `related::` with nothing after it.
    fn empty_list(&mut self, key: &str, line_start: usize, line_len: usize) {
        let range = self.at(key);
        let range = range.start..range.end + 2;
        let what = if key.eq_ignore_ascii_case("related") { "related name" } else { "synonym" };
        let fix = Fix {
            title: "Remove the empty line".to_string(),
            edits: vec![Edit::Replace { path: None, range: line_start..line_start + line_len, text: String::new() }],
            safe: false,
        };
        self.push(CheckId::FormatSlip, range, format!("`{key}::` lists no {what}"), Vec::new(), vec![fix]);
    }

    /// `synonyms: a, b` (one colon) at the start of a line, which the loader reads as prose;
    /// `related:` only when it names a concept.
    fn one_colon(&mut self, trimmed: &str) {
        let body = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")).unwrap_or(trimmed);
        let Some((key, rest)) = body.split_once(':') else { return };
        if rest.starts_with(':') || !["synonyms", "synonym", "related"].iter().any(|k| key.eq_ignore_ascii_case(k)) {
            return;
        }
        // `Related: see the docs` is prose; a related list names at least one concept.
        if key.eq_ignore_ascii_case("related") {
            let table = self.graph.term_table();
            if !rest.split(',').any(|item| !table.get(&fold(item)).is_empty()) {
                return;
            }
        }
        let key_range = self.at(key);
        let colon = key_range.end;
        let fix = Fix {
            title: format!("Write `{key}::`"),
            edits: vec![Edit::Replace { path: None, range: colon + 1..colon + 1, text: ":".to_string() }],
            safe: true,
        };
        let message = format!("`{key}:` has one colon, so the line is read as definition text; a list is `{key}::`");
        self.push(CheckId::FormatSlip, key_range.start..colon + 1, message, Vec::new(), vec![fix]);
    }

    /// A `key:: value` line inside a fenced code block, which the loader reads as code.
    fn property_in_fence(&mut self, trimmed: &str) {
        let Some((key, value)) = crate::kg::property(trimmed) else { return };
        // `std::fs::read` is code, not a property: a property has a space or nothing after `::`.
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            return;
        }
        let range = self.at(key);
        let message = format!(
            "`{key}::` is inside a code block, so it is read as part of the definition, not as a property; move it out of the block if it is meant as one"
        );
        self.push(CheckId::FormatSlip, range.start..range.end + 2, message, Vec::new(), Vec::new());
    }
}

/// `s` folded, with hyphens, underscores and spaces as one separator, and quotes and sentence
/// punctuation dropped: what tells a heading that only respells the file's name. Dots, `+`,
/// `#` and `/` stay (`node.js`, `C++`, `C#` and `TCP/IP` are other names without them).
fn loose(s: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in fold(s).chars() {
        match c {
            '-' | '_' | ' ' => sep = !out.is_empty(),
            '\'' | '’' | '"' | '“' | '”' | ',' | ';' | ':' | '!' | '?' => {}
            c => {
                if sep {
                    out.push(' ');
                    sep = false;
                }
                out.push(c);
            }
        }
    }
    out
}
