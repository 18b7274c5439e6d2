//! The base protocol: `Content-Length` framing and JSON-RPC 2.0 messages, in and out.
//!
//! Reading never gives up on the stream. A frame whose header is broken, whose body is not
//! UTF-8 or not JSON, or whose JSON is not a JSON-RPC message becomes a [`Incoming::Invalid`]
//! that the main loop answers (-32700 or -32600, with the request's id when it can be read),
//! and the next frame is read as usual. A lone UTF-16 surrogate escape (`"\udfff"`), which is
//! valid JSON grammar but which serde_json refuses, decodes as U+FFFD and the message is
//! handled.
//!
//! Owns bytes and JSON shapes only: it knows no LSP method and holds no server state.

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};

use serde::Deserialize;
use serde_json::value::RawValue;

/// Bodies larger than this are skipped (read and dropped) and answered -32700.
pub const MAX_BODY: usize = 256 << 20;
/// A header line longer than this is not a header.
const MAX_HEADER_LINE: u64 = 8 << 10;

/// JSON-RPC and LSP error codes.
pub mod code {
    pub const PARSE_ERROR: i32 = -32700;
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL_ERROR: i32 = -32603;
    pub const SERVER_NOT_INITIALIZED: i32 = -32002;
    pub const REQUEST_CANCELLED: i32 = -32800;
    pub const CONTENT_MODIFIED: i32 = -32801;
    pub const REQUEST_FAILED: i32 = -32803;
}

/// A request id: a number or a string, kept as its JSON text so that it is echoed exactly.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Id(String);

impl Id {
    /// The id of a JSON value that JSON-RPC allows as one (an integer or a string).
    pub fn from_value(v: &serde_json::Value) -> Option<Id> {
        match v {
            serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(Id(n.to_string())),
            serde_json::Value::String(_) => Some(Id(v.to_string())),
            _ => None,
        }
    }

    pub fn number(n: i64) -> Id {
        Id(n.to_string())
    }

    pub fn json(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message read from the client.
#[derive(Debug)]
pub enum Incoming {
    Request {
        id: Id,
        method: String,
        params: Option<Box<RawValue>>,
    },
    Notification {
        method: String,
        params: Option<Box<RawValue>>,
    },
    /// A response to one of the server's own requests.
    Response {
        id: Id,
        result: Result<Option<Box<RawValue>>, Box<RawValue>>,
    },
    /// Not a message: answer `code` to `id` (null when it could not be read).
    Invalid {
        id: Option<Id>,
        code: i32,
        message: String,
    },
}

/// The fields of a JSON-RPC message; everything else is ignored.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    jsonrpc: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
    #[serde(default)]
    method: Option<serde_json::Value>,
    #[serde(default)]
    params: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "present_raw")]
    result: Option<Box<RawValue>>,
    #[serde(default)]
    error: Option<Box<RawValue>>,
}

/// Keeps `"id": null` apart from a missing id.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Keeps `"result": null` apart from a missing result.
fn present_raw<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// Decodes one frame's body.
pub fn decode(body: &[u8]) -> Incoming {
    let text = match std::str::from_utf8(body) {
        Ok(t) => Cow::Borrowed(t),
        Err(e) => {
            // The message is refused, but its id may still be readable: then the client gets
            // its answer instead of waiting for one.
            let message = format!("the message is not valid UTF-8 (byte {})", e.valid_up_to());
            let id = serde_json::from_str::<Raw>(&String::from_utf8_lossy(body))
                .ok()
                .and_then(|r| r.id.as_ref().and_then(Id::from_value));
            return Incoming::Invalid { id, code: code::PARSE_ERROR, message };
        }
    };
    let text = if memchr::memmem::find(text.as_bytes(), b"\\u").is_some() {
        match replace_lone_surrogates(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(fixed) => Cow::Owned(fixed),
        }
    } else {
        text
    };
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        let code = if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
            code::INVALID_REQUEST
        } else {
            code::PARSE_ERROR
        };
        let message = if code == code::PARSE_ERROR { "invalid JSON" } else { "a message must be a JSON object" };
        return Incoming::Invalid { id: None, code, message: message.to_string() };
    }
    let raw: Raw = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) if e.is_data() => {
            return Incoming::Invalid {
                id: None,
                code: code::INVALID_REQUEST,
                message: format!("not a JSON-RPC message: {e}"),
            };
        }
        Err(e) => {
            return Incoming::Invalid { id: None, code: code::PARSE_ERROR, message: format!("invalid JSON: {e}") };
        }
    };
    classify(raw)
}

