//! Terminology checks over the protocol: findings as diagnostics (pushed or pulled) and their
//! fixes as code actions.
//!
//! Owns the conversion of [`crate::check`]'s findings (byte ranges, plain edits) into
//! `Diagnostic`, `CodeAction` and `WorkspaceEdit`, in the client's position encoding. The
//! checks themselves are one core call ([`findings`]); nothing here decides what is wrong
//! with a text. Must not hold state: the main loop decides when a document is checked.

use std::collections::HashMap;
use std::ops::Range as Bytes;
use std::path::{Path, PathBuf};

use ls_types::*;

use super::caps::ClientInfo;
use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::analysis::Analysis;
use crate::check::{self, CheckId, Edit, Finding, Level, Levels, Source};
use crate::search::Cancel;
use crate::text::LineIndex;
use crate::vfs::Vfs;
use crate::workspace::Document;

/// The `source` of every diagnostic and the kind suffix of kg-ls's own code actions.
pub const SOURCE: &str = "kg-ls";
/// The source action that applies every safe fix of a document (`editor.codeActionsOnSave`).
pub const FIX_ALL: &str = "source.fixAll.kg-ls";
/// The kind of "create a concept from the selection".
pub const CREATE: &str = "refactor.extract";
/// The kind of "add the selection as a synonym of a concept".
pub const ADD_SYNONYM: &str = "refactor.rewrite";

/// What the checks of one document need besides the analysis, taken by the main loop when the
/// document is checked.
#[derive(Clone, Debug, Default)]
pub struct CheckContext {
    pub levels: Levels,
    /// The document is a knowledge-graph source (a concept file or thesaurus).
    pub kg_file: bool,
    /// The knowledge-graph folder new concept files go to.
    pub kg_dir: Option<PathBuf>,
}

/// The findings of the checks on `doc` as it is now.
pub fn findings(analysis: &Analysis, doc: &Document, ctx: &CheckContext) -> Vec<Finding> {
    let terms = analysis.terminology();
    match (&doc.path, ctx.kg_file) {
        (Some(path), true) => {
            check::check_kg_file(path, Source::Bytes(doc.text.as_bytes()), &analysis.graph, terms, &ctx.levels)
        }
        _ => check::check_document(&doc.text, terms, &ctx.levels),
    }
}

fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
        Level::Hint | Level::Off => DiagnosticSeverity::HINT,
    }
}

/// One finding as a diagnostic of `doc`.
pub fn diagnostic(doc: &Document, f: &Finding, client: &ClientInfo) -> Diagnostic {
    let range = convert::range(&doc.text, &doc.line_index, f.range.clone(), client.encoding);
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: convert::location(&r.path, r.line)?,
                message: r.message.clone(),
            })
        })
        .collect();
    Diagnostic {
        range,
        severity: Some(severity(f.level)),
        code: Some(NumberOrString::String(f.check.id().to_string())),
        code_description: f.check.doc_url().parse().ok().map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: f.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: f.deprecated.then(|| vec![DiagnosticTag::DEPRECATED]),
        data: None,
    }
}

/// The diagnostics of `doc`.
pub fn diagnostics(analysis: &Analysis, doc: &Document, ctx: &CheckContext, client: &ClientInfo) -> Vec<Diagnostic> {
    findings(analysis, doc, ctx).iter().map(|f| diagnostic(doc, f, client)).collect()
}

/// The loader's problems with a file, as its diagnostics (at their line; the whole file when
/// they have none). They are the `broken-file` check's.
pub fn problems(problems: &[crate::kg::Problem]) -> Vec<Diagnostic> {
    problems
        .iter()
        .map(|p| {
            let line = p.line.unwrap_or(0);
            let range =
                Range { start: Position { line, character: 0 }, end: Position { line: line + 1, character: 0 } };
            Diagnostic {
                range,
                severity: Some(DiagnosticSeverity::WARNING),
                code: Some(NumberOrString::String(CheckId::BrokenFile.id().to_string())),
                code_description: CheckId::BrokenFile.doc_url().parse().ok().map(|href| CodeDescription { href }),
                source: Some(SOURCE.to_string()),
                message: p.message.clone(),
                ..Default::default()
            }
        })
        .collect()
}

