//! kg-ls: a language server that brings a knowledge graph (a glossary of concepts with
//! synonyms, relations and definitions) into every editor.
//!
//! Map of the crate, from the bottom up:
//! - [`text`]: term folding and byte-offset/line-column conversion.
//! - [`vfs`]: the files the core reads, as the host provides them (disk, memory, open buffers).
//! - [`kg`]: concepts and the loaders for markdown concept files and thesaurus JSON.
//! - [`index`]: fst dictionaries of terms and headings.
//! - [`render`]: concept → hover markdown or plain text, sanitized.
//! - [`search`]: workspace symbol search: services over index parts, a coordinator with
//!   deadlines and cancellation, ranking, and the engine (result cache, final answers).
//! - [`analysis`]: completion, hover and definition on an immutable snapshot.
//! - [`navigate`]: navigation over the graph: document links, outlines.
//! - [`workspace`]: the mutable host: configuration, sources, open documents.
//! - [`cache`]: cache directory, atomic writes, checksummed files.
//! - [`par`]: work over many items on every core, for the loaders.
//! - [`synth`]: synthetic knowledge graphs and workspaces for tests and benchmarks.
//! - [`perf`]: the performance monitor: latency histograms, process figures, alerts.
//! - [`check`]: the terminology checks on documents and knowledge-graph files, pure.
//! - [`navigate`]: walking the graph from a term: mentions and their index over the documents,
//!   references, neighbourhoods, call hierarchy; pure.
//! - [`query`]: the `kg-ls query` command, printing what an editor would show.
//! - [`lint`]: the `kg-ls check` command: the checks over a workspace, for CI.
//! - [`graph_cli`]: the `kg-ls graph` command: a concept's neighbourhood as DOT or JSON.
//! - [`lsp`]: the only module that knows tokio, JSON-RPC and protocol types: the main loop.
//!
//! Invariants: core modules take byte offsets and plain data; shared data is immutable behind
//! `Arc` and replaced whole; broken input becomes a reported problem, never a panic or an
//! empty graph served in silence.

pub mod analysis;
pub mod cache;
pub mod check;
pub mod graph_cli;
pub mod index;
pub mod kg;
pub mod lint;
pub mod lsp;
pub mod navigate;
pub mod par;
pub mod perf;
pub mod query;
pub mod render;
pub mod search;
pub mod synth;
pub mod text;
pub mod textindex;
pub mod vfs;
pub mod workspace;