fn classify(raw: Raw) -> Incoming {
    let id = match &raw.id {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => match Id::from_value(v) {
            Some(id) => Some(id),
            None => {
                return Incoming::Invalid {
                    id: None,
                    code: code::INVALID_REQUEST,
                    message: format!("an id must be an integer or a string, not {v}"),
                };
            }
        },
    };
    let invalid = |id: Option<Id>, message: String| Incoming::Invalid { id, code: code::INVALID_REQUEST, message };
    if raw.jsonrpc.as_ref().and_then(|v| v.as_str()) != Some("2.0") {
        return invalid(id, "the message must have \"jsonrpc\": \"2.0\"".to_string());
    }
    match (raw.method, id) {
        (Some(serde_json::Value::String(method)), Some(id)) => Incoming::Request { id, method, params: raw.params },
        (Some(serde_json::Value::String(method)), None) => {
            if raw.id.is_some() {
                // `"id": null` with a method: a request nobody can be answered about.
                return Incoming::Invalid {
                    id: None,
                    code: code::INVALID_REQUEST,
                    message: "a request's id must not be null".to_string(),
                };
            }
            Incoming::Notification { method, params: raw.params }
        }
        (Some(other), id) => invalid(id, format!("a method must be a string, not {other}")),
        (None, Some(id)) => match (raw.result, raw.error) {
            (Some(result), None) => {
                let result = (result.get() != "null").then_some(result);
                Incoming::Response { id, result: Ok(result) }
            }
            (None, Some(error)) => Incoming::Response { id, result: Err(error) },
            _ => Incoming::Invalid {
                id: Some(id),
                code: code::INVALID_REQUEST,
                message: "a message with an id needs a method (a request) or a result or an error (a response)"
                    .to_string(),
            },
        },
        (None, None) => match raw.error {
            // A client's error response to a message it could not read: nothing to answer.
            Some(error) if raw.id.is_some() => {
                Incoming::Invalid { id: None, code: 0, message: format!("the client reported an error: {error}") }
            }
            _ => Incoming::Invalid {
                id: None,
                code: code::INVALID_REQUEST,
                message: "a message needs a method or an id".to_string(),
            },
        },
    }
}

