//! Walking the knowledge graph from a concept: its neighbourhood to a depth (for `kg-ls/graph`
//! and `kg-ls graph`), what it relates to and what relates to it (the call hierarchy), and
//! where a concept file's `related::` lines name another concept.
//!
//! A neighbourhood is a breadth-first walk over [`Concept::related`] and
//! [`Concept::related_by`] (both directions), to at most [`MAX_DEPTH`] steps and at most
//! [`MAX_NODES`] concepts; the edges are every relation between two of its concepts, directed
//! as written (`from`'s file names `to` in its `related::`), each once. When a cap cuts the
//! walk, the answer says so ([`Neighbourhood::truncated`]); nothing is dropped in silence.
//!
//! Pure: plain data in (the graph, the workspace's occurrence counts, a file's text the caller
//! read) and plain data out. No protocol types, no I/O; the LSP layer converts positions and
//! URIs, and [`to_dot`] and [`to_json`] print a [`GraphView`] for the shell.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::kg::{Concept, ConceptId, Graph, MAX_TERM_BYTES, cut_at_char};
use crate::text::fold;

/// The deepest walk: a depth above it is taken as this.
pub const MAX_DEPTH: u32 = 5;
/// The depth when none is given.
pub const DEFAULT_DEPTH: u32 = 1;
/// The most concepts in one neighbourhood; a walk that would reach more stops and says so.
pub const MAX_NODES: usize = 500;
/// The most edges in one neighbourhood (500 concepts may relate to each other many times over).
pub const MAX_EDGES: usize = 5000;

/// One concept of a neighbourhood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub concept: ConceptId,
    /// Steps from the nearest root (roots are 0).
    pub depth: u32,
    /// How often the concept's terms occur in the workspace's documents, summed over its terms.
    pub mentions: u64,
}

/// A relation between two nodes, as indexes into [`Neighbourhood::nodes`]: `from`'s file names
/// `to` in its `related::`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

/// The concepts within a depth of some roots, and the relations between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neighbourhood {
    /// The roots first (in the order given), then by depth, in the order the walk met them.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// How many of the first nodes are roots.
    pub roots: usize,
    /// The depth walked (after clamping to [`MAX_DEPTH`]).
    pub depth: u32,
    /// [`MAX_NODES`] or [`MAX_EDGES`] cut the walk: more concepts or relations are within the
    /// depth than the answer holds.
    pub truncated: bool,
}

/// Caps on one walk; [`Limits::default`] is [`MAX_NODES`] and [`MAX_EDGES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub nodes: usize,
    pub edges: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { nodes: MAX_NODES, edges: MAX_EDGES }
    }
}

/// The neighbourhood of `roots` to `depth` steps (clamped to [`MAX_DEPTH`]), with each
/// concept's mentions in the workspace's documents as `mentions` counts them (from the mention
/// index, or [`mentions`] of counted occurrences).
pub fn neighbourhood(
    graph: &Graph,
    roots: &[ConceptId],
    depth: u32,
    mentions: &dyn Fn(ConceptId) -> u64,
    limits: Limits,
) -> Neighbourhood {
    let depth = depth.min(MAX_DEPTH);
    let mut out = Neighbourhood { depth, ..Neighbourhood::default() };
    let mut index: HashMap<ConceptId, usize> = HashMap::new();
    let mut queue = VecDeque::new();
    for &id in roots {
        if index.contains_key(&id) {
            continue;
        }
        if out.nodes.len() == limits.nodes.max(1) {
            out.truncated = true;
            break;
        }
        index.insert(id, out.nodes.len());
        out.nodes.push(Node { concept: id, depth: 0, mentions: mentions(id) });
        queue.push_back(id);
    }
    out.roots = out.nodes.len();
    'walk: while let Some(id) = queue.pop_front() {
        let d = out.nodes[index[&id]].depth;
        if d == depth {
            continue;
        }
        let c = graph.concept(id);
        for &next in c.related().iter().chain(c.related_by()) {
            if index.contains_key(&next) {
                continue;
            }
            if out.nodes.len() >= limits.nodes {
                out.truncated = true;
                break 'walk;
            }
            index.insert(next, out.nodes.len());
            out.nodes.push(Node { concept: next, depth: d + 1, mentions: mentions(next) });
            queue.push_back(next);
        }
    }
    'edges: for (from, node) in out.nodes.iter().enumerate() {
        for to in graph.concept(node.concept).related() {
            if let Some(&to) = index.get(to) {
                if out.edges.len() == limits.edges {
                    out.truncated = true;
                    break 'edges;
                }
                out.edges.push(Edge { from, to });
            }
        }
    }
    out
}

/// How often the terms of `c` occur in the documents: the sum of their counts in `occurrences`.
pub fn mentions(c: Concept<'_>, occurrences: &HashMap<String, u64>) -> u64 {
    c.terms().map(|t| occurrences.get(&fold(t)).copied().unwrap_or(0)).sum()
}

/// The concepts a name names, as any of their terms in any case: those whose canonical name it
/// is first, then the others claiming it, each once. Empty when no concept has the term.
pub fn concepts_named(a: &Analysis, name: &str) -> Vec<ConceptId> {
    let ids: Vec<ConceptId> = a.terms.map.get(&fold(name)).iter().map(|t| t.concept).collect();
    preferred(&a.graph, ids, name)
}

