//! `kg-ls/graph` and the call hierarchy over the graph (`textDocument/prepareCallHierarchy`,
//! `callHierarchy/incomingCalls`, `callHierarchy/outgoingCalls`) in the protocol layer.
//!
//! Each handler converts its params, asks [`crate::navigate::graph`] (which concepts, which
//! neighbourhood, where a `related::` line names a concept) and converts the answer to
//! protocol shapes. It decides nothing about the graph itself. A concept file is read only
//! through the snapshot's files (open buffers over the disk), for the ranges of its entries.

use std::path::Path;

use ls_types::*;
use serde::Deserialize;
use serde_json::json;

use super::convert;
use super::handlers::{Answer, ResponseError, Snapshot, json};
use super::transport::code;
use crate::kg::{ConceptId, MAX_FILE_BYTES};
use crate::navigate::concept_keys;
use crate::navigate::graph::{self as nav, DEFAULT_DEPTH, Limits};
use crate::search::Cancel;
use crate::text::LineIndex;

/// The params of `kg-ls/graph`: a concept by name, or the term at a position.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphParams {
    pub concept: Option<String>,
    pub text_document: Option<TextDocumentIdentifier>,
    pub position: Option<Position>,
    /// Steps from the concept, [`DEFAULT_DEPTH`] when absent; above [`nav::MAX_DEPTH`] it is
    /// taken as that. Any JSON value, so that a wrong one is refused with a message naming it.
    pub depth: Option<serde_json::Value>,
    /// Accepted as in any request; no progress is reported, and the answer comes whole.
    #[serde(rename = "workDoneToken")]
    _work_done_token: Option<serde_json::Value>,
    #[serde(rename = "partialResultToken")]
    _partial_result_token: Option<serde_json::Value>,
}

fn invalid(message: impl Into<String>) -> ResponseError {
    ResponseError::new(code::INVALID_PARAMS, message)
}

/// `kg-ls/graph`: the neighbourhood of a concept (see README.md for the shapes). An unknown
/// name is invalid params; a position on no term answers `root: null` and no nodes.
pub fn graph(snap: &Snapshot, params: GraphParams, _: &Cancel) -> Answer {
    let a = &snap.analysis;
    let roots = match (&params.concept, &params.text_document, params.position) {
        (Some(name), None, None) => {
            let roots = nav::concepts_named(a, name);
            if roots.is_empty() {
                return Err(invalid(format!("kg-ls/graph: no concept has the term {name:?}")));
            }
            roots
        }
        (None, Some(doc), Some(pos)) => concepts_at(snap, &doc.uri, pos)?,
        (Some(_), _, _) => {
            return Err(invalid("kg-ls/graph: give either `concept` or `textDocument` and `position`, not both"));
        }
        _ => return Err(invalid("kg-ls/graph: give `concept`, or `textDocument` and `position`")),
    };
    let depth = match &params.depth {
        None => DEFAULT_DEPTH,
        Some(d) => match d.as_u64() {
            Some(n) => n.min(u64::from(nav::MAX_DEPTH)) as u32,
            None => {
                let top = nav::MAX_DEPTH;
                return Err(invalid(format!("kg-ls/graph: `depth` takes a whole number from 0 to {top}, got {d}")));
            }
        },
    };
    // Mentions as the index has them now; until it is first built, as counted at the load.
    let index = &snap.mentions;
    let count = |id| match index.doc_count() {
        0 => nav::mentions(a.graph.concept(id), &snap.occurrences),
        _ => index.count(&concept_keys(&a.graph, id, index.terms())),
    };
    let n = nav::neighbourhood(&a.graph, &roots, depth, &count, Limits::default());
    let uri = |p: &Path| convert::uri(p).map(|u| u.to_string()).unwrap_or_default();
    let path = |p: &Path| p.display().to_string();
    json(&nav::view(&a.graph, &n, &uri, &path))
}

