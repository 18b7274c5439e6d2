//! `kg-ls graph`: the neighbourhood of a concept printed from the shell, as DOT for Graphviz
//! or as the JSON that `kg-ls/graph` answers.
//!
//! It loads a workspace exactly as the server does ([`crate::query::load_shell`]), finds the
//! concept by any of its terms, walks [`crate::navigate::graph::neighbourhood`] and prints it
//! with [`to_dot`] or [`to_json`]. It owns argument parsing for its subcommand and its exit
//! codes ([`exit`]); the walk and the printing are [`crate::navigate::graph`]'s, and it must
//! not know protocol types.

use std::path::PathBuf;

use crate::navigate::graph::{
    DEFAULT_DEPTH, Limits, MAX_DEPTH, concepts_named, mentions, neighbourhood, to_dot, to_json, view,
};
use crate::query::{Shell, load_shell, relative};
use crate::render::path_uri;

/// Exit codes of `kg-ls graph`, as its help lists them.
pub mod exit {
    /// The graph was printed.
    pub const OK: u8 = 0;
    /// The configuration has problems (printed); the graph printed is from what did load.
    pub const PROBLEMS: u8 = 1;
    /// The command line is wrong: an unknown option, a bad value, no concept, a workspace
    /// folder that does not exist.
    pub const USAGE: u8 = 2;
    /// The knowledge graph is empty: no concept was loaded.
    pub const EMPTY: u8 = 3;
    /// No concept has the term given.
    pub const UNKNOWN: u8 = 4;
}

/// The help text of `kg-ls graph`.
pub const USAGE: &str = "\
usage: kg-ls graph [--workspace DIR] [--kg PATH]... [--depth N] [--format dot|json] CONCEPT

Prints the neighbourhood of CONCEPT (any of its terms, in any case): the concepts within
N steps of it over related:: in both directions, and the relations between them, directed as
written. At most 500 concepts; a cut graph says so (a DOT comment, \"truncated\": true).

options:
  --workspace DIR  the workspace root (default: the current directory)
  --kg PATH        a knowledge-graph folder or thesaurus file, instead of the configured ones
  --depth N        steps from the concept, 0 to 5 (default: 1)
  --format FORMAT  dot (default): a Graphviz digraph, e.g. kg-ls graph tokio | dot -Tsvg > tokio.svg;
                   json: the shape of the kg-ls/graph request's answer (paths relative to DIR)

exit codes:
  0  the graph was printed
  1  the configuration has problems (printed with file, line and key); the graph is from what loaded
  2  the command line is wrong (unknown option, bad value, no concept, missing workspace)
  3  the knowledge graph is empty: no concepts were loaded
  4  no concept has the term given
";

/// What `kg-ls graph` prints on stdout, and its exit code ([`exit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub code: u8,
}

impl Outcome {
    fn fail(code: u8, message: String, warn: &mut dyn FnMut(&str)) -> Outcome {
        warn(&message);
        Outcome { stdout: String::new(), code }
    }

    fn usage(message: String, warn: &mut dyn FnMut(&str)) -> Outcome {
        Outcome::fail(exit::USAGE, format!("kg-ls graph: {message}\n\n{USAGE}"), warn)
    }
}

/// Runs `kg-ls graph` with the arguments after `graph`. Problems go to `warn` (for stderr),
/// each naming where it is; the graph is in the outcome.
pub fn run(args: &[String], warn: &mut dyn FnMut(&str)) -> Outcome {
    let mut root = PathBuf::from(".");
    let mut kg: Vec<String> = Vec::new();
    let mut depth = DEFAULT_DEPTH;
    let mut json = false;
    let mut words: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        let parsed = match a.as_str() {
            "--workspace" | "-w" => value("--workspace").map(|v| root = PathBuf::from(v)),
            "--kg" => value("--kg").map(|v| kg.push(v)),
            "--depth" | "-d" => value("--depth").and_then(|v| match v.parse::<u32>() {
                Ok(n) if n <= MAX_DEPTH => {
                    depth = n;
                    Ok(())
                }
                _ => Err(format!("--depth takes a whole number from 0 to {MAX_DEPTH}, got {v:?}")),
            }),
            "--format" | "-f" => value("--format").and_then(|v| match v.as_str() {
                "dot" => {
                    json = false;
                    Ok(())
                }
                "json" => {
                    json = true;
                    Ok(())
                }
                _ => Err(format!("--format takes dot or json, got {v:?}")),
            }),
            "-h" | "--help" => return Outcome { stdout: USAGE.to_string(), code: exit::OK },
            s if s.starts_with('-') && s.len() > 1 => Err(format!("unknown option {s}")),
            s => {
                words.push(s);
                Ok(())
            }
        };
        if let Err(message) = parsed {
            return Outcome::usage(message, warn);
        }
    }
    let name = words.join(" ");
    if name.trim().is_empty() {
        return Outcome::usage("name a concept, e.g. kg-ls graph tokio".to_string(), warn);
    }
    let Shell { mut ws, root, config_ok, .. } = match load_shell(&root, &kg, warn) {
        Ok(loaded) => loaded,
        Err(message) => return Outcome::usage(message, warn),
    };
    let a = ws.analysis(false);
    if a.graph.is_empty() {
        let message =
            format!("kg-ls graph: the knowledge graph of {} is empty: no concepts were loaded", root.display());
        return Outcome::fail(exit::EMPTY, message, warn);
    }
    let roots = concepts_named(&a, &name);
    if roots.is_empty() {
        let message = format!("kg-ls graph: no concept of {} has the term {name:?}", root.display());
        return Outcome::fail(exit::UNKNOWN, message, warn);
    }
    let occurrences = ws.occurrences();
    let n =
        neighbourhood(&a.graph, &roots, depth, &|id| mentions(a.graph.concept(id), &occurrences), Limits::default());
    let path = |p: &std::path::Path| relative(&p.display().to_string(), &root);
    let v = view(&a.graph, &n, &|p| path_uri(p), &path);
    let stdout = if json { to_json(&v) } else { to_dot(&v) };
    Outcome { stdout, code: if config_ok { exit::OK } else { exit::PROBLEMS } }
}
