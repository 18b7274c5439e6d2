//! Code actions that are not fixes of a finding: making a new concept from a phrase.
//!
//! Pure: the caller says where concept files go and which phrases are terms already; the
//! result is a [`Fix`] of plain edits. Nothing here touches the disk.

use std::path::Path;

use super::{Edit, Fix};
use crate::text::fold;

/// The most characters a phrase made into a concept may have.
const MAX_NAME_CHARS: usize = 80;

/// "Create concept “phrase”": a concept file named after `phrase` in `dir`, with a `# `
/// heading. `None` when the phrase cannot be a concept's name (empty, several lines, too long,
/// a path separator or a character file systems refuse) or is a term already
/// (`is_term(folded)`).
pub fn new_concept(dir: &Path, phrase: &str, is_term: impl Fn(&str) -> bool) -> Option<Fix> {
    let name = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    let refused = |c: char| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control();
    if name.is_empty() || phrase.contains('\n') || name.chars().count() > MAX_NAME_CHARS || name.contains(refused) {
        return None;
    }
    if name.starts_with('.') || is_term(&fold(&name)) {
        return None;
    }
    let path = dir.join(format!("{name}.md"));
    Some(Fix {
        title: format!("Create concept “{name}”"),
        edits: vec![Edit::Create { path, text: format!("# {name}\n\n") }],
        safe: false,
    })
}
