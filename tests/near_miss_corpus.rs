//! Measurements of the document checks on real text, not part of the normal test run (both
//! tests are `#[ignore]`): how many near-miss findings a real documentation corpus gets from a
//! real glossary, and how long [`Terminology::build`] takes on a large graph. They print
//! figures and findings for a person to judge; they assert only that they ran.
//!
//! ```sh
//! # a markdown corpus (e.g. the Rust book's src/) and a Terraphim thesaurus
//! KG_LS_CORPUS=/tmp/book/src \
//! KG_LS_THESAURUS=/work/shared/fixtures/terraphim/terraphim_server/fixtures/thesaurus_Default.json \
//!   cargo test --release --test near_miss_corpus -- --ignored --nocapture near_miss_findings
//! cargo test --release --test near_miss_corpus -- --ignored --nocapture terminology_build
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use kg_ls::check::{CheckId, Level, Levels, Terminology, check_document};
use kg_ls::kg::{Graph, parse_thesaurus};

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read the corpus folder").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

#[test]
#[ignore = "a measurement: needs KG_LS_CORPUS (a folder of markdown) and KG_LS_THESAURUS"]
fn near_miss_findings() {
    let corpus = std::env::var("KG_LS_CORPUS").expect("KG_LS_CORPUS: a folder of markdown documents");
    let thesaurus = std::env::var("KG_LS_THESAURUS").expect("KG_LS_THESAURUS: a Terraphim thesaurus JSON");
    let json = std::fs::read_to_string(&thesaurus).expect("read the thesaurus");
    let file = parse_thesaurus(Path::new(&thesaurus), &json);
    let graph = Graph::from_files(&[file]);
    let terms = Terminology::build(&graph);
    let mut levels = Levels::default();
    levels.set(CheckId::AvoidedTerm, Level::Off);
    levels.set(CheckId::NearMiss, Level::Hint);
    levels.set(CheckId::NonCanonicalTerm, Level::Hint);

    let mut files = Vec::new();
    markdown_files(Path::new(&corpus), &mut files);
    let (mut words, mut near, mut synonyms) = (0usize, 0usize, 0usize);
    let start = Instant::now();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read a document");
        words += text.split_whitespace().count();
        for finding in check_document(&text, &terms, &levels) {
            let line = text[..finding.range.start].matches('\n').count() + 1;
            println!("{}:{line}: {}: {}", f.display(), finding.check.id(), finding.message);
            match finding.check {
                CheckId::NearMiss => near += 1,
                _ => synonyms += 1,
            }
        }
    }
    let per = |n: usize| n as f64 * 10_000.0 / words.max(1) as f64;
    println!(
        "{} documents, {words} words, {} concepts, {} terms; checked in {:?}",
        files.len(),
        graph.len(),
        graph.term_count(),
        start.elapsed()
    );
    println!("near-miss: {near} findings, {:.2} per 10,000 words", per(near));
    println!("non-canonical-term: {synonyms} findings, {:.2} per 10,000 words", per(synonyms));
}

#[test]
#[ignore = "a measurement: Terminology::build on 200k synthetic concepts"]
fn terminology_build() {
    let synth = kg_ls::synth::generate(&kg_ls::synth::GenConfig::new(320_000));
    let graph = Graph::from_files(&synth.to_kg_files());
    let start = Instant::now();
    let terms = Terminology::build(&graph);
    let took = start.elapsed();
    println!(
        "Terminology::build: {} concepts, {} terms in {took:?} (multi-word phrase max {} words)",
        graph.len(),
        graph.term_count(),
        terms.max_words()
    );
}
