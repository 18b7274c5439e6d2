//! Navigation over the knowledge graph from any text: where a concept is mentioned
//! ([`mentions`]), the index of mentions in the workspace's documents ([`MentionIndex`]), and
//! references to a concept ([`references`]).
//!
//! Pure: texts, the graph and its term index in; byte ranges and plain positions out. Files are
//! read by the caller, and no protocol type appears here.

pub mod mentions;
pub mod references;

pub use mentions::{DocMentions, Kind, Mention, MentionIndex, Pos, Span, mentions};
pub use references::{ReferenceSet, concept_keys, key_in, ranges_of, related_entries, spans_of};

#[cfg(test)]
mod tests;