/// `text` with every `\uXXXX` escape of a lone UTF-16 surrogate replaced by `\ufffd`; borrowed
/// when there is none.
fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let hex = |at: usize| -> Option<u16> {
        let s = text.get(at..at + 4)?;
        u16::from_str_radix(s, 16).ok().filter(|_| s.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    // An escape `\u` at `i` (b[i] == '\\'), followed by a surrogate's four hex digits.
    let unit_at = |i: usize| -> Option<u16> { (b.get(i + 1) == Some(&b'u')).then(|| hex(i + 2)).flatten() };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(found) = memchr::memchr(b'\\', &b[i..]) {
        let at = i + found;
        let Some(unit) = unit_at(at) else {
            // Another escape (`\\`, `\"`, …): skip both characters.
            i = at + 2;
            if i >= b.len() {
                break;
            }
            continue;
        };
        let high = (0xD800..0xDC00).contains(&unit);
        let low = (0xDC00..0xE000).contains(&unit);
        let paired =
            high && b.get(at + 6) == Some(&b'\\') && unit_at(at + 6).is_some_and(|u| (0xDC00..0xE000).contains(&u));
        if paired {
            i = at + 12;
        } else if high || low {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..at]);
            o.push_str("\\ufffd");
            copied = at + 6;
            i = at + 6;
        } else {
            i = at + 6;
        }
        if i >= b.len() {
            break;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// What reading one frame gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Body(Vec<u8>),
    /// The header was broken or the body too large; reading goes on with the next frame.
    Broken(String),
    /// End of input (also in the middle of a frame).
    End,
}

/// Reads the next frame: header lines up to an empty line, then `Content-Length` bytes.
pub fn read_frame(input: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut problem: Option<String> = None;
    let mut line = Vec::new();
    let mut lines = 0usize;
    loop {
        line.clear();
        let n = input.by_ref().take(MAX_HEADER_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::End);
        }
        if line.last() != Some(&b'\n') && n as u64 == MAX_HEADER_LINE {
            // Skip the rest of an endless line.
            problem.get_or_insert_with(|| "a header line is too long".to_string());
            continue;
        }
        let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed.is_empty() {
            if lines == 0 {
                continue; // Blank lines between frames.
            }
            break;
        }
        lines += 1;
        let text = String::from_utf8_lossy(trimmed);
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                let value = value.trim();
                length = Some(value.parse::<usize>().map_err(|_| format!("invalid Content-Length {value:?}")));
            }
            Some((name, _)) if name.trim().eq_ignore_ascii_case("content-type") => {}
            Some(_) => {}
            None => {
                problem.get_or_insert_with(|| format!("not a header line: {:?}", truncate(&text, 80)));
            }
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Ok(Frame::Broken(e)),
        None => {
            return Ok(Frame::Broken(problem.unwrap_or_else(|| "a frame without a Content-Length header".to_string())));
        }
    };
    if length > MAX_BODY {
        let skipped = std::io::copy(&mut input.by_ref().take(length as u64), &mut std::io::sink())?;
        if (skipped as usize) < length {
            return Ok(Frame::End);
        }
        return Ok(Frame::Broken(format!("a message of {length} bytes is over the limit of {MAX_BODY}")));
    }
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => Ok(Frame::Body(body)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(Frame::End),
        Err(e) => Err(e),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Frames a message's `body` as the base protocol does.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(body.len() + 32);
    let _ = write!(framed, "Content-Length: {}\r\n\r\n", body.len());
    framed.extend_from_slice(body);
    framed
}

/// A successful response whose result is the JSON text `result`.
pub fn response(id: &Id, result: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(result.len() + 40);
    body.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    body.extend_from_slice(id.json().as_bytes());
    body.extend_from_slice(b",\"result\":");
    body.extend_from_slice(result);
    body.push(b'}');
    body
}

/// An error response; `id` is null when the request's id could not be read.
pub fn error_response(id: Option<&Id>, code: i32, message: &str) -> Vec<u8> {
    let id = id.map_or("null", |i| i.json());
    let message = serde_json::to_string(message).unwrap_or_else(|_| "\"\"".to_string());
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":{code},\"message\":{message}}}}}").into_bytes()
}

