//! Navigation over the knowledge graph from any text: where a concept is mentioned
//! ([`mentions`]), the index of mentions in the workspace's documents ([`MentionIndex`]), and
//! references to a concept ([`references`]), and rename ([`rename`]).
//!
//! Pure: texts, the graph and its term index in; byte ranges and plain positions out. Files are
//! read by the caller, and no protocol type appears here.

pub mod mentions;
pub mod references;
pub mod rename;

pub use mentions::{DocMentions, Kind, Mention, MentionIndex, Pos, Span, key_of, mentions};
pub use references::{ReferenceSet, concept_keys, ranges_of, related_entries, spans_of};

#[cfg(test)]
mod rename_tests;
#[cfg(test)]
mod tests;
