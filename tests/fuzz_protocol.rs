//! The protocol fuzzer: random sequences of valid and broken messages against the real
//! `kg-ls` binary, one process per case.
//!
//! A case is a client's capabilities, whether it answers the server's own requests, and a
//! sequence of messages: requests of every method the server has (with valid and wrongly
//! typed params), the document and configuration notifications with random values,
//! `$/cancelRequest` of earlier or unknown ids, and broken frames (bad headers, invalid
//! UTF-8, truncated JSON, wrong types, huge numbers, lone surrogates). Messages go out one by
//! one or in bursts of one write. Every case must end with the process alive until `exit`,
//! every request answered exactly once within [`TIMEOUT`], every frame well-formed JSON-RPC
//! (the id echoed, exactly one of result and error), no partial result or progress of a
//! request after its final response, and exit code 0 after a successful `shutdown` (1
//! without one).
//!
//! The run is bounded by `KG_LS_FUZZ_SECS` (default 20 s; CI sets about 60): cases start
//! until then, at most 30 for each second. A failure is shrunk for at most the budget (and
//! [`SHRINK_TIME`]), and its seed is kept in `proptest-regressions/fuzz_protocol.txt`, which
//! later runs replay first.
//!
//! Must not assert on features (what a completion contains); only on the protocol.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use common::{RawClient, Workspace, file_uri, frame};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// How long the server has to answer every request of a case once it was sent.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a failing case is shrunk (and at most the run's own budget).
const SHRINK_TIME: Duration = Duration::from_secs(60);
/// The documents messages refer to, by index: two documents, a concept file, a non-file URI.
const DOCS: [&str; 4] = ["docs/a.md", "docs/b.md", "kg/tokio.md", "untitled:Untitled-1"];

fn workspace() -> Workspace {
    Workspace::new(&[
        (".kg-ls.toml", b"[kg]\npaths = [\"kg\"]\n"),
        ("kg/tokio.md", b"# tokio\n\nAn async runtime for Rust.\n\nsynonyms:: tokio-rs\n"),
        ("kg/actor model.md", b"# actor model\n\nActors send each other messages.\n\nrelated:: tokio\n"),
        ("docs/a.md", b"# A\n\nSee tokio and the actor model.\n"),
        ("docs/guide.md", b"# Guide\n\n## Tuning tokio\n"),
    ])
}

// ---- what a case is

#[derive(Clone, Debug)]
struct Case {
    /// Index into [`capabilities`]; `None`: no `initialize` at all.
    capabilities: Option<usize>,
    answer_server_requests: bool,
    /// Each message, and whether it goes in the same write as the one before.
    messages: Vec<(Msg, bool)>,
}

#[derive(Clone, Debug)]
enum Msg {
    /// A request; its id is made from its place in the sequence in the given style.
    Request {
        method: Method,
        id_style: u8,
    },
    Notify(Note),
    /// `$/cancelRequest` of the request `back` requests before this one (or of an id never used).
    Cancel {
        back: usize,
    },
    Broken(Broken),
}

