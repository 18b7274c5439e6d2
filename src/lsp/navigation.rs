//! References and document highlights: the protocol side of [`crate::navigate`].
//!
//! Each handler finds the concept under the cursor (as hover does), makes one core call on the
//! request's snapshot (the mention index as it was, the open documents as they were), and
//! converts the spans to protocol ranges in the client's encoding. Must not compute features.

use std::path::Path;
use std::sync::Arc;

use ls_types::*;

use super::convert;
use super::handlers::{Answer, ResponseError, Snapshot, json};
use crate::kg::ConceptId;
use crate::navigate::{Kind, ReferenceSet, Span, concept_keys, ranges_of, related_entries};
use crate::search::Cancel;
use crate::text::Encoding;

/// The concepts of the term at `position` in the request's document, with the document.
fn concepts_at(snap: &Snapshot, position: Position) -> Option<(&crate::workspace::Document, Vec<ConceptId>)> {
    let doc = snap.doc.as_ref()?;
    let offset = convert::offset(&doc.text, &doc.line_index, position, snap.client.encoding);
    let hit = snap.analysis.hover(&doc.text, offset)?;
    Some((doc, hit.concepts))
}

/// Whether `path` is a knowledge-graph source of the snapshot's graph.
fn is_source(snap: &Snapshot, path: &Path) -> bool {
    snap.analysis.graph.file_concepts(path).is_some()
}

/// Runs `f` with the [`ReferenceSet`] of `snap`: its graph, its mention index, its open
/// documents and its files.
pub fn with_reference_set<R>(snap: &Snapshot, f: impl FnOnce(&ReferenceSet<'_>) -> R) -> R {
    let open: Vec<(Arc<Path>, &str)> = snap.open.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
    let is_source = |p: &Path| is_source(snap, p);
    let set = ReferenceSet {
        graph: &snap.analysis.graph,
        index: &snap.mentions,
        open: &open,
        is_source: &is_source,
        files: &*snap.files,
    };
    f(&set)
}

pub fn range_of(span: Span, enc: Encoding) -> Range {
    let (a, b) = (span.start.line_col(enc), span.end.line_col(enc));
    Range { start: Position::new(a.line, a.col), end: Position::new(b.line, b.col) }
}

pub fn references(snap: &Snapshot, params: ReferenceParams, cancel: &Cancel) -> Answer {
    let Some((_, concepts)) = concepts_at(snap, params.text_document_position.position) else {
        return json(&None::<()>);
    };
    let declaration = params.context.include_declaration;
    let enc = snap.client.encoding;
    let mut out: Vec<Location> = Vec::new();
    for id in concepts {
        let found = with_reference_set(snap, |set| set.references(id, declaration, cancel))
            .map_err(|_| ResponseError::cancelled())?;
        for (path, spans) in found {
            let Some(uri) = convert::uri(&path) else { continue };
            out.extend(spans.into_iter().map(|s| Location { uri: uri.clone(), range: range_of(s, enc) }));
        }
    }
    out.dedup();
    json(&out)
}

pub fn document_highlight(snap: &Snapshot, params: DocumentHighlightParams, _: &Cancel) -> Answer {
    let Some((doc, concepts)) = concepts_at(snap, params.text_document_position_params.position) else {
        return json(&None::<()>);
    };
    let graph = &snap.analysis.graph;
    let terms = &snap.analysis.terms;
    let mut keys: Vec<u32> = concepts.iter().flat_map(|&id| concept_keys(graph, id, terms)).collect();
    keys.sort_unstable();
    keys.dedup();
    let concept_file = doc.path.as_deref().is_some_and(|p| is_source(snap, p));
    let kind = if concept_file { Kind::ConceptFile } else { Kind::Document };
    let mut ranges = ranges_of(&doc.text, kind, terms, &keys);
    if concept_file {
        ranges.extend(related_entries(&doc.text, terms, &keys));
        ranges.sort_by_key(|r| r.start);
    }
    let enc = snap.client.encoding;
    let highlights: Vec<DocumentHighlight> = ranges
        .into_iter()
        .map(|r| DocumentHighlight {
            range: convert::range(&doc.text, &doc.line_index, r, enc),
            kind: Some(DocumentHighlightKind::TEXT),
        })
        .collect();
    json(&highlights)
}
