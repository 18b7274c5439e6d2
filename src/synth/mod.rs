//! Synthetic knowledge graphs and workspaces of any size, for tests and benchmarks.
//!
//! Terms look like real vocabulary: pronounceable words built from syllables, one to three
//! words per term, words shared between terms (chosen by a Zipf law, so a few words such as
//! a domain's "data" or "system" recur everywhere), synonyms, related links with preferential
//! attachment (a few central concepts), and Zipf-distributed term frequencies. Everything is
//! deterministic for a given seed. Writing to disk is explicit ([`GenGraph::write_concept_files`],
//! [`GenGraph::write_thesaurus`], [`write_documents`]); nothing here knows protocol types.
//! [`generate_documents`] makes short documents; [`generate_prose`] makes documents of real
//! length (hundreds to thousands of words) that mention concepts by their synonyms.

use std::collections::HashSet;
use std::path::Path;

use crate::kg::{ConceptData, Definitions, KgFile, SourceKind};

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Total number of terms (names plus synonyms).
    pub terms: usize,
    pub seed: u64,
    /// Words in each concept's definition.
    pub definition_words: usize,
    /// Terms per concept on average. `None`: a name and 0–3 synonyms, skewed to none (1.6
    /// terms a concept, as in Terraphim's largest fixture thesaurus, 1,725 terms in 1,333
    /// concepts). `Some(k)`: a name and 0 to 2(k − 1) synonyms, uniformly (Terraphim's own
    /// concept files average 12.7 terms: 1,057 in 83 files).
    pub terms_per_concept: Option<usize>,
}

impl GenConfig {
    pub fn new(terms: usize) -> GenConfig {
        GenConfig { terms, seed: 42, definition_words: 12, terms_per_concept: None }
    }
}

/// One generated term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenTerm {
    pub text: String,
    /// Index into [`GenGraph::concepts`].
    pub concept: u32,
    /// How often the term occurs in the generated workspace's prose (Zipf by a random rank).
    pub frequency: u64,
}

/// A generated knowledge graph.
#[derive(Clone, Debug)]
pub struct GenGraph {
    pub concepts: Vec<ConceptData>,
    pub terms: Vec<GenTerm>,
    /// Distinct words the terms are made of.
    pub words: Vec<String>,
}

