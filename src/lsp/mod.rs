//! The protocol layer: the only module that knows tokio, LSP types and JSON-RPC.
//!
//! [`run_stdio`] starts one thread that reads and decodes frames from stdin, one that writes
//! stdout, and the [`main_loop`] between them, which owns all state. The transport is our own
//! ([`transport`]): the frameworks we tried (tower-lsp-server, async-lsp, lsp-server) end
//! their read loop on the first malformed frame, where the protocol wants an error answer and
//! the next frame.

mod caps;
mod completion;
mod convert;
mod diagnostics;
mod graph;
mod handlers;
mod links;
mod main_loop;
mod navigation;
mod outline;
mod rename;
mod search;
mod tokens;
pub mod transport;

use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;

use main_loop::{Event, MainLoop, Out};
use transport::Frame;

/// Bytes asked of stdin per read.
const READ_BUFFER: usize = 64 * 1024;
/// How long the last answers may take to be written once the loop has ended.
const FLUSH_AT_EXIT: Duration = Duration::from_millis(500);

/// Serves LSP on stdin/stdout until `exit` or the end of input. Returns the process exit code:
/// 0 after a `shutdown` request, 1 otherwise, as the specification says.
pub async fn run_stdio() -> i32 {
    let (events, rx) = mpsc::unbounded_channel();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (written_tx, written) = std::sync::mpsc::channel::<()>();
    let reader = {
        let events = events.clone();
        std::thread::Builder::new().name("kg-ls stdin".into()).spawn(move || {
            let mut stdin = std::io::BufReader::with_capacity(READ_BUFFER, std::io::stdin().lock());
            loop {
                let event = match transport::read_frame(&mut stdin) {
                    Ok(Frame::Body(body)) => Event::Message(transport::decode(&body)),
                    Ok(Frame::Broken(why)) => Event::Message(transport::Incoming::Invalid {
                        id: None,
                        code: transport::code::PARSE_ERROR,
                        message: format!("a broken frame: {why}"),
                    }),
                    Ok(Frame::End) => break,
                    Err(e) => {
                        tracing::error!("cannot read standard input: {e}");
                        break;
                    }
                };
                if events.send(event).is_err() {
                    return; // The loop has ended.
                }
            }
            let _ = events.send(Event::InputClosed);
        })
    };
    let writer = std::thread::Builder::new().name("kg-ls stdout".into()).spawn(move || {
        let mut stdout = std::io::stdout().lock();
        while let Some(bytes) = out_rx.blocking_recv() {
            // Whatever is already queued goes out in the same write.
            let mut batch = bytes;
            while let Ok(more) = out_rx.try_recv() {
                batch.extend_from_slice(&more);
            }
            if stdout.write_all(&batch).and_then(|()| stdout.flush()).is_err() {
                break; // The client is gone.
            }
        }
        let _ = written_tx.send(());
    });
    if let Err(e) = reader.and(writer) {
        eprintln!("kg-ls: cannot start the threads for standard input and output: {e}");
        return 1;
    }
    let code = MainLoop::new(Out(out_tx), events).run(rx).await;
    // The loop dropped its sender; the writer ends after writing what was queued. The reader
    // may stay blocked in `read`: the process exits without it.
    let _ = written.recv_timeout(FLUSH_AT_EXIT);
    code
}