/// The knowledge-graph checks of every file in `paths`, read from `files`, with the loader's
/// `problems` of each (those a broken-file finding already says are left out): the
/// diagnostics of every file that has any. `None` when cancelled.
pub fn graph_report(
    analysis: &Analysis,
    files: &dyn Vfs,
    paths: &[PathBuf],
    problems: &HashMap<PathBuf, Vec<crate::kg::Problem>>,
    levels: &Levels,
    client: &ClientInfo,
    cancel: &Cancel,
) -> Option<Vec<(PathBuf, Vec<Diagnostic>)>> {
    let terms = analysis.terminology();
    let mut out = Vec::new();
    for path in paths {
        if cancel.is_cancelled() {
            return None;
        }
        let Some(kind) = crate::kg::kind_of(path) else { continue };
        let read = files.read(path, crate::kg::read_limit(kind));
        let (bytes, too_large) = match read {
            Ok(b) => (b, None),
            Err(crate::vfs::ReadError::TooLarge { len, limit }) => (Vec::new(), Some(Source::TooLarge { len, limit })),
            // Gone or unreadable since the load: the loader's problem (if any) says so.
            Err(_) => (Vec::new(), None),
        };
        let findings = match too_large {
            Some(source) => check::check_kg_file(path, source, &analysis.graph, terms, levels),
            None if bytes.is_empty() => Vec::new(),
            None => check::check_kg_file(path, Source::Bytes(&bytes), &analysis.graph, terms, levels),
        };
        let doc = Document::new(String::from_utf8_lossy(&bytes).into_owned(), 0, Some(path.clone()));
        let mut items: Vec<Diagnostic> = findings.iter().map(|f| diagnostic(&doc, f, client)).collect();
        let broken = findings.iter().any(|f| f.check == CheckId::BrokenFile);
        if let Some(p) = problems.get(path).filter(|_| !broken && levels.is_on(CheckId::BrokenFile)) {
            items.extend(self::problems(p));
        }
        if !items.is_empty() {
            out.push((path.clone(), items));
        }
    }
    Some(out)
}

/// The diagnostics of knowledge-graph files, by file: what [`graph_report`] finds.
pub type Report = HashMap<PathBuf, Vec<Diagnostic>>;

/// `workspace/diagnostic`: the graph report (`report`, made for graph `stamp`) of the files not
/// `open`: a full report for each file whose findings the client does not have (by its
/// `previousResultIds`), `unchanged` for those it has, and an empty one for a file it has
/// findings of that has none now. The client asks again on its own (VS Code every 2 s).
pub fn workspace_diagnostic(
    report: Option<&(crate::analysis::GraphStamp, std::sync::Arc<Report>)>,
    open: &std::collections::HashSet<PathBuf>,
    params: &WorkspaceDiagnosticParams,
) -> Answer {
    let previous: HashMap<PathBuf, &str> =
        params.previous_result_ids.iter().filter_map(|p| Some((convert::path(&p.uri)?, p.value.as_str()))).collect();
    let mut items = Vec::new();
    if let Some((stamp, files)) = report {
        let id = format!("graph-{}", stamp.0);
        for (path, diagnostics) in files.iter().filter(|(p, _)| !open.contains(*p)) {
            let Some(uri) = convert::uri(path) else { continue };
            items.push(if previous.get(path) == Some(&id.as_str()) {
                WorkspaceDocumentDiagnosticReport::Unchanged(WorkspaceUnchangedDocumentDiagnosticReport {
                    uri,
                    version: None,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport { result_id: id.clone() },
                })
            } else {
                full(uri, Some(id.clone()), diagnostics.clone())
            });
        }
        // Files the client has findings of that are clean now.
        for (path, value) in &previous {
            if !files.contains_key(path) && !value.is_empty() && !open.contains(path) {
                items.extend(convert::uri(path).map(|uri| full(uri, Some(String::new()), Vec::new())));
            }
        }
    }
    json(&WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items }))
}

fn full(uri: Uri, result_id: Option<String>, items: Vec<Diagnostic>) -> WorkspaceDocumentDiagnosticReport {
    WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
        uri,
        version: None,
        full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id, items },
    })
}

/// The body of the `textDocument/publishDiagnostics` notification for `uri`.
pub fn publish(uri: Uri, version: Option<i32>, diagnostics: Vec<Diagnostic>) -> PublishDiagnosticsParams {
    PublishDiagnosticsParams { uri, diagnostics, version }
}

/// `textDocument/diagnostic`: the full report of the document, or `unchanged` when it is the
/// report the client already has.
pub fn document_diagnostic(snap: &Snapshot, params: DocumentDiagnosticParams, _: &Cancel) -> Answer {
    let items = match &snap.doc {
        Some(doc) => diagnostics(&snap.analysis, doc, &snap.checks, &snap.client),
        // Not open here: the client pulls for a document it has not opened; nothing to say.
        None => Vec::new(),
    };
    let result_id = report_id(&items);
    let report = if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
        DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport { result_id },
        })
    } else {
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id: Some(result_id), items },
        })
    };
    json(&report)
}

