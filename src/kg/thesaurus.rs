//! Parser for Terraphim thesaurus JSON: `{"name": …, "data": {"<term>": {"id": N, "nterm": "<canonical>", "url": …}}}`.
//!
//! Terms that share an `id` are one concept named by its `nterm`. Unknown fields are ignored;
//! a malformed entry is skipped with a [`Problem`] and the rest of the file is kept. It does no
//! I/O.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{
    ConceptData, ConceptsBuilder, Definitions, KgFile, MAX_PROPERTY_BYTES, MAX_TERM_BYTES, MAX_TERMS, Problem,
    SourceKind, TermAdder, cut_at_char, cut_message,
};

/// A well-formed thesaurus, read straight into borrowed strings (no `Value` tree: a
/// million-term file would need gigabytes for one), its entries in file order.
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(borrow)]
    data: Option<Entries<'a>>,
}

/// A string borrowed from the text unless it has escapes.
#[derive(Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct TypedEntry<'a> {
    id: Option<Id>,
    #[serde(borrow)]
    nterm: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
    /// kg-ls's extension: the term is one to avoid, replaced by the concept's name.
    avoid: Option<bool>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Number(serde_json::Number),
    Text(String),
}

/// The `data` object's entries in file order (a map would cost a node per entry).
struct Entries<'a>(Vec<(Str<'a>, TypedEntry<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Entries<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of thesaurus entries")
            }

            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Entries<'a>, M::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// One entry as both readers hand it on: term, id, nterm, url, line of its key, and whether
/// it is a term to avoid (`"avoid": true`).
type Entry<'e> = (&'e str, Option<String>, Option<&'e str>, Option<&'e str>, Option<u32>, bool);

/// Parses the text of the thesaurus file at `path`.
pub fn parse_thesaurus(path: &Path, text: &str) -> KgFile {
    let mut file = KgFile {
        path: Arc::from(path),
        kind: SourceKind::Thesaurus,
        concepts: Default::default(),
        problems: Box::default(),
        definitions: Definitions::Kept,
    };
    // The typed reader takes well-formed files; anything it refuses goes through `Value`,
    // which says precisely what is wrong and keeps the good entries.
    if let Ok(Typed { data: Some(Entries(data)) }) = serde_json::from_str::<Typed>(text) {
        // serde reads the entries in file order, as the scan finds their keys.
        let lines = data_key_lines(text);
        let lines = (lines.len() == data.len()).then_some(lines);
        let key = |i: u32| &*data[i as usize].0.0;
        // Entry numbers in key order, the last of equal keys kept (as a JSON object reader
        // keeps it): a permutation, so the entries themselves are not copied.
        let mut order: Vec<u32> = (0..data.len() as u32).collect();
        order.sort_by(|&a, &b| key(a).cmp(key(b)).then(b.cmp(&a)));
        order.dedup_by(|later, kept| key(*later) == key(*kept));
        let line_of = |i: u32| lines.as_ref().map(|l| l[i as usize]);
        let entries = order.iter().map(|&i| {
            let (term, e) = &data[i as usize];
            let id = e.id.as_ref().map(|id| match id {
                Id::Number(n) => n.to_string(),
                Id::Text(s) => s.clone(),
            });
            let avoid = e.avoid.unwrap_or(false);
            (&*term.0, id, e.nterm.as_ref().map(|s| &*s.0), e.url.as_ref().map(|s| &*s.0), line_of(i), avoid)
        });
        let name_line = |name: &str| {
            let found = order.binary_search_by(|&i| key(i).cmp(name)).ok()?;
            line_of(order[found])
        };
        group_entries(&mut file, entries, name_line);
        return file;
    }
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = (e.line() > 0).then(|| e.line() as u32 - 1);
            let problem = Problem { path: path.to_path_buf(), line, message: format!("not valid thesaurus JSON: {e}") };
            file.problems = Box::new([problem]);
            return file;
        }
    };
    let Some(data) = root.get("data").and_then(Value::as_object) else {
        let message = "no `data` object: not a Terraphim thesaurus".to_string();
        file.problems = Box::new([Problem { path: path.to_path_buf(), line: None, message }]);
        return file;
    };
    let lines = KeyLines::new(text);
    let entries = data.iter().map(|(term, entry)| {
        let id = match entry.get("id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let (nterm, url) = (entry.get("nterm").and_then(Value::as_str), entry.get("url").and_then(Value::as_str));
        let avoid = entry.get("avoid").and_then(Value::as_bool).unwrap_or(false);
        (term.as_str(), id, nterm, url, lines.get(term), avoid)
    });
    group_entries(&mut file, entries, |name| lines.get(name));
    file
}

