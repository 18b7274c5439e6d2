//! Rename: what term the cursor is on ([`renamable`]) and the plain edit plan that renames it
//! ([`plan`]).
//!
//! Renaming a concept renames its markdown concept file (when the file's stem is its name),
//! its `# ` heading when the heading states the name, the `related::` entries and `[[wiki
//! links]]` of other concept files that name it by its name, the `nterm`s (and the term) of a
//! thesaurus concept's entries, and the mentions of its name in the documents. Renaming another
//! term of a concept (a synonym) edits where it is declared, the entries and links that use
//! it, and its mentions. Mentions in prose are marked as such (`prose`), since a mention may
//! be deliberate; the protocol layer asks the user to confirm them.
//!
//! Pure: the references come from a [`ReferenceSet`] and files are read only through its
//! [`Vfs`](crate::vfs::Vfs); no protocol types, no writes. It must not parse concept files or
//! thesauri itself: [`entries`] and [`data_entries`] say where things are written.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::mentions::{Kind, Pos, Span, mentions};
use super::references::{ReferenceSet, is_wiki_link};
use crate::check::Terminology;
use crate::index::TermIndex;
use crate::kg::{ConceptId, EntryKind, Graph, SourceKind, data_entries, entries, kind_of};
use crate::search::{Cancel, Cancelled};
use crate::text::{Encoding, LineCol, LineIndex, fold, infer_case};

/// Why a rename cannot be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenameError {
    /// Refused, with the message for the user.
    Refused(String),
    Cancelled,
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::Refused(m) => f.write_str(m),
            RenameError::Cancelled => f.write_str("the rename was cancelled"),
        }
    }
}

impl From<Cancelled> for RenameError {
    fn from(_: Cancelled) -> RenameError {
        RenameError::Cancelled
    }
}

fn refused<T>(message: impl Into<String>) -> Result<T, RenameError> {
    Err(RenameError::Refused(message.into()))
}

/// What a rename renames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A concept: its name.
    Concept(ConceptId),
    /// A term of a concept that is not its name (a synonym, or a heading that is not the name),
    /// as the graph has it.
    Term { concept: ConceptId, term: String },
}

impl Target {
    pub fn concept(&self) -> ConceptId {
        match self {
            Target::Concept(c) | Target::Term { concept: c, .. } => *c,
        }
    }

    /// The term renamed, as the graph has it.
    pub fn term<'g>(&'g self, graph: &'g Graph) -> &'g str {
        match self {
            Target::Concept(c) => graph.concept(*c).name(),
            Target::Term { term, .. } => term,
        }
    }
}

/// The term under the cursor: its range in the text, the text a new name starts from, and
/// what renaming it renames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renamable {
    pub range: Range<usize>,
    pub placeholder: String,
    pub target: Target,
}

