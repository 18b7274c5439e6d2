//! Wire-order text synchronization: a `tower::Service` wrapper around the LSP service.
//!
//! tower-lsp-server runs notification handlers concurrently, so a `didChange` could be applied
//! after a later request reads the document (upstream issue #284). The server's read loop calls
//! `Service::call` once per message, in wire order, so this wrapper applies `didOpen`,
//! `didChange` and `didClose` right there, synchronously, before forwarding the message. It
//! does no I/O and never blocks for long: an edit is a string splice and a line index.
//!
//! It is also where every request's latency is measured for the monitor: from the moment the
//! read loop hands the message over to the moment its response is ready to be written.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::Service;
use tower_lsp_server::jsonrpc::{ErrorCode, Request, Response};
use tower_lsp_server::ls_types::{DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams};

use super::convert;
use super::server::Session;
use crate::perf::Outcome;
use crate::workspace::Document;

/// Applies text-sync notifications in wire order, then forwards every message to `inner`.
pub struct SyncService<S> {
    pub inner: S,
    pub session: Arc<Session>,
}

impl<S> Service<Request> for SyncService<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Response>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if self.session.is_initialized() && apply_text_sync(&self.session, &req) {
            self.session.schedule_rebuild();
        }
        let timed = req.id().is_some().then(|| (req.method().to_string(), Instant::now()));
        let monitor = self.session.monitor.clone();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let result = fut.await;
            if let (Some((method, start)), Ok(response)) = (timed, &result) {
                let outcome = match response.as_ref().and_then(|r| r.error()) {
                    None => Outcome::Ok,
                    Some(e) if e.code == ErrorCode::RequestCancelled => Outcome::Cancelled,
                    Some(e) if e.code == ErrorCode::ServerError(-32801) => Outcome::Cancelled,
                    Some(_) => Outcome::Error,
                };
                monitor.record(&method, start.elapsed(), outcome);
            }
            result
        })
    }
}

/// Applies a text-sync notification; returns whether the workspace now has knowledge-graph
/// edits waiting for a background rebuild.
fn apply_text_sync(session: &Session, req: &Request) -> bool {
    let params = || req.params().cloned().unwrap_or_default();
    match req.method() {
        "textDocument/didOpen" => match serde_json::from_value::<DidOpenTextDocumentParams>(params()) {
            Ok(p) => {
                let path = convert::path(&p.text_document.uri);
                let mut ws = session.workspace();
                ws.documents.open(
                    p.text_document.uri.to_string(),
                    Document::new(p.text_document.text, p.text_document.version, path.clone()),
                );
                if let Some(path) = path {
                    ws.document_changed(&path);
                }
            }
            Err(e) => tracing::warn!("ignoring malformed didOpen: {e}"),
        },
        "textDocument/didChange" => match serde_json::from_value::<DidChangeTextDocumentParams>(params()) {
            Ok(p) => {
                let enc = session.encoding();
                let mut ws = session.workspace();
                let key = p.text_document.uri.to_string();
                let Some(doc) = ws.documents.get_mut(&key) else {
                    tracing::warn!("didChange for a document that is not open: {key}");
                    return false;
                };
                for change in &p.content_changes {
                    let range = change.range.map(|r| {
                        let start = convert::offset(&doc.text, &doc.line_index, r.start, enc);
                        let end = convert::offset(&doc.text, &doc.line_index, r.end, enc);
                        start.min(end)..end.max(start)
                    });
                    doc.edit(range, &change.text);
                }
                doc.version = p.text_document.version;
                if let Some(path) = doc.path.clone() {
                    ws.document_changed(&path);
                    drop(ws);
                    // Running searches read this document: their answers would be stale.
                    if session.affects_search(&path) {
                        session.search().content_modified();
                    }
                }
            }
            Err(e) => tracing::warn!("ignoring malformed didChange: {e}"),
        },
        "textDocument/didClose" => match serde_json::from_value::<DidCloseTextDocumentParams>(params()) {
            Ok(p) => {
                let mut ws = session.workspace();
                if let Some(doc) = ws.documents.close(p.text_document.uri.as_str()) {
                    if let Some(path) = doc.path {
                        ws.document_changed(&path);
                    }
                }
            }
            Err(e) => tracing::warn!("ignoring malformed didClose: {e}"),
        },
        _ => return false,
    }
    session.workspace().has_pending_changes()
}
