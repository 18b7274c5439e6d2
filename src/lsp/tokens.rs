//! `textDocument/semanticTokens/{full,full/delta,range}` and `textDocument/inlayHint`: the
//! terms of the request's document from [`crate::navigate::tokens`], in protocol shapes.
//!
//! Owns the [`TokenCache`] of the last full result per document, which a delta is computed
//! against. Handlers run on workers with an immutable snapshot, so the cache is the one shared,
//! locked piece: a small LRU by URI, each entry the last `resultId` sent, its tokens and the text
//! and graph they were found in, so that a delta redoes only the blocks an edit touched. A
//! delta whose `previousResultId` is not the cached one (evicted, or another client's) is
//! answered with full tokens, which the protocol allows. Must not decide what a token is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use ls_types::*;
use parking_lot::Mutex;

use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::analysis::GraphStamp;
use crate::index::TermIndex;
use crate::navigate::Kind;
use crate::navigate::tokens::{self as core, Encoded, Setup, Terms};
use crate::search::Cancel;

/// How many documents' last results are kept: the documents on screen, with room to spare.
/// A 2,000-line document's tokens are a few hundred kilobytes at most.
const CACHED_DOCUMENTS: usize = 16;

/// What kept tokens were found in: the text, and the graph and term index.
type Source = (Arc<String>, GraphStamp, Weak<TermIndex>);

/// A result sent: its id, its tokens and encoding, and what they were found in (the text and
/// the graph), so that a delta redoes only what an edit touched.
struct Sent {
    id: String,
    /// `None` when tokens were off: the result was no tokens, whatever the text.
    of: Option<Source>,
    encoded: Arc<Encoded>,
}

/// The last full result sent for each of the recent documents, by URI.
pub struct TokenCache {
    last: Mutex<lru::LruCache<String, Sent>>,
    next_id: AtomicU64,
}

impl Default for TokenCache {
    fn default() -> Self {
        let cap = std::num::NonZeroUsize::new(CACHED_DOCUMENTS).expect("a positive capacity");
        TokenCache { last: Mutex::new(lru::LruCache::new(cap)), next_id: AtomicU64::new(1) }
    }
}

impl TokenCache {
    /// Keeps `encoded` (found in `of`) as the last result for `uri`; returns its new result id.
    fn keep(&self, uri: &str, of: Option<Source>, encoded: Arc<Encoded>) -> String {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        self.last.lock().put(uri.to_string(), Sent { id: id.clone(), of, encoded });
        id
    }

    /// Result `id` for `uri`, if it is the one kept.
    fn get(&self, uri: &str, id: &str) -> Option<(Option<Source>, Arc<Encoded>)> {
        self.last.lock().get(uri).filter(|s| s.id == id).map(|s| (s.of.clone(), s.encoded.clone()))
    }
}

/// How the snapshot's document is tokenized for its client; `None` when tokens are off.
fn setup(snap: &Snapshot) -> Option<Setup> {
    let support = snap.client.semantic_tokens?;
    snap.navigation.semantic_tokens.then(|| Setup {
        kind: if snap.checks.kg_file { Kind::ConceptFile } else { Kind::Document },
        code: snap.navigation.semantic_tokens_in_code,
        enc: snap.client.encoding,
        mask: support.mask(),
    })
}

fn terms(snap: &Snapshot) -> Terms<'_> {
    let a = &snap.analysis;
    Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() }
}

/// The encoded tokens of the snapshot's document within `range`; `None` without a document.
fn encoded(snap: &Snapshot, range: Range) -> Option<Vec<u32>> {
    let doc = snap.doc.as_ref()?;
    let Some(setup) = setup(snap) else { return Some(Vec::new()) };
    let enc = snap.client.encoding;
    let within = convert::offset(&doc.text, &doc.line_index, range.start, enc)
        ..convert::offset(&doc.text, &doc.line_index, range.end, enc);
    let found = core::tokens(&doc.text, setup.kind, terms(snap), setup.code);
    Some(core::encode(&doc.text, &doc.line_index, &found, enc, setup.mask, Some(within)))
}

/// All the tokens of the snapshot's document, and what they were found in; `None` without a
/// document.
fn whole(snap: &Snapshot) -> Option<(Option<Source>, Encoded)> {
    let doc = snap.doc.as_ref()?;
    let Some(setup) = setup(snap) else {
        let off = Setup { kind: Kind::Document, code: false, enc: snap.client.encoding, mask: 0 };
        return Some((None, Encoded::new("", &crate::text::LineIndex::new(""), terms(snap), off)));
    };
    let of = (doc.text.clone(), snap.analysis.stamp, Arc::downgrade(&snap.analysis.terms));
    Some((Some(of), Encoded::new(&doc.text, &doc.line_index, terms(snap), setup)))
}

