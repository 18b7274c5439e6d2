//! Term weights for completion: graph centrality, frequency in the workspace's documents, and
//! what the user accepted before (decayed over time).
//!
//! Static weights are computed once per graph and baked into the [`CompletionIndex`]; accepted
//! completions live in [`Feedback`], an immutable map behind `Arc` replaced whole on every
//! accept, so a request reads it without locking per candidate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use crate::index::{CompletionIndex, LayeredIndex, TermInput};
use crate::kg::Graph;
use crate::text::fold;

/// Half-life of an accepted completion's boost.
pub const FEEDBACK_HALF_LIFE_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// The static weight of a term: mostly how often it occurs in the workspace, then how central
/// its concept is, with a nudge for canonical names and shorter terms.
pub fn term_weight(occurrences: u64, degree: usize, is_name: bool, chars: usize) -> f32 {
    let w = (1.0 + occurrences as f64).ln() + 0.5 * (1.0 + degree as f64).ln() + if is_name { 0.2 } else { 0.0 }
        - 0.01 * chars as f64;
    w as f32
}

/// Builds the completion index of `graph`, weighting terms by `occurrences` (folded term →
/// count in the workspace's documents).
pub fn build_completion_index(graph: &Graph, occurrences: &HashMap<String, u64>) -> CompletionIndex {
    let names: Vec<String> = graph.concepts().map(|(_, c)| c.name().to_string()).collect();
    let mut terms = Vec::with_capacity(graph.term_count());
    for (id, c) in graph.concepts() {
        let degree = c.related().len() + c.related_by().len();
        for (i, t) in c.terms().enumerate() {
            let count = occurrences.get(&fold(t)).copied().unwrap_or(0);
            terms.push(TermInput {
                text: t.to_string(),
                concept: id.0,
                weight: term_weight(count, degree, i == 0, t.chars().count()),
            });
        }
    }
    CompletionIndex::build(terms, &names)
}

/// Completions the user accepted: `(term, concept name)` → decayed count.
#[derive(Debug, Default)]
pub struct Feedback {
    current: Mutex<Arc<FeedbackMap>>,
}

/// One immutable view of the feedback.
#[derive(Clone, Debug, Default)]
pub struct FeedbackMap {
    /// `(term as written, concept name)` → `(count at `at`, at seconds since the epoch)`.
    accepted: HashMap<(String, String), (f64, f64)>,
}

impl Feedback {
    /// Records that the user accepted `term` of `concept`.
    pub fn accept(&self, term: &str, concept: &str) {
        self.accept_at(term, concept, now_secs());
    }

    fn accept_at(&self, term: &str, concept: &str, now: f64) {
        let mut guard = self.current.lock();
        let mut next = FeedbackMap::clone(&guard);
        let slot = next.accepted.entry((term.to_string(), concept.to_string())).or_insert((0.0, now));
        *slot = (decay(slot.0, now - slot.1) + 1.0, now);
        *guard = Arc::new(next);
    }

    pub fn snapshot(&self) -> Arc<FeedbackMap> {
        self.current.lock().clone()
    }
}

impl FeedbackMap {
    pub fn is_empty(&self) -> bool {
        self.accepted.is_empty()
    }

    /// The boost of `(term, concept)` now.
    pub fn boost(&self, term: &str, concept: &str) -> f32 {
        self.boost_at(term, concept, now_secs())
    }

    fn boost_at(&self, term: &str, concept: &str, now: f64) -> f32 {
        if self.accepted.is_empty() {
            return 0.0;
        }
        match self.accepted.get(&(term.to_string(), concept.to_string())) {
            Some(&(count, at)) => (2.0 * (1.0 + decay(count, now - at)).ln()) as f32,
            None => 0.0,
        }
    }

    /// Accepted terms, for lifting entries that a precomputed list would hide.
    pub fn terms(&self) -> impl Iterator<Item = (&str, &str)> {
        self.accepted.keys().map(|(t, c)| (t.as_str(), c.as_str()))
    }
}

/// The boost closure for one search over `index`.
pub fn boost_fn<'a>(index: &'a LayeredIndex, feedback: &'a FeedbackMap) -> impl Fn(u32) -> f32 + 'a {
    let now = now_secs();
    move |e| {
        if feedback.is_empty() {
            0.0
        } else {
            feedback.boost_at(&index.text(e), &index.concept_name(index.concept(e)), now)
        }
    }
}

fn decay(count: f64, elapsed: f64) -> f64 {
    count * 0.5f64.powf(elapsed.max(0.0) / FEEDBACK_HALF_LIFE_SECS)
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_terms_are_boosted_and_the_boost_decays() {
        let f = Feedback::default();
        f.accept_at("tokio", "tokio", 1000.0);
        f.accept_at("tokio", "tokio", 1000.0);
        let snap = f.snapshot();
        let fresh = snap.boost_at("tokio", "tokio", 1000.0);
        let week = snap.boost_at("tokio", "tokio", 1000.0 + FEEDBACK_HALF_LIFE_SECS);
        assert!((fresh - 2.0 * 3f32.ln()).abs() < 1e-5, "{fresh}");
        assert!((week - 2.0 * 2f32.ln()).abs() < 1e-5, "{week}");
        assert_eq!(snap.boost_at("tokio", "other", 1000.0), 0.0);
    }

    #[test]
    fn weights_favour_frequent_central_short_names() {
        assert!(term_weight(100, 0, false, 10) > term_weight(10, 0, false, 10));
        assert!(term_weight(10, 20, false, 10) > term_weight(10, 0, false, 10));
        assert!(term_weight(0, 0, true, 10) > term_weight(0, 0, false, 10));
        assert!(term_weight(0, 0, false, 5) > term_weight(0, 0, false, 25));
    }
}
