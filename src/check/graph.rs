//! The knowledge-graph checks on one source file: its own lines, and what the graph says about
//! them. Pure: bytes in, findings out.

use std::path::Path;

use super::{Finding, Levels, Source, Terminology, broken};
use crate::kg::Graph;

pub(super) fn check(
    path: &Path,
    source: Source<'_>,
    graph: &Graph,
    terms: &Terminology,
    levels: &Levels,
) -> Vec<Finding> {
    let _ = graph;
    let mut out = Vec::new();
    let bytes = match source {
        Source::Bytes(b) => b,
        Source::TooLarge { len, limit } => {
            broken(levels, &mut out, 0..0, format!("the file has {len} bytes, more than the {limit} read"));
            return out;
        }
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            broken(levels, &mut out, at..at, format!("invalid UTF-8 at byte {at}; the file is not read"));
            return out;
        }
    };
    // A concept file's prose is its definition: its `key::` lines (the `avoid::` line among
    // them) are blanked byte for byte, so they are never a use of a term and offsets stay.
    if crate::kg::kind_of(path) == Some(crate::kg::SourceKind::Markdown) {
        out.extend(super::document::check(&crate::kg::blank_properties(text), terms, levels));
    }
    out
}
