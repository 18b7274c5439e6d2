//! The concept-term dictionary: every name and synonym of every concept, folded, in one fst.
//!
//! A term that several concepts claim maps to all of them. Built from a [`Graph`] in one pass;
//! no I/O, no protocol types.

use std::sync::Arc;

use super::TermMap;
use crate::kg::{ConceptId, Graph};

/// One concept's claim on a term, with the term as that concept writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermRef {
    pub concept: ConceptId,
    pub term: Arc<str>,
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
            .flat_map(|(id, c)| c.terms().map(move |t| (t.to_string(), TermRef { concept: id, term: Arc::from(t) })));
        TermIndex { map: TermMap::build(entries) }
    }
}
