//! A completion index as a large immutable main index plus a small delta, so that editing one
//! concept file in a million-term graph never rebuilds the main index on the request path.
//!
//! The delta holds the terms of the concept files changed since the main index was built; the
//! main index's concepts from those files are hidden. Entry and concept ids continue past the
//! main index's (`main.entry_count() + e`), so callers see one index. A background rebuild
//! later folds the delta into a new main index and swaps it in whole. No I/O, no protocol types.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use super::completion::{CompletionIndex, Hit};

/// Main index, delta and the main concepts the delta replaces.
#[derive(Clone, Debug, Default)]
pub struct LayeredIndex {
    pub main: Arc<CompletionIndex>,
    delta: Option<Arc<CompletionIndex>>,
    hidden: Arc<HashSet<u32>>,
}

impl From<CompletionIndex> for LayeredIndex {
    fn from(main: CompletionIndex) -> Self {
        LayeredIndex { main: Arc::new(main), delta: None, hidden: Arc::default() }
    }
}

impl LayeredIndex {
    /// `main` with `delta` on top; `hidden` are main concept ids that the delta replaces.
    pub fn with_delta(main: Arc<CompletionIndex>, delta: CompletionIndex, hidden: HashSet<u32>) -> LayeredIndex {
        LayeredIndex { main, delta: Some(Arc::new(delta)), hidden: Arc::new(hidden) }
    }

    pub fn has_delta(&self) -> bool {
        self.delta.is_some()
    }

    fn split(&self, entry: u32) -> (&CompletionIndex, u32) {
        let m = self.main.entry_count() as u32;
        match &self.delta {
            Some(d) if entry >= m => (d, entry - m),
            _ => (&self.main, entry),
        }
    }

    pub fn text(&self, entry: u32) -> Cow<'_, str> {
        let (idx, e) = self.split(entry);
        idx.text(e)
    }

    pub fn with_text<R>(&self, entry: u32, f: impl FnOnce(&str) -> R) -> R {
        let (idx, e) = self.split(entry);
        idx.with_text(e, f)
    }

    /// Whether `entry` is the entry that spells its concept's name.
    pub fn names_its_concept(&self, entry: u32) -> bool {
        let (idx, e) = self.split(entry);
        idx.names_its_concept(e)
    }

    pub fn weight(&self, entry: u32) -> f32 {
        let (idx, e) = self.split(entry);
        idx.weight(e)
    }

    /// The concept of an entry, in the combined numbering.
    pub fn concept(&self, entry: u32) -> u32 {
        let m = self.main.entry_count() as u32;
        match &self.delta {
            Some(d) if entry >= m => self.main.concept_count() as u32 + d.concept(entry - m),
            _ => self.main.concept(entry),
        }
    }

    pub fn concept_name(&self, concept: u32) -> Cow<'_, str> {
        let c = self.main.concept_count() as u32;
        match &self.delta {
            Some(d) if concept >= c => d.concept_name(concept - c),
            _ => self.main.concept_name(concept),
        }
    }

    pub fn entry_count(&self) -> usize {
        self.main.entry_count() + self.delta.as_ref().map_or(0, |d| d.entry_count())
    }

    /// Entries whose folded key is exactly `folded`, in both layers.
    pub fn exact(&self, folded: &str) -> Vec<u32> {
        let mut out: Vec<u32> = self.main.exact(folded).filter(|&e| self.visible(e)).collect();
        if let Some(d) = &self.delta {
            let m = self.main.entry_count() as u32;
            out.extend(d.exact(folded).map(|e| m + e));
        }
        out
    }

    fn visible(&self, main_entry: u32) -> bool {
        self.hidden.is_empty() || !self.hidden.contains(&self.main.concept(main_entry))
    }

    /// Runs `search` on both layers and merges the results best first, at most `k`.
    fn merged(
        &self,
        k: usize,
        boost: &dyn Fn(u32) -> f32,
        search: impl Fn(&CompletionIndex, usize, &dyn Fn(u32) -> f32) -> Vec<Hit>,
    ) -> Vec<Hit> {
        // Ask the main index for a little more than `k`: hidden entries are dropped afterwards.
        let slack = if self.hidden.is_empty() { 0 } else { 16 };
        let mut hits: Vec<Hit> =
            search(&self.main, k + slack, boost).into_iter().filter(|h| self.visible(h.entry)).collect();
        if let Some(d) = &self.delta {
            let m = self.main.entry_count() as u32;
            let delta_boost = |e: u32| boost(m + e);
            hits.extend(search(d, k, &delta_boost).into_iter().map(|h| Hit { entry: m + h.entry, ..h }));
            // Stable: each layer's own order is kept for equal kinds and scores.
            hits.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.score.total_cmp(&a.score)));
        }
        hits.truncate(k);
        hits
    }

    pub fn prefix(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        self.merged(k, boost, |i, k, b| i.prefix(folded, k, b))
    }

    pub fn fuzzy(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        self.merged(k, boost, |i, k, b| i.fuzzy(folded, k, b))
    }

    pub fn initials(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        self.merged(k, boost, |i, k, b| i.initials(folded, k, b))
    }

    pub fn subsequence(&self, folded: &str, k: usize, boost: &dyn Fn(u32) -> f32) -> Vec<Hit> {
        self.merged(k, boost, |i, k, b| i.subsequence(folded, k, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::TermInput;

    fn idx(terms: &[(&str, u32, f32)], names: &[&str]) -> CompletionIndex {
        let terms = terms.iter().map(|&(t, c, w)| TermInput { text: t.into(), concept: c, weight: w }).collect();
        CompletionIndex::build(terms, &names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn delta_replaces_hidden_concepts_and_merges_by_score() {
        let main = Arc::new(idx(&[("tokio", 0, 3.0), ("tokio rt", 0, 1.0), ("toml", 1, 2.0)], &["tokio", "toml"]));
        // Concept 0 was edited: its synonym changed from "tokio rt" to "tokyo".
        let delta = idx(&[("tokio", 0, 3.0), ("tokyo", 0, 2.5)], &["tokio"]);
        let layered = LayeredIndex::with_delta(main, delta, HashSet::from([0]));
        let none = |_: u32| 0.0;
        let hits = layered.prefix("to", 10, &none);
        let shown: Vec<String> = hits
            .iter()
            .map(|h| format!("{} ({})", layered.text(h.entry), layered.concept_name(layered.concept(h.entry))))
            .collect();
        assert_eq!(shown, ["tokio (tokio)", "tokyo (tokio)", "toml (toml)"]);
        let (tokyo, toml) = (layered.exact("tokyo")[0], layered.exact("toml")[0]);
        assert!(!layered.names_its_concept(tokyo) && layered.names_its_concept(toml));
        assert_eq!(layered.exact("tokio rt"), Vec::<u32>::new());
        assert_eq!(layered.exact("tokyo").len(), 1);
    }
}
