//! Code actions that are not fixes of a finding: making a new concept from a phrase, or adding
//! the phrase to a concept as a synonym.
//!
//! Pure: the caller says where concept files go and which phrases are terms already; the
//! result is a [`Fix`] of plain edits. Nothing here touches the disk.

use std::path::Path;

use super::{Edit, Fix};
use crate::text::fold;

/// The most characters a phrase made into a concept may have.
const MAX_NAME_CHARS: usize = 80;

/// "Create concept file “phrase”": a concept file named after `phrase` in `dir`, with a `# `
/// heading. `None` when the phrase cannot be a concept's name (empty, several lines, too long,
/// a path separator or a character file systems refuse) or is a term already
/// (`is_term(folded)`).
pub fn new_concept(dir: &Path, phrase: &str, is_term: impl Fn(&str) -> bool) -> Option<Fix> {
    let name = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    let refused = |c: char| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control();
    if name.is_empty() || phrase.contains('\n') || name.chars().count() > MAX_NAME_CHARS || name.contains(refused) {
        return None;
    }
    if name.starts_with('.') || is_term(&fold(&name)) {
        return None;
    }
    let path = dir.join(format!("{name}.md"));
    Some(Fix {
        title: format!("Create concept file “{name}”"),
        edits: vec![Edit::Create { path, text: format!("# {name}\n\n") }],
        safe: false,
    })
}

/// The concepts a selected phrase (`at`, bytes of `text`) is likeliest a synonym of: those
/// whose terms the document mentions nearest to it, nearest first, at most `limit`. Only
/// concepts of markdown concept files, whose `synonyms::` line can be edited.
pub fn synonym_candidates(
    text: &str,
    at: std::ops::Range<usize>,
    terms: &crate::index::TermIndex,
    graph: &crate::kg::Graph,
    limit: usize,
) -> Vec<crate::kg::ConceptId> {
    let mut found: Vec<(usize, crate::kg::ConceptId)> = Vec::new();
    terms.map.occurrences(text, |r, k| {
        // The selection itself is not a mention of another concept.
        if r.end > at.start && r.start < at.end {
            return;
        }
        let distance = if r.end <= at.start { at.start - r.end } else { r.start - at.end };
        for t in terms.map.group(k) {
            if crate::kg::kind_of(graph.concept(t.concept).path()) == Some(crate::kg::SourceKind::Markdown) {
                found.push((distance, t.concept));
            }
        }
    });
    found.sort_by_key(|(d, _)| *d);
    let mut out: Vec<crate::kg::ConceptId> = Vec::new();
    for (_, c) in found {
        if !out.contains(&c) && out.len() < limit {
            out.push(c);
        }
    }
    out
}

/// "Add “phrase” as a synonym of “name”": `phrase` appended to the first `synonyms::` line of
/// the concept file `path` (whose text is `file`), or a new `synonyms::` line after its `# `
/// heading. `None` when the phrase cannot be a term (empty, several lines, a comma).
pub fn add_synonym(path: &Path, file: &str, name: &str, phrase: &str) -> Option<Fix> {
    let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    if phrase.is_empty() || phrase.contains(',') || phrase.chars().count() > MAX_NAME_CHARS {
        return None;
    }
    let mut offset = 0;
    let mut heading_end = None;
    let mut edit = None;
    let mut fenced = false;
    for line in file.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        // A `synonyms::` line in a code block is no property.
        if body.trim_start().starts_with("```") || body.trim_start().starts_with("~~~") {
            fenced = !fenced;
        }
        if fenced {
            offset += line.len();
            continue;
        }
        let item = body.trim_start().trim_start_matches("- ").trim_start();
        if let Some(rest) = item.get(..10).filter(|k| k.eq_ignore_ascii_case("synonyms::")).map(|_| &item[10..]) {
            let end = offset + body.trim_end().len();
            let text = if rest.trim().is_empty() { format!(" {phrase}") } else { format!(", {phrase}") };
            edit = Some(Edit::Replace { path: Some(path.to_path_buf()), range: end..end, text });
            break;
        }
        if heading_end.is_none() && body.starts_with("# ") {
            heading_end = Some(offset + line.len());
        }
        offset += line.len();
    }
    let edit = edit.unwrap_or_else(|| {
        let at = heading_end.unwrap_or(0);
        let newline = if at > 0 && !file[..at].ends_with('\n') { "\n" } else { "" };
        Edit::Replace { path: Some(path.to_path_buf()), range: at..at, text: format!("{newline}synonyms:: {phrase}\n") }
    });
    Some(Fix { title: format!("Add “{phrase}” as a synonym of “{name}”"), edits: vec![edit], safe: false })
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// The file after "add `phrase` as a synonym".
    fn check(file: &str, phrase: &str, expect: Expect) {
        let fix = add_synonym(Path::new("kg/c.md"), file, "c", phrase).expect("a fix");
        let Edit::Replace { range, text, .. } = &fix.edits[0] else { panic!("{fix:?}") };
        let mut out = file.to_string();
        out.replace_range(range.clone(), text);
        expect.assert_eq(&format!("{}\n{out}", fix.title));
    }

    #[test]
    fn a_synonym_goes_on_the_synonyms_line_or_a_new_one_after_the_heading() {
        check(
            "# c\n\nsynonyms:: a, b  \nbody\n",
            "new  one",
            expect![[r#"
                Add “new one” as a synonym of “c”
                # c

                synonyms:: a, b, new one  
                body
            "#]],
        );
        check(
            "# c\n- synonyms::\n",
            "x",
            expect![[r#"
                Add “x” as a synonym of “c”
                # c
                - synonyms:: x
            "#]],
        );
        check(
            "```\nsynonyms:: not one\n```\n# c\nbody\n",
            "x",
            expect![[r#"
                Add “x” as a synonym of “c”
                ```
                synonyms:: not one
                ```
                # c
                synonyms:: x
                body
            "#]],
        );
        check(
            "no heading",
            "x",
            expect![[r#"
                Add “x” as a synonym of “c”
                synonyms:: x
                no heading"#]],
        );
        assert!(add_synonym(Path::new("kg/c.md"), "# c\n", "c", "a, b").is_none());
    }

    #[test]
    fn a_new_concept_is_refused_for_terms_and_file_system_trouble() {
        let dir = Path::new("kg");
        assert!(new_concept(dir, "known", |f| f == "known").is_none());
        assert!(new_concept(dir, "a/b", |_| false).is_none());
        assert!(new_concept(dir, ".hidden", |_| false).is_none());
        let fix = new_concept(dir, " two\twords ", |_| false).unwrap();
        assert_eq!(fix.edits, [Edit::Create { path: "kg/two words.md".into(), text: "# two words\n\n".into() }]);
    }
}
