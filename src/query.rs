//! `kg-ls query`: the main features run from the shell, printing what an editor would show.
//!
//! It loads a workspace exactly as the server does (same configuration rules, same loaders)
//! and answers one question, or gives a short tour of a term of the workspace's own graph when
//! none is given. It owns argument parsing for its subcommand, plain-text output and its exit
//! codes ([`exit`]: problems in the configuration, a wrong command line and an empty graph are
//! each non-zero); it must not know about protocol types.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::render::Format;
use crate::search::{HitKind, Query, SearchIndex};
use crate::workspace::{self, KgSettings, Settings, Workspace};

/// Exit codes of `kg-ls query`, as its help lists them.
pub mod exit {
    /// The answer was printed; nothing was wrong with the configuration.
    pub const OK: u8 = 0;
    /// The configuration has problems (a bad `.kg-ls.toml` key or value, a knowledge-graph path
    /// that does not exist): they are printed, and the answer from what did load.
    pub const PROBLEMS: u8 = 1;
    /// The command line is wrong: an unknown option or command, a missing argument, a workspace
    /// folder that does not exist.
    pub const USAGE: u8 = 2;
    /// The knowledge graph is empty: no concept was loaded, so there is nothing to answer from.
    pub const EMPTY: u8 = 3;
}

/// The help text of `kg-ls query`.
pub const USAGE: &str = "\
usage: kg-ls query [--workspace DIR] [--kg PATH]... [--limit N] [--plain] [COMMAND ARG]

Loads the workspace as the language server does and prints what an editor would show.

commands:
  complete TEXT   completions for TEXT typed at the end of a line (or at a `|` in TEXT)
  hover TEXT      the hover for the term in TEXT (at a `|` in TEXT, else at its start)
  definition TEXT where the term in TEXT is defined
  symbols QUERY   workspace symbols matching QUERY (prefix or subsequence, e.g. tkrt)
  stats           what the workspace holds
  (none)          a short tour: stats, then complete, hover and symbols for a term of the graph

options:
  --workspace DIR  the workspace root (default: the current directory)
  --kg PATH        a knowledge-graph folder or thesaurus file, instead of the configured ones
  --limit N        the most completions or symbols to print (1 to 5000)
  --plain          plain-text hovers instead of markdown

exit codes:
  0  the answer was printed
  1  the configuration has problems (a bad .kg-ls.toml key or value, a path that does not
     exist); they are printed with their file, line and key, and the answer from what loaded
  2  the command line is wrong (unknown option or command, missing argument or workspace)
  3  the knowledge graph is empty: no concepts were loaded
";

/// The commands `kg-ls query` knows.
const COMMANDS: [&str; 5] = ["complete", "hover", "definition", "symbols", "stats"];

/// What `kg-ls query` prints on stdout, and its exit code ([`exit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

impl Outcome {
    fn usage(message: String, warn: &mut dyn FnMut(&str)) -> Outcome {
        warn(&format!("kg-ls query: {message}\n\n{USAGE}"));
        Outcome { stdout: String::new(), code: exit::USAGE }
    }
}