#[derive(Clone, Debug)]
enum Method {
    Initialize,
    Completion(Pos),
    Hover(Pos),
    Definition(Pos),
    /// `kg-ls/graph` at a position, with a depth (any JSON value).
    Graph(Pos, Value),
    /// `textDocument/prepareCallHierarchy`, then (a later request) the calls of its item.
    CallHierarchy(Pos),
    Calls(Value),
    /// `textDocument/documentSymbol` and `textDocument/documentLink` on the position's document.
    Outline(Pos),
    Links(Pos),
    Resolve(Value),
    Symbol {
        query: String,
        partial: bool,
    },
    Stats,
    Accept(Vec<Value>),
    Shutdown,
    /// A method the server does not have (`$/…` among them).
    Unknown(&'static str),
    /// A known method with params of the wrong shape.
    WrongParams(&'static str, Value),
}

#[derive(Clone, Debug)]
struct Pos {
    doc: usize,
    line: Value,
    character: Value,
}

#[derive(Clone, Debug)]
enum Note {
    Open {
        doc: usize,
        text: String,
    },
    Change {
        doc: usize,
        version: i64,
        changes: Vec<Change>,
    },
    Close(usize),
    Save(usize),
    Configuration(Value),
    /// A notification the server does not have (`$/…` among them), or a known one with wrong params.
    Other(String, Value),
}

#[derive(Clone, Debug)]
enum Change {
    Full(String),
    Range { start: (Value, Value), end: (Value, Value), text: String },
}

#[derive(Clone, Debug)]
enum Broken {
    /// Self-contained frames whose header is wrong.
    Header(usize),
    /// A request whose body is not UTF-8.
    InvalidUtf8,
    /// A request's body cut after `cut` bytes, with a Content-Length that matches the cut.
    Truncated { cut: usize },
    /// A body from [`BROKEN_BODIES`].
    Body(usize),
}

const BROKEN_HEADERS: &[&[u8]] = &[
    b"Content-Length: ten\r\n\r\n",
    b"Content-Type: application/vscode-jsonrpc\r\n\r\n",
    b"nonsense\r\nContent-Length: 2\r\n\r\n{}",
    b"Content-Length: -5\r\n\r\n",
    b"Content-Length: 99999999999999999999999\r\n\r\n",
    b"Content-Length: 0\r\n\r\n",
    b"\r\n\r\n",
];

/// Bodies that are not valid JSON-RPC messages, or valid ones with odd values. None of them
/// is a request that must be answered: an id, when there is one, is not used elsewhere.
const BROKEN_BODIES: &[&str] = &[
    "{not json",
    "[1,2]",
    "5",
    "null",
    "\"text\"",
    "",
    "{}",
    r#"{"jsonrpc":"1.0","id":"b1","method":"workspace/symbol","params":{"query":"x"}}"#,
    r#"{"jsonrpc":"2.0","id":{"a":1},"method":"workspace/symbol"}"#,
    r#"{"jsonrpc":"2.0","id":[1],"method":"shutdown"}"#,
    r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#,
    r#"{"jsonrpc":"2.0","id":1e400,"method":"shutdown"}"#,
    r#"{"jsonrpc":"2.0","id":18446744073709551616,"method":"shutdown"}"#,
    r#"{"jsonrpc":"2.0","id":null,"method":"workspace/symbol","params":{"query":"x"}}"#,
    r#"{"jsonrpc":"2.0","id":"b2","method":7}"#,
    r#"{"jsonrpc":"2.0","id":"b3"}"#,
    r#"{"jsonrpc":"2.0","method":null}"#,
    r#"{"jsonrpc":"2.0","id":"kg-ls/999","result":null}"#,
    r#"{"jsonrpc":"2.0","id":"kg-ls/1","error":{"code":-32601,"message":"no"}}"#,
    r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"the client could not read it"}}"#,
    r#"{"jsonrpc":"2.0","id":"b4","result":1,"error":{"code":1,"message":"both"}}"#,
    r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"$DOC","languageId":"markdown","version":1,"text":"a\udfffb tokio \ud800"}}}"#,
    r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"$DOC\udfff","languageId":"markdown","version":1,"text":"\ud83d\ude00 tokio"}}}"#,
    r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"$DOC","version":1e400},"contentChanges":[{"text":"x"}]}}"#,
    r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"$DOC","version":3},"contentChanges":[{"range":{"start":{"line":1e10,"character":-1},"end":{"line":0,"character":0}},"text":"x"}]}}"#,
    r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1e400}}"#,
    r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":{"x":1}}}"#,
    r#"{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"kg-ls":{"completion":{"limit":1e400}}}}}"#,
    r#"{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"kg-ls":{"hover":{"max_length":"\udfff"}}}}}"#,
    "{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didOpen\",\"params\":{\"textDocument\":{\"uri\":\"$DOC\",\"languageId\":\"markdown\",\"version\":1,\"text\":\"\\\\udfff \\\\\\udfff\"}}}",
];

/// A request that `Truncated` and `InvalidUtf8` break.
const VICTIM: &str = r#"{"jsonrpc":"2.0","id":"victim","method":"workspace/symbol","params":{"query":"tokio"}}"#;

