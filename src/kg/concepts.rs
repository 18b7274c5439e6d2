//! The concepts of one parsed file, stored compactly: every string of every concept back to back
//! in one buffer, with one end offset per string and one small record per concept.
//!
//! A graph of a million terms keeps these for as long as it lives. As [`ConceptData`] values
//! they cost about 113 bytes a term: five `String`/`Vec` headers per concept and an allocation
//! per string, each with the allocator's rounding and header. Here a concept is a 12-byte record,
//! 4 bytes per string and the text itself, in two allocations per file. Parsers build a
//! [`ConceptData`] at a time and push it into a [`ConceptsBuilder`]; readers get a
//! [`ConceptRef`] that lends the strings.
//! Nothing here reads files or knows about the graph.

use super::{ConceptData, PropertyIter};

/// Where one concept's strings start in the ends, how many synonyms it has, its line.
/// Its strings, in order: name, synonyms, related names, properties (encoded as
/// [`super::Properties`]), definition; the related names are whatever lies between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Record {
    first: u32,
    synonyms: u32,
    line: u32,
}

/// Strings per concept besides its synonyms and related names.
const FIXED_STRINGS: usize = 3;
/// `u32`s per record in [`Concepts::index`].
const RECORD: usize = 3;

/// The concepts of one file, frozen: built with a [`ConceptsBuilder`] (or collected). See the
/// module documentation.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Concepts {
    text: Box<str>,
    /// The number of concepts, their records, then the end offset in `text` of every string (a
    /// string starts where the previous one ends); empty when there are no concepts. One array,
    /// not three: most files have one concept, and each allocation costs its header.
    index: Box<[u32]>,
}

