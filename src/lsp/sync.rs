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
//!
//! Completion requests are answered here, around tower-lsp (see [`super::completion`]), with
//! their own `$/cancelRequest` handling: a completion waiting for the first load is dropped
//! when the editor cancels it, as tower-lsp would.
//!
//! And it is where a panic stops: a handler that panics answers its request with an internal
//! error that names the method and the panic, and the server goes on (tower-lsp would let the
//! panic end the read loop, and the editor would lose the server).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use serde::Deserialize;
use tokio::sync::oneshot;
use tower::Service;
use tower_lsp_server::jsonrpc::{self, ErrorCode, Id, Request, Response};
use tower_lsp_server::ls_types::{
    CancelParams, CompletionParams, DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    NumberOrString,
};

use super::server::Session;
use super::stdio::Replies;
use super::{completion, convert};
use crate::perf::Outcome;
use crate::workspace::Document;

/// Applies text-sync notifications in wire order, then forwards every message to `inner`.
pub struct SyncService<S> {
    pub inner: S,
    pub session: Arc<Session>,
    /// Where completion answers go, beside tower-lsp's own output.
    pub replies: Replies,
    /// Completions being answered here, by request id, with their cancel signal.
    pub running: Arc<Mutex<HashMap<Id, oneshot::Sender<()>>>>,
}

impl<S> Service<Request> for SyncService<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Response>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let (method, id) = (req.method().to_string(), req.id().cloned());
        let session = &self.session;
        let synced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session.is_initialized() && apply_text_sync(session, &req)
        }));
        match synced {
            Ok(true) => self.session.schedule_rebuild(),
            Ok(false) => {}
            Err(panic) => tracing::error!("{method} panicked, the edit is lost: {}", panic_message(&*panic)),
        }
        if req.method() == "$/cancelRequest" {
            self.cancel_completion(&req);
        }
        if let Some(answer) = self.answer_completion(&req) {
            return guard(method, id, answer);
        }
        let timed = req.id().is_some().then(|| (req.method().to_string(), Instant::now()));
        let monitor = self.session.monitor.clone();
        let fut = self.inner.call(req);
        let timed_fut: Self::Future = Box::pin(async move {
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
        });
        guard(method, id, timed_fut)
    }
}

/// `fut`, with a panic turned into an internal-error response to request `id` (nothing for a
/// notification) and a log line.
fn guard<E: 'static>(method: String, id: Option<Id>, fut: ResponseFuture<E>) -> ResponseFuture<E> {
    Box::pin(async move {
        match CatchUnwind(fut).await {
            Ok(result) => result,
            Err(panic) => {
                let message = format!("kg-ls failed on {method}: {panic}");
                tracing::error!("{message}");
                let error = jsonrpc::Error { code: ErrorCode::InternalError, message: message.into(), data: None };
                Ok(id.map(|id| Response::from_error(id, error)))
            }
        }
    })
}

/// A future that stops a panic of the one it runs, as `Err` with the panic's message.
struct CatchUnwind<F>(F);

impl<F: std::future::Future + Unpin> std::future::Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        // Once it panicked, the inner future is never polled again: this one is ready.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| std::pin::Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic_message(&*panic))),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_string(),
    }
}

impl<S> SyncService<S> {
    /// Answers a completion request around tower-lsp, unless tower-lsp must answer it: before
    /// `initialize`, after `shutdown`, or with malformed params (an error response).
    fn answer_completion<E: 'static>(&self, req: &Request) -> Option<ResponseFuture<E>> {
        if req.method() != "textDocument/completion" || !self.session.is_initialized() || self.session.is_shut_down() {
            return None;
        }
        let id = req.id()?.clone();
        let params = CompletionParams::deserialize(req.params()?).ok()?;
        let start = Instant::now();
        let (cancel, cancelled) = oneshot::channel();
        lock(&self.running).insert(id.clone(), cancel);
        let (session, replies, running) = (self.session.clone(), self.replies.clone(), self.running.clone());
        Some(Box::pin(async move {
            let body = tokio::select! {
                // A cancel that arrived before the answer was ready wins.
                biased;
                Ok(()) = cancelled => None,
                body = completion::reply(&session, &id, params) => Some(body),
            };
            lock(&running).remove(&id);
            let outcome = if body.is_some() { Outcome::Ok } else { Outcome::Cancelled };
            let body = body.unwrap_or_else(|| {
                let cancelled = Response::from_error(id, jsonrpc::Error::request_cancelled());
                serde_json::to_vec(&cancelled).expect("an error response serializes")
            });
            // A client that is gone gets nothing; the read loop ends on its own.
            replies.send(completion::frame(&body));
            session.monitor.record("textDocument/completion", start.elapsed(), outcome);
            Ok(None)
        }))
    }

    /// Signals a completion answered here that the client cancelled.
    fn cancel_completion(&self, req: &Request) {
        let Some(Ok(p)) = req.params().map(CancelParams::deserialize) else { return };
        let id = match p.id {
            NumberOrString::Number(n) => Id::Number(n.into()),
            NumberOrString::String(s) => Id::String(s),
        };
        if let Some(cancel) = lock(&self.running).remove(&id) {
            let _ = cancel.send(());
        }
    }
}

/// What handling one message comes to: maybe a response for tower-lsp to write.
type ResponseFuture<E> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Response>, E>> + Send>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(fut: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(fut)
    }

    #[test]
    fn a_panicking_handler_answers_with_an_internal_error_and_nothing_else_stops() {
        let boom = || -> ResponseFuture<()> { Box::pin(async { panic!("boom at {}", 42) }) };
        let r = run(guard("textDocument/hover".into(), Some(Id::Number(7)), boom())).unwrap().unwrap();
        assert_eq!(r.id(), &Id::Number(7));
        let e = r.error().expect("an error response");
        assert_eq!((e.code, &*e.message), (ErrorCode::InternalError, "kg-ls failed on textDocument/hover: boom at 42"));
        // A notification has no one to answer.
        assert!(run(guard("initialized".into(), None, boom())).unwrap().is_none());
        // Everything else passes through untouched, also across an await.
        let fine: ResponseFuture<()> = Box::pin(async {
            tokio::task::yield_now().await;
            Ok(Some(Response::from_ok(Id::Number(8), serde_json::json!(1))))
        });
        let r = run(guard("x".into(), Some(Id::Number(8)), fine)).unwrap().unwrap();
        assert_eq!(r.result(), Some(&serde_json::json!(1)));
    }
}