/// A small, fast, deterministic PRNG (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize % n.max(1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Samples ranks `0..n` with probability proportional to `1 / (rank + 1)^s`.
#[derive(Clone, Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for k in 1..=n.max(1) {
            total += 1.0 / (k as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

const ONSETS: &[&str] = &[
    "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cr", "dr",
    "fl", "gr", "pl", "pr", "st", "tr", "ch", "sh", "th", "ph", "sp", "qu",
];
const NUCLEI: &[&str] = &["a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ou", "io", "y"];
const CODAS: &[&str] = &["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "nt", "ck", "ng", "x", "rm"];

fn word(rng: &mut Rng) -> String {
    let syllables = 1 + rng.below(3) + usize::from(rng.unit() < 0.3);
    let mut w = String::new();
    for _ in 0..syllables {
        w += *rng.pick(ONSETS);
        w += *rng.pick(NUCLEI);
        if rng.unit() < 0.5 {
            w += *rng.pick(CODAS);
        }
    }
    w
}

/// Generates a knowledge graph with `cfg.terms` terms.
pub fn generate(cfg: &GenConfig) -> GenGraph {
    let mut rng = Rng::new(cfg.seed);
    // Vocabulary: enough words that terms of one to three words stay mostly distinct.
    let n_words = (cfg.terms / 4).clamp(200, 400_000);
    let mut seen = HashSet::with_capacity(n_words);
    let mut words = Vec::with_capacity(n_words);
    while words.len() < n_words {
        let w = word(&mut rng);
        if w.len() >= 3 && seen.insert(w.clone()) {
            words.push(w);
        }
    }
    let word_zipf = Zipf::new(n_words, 0.9);

    let mut term_set: HashSet<String> = HashSet::with_capacity(cfg.terms);
    let mut texts: Vec<String> = Vec::with_capacity(cfg.terms);
    while texts.len() < cfg.terms {
        let n = match rng.unit() {
            u if u < 0.4 => 1,
            u if u < 0.85 => 2,
            _ => 3,
        };
        let parts: Vec<&str> = (0..n)
            .map(|i| {
                if i + 1 == n { words[rng.below(n_words)].as_str() } else { words[word_zipf.sample(&mut rng)].as_str() }
            })
            .collect();
        let t = parts.join(" ");
        if term_set.insert(t.clone()) {
            texts.push(t);
        }
    }

    // Group terms into concepts: a name and its synonyms (see `GenConfig::terms_per_concept`).
    let mut concepts: Vec<ConceptData> = Vec::new();
    let mut terms = Vec::with_capacity(cfg.terms);
    let mut i = 0;
    while i < texts.len() {
        let synonyms = match cfg.terms_per_concept {
            Some(k) => rng.below(2 * k.max(1) - 1),
            None => match rng.unit() {
                u if u < 0.6 => 0,
                u if u < 0.85 => 1,
                u if u < 0.95 => 2,
                _ => 3,
            },
        };
        let end = (i + 1 + synonyms).min(texts.len());
        let id = concepts.len() as u32;
        let mut c = ConceptData { name: texts[i].clone(), ..Default::default() };
        for t in &texts[i + 1..end] {
            c.synonyms.push(t.clone());
        }
        for t in &texts[i..end] {
            terms.push(GenTerm { text: t.clone(), concept: id, frequency: 0 });
        }
        concepts.push(c);
        i = end;
    }

    // Related links with preferential attachment: low concept indices are hubs.
    let concept_zipf = Zipf::new(concepts.len(), 1.0);
    for c in 0..concepts.len() {
        let n = rng.below(5);
        for _ in 0..n {
            let target = concept_zipf.sample(&mut rng);
            if target != c {
                let name = concepts[target].name.clone();
                if !concepts[c].related.contains(&name) {
                    concepts[c].related.push(name);
                }
            }
        }
        let def: Vec<&str> = (0..cfg.definition_words).map(|_| words[word_zipf.sample(&mut rng)].as_str()).collect();
        concepts[c].definition = format!("{}.\n", def.join(" "));
    }

    // Zipf frequencies by a random permutation of ranks.
    let mut ranks: Vec<usize> = (0..terms.len()).collect();
    for k in (1..ranks.len()).rev() {
        ranks.swap(k, rng.below(k + 1));
    }
    for (t, &rank) in terms.iter_mut().zip(&ranks) {
        t.frequency = (1_000_000.0 / (rank as f64 + 1.0)).ceil() as u64;
    }
    GenGraph { concepts, terms, words }
}

impl GenGraph {
    /// The graph as in-memory knowledge-graph files, one concept file per concept.
    pub fn to_kg_files(&self) -> Vec<KgFile> {
        self.concepts
            .iter()
            .enumerate()
            .map(|(i, c)| KgFile {
                path: Path::new(&format!("gen/{i}.md")).into(),
                kind: SourceKind::Markdown,
                concepts: std::iter::once(c).collect(),
                problems: Box::default(),
                definitions: Definitions::Kept,
            })
            .collect()
    }

    /// Writes one markdown concept file per concept into `dir` (in subfolders of 1,000).
    pub fn write_concept_files(&self, dir: &Path) -> std::io::Result<()> {
        for (i, c) in self.concepts.iter().enumerate() {
            let sub = dir.join(format!("{:04}", i / 1000));
            if i % 1000 == 0 {
                std::fs::create_dir_all(&sub)?;
            }
            let mut text = format!("# {}\n\n{}\n", c.name, c.definition.trim_end());
            if !c.synonyms.is_empty() {
                text += &format!("\nsynonyms:: {}\n", c.synonyms.join(", "));
            }
            if !c.related.is_empty() {
                text += &format!("related:: {}\n", c.related.join(", "));
            }
            std::fs::write(sub.join(format!("{}.md", c.name)), text)?;
        }
        Ok(())
    }

    /// Writes the graph as one Terraphim thesaurus JSON file.
    pub fn write_thesaurus(&self, path: &Path) -> std::io::Result<()> {
        let mut data = serde_json::Map::new();
        for t in &self.terms {
            let c = &self.concepts[t.concept as usize];
            data.insert(t.text.clone(), serde_json::json!({"id": t.concept + 1, "nterm": c.name, "url": null}));
        }
        let json = serde_json::json!({"name": "generated", "data": data});
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec(&json)?)
    }

    /// Samples a term index with probability proportional to its frequency.
    pub fn frequency_sampler(&self) -> impl FnMut(&mut Rng) -> usize + '_ {
        let mut cdf = Vec::with_capacity(self.terms.len());
        let mut total = 0u64;
        for t in &self.terms {
            total += t.frequency;
            cdf.push(total);
        }
        move |rng: &mut Rng| {
            let x = rng.next_u64() % total.max(1);
            cdf.partition_point(|&c| c <= x).min(cdf.len() - 1)
        }
    }
}

