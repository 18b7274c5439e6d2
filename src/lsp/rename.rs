//! `textDocument/prepareRename` and `textDocument/rename`: converts the request, asks
//! [`navigate::rename`](crate::navigate::rename) for the term under the cursor and the plan
//! that renames it, and writes the plan as a `WorkspaceEdit` the client can take.
//!
//! Owns only the shape of the answer: `documentChanges` (versioned edits, the concept file's
//! `RenameFile` after its own edits) for clients that take them, the prose mentions as a
//! change-annotation group that needs confirmation for clients that declare annotations, and
//! plain `changes` for the rest. It decides nothing about what a rename changes.

use std::collections::HashMap;
use std::path::Path;

use ls_types::*;

use super::convert;
use super::handlers::{Answer, ResponseError, Snapshot, json};
use super::navigation::with_reference_set;
use super::transport::code;
use crate::navigate::rename::{Plan, Renamable, RenameError, plan, renamable};
use crate::search::Cancel;

/// The id of the change annotation of the mentions in prose.
const PROSE: &str = "kg-ls.prose";

fn refused(e: RenameError) -> ResponseError {
    match e {
        RenameError::Cancelled => ResponseError::cancelled(),
        RenameError::Refused(m) => ResponseError::new(code::REQUEST_FAILED, m),
    }
}

/// The term under the cursor of the request's document.
fn at(snap: &Snapshot, position: Position) -> Result<Renamable, ResponseError> {
    let Some(doc) = &snap.doc else {
        return Err(ResponseError::new(code::REQUEST_FAILED, "the document is not open"));
    };
    let Some(path) = &doc.path else {
        return Err(ResponseError::new(code::REQUEST_FAILED, "only a file on disk can have terms renamed"));
    };
    let offset = convert::offset(&doc.text, &doc.line_index, position, snap.client.encoding);
    let a = &snap.analysis;
    renamable(&a.graph, &a.terms, path, &doc.text, snap.checks.kg_file, offset).map_err(refused)
}

pub fn prepare(snap: &Snapshot, params: TextDocumentPositionParams, _: &Cancel) -> Answer {
    let r = at(snap, params.position)?;
    let doc = snap.doc.as_ref().expect("at() checked the document");
    let range = convert::range(&doc.text, &doc.line_index, r.range, snap.client.encoding);
    json(&PrepareRenameResponse::RangeWithPlaceholder { range, placeholder: r.placeholder })
}

pub fn rename(snap: &Snapshot, params: RenameParams, cancel: &Cancel) -> Answer {
    let r = at(snap, params.text_document_position.position)?;
    let planned =
        with_reference_set(snap, |set| plan(set, snap.analysis.terminology(), &r.target, &params.new_name, cancel));
    let mut p = planned.map_err(refused)?;
    if let Some(fr) = &p.rename
        && !can_rename_files(snap)
    {
        // The heading renamed makes the new name a term of the concept, so links to it and
        // mentions of it still find it under the old file name; without one, they would not.
        let heading = p.files.iter().any(|f| f.path == fr.from);
        if !heading {
            return Err(ResponseError::new(
                code::REQUEST_FAILED,
                format!(
                    "this editor cannot rename files: rename {} to {} yourself, or give it a `# ` heading first",
                    name(&fr.from),
                    name(&fr.to)
                ),
            ));
        }
        p.rename = None;
    }
    let version = |path: &Path| snap.versions.iter().find(|(p, _)| **p == *path).map(|(_, v)| *v);
    match workspace_edit(&p, snap, &version) {
        Some(edit) => json(&edit),
        None => Err(ResponseError::new(code::INTERNAL_ERROR, "a file of the rename has no file URI")),
    }
}

fn name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// `documentChanges` are what carries a file rename: a client that declares the rename
/// operation takes them even without declaring `documentChanges` (Neovim does).
fn can_rename_files(snap: &Snapshot) -> bool {
    snap.client.rename_files
}

fn uses_document_changes(snap: &Snapshot) -> bool {
    snap.client.document_changes || snap.client.rename_files
}

fn workspace_edit(p: &Plan, snap: &Snapshot, version: &dyn Fn(&Path) -> Option<i32>) -> Option<WorkspaceEdit> {
    let enc = snap.client.encoding;
    let pos = |p: crate::navigate::Pos| {
        let lc = p.line_col(enc);
        Position { line: lc.line, character: lc.col }
    };
    let annotate = snap.client.change_annotations && uses_document_changes(snap);
    let mut any_prose = false;
    if !uses_document_changes(snap) {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for f in &p.files {
            let edits = f
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: Range { start: pos(e.span.start), end: pos(e.span.end) },
                    new_text: e.text.clone(),
                })
                .collect();
            changes.insert(convert::uri(&f.path)?, edits);
        }
        return Some(WorkspaceEdit { changes: Some(changes), ..Default::default() });
    }
    let mut ops = Vec::new();
    for f in &p.files {
        let uri = convert::uri(&f.path)?;
        let edits = f
            .edits
            .iter()
            .map(|e| {
                let edit = TextEdit {
                    range: Range { start: pos(e.span.start), end: pos(e.span.end) },
                    new_text: e.text.clone(),
                };
                if annotate && e.prose {
                    any_prose = true;
                    OneOf::Right(AnnotatedTextEdit { text_edit: edit, annotation_id: PROSE.to_string() })
                } else {
                    OneOf::Left(edit)
                }
            })
            .collect();
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version: version(&f.path) },
            edits,
        }));
    }
    // After every text edit, those of the renamed file among them.
    if let Some(r) = &p.rename {
        ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
            old_uri: convert::uri(&r.from)?,
            new_uri: convert::uri(&r.to)?,
            options: Some(RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) }),
            annotation_id: None,
        })));
    }
    let change_annotations = any_prose.then(|| {
        let note = ChangeAnnotation {
            label: "Mentions in prose".to_string(),
            needs_confirmation: Some(true),
            description: Some("Mentions of the term in documents: one may be meant as it is written".to_string()),
        };
        HashMap::from([(PROSE.to_string(), note)])
    });
    Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        change_annotations,
        ..Default::default()
    })
}