/// Groups entries (in key order) into concepts by id, reporting malformed entries.
/// `name_line` finds the line of the entry whose key is a concept's name.
fn group_entries<'e>(
    file: &mut KgFile,
    entries: impl Iterator<Item = Entry<'e>>,
    name_line: impl Fn(&str) -> Option<u32>,
) {
    let problem = |line: Option<u32>, message: String| Problem { path: file.path.to_path_buf(), line, message };
    let mut problems = Vec::new();
    // Group terms by id, keeping the ids in first-seen order of their smallest term.
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(String, Group<'e>)> = Vec::new();
    // Over-long strings are cut (and reported) before anything else, messages included.
    let cap = |problems: &mut Vec<Problem>, line, s: &'e str, what: &str, max: usize| {
        let kept = cut_at_char(s, max);
        if kept.len() < s.len() {
            problems.push(problem(line, cut_message(what, s.len(), max)));
        }
        kept
    };
    for (term, id, nterm, url, line, avoid) in entries {
        let term = cap(&mut problems, line, term, "a term", MAX_TERM_BYTES);
        let Some(id) = id else {
            problems.push(problem(line, format!("entry {term:?} has no numeric `id`; skipped")));
            continue;
        };
        let id = cut_at_char(&id, MAX_TERM_BYTES).to_string();
        let Some(nterm) = nterm.filter(|s| !s.trim().is_empty()) else {
            problems.push(problem(line, format!("entry {term:?} has no `nterm`; skipped")));
            continue;
        };
        let nterm = cap(&mut problems, line, nterm, "an nterm", MAX_TERM_BYTES);
        let url = url.map(|u| cap(&mut problems, line, u, "a url", MAX_PROPERTY_BYTES));
        let i = *by_id.entry(id.clone()).or_insert_with(|| {
            groups.push((id, Group::default()));
            groups.len() - 1
        });
        let g = &mut groups[i].1;
        match g.nterms.iter_mut().find(|(n, _)| *n == nterm) {
            Some((_, count)) => *count += 1,
            None => g.nterms.push((nterm, 1)),
        }
        if avoid {
            // Not a term of the concept: a use of it is to be replaced by the concept's name.
            if g.avoided.len() < MAX_TERMS {
                g.avoided.push(term);
            }
            continue;
        }
        if g.terms.len() == MAX_TERMS {
            if !std::mem::replace(&mut g.full, true) {
                problems.push(problem(
                    line,
                    format!("more than {MAX_TERMS} terms for id {}; the rest are ignored", groups[i].0),
                ));
            }
            continue;
        }
        g.terms.push(term);
        // A handful per group at most: a list, not a map (a million maps would be the peak).
        if g.url.is_none() {
            g.url = url;
        }
    }
    file.problems = problems.into();
    let bytes = groups.iter().map(|(id, g)| id.len() + g.terms.iter().map(|t| t.len()).sum::<usize>()).sum();
    let mut concepts = ConceptsBuilder::default();
    concepts.reserve(groups.len(), bytes);
    for (id, g) in groups {
        // The nterm most entries agree on; ties go to the smallest.
        let (name, _) = g.nterms.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).expect("group has a term");
        let mut c = ConceptData { name: name.to_string(), line: name_line(name).unwrap_or(0), ..Default::default() };
        let mut terms = TermAdder::new(&c);
        for t in &g.terms {
            // Terms were cut and counted above: nothing is left to report.
            let _ = terms.add(&mut c, t);
        }
        if let Some(url) = g.url {
            c.properties.push("url", url);
        }
        c.properties.push("id", &id);
        for t in &g.avoided {
            c.properties.push(super::AVOID_KEY, t);
        }
        concepts.push(&c);
    }
    file.concepts = concepts.finish();
}

#[derive(Default)]
struct Group<'e> {
    terms: Vec<&'e str>,
    nterms: Vec<(&'e str, usize)>,
    url: Option<&'e str>,
    /// Terms marked `"avoid": true`.
    avoided: Vec<&'e str>,
    /// Whether terms were dropped for [`MAX_TERMS`] (reported once).
    full: bool,
}

/// Calls `visit(key, depth, line, bytes)` for every object key of a JSON text, in order: the
/// key unescaped, how many objects and arrays enclose it, its zero-based line, and the bytes
/// between its quotes. One pass.
fn scan_keys<'t>(text: &'t str, mut visit: impl FnMut(Cow<'t, str>, u32, u32, Range<usize>)) {
    let bytes = text.as_bytes();
    let (mut i, mut line, mut depth) = (0, 0u32, 0u32);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(bytes.len());
                let mut k = end + 1;
                while k < bytes.len() && bytes[k].is_ascii_whitespace() {
                    k += 1;
                }
                if bytes.get(k) == Some(&b':') {
                    // Keys are unescaped the same way serde_json reads them.
                    let raw = &text[start..end];
                    let key = if raw.contains('\\') {
                        Cow::Owned(
                            serde_json::from_str::<String>(&text[start - 1..(end + 1).min(text.len())])
                                .unwrap_or_default(),
                        )
                    } else {
                        Cow::Borrowed(raw)
                    };
                    visit(key, depth, line, start..end);
                }
                line += text[start..end].matches('\n').count() as u32;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
}