/// A notification or a request from the server; `id` makes it a request.
pub fn outgoing(id: Option<&Id>, method: &str, params: &impl serde::Serialize) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Message<'a, P> {
        jsonrpc: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a RawValue>,
        method: &'a str,
        params: &'a P,
    }
    let id = id.and_then(|i| RawValue::from_string(i.json().to_string()).ok());
    serde_json::to_vec(&Message { jsonrpc: "2.0", id: id.as_deref(), method, params })
        .unwrap_or_else(|e| panic!("a {method} message serializes: {e}"))
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Reads every frame of `input` and shows what each decodes to, one per line.
    fn check(input: &[u8], expect: Expect) {
        let mut reader = std::io::BufReader::new(input);
        let mut shown = String::new();
        loop {
            match read_frame(&mut reader).unwrap() {
                Frame::End => break,
                Frame::Broken(why) => shown.push_str(&format!("broken: {why}\n")),
                Frame::Body(body) => {
                    let line = match decode(&body) {
                        Incoming::Request { id, method, params } => {
                            format!("request {id} {method} {}", params.map_or("-".into(), |p| p.get().to_string()))
                        }
                        Incoming::Notification { method, params } => {
                            format!("notification {method} {}", params.map_or("-".into(), |p| p.get().to_string()))
                        }
                        Incoming::Response { id, result } => format!("response {id} {result:?}"),
                        Incoming::Invalid { id, code, message } => format!("invalid {id:?} {code} {message}"),
                    };
                    shown.push_str(&line);
                    shown.push('\n');
                }
            }
        }
        expect.assert_eq(&shown);
    }

    fn frames(bodies: &[&[u8]]) -> Vec<u8> {
        bodies.iter().flat_map(|b| frame(b)).collect()
    }

    #[test]
    fn requests_notifications_and_responses() {
        check(
            &frames(&[
                br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
                br#"{"jsonrpc":"2.0","method":"initialized"}"#,
                br#"{"jsonrpc":"2.0","id":"a","result":null}"#,
                br#"{"jsonrpc":"2.0","id":2,"error":{"code":1,"message":"no"}}"#,
            ]),
            expect![[r#"
                request 1 initialize {}
                notification initialized -
                response "a" Ok(None)
                response 2 Err(RawValue({"code":1,"message":"no"}))
            "#]],
        );
    }

    #[test]
    fn broken_messages_are_answered_and_reading_goes_on() {
        check(
            &frames(&[
                b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\",\"params\":\"\xff\"}",
                br#"{"jsonrpc":"2.0","id":7,"#,
                br#"{"jsonrpc":"2.0","id":8}"#,
                br#"[1,2]"#,
                br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#,
                br#"{"jsonrpc":"2.0","id":9,"method":5}"#,
                br#"{"id":10,"method":"x"}"#,
                br#"{"jsonrpc":"2.0","id":null,"method":"x"}"#,
                br#"{"jsonrpc":"2.0","id":11,"method":"after"}"#,
            ]),
            expect![[r#"
                invalid Some(Id("3")) -32700 the message is not valid UTF-8 (byte 47)
                invalid None -32700 invalid JSON: EOF while parsing a value at line 1 column 24
                invalid Some(Id("8")) -32600 a message with an id needs a method (a request) or a result or an error (a response)
                invalid None -32600 a message must be a JSON object
                invalid None -32600 an id must be an integer or a string, not {"a":1}
                invalid Some(Id("9")) -32600 a method must be a string, not 5
                invalid Some(Id("10")) -32600 the message must have "jsonrpc": "2.0"
                invalid None -32600 a request's id must not be null
                request 11 after -
            "#]],
        );
    }

    #[test]
    fn broken_headers_skip_one_frame() {
        let mut input = b"Content-Type: x\r\n\r\n".to_vec();
        input.extend(b"Content-Length: ten\r\n\r\n");
        input.extend(b"garbage line\r\nContent-Length: 2\r\n\r\n{}");
        input.extend(frame(br#"{"jsonrpc":"2.0","method":"ok"}"#));
        input.extend(format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1).as_bytes());
        check(
            &input,
            expect![[r#"
                broken: a frame without a Content-Length header
                broken: invalid Content-Length "ten"
                invalid None -32600 the message must have "jsonrpc": "2.0"
                notification ok -
            "#]],
        );
    }

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        let fix = |s: &str| replace_lone_surrogates(s).into_owned();
        assert_eq!(fix(r#""a\udfffb""#), r#""a\ufffdb""#);
        assert_eq!(fix(r#""\ud800""#), r#""\ufffd""#);
        assert_eq!(fix(r#""\ud83d\ude00 ok""#), r#""\ud83d\ude00 ok""#);
        assert_eq!(fix(r#""\ud83d\u0041""#), r#""\ufffd\u0041""#);
        assert_eq!(fix(r#""\\udfff""#), r#""\\udfff""#, "an escaped backslash is not an escape");
        assert_eq!(fix(r#""\\\udfff""#), r#""\\\ufffd""#);
        assert_eq!(fix(r#""\u00e9\""#), r#""\u00e9\""#);
        assert_eq!(fix("\\"), "\\");
        check(
            &frames(&[br#"{"jsonrpc":"2.0","method":"t","params":{"text":"a\udfffb"}}"#]),
            expect![[r#"
                notification t {"text":"a\ufffdb"}
            "#]],
        );
    }

    #[test]
    fn a_truncated_body_is_the_end_of_input() {
        check(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"", expect![[""]]);
    }

    #[test]
    fn responses_echo_the_id_exactly() {
        let id = Id::from_value(&serde_json::json!("x\"y")).unwrap();
        assert_eq!(
            String::from_utf8(response(&id, b"null")).unwrap(),
            r#"{"jsonrpc":"2.0","id":"x\"y","result":null}"#
        );
        assert_eq!(
            String::from_utf8(error_response(None, -32700, "bad \"json\"")).unwrap(),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad \"json\""}}"#
        );
        assert_eq!(
            String::from_utf8(outgoing(Some(&Id::number(3)), "m", &serde_json::json!({}))).unwrap(),
            r#"{"jsonrpc":"2.0","id":3,"method":"m","params":{}}"#
        );
    }

    /// One piece of a fuzzed input stream: frames, header blocks of any lines, raw bytes.
    fn piece() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let bytes = || proptest::collection::vec(any::<u8>(), 0..300);
        let length = prop_oneof![
            (0usize..400).prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            Just(format!("{}", MAX_BODY + 1)),
            "[ -~]{0,12}",
        ];
        let header = prop_oneof![
            length.clone().prop_map(|n| format!("Content-Length: {n}").into_bytes()),
            length.prop_map(|n| format!("content-length:{n}  ").into_bytes()),
            Just(b"Content-Type: application/vscode-jsonrpc; charset=utf-8".to_vec()),
            bytes(),
            (8000usize..9000).prop_map(|n| vec![b'x'; n]),
        ];
        let end = prop_oneof![Just(b"\r\n".to_vec()), Just(b"\n".to_vec()), Just(Vec::new())];
        prop_oneof![
            bytes().prop_map(|b| frame(&b)),
            (proptest::collection::vec((header, end.clone()), 0..4), end, bytes()).prop_map(|(lines, blank, body)| {
                let mut out: Vec<u8> = lines.into_iter().flat_map(|(l, e)| [l, e].concat()).collect();
                out.extend(blank);
                out.extend(body);
                out
            }),
            bytes(),
        ]
    }

    /// The fuzz target of the frame decoder over whole streams (headers too), for
    /// `KG_LS_FUZZ_FRAME_SECS` (default 2; CI sets more): any stream is read to its end without a
    /// panic, every frame takes at least one byte, no body is over [`MAX_BODY`], and every body
    /// decodes without a panic.
    #[test]
    fn any_stream_is_read_to_its_end() {
        use proptest::test_runner::{Config, TestRunner};
        let secs: u64 = std::env::var("KG_LS_FUZZ_FRAME_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let mut runner =
            TestRunner::new(Config { cases: (secs as u32).saturating_mul(5_000).max(1), ..Config::default() });
        let ran = std::sync::atomic::AtomicU64::new(0);
        let result = runner.run(&proptest::collection::vec(piece(), 0..8), |pieces| {
            if std::time::Instant::now() >= until {
                return Ok(());
            }
            ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let input = pieces.concat();
            let mut reader = std::io::BufReader::new(&input[..]);
            for _ in 0..=input.len() {
                match read_frame(&mut reader).unwrap() {
                    Frame::End => return Ok(()),
                    Frame::Broken(_) => {}
                    Frame::Body(body) => {
                        proptest::prop_assert!(body.len() <= MAX_BODY);
                        let _ = decode(&body);
                    }
                }
            }
            Err(proptest::test_runner::TestCaseError::fail("more frames than bytes: a frame took none"))
        });
        eprintln!("frame fuzz: {} streams", ran.load(std::sync::atomic::Ordering::Relaxed));
        result.unwrap();
    }

    proptest::proptest! {
        /// The fuzz target of the frame decoder: any bytes, never a panic, and a frame that
        /// follows garbage (after a blank line) is still read.
        #[test]
        fn any_bytes_never_panic_and_reading_recovers(garbage in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut input = frame(&garbage);
            input.extend(b"\r\n\r\n");
            input.extend(frame(br#"{"jsonrpc":"2.0","method":"last"}"#));
            let mut reader = std::io::BufReader::new(&input[..]);
            let mut last = false;
            loop {
                match read_frame(&mut reader).unwrap() {
                    Frame::End => break,
                    Frame::Broken(_) => {}
                    Frame::Body(body) => {
                        if let Incoming::Notification { method, .. } = decode(&body) {
                            last |= method == "last";
                        }
                    }
                }
            }
            proptest::prop_assert!(last);
        }

        #[test]
        fn any_text_decodes_without_panic(text in "\\PC*") {
            let _ = decode(text.as_bytes());
            let _ = replace_lone_surrogates(&text);
        }
    }
}
