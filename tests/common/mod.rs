//! An LSP client for tests: starts the real `kg-ls` binary and speaks JSON-RPC with
//! Content-Length framing over its stdio, as an editor does.
//!
//! Owns framing, request ids, answering the server's own requests, and collecting
//! notifications. [`RawClient`] writes raw bytes and reads raw frames, for tests of the wire
//! itself. It asserts nothing about features; the tests do.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait may take before the test fails instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Client {
    child: Child,
    /// The cache directory this server uses (never the user's own).
    pub cache: PathBuf,
    /// How long one wait may take (benchmarks on large graphs raise it).
    pub timeout: Duration,
    _cache_dir: Option<tempfile::TempDir>,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Every notification and server request received so far, in order.
    pub received: Vec<Value>,
    /// Responses that arrived while another one was awaited, until they are asked for.
    early: Vec<Value>,
}

impl Client {
    /// Starts `kg-ls` with `args` and a fresh cache directory.
    pub fn spawn(args: &[&str]) -> Client {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Client::spawn_with_cache(args, dir.path());
        c._cache_dir = Some(dir);
        c
    }

    /// Starts `kg-ls` with `args` and the cache directory `cache`.
    pub fn spawn_with_cache(args: &[&str], cache: &Path) -> Client {
        let mut child = kg_ls_command(args, cache).spawn().expect("start kg-ls");
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            cache: cache.to_path_buf(),
            timeout: TIMEOUT,
            _cache_dir: None,
            stdin,
            rx,
            next_id: 1,
            received: Vec::new(),
            early: Vec::new(),
        }
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_all(std::slice::from_ref(msg));
    }

    /// Writes several messages with one write, so the server finds them in one read buffer,
    /// as it does when an editor sends a burst.
    pub fn send_all(&mut self, msgs: &[Value]) {
        let mut buf = Vec::new();
        for msg in msgs {
            let body = serde_json::to_string(msg).unwrap();
            write!(buf, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        }
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(&buf).unwrap();
        stdin.flush().unwrap();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a notification and a request in one write and returns the request's result.
    pub fn notify_then_request(&mut self, notification: (&str, Value), request: (&str, Value)) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send_all(&[
            json!({"jsonrpc": "2.0", "method": notification.0, "params": notification.1}),
            json!({"jsonrpc": "2.0", "id": id, "method": request.0, "params": request.1}),
        ]);
        let resp = self.response(&id);
        assert!(resp.get("error").is_none(), "{} failed: {resp}", request.0);
        resp["result"].clone()
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request with the next integer id and returns its whole response message.
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.request_with_id(id, method, params)
    }

    /// Sends a request and returns its `result`, failing the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let resp = self.request_raw(method, params);
        assert!(resp.get("error").is_none(), "{method} failed: {resp}");
        resp["result"].clone()
    }

    pub fn request_with_id(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(&id)
    }

    /// Waits for the response to request `id`, answering server requests meanwhile; other
    /// responses that arrive meanwhile are kept for their own turn.
    pub fn response(&mut self, id: &Value) -> Value {
        if let Some(at) = self.early.iter().position(|m| m.get("id") == Some(id)) {
            return self.early.remove(at);
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let msg = self.next_message(deadline).unwrap_or_else(|| panic!("no response to request {id}"));
            if msg.get("method").is_none() {
                if msg.get("id") == Some(id) {
                    return msg;
                }
                self.early.push(msg);
            }
        }
    }

    /// Whether the response to `id` has arrived while another was awaited.
    pub fn received_response(&self, id: &Value) -> bool {
        self.early.iter().any(|m| m.get("id") == Some(id))
    }

    /// Receives one message, answering it if it is a server request; `None` on timeout or EOF.
    fn next_message(&mut self, deadline: Instant) -> Option<Value> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let msg = match self.rx.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        };
        if let (Some(method), Some(id)) = (msg.get("method").and_then(Value::as_str), msg.get("id")) {
            let result = match method {
                "workspace/configuration" => json!([null]),
                _ => Value::Null,
            };
            let reply = json!({"jsonrpc": "2.0", "id": id.clone(), "result": result});
            self.send(&reply);
        }
        if msg.get("method").is_some() {
            self.received.push(msg.clone());
        }
        Some(msg)
    }

    /// Waits until a notification or server request with `method` satisfying `pred` arrives
    /// (or has arrived), and returns its params.
    pub fn wait_for(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let matches = |m: &Value| m["method"] == method && pred(&m["params"]);
        if let Some(m) = self.received.iter().find(|m| matches(m)) {
            return m["params"].clone();
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let msg = self
                .next_message(deadline)
                .unwrap_or_else(|| panic!("no {method} arrived; received: {:#?}", self.received));
            if matches(&msg) {
                return msg["params"].clone();
            }
        }
    }

    /// Every `window/showMessage` text received so far.
    pub fn messages(&self) -> Vec<String> {
        self.received
            .iter()
            .filter(|m| m["method"] == "window/showMessage")
            .map(|m| m["params"]["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// `initialize` + `initialized` for one workspace folder, then waits until indexing ends.
    pub fn initialize(&mut self, root: &Path, options: Value, capabilities: Value) -> Value {
        let uri = file_uri(root);
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "capabilities": capabilities,
                "initializationOptions": options,
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    /// A client with the capabilities of a typical editor: markdown hovers, UTF-16.
    pub fn start(root: &Path, options: Value) -> Client {
        let mut c = Client::spawn(&[]);
        c.initialize(root, options, editor_capabilities());
        c
    }

    pub fn open(&mut self, path: &Path, text: &str) -> String {
        let uri = file_uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        );
        uri
    }

    pub fn position_params(uri: &str, line: u32, character: u32) -> Value {
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
    }

    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let r = self.request_raw("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        self.wait()
    }

    /// Closes stdin and waits for the process to end.
    pub fn wait(&mut self) -> ExitStatus {
        self.stdin.take();
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "kg-ls did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `exit` and returns the exit status.
    pub fn exit(mut self) -> ExitStatus {
        self.notify("exit", Value::Null);
        self.wait()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn editor_capabilities() -> Value {
    json!({
        "textDocument": {
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "completion": {"completionItem": {
                "snippetSupport": false,
                "labelDetailsSupport": true,
                "documentationFormat": ["markdown", "plaintext"]
            }},
            "synchronization": {"didSave": true}
        },
        "window": {"workDoneProgress": true},
        "general": {"positionEncodings": ["utf-16"]}
    })
}

/// The command that starts `kg-ls` with `args` and the cache directory `cache`, with piped
/// stdio (stderr inherited when `KG_LS_TEST_STDERR` or `KG_LS_BENCH_STDERR` is set).
fn kg_ls_command(args: &[&str], cache: &Path) -> Command {
    // Benchmarks may run another build beside this one (a baseline in the same run).
    let bin = std::env::var_os("KG_LS_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_kg-ls").into());
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("KG_LS_CACHE_DIR", cache)
        .env("RUST_LOG", "kg_ls=debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("KG_LS_TEST_STDERR").or(std::env::var_os("KG_LS_BENCH_STDERR")).is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        });
    cmd
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let body = read_frame(reader)?.ok()?;
    serde_json::from_slice(&body).ok()
}

/// Reads one frame's body as the server wrote it; `Err` says what is wrong with its header.
/// `None` at the end of output.
fn read_frame(reader: &mut impl BufRead) -> Option<Result<Vec<u8>, String>> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        match line.strip_prefix("Content-Length:") {
            Some(v) => len = v.trim().parse().ok(),
            None if line.starts_with("Content-Type:") => {}
            None => return Some(Err(format!("not a header line: {line:?}"))),
        }
    }
    let Some(len) = len else { return Some(Err("a frame without a Content-Length".to_string())) };
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Ok(body))
}

/// `body` framed with a `Content-Length` header, as the base protocol sends it.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// A client that writes raw bytes and reads raw frames, for tests of the wire itself: broken
/// frames, server requests left unanswered, closing stdin at a chosen moment, the process's
/// CPU time. It answers the server's own requests only when `answer_server_requests` is set.
pub struct RawClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Result<Vec<u8>, String>>,
    _cache_dir: tempfile::TempDir,
    /// Whether server requests are answered (with `null`, or `[null]` for
    /// `workspace/configuration`) as they arrive.
    pub answer_server_requests: bool,
    /// Every message received so far, in order (responses, notifications, server requests).
    pub received: Vec<Value>,
}

impl RawClient {
    /// Starts `kg-ls` with no arguments and a fresh cache directory.
    pub fn spawn() -> RawClient {
        let dir = tempfile::tempdir().unwrap();
        let mut child = kg_ls_command(&[], dir.path()).spawn().expect("start kg-ls");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(frame) = read_frame(&mut reader) {
                let broken = frame.is_err();
                if tx.send(frame).is_err() || broken {
                    break;
                }
            }
        });
        RawClient {
            stdin: child.stdin.take(),
            child,
            rx,
            _cache_dir: dir,
            answer_server_requests: true,
            received: Vec::new(),
        }
    }

    /// Writes `bytes` to the server's stdin in one write; false once stdin is closed or broken.
    pub fn write(&mut self, bytes: &[u8]) -> bool {
        let Some(stdin) = self.stdin.as_mut() else { return false };
        stdin.write_all(bytes).and_then(|()| stdin.flush()).is_ok()
    }

    /// Frames and writes one message.
    pub fn send(&mut self, msg: &Value) -> bool {
        self.write(&frame(serde_json::to_string(msg).unwrap().as_bytes()))
    }

    /// The next frame the server writes, as bytes; `None` on timeout or the end of output;
    /// `Some(Err(_))` for a broken header (the reader stops there).
    pub fn next_frame(&mut self, deadline: Instant) -> Option<Result<Vec<u8>, String>> {
        self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
    }

    /// The next message, parsed; answers it if it is a server request and
    /// `answer_server_requests` is set. Panics on a frame that is not JSON.
    pub fn next(&mut self, deadline: Instant) -> Option<Value> {
        let body = match self.next_frame(deadline)? {
            Ok(body) => body,
            Err(e) => panic!("the server wrote a broken frame: {e}"),
        };
        let msg: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("the server wrote a body that is not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        self.received.push(msg.clone());
        if self.answer_server_requests {
            self.answer(&msg);
        }
        Some(msg)
    }

    /// Answers `msg` if it is a server request.
    pub fn answer(&mut self, msg: &Value) {
        if let (Some(method), Some(id)) = (msg.get("method").and_then(Value::as_str), msg.get("id")) {
            let result = if method == "workspace/configuration" { json!([null]) } else { Value::Null };
            self.send(&json!({"jsonrpc": "2.0", "id": id.clone(), "result": result}));
        }
    }

    /// Waits for the response to `id` (a message with that id and no method).
    pub fn response(&mut self, id: &Value, timeout: Duration) -> Option<Value> {
        self.wait_for(timeout, |m| m.get("method").is_none() && m.get("id") == Some(id))
    }

    /// Waits until a message satisfying `pred` arrives (or has arrived).
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        if let Some(m) = self.received.iter().find(|m| pred(m)) {
            return Some(m.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.next(deadline)?;
            if pred(&msg) {
                return Some(msg);
            }
        }
    }

    /// Sends a request and waits (up to [`TIMEOUT`]) for its response.
    pub fn request(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        match self.response(&id, TIMEOUT) {
            Some(r) => r,
            None => panic!("no response to {method} {id} in {TIMEOUT:?}; the process is {}", self.state()),
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) -> bool {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// `initialize` (id 0) and `initialized` for workspace `root`.
    pub fn initialize(&mut self, root: &Path, process_id: Option<u32>, capabilities: Value) -> Value {
        let uri = file_uri(root);
        let r = self.request(
            json!(0),
            "initialize",
            json!({
                "processId": process_id,
                "rootUri": uri,
                "capabilities": capabilities,
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
            }),
        );
        assert!(r.get("result").is_some(), "initialize failed: {r}");
        self.notify("initialized", json!({}));
        r
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// "running", or how the process ended, for failure messages.
    pub fn state(&mut self) -> String {
        match self.child.try_wait().unwrap() {
            None => "running".to_string(),
            Some(status) => format!("gone ({status})"),
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Waits up to `timeout` for the process to end.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The CPU time (user + system) the process has used so far.
    pub fn cpu_time(&self) -> Duration {
        cpu_time(self.pid())
    }
}

impl Drop for RawClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CPU time (user + system, all threads) process `pid` has used, from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // The command name (field 2) is in parentheses and may contain spaces: fields count from
    // the last ')'; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / per_second)
}

/// A `file://` URI as editors send it (spaces and other bytes percent-encoded).
pub fn file_uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => s.push(b as char),
            _ => s += &format!("%{b:02X}"),
        }
    }
    s
}

/// A temporary workspace built from `(relative path, content)` pairs.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(files: &[(&str, &[u8])]) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        Workspace { dir }
    }

    /// A copy of a folder under `tests/fixtures`, placed at `to` inside the workspace.
    pub fn copy_fixture(&self, fixture: &str, to: &str) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
        copy_dir(&from, &self.dir.path().join(to));
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }
}

fn copy_dir(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        copy_dir(&entry.path(), &to.join(entry.file_name()));
    }
}

/// The labels of a completion response.
pub fn labels(result: &Value) -> Vec<String> {
    result["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}
