//! Navigation over the knowledge graph from any text: where a concept is mentioned
//! ([`mentions`]), the index of mentions in the workspace's documents ([`MentionIndex`]),
//! references to a concept ([`references`]), and the terms of a text as semantic tokens and inlay
//! hints ([`tokens`]).
//!
//! Pure: texts, the graph and its term index in; byte ranges and plain positions out. Files are
//! read by the caller, and no protocol type appears here.

pub mod mentions;
pub mod references;
pub mod tokens;

pub use mentions::{DocMentions, Kind, Mention, MentionIndex, Pos, Span, key_of, mentions};
pub use references::{ReferenceSet, concept_keys, ranges_of, related_entries, spans_of};

#[cfg(test)]
mod tests;
