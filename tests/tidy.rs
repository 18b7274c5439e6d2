//! Cheap rules of the codebase, checked on its own source: every Rust file says what it owns
//! in a leading `//!` comment; only the protocol layer (`src/lsp/`, `src/main.rs`) names the
//! async runtime, the LSP types or a JSON-RPC framework; only the I/O seam (`src/vfs.rs`) and
//! the loaders behind it reach the file system; and the first protocol layer's framework and
//! sleeps stay gone.
//!
//! The layering checks read code, not text: comments, strings and character literals are
//! blanked first, so a concept called "tokio" in test data does not count, and the file-system
//! check passes over `#[cfg(test)]` items, whose fixtures may write files.

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

/// Where code outside the I/O seam may reach the file system (`std::fs`, or the `ignore`
/// crate's directory walks), and why. Everything else in `src/` takes bytes or a `Vfs`.
const FILE_SYSTEM_ALLOWED: &[(&str, &str)] = &[
    ("src/vfs.rs", "the seam itself: RealFs"),
    ("src/kg/load.rs", "the source loader: walks source folders, stats sources"),
    ("src/textindex/store.rs", "the full-text index's folder, handed to tantivy's MmapDirectory"),
    ("src/workspace/load.rs", "the workspace loader: walks roots for documents"),
    ("src/lsp/", "the host"),
    ("src/main.rs", "the host"),
    ("src/query.rs", "the `kg-ls query` command, a host of its own"),
    ("src/perf/process.rs", "process figures from /proc"),
    ("src/synth/", "writes synthetic workspaces for tests and benchmarks"),
];

/// Identifier and punctuation tokens of `code` (already blanked), with their line numbers.
fn tokens(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let b = line.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                    i += 1;
                }
                out.push((n + 1, &line[start..i]));
            } else if line[i..].starts_with("::") {
                out.push((n + 1, "::"));
                i += 2;
            } else if c.is_ascii_whitespace() {
                i += 1;
            } else {
                let len = line[i..].chars().next().map_or(1, char::len_utf8);
                out.push((n + 1, &line[i..i + len]));
                i += len;
            }
        }
    }
    out
}

