//! Cheap rules of the codebase, checked on its own source: every Rust file says what it owns
//! in a leading `//!` comment, and only the protocol layer (`src/lsp/`, `src/main.rs`) names
//! the async runtime, the LSP types or a JSON-RPC framework.
//!
//! The layering check reads code, not text: comments, strings and character literals are
//! blanked first, so a concept called "tokio" in test data does not count.

use std::path::{Path, PathBuf};

/// Crates that only the protocol layer may name.
const PROTOCOL_CRATES: &[&str] = &[
    "tokio",
    "tokio_util",
    "tower",
    "tower_lsp",
    "tower_lsp_server",
    "ls_types",
    "lsp_types",
    "async_lsp",
    "lsp_server",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `code` with comments, string literals and char literals replaced by spaces (newlines kept,
/// so line numbers stay right).
fn blank_non_code(code: &str) -> String {
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            let mut j = 0;
            while j < rest.len() {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, &rest[..j]);
            i += j;
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"…", r#"…"#, br"…": ends at a quote followed by as many hashes.
            let open = rest.iter().position(|&c| c == b'"').unwrap() + 1;
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let end = rest[open..]
                .windows(close.len())
                .position(|w| w == close)
                .map_or(rest.len(), |p| open + p + close.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'"' || rest.starts_with(b"b\"") {
            let mut j = if rest[0] == b'"' { 1 } else { 2 };
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(rest.len());
            blank(&mut out, &rest[..end]);
            i += end;
        } else if rest[0] == b'\'' && char_literal_len(rest).is_some() {
            let n = char_literal_len(rest).unwrap();
            blank(&mut out, &rest[..n]);
            i += n;
        } else {
            let n = code[i..].chars().next().unwrap().len_utf8();
            out.push_str(&code[i..i + n]);
            i += n;
        }
    }
    out
}

/// The number of `#` of a raw string starting at `s`, if one starts there.
fn raw_string_start(s: &[u8]) -> Option<usize> {
    let s = s.strip_prefix(b"b").unwrap_or(s);
    let s = s.strip_prefix(b"r")?;
    let hashes = s.iter().take_while(|&&c| c == b'#').count();
    (s.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// The length of a char literal at `s` (`'a'`, `'\n'`, `'\u{1F600}'`), not a lifetime.
fn char_literal_len(s: &[u8]) -> Option<usize> {
    if s.get(1) == Some(&b'\\') {
        let close = s[2..].iter().position(|&c| c == b'\'')?;
        return (close <= 10).then_some(close + 3);
    }
    let text = std::str::from_utf8(&s[1..s.len().min(6)]).ok().or_else(|| std::str::from_utf8(&s[1..]).ok())?;
    let c = text.chars().next()?;
    (s.get(1 + c.len_utf8()) == Some(&b'\'')).then_some(c.len_utf8() + 2)
}

/// Where `code` names one of `crates` as a path root (`tokio::…`, `use tokio`, `extern crate`).
fn named_crates(code: &str, crates: &[&str]) -> Vec<(usize, String)> {
    let code = blank_non_code(code);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let bytes = line.as_bytes();
        for name in crates {
            let mut from = 0;
            while let Some(p) = line[from..].find(name) {
                let at = from + p;
                from = at + name.len();
                let before = at.checked_sub(1).map(|i| bytes[i]);
                if before.is_some_and(|c| {
                    c.is_ascii_alphanumeric() || c == b'_' || c == b':' && at >= 2 && bytes[at - 2] == b':'
                }) {
                    continue; // Part of a longer name, or a path segment like `crate::x::tokio`.
                }
                let after = &line[from..];
                let used = after.starts_with("::")
                    || line[..at].trim_end().ends_with("use")
                    || line[..at].trim_end().ends_with("extern crate")
                    || (line[..at].trim_end().ends_with('{') && line.trim_start().starts_with("use"));
                if used && !after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
                    found.push((n + 1, name.to_string()));
                }
            }
        }
    }
    found
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading //! comment: {missing:?}");
}

#[test]
fn only_the_protocol_layer_names_the_runtime_and_protocol_crates() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let lsp = root().join("src/lsp");
    let main = root().join("src/main.rs");
    let mut offences = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with(&lsp) && **f != main) {
        let code = std::fs::read_to_string(f).unwrap();
        for (line, name) in named_crates(&code, PROTOCOL_CRATES) {
            offences.push(format!("{}:{line}: {name}", f.strip_prefix(root()).unwrap().display()));
        }
    }
    assert!(offences.is_empty(), "protocol crates named outside src/lsp/ and src/main.rs:\n{}", offences.join("\n"));
}

#[test]
fn the_layering_check_sees_code_and_not_data() {
    let code = r####"
use tokio::sync::mpsc;
use std::{io, tokio_like};
pub use ls_types::Uri;
fn f() { tokio::spawn(async {}); let s = "tokio::spawn"; let r = r#"use tokio"#; }
// tokio::spawn in a comment
/* ls_types::Uri in a block */
let c = '"'; let tokio = 1; my_tokio::x(); crate::tokio::y();
use {tokio};
"####;
    let found: Vec<String> = named_crates(code, PROTOCOL_CRATES).into_iter().map(|(l, n)| format!("{l}:{n}")).collect();
    assert_eq!(found, ["2:tokio", "4:ls_types", "5:tokio", "9:tokio"]);
}