/// The concepts at `pos` in the document `uri`: the open buffer, else the file as the
/// snapshot's files have it.
fn concepts_at(snap: &Snapshot, uri: &Uri, pos: Position) -> Result<Vec<ConceptId>, ResponseError> {
    let path = convert::path(uri);
    let enc = snap.client.encoding;
    if let Some(doc) = snap.doc.as_ref() {
        let offset = convert::offset(&doc.text, &doc.line_index, pos, enc);
        return Ok(nav::concepts_at(&snap.analysis, &doc.text, offset, doc.path.as_deref().or(path.as_deref())));
    }
    let Some(path) = path else {
        return Err(invalid(format!("{}: not open, and not a file", uri.as_str())));
    };
    let text =
        read(snap, &path).ok_or_else(|| invalid(format!("{}: not open, and it cannot be read", path.display())))?;
    let offset = convert::offset(&text, &LineIndex::new(&text), pos, enc);
    Ok(nav::concepts_at(&snap.analysis, &text, offset, Some(&path)))
}

fn read(snap: &Snapshot, path: &Path) -> Option<String> {
    let bytes = snap.files.read(path, MAX_FILE_BYTES).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `textDocument/prepareCallHierarchy`: one item for each concept of the term at the position
/// (or of the concept file's own section there); null when there is none.
pub fn prepare_call_hierarchy(snap: &Snapshot, params: CallHierarchyPrepareParams, _: &Cancel) -> Answer {
    let tdp = params.text_document_position_params;
    let ids = concepts_at(snap, &tdp.text_document.uri, tdp.position)?;
    let items: Vec<CallHierarchyItem> = ids.into_iter().filter_map(|id| item(snap, id)).collect();
    if items.is_empty() { json(&None::<()>) } else { json(&items) }
}

/// `callHierarchy/incomingCalls`: the concepts whose `related::` names the item's concept,
/// each with where its file names it.
pub fn incoming_calls(snap: &Snapshot, params: CallHierarchyIncomingCallsParams, cancel: &Cancel) -> Answer {
    let Some(id) = concept_of(snap, &params.item) else { return json(&None::<()>) };
    let g = &snap.analysis.graph;
    let mut calls: Vec<CallHierarchyIncomingCall> = nav::incoming(g, id)
        .iter()
        .filter_map(|&from| {
            let file = NamingFile::read(snap, from);
            Some(CallHierarchyIncomingCall { from: item(snap, from)?, from_ranges: file.entries(snap, id) })
        })
        .collect();
    // Then the documents that mention it, as file items, the most mentions first.
    let mut docs = super::navigation::with_reference_set(snap, |set| set.documents(id, cancel))
        .map_err(|_| ResponseError::cancelled())?;
    docs.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    let enc = snap.client.encoding;
    for (path, spans) in docs.into_iter().take(MAX_DOCUMENT_CALLS) {
        let Some(uri) = convert::uri(&path).filter(|_| !spans.is_empty()) else { continue };
        let ranges: Vec<Range> =
            spans.iter().take(MAX_RANGES_PER_DOCUMENT).map(|&s| super::navigation::range_of(s, enc)).collect();
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let count = spans.len();
        let from = CallHierarchyItem {
            name,
            kind: SymbolKind::FILE,
            tags: None,
            detail: Some(format!("{count} mention{}", if count == 1 { "" } else { "s" })),
            uri,
            range: ranges[0],
            selection_range: ranges[0],
            // No "concept": `concept_of` takes a document for no concept, so its own calls are
            // empty.
            data: Some(json!({"document": path.display().to_string()})),
        };
        calls.push(CallHierarchyIncomingCall { from, from_ranges: ranges });
    }
    json(&calls)
}

/// At most this many documents are listed among a concept's incoming calls.
const MAX_DOCUMENT_CALLS: usize = 100;
/// At most this many mentions of one document are its `fromRanges`.
const MAX_RANGES_PER_DOCUMENT: usize = 100;

/// `callHierarchy/outgoingCalls`: the concepts the item's concept names in its `related::`,
/// each with where its own file names them.
pub fn outgoing_calls(snap: &Snapshot, params: CallHierarchyOutgoingCallsParams, _: &Cancel) -> Answer {
    let Some(id) = concept_of(snap, &params.item) else { return json(&None::<()>) };
    let g = &snap.analysis.graph;
    // One file names them all: it is read once.
    let file = NamingFile::read(snap, id);
    let calls: Vec<CallHierarchyOutgoingCall> = nav::outgoing(g, id)
        .iter()
        .filter_map(|&to| Some(CallHierarchyOutgoingCall { to: item(snap, to)?, from_ranges: file.entries(snap, to) }))
        .collect();
    json(&calls)
}

/// The concept an item names in its `data` (name and file), found again in this snapshot's
/// graph, by name and file, else by name alone (the file moved). An item without `data` (a
/// client that dropped it) is taken by its name; one whose `data` names no concept (another
/// kind of item, such as a document's) is none.
fn concept_of(snap: &Snapshot, item: &CallHierarchyItem) -> Option<ConceptId> {
    let data = item.data.as_ref();
    let name = match data {
        None => &item.name,
        Some(d) => d.get("concept")?.as_str()?,
    };
    let path = data.and_then(|d| d.get("path")?.as_str()).map(Path::new);
    let a = &snap.analysis;
    a.concept_at(name, path).or_else(|| a.concept_at(name, None))
}

/// The whole of `line` (to the start of the next one, so no column needs counting).
fn line_range(line: u32) -> Range {
    Range { start: Position { line, character: 0 }, end: Position { line: line + 1, character: 0 } }
}

/// The most synonyms an item's detail lists.
const DETAIL_SYNONYMS: usize = 8;

/// The call-hierarchy item of a concept: its file, its definition line, its synonyms.
fn item(snap: &Snapshot, id: ConceptId) -> Option<CallHierarchyItem> {
    let c = snap.analysis.graph.concept(id);
    // A concept may have thousands of synonyms: the detail names the first few.
    let count = c.terms().count() - 1;
    let mut synonyms: Vec<String> = c.terms().skip(1).take(DETAIL_SYNONYMS).map(str::to_string).collect();
    if count > DETAIL_SYNONYMS {
        synonyms.push(format!("… {} more", count - DETAIL_SYNONYMS));
    }
    let range = line_range(c.line());
    Some(CallHierarchyItem {
        name: c.name().to_string(),
        kind: SymbolKind::KEY,
        tags: None,
        detail: (!synonyms.is_empty()).then(|| synonyms.join(", ")),
        uri: convert::uri(c.path())?,
        range,
        selection_range: range,
        data: Some(json!({"concept": c.name(), "path": c.path().display().to_string()})),
    })
}

/// The file of a concept whose `related::` names others, read for the ranges of its entries.
struct NamingFile {
    /// The concept's definition line: the range when an entry cannot be found.
    line: u32,
    /// The text and its line index; `None` when the file cannot be read.
    text: Option<(String, LineIndex)>,
}

impl NamingFile {
    fn read(snap: &Snapshot, id: ConceptId) -> NamingFile {
        let c = snap.analysis.graph.concept(id);
        let text = read(snap, c.path()).map(|t| {
            let index = LineIndex::new(&t);
            (t, index)
        });
        NamingFile { line: c.line(), text }
    }

    /// Where the file names `to` in its `related::` lines; the definition line when it cannot
    /// be read or names it on no such line (it changed on disk since the graph was built).
    fn entries(&self, snap: &Snapshot, to: ConceptId) -> Vec<Range> {
        let to = snap.analysis.graph.concept(to);
        let ranges: Vec<Range> = match &self.text {
            Some((text, index)) => nav::related_entries(text, to)
                .into_iter()
                .map(|r| convert::range(text, index, r, snap.client.encoding))
                .collect(),
            None => Vec::new(),
        };
        if ranges.is_empty() { vec![line_range(self.line)] } else { ranges }
    }
}