impl Concepts {
    pub fn len(&self) -> usize {
        self.index.first().map_or(0, |&n| n as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`th concept. Panics when `i` is out of bounds, like indexing.
    pub fn get(&self, i: usize) -> ConceptRef<'_> {
        assert!(i < self.len(), "concept {i} of {}", self.len());
        ConceptRef { store: self, i }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = ConceptRef<'_>> + Clone {
        (0..self.len()).map(|i| ConceptRef { store: self, i })
    }

    /// The same concepts with empty definitions (see [`super::Definitions::OnDisk`]).
    pub fn without_definitions(&self) -> Concepts {
        let mut store = ConceptsBuilder::default();
        for c in self.iter() {
            let span = self.span(c.i);
            store.records.push(Record { first: store.ends.len() as u32, ..self.record(c.i) });
            // Every string but the last, the definition, which is left empty.
            for at in span.start..span.end - 1 {
                store.text.push_str(self.string(at));
                store.ends.push(store.text.len() as u32);
            }
            store.ends.push(store.text.len() as u32);
        }
        store.finish()
    }

    /// The store's two arrays as they are kept: its text and its index (see [`Concepts`]), for
    /// a caller that saves them. [`Concepts::from_parts`] takes them back.
    pub fn parts(&self) -> (&str, &[u32]) {
        (&self.text, &self.index)
    }

    /// A store from the arrays [`Concepts::parts`] gave, checked so that no read can fall
    /// outside them or cut a character: `None` when they are not a store's (a damaged file).
    pub fn from_parts(text: Box<str>, index: Box<[u32]>) -> Option<Concepts> {
        let Some(&n) = index.first() else { return text.is_empty().then(Concepts::default) };
        let n = n as usize;
        let records = index.get(1..)?.get(..n.checked_mul(RECORD)?)?;
        let ends = &index[1 + records.len()..];
        let whole = ends.last().is_some_and(|&e| e as usize == text.len());
        if n == 0 || !whole || ends.windows(2).any(|w| w[0] > w[1]) {
            return None;
        }
        if !ends.iter().all(|&e| text.is_char_boundary(e as usize)) {
            return None;
        }
        // Each concept's strings start where the previous one's end and hold its name, its
        // synonyms, its properties and its definition at least.
        let mut expected = 0usize;
        for (i, r) in records.chunks_exact(RECORD).enumerate() {
            let (first, synonyms) = (r[0] as usize, r[1] as usize);
            let next = records.get((i + 1) * RECORD).map_or(ends.len(), |&f| f as usize);
            if first != expected || next < first || next - first < FIXED_STRINGS + synonyms {
                return None;
            }
            expected = next;
        }
        (expected == ends.len()).then_some(Concepts { text, index })
    }

    fn record(&self, i: usize) -> Record {
        let at = 1 + i * RECORD;
        Record { first: self.index[at], synonyms: self.index[at + 1], line: self.index[at + 2] }
    }

    fn ends(&self) -> &[u32] {
        self.index.get(1 + self.len() * RECORD..).unwrap_or(&[])
    }

    /// The strings of concept `i`: indexes into the ends.
    fn span(&self, i: usize) -> std::ops::Range<usize> {
        let first = self.record(i).first as usize;
        let next = if i + 1 < self.len() { self.record(i + 1).first as usize } else { self.ends().len() };
        first..next
    }

    fn string(&self, at: usize) -> &str {
        let ends = self.ends();
        let start = if at == 0 { 0 } else { ends[at - 1] as usize };
        &self.text[start..ends[at] as usize]
    }
}

/// Builds a [`Concepts`] store a concept at a time.
#[derive(Default)]
pub struct ConceptsBuilder {
    text: String,
    ends: Vec<u32>,
    records: Vec<Record>,
}

impl ConceptsBuilder {
    /// Room for `concepts` more concepts of `bytes` bytes of text in all.
    pub fn reserve(&mut self, concepts: usize, bytes: usize) {
        self.records.reserve_exact(concepts);
        self.ends.reserve_exact(concepts * (FIXED_STRINGS + 1));
        self.text.reserve_exact(bytes);
    }

    /// Appends a concept. A file's text is far below 4 GiB (sources are size-capped); a
    /// concept that would overflow the offsets is dropped rather than stored wrong.
    pub fn push(&mut self, c: &ConceptData) {
        let strings = || {
            std::iter::once(c.name.as_str())
                .chain(c.synonyms.iter().map(String::as_str))
                .chain(c.related.iter().map(String::as_str))
                .chain([c.properties.as_str(), c.definition.as_str()])
        };
        let bytes: usize = strings().map(str::len).sum();
        let count = FIXED_STRINGS + c.synonyms.len() + c.related.len();
        let index = 1 + (self.records.len() + 1) * RECORD + self.ends.len() + count;
        if u32::try_from(self.text.len() + bytes).is_err() || u32::try_from(index).is_err() {
            return;
        }
        let first = self.ends.len() as u32;
        for s in strings() {
            self.text.push_str(s);
            self.ends.push(self.text.len() as u32);
        }
        self.records.push(Record { first, synonyms: c.synonyms.len() as u32, line: c.line });
    }

    /// The store, in two allocations of exactly its size.
    pub fn finish(self) -> Concepts {
        if self.records.is_empty() {
            return Concepts::default();
        }
        let mut index = Vec::with_capacity(1 + self.records.len() * RECORD + self.ends.len());
        index.push(self.records.len() as u32);
        index.extend(self.records.iter().flat_map(|r| [r.first, r.synonyms, r.line]));
        index.extend_from_slice(&self.ends);
        Concepts { text: self.text.into_boxed_str(), index: index.into_boxed_slice() }
    }
}

impl From<Vec<ConceptData>> for Concepts {
    fn from(concepts: Vec<ConceptData>) -> Concepts {
        concepts.iter().collect()
    }
}

impl<'a> FromIterator<&'a ConceptData> for Concepts {
    fn from_iter<I: IntoIterator<Item = &'a ConceptData>>(iter: I) -> Concepts {
        let mut store = ConceptsBuilder::default();
        for c in iter {
            store.push(c);
        }
        store.finish()
    }
}

impl std::fmt::Debug for Concepts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(|c| c.to_data())).finish()
    }
}

/// One concept of a [`Concepts`] store: what its source file says, lent from the store.
#[derive(Clone, Copy)]
pub struct ConceptRef<'a> {
    store: &'a Concepts,
    i: usize,
}

impl<'a> ConceptRef<'a> {
    /// The canonical name: a markdown file's stem, or a thesaurus entry's `nterm`.
    pub fn name(self) -> &'a str {
        self.store.string(self.store.span(self.i).start)
    }

    /// Other terms in the order written, without the name and case-insensitive duplicates.
    pub fn synonyms(self) -> impl ExactSizeIterator<Item = &'a str> + Clone {
        let first = self.store.span(self.i).start + 1;
        let n = self.store.record(self.i).synonyms as usize;
        (first..first + n).map(move |at| self.store.string(at))
    }

    /// The `i`th synonym.
    pub fn synonym(self, i: usize) -> Option<&'a str> {
        let first = self.store.span(self.i).start + 1;
        (i < self.store.record(self.i).synonyms as usize).then(|| self.store.string(first + i))
    }

    /// Names of related concepts, as written.
    pub fn related(self) -> impl ExactSizeIterator<Item = &'a str> + Clone {
        let span = self.store.span(self.i);
        let first = span.start + 1 + self.store.record(self.i).synonyms as usize;
        (first..span.end - 2).map(move |at| self.store.string(at))
    }

    /// Other `key:: value` lines, in order.
    pub fn properties(self) -> PropertyIter<'a> {
        PropertyIter::of(self.store.string(self.store.span(self.i).end - 2))
    }

    /// The remaining markdown text.
    pub fn definition(self) -> &'a str {
        self.store.string(self.store.span(self.i).end - 1)
    }

    /// Zero-based line where the concept starts (its `# ` heading, or its thesaurus key).
    pub fn line(self) -> u32 {
        self.store.record(self.i).line
    }

    /// An owned copy (tests, debugging).
    pub fn to_data(self) -> ConceptData {
        let mut properties = super::Properties::default();
        for (k, v) in self.properties() {
            properties.push(k, v);
        }
        ConceptData {
            name: self.name().to_string(),
            synonyms: self.synonyms().map(str::to_string).collect(),
            related: self.related().map(str::to_string).collect(),
            properties,
            definition: self.definition().to_string(),
            line: self.line(),
        }
    }
}

/// Hashes what the file says, so an edit to any field changes the hash.
impl std::hash::Hash for ConceptRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let span = self.store.span(self.i);
        span.len().hash(h);
        self.store.record(self.i).synonyms.hash(h);
        self.store.record(self.i).line.hash(h);
        for at in span {
            self.store.string(at).hash(h);
        }
    }
}