/// One entry of a thesaurus's `data` object as written, with byte ranges into the text: what
/// an edit of the file (rename) needs to change a term or an nterm in place, without writing
/// the JSON again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataEntry {
    /// The term, unescaped.
    pub term: String,
    /// The term's string, inside its quotes.
    pub term_range: std::ops::Range<usize>,
    /// The `id` as the reader keeps it (a number's text, or a string).
    pub id: Option<String>,
    /// The `nterm`, unescaped, and its string inside the quotes.
    pub nterm: Option<(String, std::ops::Range<usize>)>,
}

/// The entries of the top-level `data` object, in file order, found by the same key scan as
/// their lines ([`thesaurus_keys`]); an entry's `id` and `nterm` are the values after its keys
/// of those names. A text that is not JSON gives what the scan could make of it.
pub fn data_entries(text: &str) -> Vec<DataEntry> {
    let bytes = text.as_bytes();
    let skip_space = |mut k: usize| {
        while k < bytes.len() && bytes[k].is_ascii_whitespace() {
            k += 1;
        }
        k
    };
    // The value after the key whose string ends at `end`: a string (unescaped, with the bytes
    // between its quotes) or a number's text.
    let value = |end: usize| -> Option<(String, Range<usize>)> {
        let v = skip_space(skip_space(end + 1) + 1);
        if bytes.get(v) == Some(&b'"') {
            let mut j = v + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let r = v + 1..j.min(bytes.len());
            let raw = text.get(r.clone())?;
            let s = if raw.contains('\\') {
                serde_json::from_str::<String>(text.get(v..r.end + 1)?).ok()?
            } else {
                raw.to_string()
            };
            return Some((s, r));
        }
        let n = bytes[v.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            .count();
        (n > 0).then(|| (text[v..v + n].to_string(), v..v + n))
    };
    let mut out: Vec<DataEntry> = Vec::new();
    let mut in_data = false;
    scan_keys(text, |key, depth, _, range| match depth {
        1 => in_data = key == "data",
        2 if in_data => out.push(DataEntry { term: key.into_owned(), term_range: range, id: None, nterm: None }),
        3 if in_data => {
            if let Some(e) = out.last_mut() {
                match &*key {
                    "id" => e.id = value(range.end).map(|(v, _)| v),
                    "nterm" => e.nterm = value(range.end),
                    _ => {}
                }
            }
        }
        _ => {}
    });
    out
}

/// The lines of the keys of the top-level `data` object, in file order.
fn data_key_lines(text: &str) -> Vec<u32> {
    let mut lines = Vec::new();
    // Keys at depth 2 belong to `data` from its key at depth 1 until the next key at depth 1.
    let mut in_data = false;
    scan_keys(text, |key, depth, line, _| match depth {
        1 => in_data = key == "data",
        2 if in_data => lines.push(line),
        _ => {}
    });
    lines
}

/// The keys of the top-level `data` object (the thesaurus's terms), unescaped, with the bytes
/// between their quotes, in file order: where each term of a thesaurus is written.
pub fn thesaurus_keys(text: &str) -> Vec<(Cow<'_, str>, Range<usize>)> {
    let mut keys = Vec::new();
    let mut in_data = false;
    scan_keys(text, |key, depth, _, range| match depth {
        1 => in_data = key == "data",
        2 if in_data => keys.push((key, range)),
        _ => {}
    });
    keys
}

/// The zero-based line of the first `"key":` of every object key in a JSON text, found in one
/// pass (looking each term up in the text instead would be quadratic on large thesauri).
struct KeyLines<'t> {
    lines: HashMap<Cow<'t, str>, u32>,
}