/// Markdown documents for a generated workspace: headings (some of them terms) and prose in
/// which terms occur by their frequencies. Returns `(relative path, text)` pairs.
pub fn generate_documents(graph: &GenGraph, files: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed ^ 0xD0C5);
    let mut sample = graph.frequency_sampler();
    let word_zipf = Zipf::new(graph.words.len(), 0.9);
    let mut docs = Vec::with_capacity(files);
    for f in 0..files {
        let mut text = String::new();
        let title = &graph.terms[sample(&mut rng)].text;
        text += &format!("# {}\n\n", title_case(title));
        for _ in 0..2 + rng.below(6) {
            let level = 2 + rng.below(2);
            let heading = if rng.unit() < 0.5 {
                title_case(&graph.terms[sample(&mut rng)].text)
            } else {
                let n = 2 + rng.below(3);
                title_case(
                    &(0..n).map(|_| graph.words[word_zipf.sample(&mut rng)].as_str()).collect::<Vec<_>>().join(" "),
                )
            };
            text += &format!("{} {}\n\n", "#".repeat(level), heading);
            for _ in 0..1 + rng.below(3) {
                let mut para = Vec::new();
                for _ in 0..20 + rng.below(40) {
                    if rng.unit() < 0.15 {
                        para.push(graph.terms[sample(&mut rng)].text.clone());
                    } else {
                        para.push(graph.words[word_zipf.sample(&mut rng)].clone());
                    }
                }
                text += &para.join(" ");
                text += ".\n\n";
            }
        }
        docs.push((format!("docs/{:03}/doc{f}.md", f / 500), text));
    }
    docs
}

/// What [`generate_prose`] writes: documents of real length, as a team's notes and design
/// documents are.
#[derive(Clone, Debug)]
pub struct ProseConfig {
    pub files: usize,
    pub seed: u64,
    /// Words in a document, drawn log-uniformly from this range (both ends included).
    pub words: (usize, usize),
    /// The share of words that are a mention of a term (a term of several words counts as one).
    pub term_rate: f64,
}

impl ProseConfig {
    /// `files` documents of 300 to 3,000 words, one word in 25 a term mention.
    pub fn new(files: usize) -> ProseConfig {
        ProseConfig { files, seed: 11, words: (300, 3_000), term_rate: 0.04 }
    }
}

/// English function words, which make up about half of real prose.
const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "with", "be", "on", "not", "this", "by",
    "are", "or", "from", "at", "which", "an", "but", "we", "can", "when", "if", "its", "has", "was", "all", "one",
    "there", "so", "each", "more", "than", "then", "also", "only", "into", "other", "some", "what", "they", "how",
    "use", "used", "new", "may", "should", "must", "does", "first", "where", "any", "these", "both", "about",
];

