//! An LSP client for tests: starts the real `kg-ls` binary and speaks JSON-RPC with
//! Content-Length framing over its stdio, as an editor does.
//!
//! Owns framing, request ids, answering the server's own requests, and collecting
//! notifications. It asserts nothing about features; the tests do.
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
        // Benchmarks may run another build beside this one (a baseline in the same run).
        let bin = std::env::var_os("KG_LS_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_kg-ls").into());
        let mut child = Command::new(bin)
            .args(args)
            .env("KG_LS_CACHE_DIR", cache)
            .env("RUST_LOG", "kg_ls=debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("KG_LS_TEST_STDERR").or(std::env::var_os("KG_LS_BENCH_STDERR")).is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start kg-ls");
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

    /// Waits for the response to request `id`, answering server requests meanwhile.
    pub fn response(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + self.timeout;
        loop {
            let msg = self.next_message(deadline).unwrap_or_else(|| panic!("no response to request {id}"));
            if msg.get("method").is_none() && msg.get("id") == Some(id) {
                return msg;
            }
        }
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

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
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
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse().ok();
        }
    }
    let mut body = vec![0; len?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
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