/// `tokens` without the items under `#[cfg(test)]` (a test module, a test-only function or
/// import), and the names of test modules declared here whose bodies are files of their own.
fn without_test_items<'a>(tokens: &[(usize, &'a str)]) -> (Vec<(usize, &'a str)>, Vec<String>) {
    let mut kept = Vec::new();
    let mut test_files = Vec::new();
    let mut i = 0;
    let is = |i: usize, s: &str| tokens.get(i).is_some_and(|t| t.1 == s);
    while i < tokens.len() {
        let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"].iter().enumerate().all(|(k, s)| is(i + k, s));
        if !cfg_test {
            kept.push(tokens[i]);
            i += 1;
            continue;
        }
        i += 7;
        if is(i, "mod") && is(i + 2, ";") {
            test_files.push(tokens[i + 1].1.to_string());
        } else if is(i, "pub") && is(i + 1, "mod") && is(i + 3, ";") {
            test_files.push(tokens[i + 2].1.to_string());
        }
        // The item ends at its first `;` outside brackets or at the end of its first block.
        let mut depth = 0usize;
        while i < tokens.len() {
            match tokens[i].1 {
                "{" | "(" | "[" => depth += 1,
                "}" | ")" | "]" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && tokens[i].1 == "}" {
                        i += 1;
                        break;
                    }
                }
                ";" if depth == 0 => {
                    i += 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
    }
    (kept, test_files)
}

/// Where `code` reaches the file system: a path through `std::fs` (`std::fs::read`,
/// `use std::fs::File`, `::std::fs`), `fs` imported from a `std::{…}` group, or the `ignore`
/// crate. Comments, strings and `#[cfg(test)]` items do not count.
fn file_system_uses(code: &str) -> Vec<(usize, String)> {
    let blanked = blank_non_code(code);
    let (t, _) = without_test_items(&tokens(&blanked));
    let mut found = Vec::new();
    for i in 0..t.len() {
        // A path root: not the segment of a longer path (`crate::std`), not part of a name.
        let root = i == 0 || t[i - 1].1 != "::" || (i >= 2 && !is_ident(t[i - 2].1));
        if !root || t.get(i + 1).map(|x| x.1) != Some("::") {
            continue;
        }
        match t[i].1 {
            "std" => {
                let group = t.get(i + 2).is_some_and(|x| x.1 == "{");
                for (line, name) in first_segments(&t, i + 2) {
                    if name == "fs" {
                        found.push((line, if group { "std::{fs}" } else { "std::fs" }.to_string()));
                    }
                }
            }
            "ignore" => found.push((t[i].0, "ignore".to_string())),
            "memmap2" => found.push((t[i].0, "memmap2".to_string())),
            "MmapDirectory" => found.push((t[i].0, "MmapDirectory".to_string())),
            _ => {}
        }
    }
    found
}

fn is_ident(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

#[test]
fn only_the_io_seam_and_the_loaders_behind_it_touch_the_file_system() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let rel = |f: &Path| f.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
    // Files that are test modules of their parent (`#[cfg(test)] mod tests;`) are test code.
    let mut test_only = Vec::new();
    for f in &files {
        let (_, children) = without_test_items(&tokens(&blank_non_code(&std::fs::read_to_string(f).unwrap())));
        let dir = match f.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs" | "main.rs") => f.parent().unwrap().to_path_buf(),
            _ => f.with_extension(""),
        };
        for c in children {
            test_only.push(dir.join(format!("{c}.rs")));
            test_only.push(dir.join(c).join("mod.rs"));
        }
    }
    let mut offences = Vec::new();
    for f in files.iter().filter(|f| !test_only.contains(f)) {
        let name = rel(f);
        if FILE_SYSTEM_ALLOWED.iter().any(|(p, _)| name == *p || p.ends_with('/') && name.starts_with(p)) {
            continue;
        }
        for (line, what) in file_system_uses(&std::fs::read_to_string(f).unwrap()) {
            offences.push(format!("{name}:{line}: {what}"));
        }
    }
    assert!(
        offences.is_empty(),
        "the file system reached outside the I/O seam (src/vfs.rs) and its loaders; take bytes or a \
         `&dyn Vfs` instead, or add the file to FILE_SYSTEM_ALLOWED with the reason:\n{}",
        offences.join("\n")
    );
    // Every allowed path still exists, so the list does not outlive the code.
    for (p, _) in FILE_SYSTEM_ALLOWED {
        assert!(root().join(p).exists(), "FILE_SYSTEM_ALLOWED names {p}, which is gone");
    }
}

#[test]
fn the_file_system_check_sees_code_and_not_data() {
    let code = r####"
use std::fs;
use std::{io, fs::File};
use std::{
    collections::HashMap,
    fs,
};
fn f() { let b = std::fs::read("x"); let s = "std::fs::read"; let r = r#"use std::fs"#; }
// std::fs::write in a comment
/* std::fs in a block */
use std::{io::{self, Write}, path::fs_like};
let fs = 1; my_std::fs::read(); crate::std::fs::x(); crate::vfs::RealFs; ::std::fs::write();
ignore::WalkBuilder::new(root); let ignore = 2;
#[cfg(test)]
mod tests {
    use std::fs;
    fn g() { std::fs::write("a", "b").unwrap(); }
}
#[cfg(test)]
use std::fs::File;
fn after() { std::fs::remove_file("x"); }
"####;
    let found: Vec<String> = file_system_uses(code).into_iter().map(|(l, n)| format!("{l}:{n}")).collect();
    assert_eq!(
        found,
        ["2:std::fs", "3:std::{fs}", "6:std::{fs}", "8:std::fs", "12:std::fs", "13:ignore", "21:std::fs"]
    );
}

/// One edge of the module graph: `from` names `to` at `file:line`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Import {
    from: String,
    to: String,
    at: String,
}

/// The module path of a source file: `src/search/services.rs` is `search::services`,
/// `src/search/mod.rs` is `search`, `src/lib.rs` the crate root (empty).
fn module_path(rel: &str) -> Vec<String> {
    let rel = rel.strip_prefix("src/").unwrap_or(rel).strip_suffix(".rs").unwrap_or(rel);
    let mut path: Vec<String> = rel.split('/').map(str::to_string).collect();
    if matches!(path.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        path.pop();
    }
    path
}

/// The first segments a use tree starting at `t[at]` names, with their lines: `x` in `x::…`, and `a`, `b` in
/// `{a, b::c, self}` (`self`, `*` and `super` name nothing new).
fn first_segments(t: &[(usize, &str)], at: usize) -> Vec<(usize, String)> {
    let is_name = |s: &str| s.starts_with(|c: char| c.is_alphabetic() || c == '_') && !matches!(s, "self" | "super");
    match t.get(at).map(|(_, s)| *s) {
        Some("{") => {
            let (mut depth, mut out, mut item_start) = (0, Vec::new(), true);
            for &(line, s) in &t[at..] {
                match s {
                    "{" => {
                        depth += 1;
                        item_start = depth == 1;
                        continue;
                    }
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    "," if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    s if item_start && depth == 1 && is_name(s) => out.push((line, s.to_string())),
                    _ => {}
                }
                item_start = false;
            }
            out
        }
        Some(s) if is_name(s) => vec![(t[at].0, s.to_string())],
        _ => Vec::new(),
    }
}

/// Every top-level module that the file at `rel` (relative to the crate root) names outside its
/// own: `crate::x` paths (in `use` or inline, and `use crate::{a, b}` groups), and `super::`
/// paths that climb out of its top-level module, inline `mod` blocks counted. Comments and
/// strings do not count.
fn imports_of(rel: &str, code: &str) -> Vec<Import> {
    let file_module = module_path(rel);
    let Some(from) = file_module.first().cloned() else { return Vec::new() };
    let blanked = blank_non_code(code);
    let t = tokens(&blanked);
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut out = Vec::new();
    let push = |to: String, line: usize, out: &mut Vec<Import>| {
        if to != from {
            out.push(Import { from: from.clone(), to, at: format!("{rel}:{line}") });
        }
    };
    for i in 0..t.len() {
        let (line, s) = t[i];
        let next = |k: usize| t.get(i + k).map(|(_, s)| *s);
        match s {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
            }
            "mod" if next(2) == Some("{") => {
                if let Some(name) = next(1) {
                    inline.push((name.to_string(), depth));
                }
            }
            _ => {}
        }
        // A path root: not a later segment of another path.
        let root = i == 0 || t[i - 1].1 != "::";
        if !root || next(1) != Some("::") {
            continue;
        }
        if s == "crate" {
            for (_, to) in first_segments(&t, i + 2) {
                push(to, line, &mut out);
            }
        } else if s == "super" {
            let mut climbs = 0;
            while t.get(i + 2 * climbs).is_some_and(|(_, s)| *s == "super")
                && t.get(i + 2 * climbs + 1).is_some_and(|(_, s)| *s == "::")
            {
                climbs += 1;
            }
            let mut here: Vec<String> = file_module.clone();
            here.extend(inline.iter().map(|(m, _)| m.clone()));
            let Some(kept) = here.len().checked_sub(climbs) else { continue };
            if kept == 0 {
                for (_, to) in first_segments(&t, i + 2 * climbs) {
                    push(to, line, &mut out);
                }
            }
        }
    }
    out
}

/// The cycles of the module graph, each written as `a -> b -> a` with where each edge is.
fn import_cycles(imports: &[Import]) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet, VecDeque};
    let mut edges: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for i in imports {
        edges.entry(&i.from).or_default().entry(&i.to).or_insert(&i.at);
        edges.entry(&i.to).or_default();
    }
    // Whether `b` is reachable from `a`.
    let reach = |a: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![a];
        while let Some(m) = todo.pop() {
            for &n in edges[m].keys() {
                if seen.insert(n) {
                    todo.push(n);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<&str>> = edges.keys().map(|&m| (m, reach(m))).collect();
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for &start in edges.keys() {
        if reported.contains(start) || !reachable[start].contains(start) {
            continue;
        }
        // The modules of this strongly connected component, reported once.
        let component: BTreeSet<&str> =
            reachable[start].iter().copied().filter(|&m| reachable[m].contains(start)).collect();
        reported.extend(component.iter().copied());
        // The shortest way back to `start`, by breadth-first search.
        let mut back: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        'search: while let Some(m) = queue.pop_front() {
            for &n in edges[m].keys() {
                if n == start {
                    back.insert(start, m);
                    break 'search;
                }
                if component.contains(n) && !back.contains_key(n) {
                    back.insert(n, m);
                    queue.push_back(n);
                }
            }
        }
        let mut path = vec![start];
        let mut m = back[start];
        while m != start {
            path.push(m);
            m = back[m];
        }
        path[1..].reverse();
        path.push(start);
        let mut text = start.to_string();
        for w in path.windows(2) {
            text += &format!(" -> {} ({})", w[1], edges[w[0]][w[1]]);
        }
        if component.len() > path.len() - 1 {
            let all: Vec<&str> = component.iter().copied().collect();
            text += &format!("; {} all reach each other", all.join(", "));
        }
        out.push(text);
    }
    out
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut imports = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        imports.extend(imports_of(&rel, &std::fs::read_to_string(f).unwrap()));
    }
    assert!(imports.len() > 20, "the module graph looks empty: {imports:?}");
    let cycles = import_cycles(&imports);
    assert!(cycles.is_empty(), "import cycles between top-level modules of src/:\n{}", cycles.join("\n"));
}