/// The term at `offset` of `text`, the file at `path`; `source`: the file is a knowledge-graph
/// source (a concept file or a thesaurus), else a document. In a concept file that is its
/// heading, a `synonyms::` entry, a `related::` entry (which renames the concept it names) or a
/// mention in its prose; in a thesaurus a term or an `nterm`; in a document a mention in prose.
pub fn renamable(
    graph: &Graph,
    terms: &TermIndex,
    path: &Path,
    text: &str,
    source: bool,
    offset: usize,
) -> Result<Renamable, RenameError> {
    let on = |r: &Range<usize>| r.start <= offset && offset <= r.end;
    let own = || graph.file_concepts(path).filter(|r| !r.is_empty()).map(|r| ConceptId(r.start));
    if source && kind_of(path) == Some(SourceKind::Thesaurus) {
        for e in data_entries(text) {
            let concept = graph
                .file_concepts(path)
                .into_iter()
                .flatten()
                .map(ConceptId)
                .find(|&c| graph.concept(c).terms().any(|t| fold(t) == fold(&e.term)));
            let Some(c) = concept else { continue };
            let name = graph.concept(c).name();
            if on(&e.term_range) {
                return Ok(at(graph, c, e.term_range, &e.term));
            }
            if let Some((_, r)) = e.nterm.filter(|(n, r)| on(r) && fold(n) == fold(name)) {
                return Ok(Renamable { range: r, placeholder: name.to_string(), target: Target::Concept(c) });
            }
        }
        return refused("no term of the thesaurus here to rename");
    }
    if source && let Some(e) = entries(text).into_iter().find(|e| on(&e.range)) {
        let written = &text[e.range.clone()];
        match e.kind {
            EntryKind::Heading | EntryKind::Synonym => {
                let Some(c) = own() else { return refused("this file defines no concept") };
                return Ok(at(graph, c, e.range, written));
            }
            EntryKind::Related => {
                let c = one_concept(graph, terms, written)?;
                let name = graph.concept(c).name().to_string();
                return Ok(Renamable { range: e.range, placeholder: name, target: Target::Concept(c) });
            }
            EntryKind::Property => {
                let key = &text[e.name];
                return refused(format!("“{key}::” values are not terms; nothing to rename here"));
            }
        }
    }
    let kind = if source { Kind::ConceptFile } else { Kind::Document };
    let Some(m) = mentions(text, kind, terms, false).into_iter().find(|m| on(&m.range)) else {
        return refused("no term of the knowledge graph here to rename");
    };
    let written = &text[m.range.clone()];
    let c = one_concept(graph, terms, written)?;
    Ok(at(graph, c, m.range, written))
}

/// The concept that `term` names, refusing none and several.
fn one_concept(graph: &Graph, terms: &TermIndex, term: &str) -> Result<ConceptId, RenameError> {
    let mut ids: Vec<ConceptId> = terms.map.get(&fold(term)).iter().map(|t| t.concept).collect();
    ids.sort_unstable();
    ids.dedup();
    match ids.as_slice() {
        [c] => Ok(*c),
        [] => refused(format!("“{term}” names no concept")),
        many => {
            let names: Vec<String> = many.iter().map(|&c| format!("“{}”", graph.concept(c).name())).collect();
            refused(format!(
                "“{term}” is a term of several concepts ({}): rename it in its concept file",
                names.join(", ")
            ))
        }
    }
}

/// The term of concept `c` written as `written` at `range`: its name or another of its terms.
fn at(graph: &Graph, c: ConceptId, range: Range<usize>, written: &str) -> Renamable {
    let concept = graph.concept(c);
    let folded = fold(written);
    let target = match concept.terms().position(|t| fold(t) == folded) {
        Some(0) | None => Target::Concept(c),
        Some(i) => Target::Term { concept: c, term: concept.term(i).unwrap_or(written).to_string() },
    };
    Renamable { range, placeholder: written.to_string(), target }
}

/// One edit of a file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    /// The same range as positions, in both encodings.
    pub span: Span,
    pub text: String,
    /// A mention in a document's prose (to confirm), not an edit of the graph.
    pub prose: bool,
}

/// The edits of one file, in text order, none overlapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdits {
    pub path: Arc<Path>,
    pub edits: Vec<Edit>,
}

/// A concept file renamed after its concept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRename {
    pub from: Arc<Path>,
    pub to: PathBuf,
}

/// What a rename changes: text edits by file (in path order), and the concept file renamed,
/// after its own edits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<FileEdits>,
    pub rename: Option<FileRename>,
}

