//! Parser for Terraphim thesaurus JSON: `{"name": …, "data": {"<term>": {"id": N, "nterm": "<canonical>", "url": …}}}`.
//!
//! Terms that share an `id` are one concept named by its `nterm`. Unknown fields are ignored;
//! a malformed entry is skipped with a [`Problem`] and the rest of the file is kept. It does no
//! I/O.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{ConceptData, KgFile, Problem, SourceKind};

/// Parses the text of the thesaurus file at `path`.
pub fn parse_thesaurus(path: &Path, text: &str) -> KgFile {
    let mut file =
        KgFile { path: path.to_path_buf(), kind: SourceKind::Thesaurus, concepts: Vec::new(), problems: Vec::new() };
    let problem = |line: Option<u32>, message: String| Problem { path: path.to_path_buf(), line, message };
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let line = (e.line() > 0).then(|| e.line() as u32 - 1);
            file.problems.push(problem(line, format!("not valid thesaurus JSON: {e}")));
            return file;
        }
    };
    let Some(data) = root.get("data").and_then(Value::as_object) else {
        file.problems.push(problem(None, "no `data` object: not a Terraphim thesaurus".to_string()));
        return file;
    };

    let lines = KeyLines::new(text);
    let key_line = |_: &str, term: &str| lines.get(term);
    // Group terms by id, keeping the ids in first-seen order of their smallest term.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (term, entry) in data {
        let id = match entry.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => {
                file.problems
                    .push(problem(key_line(text, term), format!("entry {term:?} has no numeric `id`; skipped")));
                continue;
            }
        };
        let Some(nterm) = entry.get("nterm").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) else {
            file.problems.push(problem(key_line(text, term), format!("entry {term:?} has no `nterm`; skipped")));
            continue;
        };
        let url = entry.get("url").and_then(Value::as_str).map(str::to_string);
        let g = groups.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            Group::default()
        });
        g.terms.push(term.clone());
        *g.nterms.entry(nterm.to_string()).or_default() += 1;
        if g.url.is_none() {
            g.url = url;
        }
    }

    for id in order {
        let g = &groups[&id];
        // The nterm most entries agree on; ties go to the smallest.
        let (name, _) = g.nterms.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).expect("group has a term");
        let mut c = ConceptData { name: name.clone(), line: key_line(text, name).unwrap_or(0), ..Default::default() };
        for t in &g.terms {
            c.add_term(t);
        }
        if let Some(url) = &g.url {
            c.properties.push(("url".to_string(), url.clone()));
        }
        c.properties.push(("id".to_string(), id.clone()));
        file.concepts.push(c);
    }
    file
}

#[derive(Default)]
struct Group {
    terms: Vec<String>,
    nterms: BTreeMap<String, usize>,
    url: Option<String>,
}

/// The zero-based line of the first `"key":` of every object key in a JSON text, found in one
/// pass (looking each term up in the text instead would be quadratic on large thesauri).
struct KeyLines {
    lines: std::collections::HashMap<String, u32>,
}

impl KeyLines {
    fn new(text: &str) -> KeyLines {
        let bytes = text.as_bytes();
        let mut lines = std::collections::HashMap::new();
        let (mut i, mut line) = (0, 0u32);
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line += 1,
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
                            serde_json::from_str::<String>(&text[start - 1..(end + 1).min(text.len())])
                                .unwrap_or_default()
                        } else {
                            raw.to_string()
                        };
                        lines.entry(key).or_insert(line);
                    }
                    line += text[start..end].matches('\n').count() as u32;
                    i = end;
                }
                _ => {}
            }
            i += 1;
        }
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
        for c in &file.concepts {
            out += &format!("{} (line {}) {:?} {:?}\n", c.name, c.line, c.synonyms, c.properties);
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect.assert_eq(&out);
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
    fn malformed_entries_are_skipped_and_bad_json_is_reported() {
        check(
            r#"{"data": {"a": {"nterm": "a"}, "b": {"id": 1}, "c": {"id": 2, "nterm": "c"}}}"#,
            expect![[r#"
                c (line 0) [] [("id", "2")]
                problem: t.json:1: entry "a" has no numeric `id`; skipped
                problem: t.json:1: entry "b" has no `nterm`; skipped
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
}
