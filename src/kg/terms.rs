//! [`TermTable`]: every term of a graph, folded, to the concepts that claim it, in one fst.
//!
//! Made by [`Graph::term_table`] on first use, for readers that look terms up one file at a
//! time (the graph checks) and must not scan the graph for each. It is the graph's own, plain
//! table; the search dictionaries of `crate::index` are built apart and are not this. No I/O.

use super::{ConceptId, Graph};
use crate::text::fold;

/// One concept's claim on a term: the concept and which of its terms ([`super::Concept::term`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermClaim {
    pub concept: ConceptId,
    pub term: u32,
}

/// Folded terms to their claims. Immutable.
pub struct TermTable {
    /// A folded term to the index of its group in `starts`.
    keys: fst::Map<Vec<u8>>,
    /// `claims[starts[k]..starts[k + 1]]` are key `k`'s, in concept order.
    claims: Vec<TermClaim>,
    starts: Vec<u32>,
}

impl std::fmt::Debug for TermTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TermTable").field("keys", &self.keys.len()).finish()
    }
}

impl TermTable {
    /// One pass over the graph's terms and one sort.
    pub fn build(graph: &Graph) -> TermTable {
        let mut all: Vec<(String, TermClaim)> = Vec::new();
        for (id, c) in graph.concepts() {
            for (i, t) in c.terms().enumerate() {
                let folded = fold(t);
                if !folded.is_empty() {
                    all.push((folded, TermClaim { concept: id, term: i as u32 }));
                }
            }
        }
        // Stable: a key's claims stay in concept order.
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let mut builder = fst::MapBuilder::memory();
        let mut claims = Vec::with_capacity(all.len());
        let mut starts = Vec::new();
        let mut last: Option<&str> = None;
        for (key, claim) in &all {
            if last != Some(key.as_str()) {
                builder.insert(key, starts.len() as u64).expect("keys are sorted and unique");
                starts.push(claims.len() as u32);
                last = Some(key);
            }
            claims.push(*claim);
        }
        starts.push(claims.len() as u32);
        let keys = fst::Map::new(builder.into_inner().expect("in memory")).expect("just built");
        TermTable { keys, claims, starts }
    }

    /// The claims on an already folded term (none when no concept has it).
    pub fn get(&self, folded: &str) -> &[TermClaim] {
        match self.keys.get(folded) {
            Some(k) => &self.claims[self.starts[k as usize] as usize..self.starts[k as usize + 1] as usize],
            None => &[],
        }
    }

    /// The folded terms, for searches by automaton (typos).
    pub fn keys(&self) -> &fst::Map<Vec<u8>> {
        &self.keys
    }
}