fn capabilities(i: usize) -> Value {
    match i {
        0 => json!({}),
        1 => json!({
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "completion": {"completionItem": {"labelDetailsSupport": true, "insertReplaceSupport": true,
                    "documentationFormat": ["markdown"]}, "completionList": {"itemDefaults": ["editRange"]}},
            },
            "window": {"workDoneProgress": true},
            "general": {"positionEncodings": ["utf-16"]},
        }),
        2 => json!({
            "window": {"workDoneProgress": true},
            "general": {"positionEncodings": ["utf-8"]},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}, "configuration": true},
        }),
        _ => json!({"textDocument": 5, "general": {"positionEncodings": "utf-32"}}),
    }
}
const CAPABILITIES: usize = 4;

// ---- strategies

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (0u32..4).prop_map(Value::from),
        1 => (0u32..40).prop_map(Value::from),
        1 => Just(json!(u32::MAX)),
        1 => Just(json!(1u64 << 53)),
        1 => Just(json!(u64::MAX)),
        1 => Just(json!(-1)),
        1 => Just(json!("0")),
        1 => Just(json!(1.5)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("tokio".to_string()),
        Just("see toki".to_string()),
        Just("[[tokio]] and the actor model\n# tokio\n".to_string()),
        Just("é😀概念 tokio-rs\r\nactor".to_string()),
        Just(String::new()),
        "[a-z \n]{0,30}",
        "\\PC{0,20}",
    ]
}

fn pos() -> impl Strategy<Value = Pos> {
    (0..DOCS.len(), number(), number()).prop_map(|(doc, line, character)| Pos { doc, line, character })
}

fn limit() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(50)),
        Just(json!(1u64 << 32)),
        Just(json!(-1)),
        Just(json!("many")),
    ]
}

