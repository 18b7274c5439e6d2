//! The knowledge graph: concepts, their terms and relations, and the loaders that read them.
//!
//! A [`KgFile`] is what one source file says (markdown concept file or thesaurus JSON), parsed
//! without failing: problems travel beside the result. A [`Graph`] is the immutable union of
//! all files, with related names resolved to concepts. Only `load` touches the file system;
//! nothing here knows about protocol types or positions other than lines and byte offsets.

mod load;
mod markdown;
mod thesaurus;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use load::{KgSource, MAX_FILE_BYTES, kind_of, list_source_files, load_file, load_sources, parse};
pub use markdown::parse_concept_file;
pub use thesaurus::parse_thesaurus;

use crate::text::fold;

/// Where a concept is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Markdown,
    Thesaurus,
}

/// One concept as a source file states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConceptData {
    /// The canonical name: a markdown file's stem, or a thesaurus entry's `nterm`.
    pub name: String,
    /// Other terms of the concept in the order written (heading, synonyms, thesaurus keys),
    /// without the name itself and without case-insensitive duplicates.
    pub synonyms: Vec<String>,
    /// Names of related concepts, as written.
    pub related: Vec<String>,
    /// Other `key:: value` lines, in order.
    pub properties: Properties,
    /// The remaining markdown text.
    pub definition: String,
    /// Zero-based line where the concept starts (its `# ` heading, or its thesaurus key).
    pub line: u32,
}

impl ConceptData {
    /// Gives back the spare capacity of every field: a graph of concept files keeps hundreds
    /// of thousands of these, and a vector grown by one push holds room for four.
    pub fn shrink(&mut self) {
        self.name.shrink_to_fit();
        for s in &mut self.synonyms {
            s.shrink_to_fit();
        }
        self.synonyms.shrink_to_fit();
        for s in &mut self.related {
            s.shrink_to_fit();
        }
        self.related.shrink_to_fit();
        self.properties.0.shrink_to_fit();
        self.definition.shrink_to_fit();
    }

    /// Adds a term unless the concept already has it (compared folded).
    pub fn add_term(&mut self, term: &str) {
        let term = term.trim();
        let folded = fold(term);
        if folded.is_empty() || fold(&self.name) == folded {
            return;
        }
        if self.synonyms.iter().any(|s| fold(s) == folded) {
            return;
        }
        self.synonyms.push(term.to_string());
    }
}

/// `key:: value` pairs in order, stored in one string (`key\0value\0` each): a concept has
/// a few short ones, and a million concepts would otherwise pay three allocations apiece.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Properties(String);

impl Properties {
    /// Appends a pair (NUL characters, which cannot be typed in a source, are dropped).
    pub fn push(&mut self, key: &str, value: &str) {
        for part in [key, value] {
            if part.contains('\0') {
                self.0.extend(part.chars().filter(|&c| c != '\0'));
            } else {
                self.0.push_str(part);
            }
            self.0.push('\0');
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> PropertyIter<'_> {
        PropertyIter(self.0.split('\0'))
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a str, &'a str);
    type IntoIter = PropertyIter<'a>;

    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

/// The pairs of [`Properties`], in order.
pub struct PropertyIter<'a>(std::str::Split<'a, char>);

impl<'a> Iterator for PropertyIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let key = self.0.next().filter(|k| !k.is_empty() || self.0.clone().next().is_some())?;
        let value = self.0.next()?;
        Some((key, value))
    }
}

/// A problem found while reading a source; the rest of the source is still used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// Zero-based line, where one applies.
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path.display(), l + 1, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Everything one source file contributed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KgFile {
    pub path: PathBuf,
    pub kind: SourceKind,
    pub concepts: Vec<ConceptData>,
    pub problems: Vec<Problem>,
}

/// Index of a concept in a [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConceptId(pub u32);

/// A concept inside a graph: its data (shared with the parsed file, not copied) plus where it
/// came from and what it links to.
#[derive(Clone, Debug)]
pub struct Concept {
    file: Arc<KgFile>,
    index: u32,
    pub path: Arc<Path>,
    pub kind: SourceKind,
    /// Related names resolved to concepts (a name that two concepts claim names both).
    pub related: Box<[ConceptId]>,
    /// Concepts whose `related::` names this one.
    pub related_by: Box<[ConceptId]>,
}

impl Concept {
    /// What the source file says about the concept.
    pub fn data(&self) -> &ConceptData {
        &self.file.concepts[self.index as usize]
    }

    pub fn name(&self) -> &str {
        &self.data().name
    }

