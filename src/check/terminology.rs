//! [`Terminology`]: what the document checks look terms up in, built once from a graph.
//!
//! Owns the maps from folded phrases to what the graph says about them (avoided terms and the
//! concept that replaces them). It reads only the graph it is given; no I/O.

use std::collections::HashMap;

use crate::kg::{ConceptId, Graph};
use crate::text::fold;

/// The property key that lists a concept's avoided terms: `avoid:: old name, other old name`.
pub const AVOID_KEY: &str = "avoid";

/// What a folded phrase is in the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avoided {
    /// The concept whose name replaces it.
    pub concept: ConceptId,
    /// The term as its `avoid::` line writes it.
    pub written: String,
    /// The concept's name: the replacement.
    pub replacement: String,
}

/// The lookup tables of the document checks.
#[derive(Clone, Debug, Default)]
pub struct Terminology {
    avoided: HashMap<String, Avoided>,
    /// The most words any phrase in the tables has.
    max_words: usize,
}

impl Terminology {
    pub fn build(graph: &Graph) -> Terminology {
        let mut t = Terminology::default();
        for (id, c) in graph.concepts() {
            for (key, value) in c.data().properties() {
                if !key.eq_ignore_ascii_case(AVOID_KEY) {
                    continue;
                }
                for written in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let folded = fold(written);
                    t.max_words = t.max_words.max(folded.split(' ').count());
                    t.avoided.entry(folded).or_insert_with(|| Avoided {
                        concept: id,
                        written: written.to_string(),
                        replacement: c.name().to_string(),
                    });
                }
            }
        }
        t
    }

    /// The avoided term that `folded` (a phrase folded with [`fold`]) is, if any.
    pub fn avoided(&self, folded: &str) -> Option<&Avoided> {
        self.avoided.get(folded)
    }

    /// The most words of any phrase the tables hold (0 when they are empty).
    pub fn max_words(&self) -> usize {
        self.max_words
    }

    pub fn is_empty(&self) -> bool {
        self.avoided.is_empty()
    }
}
