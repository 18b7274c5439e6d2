//! Parser for markdown concept files in Terraphim's format.
//!
//! One file is one concept named by the file stem; a first `# ` heading that differs from the
//! stem is an extra term; `synonyms::` lines add terms, `related::` lines name related concepts,
//! other `key:: value` lines are properties, and the rest is the definition. Parsing never
//! fails: odd lines become [`Problem`]s. It does no I/O.

use std::path::Path;
use std::sync::Arc;

use super::{ConceptData, Definitions, KgFile, Problem, SourceKind};
use crate::text::fold;

/// Parses the text of the concept file at `path` (the path only names the concept).
pub fn parse_concept_file(path: &Path, text: &str) -> KgFile {
    let mut problems = Vec::new();
    let stem = path.file_stem().map(|s| s.to_string_lossy().trim().to_string()).unwrap_or_default();
    let mut concept = ConceptData { name: stem, ..Default::default() };
    let mut definition: Vec<&str> = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut seen_heading = false;

    for (i, line) in text.lines().enumerate() {
        let i = i as u32;
        let trimmed = line.trim_start();
        if let Some((c, n)) = fence {
            if is_fence_close(trimmed, c, n) {
                fence = None;
            }
            definition.push(line);
            continue;
        }
        if let Some(open) = fence_open(trimmed) {
            fence = Some(open);
            definition.push(line);
            continue;
        }
        if !seen_heading {
            if let Some(h) = atx_h1(trimmed) {
                seen_heading = true;
                concept.line = i;
                if concept.name.is_empty() {
                    concept.name = h.to_string();
                } else {
                    concept.add_term(h);
                }
                continue;
            }
        }
        if let Some((key, value)) = property(trimmed) {
            let k = key.to_ascii_lowercase();
            let items = || value.split(',').map(str::trim).filter(|s| !s.is_empty());
            match k.as_str() {
                "synonyms" | "synonym" => {
                    if items().next().is_none() {
                        problems.push(problem(path, i, "`synonyms::` line lists no synonym"));
                    }
                    items().for_each(|s| concept.add_term(s));
                }
                "related" => {
                    for r in items() {
                        if !concept.related.iter().any(|x| fold(x) == fold(r)) {
                            concept.related.push(r.to_string());
                        }
                    }
                }
                _ => concept.properties.push(key, value.trim()),
            }
            continue;
        }
        definition.push(line);
    }
    if fence.is_some() {
        problems.push(Problem {
            path: path.to_path_buf(),
            line: None,
            message: "a code fence is never closed".to_string(),
        });
    }
    if fold(&concept.name).is_empty() {
        problems.push(Problem {
            path: path.to_path_buf(),
            line: None,
            message: "the file name gives no concept name".to_string(),
        });
    }
    concept.definition = tidy_definition(&definition);
    let concepts = if fold(&concept.name).is_empty() { Vec::new() } else { vec![concept] }.into();
    KgFile {
        path: Arc::from(path),
        kind: SourceKind::Markdown,
        concepts,
        problems: problems.into(),
        definitions: Definitions::Kept,
    }
}

fn problem(path: &Path, line: u32, message: &str) -> Problem {
    Problem { path: path.to_path_buf(), line: Some(line), message: message.to_string() }
}

/// `# Title` (not `##`), with an optional closing run of `#`.
fn atx_h1(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let t = rest.trim().trim_end_matches('#').trim_end();
    (!t.is_empty()).then_some(t)
}

/// `key:: value`, where key is a single word, optionally behind a list bullet.
fn property(line: &str) -> Option<(&str, &str)> {
    let line = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).unwrap_or(line);
    let (key, value) = line.split_once("::")?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    ok.then_some((key, value))
}

fn fence_open(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|&c| c == '`' || c == '~')?;
    let n = line.chars().take_while(|&x| x == c).count();
    (n >= 3 && !(c == '`' && line[n..].contains('`'))).then_some((c, n))
}

fn is_fence_close(line: &str, c: char, n: usize) -> bool {
    let run = line.chars().take_while(|&x| x == c).count();
    run >= n && line[run * c.len_utf8()..].trim().is_empty()
}

/// Trims blank lines at both ends and folds runs of blank lines into one.
fn tidy_definition(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in lines {
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(path: &str, text: &str, expect: Expect) {
        let file = parse_concept_file(Path::new(path), text);
        let mut out = String::new();
        for c in file.concepts.iter().map(|c| c.to_data()) {
            out +=
                &format!("name: {}\nline: {}\nsynonyms: {:?}\nrelated: {:?}\n", c.name, c.line, c.synonyms, c.related);
            for (k, v) in &c.properties {
                out += &format!("property: {k} = {v}\n");
            }
            out += &format!("definition:\n{}", c.definition);
        }
        for p in &file.problems {
            out += &format!("problem: {p}\n");
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn terraphim_concept_file() {
        check(
            "kg/bun install.md",
            "# bun install\n\nFast package installation with Bun.\n\nsynonyms:: pnpm install, npm install, yarn install\n",
            expect![[r#"
                name: bun install
                line: 0
                synonyms: ["pnpm install", "npm install", "yarn install"]
                related: []
                definition:
                Fast package installation with Bun.
            "#]],
        );
    }

    #[test]
    fn heading_that_differs_from_stem_is_a_term_and_sub_heading_synonyms_count() {
        check(
            "kg/lsp.md",
            "\n# Language Server Protocol\n\nA protocol.\n\n## Details\nsynonyms:: LSP , , language server\n- related:: json-rpc, JSON-RPC\ncategory:: protocol\n\n```\nsynonyms:: not a synonym\n```\n",
            expect![[r#"
                name: lsp
                line: 1
                synonyms: ["Language Server Protocol", "language server"]
                related: ["json-rpc"]
                property: category = protocol
                definition:
                A protocol.

                ## Details

                ```
                synonyms:: not a synonym
                ```
            "#]],
        );
    }

    #[test]
    fn broken_lines_are_problems_not_failures() {
        check(
            "kg/empty syn.md",
            "synonyms::\ntext with a::colon stays\n```rust\nfn main() {}\n",
            expect![[r#"
                name: empty syn
                line: 0
                synonyms: []
                related: []
                definition:
                text with a::colon stays
                ```rust
                fn main() {}
                problem: kg/empty syn.md:1: `synonyms::` line lists no synonym
                problem: kg/empty syn.md: a code fence is never closed
            "#]],
        );
    }
}
