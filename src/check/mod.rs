//! Terminology checks: what a team's glossary says about its writing and about itself.
//!
//! Owns the checks ([`CheckId`]), their levels ([`Level`], [`Levels`]), what a check finds
//! ([`Finding`], with its quick fixes as plain byte-range edits, [`Fix`]) and the lookup the
//! document checks run on ([`Terminology`], built once per graph and shared behind `Arc`).
//! Two entry points: [`check_document`] for a document's text and [`check_kg_file`] for a
//! knowledge-graph source file's bytes. Both are pure: the caller reads the files and turns
//! byte ranges into positions. Nothing here knows protocol types, the runtime or the disk.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::kg::Graph;

mod actions;
mod document;
mod graph;
mod terminology;

pub use actions::{add_synonym, new_concept, synonym_candidates};
pub use terminology::Terminology;

/// Every check kg-ls runs. The id ([`CheckId::id`]) is what settings, the LSP `code` and the
/// `kg-ls check` output name it by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckId {
    /// A term the graph says to avoid (`avoid::`), in a document.
    AvoidedTerm,
    /// A synonym where the concept's canonical name is wanted.
    NonCanonicalTerm,
    /// A phrase one or two edits away from a multi-word term.
    NearMiss,
    /// A `related::` name that no concept has.
    UnknownRelated,
    /// A term that two concepts claim.
    TermClaimedTwice,
    /// A synonym listed twice in one file.
    DuplicateSynonym,
    /// A `# ` heading that differs from the file's stem only in case, spacing or punctuation,
    /// and so adds a term no one meant.
    HeadingAddsTerm,
    /// `synonyms:` with one colon, an empty `synonyms::`, a `key::` line in a code block.
    FormatSlip,
    /// A source that cannot be read as what it claims to be: invalid UTF-8, bad JSON, binary,
    /// too large.
    BrokenFile,
}

impl CheckId {
    pub const ALL: [CheckId; 9] = [
        CheckId::AvoidedTerm,
        CheckId::NonCanonicalTerm,
        CheckId::NearMiss,
        CheckId::UnknownRelated,
        CheckId::TermClaimedTwice,
        CheckId::DuplicateSynonym,
        CheckId::HeadingAddsTerm,
        CheckId::FormatSlip,
        CheckId::BrokenFile,
    ];

    /// The check's id as users write it.
    pub fn id(self) -> &'static str {
        match self {
            CheckId::AvoidedTerm => "avoided-term",
            CheckId::NonCanonicalTerm => "non-canonical-term",
            CheckId::NearMiss => "near-miss",
            CheckId::UnknownRelated => "unknown-related",
            CheckId::TermClaimedTwice => "term-claimed-twice",
            CheckId::DuplicateSynonym => "duplicate-synonym",
            CheckId::HeadingAddsTerm => "heading-adds-term",
            CheckId::FormatSlip => "format-slip",
            CheckId::BrokenFile => "broken-file",
        }
    }

    pub fn from_id(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The level a check has when nothing sets it.
    pub fn default_level(self) -> Level {
        match self {
            CheckId::AvoidedTerm => Level::Warning,
            CheckId::NonCanonicalTerm | CheckId::NearMiss => Level::Off,
            CheckId::UnknownRelated | CheckId::TermClaimedTwice | CheckId::DuplicateSynonym => Level::Warning,
            CheckId::HeadingAddsTerm | CheckId::FormatSlip => Level::Warning,
            CheckId::BrokenFile => Level::Error,
        }
    }

    /// Whether the check reads documents (else knowledge-graph files).
    pub fn in_documents(self) -> bool {
        matches!(self, CheckId::AvoidedTerm | CheckId::NonCanonicalTerm | CheckId::NearMiss)
    }

    /// The anchor of the check's section in docs/checks.md.
    pub fn doc_url(self) -> String {
        format!("{DOCS_URL}#{}", self.id())
    }
}

/// Where docs/checks.md is: the package's repository when it has one, else the file in the
/// source tree kg-ls was built from.
pub const DOCS_URL: &str = match option_env!("CARGO_PKG_REPOSITORY") {
    Some(r) if !r.is_empty() => concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/checks.md"),
    _ => concat!("file://", env!("CARGO_MANIFEST_DIR"), "/docs/checks.md"),
};

/// How loud a check is. Ordered: `Off < Hint < Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Off,
    Hint,
    Info,
    Warning,
    Error,
}

impl Level {
    pub const ALL: [Level; 5] = [Level::Off, Level::Hint, Level::Info, Level::Warning, Level::Error];