fn tokens_of(data: &[u32]) -> Vec<SemanticToken> {
    data.chunks_exact(5)
        .map(|t| SemanticToken {
            delta_line: t[0],
            delta_start: t[1],
            length: t[2],
            token_type: t[3],
            token_modifiers_bitset: t[4],
        })
        .collect()
}

/// Full tokens, kept for a later delta when the client asks for deltas.
fn full_result(snap: &Snapshot, uri: &Uri, (of, encoded): (Option<Source>, Encoded)) -> SemanticTokens {
    let delta = snap.client.semantic_tokens.is_some_and(|s| s.delta);
    let tokens = tokens_of(&encoded.data);
    let result_id = delta.then(|| snap.tokens.keep(uri.as_str(), of, Arc::new(encoded)));
    SemanticTokens { result_id, data: tokens }
}

pub fn full(snap: &Snapshot, params: SemanticTokensParams, _: &Cancel) -> Answer {
    let Some(found) = whole(snap) else { return json(&None::<()>) };
    json(&full_result(snap, &params.text_document.uri, found))
}

pub fn range(snap: &Snapshot, params: SemanticTokensRangeParams, _: &Cancel) -> Answer {
    let Some(data) = encoded(snap, params.range) else { return json(&None::<()>) };
    json(&SemanticTokens { result_id: None, data: tokens_of(&data) })
}

/// The edit from the kept result: redone only where the text changed when the kept tokens
/// are of this graph and this setup (see [`Encoded::update`]), else from all tokens found again.
pub fn delta(snap: &Snapshot, params: SemanticTokensDeltaParams, _: &Cancel) -> Answer {
    let uri = &params.text_document.uri;
    let Some(doc) = snap.doc.as_ref() else { return json(&None::<()>) };
    let Some((of, old)) = snap.tokens.get(uri.as_str(), &params.previous_result_id) else {
        let Some(found) = whole(snap) else { return json(&None::<()>) };
        return json(&SemanticTokensFullDeltaResult::Tokens(full_result(snap, uri, found)));
    };
    let same_graph = |(_, stamp, terms): &Source| {
        *stamp == snap.analysis.stamp && terms.ptr_eq(&Arc::downgrade(&snap.analysis.terms))
    };
    let (new_of, new, edit) = match (setup(snap), of.filter(same_graph)) {
        (Some(setup), Some((text, ..))) => {
            let (new, edit) = old.update(&text, &doc.text, &doc.line_index, terms(snap), setup);
            let of = (doc.text.clone(), snap.analysis.stamp, Arc::downgrade(&snap.analysis.terms));
            (Some(of), new, edit)
        }
        _ => {
            let Some((of, new)) = whole(snap) else { return json(&None::<()>) };
            let edit = core::delta(&old.data, &new.data);
            (of, new, edit)
        }
    };
    let edits = edit
        .map(|e| SemanticTokensEdit { start: e.start, delete_count: e.delete_count, data: Some(tokens_of(&e.data)) })
        .into_iter()
        .collect();
    let result_id = Some(snap.tokens.keep(uri.as_str(), new_of, Arc::new(new)));
    json(&SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta { result_id, edits }))
}

/// The canonical name after each synonym in the range (never in code: a hint there would
/// break the code's layout).
pub fn inlay_hints(snap: &Snapshot, params: InlayHintParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    if !snap.navigation.inlay_hints {
        return json(&Vec::<InlayHint>::new());
    }
    let enc = snap.client.encoding;
    let r = params.range;
    let within = convert::offset(&doc.text, &doc.line_index, r.start, enc)
        ..convert::offset(&doc.text, &doc.line_index, r.end, enc);
    let a = &snap.analysis;
    let terms = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
    let kind = if snap.checks.kg_file { Kind::ConceptFile } else { Kind::Document };
    let hints: Vec<InlayHint> = core::hints(&doc.text, kind, terms, false, within)
        .into_iter()
        .map(|h| InlayHint {
            position: convert::position(&doc.text, &doc.line_index, h.offset, enc),
            label: InlayHintLabel::String(h.label),
            kind: None,
            text_edits: None,
            tooltip: Some(InlayHintTooltip::String(h.tooltip)),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect();
    json(&hints)
}
