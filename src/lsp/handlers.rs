//! Request handlers that run on a worker: each converts its params, makes one call on the
//! immutable [`Snapshot`] taken when the request was dispatched, and converts the result.
//!
//! A handler never sees the main loop's state, so an edit that arrives while it runs cannot
//! change its answer. It returns the JSON text of the result, or a [`ResponseError`].

use std::path::PathBuf;
use std::sync::Arc;

use ls_types::*;
use serde::Serialize;

use super::caps::ClientInfo;
use super::convert;
use super::transport::code;
use crate::analysis::{Analysis, GraphStamp};
use crate::kg::ConceptId;
use crate::render::Format;
use crate::search::Cancel;
use crate::vfs::Vfs;
use crate::workspace::Document;

/// What a request reads: the analysis and the request's document as they were when it was
/// dispatched.
pub struct Snapshot {
    pub analysis: Analysis,
    pub doc: Option<Document>,
    /// The files as the request reads them: the open documents over the disk.
    pub files: Arc<dyn Vfs>,
    pub client: Arc<ClientInfo>,
    pub completion_limit: usize,
    /// What a workspace search reads besides the analysis.
    pub search: Option<super::search::Snapshot>,
    /// Work to finish on the same worker after the answer is sent.
    pub later: Later,
    /// What the terminology checks of `doc` need.
    pub checks: super::diagnostics::CheckContext,
    /// Where the workspace's documents (as on disk) mention concepts.
    pub mentions: Arc<crate::navigate::MentionIndex>,
    /// The open documents with a file, as they were at dispatch.
    pub open: Vec<(Arc<std::path::Path>, Arc<String>)>,
    /// The version of each of `open`, for edits of open documents.
    pub versions: Vec<(Arc<std::path::Path>, i32)>,
    /// Folded term → occurrences in the workspace's documents (mention counts).
    pub occurrences: Arc<std::collections::HashMap<String, u64>>,
    /// The last semantic tokens sent per document, shared by every snapshot.
    pub tokens: Arc<super::tokens::TokenCache>,
    pub navigation: crate::workspace::NavigationConfig,
}

/// Work a handler leaves for after its answer.
#[derive(Clone, Default)]
pub struct Later(Arc<parking_lot::Mutex<Vec<Job>>>);

/// One piece of work left for later.
pub type Job = Box<dyn FnOnce() + Send>;

impl Later {
    pub fn push(&self, f: impl FnOnce() + Send + 'static) {
        self.0.lock().push(Box::new(f));
    }

    pub fn take(&self) -> Vec<Job> {
        std::mem::take(&mut *self.0.lock())
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ResponseError {
    pub code: i32,
    pub message: String,
}

impl ResponseError {
    pub fn new(code: i32, message: impl Into<String>) -> ResponseError {
        ResponseError { code, message: message.into() }
    }

    pub fn cancelled() -> ResponseError {
        ResponseError::new(code::REQUEST_CANCELLED, "the request was cancelled")
    }
}

pub type Answer = Result<Vec<u8>, ResponseError>;

/// The JSON text of `value`.
pub fn json(value: &impl Serialize) -> Answer {
    serde_json::to_vec(value).map_err(|e| ResponseError::new(code::INTERNAL_ERROR, e.to_string()))
}

fn format_of(markdown: bool) -> Format {
    if markdown { Format::Markdown } else { Format::PlainText }
}

fn markup(markdown: bool, value: String) -> MarkupContent {
    MarkupContent { kind: if markdown { MarkupKind::Markdown } else { MarkupKind::PlainText }, value }
}

pub fn hover(snap: &Snapshot, params: HoverParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    let tdp = params.text_document_position_params;
    let enc = snap.client.encoding;
    let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, enc);
    let Some(hit) = snap.analysis.hover(&doc.text, offset) else { return json(&None::<()>) };
    let markdown = snap.client.hover_markdown.unwrap_or(false);
    let rendered = snap.analysis.render_hover_within(&hit, format_of(markdown), &*snap.files);
    if !rendered.complete {
        // Over the budget: answer with what is ready and finish on this worker after the
        // answer is sent, so the next hover comes from the cache.
        let (a, hit, files) = (snap.analysis.clone(), hit.clone(), snap.files.clone());
        snap.later.push(move || {
            a.render_hover(&hit, format_of(markdown), &*files);
        });
    }
    hover_json(snap, doc, &hit.range, rendered.text, markdown)
}

fn hover_json(snap: &Snapshot, doc: &Document, range: &std::ops::Range<usize>, text: String, markdown: bool) -> Answer {
    let contents = match snap.client.hover_markdown {
        Some(_) => HoverContents::Markup(markup(markdown, text)),
        // A client that declared no content format gets the oldest shape: a plain string.
        None => HoverContents::Scalar(MarkedString::String(text)),
    };
    let range = convert::range(&doc.text, &doc.line_index, range.clone(), snap.client.encoding);
    json(&Hover { contents, range: Some(range) })
}

pub fn resolve(snap: &Snapshot, mut item: CompletionItem, _: &Cancel) -> Answer {
    let found = item.data.as_ref().and_then(|d| {
        // The id in the graph of the answer, when the item carries one.
        let at =
            || Some((GraphStamp(d.get("graph")?.as_u64()?), ConceptId(u32::try_from(d.get("id")?.as_u64()?).ok()?)));
        Some((d.get("concept")?.as_str()?.to_string(), d.get("path")?.as_str().map(PathBuf::from), at()))
    });
    if let Some((name, path, at)) = found
        && let Some(id) = snap.analysis.concept_again(&name, path.as_deref(), at)
    {
        let markdown = snap.client.completion_markdown.unwrap_or(false);
        let value = snap.analysis.render_concept(id, format_of(markdown), &*snap.files);
        item.documentation = Some(match snap.client.completion_markdown {
            Some(_) => Documentation::MarkupContent(markup(markdown, value)),
            None => Documentation::String(value),
        });
    }
    json(&item)
}

pub fn definition(snap: &Snapshot, params: GotoDefinitionParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    let tdp = params.text_document_position_params;
    let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, snap.client.encoding);
    let locations: Vec<Location> =
        snap.analysis.definition(&doc.text, offset).iter().filter_map(|l| convert::location(&l.path, l.line)).collect();
    match locations.len() {
        0 => json(&None::<()>),
        1 => json(&locations[0]),
        _ => json(&locations),
    }
}
