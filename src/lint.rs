//! `kg-ls check`: the terminology checks run from the shell, for CI and pre-commit hooks.
//!
//! It loads a workspace exactly as the server does ([`crate::query::load_shell`]), walks the
//! documents the full-text index would hold (the same `search.include`/`search.exclude`) and
//! every knowledge-graph source file, runs [`crate::check`] on each on every core, and prints
//! compiler-style lines, JSON or SARIF. `--fix` applies the safe quick fixes, writing each file
//! atomically through [`crate::vfs`]. It owns argument parsing for its subcommand, the output
//! formats and its exit codes ([`exit`]); the checks themselves live in [`crate::check`], and
//! it must not know protocol types.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::check::{CheckId, Finding, Level, Levels, Source, Terminology};
use crate::kg::{Graph, KgSource, SourceKind};
use crate::query::relative;
use crate::search::DocFilter;
use crate::vfs::{ReadError, RealFs, Vfs};

/// Exit codes of `kg-ls check`, as its help lists them.
pub mod exit {
    /// Nothing at or above `--fail-on` was found.
    pub const OK: u8 = 0;
    /// Something at or above `--fail-on` was found (after `--fix`, something that remains).
    pub const FINDINGS: u8 = 1;
    /// The command line is wrong: an unknown option, a bad value, a path that does not exist.
    pub const USAGE: u8 = 2;
    /// The configuration has problems (a bad `.kg-ls.toml` key or value, a knowledge-graph
    /// path that does not exist), or the knowledge graph is empty.
    pub const CONFIG: u8 = 3;
}

/// The help text of `kg-ls check`.
pub const USAGE: &str = "\
usage: kg-ls check [--workspace DIR] [--kg PATH]... [--format text|json|sarif] [--fix]
                   [--fail-on off|hint|info|warning|error] [PATHS...]

Runs the terminology checks on the workspace's documents (the files search.include and
search.exclude admit) and knowledge-graph files, with the levels of its [checks] settings.
With PATHS, only the files under them (a named file is checked even when no glob admits it).

options:
  --workspace DIR  the workspace root (default: the current directory)
  --kg PATH        a knowledge-graph folder or thesaurus file, instead of the configured ones
  --format FORMAT  text (default): `path:line:col: level[check]: message` lines;
                   json: an array of findings; sarif: SARIF 2.1.0 for code scanning
  --fix            apply the safe quick fixes, write each file atomically, and report what remains
  --fail-on LEVEL  the least level that fails the run (default: warning; off: never)

exit codes:
  0  nothing at or above --fail-on was found
  1  something at or above --fail-on was found (after --fix: remains)
  2  the command line is wrong (unknown option, bad value, a path that does not exist)
  3  the configuration has problems (printed with file, line and key) or the graph is empty
";

/// What `kg-ls check` prints on stdout, and its exit code ([`exit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