impl<'t> KeyLines<'t> {
    fn new(text: &'t str) -> KeyLines<'t> {
        let mut lines = HashMap::new();
        scan_keys(text, |key, _, line, _| {
            lines.entry(key).or_insert(line);
        });
        KeyLines { lines }
    }

    fn get(&self, key: &str) -> Option<u32> {
        self.lines.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(text: &str, expect: Expect) {
        let file = parse_thesaurus(Path::new("t.json"), text);
        let mut out = String::new();
        for c in file.concepts.iter().map(|c| c.to_data()) {
            out += &format!("{} (line {}) {:?} {:?}\n", c.name, c.line, c.synonyms, c.properties);
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn an_entry_marked_avoid_is_an_avoided_term_not_a_synonym() {
        check(
            r#"{"name": "t", "data": {
    "slave pool": {"id": 1, "nterm": "worker pool", "avoid": true},
    "worker pool": {"id": 1, "nterm": "worker pool"},
    "job pool": {"id": 1, "nterm": "worker pool", "avoid": false},
    "old only": {"id": 2, "nterm": "new name", "avoid": true}
}}"#,
            expect![[r#"
                worker pool (line 2) ["job pool"] [("id", "1"), ("avoid", "slave pool")]
                new name (line 0) [] [("id", "2"), ("avoid", "old only")]
            "#]],
        );
    }

    #[test]
    fn terms_sharing_an_id_are_one_concept() {
        check(
            r#"{
  "name": "Terraphim Engineer",
  "data": {
    "middleware": {"id": 74, "nterm": "service"},
    "haystack": {"id": 73, "nterm": "haystack", "url": "https://x.test/h", "extra": [1]},
    "service": {"id": 74, "nterm": "service", "url": null},
    "agent": {"id": 73, "nterm": "haystack"}
  }
}"#,
            expect![[r#"
                haystack (line 4) ["agent"] [("url", "https://x.test/h"), ("id", "73")]
                service (line 5) ["middleware"] [("id", "74")]
            "#]],
        );
    }

    #[test]
    fn lines_come_from_the_data_keys_not_from_nested_ones() {
        check(
            "{\"name\": {\"id\": 0},\n \"data\": {\n  \"a\\\"b\": {\"id\": 1, \"nterm\": \"id\"},\n  \"id\": {\"id\": 1, \"nterm\": \"id\"}\n}}",
            expect![[r#"
                id (line 3) ["a\"b"] [("id", "1")]
            "#]],
        );
    }

    #[test]
    fn malformed_entries_are_skipped_and_bad_json_is_reported() {
        check(
            r#"{"data": {"a": {"nterm": "a"}, "b": {"id": 1}, "c": {"id": 2, "nterm": "c"}}}"#,
            expect![[r#"
                c (line 0) [] [("id", "2")]
                problem: t.json:1: entry "a" has no numeric `id`; skipped
                problem: t.json:1: entry "b" has no `nterm`; skipped
            "#]],
        );
        // Types the fast reader refuses: the slow one keeps the good entries and names the rest.
        check(
            r#"{"data": {"d": {"id": true, "nterm": "d"}, "e": {"id": 3, "nterm": 5}, "f": {"id": "x", "nterm": "f"}}}"#,
            expect![[r#"
                f (line 0) [] [("id", "x")]
                problem: t.json:1: entry "d" has no numeric `id`; skipped
                problem: t.json:1: entry "e" has no `nterm`; skipped
            "#]],
        );
        check(
            "{\n \"data\": {,}\n}",
            expect![[r#"
            problem: t.json:2: not valid thesaurus JSON: key must be a string at line 2 column 11
        "#]],
        );
        check(
            "[1, 2]",
            expect![[r#"
            problem: t.json: no `data` object: not a Terraphim thesaurus
        "#]],
        );
    }

    #[test]
    fn over_long_terms_and_urls_are_cut_and_reported() {
        let long = "x".repeat(2_000_000);
        let text = format!(
            r#"{{"data": {{"{long}": {{"id": 1, "nterm": "{long}", "url": "https://x.test/{long}"}}, "ok": {{"id": 1, "nterm": "ok"}}}}}}"#
        );
        let file = parse_thesaurus(Path::new("t.json"), &text);
        let mut out = String::new();
        for c in file.concepts.iter().map(|c| c.to_data()) {
            let lens = |v: &[String]| v.iter().map(String::len).collect::<Vec<_>>();
            let props: Vec<(&str, usize)> = c.properties.iter().map(|(k, v)| (k, v.len())).collect();
            out +=
                &format!("{} bytes: synonyms of {:?} bytes, properties {props:?}\n", c.name.len(), lens(&c.synonyms));
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect![[r#"
            2 bytes: synonyms of [256] bytes, properties [("url", 4096), ("id", 1)]
            problem: t.json:1: a term of 2000000 bytes is longer than 256; only its first 256 bytes are kept
            problem: t.json:1: an nterm of 2000000 bytes is longer than 256; only its first 256 bytes are kept
            problem: t.json:1: a url of 2000015 bytes is longer than 4096; only its first 4096 bytes are kept
        "#]]
        .assert_eq(&out);
    }
}
