//! `kg-ls query`: the main features run from the shell, printing what an editor would show.
//!
//! It loads a workspace exactly as the server does (same configuration rules, same loaders)
//! and answers one question, or a short tour when none is given. It owns argument parsing for
//! its subcommand and plain-text output; it must not know about protocol types.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::render::Format;
use crate::workspace::{self, KgSettings, Settings, Workspace};

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
  (none)          a short tour: stats, complete \"async ru\", hover tokio, symbols tkrt

options:
  --workspace DIR  the workspace root (default: the current directory)
  --kg PATH        a knowledge-graph folder or thesaurus file, instead of the configured ones
  --limit N        the most completions or symbols to print
  --plain          plain-text hovers instead of markdown
";

/// Runs `kg-ls query` with the arguments after `query`; returns the text to print on stdout,
/// or an error message for stderr. Problems found while loading go to `warn`.
pub fn run(args: &[String], warn: &mut dyn FnMut(&str)) -> Result<String, String> {
    let mut root = PathBuf::from(".");
    let mut kg: Vec<String> = Vec::new();
    let mut limit: Option<usize> = None;
    let mut format = Format::Markdown;
    let mut rest: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"));
        match a.as_str() {
            "--workspace" | "-w" => root = PathBuf::from(value("--workspace")?),
            "--kg" => kg.push(value("--kg")?),
            "--limit" => limit = Some(value("--limit")?.parse().map_err(|_| "--limit takes a number".to_string())?),
            "--plain" => format = Format::PlainText,
            "-h" | "--help" => return Ok(USAGE.to_string()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n\n{USAGE}")),
            s => rest.push(s),
        }
    }
    let root = std::fs::canonicalize(&root).map_err(|e| format!("workspace {}: {e}", root.display()))?;
    let client = (!kg.is_empty()).then(|| Settings { kg: KgSettings { paths: Some(kg) }, ..Default::default() });
    let (config, loaded) = workspace::load(std::slice::from_ref(&root), client.as_ref(), &mut |_, _, _| {});
    for p in &loaded.problems {
        warn(&format!("warning: {}", relative(&p.to_string(), &root)));
    }
    let mut ws = Workspace::new(config, loaded);
    let completion_limit = limit.unwrap_or(ws.config.as_ref().map_or(50, |c| c.completion_limit));
    let symbol_limit = limit.unwrap_or(ws.config.as_ref().map_or(128, |c| c.symbol_limit));

    let mut out = String::new();
    let arg = rest.get(1..).map(|r| r.join(" ")).unwrap_or_default();
    match rest.first().copied() {
        None => {
            stats(&mut ws, &root, &mut out);
            for (title, cmd, text) in
                [("complete", "complete", "async ru"), ("hover", "hover", "tokio"), ("symbols", "symbols", "tkrt")]
            {
                let _ = writeln!(out, "\n$ kg-ls query --workspace {} {title} {text:?}", root.display());
                answer(&mut ws, &root, cmd, text, completion_limit.min(10), symbol_limit.min(10), format, &mut out)?;
            }
        }
        Some(cmd) => {
            if arg.is_empty() && cmd != "stats" {
                return Err(format!("`{cmd}` needs an argument\n\n{USAGE}"));
            }
            answer(&mut ws, &root, cmd, &arg, completion_limit, symbol_limit, format, &mut out)?;
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn answer(
    ws: &mut Workspace,
    root: &Path,
    cmd: &str,
    arg: &str,
    completion_limit: usize,
    symbol_limit: usize,
    format: Format,
    out: &mut String,
) -> Result<(), String> {
    let a = ws.analysis(cmd == "symbols");
    match cmd {
        "stats" => stats(ws, root, out),
        "complete" => {
            let (text, offset) = cursor(arg, arg.len());
            let c = a.completions(&text, offset, completion_limit);
            if c.items.is_empty() {
                let _ = writeln!(out, "no completions for {text:?}");
            }
            let width = c.items.iter().map(|i| i.term.chars().count()).max().unwrap_or(0);
            for item in &c.items {
                let canonical = item.canonicals.join(", ");
                let with = if item.insert != item.term { format!(" with {:?}", item.insert) } else { String::new() };
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
                    out.push_str(&a.render_hover(&hit, format));
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
            let symbols = a.symbols(arg, symbol_limit);
            if symbols.is_empty() {
                let _ = writeln!(out, "no symbols match {arg:?}");
            }
            let width = symbols.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
            for s in symbols {
                let kind = match s.kind {
                    crate::analysis::SymbolKind::Concept => "concept",
                    crate::analysis::SymbolKind::Heading => "heading",
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
        other => return Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
    Ok(())
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

fn relative(s: &str, root: &Path) -> String {
    let prefix = format!("{}/", root.display());
    s.replace(&prefix, "")
}