/// A report's id: a hash of what it says, so that an unchanged report is answered as such.
fn report_id(items: &[Diagnostic]) -> String {
    let text = serde_json::to_string(items).unwrap_or_default();
    format!("{:016x}", crate::kg::definition_hash([text.as_str()]).get())
}

/// `textDocument/codeAction`: the quick fixes of the findings the range touches, one action
/// that applies every safe fix of the document, and "create a concept" for a selected phrase
/// that is no term.
pub fn code_action(snap: &Snapshot, params: CodeActionParams, _: &Cancel) -> Answer {
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    if !snap.client.code_action_literals {
        return json(&None::<()>);
    }
    let uri = params.text_document.uri;
    let enc = snap.client.encoding;
    let start = convert::offset(&doc.text, &doc.line_index, params.range.start, enc);
    let end = convert::offset(&doc.text, &doc.line_index, params.range.end, enc);
    let wanted = |kind: &CodeActionKind| {
        params.context.only.as_ref().is_none_or(|only| {
            only.iter().any(|o| kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str())))
        })
    };
    let all = findings(&snap.analysis, doc, &snap.checks);
    let writer = EditWriter { uri: &uri, doc, client: &snap.client, files: &*snap.files };
    let mut actions: Vec<CodeActionOrCommand> = Vec::new();

    if wanted(&CodeActionKind::QUICKFIX) {
        // The findings the range touches, and those the client names in the context (a
        // whole line's diagnostics, for a cursor anywhere on it).
        let named: Vec<Bytes<usize>> = params
            .context
            .diagnostics
            .iter()
            .filter(|d| d.source.as_deref() == Some(SOURCE))
            .map(|d| {
                let s = convert::offset(&doc.text, &doc.line_index, d.range.start, enc);
                s..convert::offset(&doc.text, &doc.line_index, d.range.end, enc)
            })
            .collect();
        let asked = |f: &&Finding| touches(&f.range, start..end) || named.contains(&f.range);
        for f in all.iter().filter(asked) {
            let diagnostic = diagnostic(doc, f, &snap.client);
            for (i, fix) in f.fixes.iter().enumerate() {
                let Some(edit) = writer.edit(&fix.edits) else { continue };
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(edit),
                    is_preferred: (i == 0 && fix.safe).then_some(true),
                    ..Default::default()
                }));
            }
            // The same fix everywhere in the document, when the check has more than this use.
            let same: Vec<&Finding> = all.iter().filter(|g| g.check == f.check && has_safe_fix(g)).collect();
            if has_safe_fix(f) && same.len() > 1 {
                let edits = check::safe_edits(&same.iter().map(|g| (*g).clone()).collect::<Vec<_>>());
                if let Some(edit) = writer.replacements(&edits) {
                    actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: format!("Fix all {} {} findings in this document", same.len(), f.check.id()),
                        kind: Some(CodeActionKind::QUICKFIX),
                        edit: Some(edit),
                        ..Default::default()
                    }));
                }
            }
        }
    }
    // Source actions only when asked for (`editor.codeActionsOnSave`, a "Fix all" command),
    // never beside the quick fixes of a cursor.
    let fix_all = CodeActionKind::from(FIX_ALL);
    if params.context.only.is_some() && wanted(&fix_all) {
        let edits = check::safe_edits(&all);
        if let Some(edit) = writer.replacements(&edits).filter(|_| !edits.is_empty()) {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "kg-ls: apply every safe terminology fix".to_string(),
                kind: Some(fix_all),
                edit: Some(edit),
                ..Default::default()
            }));
        }
    }
    let create = CodeActionKind::from(CREATE);
    if wanted(&create)
        && end > start
        && let Some(dir) = &snap.checks.kg_dir
        && let Some(fix) = doc
            .text
            .get(start..end)
            .and_then(|phrase| check::new_concept(dir, phrase, |f| !snap.analysis.terms.map.get(f).is_empty()))
        && let Some(edit) = writer.edit(&fix.edits)
    {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: fix.title,
            kind: Some(create),
            edit: Some(edit),
            ..Default::default()
        }));
    }
    let synonym = CodeActionKind::from(ADD_SYNONYM);
    if wanted(&synonym)
        && end > start
        && let Some(phrase) = doc.text.get(start..end)
        && !phrase.contains('\n')
        && snap.analysis.terms.map.get(&crate::text::fold(phrase)).is_empty()
    {
        let graph = &snap.analysis.graph;
        for id in check::synonym_candidates(&doc.text, start..end, &snap.analysis.terms, graph, 3) {
            let concept = graph.concept(id);
            let Some((file, _)) = read_text(&*snap.files, concept.path()) else { continue };
            let Some(fix) = check::add_synonym(concept.path(), &file, concept.name(), phrase) else { continue };
            if let Some(edit) = writer.edit(&fix.edits) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(synonym.clone()),
                    edit: Some(edit),
                    ..Default::default()
                }));
            }
        }
    }
    json(&actions)
}

