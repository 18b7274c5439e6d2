//! The benchmark baseline: this crate holds no code of its own. Its one target is the bench in
//! `benches/completion.rs`, which measures kg-ls's completion engine beside
//! `terraphim_automata` 2.1.0 on the same generated terms:
//!
//! ```sh
//! cargo bench -p kg-ls-baseline --bench completion
//! ```
//!
//! It must not be a dependency of kg-ls, nor a default workspace member: kg-ls's own
//! `cargo build` and `cargo test` never build Terraphim.