/// Settings as a client sends them: some keys with odd values, wrapped or not.
fn settings() -> impl Strategy<Value = Value> {
    let size =
        prop_oneof![Just(json!(0)), Just(json!(1)), Just(json!(1024)), Just(json!(1u64 << 53)), Just(json!(u64::MAX))];
    let parts = (
        proptest::option::of(limit()),
        proptest::option::of(limit()),
        proptest::option::of(limit()),
        proptest::option::of(size.clone()),
        proptest::option::of(size.clone()),
        proptest::option::of(size),
        proptest::option::of(prop_oneof![
            Just(json!(["kg"])),
            Just(json!([])),
            Just(json!(["nope", "kg"])),
            Just(json!("kg"))
        ]),
        proptest::option::of(prop_oneof![Just(json!(0)), Just(json!(1)), Just(json!(u64::MAX))]),
        any::<bool>(),
        0..4u8,
    );
    parts.prop_map(|(completion, symbols, hover, entries, memory, disk, paths, interval, warm, wrap)| {
        let mut s = json!({});
        let mut put = |section: &str, key: &str, v: Option<Value>| {
            if let Some(v) = v {
                s[section][key] = v;
            }
        };
        put("completion", "limit", completion);
        put("symbols", "limit", symbols);
        put("hover", "max_length", hover);
        put("search", "cache_entries", entries);
        put("search", "cache_memory_kib", memory);
        put("search", "cache_disk_mib", disk);
        put("search", "warm", Some(json!(warm)));
        put("kg", "paths", paths);
        put("monitor", "interval_ms", interval);
        match wrap {
            0 => json!({"kg-ls": s}),
            1 => s,
            2 => json!({"kg-ls": {"unknown": true, "kg": 5}}),
            _ => Value::Null,
        }
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        1 => Just(Method::Initialize),
        6 => pos().prop_map(Method::Completion),
        5 => pos().prop_map(Method::Hover),
        3 => pos().prop_map(Method::Definition),
        2 => (pos(), limit()).prop_map(|(p, depth)| Method::Graph(p, depth)),
        2 => pos().prop_map(Method::CallHierarchy),
        1 => prop_oneof![
            Just(json!({"item": {"name": "tokio", "kind": 20, "uri": "$ROOT/kg/tokio.md",
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                "selectionRange": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                "data": {"concept": "tokio", "path": "$ROOT_PATH/kg/tokio.md"}}})),
            Just(json!({"item": {"name": "nope", "kind": 20, "uri": "$ROOT/kg/nope.md",
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "selectionRange": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                "data": 5}})),
        ]
        .prop_map(Method::Calls),
        2 => pos().prop_map(Method::Outline),
        2 => pos().prop_map(Method::Links),
        2 => prop_oneof![
            Just(json!({"label": "tokio", "data": {"concept": "tokio", "path": "$ROOT_PATH/kg/tokio.md"}})),
            Just(json!({"label": "tokio-rs", "data": {"concept": "tokio", "path": null}})),
            Just(json!({"label": "x", "data": {"concept": 5}})),
            Just(json!({"label": "x", "data": null})),
            Just(json!({"label": "x", "data": {"concept": "nope", "path": "/nonexistent/kg/nope.md"}})),
        ]
        .prop_map(Method::Resolve),
        4 => (prop_oneof![Just("tokio".to_string()), Just(String::new()), Just("tkrt".to_string()), "[a-z ]{0,20}", "\\PC{0,12}"], any::<bool>())
            .prop_map(|(query, partial)| Method::Symbol { query, partial }),
        2 => Just(Method::Stats),
        1 => proptest::collection::vec(prop_oneof![Just(json!("tokio")), Just(json!(5)), Just(json!(null))], 0..3).prop_map(Method::Accept),
        1 => Just(Method::Shutdown),
        1 => prop_oneof![Just("$/unknown"), Just("kg-ls/nothing"), Just("textDocument/rename")].prop_map(Method::Unknown),
        2 => (
            prop_oneof![
                Just("textDocument/completion"),
                Just("textDocument/hover"),
                Just("textDocument/definition"),
                Just("kg-ls/graph"),
                Just("textDocument/prepareCallHierarchy"),
                Just("callHierarchy/incomingCalls"),
                Just("textDocument/documentSymbol"),
                Just("textDocument/documentLink"),
                Just("completionItem/resolve"),
                Just("workspace/symbol"),
                Just("workspace/executeCommand"),
                Just("initialize"),
            ],
            prop_oneof![
                Just(json!(null)),
                Just(json!([])),
                Just(json!({"textDocument": 5})),
                Just(json!({"query": 5, "command": []})),
                Just(json!({"textDocument": {"uri": "$DOC"}, "position": {"line": "a", "character": null}})),
            ],
        )
            .prop_map(|(m, p)| Method::WrongParams(m, p)),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        text().prop_map(Change::Full),
        ((number(), number()), (number(), number()), text()).prop_map(|(start, end, text)| Change::Range {
            start,
            end,
            text
        }),
    ]
}

fn note() -> impl Strategy<Value = Note> {
    prop_oneof![
        4 => (0..DOCS.len(), text()).prop_map(|(doc, text)| Note::Open { doc, text }),
        6 => (0..DOCS.len(), -1i64..5, proptest::collection::vec(change(), 0..3))
            .prop_map(|(doc, version, changes)| Note::Change { doc, version, changes }),
        1 => (0..DOCS.len()).prop_map(Note::Close),
        1 => (0..DOCS.len()).prop_map(Note::Save),
        2 => settings().prop_map(Note::Configuration),
        1 => prop_oneof![
            Just(("$/setTrace".to_string(), json!({"value": "verbose"}))),
            Just(("$/unknown".to_string(), json!(null))),
            Just(("kg-ls/unknown".to_string(), json!([]))),
            Just(("textDocument/didOpen".to_string(), json!({"textDocument": 5}))),
            Just(("workspace/didChangeWatchedFiles".to_string(), json!({"changes": [{"uri": "$ROOT/kg/tokio.md", "type": 2}]}))),
            Just(("workspace/didChangeWatchedFiles".to_string(), json!({"changes": [{"uri": "$ROOT/.kg-ls.toml", "type": 2}]}))),
            Just(("initialized".to_string(), json!({}))),
        ]
        .prop_map(|(m, p)| Note::Other(m, p)),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        8 => (method(), 0..4u8).prop_map(|(method, id_style)| Msg::Request { method, id_style }),
        7 => note().prop_map(Msg::Notify),
        2 => (0..6usize).prop_map(|back| Msg::Cancel { back }),
        3 => prop_oneof![
            (0..BROKEN_HEADERS.len()).prop_map(Broken::Header),
            Just(Broken::InvalidUtf8),
            (1..VICTIM.len()).prop_map(|cut| Broken::Truncated { cut }),
            (0..BROKEN_BODIES.len()).prop_map(Broken::Body),
        ]
        .prop_map(Msg::Broken),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            4 => (0..CAPABILITIES - 1).prop_map(Some),
            1 => Just(Some(CAPABILITIES - 1)),
            1 => Just(None),
        ],
        prop_oneof![4 => Just(true), 1 => Just(false)],
        proptest::collection::vec((msg(), prop_oneof![2 => Just(false), 1 => Just(true)]), 1..60),
    )
        .prop_map(|(capabilities, answer_server_requests, messages)| Case {
            capabilities,
            answer_server_requests,
            messages,
        })
}

