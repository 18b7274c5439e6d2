//! Navigation over the knowledge graph, from a term in a document or a concept file: each
//! feature in a file of its own, pure (plain data and byte offsets in, plain data out), with no
//! protocol types and no I/O. The LSP layer and the shell commands convert and print.

pub mod links;
pub mod outline;
