//! Document links: the `[[wiki links]]` of a document or concept file, and the entries of a
//! concept file's `related::` lines, each linked to the concept it names.
//!
//! A name is looked up as any term of the graph (a synonym, any case), as hover and the
//! rendered definitions look it up; a name no concept has gives no link (the checks report an
//! unknown related name). Wiki links are found by the markdown parser with the extensions the
//! renderer reads ([`crate::render::PARSE_OPTIONS`]), so a `[[link]]` in a code block or inline
//! code is none, and `[[name|label]]` names `name`. Related entries come from
//! [`crate::kg::entries`], the loader's reading of a concept file. Pure: text in, byte ranges and
//! concept ids out; it must not know protocol types or read files.

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Parser, Tag};

use crate::index::TermIndex;
use crate::kg::{ConceptId, EntryKind, blank_properties, entries};
use crate::text::fold;

/// A link from a span of the text to a concept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The whole `[[…]]` of a wiki link; only the name of a related entry.
    pub range: Range<usize>,
    pub concept: ConceptId,
}

/// The links of `text`, in text order; `concept_file` says whether it is a markdown concept file
/// (whose `related::` entries link too, and whose `key::` lines hold no wiki links).
pub fn links(text: &str, concept_file: bool, terms: &TermIndex) -> Vec<Link> {
    let resolve = |name: &str| terms.map.get(&fold(name)).first().map(|t| t.concept);
    let mut out = Vec::new();
    let blanked;
    let prose = if concept_file {
        blanked = blank_properties(text);
        &blanked
    } else {
        text
    };
    for (event, range) in Parser::new_ext(prose, crate::render::PARSE_OPTIONS).into_offset_iter() {
        if let Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. }, dest_url, .. }) = event
            && let Some(concept) = resolve(&dest_url)
        {
            out.push(Link { range, concept });
        }
    }
    if concept_file {
        for e in entries(text).into_iter().filter(|e| e.kind == EntryKind::Related) {
            if let Some(concept) = resolve(&text[e.name.clone()]) {
                out.push(Link { range: e.name, concept });
            }
        }
        out.sort_by_key(|l| l.range.start);
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::analysis::fixture::analysis;

    const GRAPH: &str = "
//- kg/tokio.md
# Tokio
synonyms:: tokio runtime, async runtime
//- kg/serde.md
# serde
related:: Tokio
";

    /// Each link as `text of its range -> concept name`.
    fn check(path: &str, text: &str, expect: Expect) {
        let a = analysis(GRAPH);
        let concept_file = path.starts_with("kg/");
        let out: String = links(text, concept_file, &a.terms)
            .iter()
            .map(|l| format!("{:?} {:?} -> {}\n", l.range, &text[l.range.clone()], a.graph.concept(l.concept).name()))
            .collect();
        expect.assert_eq(&out);
    }

    #[test]
    fn wiki_links_by_any_term_in_any_case_not_in_code() {
        check(
            "doc.md",
            "See [[Tokio]], [[ASYNC runtime|the runtime]] and [[nowhere]].\n\n`[[tokio]]`\n\n```\n[[tokio]]\n```\n\n- [[serde]]\n",
            expect![[r#"
                4..13 "[[Tokio]]" -> tokio
                15..44 "[[ASYNC runtime|the runtime]]" -> tokio
                97..106 "[[serde]]" -> serde
            "#]],
        );
    }

    #[test]
    fn related_entries_each_cover_their_name() {
        check(
            "kg/x.md",
            "# X\nsynonyms:: [[tokio]]\nrelated:: tokio runtime,  Serde , unknown\n- related:: TOKIO\n\nUses [[serde]].\n",
            expect![[r#"
                35..48 "tokio runtime" -> tokio
                51..56 "Serde" -> serde
                79..84 "TOKIO" -> tokio
                91..100 "[[serde]]" -> serde
            "#]],
        );
    }
}