// ---- running a case

/// What the checks know while a case runs.
#[derive(Default)]
struct Expect {
    /// Requests that must be answered exactly once: id (as JSON text) → method, answered.
    must: HashMap<String, (String, bool)>,
    /// Ids of broken frames that may be answered once.
    may: HashMap<String, usize>,
    /// Progress tokens of each request.
    tokens: HashMap<String, String>,
    /// Frames sent that can be answered with a null id.
    broken: usize,
    null_answers: usize,
    /// The ids of the requests sent, in order.
    sent: Vec<Value>,
    shutdown_ok: bool,
    initialized: bool,
    /// The last frames sent and received, for the failure message.
    transcript: Vec<String>,
}

impl Expect {
    fn log(&mut self, line: String) {
        let mut line: String = line.chars().take(240).collect();
        line = line.replace('\n', "\\n");
        self.transcript.push(line);
        if self.transcript.len() > 80 {
            self.transcript.remove(0);
        }
    }

    /// Checks one frame from the server.
    fn receive(&mut self, frame: Result<Vec<u8>, String>) -> Result<Option<Value>, String> {
        let body = frame.map_err(|e| format!("a broken frame header: {e}"))?;
        self.log(format!("< {}", String::from_utf8_lossy(&body)));
        let m: Value = serde_json::from_slice(&body).map_err(|e| format!("a body that is not JSON ({e})"))?;
        let obj = m.as_object().ok_or("a message that is not an object")?;
        if m["jsonrpc"] != "2.0" {
            return Err("a message without \"jsonrpc\": \"2.0\"".to_string());
        }
        if let Some(method) = obj.get("method") {
            let method = method.as_str().ok_or("a method that is not a string")?;
            if let Some(id) = obj.get("id") {
                if !(id.is_string() || id.is_i64() || id.is_u64()) {
                    return Err(format!("a server request with the id {id}"));
                }
            } else if method == "$/progress" {
                let token = m["params"]["token"].to_string();
                if let Some((method, true)) = self.tokens.get(&token).and_then(|id| self.must.get(id)) {
                    return Err(format!("$/progress {token} after the final response to its {method} request"));
                }
            }
            return Ok(Some(m));
        }
        let id = obj.get("id").ok_or("a response without an id")?;
        match (obj.get("result"), obj.get("error")) {
            (Some(_), None) => {}
            (None, Some(e)) => {
                if !(e["code"].is_i64() && e["message"].is_string()) {
                    return Err(format!("an error without an integer code and a message: {e}"));
                }
            }
            _ => return Err("a response without exactly one of result and error".to_string()),
        }
        if id.is_null() {
            if obj.get("result").is_some() {
                return Err("a result for the id null".to_string());
            }
            self.null_answers += 1;
            if self.null_answers > self.broken {
                return Err(format!("{} answers with a null id to {} broken frames", self.null_answers, self.broken));
            }
            return Ok(Some(m));
        }
        let key = id.to_string();
        if let Some((method, answered)) = self.must.get_mut(&key) {
            if *answered {
                return Err(format!("a second response to {method} request {key}"));
            }
            *answered = true;
            if method == "shutdown" && m.get("result") == Some(&Value::Null) {
                self.shutdown_ok = true;
            }
            if method == "initialize" && m["result"].is_object() {
                self.initialized = true;
            }
        } else if let Some(n) = self.may.get_mut(&key).filter(|n| **n > 0) {
            *n -= 1;
        } else {
            return Err(format!("a response to the id {key}, which was never sent (or was answered already)"));
        }
        Ok(Some(m))
    }

