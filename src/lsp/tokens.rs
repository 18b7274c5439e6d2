//! `textDocument/semanticTokens/{full,full/delta,range}` and `textDocument/inlayHint`: the
//! terms of the request's document from [`crate::navigate::tokens`], in protocol shapes.
//!
//! Owns the [`TokenCache`] of the last full result per document, which a delta is computed
//! against. Handlers run on workers with an immutable snapshot, so the cache is the one shared,
//! locked piece: a small LRU by URI, each entry the last `resultId` sent and its numbers. A
//! delta whose `previousResultId` is not the cached one (evicted, or another client's) is
//! answered with full tokens, which the protocol allows. Must not decide what a token is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ls_types::*;
use parking_lot::Mutex;

use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::navigate::Kind;
use crate::navigate::tokens::{self as core, Terms};
use crate::search::Cancel;

/// How many documents' last results are kept: the documents on screen, with room to spare.
/// A 2,000-line document's tokens are a few hundred kilobytes at most.
const CACHED_DOCUMENTS: usize = 16;

/// A result sent: its id and its numbers.
type Sent = (String, Arc<[u32]>);

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
    /// Keeps `data` as the last result for `uri`; returns its new result id.
    fn keep(&self, uri: &str, data: Arc<[u32]>) -> String {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        self.last.lock().put(uri.to_string(), (id.clone(), data));
        id
    }

    /// The numbers of result `id` for `uri`, if it is the one kept.
    fn get(&self, uri: &str, id: &str) -> Option<Arc<[u32]>> {
        self.last.lock().get(uri).filter(|(kept, _)| kept == id).map(|(_, d)| d.clone())
    }
}

/// The encoded tokens of the snapshot's document within `range` (all when `None`); `None`
/// without a document.
fn encoded(snap: &Snapshot, range: Option<Range>) -> Option<Vec<u32>> {
    let doc = snap.doc.as_ref()?;
    let Some(support) = snap.client.semantic_tokens else { return Some(Vec::new()) };
    if !snap.navigation.semantic_tokens {
        return Some(Vec::new());
    }
    let enc = snap.client.encoding;
    let within = range.map(|r| {
        convert::offset(&doc.text, &doc.line_index, r.start, enc)
            ..convert::offset(&doc.text, &doc.line_index, r.end, enc)
    });
    let a = &snap.analysis;
    let terms = Terms { graph: &a.graph, terms: &a.terms, terminology: a.terminology() };
    let kind = if snap.checks.kg_file { Kind::ConceptFile } else { Kind::Document };
    let found = core::tokens(&doc.text, kind, terms, snap.navigation.semantic_tokens_in_code);
    Some(core::encode(&doc.text, &doc.line_index, &found, enc, support.mask(), within))
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
fn full_result(snap: &Snapshot, uri: &Uri, data: Vec<u32>) -> SemanticTokens {
    let delta = snap.client.semantic_tokens.is_some_and(|s| s.delta);
    let tokens = tokens_of(&data);
    let result_id = delta.then(|| snap.tokens.keep(uri.as_str(), data.into()));
    SemanticTokens { result_id, data: tokens }
}

pub fn full(snap: &Snapshot, params: SemanticTokensParams, _: &Cancel) -> Answer {
    let Some(data) = encoded(snap, None) else { return json(&None::<()>) };
    json(&full_result(snap, &params.text_document.uri, data))
}

pub fn range(snap: &Snapshot, params: SemanticTokensRangeParams, _: &Cancel) -> Answer {
    let Some(data) = encoded(snap, Some(params.range)) else { return json(&None::<()>) };
    json(&SemanticTokens { result_id: None, data: tokens_of(&data) })
}

pub fn delta(snap: &Snapshot, params: SemanticTokensDeltaParams, _: &Cancel) -> Answer {
    let uri = &params.text_document.uri;
    let Some(data) = encoded(snap, None) else { return json(&None::<()>) };
    let Some(old) = snap.tokens.get(uri.as_str(), &params.previous_result_id) else {
        return json(&SemanticTokensFullDeltaResult::Tokens(full_result(snap, uri, data)));
    };
    let edit = core::delta(&old, &data);
    let result_id = Some(snap.tokens.keep(uri.as_str(), data.into()));
    let edits = edit
        .map(|e| SemanticTokensEdit { start: e.start, delete_count: e.delete_count, data: Some(tokens_of(&e.data)) })
        .into_iter()
        .collect();
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