    pub fn name(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Hint => "hint",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// The level of every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Levels([Level; CheckId::ALL.len()]);

impl Default for Levels {
    fn default() -> Levels {
        Levels(CheckId::ALL.map(CheckId::default_level))
    }
}

impl Levels {
    pub fn get(&self, check: CheckId) -> Level {
        self.0[check as usize]
    }

    pub fn set(&mut self, check: CheckId, level: Level) {
        self.0[check as usize] = level;
    }

    pub fn is_on(&self, check: CheckId) -> bool {
        self.get(check) != Level::Off
    }
}

/// What one check found at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub check: CheckId,
    /// The check's level from the [`Levels`] it ran with (never `Off`).
    pub level: Level,
    /// Bytes of the checked text.
    pub range: Range<usize>,
    pub message: String,
    /// The text is a term to stop using (editors strike it through).
    pub deprecated: bool,
    /// Other places that explain this one (e.g. both definitions of a term claimed twice).
    pub related: Vec<Related>,
    /// Quick fixes, the preferred one first.
    pub fixes: Vec<Fix>,
}

/// A place in another file (or the same one) that a finding points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub path: PathBuf,
    /// Zero-based line.
    pub line: u32,
    pub message: String,
}

/// A quick fix: edits, each of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    /// `kg-ls check --fix` applies it: there is one obvious fix and it changes no meaning.
    pub safe: bool,
}

/// One change to a file. Ranges are bytes of that file's current text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Replace `range` of `path` (the checked file when `path` is `None`).
    Replace { path: Option<PathBuf>, range: Range<usize>, text: String },
    /// Create the file `path` with `text` (fails if it exists).
    Create { path: PathBuf, text: String },
}

/// The document checks ([`CheckId::in_documents`]) on a document's text (markdown or plain).
/// Nothing in code blocks, inline code, URLs or link targets is checked. The findings are in
/// text order.
pub fn check_document(text: &str, terms: &Terminology, levels: &Levels) -> Vec<Finding> {
    document::check(text, terms, levels)
}

/// [`check_document`] on a document's bytes as the caller could read them: a document that is
/// too large, binary or not UTF-8 is one [`CheckId::BrokenFile`] finding instead, so that it is
/// never skipped in silence.
pub fn check_document_source(source: Source<'_>, terms: &Terminology, levels: &Levels) -> Vec<Finding> {
    let mut out = Vec::new();
    let bytes = match source {
        Source::Bytes(b) => b,
        Source::TooLarge { len, limit } => {
            let message = format!("the document is {len} bytes, over the {limit} byte limit; not checked");
            broken(levels, &mut out, 0..0, message);
            return out;
        }
    };
    if crate::text::is_binary(bytes) {
        let message = "the document looks binary (it has a NUL byte); not checked".to_string();
        broken(levels, &mut out, 0..0, message);
        return out;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => check_document(text, terms, levels),
        Err(e) => {
            let at = e.valid_up_to();
            broken(levels, &mut out, at..at + 1, "invalid UTF-8: the document is not text; not checked".to_string());
            out
        }
    }
}

/// Adds a [`CheckId::BrokenFile`] finding to `out`, unless the check is off.
fn broken(levels: &Levels, out: &mut Vec<Finding>, range: Range<usize>, message: String) {
    if levels.is_on(CheckId::BrokenFile) {
        out.push(Finding {
            check: CheckId::BrokenFile,
            level: levels.get(CheckId::BrokenFile),
            range,
            message,
            deprecated: false,
            related: Vec::new(),
            fixes: Vec::new(),
        });
    }
}

/// The first safe fix of each finding, when all its edits replace text of the checked file;
/// edits that overlap an earlier one are left for the next run. Sorted by start.
pub fn safe_edits(findings: &[Finding]) -> Vec<(Range<usize>, String)> {
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for f in findings {
        let Some(fix) = f.fixes.iter().find(|x| x.safe) else { continue };
        let mut mine = Vec::new();
        for e in &fix.edits {
            match e {
                Edit::Replace { path: None, range, text } => mine.push((range.clone(), text.clone())),
                _ => {
                    mine.clear();
                    break;
                }
            }
        }
        edits.extend(mine);
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out: Vec<(Range<usize>, String)> = Vec::new();
    for e in edits {
        if out.last().is_none_or(|(last, _)| last.end <= e.0.start) {
            out.push(e);
        }
    }
    out
}

/// What a knowledge-graph source's bytes are, as the caller could read them.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    /// The file has `len` bytes, more than the `limit` the caller reads.
    TooLarge {
        len: u64,
        limit: u64,
    },
}

/// The knowledge-graph checks on one source file (a concept file or a thesaurus), against the
/// graph it is part of. A concept file's definition text also gets the document checks.
pub fn check_kg_file(
    path: &Path,
    source: Source<'_>,
    graph: &Graph,
    terms: &Terminology,
    levels: &Levels,
) -> Vec<Finding> {
    graph::check(path, source, graph, terms, levels)
}

#[cfg(test)]
mod graph_tests;
#[cfg(test)]
mod tests;
