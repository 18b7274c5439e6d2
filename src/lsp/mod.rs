//! The protocol layer: the only module that knows tokio, `tower-lsp-server` and LSP types.
//!
//! [`run_stdio`] wires the server to stdin/stdout with a raised concurrency level (so slow
//! requests cannot keep `$/cancelRequest` from being read) and the wire-order text-sync wrapper.

mod convert;
mod search;
mod server;
mod sync;

use std::sync::Arc;

use tower_lsp_server::{LspService, Server};

pub use server::Session;

/// How many requests may run at once; well above tower-lsp's default of 4.
const CONCURRENCY: usize = 64;

/// Serves LSP on stdin/stdout until `exit` or the end of input. Returns the process exit code:
/// 0 after a `shutdown` request, 1 otherwise, as the specification says.
pub async fn run_stdio() -> i32 {
    let session = Arc::new(Session::default());
    let s = session.clone();
    let (service, socket) = LspService::build(move |client| server::Server::new(client, s))
        .custom_method("kg-ls/searchStats", server::Server::search_stats)
        .finish();
    let service = sync::SyncService { inner: service, session: session.clone() };
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).concurrency_level(CONCURRENCY).serve(service).await;
    session.stop();
    if session.is_shut_down() { 0 } else { 1 }
}
