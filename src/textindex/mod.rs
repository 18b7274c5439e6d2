//! The full-text index of a workspace: its documents and its concepts' definitions in a
//! `tantivy` index, ranked with BM25.
//!
//! [`TextIndex`] holds one index and a reader of it; [`Writer`] adds, replaces and removes
//! documents by path and commits, after which the reader sees the new state at once and a
//! search already running keeps the snapshot it started with. [`TextIndex::search`] runs a
//! [`TextQuery`] (words, quoted phrases, the last word also as a prefix, concepts the query
//! names expanded to all of their terms) and returns the ranked paths with the [`Matcher`] that
//! finds the query's matches in a document's text ([`snippet`]).
//!
//! Only [`store`] touches a folder (tantivy's memory-mapped directory); everything else works
//! on an index in memory as well. Nothing here reads a document: callers hand over the text.
//! Nothing here knows protocol types or an async runtime.

mod query;
pub mod snippet;
pub mod store;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use query::{Expanded, Named, TextQuery};
pub use snippet::{Matcher, Snippet};

/// Bump when the schema or the analyzer changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// The analyzer of the body field: words of letters and digits, lower-cased, folded to ASCII.
const ANALYZER: &str = "kg";
/// Longer tokens (hashes, base64) are not indexed.
const MAX_TOKEN_BYTES: usize = 64;
/// The indexing memory of the one writer thread (tantivy's minimum is 15 MB).
const WRITER_BYTES: usize = 32 << 20;

/// What an indexed document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    /// A document of the workspace.
    Document,
    /// A concept file: a hit on it is shown as the concept.
    Concept,
}

/// A document to index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDoc {
    pub path: PathBuf,
    pub kind: DocKind,
    /// A document's first heading or file name; a concept's name.
    pub title: String,
    /// The searchable text (for a concept file, the file with its `key::` lines blanked).
    pub body: String,
    /// Tells this version of the file from another (see [`crate::vfs::Stamp`]).
    pub stamp: u64,
}

/// A document that matched, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct TextHit {
    pub path: PathBuf,
    pub kind: DocKind,
    pub title: String,
    /// BM25; higher is better.
    pub score: f32,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq)]
pub struct TextResults {
    pub hits: Vec<TextHit>,
    /// Documents that match, before offset and limit.
    pub total: usize,
    /// The concepts the query named, whose terms were searched too.
    pub expanded: Vec<Expanded>,
    /// Finds the query's matches in a hit's text.
    pub matcher: Matcher,
}

/// Why the index failed; its `Display` is the message a log or problem report shows.
#[derive(Debug)]
pub struct TextError(pub String);

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TextError {}

impl From<tantivy::TantivyError> for TextError {
    fn from(e: tantivy::TantivyError) -> TextError {
        TextError(e.to_string())
    }
}

#[derive(Clone, Copy, Debug)]
struct Fields {
    path: Field,
    kind: Field,
    title: Field,
    body: Field,
    stamp: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let body = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        path: b.add_text_field("path", STRING | STORED),
        kind: b.add_u64_field("kind", STORED),
        title: b.add_text_field("title", STORED),
        body: b.add_text_field("body", body),
        stamp: b.add_u64_field("stamp", STORED),
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// A full-text index and a reader of its last commit.
pub struct TextIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Commits made through this handle: a search cached at another count may be stale.
    commits: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextIndex").field("docs", &self.doc_count()).finish_non_exhaustive()
    }
}

impl TextIndex {
    /// An empty index in memory.
    pub fn in_memory() -> TextIndex {
        let (schema, _) = schema();
        TextIndex::from_index(Index::create_in_ram(schema)).expect("a new index in memory has this schema")
    }

    /// Wraps an opened index, refusing one whose schema is not this build's.
    fn from_index(index: Index) -> Result<TextIndex, TextError> {
        let (schema, fields) = schema();
        if index.schema() != schema {
            return Err(TextError("the index's schema is not this build's".into()));
        }
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(TextIndex { index, reader, fields, commits: Default::default() })
    }