    fn unanswered(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.must.iter().filter(|(_, (_, a))| !a).map(|(id, (m, _))| format!("{m} {id}")).collect();
        v.sort();
        v
    }
}

/// The JSON of one request with its params, as sent.
fn request_params(method: &Method, id: &str) -> (&'static str, Value) {
    let position = |p: &Pos| {
        json!({"textDocument": {"uri": format!("$DOC{}", p.doc)}, "position": {"line": p.line, "character": p.character},
               "partialResultToken": format!("p-{id}"), "workDoneToken": format!("w-{id}")})
    };
    match method {
        Method::Initialize => ("initialize", json!({"processId": null, "rootUri": "$ROOT", "capabilities": {}})),
        Method::Completion(p) => ("textDocument/completion", position(p)),
        Method::Hover(p) => ("textDocument/hover", position(p)),
        Method::Definition(p) => ("textDocument/definition", position(p)),
        Method::Graph(p, depth) => {
            let mut params = position(p);
            params["depth"] = depth.clone();
            ("kg-ls/graph", params)
        }
        Method::CallHierarchy(p) => ("textDocument/prepareCallHierarchy", position(p)),
        Method::Calls(item) => {
            let method = if item["item"]["name"] == "tokio" {
                "callHierarchy/incomingCalls"
            } else {
                "callHierarchy/outgoingCalls"
            };
            (method, item.clone())
        }
        Method::Outline(p) => {
            ("textDocument/documentSymbol", json!({"textDocument": {"uri": format!("$DOC{}", p.doc)}}))
        }
        Method::Links(p) => ("textDocument/documentLink", json!({"textDocument": {"uri": format!("$DOC{}", p.doc)}})),
        Method::Resolve(item) => ("completionItem/resolve", item.clone()),
        Method::Symbol { query, partial } => {
            let mut p = json!({"query": query, "workDoneToken": format!("w-{id}")});
            if *partial {
                p["partialResultToken"] = json!(format!("p-{id}"));
            }
            ("workspace/symbol", p)
        }
        Method::Stats => ("workspace/executeCommand", json!({"command": "kg-ls.stats"})),
        Method::Accept(args) => {
            ("workspace/executeCommand", json!({"command": "kg-ls.completionAccepted", "arguments": args}))
        }
        Method::Shutdown => ("shutdown", Value::Null),
        Method::Unknown(m) => (m, json!({})),
        Method::WrongParams(m, p) => (m, p.clone()),
    }
}

fn id_of(pos: usize, style: u8) -> Value {
    match style {
        0 => json!(pos),
        1 => json!(format!("r{pos}")),
        2 => json!(i64::MIN + pos as i64),
        _ => json!(u64::MAX - pos as u64),
    }
}

/// `$ROOT`, `$ROOT_PATH`, `$DOC<n>` and `$DOC` replaced by the workspace's values.
fn place(text: &str, root: &std::path::Path) -> String {
    let mut s = text.replace("$ROOT_PATH", &root.to_string_lossy()).replace("$ROOT", &file_uri(root));
    for (i, doc) in DOCS.iter().enumerate() {
        let uri = if doc.contains(':') { doc.to_string() } else { file_uri(&root.join(doc)) };
        s = s.replace(&format!("$DOC{i}"), &uri);
    }
    s.replace("$DOC", &file_uri(&root.join(DOCS[0])))
}