impl Outcome {
    fn usage(message: String, warn: &mut dyn FnMut(&str)) -> Outcome {
        warn(&format!("kg-ls check: {message}\n\n{USAGE}"));
        Outcome { stdout: String::new(), code: exit::USAGE }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Sarif,
}

/// Runs `kg-ls check` with the arguments after `check`. Problems, errors and the summary go to
/// `warn` (for stderr); the findings are in the outcome.
pub fn run(args: &[String], warn: &mut dyn FnMut(&str)) -> Outcome {
    let mut root = PathBuf::from(".");
    let mut kg: Vec<String> = Vec::new();
    let mut format = Format::Text;
    let mut fix = false;
    let mut fail_on = Level::Warning;
    let mut paths: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        let parsed = match a.as_str() {
            "--workspace" | "-w" => value("--workspace").map(|v| root = PathBuf::from(v)),
            "--kg" => value("--kg").map(|v| kg.push(v)),
            "--format" => value("--format").and_then(|v| {
                format = match v.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    _ => return Err(format!("--format takes text, json or sarif, got {v:?}")),
                };
                Ok(())
            }),
            "--fail-on" => value("--fail-on").and_then(|v| match Level::from_name(&v) {
                Some(l) => {
                    fail_on = l;
                    Ok(())
                }
                None => Err(format!("--fail-on takes off, hint, info, warning or error, got {v:?}")),
            }),
            "--fix" => {
                fix = true;
                Ok(())
            }
            "-h" | "--help" => return Outcome { stdout: USAGE.to_string(), code: exit::OK },
            "--" => {
                paths.extend(it.by_ref().cloned());
                Ok(())
            }
            s if s.starts_with('-') && s.len() > 1 => Err(format!("unknown option {s}")),
            s => {
                paths.push(s.to_string());
                Ok(())
            }
        };
        if let Err(message) = parsed {
            return Outcome::usage(message, warn);
        }
    }
    // Named paths are checked before loading: a typo is a usage error, not an empty run.
    let mut named = Vec::new();
    for p in &paths {
        match crate::query::canonical(Path::new(p)) {
            Ok(c) => named.push(c),
            Err(e) => return Outcome::usage(format!("{p}: {e}"), warn),
        }
    }
    let shell = match crate::query::load_shell(&root, &kg, warn) {
        Ok(s) => s,
        Err(message) => return Outcome::usage(message, warn),
    };
    let crate::query::Shell { mut ws, root, config_ok, .. } = shell;
    let mut code = if config_ok { exit::OK } else { exit::CONFIG };
    let Some(config) = ws.config.clone() else {
        warn("kg-ls check: the workspace has no configuration");
        return Outcome { stdout: String::new(), code: exit::CONFIG };
    };
    let graph = ws.analysis(false).graph;
    if graph.concepts().next().is_none() {
        warn(&format!("kg-ls check: the knowledge graph of {} is empty: no concepts were loaded", root.display()));
        code = exit::CONFIG;
    }
    let filter = DocFilter::new(&config.search.include, &config.search.exclude).unwrap_or_else(|e| {
        warn(&format!("warning: search.include/exclude: {e}; the defaults are used"));
        DocFilter::default()
    });
    let targets = targets(&root, &config.sources, &filter, &named, warn);
    let terms = Terminology::build(&graph);
    let checker = Checker { graph: &graph, terms: &terms, levels: &config.checks };

    let mut results = checker.run(&targets, warn);
    let mut fixed = 0;
    if fix {
        let mut again = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let Some(text) = r.bytes.as_deref().and_then(|b| std::str::from_utf8(b).ok()) else { continue };
            let edits = crate::check::safe_edits(&r.findings);
            if edits.is_empty() {
                continue;
            }
            let new = apply(text, &edits);
            match RealFs.write_atomic(&targets[i].0, new.as_bytes()) {
                Ok(()) => {
                    fixed += edits.len();
                    again.push(i);
                }
                Err(e) => warn(&format!("error: {}: cannot write the fixes: {e}", targets[i].0.display())),
            }
        }
        let redo: Vec<(PathBuf, Kind)> = again.iter().map(|&i| targets[i].clone()).collect();
        for (i, r) in again.into_iter().zip(checker.run(&redo, warn)) {
            results[i] = r;
        }
    }

    let mut shown: Vec<Shown> = Vec::new();
    for ((path, _), r) in targets.iter().zip(&results) {
        let rel = relative(&path.display().to_string(), &root);
        let bytes = r.bytes.as_deref().unwrap_or_default();
        for f in &r.findings {
            shown.push(Shown::new(&rel, bytes, f));
        }
    }
    shown.sort_by(|a, b| (&a.path, a.line, a.column, a.check).cmp(&(&b.path, b.line, b.column, b.check)));
    let failing = fail_on != Level::Off && shown.iter().any(|s| s.level >= fail_on);
    if failing && code == exit::OK {
        code = exit::FINDINGS;
    }
    let stdout = match format {
        Format::Text => text_output(&shown),
        Format::Json => json_output(&shown),
        Format::Sarif => sarif_output(&shown),
    };
    warn(&summary(&shown, &targets, fixed));
    Outcome { stdout, code }
}

/// What a file is checked as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Document,
    Kg(SourceKind),
}