    /// The name followed by every synonym.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        let data = self.data();
        std::iter::once(data.name.as_str()).chain(data.synonyms.iter().map(String::as_str))
    }

    /// The `i`th of [`Concept::terms`].
    pub fn term(&self, i: usize) -> Option<&str> {
        let data = self.data();
        if i == 0 { Some(&data.name) } else { data.synonyms.get(i - 1).map(String::as_str) }
    }
}

/// The immutable union of all knowledge-graph files. Built whole, shared behind `Arc`,
/// replaced whole when a source changes. Concept data stays in the parsed files, which the
/// graph shares with the workspace: building a graph copies no text.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    concepts: Vec<Concept>,
}

impl Graph {
    /// Builds the graph from parsed files, in the order given.
    pub fn build<'a>(files: impl IntoIterator<Item = &'a Arc<KgFile>, IntoIter: Clone>) -> Graph {
        let files = files.into_iter();
        // Sized up front: doubling would leave up to half the vector unused for good.
        let mut concepts = Vec::with_capacity(files.clone().map(|f| f.concepts.len()).sum());
        for file in files {
            let path: Arc<Path> = Arc::from(file.path.as_path());
            for index in 0..file.concepts.len() as u32 {
                concepts.push(Concept {
                    file: file.clone(),
                    index,
                    path: path.clone(),
                    kind: file.kind,
                    related: Box::default(),
                    related_by: Box::default(),
                });
            }
        }
        let mut by_term: HashMap<String, Vec<ConceptId>> = HashMap::new();
        for (i, c) in concepts.iter().enumerate() {
            for t in c.terms() {
                let ids = by_term.entry(fold(t)).or_default();
                if !ids.contains(&ConceptId(i as u32)) {
                    ids.push(ConceptId(i as u32));
                }
            }
        }
        let mut related_by: Vec<Vec<ConceptId>> = vec![Vec::new(); concepts.len()];
        for (i, c) in concepts.iter_mut().enumerate() {
            let mut related = Vec::new();
            for name in &c.data().related {
                for &id in by_term.get(&fold(name)).map(Vec::as_slice).unwrap_or(&[]) {
                    if id.0 as usize != i && !related.contains(&id) {
                        related.push(id);
                    }
                }
            }
            for &id in &related {
                related_by[id.0 as usize].push(ConceptId(i as u32));
            }
            c.related = related.into_boxed_slice();
        }
        for (c, by) in concepts.iter_mut().zip(related_by) {
            c.related_by = by.into_boxed_slice();
        }
        Graph { concepts }
    }

    /// Builds the graph from files that are not shared yet (tests, benchmarks, one-off tools).
    pub fn from_files(files: &[KgFile]) -> Graph {
        let shared: Vec<Arc<KgFile>> = files.iter().cloned().map(Arc::new).collect();
        Graph::build(&shared)
    }

    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    pub fn concept(&self, id: ConceptId) -> &Concept {
        &self.concepts[id.0 as usize]
    }

    pub fn concepts(&self) -> impl Iterator<Item = (ConceptId, &Concept)> {
        self.concepts.iter().enumerate().map(|(i, c)| (ConceptId(i as u32), c))
    }

    /// Number of terms over all concepts.
    pub fn term_count(&self) -> usize {
        self.concepts.iter().map(|c| 1 + c.data().synonyms.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, concepts: Vec<ConceptData>) -> KgFile {
        KgFile { path: path.into(), kind: SourceKind::Markdown, concepts, problems: vec![] }
    }

    fn concept(name: &str, syn: &[&str], related: &[&str]) -> ConceptData {
        let mut c = ConceptData { name: name.into(), ..Default::default() };
        for s in syn {
            c.add_term(s);
        }
        c.related = related.iter().map(|s| s.to_string()).collect();
        c
    }

    #[test]
    fn related_names_resolve_through_synonyms_and_both_claimants() {
        let g = Graph::from_files(&[
            file("a.md", vec![concept("tokio", &["Tokio RT"], &["FUTURE", "nowhere"])]),
            file("b.md", vec![concept("future", &[], &["tokio rt"])]),
            file("c.md", vec![concept("promise", &["future"], &[])]),
        ]);
        let names = |ids: &[ConceptId]| ids.iter().map(|&i| g.concept(i).name().to_string()).collect::<Vec<_>>();
        assert_eq!(names(&g.concept(ConceptId(0)).related), ["future", "promise"]);
        assert_eq!(names(&g.concept(ConceptId(1)).related), ["tokio"]);
        assert_eq!(names(&g.concept(ConceptId(0)).related_by), ["future"]);
        assert_eq!(g.term_count(), 5);
    }

    #[test]
    fn add_term_skips_case_insensitive_duplicates() {
        let c = concept("Tokio", &["tokio", " TOKIO RT ", "tokio  rt", ""], &[]);
        assert_eq!(c.synonyms, ["TOKIO RT"]);
    }
}
