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
    /// The index of `graph` from the parts of [`TermMap::parts`] of one built for the same
    /// concepts, checked against `graph`: `None` when a part is damaged or a value names a
    /// concept or term the graph does not have.
    pub fn from_parts(graph: &Graph, fst: Vec<u8>, values: Vec<TermRef>, starts: Vec<u32>) -> Option<TermIndex> {
        let known = |r: &TermRef| {
            (r.concept.0 as usize) < graph.len() && graph.concept(r.concept).term(r.term as usize).is_some()
        };
        if !values.iter().all(known) {
            return None;
        }
        Some(TermIndex { map: TermMap::from_parts(fst, values, starts)? })
    }

    pub fn build(graph: &Graph) -> TermIndex {
        let entries = graph
            .concepts()
            .flat_map(|(id, c)| c.terms().enumerate().map(move |(i, t)| (t, TermRef { concept: id, term: i as u32 })));
        TermIndex { map: TermMap::build(entries) }
    }
}
