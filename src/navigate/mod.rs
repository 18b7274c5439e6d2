//! Navigation over the knowledge graph, from a term in a document or a concept file: where a
//! concept is mentioned ([`mentions`]), the index of mentions over the workspace's documents
//! ([`MentionIndex`]), references to a concept ([`references`]), walking the graph
//! ([`graph`]), rename ([`rename`]), and the terms of a text as semantic tokens and inlay hints
//! ([`tokens`]). Each feature in a file of its own, pure: plain data and byte offsets in, plain data out, no
//! protocol types; files are read only through a [`crate::vfs::Vfs`] the caller hands in. The
//! LSP layer and the shell commands convert and print.

pub mod graph;
pub mod links;
pub mod mentions;
pub mod outline;
pub mod references;
pub mod rename;
pub mod tokens;

pub use mentions::{DocMentions, Kind, Mention, MentionIndex, Pos, Span, mentions};
pub use references::{ReferenceSet, concept_keys, key_in, ranges_of, related_entries, spans_of};

#[cfg(test)]
mod rename_tests;
#[cfg(test)]
mod tests;