/// Markdown documents of real length: a title, `##` and `###` sections of paragraphs and
/// bullet lists, sentences of function words and vocabulary, and term mentions at
/// `cfg.term_rate`. Each document is about a few concepts: half of its mentions name one of
/// those concepts by any of its terms (so a document about a concept often names it only by a
/// synonym), the rest are drawn from the whole graph by frequency. Returns `(relative path,
/// text)` pairs under `docs/`; deterministic for a seed.
pub fn generate_prose(graph: &GenGraph, cfg: &ProseConfig) -> Vec<(String, String)> {
    let mut rng = Rng::new(cfg.seed ^ 0x9805E);
    let mut sample = graph.frequency_sampler();
    let word_zipf = Zipf::new(graph.words.len(), 1.0);
    let mut by_concept: Vec<Vec<u32>> = vec![Vec::new(); graph.concepts.len()];
    for (i, t) in graph.terms.iter().enumerate() {
        by_concept[t.concept as usize].push(i as u32);
    }
    let (lo, hi) = (cfg.words.0.max(1) as f64, cfg.words.1.max(cfg.words.0).max(1) as f64);
    let mut docs = Vec::with_capacity(cfg.files);
    for f in 0..cfg.files {
        let focus: Vec<usize> = (0..1 + rng.below(3)).map(|_| graph.terms[sample(&mut rng)].concept as usize).collect();
        let target = (lo * (hi / lo).powf(rng.unit())).round() as usize;
        let mut mention = |rng: &mut Rng| -> String {
            if rng.unit() < 0.5 {
                let terms = &by_concept[*rng.pick(&focus)];
                graph.terms[*rng.pick(terms) as usize].text.clone()
            } else {
                graph.terms[sample(rng)].text.clone()
            }
        };
        let mut text = format!("# {}\n\n", title_case(&graph.concepts[focus[0]].name));
        let mut written = 0;
        let mut in_section = usize::MAX;
        while written < target {
            if in_section >= 2 + rng.below(4) {
                let level = if in_section == usize::MAX || rng.unit() < 0.7 { 2 } else { 3 };
                let heading = if rng.unit() < 0.4 {
                    title_case(&mention(&mut rng))
                } else {
                    let n = 1 + rng.below(4);
                    title_case(
                        &(0..n).map(|_| graph.words[word_zipf.sample(&mut rng)].as_str()).collect::<Vec<_>>().join(" "),
                    )
                };
                text += &format!("{} {heading}\n\n", "#".repeat(level));
                in_section = 0;
            }
            let bullets = rng.unit() < 0.15;
            for s in 0..if bullets { 3 + rng.below(4) } else { 2 + rng.below(6) } {
                let mut sentence = Vec::new();
                for _ in 0..if bullets { 4 + rng.below(10) } else { 8 + rng.below(18) } {
                    let u = rng.unit();
                    if u < cfg.term_rate {
                        sentence.push(mention(&mut rng));
                    } else if u < 0.5 {
                        sentence.push((*rng.pick(FUNCTION_WORDS)).to_string());
                    } else {
                        sentence.push(graph.words[word_zipf.sample(&mut rng)].clone());
                    }
                }
                written += sentence.len();
                let line = sentence.join(" ");
                if bullets {
                    text += &format!("- {line}\n");
                } else {
                    text += &title_case_first(&line);
                    text += if s % 3 == 2 { ".\n" } else { ". " };
                }
            }
            while text.ends_with([' ', '\n']) {
                text.pop();
            }
            text += "\n\n";
            in_section += 1;
        }
        docs.push((format!("docs/{:03}/note-{f}.md", f / 500), text));
    }
    docs
}

