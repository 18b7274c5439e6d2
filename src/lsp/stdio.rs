//! Standard input and output for the protocol, each on a dedicated thread.
//!
//! tokio's `stdin()`/`stdout()` hand every read and every write to the blocking pool, one task
//! each: two thread hand-offs per request and answer, which showed in the typing storm's tail.
//! Here one thread reads stdin in large chunks and one writes stdout, and the async side only
//! passes buffers through channels. Owns no protocol logic.
//!
//! The reader blocks in `read` and cannot be interrupted (tokio's stdin cannot either): it ends
//! at end of input, or at its next read once the server no longer listens. The writer ends
//! when the output is dropped, after writing everything sent before; [`WriterDone::wait`]
//! waits for that, so the last answers (`shutdown`) are not lost when the process exits.

use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;

/// Bytes asked of stdin per read.
const READ_CHUNK: usize = 64 * 1024;

/// Standard input, read by its own thread.
pub struct Input {
    chunks: mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

/// Starts the reader thread.
pub fn input() -> std::io::Result<Input> {
    let (tx, chunks) = mpsc::channel(16);
    std::thread::Builder::new().name("kg-ls stdin".into()).spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let chunk = match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    })?;
    Ok(Input { chunks, current: Vec::new(), at: 0 })
}

impl AsyncRead for Input {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.at == this.current.len() {
            match ready!(this.chunks.poll_recv(cx)) {
                Some(Ok(chunk)) => {
                    this.current = chunk;
                    this.at = 0;
                }
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())), // End of input.
            }
        }
        let n = out.remaining().min(this.current.len() - this.at);
        out.put_slice(&this.current[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(()))
    }
}

/// Standard output, written by its own thread.
pub struct Output {
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl Output {
    /// A handle that queues whole messages for the writer thread beside this output.
    pub fn replies(&self) -> Replies {
        Replies { tx: self.tx.clone() }
    }
}

/// Queues complete, framed messages for the writer thread. Every write of [`Output`] is taken
/// whole, so messages from both never interleave.
#[derive(Clone, Debug)]
pub struct Replies {
    tx: mpsc::UnboundedSender<Vec<u8>>,
}

impl Replies {
    /// Queues `frame`; false when the writer has stopped (the client is gone).
    pub fn send(&self, frame: Vec<u8>) -> bool {
        self.tx.send(frame).is_ok()
    }
}

/// Signals that the writer thread has written everything and ended.
pub struct WriterDone(std::sync::mpsc::Receiver<()>);

impl WriterDone {
    /// Waits until everything sent before the output was dropped is written, at most `limit`
    /// (a client that stopped reading must not keep the process alive).
    pub fn wait(self, limit: Duration) {
        let _ = self.0.recv_timeout(limit);
    }
}

/// Starts the writer thread.
pub fn output() -> std::io::Result<(Output, WriterDone)> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("kg-ls stdout".into()).spawn(move || {
        let mut stdout = std::io::stdout().lock();
        while let Some(bytes) = rx.blocking_recv() {
            // Whatever is already queued goes out in the same write.
            let mut batch = bytes;
            while let Ok(more) = rx.try_recv() {
                batch.extend_from_slice(&more);
            }
            if stdout.write_all(&batch).and_then(|()| stdout.flush()).is_err() {
                break; // The client is gone.
            }
        }
        let _ = done_tx.send(());
    })?;
    Ok((Output { tx }, WriterDone(done)))
}

impl AsyncWrite for Output {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.tx.send(buf.to_vec()) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        // Written in order by the thread, which flushes after every batch.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