/// The concepts at byte `offset` of `text`: the term there as hover finds it; else, in a
/// concept file (`path` is one of the graph's files), the concept whose section holds the
/// offset's line (its heading, its `synonyms::`, its definition).
pub fn concepts_at(a: &Analysis, text: &str, offset: usize, path: Option<&Path>) -> Vec<ConceptId> {
    if let Some(hit) = a.hover(text, offset) {
        let term = text.get(hit.range.clone()).unwrap_or_default();
        return preferred(&a.graph, hit.concepts, term);
    }
    let Some(ids) = path.and_then(|p| a.graph.file_concepts(p)) else { return Vec::new() };
    let line = text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() as u32;
    let mut ids = ids.map(ConceptId);
    let first = ids.next();
    let found = ids.rev().find(|&id| a.graph.concept(id).line() <= line).or(first);
    found.into_iter().collect()
}

/// `ids` without repeats, those whose canonical name is `term` (folded) first.
fn preferred(graph: &Graph, ids: Vec<ConceptId>, term: &str) -> Vec<ConceptId> {
    let folded = fold(term);
    let mut seen = HashSet::new();
    let ids: Vec<ConceptId> = ids.into_iter().filter(|id| seen.insert(*id)).collect();
    let (mut named, others): (Vec<_>, Vec<_>) =
        ids.into_iter().partition(|&id| fold(graph.concept(id).name()) == folded);
    named.extend(others);
    named
}

/// The concepts `id` names in its `related::` (outgoing calls), in the order written.
pub fn outgoing(graph: &Graph, id: ConceptId) -> &[ConceptId] {
    graph.concept(id).related()
}

/// The concepts whose `related::` names `id` (incoming calls), in graph order.
pub fn incoming(graph: &Graph, id: ConceptId) -> &[ConceptId] {
    graph.concept(id).related_by()
}

/// Where the `related::` lines of a concept file's `text` name `target` (by any of its terms,
/// in any case): the byte range of each entry. Lines inside code fences are not properties,
/// as the parser reads them. Empty when no line does (a thesaurus, or a file changed since).
pub fn related_entries(text: &str, target: Concept<'_>) -> Vec<Range<usize>> {
    let terms: HashSet<String> = target.terms().map(fold).collect();
    crate::kg::entries(text)
        .into_iter()
        .filter(|e| e.kind == crate::kg::EntryKind::Related)
        .filter(|e| terms.contains(&fold(cut_at_char(&text[e.range.clone()], MAX_TERM_BYTES))))
        .map(|e| e.range)
        .collect()
}

/// A neighbourhood as `kg-ls/graph` answers it and `kg-ls graph --format json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphView {
    /// The first root's id, or `None` when there is none (no term at a position).
    pub root: Option<String>,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
    pub truncated: bool,
}

/// One node of a [`GraphView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    /// Unique in the view: the concept's name, or, for a second concept of the same name, the
    /// name followed by ` (2)` (then ` (3)`, …).
    pub id: String,
    pub name: String,
    /// The concept's file, as a URI.
    pub uri: String,
    /// The concept's file, as the caller shows paths.
    pub path: String,
    /// Zero-based line of the concept's definition in its file.
    pub line: u32,
    pub mentions: u64,
    pub depth: u32,
}

/// One edge of a [`GraphView`], by node ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EdgeView {
    pub from: String,
    pub to: String,
}

/// `n` with names, ids and files: `uri` and `path` say how the caller shows a file.
pub fn view(
    graph: &Graph,
    n: &Neighbourhood,
    uri: &dyn Fn(&Path) -> String,
    path: &dyn Fn(&Path) -> String,
) -> GraphView {
    let mut taken = HashSet::new();
    let nodes: Vec<NodeView> = n
        .nodes
        .iter()
        .map(|node| {
            let c = graph.concept(node.concept);
            let mut id = c.name().to_string();
            let mut k = 1;
            while !taken.insert(id.clone()) {
                k += 1;
                id = format!("{} ({k})", c.name());
            }
            NodeView {
                id,
                name: c.name().to_string(),
                uri: uri(c.path()),
                path: path(c.path()),
                line: c.line(),
                mentions: node.mentions,
                depth: node.depth,
            }
        })
        .collect();
    let edges =
        n.edges.iter().map(|e| EdgeView { from: nodes[e.from].id.clone(), to: nodes[e.to].id.clone() }).collect();
    let root = (n.roots > 0).then(|| nodes[0].id.clone());
    GraphView { root, nodes, edges, truncated: n.truncated }
}

/// `v` for Graphviz: a `digraph` whose node ids are the view's ids, labelled with names and
/// mention counts, the root drawn bold. Every id and label is a quoted DOT string, so spaces,
/// quotes, backslashes and any Unicode are safe.
pub fn to_dot(v: &GraphView) -> String {
    let mut out = String::from("digraph kg {\n  node [shape=box];\n");
    if v.truncated {
        out.push_str("  // truncated: more concepts or relations are within the depth than shown\n");
    }
    for n in &v.nodes {
        let plural = if n.mentions == 1 { "" } else { "s" };
        let label = format!("{}\n{} mention{plural}", n.name, n.mentions);
        let bold = if v.root.as_ref() == Some(&n.id) { ", style=bold" } else { "" };
        let _ = writeln!(
            out,
            "  {} [label={}, tooltip={}{bold}];",
            dot_string(&n.id),
            dot_string(&label),
            dot_string(&n.path)
        );
    }
    for e in &v.edges {
        let _ = writeln!(out, "  {} -> {};", dot_string(&e.from), dot_string(&e.to));
    }
    out.push_str("}\n");
    out
}

/// `v` as pretty-printed JSON, the shape of `kg-ls/graph`'s answer.
pub fn to_json(v: &GraphView) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// A DOT double-quoted string: `"` and `\` escaped, a newline as DOT's centred line break.
fn dot_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