/// The plan that renames `target` to `new_name` (whitespace runs become one space, the ends
/// trimmed). The same name is an empty plan. Refused: an empty name, a comma (it would split a
/// `synonyms::` or `related::` entry), a name that is a term of another concept or another
/// term of this one, and for a concept file renamed, a name no file can have or a file that
/// exists.
pub fn plan(
    set: &ReferenceSet,
    terminology: &Terminology,
    target: &Target,
    new_name: &str,
    cancel: &Cancel,
) -> Result<Plan, RenameError> {
    let graph = set.graph;
    let id = target.concept();
    let concept = graph.concept(id);
    let old = target.term(graph);
    let new = new_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if new.is_empty() {
        return refused("the new name is empty");
    }
    if new == old {
        return Ok(Plan::default());
    }
    if new.contains(',') {
        return refused(format!("“{new}” has a comma, which would split a synonyms:: or related:: entry"));
    }
    let (old_f, new_f) = (fold(old), fold(&new));
    if new_f.is_empty() {
        return refused(format!("“{new}” has no letters or digits to be a term"));
    }
    if new_f != old_f {
        for t in graph.term_table().get(&new_f) {
            let other = graph.concept(t.concept);
            let same = t.concept == id && other.term(t.term as usize).is_some_and(|x| fold(x) == old_f);
            if !same {
                return refused(format!("“{new}” is already a term of concept “{}”", other.name()));
            }
        }
    }
    if let Some(a) = terminology.avoided_phrase(&new) {
        return refused(format!("“{new}” is a term to avoid: the glossary says “{}” instead", a.replacement));
    }
    let own_path = concept.path().clone();
    let kind = kind_of(&own_path);
    let mut by_file: Vec<(Arc<Path>, String, Vec<Planned>)> = Vec::new();

    // The concept's own file: where the term is declared.
    let mut rename = None;
    if let Some(text) = read(set, &own_path) {
        let mut edits = Vec::new();
        match kind {
            Some(SourceKind::Thesaurus) => {
                let own_id = concept.data().properties().find(|(k, _)| *k == "id").map(|(_, v)| v.to_string());
                let name_f = fold(concept.name());
                for e in data_entries(&text) {
                    if e.id != own_id {
                        continue;
                    }
                    if fold(&e.term) == old_f {
                        edits.push((e.term_range.clone(), json_escape(&new), false));
                    }
                    if let (Target::Concept(_), Some((n, r))) = (target, &e.nterm)
                        && fold(n) == name_f
                    {
                        edits.push((r.clone(), json_escape(&new), false));
                    }
                }
            }
            _ => {
                for e in entries(&text) {
                    let renames = match e.kind {
                        EntryKind::Heading => true,
                        EntryKind::Synonym => matches!(target, Target::Term { .. }),
                        EntryKind::Related | EntryKind::Property => false,
                    };
                    if renames && fold(&text[e.range.clone()]) == old_f {
                        edits.push((e.range, new.clone(), false));
                    }
                }
                if let Target::Concept(_) = target
                    && kind == Some(SourceKind::Markdown)
                {
                    rename = file_rename(set, &own_path, concept.name(), &new)?;
                }
            }
        }
        by_file.push((own_path.clone(), text, edits));
    } else {
        return refused(format!("cannot read {}, where “{}” is defined", own_path.display(), concept.name()));
    }

    // Every other reference that writes the renamed term, file by file on every core (a
    // concept mentioned everywhere touches every document).
    let refs = set.references(id, false, cancel)?;
    let (own_text, own_edits) = by_file.pop().map(|(_, t, e)| (t, e)).expect("the own file was read");
    let mut own = Some((own_text, own_edits));
    let planned = |path: &Arc<Path>, text: &str, index: &LineIndex, spans: &[Span], edits: &mut Vec<Planned>| {
        let document = !(set.is_source)(path);
        for s in spans {
            let r = offset(index, text, s.start)..offset(index, text, s.end);
            let written = &text[r.clone()];
            if r.is_empty() || fold(written) != old_f {
                continue;
            }
            // A wiki link names the concept as the graph's own entries do, even in a document.
            let prose = document && !is_wiki_link(text, &r);
            let replacement = if prose {
                keep_breaks(written, &infer_case(written, &new).unwrap_or_else(|| new.clone()))
            } else {
                new.clone()
            };
            edits.push((r, replacement, prose));
        }
    };
    let mut files = Vec::new();
    let results = crate::par::for_each_index(
        refs.len(),
        64,
        Vec::new,
        |out: &mut Vec<FileEdits>, i| {
            let (path, spans) = &refs[i];
            if *path == own_path || cancel.is_cancelled() {
                return;
            }
            let Some(text) = read(set, path) else { return };
            let mut edits = Vec::new();
            let index = LineIndex::new(&text);
            planned(path, &text, &index, spans, &mut edits);
            out.extend(finish(path.clone(), &text, &index, edits));
        },
        &mut |_| {},
    );
    if cancel.is_cancelled() {
        return Err(RenameError::Cancelled);
    }
    for r in results {
        match r {
            Ok(found) => files.extend(found),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    if let Some((text, mut edits)) = own.take() {
        let index = LineIndex::new(&text);
        if let Some((_, spans)) = refs.iter().find(|(p, _)| *p == own_path) {
            planned(&own_path, &text, &index, spans, &mut edits);
        }
        files.extend(finish(own_path.clone(), &text, &index, edits));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan { files, rename })
}

/// A file's planned edits in order, without overlaps or edits that change nothing.
fn finish(path: Arc<Path>, text: &str, index: &LineIndex, mut edits: Vec<Planned>) -> Option<FileEdits> {
    edits.sort_by_key(|e| (e.0.start, e.0.end));
    let mut out: Vec<Edit> = Vec::new();
    for (range, t, prose) in edits {
        if out.last().is_some_and(|e| e.range.end > range.start) || text[range.clone()] == *t {
            continue;
        }
        let span = Span { start: Pos::at(index, text, range.start), end: Pos::at(index, text, range.end) };
        out.push(Edit { range, span, text: t, prose });
    }
    (!out.is_empty()).then_some(FileEdits { path, edits: out })
}

/// The rename of a markdown concept file named `name` to `new`, when its stem is the name.
fn file_rename(set: &ReferenceSet, path: &Arc<Path>, name: &str, new: &str) -> Result<Option<FileRename>, RenameError> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().trim().to_string()).unwrap_or_default();
    if stem != name {
        return Ok(None);
    }
    let bad = |c: char| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control();
    if let Some(c) = new.chars().find(|&c| bad(c)) {
        return refused(format!("“{new}” cannot be a file name: it has “{}”", c.escape_default()));
    }
    if new.starts_with('.') {
        return refused(format!("“{new}” cannot be a concept file's name: it would be a hidden file"));
    }
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "md".to_string());
    let to = path.with_file_name(format!("{new}.{ext}"));
    // A change of case only is the same file on a file system that ignores case.
    let same = fold(&to.to_string_lossy()) == fold(&path.to_string_lossy());
    if !same && set.files.stamp(&to).is_some() {
        return refused(format!("{} already exists", to.display()));
    }
    Ok(Some(FileRename { from: path.clone(), to }))
}