/// The bytes of one message, and what it makes the server owe.
fn encode(msg: &Msg, pos: usize, root: &std::path::Path, exp: &mut Expect) -> Vec<u8> {
    let body = |v: Value| place(&v.to_string(), root).into_bytes();
    match msg {
        Msg::Request { method, id_style } => {
            let id = id_of(pos, *id_style);
            let key = id.to_string();
            let (name, params) = request_params(method, &key);
            let mut m = json!({"jsonrpc": "2.0", "id": id, "method": name});
            if !params.is_null() {
                m["params"] = params;
            }
            exp.must.insert(key.clone(), (name.to_string(), false));
            exp.tokens.insert(json!(format!("p-{key}")).to_string(), key.clone());
            exp.tokens.insert(json!(format!("w-{key}")).to_string(), key);
            exp.sent.push(id);
            frame(&body(m))
        }
        Msg::Notify(note) => {
            let doc_uri = |d: usize| format!("$DOC{d}");
            let (method, params) = match note {
                Note::Open { doc, text } => (
                    "textDocument/didOpen",
                    json!({"textDocument": {"uri": doc_uri(*doc), "languageId": "markdown", "version": 1, "text": text}}),
                ),
                Note::Change { doc, version, changes } => {
                    let changes: Vec<Value> = changes
                        .iter()
                        .map(|c| match c {
                            Change::Full(text) => json!({"text": text}),
                            Change::Range { start, end, text } => json!({"range": {
                                "start": {"line": start.0, "character": start.1},
                                "end": {"line": end.0, "character": end.1}}, "text": text}),
                        })
                        .collect();
                    (
                        "textDocument/didChange",
                        json!({"textDocument": {"uri": doc_uri(*doc), "version": version}, "contentChanges": changes}),
                    )
                }
                Note::Close(doc) => ("textDocument/didClose", json!({"textDocument": {"uri": doc_uri(*doc)}})),
                Note::Save(doc) => ("textDocument/didSave", json!({"textDocument": {"uri": doc_uri(*doc)}})),
                Note::Configuration(settings) => ("workspace/didChangeConfiguration", json!({"settings": settings})),
                Note::Other(method, params) => (method.as_str(), params.clone()),
            };
            frame(&body(json!({"jsonrpc": "2.0", "method": method, "params": params})))
        }
        Msg::Cancel { back } => {
            let id =
                exp.sent.len().checked_sub(back + 1).map_or(json!(format!("never-{pos}")), |i| exp.sent[i].clone());
            frame(&body(json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}})))
        }
        Msg::Broken(b) => {
            exp.broken += 1;
            *exp.may.entry(json!("victim").to_string()).or_default() += 1;
            for id in ["b1", "b2", "b3", "b4"] {
                *exp.may.entry(json!(id).to_string()).or_default() += 1;
            }
            match b {
                Broken::Header(i) => BROKEN_HEADERS[*i].to_vec(),
                Broken::InvalidUtf8 => {
                    let mut b = VICTIM.replace("tokio", "tok#io").into_bytes();
                    let at = b.iter().position(|&x| x == b'#').expect("a # in the victim");
                    b[at] = 0xff;
                    frame(&b)
                }
                Broken::Truncated { cut } => frame(&VICTIM.as_bytes()[..*cut]),
                Broken::Body(i) => frame(place(BROKEN_BODIES[*i], root).as_bytes()),
            }
        }
    }
}

/// Reads what has arrived (until `deadline`), checking each frame and answering server
/// requests when the case does.
fn drain(c: &mut RawClient, exp: &mut Expect, answer: bool, deadline: Instant) -> Result<bool, String> {
    let Some(frame) = c.next_frame(deadline) else { return Ok(false) };
    if let Some(m) = exp.receive(frame)?
        && answer
    {
        c.answer(&m);
    }
    Ok(true)
}

fn run(ws: &Workspace, case: &Case) -> Result<(), String> {
    let root = ws.root();
    let mut c = RawClient::spawn();
    let mut exp = Expect::default();
    let answer = case.answer_server_requests;
    let result = run_with(&mut c, &root, case, &mut exp, answer);
    result.map_err(|e| {
        let state = c.state();
        format!("{e}\nthe process is {state}; the last frames (> sent, < received):\n{}", exp.transcript.join("\n"))
    })
}