/// The files to check, sorted by path: every knowledge-graph source file, and the documents
/// under `root` that `filter` admits; with `named` paths, only what is under them (and a named
/// file itself, as a document when it is no knowledge-graph file).
fn targets(
    root: &Path,
    sources: &[KgSource],
    filter: &DocFilter,
    named: &[PathBuf],
    warn: &mut dyn FnMut(&str),
) -> Vec<(PathBuf, Kind)> {
    let (kg_files, problems) = crate::kg::list_source_files(sources);
    for p in problems {
        warn(&format!("warning: {}", relative(&p.to_string(), root)));
    }
    let mut out: std::collections::BTreeMap<PathBuf, Kind> = std::collections::BTreeMap::new();
    for path in kg_files {
        if let Some(kind) = crate::kg::kind_of(&path) {
            out.insert(path, Kind::Kg(kind));
        }
    }
    let in_sources = |p: &Path| sources.iter().any(|s| p.starts_with(&s.path));
    RealFs.walk_files(root, &mut |path| {
        let rel = path.strip_prefix(root).unwrap_or(path);
        if filter.admits(rel) && !in_sources(path) && !out.contains_key(path) {
            out.insert(path.to_path_buf(), Kind::Document);
        }
        std::ops::ControlFlow::Continue(())
    });
    if named.is_empty() {
        return out.into_iter().collect();
    }
    let mut picked: Vec<(PathBuf, Kind)> =
        out.iter().filter(|(p, _)| named.iter().any(|n| p.starts_with(n))).map(|(p, k)| (p.clone(), *k)).collect();
    for n in named {
        let is_file = RealFs.stamp(n).is_some_and(|s| s.kind == crate::vfs::EntryKind::File);
        if is_file && !out.contains_key(n) {
            let kind = match crate::kg::kind_of(n) {
                Some(k) if in_sources(n) => Kind::Kg(k),
                _ => Kind::Document,
            };
            picked.push((n.clone(), kind));
        }
    }
    picked.sort_by(|a, b| a.0.cmp(&b.0));
    picked
}

/// One file's findings, and the bytes they are in (`None`: the file could not be read).
#[derive(Default)]
struct Checked {
    bytes: Option<Vec<u8>>,
    findings: Vec<Finding>,
}

struct Checker<'a> {
    graph: &'a Graph,
    terms: &'a Terminology,
    levels: &'a Levels,
}

impl Checker<'_> {
    /// Checks every target on every core; the results are in the targets' order. A file that
    /// cannot be read is reported to `warn` and has no findings.
    fn run(&self, targets: &[(PathBuf, Kind)], warn: &mut dyn FnMut(&str)) -> Vec<Checked> {
        let states = crate::par::for_each_index(
            targets.len(),
            targets.len().max(1),
            Vec::new,
            |out: &mut Vec<(usize, Result<Checked, String>)>, i| {
                let (path, kind) = &targets[i];
                out.push((i, self.one(path, *kind)));
            },
            &mut |_| {},
        );
        let mut results: Vec<Checked> = (0..targets.len()).map(|_| Checked::default()).collect();
        for state in states {
            match state {
                Ok(items) => {
                    for (i, r) in items {
                        match r {
                            Ok(c) => results[i] = c,
                            Err(e) => warn(&format!("error: {}: {e}", targets[i].0.display())),
                        }
                    }
                }
                Err(_) => warn("error: a checking thread panicked; some files were not checked"),
            }
        }
        results
    }

    fn one(&self, path: &Path, kind: Kind) -> Result<Checked, String> {
        let limit = match kind {
            Kind::Document => crate::search::text::MAX_DOC_BYTES,
            Kind::Kg(kind) => crate::kg::read_limit(kind),
        };
        let read = RealFs.read(path, limit);
        match kind {
            Kind::Kg(_) => {
                let (bytes, source) = match read {
                    Ok(b) => (b, None),
                    Err(ReadError::TooLarge { len, limit }) => (Vec::new(), Some(Source::TooLarge { len, limit })),
                    Err(e) => return Err(e.to_string()),
                };
                let source = source.unwrap_or(Source::Bytes(&bytes));
                let findings = crate::check::check_kg_file(path, source, self.graph, self.terms, self.levels);
                Ok(Checked { bytes: Some(bytes), findings })
            }
            Kind::Document => {
                let (bytes, source) = match read {
                    Ok(b) => (b, None),
                    Err(ReadError::TooLarge { len, limit }) => (Vec::new(), Some(Source::TooLarge { len, limit })),
                    Err(e) => return Err(e.to_string()),
                };
                let findings = crate::check::check_document_source(
                    source.unwrap_or(Source::Bytes(&bytes)),
                    self.terms,
                    self.levels,
                );
                Ok(Checked { findings, bytes: Some(bytes) })
            }
        }
    }
}

/// `text` with the non-overlapping, sorted `edits` applied, back to front. An edit whose range
/// is not on character boundaries of `text` is skipped.
fn apply(text: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = text.to_string();
    for (range, new) in edits.iter().rev() {
        if out.get(range.clone()).is_some() {
            out.replace_range(range.clone(), new);
        }
    }
    out
}

