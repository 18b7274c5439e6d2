//! The concept-term dictionary: every name and synonym of every concept, folded, in one fst.
//!
//! A term that several concepts claim maps to all of them. Built from a [`Graph`] in one pass;
//! no I/O, no protocol types.

use std::sync::OnceLock;

use super::{Bytes, TermMap};
use crate::kg::{ConceptId, Graph};

/// One concept's claim on a term: the concept, and which of its terms ([`Concept::term`]) it is,
/// so the text is not stored again.
///
/// [`Concept::term`]: crate::kg::Concept::term
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermRef {
    pub concept: ConceptId,
    pub term: u32,
}

/// The concept-term dictionary.
#[derive(Debug, Default)]
pub struct TermIndex {
    pub map: TermMap<TermRef>,
    /// The map's [`TermMap::word_suffixes`], for searching: made on first use, or saved with
    /// the map and opened with it.
    suffixes: OnceLock<fst::Set<Bytes>>,
}

impl TermIndex {
    /// The index of `graph` from the parts of [`TermMap::parts`] (and, if they were saved,
    /// [`TermIndex::suffixes`]) of one built for the same concepts: `None` when a part is
    /// damaged or a value names a concept the graph does not have. The parts come from a
    /// checksummed file written with the files they index, so a value's term is not looked up
    /// here: one the concept does not have reads as none ([`crate::kg::Concept::term`]).
    pub fn from_parts(
        graph: &Graph,
        fst: Vec<u8>,
        values: Vec<TermRef>,
        starts: Vec<u32>,
        suffixes: Option<Vec<u8>>,
    ) -> Option<TermIndex> {
        if !values.iter().all(|r| (r.concept.0 as usize) < graph.len()) {
            return None;
        }
        let map = TermMap::from_parts(fst, values, starts)?;
        let cell = OnceLock::new();
        if let Some(bytes) = suffixes {
            let _ = cell.set(fst::Set::new(Bytes::from(bytes)).ok()?);
        }
        Some(TermIndex { map, suffixes: cell })
    }

    pub fn build(graph: &Graph) -> TermIndex {
        let entries = graph
            .concepts()
            .flat_map(|(id, c)| c.terms().enumerate().map(move |(i, t)| (t, TermRef { concept: id, term: i as u32 })));
        TermIndex { map: TermMap::build(entries), suffixes: OnceLock::new() }
    }

    /// The later words of the multi-word terms ([`TermMap::word_suffixes`]), made on the first
    /// call unless they were opened with the index.
    pub fn suffixes(&self) -> &fst::Set<Bytes> {
        self.suffixes.get_or_init(|| self.map.word_suffixes())
    }
}