/// Runs `kg-ls query` with the arguments after `query`. Problems and errors go to `warn` (for
/// stderr), each naming where it is; the answer is in the outcome.
pub fn run(args: &[String], warn: &mut dyn FnMut(&str)) -> Outcome {
    let mut root = PathBuf::from(".");
    let mut kg: Vec<String> = Vec::new();
    let mut limit: Option<usize> = None;
    let mut format = Format::Markdown;
    let mut rest: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        let parsed = match a.as_str() {
            "--workspace" | "-w" => value("--workspace").map(|v| root = PathBuf::from(v)),
            "--kg" => value("--kg").map(|v| kg.push(v)),
            "--limit" => value("--limit").and_then(|v| match v.parse::<usize>() {
                Ok(n) if (1..=5000).contains(&n) => {
                    limit = Some(n);
                    Ok(())
                }
                _ => Err(format!("--limit takes a whole number from 1 to 5000, got {v:?}")),
            }),
            "--plain" => {
                format = Format::PlainText;
                Ok(())
            }
            "-h" | "--help" => return Outcome { stdout: USAGE.to_string(), code: exit::OK },
            s if s.starts_with('-') && s.len() > 1 => Err(format!("unknown option {s}")),
            s => {
                rest.push(s);
                Ok(())
            }
        };
        if let Err(message) = parsed {
            return Outcome::usage(message, warn);
        }
    }
    let command = rest.first().copied();
    let arg = rest.get(1..).map(|r| r.join(" ")).unwrap_or_default();
    if let Some(cmd) = command {
        if !COMMANDS.contains(&cmd) {
            let near = COMMANDS.iter().find(|c| c.starts_with(cmd) || cmd.starts_with(**c));
            let hint = near.map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
            return Outcome::usage(
                format!("unknown command `{cmd}`{hint}; the commands are {}", COMMANDS.join(", ")),
                warn,
            );
        }
        if arg.is_empty() && cmd != "stats" {
            return Outcome::usage(format!("`{cmd}` needs an argument, e.g. kg-ls query {cmd} tokio"), warn);
        }
    }
    let Shell { mut ws, root, sources, config_ok } = match load_shell(&root, &kg, warn) {
        Ok(loaded) => loaded,
        Err(message) => return Outcome::usage(message, warn),
    };
    let mut code = if config_ok { exit::OK } else { exit::PROBLEMS };
    let completion_limit = limit.unwrap_or(ws.config.as_ref().map_or(50, |c| c.completion_limit));
    let symbol_limit = limit.unwrap_or(ws.config.as_ref().map_or(128, |c| c.symbol_limit));

    let mut out = String::new();
    if ws.stats().concepts == 0 {
        let sources: Vec<String> = sources.iter().map(|s| relative(&s.display().to_string(), &root)).collect();
        let from = if sources.is_empty() {
            "no knowledge graph is configured".to_string()
        } else {
            format!("read from {}", sources.join(", "))
        };
        warn(&format!(
            "kg-ls query: the knowledge graph of {} is empty: no concepts were loaded ({from})",
            root.display()
        ));
        if command != Some("stats") {
            return Outcome { stdout: out, code: exit::EMPTY };
        }
    }
    let mut asker = Asker { ws: &mut ws, root: &root, format, search: None };
    match command {
        None => {
            stats(asker.ws, &root, &mut out);
            let a = asker.ws.analysis(false);
            let tour = tour_queries(&a.graph);
            drop(a);
            for (cmd, text) in tour {
                let _ = writeln!(out, "\n$ kg-ls query --workspace {} {cmd} {text:?}", root.display());
                asker.answer(cmd, &text, completion_limit.min(10), symbol_limit.min(10), &mut out);
            }
        }
        Some(cmd) => asker.answer(cmd, &arg, completion_limit, symbol_limit, &mut out),
    }
    if ws.stats().concepts == 0 {
        code = exit::EMPTY;
    }
    Outcome { stdout: out, code }
}

/// A workspace loaded for a shell command exactly as the server loads it.
pub(crate) struct Shell {
    pub ws: Workspace,
    /// The workspace root, canonical.
    pub root: PathBuf,
    /// The configured knowledge-graph sources.
    pub sources: Vec<PathBuf>,
    /// No problem with the configuration itself (its keys and values, missing paths).
    pub config_ok: bool,
}

/// Loads the workspace at `root` (with `kg` instead of the configured sources when given),
/// printing every problem to `warn`: configuration problems as errors, problems inside
/// knowledge-graph files as warnings. `Err` is a usage error: the root is not a folder.
pub(crate) fn load_shell(root: &Path, kg: &[String], warn: &mut dyn FnMut(&str)) -> Result<Shell, String> {
    let root = match std::fs::canonicalize(root) {
        Ok(r) if r.is_dir() => r,
        Ok(r) => return Err(format!("workspace {}: not a folder", r.display())),
        Err(e) => return Err(format!("workspace {}: {e}", root.display())),
    };
    let roots = std::slice::from_ref(&root);
    let client =
        (!kg.is_empty()).then(|| Settings { kg: KgSettings { paths: Some(kg.to_vec()) }, ..Default::default() });

    // The configuration's own problems (the file's keys and values, paths that are missing)
    // decide the exit code; problems inside knowledge-graph files are warnings.
    let (files, mut config_problems) = workspace::load_config_file(roots);
    let (resolved, more) = workspace::resolve(roots, client.as_ref(), &files, &|p| p.exists());
    config_problems.extend(more);
    let missing: Vec<&Path> = resolved.sources.iter().map(|s| s.path.as_path()).filter(|p| !p.exists()).collect();
    let (config, loaded) = workspace::load(roots, client.as_ref(), &mut |_, _, _| {});
    for p in &loaded.problems {
        let shown = relative(&p.to_string(), &root);
        let is_config = config_problems.contains(p) || missing.iter().any(|m| p.path == *m);
        warn(&format!("{}: {shown}", if is_config { "error" } else { "warning" }));
    }
    let config_ok = config_problems.is_empty() && missing.is_empty();
    let sources = resolved.sources.iter().map(|s| s.path.clone()).collect();
    Ok(Shell { ws: Workspace::new(config, loaded), root, sources, config_ok })
}

/// `path` made absolute and canonical (links resolved), as [`load_shell`] makes the root;
/// the error says why it cannot be (usually: it does not exist).
pub(crate) fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(path)
}

