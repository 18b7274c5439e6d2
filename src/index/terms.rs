//! The concept-term dictionary: every name and synonym of every concept, folded, in one fst.
//!
//! A term that several concepts claim maps to all of them. Built from a [`Graph`] in one pass;
//! no I/O, no protocol types.

use super::TermMap;
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
}

impl TermIndex {
    pub fn build(graph: &Graph) -> TermIndex {
        let entries = graph
            .concepts()
            .flat_map(|(id, c)| c.terms().enumerate().map(move |(i, t)| (t, TermRef { concept: id, term: i as u32 })));
        TermIndex { map: TermMap::build(entries) }
    }
}