fn has_safe_fix(f: &Finding) -> bool {
    f.fixes.iter().any(|x| x.safe)
}

/// Whether a finding at `range` is one the client asks about at `at` (a cursor touches the
/// finding it is in or next to).
fn touches(range: &Bytes<usize>, at: Bytes<usize>) -> bool {
    range.start <= at.end && at.start <= range.end
}

/// Turns the core's edits into a `WorkspaceEdit` the client takes.
struct EditWriter<'a> {
    uri: &'a Uri,
    doc: &'a Document,
    client: &'a ClientInfo,
    files: &'a dyn Vfs,
}

impl EditWriter<'_> {
    /// Replacements of the document's own text.
    fn replacements(&self, edits: &[(Bytes<usize>, String)]) -> Option<WorkspaceEdit> {
        let edits: Vec<Edit> =
            edits.iter().map(|(r, t)| Edit::Replace { path: None, range: r.clone(), text: t.clone() }).collect();
        self.edit(&edits)
    }

    /// `None` when the client cannot take an edit (a file to create, and no `resourceOperations`)
    /// or a file it names cannot be read.
    fn edit(&self, edits: &[Edit]) -> Option<WorkspaceEdit> {
        let enc = self.client.encoding;
        let mut by_file: Vec<(Uri, Option<i32>, Vec<TextEdit>)> = Vec::new();
        let mut creates: Vec<(Uri, String)> = Vec::new();
        // Other files' text, read once each, to turn their byte ranges into positions.
        let mut other: HashMap<PathBuf, (String, LineIndex)> = HashMap::new();
        for e in edits {
            match e {
                Edit::Replace { path, range, text } => {
                    let (uri, version, range) = match path {
                        Some(p) if Some(p.as_path()) != self.doc.path.as_deref() => {
                            if !other.contains_key(p) {
                                other.insert(p.clone(), read_text(self.files, p)?);
                            }
                            let (t, index) = &other[p];
                            (convert::uri(p)?, None, convert::range(t, index, range.clone(), enc))
                        }
                        _ => (
                            self.uri.clone(),
                            Some(self.doc.version),
                            convert::range(&self.doc.text, &self.doc.line_index, range.clone(), enc),
                        ),
                    };
                    let edit = TextEdit { range, new_text: text.clone() };
                    match by_file.iter_mut().find(|(u, ..)| *u == uri) {
                        Some((_, _, list)) => list.push(edit),
                        None => by_file.push((uri, version, vec![edit])),
                    }
                }
                Edit::Create { path, text } => creates.push((convert::uri(path)?, text.clone())),
            }
        }
        if creates.is_empty() {
            let changes = by_file.into_iter().map(|(u, _, e)| (u, e)).collect();
            return Some(WorkspaceEdit { changes: Some(changes), ..Default::default() });
        }
        if !self.client.create_files {
            return None;
        }
        let mut ops = Vec::new();
        for (uri, text) in creates {
            ops.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                uri: uri.clone(),
                options: Some(CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
                annotation_id: None,
            })));
            let start = Position { line: 0, character: 0 };
            ops.push(text_edit(uri, None, vec![TextEdit { range: Range { start, end: start }, new_text: text }]));
        }
        for (uri, version, edits) in by_file {
            ops.push(text_edit(uri, version, edits));
        }
        Some(WorkspaceEdit { document_changes: Some(DocumentChanges::Operations(ops)), ..Default::default() })
    }
}

fn text_edit(uri: Uri, version: Option<i32>, edits: Vec<TextEdit>) -> DocumentChangeOperation {
    DocumentChangeOperation::Edit(TextDocumentEdit {
        text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
        edits: edits.into_iter().map(OneOf::Left).collect(),
    })
}

fn read_text(files: &dyn Vfs, path: &Path) -> Option<(String, LineIndex)> {
    let bytes = files.read(path, crate::kg::MAX_FILE_BYTES).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let index = LineIndex::new(&text);
    Some((text, index))
}