/// One finding as it is printed: 1-based lines and columns in characters.
struct Shown {
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    check: CheckId,
    level: Level,
    message: String,
    fixes: Vec<(String, bool)>,
}

impl Shown {
    fn new(path: &str, bytes: &[u8], f: &Finding) -> Shown {
        let (line, column) = position(bytes, f.range.start);
        let (end_line, end_column) = position(bytes, f.range.end.max(f.range.start));
        Shown {
            path: path.to_string(),
            line,
            column,
            end_line,
            end_column,
            check: f.check,
            level: f.level,
            message: f.message.clone(),
            fixes: f.fixes.iter().map(|x| (x.title.clone(), x.safe)).collect(),
        }
    }
}

/// 1-based line and column (in characters, invalid UTF-8 counting as one each) of byte
/// `offset` of `bytes`.
fn position(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, String::from_utf8_lossy(&before[start..]).chars().count() + 1)
}

fn text_output(shown: &[Shown]) -> String {
    let mut out = String::new();
    for s in shown {
        let _ =
            writeln!(out, "{}:{}:{}: {}[{}]: {}", s.path, s.line, s.column, s.level.name(), s.check.id(), s.message);
    }
    out
}

fn json_output(shown: &[Shown]) -> String {
    let items: Vec<serde_json::Value> = shown
        .iter()
        .map(|s| {
            json!({
                "path": s.path,
                "line": s.line,
                "column": s.column,
                "endLine": s.end_line,
                "endColumn": s.end_column,
                "check": s.check.id(),
                "level": s.level.name(),
                "message": s.message,
                "fixes": s.fixes.iter().map(|(title, safe)| json!({"title": title, "safe": safe})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

/// SARIF's name of a level: `note` for hints and information.
fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Off => "none",
        Level::Hint | Level::Info => "note",
    }
}

fn sarif_output(shown: &[Shown]) -> String {
    let rules: Vec<serde_json::Value> = CheckId::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "shortDescription": {"text": describe(*c)},
                "helpUri": c.doc_url(),
                "defaultConfiguration": {"level": sarif_level(c.default_level())},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = shown
        .iter()
        .map(|s| {
            json!({
                "ruleId": s.check.id(),
                "ruleIndex": s.check as usize,
                "level": sarif_level(s.level),
                "message": {"text": s.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": s.path},
                        "region": {
                            "startLine": s.line,
                            "startColumn": s.column,
                            "endLine": s.end_line,
                            "endColumn": s.end_column,
                        },
                    },
                }],
            })
        })
        .collect();
    let log = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "kg-ls",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": crate::check::DOCS_URL,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// A check in a few words, for SARIF's rule descriptions.
fn describe(c: CheckId) -> &'static str {
    match c {
        CheckId::AvoidedTerm => "A term the glossary says to avoid",
        CheckId::NonCanonicalTerm => "A synonym where the concept's canonical name is wanted",
        CheckId::NearMiss => "A phrase one or two edits away from a multi-word term",
        CheckId::UnknownRelated => "A related:: name that matches no concept",
        CheckId::TermClaimedTwice => "A term that two concepts claim",
        CheckId::DuplicateSynonym => "A synonym listed twice in one file",
        CheckId::HeadingAddsTerm => "A heading that adds a term no one meant",
        CheckId::FormatSlip => "A likely slip in the concept file format",
        CheckId::BrokenFile => "A file that cannot be read as what it claims to be",
    }
}

fn summary(shown: &[Shown], targets: &[(PathBuf, Kind)], fixed: usize) -> String {
    let count = |l: Level| shown.iter().filter(|s| s.level == l).count();
    let files = shown.iter().map(|s| s.path.as_str()).collect::<std::collections::HashSet<_>>().len();
    let documents = targets.iter().filter(|(_, k)| *k == Kind::Document).count();
    let kg = targets.len() - documents;
    let mut out = format!(
        "kg-ls check: {} findings ({} errors, {} warnings, {} info, {} hints) in {files} files; checked {documents} documents and {kg} knowledge-graph files",
        shown.len(),
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
        count(Level::Hint),
    );
    if fixed > 0 {
        let _ = write!(out, "; {fixed} fixes applied");
    }
    out
}