/// The tour's questions, asked of a term of this graph (never a fixed one, which other graphs
/// do not have): the concept with the most terms and relations, its first multi-word term typed
/// in part, its name hovered, and a subsequence of its name as a symbol query.
fn tour_queries(graph: &crate::kg::Graph) -> Vec<(&'static str, String)> {
    let Some((_, c)) = graph.concepts().max_by(|(_, a), (_, b)| {
        let weight = |c: &crate::kg::Concept<'_>| c.terms().count() + c.related().len() + c.related_by().len();
        weight(a).cmp(&weight(b)).then_with(|| b.name().cmp(a.name()))
    }) else {
        return Vec::new();
    };
    let name = c.name().to_string();
    // "async runtime" is typed as "async ru"; a one-word term as its first three characters.
    let term = c.terms().find(|t| t.split_whitespace().count() > 1).unwrap_or(c.name());
    let mut words = term.split_whitespace();
    let first = words.next().unwrap_or_default();
    let typed = match words.next() {
        Some(second) => format!("{first} {}", second.chars().take(2).collect::<String>()),
        None => first.chars().take(3).collect(),
    };
    // "tokio runtime" is searched as "tort": the first two characters of its first two words.
    let mut symbols: String = name.split_whitespace().take(2).flat_map(|w| w.chars().take(2)).collect();
    if !name.contains(char::is_whitespace) {
        symbols = name.chars().step_by(2).take(4).collect();
    }
    vec![("complete", typed), ("hover", name), ("symbols", symbols)]
}

/// Answers the questions of one run from one loaded workspace.
struct Asker<'a> {
    ws: &'a mut Workspace,
    root: &'a Path,
    format: Format,
    /// The search dictionaries, built at the first symbol query and reused by later ones.
    search: Option<SearchIndex>,
}

impl Asker<'_> {
    fn answer(&mut self, cmd: &str, arg: &str, completion_limit: usize, symbol_limit: usize, out: &mut String) {
        let (root, format) = (self.root, self.format);
        let a = self.ws.analysis(cmd == "symbols");
        match cmd {
            "stats" => stats(self.ws, root, out),
            "complete" => {
                let (text, offset) = cursor(arg, arg.len());
                let c = a.completions(&text, offset, completion_limit);
                if c.items.is_empty() {
                    let _ = writeln!(out, "no completions for {text:?}");
                }
                let width = c.items.iter().map(|i| i.term.chars().count()).max().unwrap_or(0);
                for item in &c.items {
                    let canonical = item.canonicals.join(", ");
                    let with =
                        if item.insert != item.term { format!(" with {:?}", item.insert) } else { String::new() };
                    let _ = writeln!(
                        out,
                        "{:<width$}  {:<24}  replaces {:?}{with}",
                        item.term,
                        format!("({canonical})"),
                        &text[item.replace.clone()]
                    );
                }
                if c.incomplete {
                    let _ = writeln!(out, "… more terms match; type more or raise --limit");
                }
            }
            "hover" => {
                let (text, offset) = cursor(arg, 0);
                match a.hover(&text, offset) {
                    Some(hit) => {
                        let _ = writeln!(out, "hover on {:?}:\n", &text[hit.range.clone()]);
                        out.push_str(&a.render_hover(&hit, format, &*self.ws.files()));
                    }
                    None => {
                        let _ = writeln!(out, "no term at the cursor in {text:?}");
                    }
                }
            }
            "definition" => {
                let (text, offset) = cursor(arg, 0);
                let locations = a.definition(&text, offset);
                if locations.is_empty() {
                    let _ = writeln!(out, "no term at the cursor in {text:?}");
                }
                for l in locations {
                    let _ = writeln!(out, "{}:{}", relative(&l.path.display().to_string(), root), l.line + 1);
                }
            }
            "symbols" => {
                let index = self
                    .search
                    .get_or_insert_with(|| SearchIndex::new(a.graph.clone(), a.terms.clone(), a.headings.clone()));
                let symbols = index.search_now(&Query::new(arg, symbol_limit));
                if symbols.is_empty() {
                    let _ = writeln!(out, "no symbols match {arg:?}");
                }
                let width = symbols.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
                for s in symbols {
                    let kind = match s.kind {
                        HitKind::Concept => "concept",
                        HitKind::Heading => "heading",
                        HitKind::Line => "line",
                    };
                    let container = s.container.map(|c| format!(" ({c})")).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "{kind}  {:<width$}  {}:{}{container}",
                        s.name,
                        relative(&s.path.display().to_string(), root),
                        s.line + 1
                    );
                }
            }
            // Refused before loading: not reached.
            other => {
                let _ = writeln!(out, "unknown command `{other}`");
            }
        }
    }
}

fn stats(ws: &mut Workspace, root: &Path, out: &mut String) {
    let s = ws.stats();
    let _ = writeln!(
        out,
        "workspace {}: {} concepts ({} terms) from {} knowledge-graph files; {} headings in {} markdown documents",
        root.display(),
        s.concepts,
        s.terms,
        s.kg_files,
        s.headings,
        s.documents
    );
}

/// Splits a `|` cursor marker out of `text`; without one the cursor is at `default`.
fn cursor(text: &str, default: usize) -> (String, usize) {
    match text.find('|') {
        Some(i) => (text.replacen('|', "", 1), i),
        None => (text.to_string(), default.min(text.len())),
    }
}

pub(crate) fn relative(s: &str, root: &Path) -> String {
    let prefix = format!("{}/", root.display());
    s.replace(&prefix, "")
}