impl std::fmt::Debug for ConceptRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_data().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips_including_empty_ones() {
        let mut a =
            ConceptData { name: "tokio".into(), definition: "A runtime.\n".into(), line: 3, ..Default::default() };
        a.add_term("Tokio RT");
        a.add_term("async runtime");
        a.related = vec!["future".into(), "".into()];
        a.properties.push("category", "rust");
        a.properties.push("id", "");
        let b = ConceptData { name: "".into(), ..Default::default() };
        let c = ConceptData { name: "x".into(), related: vec!["y".into()], line: 9, ..Default::default() };
        let store = Concepts::from(vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!(store.len(), 3);
        let back: Vec<ConceptData> = store.iter().map(ConceptRef::to_data).collect();
        assert_eq!(back, [a, b, c]);
        let first = store.get(0);
        assert_eq!(first.synonym(1), Some("async runtime"));
        assert_eq!(first.synonym(2), None);
        assert_eq!(first.properties().collect::<Vec<_>>(), [("category", "rust"), ("id", "")]);
        assert_eq!(store.get(2).related().collect::<Vec<_>>(), ["y"]);
    }

    #[test]
    fn without_definitions_keeps_every_other_field_of_every_concept() {
        let mut a =
            ConceptData { name: "tokio".into(), definition: "A runtime.\n".into(), line: 3, ..Default::default() };
        a.add_term("Tokio RT");
        a.related = vec!["future".into()];
        a.properties.push("category", "rust");
        let b = ConceptData { name: "x".into(), definition: "Another.".into(), line: 9, ..Default::default() };
        let c = ConceptData { name: "y".into(), related: vec!["x".into()], ..Default::default() };
        let stripped = Concepts::from(vec![a.clone(), b.clone(), c.clone()]).without_definitions();
        let back: Vec<ConceptData> = stripped.iter().map(ConceptRef::to_data).collect();
        let expected: Vec<ConceptData> =
            [a, b, c].into_iter().map(|c| ConceptData { definition: String::new(), ..c }).collect();
        assert_eq!(back, expected);
        assert!(Concepts::default().without_definitions().is_empty());
    }
}
