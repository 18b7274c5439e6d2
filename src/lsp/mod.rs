//! The protocol layer: the only module that knows tokio, `tower-lsp-server` and LSP types.
//!
//! [`run_stdio`] wires the server to stdin/stdout (each on its own thread, see [`stdio`]) with a
//! raised concurrency level (so slow requests cannot keep `$/cancelRequest` from being read) and
//! the wire-order text-sync wrapper, which also answers completion (see [`completion`]).

mod completion;
mod convert;
mod search;
mod server;
mod stdio;
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
    let (input, (output, written)) = match stdio::input().and_then(|i| Ok((i, stdio::output()?))) {
        Ok(io) => io,
        Err(e) => {
            eprintln!("kg-ls: cannot start the threads for standard input and output: {e}");
            return 1;
        }
    };
    let service = sync::SyncService {
        inner: service,
        session: session.clone(),
        replies: output.replies(),
        running: Arc::default(),
    };
    Server::new(input, output, socket).concurrency_level(CONCURRENCY).serve(service).await;
    // The output is dropped with the server: wait until the last answers are written.
    written.wait(std::time::Duration::from_secs(5));
    session.stop();
    if session.is_shut_down() { 0 } else { 1 }
}