#[test]
fn the_cycle_check_reads_crate_paths_groups_and_climbing_supers() {
    let files = [
        // `a` names `b` through a group, and `c` inline; a comment and a string do not count.
        (
            "src/a/mod.rs",
            "use crate::{b::X, self};\nfn f() { crate::c::g(); }\n// crate::d\nconst S: &str = \"crate::d\";\n",
        ),
        // From `src/a/deep/inner.rs`, two supers stay in `a`, three reach the root: `d`.
        ("src/a/deep/inner.rs", "use super::super::x;\nuse super::super::super::d::Y;\n"),
        // Inside an inline `mod tests`, one more super is needed to climb out.
        ("src/b.rs", "mod tests {\n    use super::super::{e, c};\n    use super::x;\n}\nuse super::a::Z;\n"),
        ("src/c.rs", "use crate::a::{self as _};\nmod m { }\n"),
        ("src/lib.rs", "use crate::a;\n"),
    ];
    let mut found = Vec::new();
    let mut all = Vec::new();
    for (rel, code) in files {
        for i in imports_of(rel, code) {
            found.push(format!("{} -> {} ({})", i.from, i.to, i.at));
            all.push(i);
        }
    }
    assert_eq!(
        found,
        [
            "a -> b (src/a/mod.rs:1)",
            "a -> c (src/a/mod.rs:2)",
            "a -> d (src/a/deep/inner.rs:2)",
            "b -> e (src/b.rs:2)",
            "b -> c (src/b.rs:2)",
            "b -> a (src/b.rs:5)",
            "c -> a (src/c.rs:1)",
        ]
    );
    assert_eq!(import_cycles(&all), ["a -> b (src/a/mod.rs:1) -> a (src/b.rs:5); a, b, c all reach each other"]);
}

