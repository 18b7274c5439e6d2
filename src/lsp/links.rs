//! `textDocument/documentLink`: the wiki links and `related::` entries of the request's
//! document, each to the file of the concept it names.
//!
//! Owns the shape of the links (target, tooltip); must not find links (one call to
//! [`crate::navigate::links::links`]). Links are complete when sent: no `documentLink/resolve`.

use std::str::FromStr;

use ls_types::{DocumentLink, DocumentLinkParams, Uri};

use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::kg::{SourceKind, kind_of};
use crate::search::Cancel;

pub fn document_link(snap: &Snapshot, _: DocumentLinkParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    let concept_file = snap.checks.kg_file && doc.path.as_deref().and_then(kind_of) == Some(SourceKind::Markdown);
    let graph = &snap.analysis.graph;
    let links: Vec<DocumentLink> = crate::navigate::links::links(&doc.text, concept_file, &snap.analysis.terms)
        .into_iter()
        .filter_map(|l| {
            let c = graph.concept(l.concept);
            // A concept further down its file (a thesaurus entry) gets the line, as hover's
            // links do; one at the top gets the plain file, which every client opens.
            let target = match c.line() {
                0 => convert::uri(c.path())?,
                line => Uri::from_str(&crate::render::file_uri(c.path(), line)).ok()?,
            };
            Some(DocumentLink {
                range: convert::range(&doc.text, &doc.line_index, l.range, snap.client.encoding),
                target: Some(target),
                tooltip: Some(c.name().to_string()),
                data: None,
            })
        })
        .collect();
    json(&links)
}