/// An edit found: its range, its text, and whether it is in prose.
type Planned = (Range<usize>, String, bool);

fn read(set: &ReferenceSet, path: &Path) -> Option<String> {
    if let Some((_, t)) = set.open.iter().find(|(p, _)| **p == *path) {
        return Some(t.to_string());
    }
    let bytes = set.files.read(path, crate::kg::MAX_FILE_BYTES).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn offset(index: &LineIndex, text: &str, p: Pos) -> usize {
    index.offset(text, LineCol { line: p.line, col: p.col8 }, Encoding::Utf8)
}

/// `replacement` with the line breaks of `written` (a mention across lines) between the same
/// words, where it has as many: a renamed mention keeps the paragraph's lines.
fn keep_breaks(written: &str, replacement: &str) -> String {
    if !written.contains('\n') {
        return replacement.to_string();
    }
    let gaps: Vec<&str> = written.split(|c: char| !c.is_whitespace()).filter(|g| !g.is_empty()).collect();
    let mut out = String::with_capacity(replacement.len() + 4);
    for (i, word) in replacement.split(' ').enumerate() {
        if i > 0 {
            out.push_str(gaps.get(i - 1).filter(|g| g.contains('\n')).copied().unwrap_or(" "));
        }
        out.push_str(word);
    }
    out
}

/// `s` as the inside of a JSON string.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_string()
}
