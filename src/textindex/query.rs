//! A search string as a tantivy query, and as the [`Matcher`] that finds its matches in a text.
//!
//! The string is words and `"quoted phrases"`; every part must match (a word that the analyzer
//! splits, like `pre-commit`, is a phrase). The last word also matches as a prefix while it is
//! being typed (no space after it). Consecutive words that name a concept (by any of its terms,
//! longest first) match any of that concept's terms: the graph expands the query. Knows
//! nothing of the graph itself: the caller answers which words name a concept.

use std::path::PathBuf;

use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RegexQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;

use super::Fields;
use super::snippet::{Matcher, Pattern};

/// The most words a concept's name is looked for in.
const MAX_NAME_WORDS: usize = 6;

/// What a search asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextQuery {
    pub text: String,
    pub limit: usize,
    pub offset: usize,
    /// Only documents that mention this concept (any of its terms).
    pub concept: Option<Named>,
    /// Only documents under one of these folders whose path below it matches the glob (`*`,
    /// `**`, `?`).
    pub paths: Option<(Vec<PathBuf>, String)>,
}

/// A concept that words of a query name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub concept: String,
    /// Every term of the concept, its name first.
    pub terms: Vec<String>,
}

/// A concept the query named, and the words that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expanded {
    pub concept: String,
    /// The words of the query, as typed.
    pub term: String,
    pub terms: Vec<String>,
}

pub(super) struct Built {
    pub query: Option<Box<dyn Query>>,
    pub expanded: Vec<Expanded>,
    pub matcher: Matcher,
}

/// One part of the query: any of its alternatives (token sequences) matches.
struct Unit {
    alternatives: Vec<Vec<String>>,
    /// The last token of the (only) alternative is also a prefix.
    prefix: bool,
}

/// A part of the string as typed: a word or a quoted phrase.
struct Part<'a> {
    text: &'a str,
    quoted: bool,
}

fn parts(s: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return out;
        }
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push(Part { text: &after[..end], quoted: true });
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
            out.push(Part { text: &rest[..end], quoted: false });
            rest = &rest[end..];
        }
    }
}

pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

fn concept_unit(analyzer: &mut TextAnalyzer, named: &Named) -> Unit {
    let mut alternatives: Vec<Vec<String>> = Vec::new();
    for term in &named.terms {
        let t = tokens(analyzer, term);
        if !t.is_empty() && !alternatives.contains(&t) {
            alternatives.push(t);
        }
    }
    Unit { alternatives, prefix: false }
}

pub(super) fn build(
    query: &TextQuery,
    fields: Fields,
    analyzer: &mut TextAnalyzer,
    names: &dyn Fn(&str) -> Option<Named>,
) -> Built {
    let parts = parts(&query.text);
    let typing = !query.text.ends_with(|c: char| c.is_whitespace() || c == '"');
    let mut units = Vec::new();
    let mut expanded = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        if !parts[i].quoted {
            // The longest run of words from here that names a concept.
            let run = parts[i..].iter().take(MAX_NAME_WORDS).take_while(|p| !p.quoted).count();
            let found = (1..=run).rev().find_map(|n| {
                let words: Vec<&str> = parts[i..i + n].iter().map(|p| p.text).collect();
                let words = words.join(" ");
                names(&words).map(|named| (n, words, named))
            });
            if let Some((n, words, named)) = found {
                let unit = concept_unit(analyzer, &named);
                if !unit.alternatives.is_empty() {
                    expanded.push(Expanded { concept: named.concept.clone(), term: words, terms: named.terms.clone() });
                    units.push(unit);
                }
                i += n;
                continue;
            }
        }
        let t = tokens(analyzer, parts[i].text);
        if !t.is_empty() {
            let last = i + 1 == parts.len();
            units.push(Unit { alternatives: vec![t], prefix: last && typing && !parts[i].quoted });
        }
        i += 1;
    }
    let mut matcher = Matcher::default();
    for u in &units {
        for a in &u.alternatives {
            matcher.patterns.push(Pattern { tokens: a.clone(), prefix: u.prefix });
        }
    }
    if units.is_empty() {
        return Built { query: None, expanded, matcher };
    }
    let mut must: Vec<(Occur, Box<dyn Query>)> = units.iter().map(|u| (Occur::Must, unit_query(u, fields))).collect();
    if let Some(named) = &query.concept {
        let unit = concept_unit(analyzer, named);
        if unit.alternatives.is_empty() {
            return Built { query: None, expanded, matcher };
        }
        must.push((Occur::Must, unit_query(&unit, fields)));
    }
    if let Some((roots, glob)) = &query.paths {
        match RegexQuery::from_pattern(&path_regex(roots, glob), fields.path) {
            Ok(q) => must.push((Occur::Must, Box::new(q))),
            Err(e) => tracing::debug!("path filter {glob:?}: {e}"),
        }
    }
    Built { query: Some(Box::new(BooleanQuery::new(must))), expanded, matcher }
}

fn unit_query(unit: &Unit, fields: Fields) -> Box<dyn Query> {
    let term = |t: &str| Term::from_field_text(fields.body, t);
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for alt in &unit.alternatives {
        let exact: Box<dyn Query> = match alt.as_slice() {
            [one] => Box::new(TermQuery::new(term(one), IndexRecordOption::WithFreqs)),
            many => Box::new(PhraseQuery::new(many.iter().map(|t| term(t)).collect())),
        };
        should.push((Occur::Should, exact));
        if unit.prefix {
            should.push((Occur::Should, Box::new(PhrasePrefixQuery::new(alt.iter().map(|t| term(t)).collect()))));
        }
    }
    if should.len() == 1 {
        return should.pop().expect("one").1;
    }
    Box::new(BooleanQuery::new(should))
}

/// A regular expression (tantivy's: anchored, no flags) for the paths under `roots` whose path
/// below the root matches `glob`.
fn path_regex(roots: &[PathBuf], glob: &str) -> String {
    let mut body = String::new();
    let mut chars = glob.trim_start_matches("./").chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` is any number of folders, none included.
                if chars.peek() == Some(&'/') {
                    chars.next();
                    body.push_str("(.*/)?");
                } else {
                    body.push_str(".*");
                }
            }
            '*' => body.push_str("[^/]*"),
            '?' => body.push_str("[^/]"),
            c => escape(c, &mut body),
        }
    }
    let roots: Vec<String> = roots
        .iter()
        .map(|r| {
            let mut s = String::new();
            for c in r.to_string_lossy().trim_end_matches('/').chars() {
                escape(c, &mut s);
            }
            s
        })
        .collect();
    format!("({})/{body}", roots.join("|"))
}

fn escape(c: char, out: &mut String) {
    if r"\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}