/// Writes `bytes` to the server and logs them.
fn write(c: &mut RawClient, exp: &mut Expect, bytes: &[u8]) -> Result<(), String> {
    exp.log(format!("> {}", String::from_utf8_lossy(bytes)));
    if c.write(bytes) { Ok(()) } else { Err("stdin closed: the process ended".to_string()) }
}

fn run_with(
    c: &mut RawClient,
    root: &std::path::Path,
    case: &Case,
    exp: &mut Expect,
    answer: bool,
) -> Result<(), String> {
    if let Some(caps) = case.capabilities {
        let id = json!("init");
        exp.must.insert(id.to_string(), ("initialize".to_string(), false));
        let m = json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
            "processId": null, "rootUri": "$ROOT", "capabilities": capabilities(caps),
            "workspaceFolders": [{"uri": "$ROOT", "name": "ws"}]}});
        let mut bytes = frame(place(&m.to_string(), root).as_bytes());
        bytes.extend(frame(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#));
        write(c, exp, &bytes)?;
    }
    let mut pending = Vec::new();
    for (pos, (msg, joined)) in case.messages.iter().enumerate() {
        if !joined && !pending.is_empty() {
            write(c, exp, &std::mem::take(&mut pending))?;
            while drain(c, exp, answer, Instant::now())? {}
        }
        pending.extend(encode(msg, pos, root, exp));
    }
    let id = json!("final-shutdown");
    exp.must.insert(id.to_string(), ("shutdown".to_string(), false));
    pending.extend(frame(json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}).to_string().as_bytes()));
    write(c, exp, &pending)?;
    let deadline = Instant::now() + TIMEOUT;
    while !exp.unanswered().is_empty() {
        if !drain(c, exp, answer, deadline)? {
            return Err(format!("no response in {TIMEOUT:?} to: {:?}", exp.unanswered()));
        }
    }
    // What is still on its way (late partial results, say) is checked too.
    while drain(c, exp, answer, Instant::now() + Duration::from_millis(20))? {}
    if !c.alive() {
        return Err("the process ended before exit".to_string());
    }
    if exp.initialized && !exp.shutdown_ok {
        return Err("initialized, but no shutdown request was answered with null".to_string());
    }
    write(c, exp, &frame(br#"{"jsonrpc":"2.0","method":"exit"}"#))?;
    let status = c.wait_exit(TIMEOUT).ok_or_else(|| format!("still running {TIMEOUT:?} after exit"))?;
    let want = if exp.shutdown_ok { 0 } else { 1 };
    if status.code() != Some(want) {
        return Err(format!("exit gave {status}, not {want} (shutdown answered: {})", exp.shutdown_ok));
    }
    Ok(())
}

#[test]
fn protocol_fuzz() {
    let secs: u64 = std::env::var("KG_LS_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let ws = workspace();
    let config = Config {
        // Cases start until the time is up (about 16 a second run here), at most 30 for each
        // second; the rest are skipped, which costs only their generation.
        cases: (secs as u32).saturating_mul(30).max(1),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/fuzz_protocol.txt"
        )))),
        max_shrink_time: SHRINK_TIME.min(Duration::from_secs(secs)).as_millis() as u32,
        max_shrink_iters: 1000,
        ..Config::default()
    };
    // Cases and messages run before the first failure, and runs while shrinking it.
    let ran = AtomicU64::new(0);
    let messages = AtomicU64::new(0);
    let shrinking = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        if Instant::now() >= until && !failed.load(Relaxed) {
            return Ok(());
        }
        if failed.load(Relaxed) {
            shrinking.fetch_add(1, Relaxed);
        } else {
            ran.fetch_add(1, Relaxed);
            messages.fetch_add(case.messages.len() as u64 + 3, Relaxed);
        }
        run(&ws, &case).map_err(|e| {
            failed.store(true, Relaxed);
            TestCaseError::fail(e)
        })
    });
    eprintln!(
        "protocol fuzz: {} cases, {} messages, {} shrinking runs in {:.1?}",
        ran.load(Relaxed),
        messages.load(Relaxed),
        shrinking.load(Relaxed),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