    /// How many commits this handle has made: changes whenever what a search finds may.
    pub fn version(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Documents in the last commit.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The stamp of every indexed path, to find what changed since.
    pub fn stamps(&self) -> Result<HashMap<PathBuf, u64>, TextError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(1).map_err(|e| TextError(e.to_string()))?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc?;
                let path = doc.get_first(self.fields.path).and_then(|v| v.as_str()).map(PathBuf::from);
                let stamp = doc.get_first(self.fields.stamp).and_then(|v| v.as_u64());
                if let (Some(path), Some(stamp)) = (path, stamp) {
                    out.insert(path, stamp);
                }
            }
        }
        Ok(out)
    }

    /// The stamp indexed for `path`, if it is indexed.
    pub fn stamp_of(&self, path: &Path) -> Result<Option<u64>, TextError> {
        let searcher = self.reader.searcher();
        let term = Term::from_field_text(self.fields.path, &path.to_string_lossy());
        let q = tantivy::query::TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, address)) = top.first() else { return Ok(None) };
        let doc: TantivyDocument = searcher.doc(*address)?;
        Ok(doc.get_first(self.fields.stamp).and_then(|v| v.as_u64()))
    }

    /// The one writer of this index (a second one waits for the first to drop, or fails).
    pub fn writer(&self) -> Result<Writer<'_>, TextError> {
        let writer = self.index.writer_with_num_threads(1, WRITER_BYTES)?;
        Ok(Writer { index: self, writer, pending: 0 })
    }

    /// The documents that match `query`, best first, from `offset` on.
    pub fn search(&self, query: &TextQuery, names: &dyn Fn(&str) -> Option<Named>) -> Result<TextResults, TextError> {
        let mut tokenize = analyzer();
        let built = query::build(query, self.fields, &mut tokenize, names);
        let Some(q) = built.query else {
            return Ok(TextResults { hits: Vec::new(), total: 0, expanded: built.expanded, matcher: built.matcher });
        };
        let searcher = self.reader.searcher();
        let want = query.offset.saturating_add(query.limit).max(1);
        let (top, total) = searcher.search(&q, &(TopDocs::with_limit(want).order_by_score(), Count))?;
        let mut hits = Vec::with_capacity(top.len().saturating_sub(query.offset));
        for (score, address) in top.into_iter().skip(query.offset) {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |f: Field| doc.get_first(f).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let kind = match doc.get_first(self.fields.kind).and_then(|v| v.as_u64()) {
                Some(1) => DocKind::Concept,
                _ => DocKind::Document,
            };
            hits.push(TextHit {
                path: PathBuf::from(text(self.fields.path)),
                kind,
                title: text(self.fields.title),
                score,
            });
        }
        Ok(TextResults { hits, total, expanded: built.expanded, matcher: built.matcher })
    }
}

/// Changes to a [`TextIndex`]; nothing is seen until [`Writer::commit`].
pub struct Writer<'a> {
    index: &'a TextIndex,
    writer: IndexWriter,
    pending: usize,
}

impl Writer<'_> {
    /// Adds `doc`, replacing the document at its path.
    pub fn upsert(&mut self, doc: &TextDoc) -> Result<(), TextError> {
        let f = self.index.fields;
        self.delete(&doc.path);
        let mut d = TantivyDocument::default();
        d.add_text(f.path, doc.path.to_string_lossy());
        d.add_u64(f.kind, u64::from(doc.kind == DocKind::Concept));
        d.add_text(f.title, &doc.title);
        d.add_text(f.body, &doc.body);
        d.add_u64(f.stamp, doc.stamp);
        self.writer.add_document(d)?;
        self.pending += 1;
        Ok(())
    }

    /// Removes the document at `path`, if there is one.
    pub fn delete(&mut self, path: &Path) {
        self.writer.delete_term(Term::from_field_text(self.index.fields.path, &path.to_string_lossy()));
        self.pending += 1;
    }

    /// Removes every document (a rebuild from scratch follows).
    pub fn clear(&mut self) -> Result<(), TextError> {
        self.writer.delete_all_documents()?;
        self.pending += 1;
        Ok(())
    }

    /// Changes since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Makes the changes durable and visible to searches that start from now on.
    pub fn commit(&mut self) -> Result<(), TextError> {
        self.writer.commit()?;
        self.index.reader.reload()?;
        self.index.commits.fetch_add(1, std::sync::atomic::Ordering::Release);
        self.pending = 0;
        Ok(())
    }

    /// Waits for the writer's merges to end and its threads to be joined.
    pub fn finish(self) -> Result<(), TextError> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