/// The work-arounds of the first protocol layer stay gone: no tower-lsp framework among the
/// dependencies, and no sleep in the protocol layer but the main loop's timer and the bounded
/// waits for background threads at shutdown (a sleep once made partial results come before
/// their final response).
#[test]
fn the_old_framework_and_its_sleeps_stay_gone() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let framework: Vec<&str> = manifest
        .lines()
        .filter(|l| l.trim_start().starts_with("tower-lsp") || l.trim_start().starts_with("tower_lsp"))
        .collect();
    assert!(framework.is_empty(), "Cargo.toml names the old framework: {framework:?}");
    // Where a sleep may be, by file: what the line must say.
    let allowed = [
        ("src/lsp/main_loop/mod.rs", "tokio::time::sleep_until(deadline.into())"),
        ("src/lsp/main_loop/background.rs", "std::thread::sleep(Duration::from_millis(5))"),
        ("src/lsp/main_loop/text_index.rs", "std::thread::sleep(Duration::from_millis(5))"),
    ];
    let mut files = Vec::new();
    rust_files(&root().join("src/lsp"), &mut files);
    let mut found = Vec::new();
    for path in files {
        let rel = path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/");
        let code = blank_non_code(&std::fs::read_to_string(&path).unwrap());
        for (i, line) in code.lines().enumerate() {
            if line.contains("sleep") && !allowed.iter().any(|(f, l)| *f == rel && line.contains(l)) {
                found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "sleeps in the protocol layer: {found:#?}");
}