/// Writes documents from [`generate_documents`] under `dir`.
pub fn write_documents(dir: &Path, docs: &[(String, String)]) -> std::io::Result<()> {
    for (rel, text) in docs {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    Ok(())
}

fn title_case_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kg::Graph;

    #[test]
    fn deterministic_sized_and_loadable() {
        let g = generate(&GenConfig::new(5_000));
        assert_eq!(g.terms.len(), 5_000);
        let again = generate(&GenConfig::new(5_000));
        assert_eq!(g.terms, again.terms);
        let distinct: HashSet<_> = g.terms.iter().map(|t| &t.text).collect();
        assert_eq!(distinct.len(), 5_000);
        let multi = g.terms.iter().filter(|t| t.text.contains(' ')).count();
        assert!(multi > 2_500 && multi < 4_000, "{multi} multi-word terms");
        // Words are shared between terms.
        let first_words: HashSet<_> = g.terms.iter().filter_map(|t| t.text.split_once(' ').map(|(a, _)| a)).collect();
        assert!(first_words.len() < multi / 2, "{} distinct first words", first_words.len());
        let graph = Graph::from_files(&g.to_kg_files());
        assert_eq!(graph.term_count(), 5_000);
        let hub = graph.concepts().map(|(_, c)| c.related_by().len()).max().unwrap();
        assert!(hub > 50, "preferential attachment makes hubs: {hub}");
    }

    #[test]
    fn terms_per_concept_sets_the_concept_count() {
        let mean = |g: &GenGraph| g.terms.len() as f64 / g.concepts.len() as f64;
        let default = generate(&GenConfig::new(20_000));
        assert!((1.5..1.7).contains(&mean(&default)), "{}", mean(&default));
        let glossary = generate(&GenConfig { terms_per_concept: Some(13), ..GenConfig::new(20_000) });
        assert!((12.0..14.0).contains(&mean(&glossary)), "{}", mean(&glossary));
        let dir = tempfile::tempdir().unwrap();
        let small = generate(&GenConfig { terms_per_concept: Some(13), ..GenConfig::new(500) });
        small.write_concept_files(dir.path()).unwrap();
        let (files, problems) =
            crate::kg::load_sources(&[crate::kg::KgSource { path: dir.path().into() }], &mut |_, _| {});
        assert!(problems.is_empty());
        assert_eq!((files.len(), Graph::from_files(&files).term_count()), (small.concepts.len(), 500));
    }

    #[test]
    fn written_files_load_back() {
        let g = generate(&GenConfig::new(300));
        let dir = tempfile::tempdir().unwrap();
        g.write_concept_files(&dir.path().join("kg")).unwrap();
        g.write_thesaurus(&dir.path().join("t.json")).unwrap();
        let (files, problems) =
            crate::kg::load_sources(&[crate::kg::KgSource { path: dir.path().join("kg") }], &mut |_, _| {});
        assert!(problems.is_empty());
        assert_eq!(Graph::from_files(&files).term_count(), 300);
        let t = crate::kg::load_file(&crate::vfs::RealFs, &dir.path().join("t.json"));
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!(Graph::from_files(std::slice::from_ref(&t)).term_count(), 300);
        let docs = generate_documents(&g, 3, 1);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].1.starts_with("# "));
    }

    #[test]
    fn prose_has_real_length_and_names_concepts_by_synonyms() {
        let g = generate(&GenConfig { terms_per_concept: Some(6), ..GenConfig::new(3_000) });
        let cfg = ProseConfig::new(40);
        let docs = generate_prose(&g, &cfg);
        assert_eq!(docs, generate_prose(&g, &cfg), "deterministic");
        let words: Vec<usize> = docs.iter().map(|(_, t)| t.split_whitespace().count()).collect();
        assert!(words.iter().all(|&n| (300..4_500).contains(&n)), "{words:?}");
        assert!(words.iter().any(|&n| n > 1_500), "{words:?}");
        for (path, text) in &docs {
            assert!(path.starts_with("docs/") && text.starts_with("# "), "{path}");
            assert!(text.contains("\n## "), "{path} has sections");
        }
        // Synonyms are mentioned, not only concept names.
        let all: String = docs.iter().map(|(_, t)| t.as_str()).collect();
        let synonyms = g.concepts.iter().flat_map(|c| &c.synonyms).filter(|s| all.contains(&format!(" {s} "))).count();
        assert!(synonyms > 200, "{synonyms} synonyms mentioned");
    }
}
