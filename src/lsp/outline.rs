//! `textDocument/documentSymbol`: the outline of the request's document, as a tree of
//! `DocumentSymbol`s for clients that declare `hierarchicalDocumentSymbolSupport`, else as flat
//! `SymbolInformation`s that name their parent.
//!
//! Owns the symbol kinds and the two shapes; must not compute the outline (one call to
//! [`crate::navigate::outline`]).

use ls_types::{DocumentSymbol, DocumentSymbolParams, Location, SymbolInformation, SymbolKind};

use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::kg::{SourceKind, kind_of};
use crate::navigate::outline::{self, Symbol, SymbolKind as Kind};
use crate::search::Cancel;
use crate::workspace::Document;

pub fn document_symbol(snap: &Snapshot, params: DocumentSymbolParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    let kind = doc.path.as_deref().and_then(kind_of);
    let symbols = match (snap.checks.kg_file, kind, &doc.path) {
        (true, Some(SourceKind::Markdown), Some(path)) => outline::concept_file(path, &doc.text),
        (true, Some(SourceKind::Thesaurus), Some(path)) => outline::thesaurus(path, &doc.text),
        _ => outline::document(&doc.text),
    };
    if snap.client.hierarchical_symbols {
        let nested: Vec<DocumentSymbol> = symbols.iter().map(|s| nested(snap, doc, s)).collect();
        json(&nested)
    } else {
        let mut flat = Vec::new();
        for s in &symbols {
            flatten(snap, doc, &params.text_document.uri, s, None, &mut flat);
        }
        json(&flat)
    }
}

/// Concepts and headings have the kinds workspace symbols give them.
fn kind(k: Kind) -> SymbolKind {
    match k {
        Kind::Heading => SymbolKind::STRING,
        Kind::Concept => SymbolKind::KEY,
        Kind::Synonym => SymbolKind::CONSTANT,
        Kind::Related => SymbolKind::INTERFACE,
        Kind::Property => SymbolKind::PROPERTY,
    }
}

#[allow(deprecated)]
fn nested(snap: &Snapshot, doc: &Document, s: &Symbol) -> DocumentSymbol {
    let range =
        |r: &std::ops::Range<usize>| convert::range(&doc.text, &doc.line_index, r.clone(), snap.client.encoding);
    DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(&s.range),
        selection_range: range(&s.selection),
        children: (!s.children.is_empty()).then(|| s.children.iter().map(|c| nested(snap, doc, c)).collect()),
    }
}

#[allow(deprecated)]
fn flatten(
    snap: &Snapshot,
    doc: &Document,
    uri: &ls_types::Uri,
    s: &Symbol,
    parent: Option<&str>,
    out: &mut Vec<SymbolInformation>,
) {
    // A flat symbol has one range: the one a client jumps to.
    let range = convert::range(&doc.text, &doc.line_index, s.selection.clone(), snap.client.encoding);
    out.push(SymbolInformation {
        name: s.name.clone(),
        kind: kind(s.kind),
        tags: None,
        deprecated: None,
        location: Location { uri: uri.clone(), range },
        container_name: parent.map(str::to_string),
    });
    for c in &s.children {
        flatten(snap, doc, uri, c, Some(&s.name), out);
    }
}
