//! Navigation over a graph of 150k terms and 10k documents of generated prose: building the
//! index of mentions (time and memory), and `references` of concepts through it, beside the
//! same answer found by scanning every document again (the baseline of the same run: what the
//! index saves); semantic tokens of a 2,000-line document, full and as deltas from the kept
//! result (after a one-character edit, after typing a term, and by the full recompute a delta
//! falls back to), beside pulldown-cmark's parse of it; the edit plan of renaming a concept; and the graph's
//! neighbourhood at depth 2.
//!
//! ```sh
//! cargo bench --bench navigation
//! KG_LS_BENCH_RUNS=2000 KG_LS_BENCH_DOCS=20000 cargo bench --bench navigation
//! ```
//!
//! The documents are [`kg_ls::synth::generate_prose`] text (300 to 3,000 words, one word in 25
//! a term mention, half of them by synonyms); the concept files are written as
//! `GenGraph::write_concept_files` writes them, in memory.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/fmt.rs"]
mod fmt;

use fmt::{ms, pct};
use kg_ls::check::Terminology;
use kg_ls::index::TermIndex;
use kg_ls::kg::{ConceptId, Graph};
use kg_ls::navigate::graph::{Limits, neighbourhood, view};
use kg_ls::navigate::rename::{Target, plan};
use kg_ls::navigate::tokens::{Encoded, Setup, Terms, apply, delta, encode, tokens};
use kg_ls::navigate::{Kind, MentionIndex, ReferenceSet, concept_keys, spans_of};
use kg_ls::search::Cancel;
use kg_ls::synth::{GenConfig, ProseConfig, Rng, generate, generate_prose};
use kg_ls::text::{Encoding, LineIndex};
use kg_ls::vfs::{MemFs, Vfs};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Resident memory of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn main() {
    let runs = env("KG_LS_BENCH_RUNS", 500);
    let ndocs = env("KG_LS_BENCH_DOCS", 10_000);
    let synth = generate(&GenConfig::new(150_000));
    let graph = Graph::from_files(&synth.to_kg_files());
    let terms = TermIndex::build(&graph);
    let fs = MemFs::default();
    for (i, c) in synth.concepts.iter().enumerate() {
        let mut text = format!("# {}\n\n{}\n", c.name, c.definition.trim_end());
        if !c.synonyms.is_empty() {
            text += &format!("\nsynonyms:: {}\n", c.synonyms.join(", "));
        }
        if !c.related.is_empty() {
            text += &format!("related:: {}\n", c.related.join(", "));
        }
        fs.write(format!("gen/{i}.md"), text);
    }
    let docs = generate_prose(&synth, &ProseConfig::new(ndocs));
    let bytes: usize = docs.iter().map(|(_, t)| t.len()).sum();
    let paths: Vec<Arc<Path>> = docs.iter().map(|(p, _)| Arc::from(Path::new(&format!("docs/{p}")))).collect();
    for ((_, t), p) in docs.iter().zip(&paths) {
        fs.write(p.to_path_buf(), t);
    }
    // A 2,000-line document for the semantic tokens: generated documents joined.
    let long: String = docs
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .lines()
        .take(2_000)
        .collect::<Vec<_>>()
        .join("\n");
    drop(docs);

    let before = rss();
    let start = Instant::now();
    let terms = Arc::new(terms);
    // The concept files are read for their wiki links, as the server does.
    let sources: Vec<Arc<Path>> =
        (0..synth.concepts.len()).map(|i| Arc::from(Path::new(&format!("gen/{i}.md")))).collect();
    let index = MentionIndex::build(&paths, &sources, &fs, terms.clone(), &Cancel::new()).expect("not cancelled");
    let build = start.elapsed();
    let grown = rss().saturating_sub(before);
    println!(
        "# navigation benchmark ({} concepts, {} terms; {} documents, {:.0} MB of prose)\n",
        graph.len(),
        graph.term_count(),
        paths.len(),
        bytes as f64 / 1e6
    );
    println!(
        "Mention index: {} mentions, built in {:.0} ms on every core; {:.1} MB counted on the heap, \
         resident memory grew {:.1} MB while building it.\n",
        index.mention_count(),
        build.as_secs_f64() * 1e3,
        index.heap_bytes() as f64 / 1e6,
        grown as f64 / 1e6
    );

    // Concepts drawn as the documents mention them: frequent ones often.
    let mut rng = Rng::new(7);
    let mut sample = synth.frequency_sampler();
    let picks: Vec<ConceptId> = (0..runs).map(|_| ConceptId(synth.terms[sample(&mut rng)].concept)).collect();
    let is_source = |p: &Path| p.starts_with("gen");
    let set = ReferenceSet { graph: &graph, index: &index, open: &[], is_source: &is_source, files: &fs };
    let mut found = 0usize;
    let mut largest = 0usize;
    let cancel = Cancel::new();
    println!("| what | runs | median ms | p99 ms | max ms | mean locations |");
    println!("|---|---|---|---|---|---|");
    let times = timed(&picks, |&id| {
        let r = set.references(id, true, &cancel).expect("not cancelled");
        let n = r.iter().map(|(_, s)| s.len()).sum::<usize>();
        (found, largest) = (found + n, largest.max(n));
        black_box(r);
    });
    row("references (index)", &times, found);
    println!("\nThe largest answer had {largest} locations.\n");
    let mut found = 0usize;
    let times = timed(&picks, |&id| {
        let keys = concept_keys(&graph, id, &terms);
        let r = index.find(&keys, &|_| false, &cancel).expect("not cancelled");
        found += r.iter().map(|(_, s)| s.len()).sum::<usize>();
    });
    row("of which the documents' mentions (index lookup)", &times, found);
    let related: Vec<usize> = picks.iter().map(|&id| graph.concept(id).related_by().len()).collect();
    println!(
        "\nConcept files naming the concept read per query: mean {:.1}, max {}.\n",
        related.iter().sum::<usize>() as f64 / related.len() as f64,
        related.iter().max().unwrap_or(&0)
    );
    // The baseline: the same mentions found by scanning every document's text again.
    let few = &picks[..picks.len().min(5)];
    let mut found = 0usize;
    let times = timed(few, |&id| {
        let keys = concept_keys(&graph, id, &terms);
        for p in &paths {
            let text = String::from_utf8(fs.read(p, u64::MAX).expect("in memory")).expect("UTF-8");
            found += spans_of(&text, Kind::Document, &terms, &keys).len();
        }
    });
    row("the same, scanning every document (baseline)", &times, found);
    let mut found = 0usize;
    let times = timed(few, |&id| {
        found += set.references(id, true, &cancel).expect("not cancelled").iter().map(|(_, s)| s.len()).sum::<usize>();
    });
    row("references (index) of the same concepts", &times, found);

    // Renaming a concept: the whole edit plan (files, headings, related entries, prose).
    let terminology = Terminology::build(&graph);
    let _ = graph.term_table();
    let mut edits = 0usize;
    let mut n = 0usize;
    let times = timed(&picks, |&id| {
        n += 1;
        if let Ok(p) = plan(&set, &terminology, &Target::Concept(id), &format!("renamed concept {n}"), &cancel) {
            edits += p.files.iter().map(|f| f.edits.len()).sum::<usize>();
        }
    });
    row("rename: the edit plan of a concept (mean edits in last column)", &times, edits);

    // Semantic tokens of one long document.
    let t = Terms { graph: &graph, terms: &terms, terminology: &terminology };
    // A full answer as the server computes it (found and encoded in parts on every core).
    let setup = Setup { kind: Kind::Document, code: false, enc: Encoding::Utf16, mask: u32::MAX };
    let full = |text: &str| Encoded::new(text, &LineIndex::new(text), t, setup).data;
    // The same as one walk and one encoding, for the check below.
    let one = tokens(&long, Kind::Document, t, false);
    let serial = encode(&long, &LineIndex::new(&long), &one, Encoding::Utf16, u32::MAX, None);
    assert_eq!(full(&long), serial);
    let before = full(&long);
    let mut edited = long.clone();
    edited.insert(long.len() / 2, 'x');
    let reps: Vec<()> = vec![(); runs.min(200)];
    println!(
        "\nSemantic tokens: {} lines ({} KB), {} tokens.\n",
        long.lines().count(),
        long.len() / 1000,
        before.len() / 5
    );
    println!("| what | runs | median ms | p99 ms | max ms | |");
    println!("|---|---|---|---|---|---|");
    let mut opts = pulldown_cmark::Options::empty();
    opts.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let times = timed(&reps, |_| {
        black_box(pulldown_cmark::Parser::new_ext(&long, opts).into_offset_iter().count());
    });
    row("pulldown-cmark parse of the document (baseline)", &times, 0);
    let times = timed(&reps, |_| {
        black_box(full(&long));
    });
    row("semantic tokens, full", &times, 0);
    // Where a full answer's time goes.
    let times = timed(&reps, |_| {
        black_box(kg_ls::navigate::mentions::mentions(&long, Kind::Document, &terms, false));
    });
    row("of which the terms' walk (mentions, on one core)", &times, 0);
    println!("| (the graph has avoided terms: {}) | | | | | |", terminology.has_avoided());
    let toks = tokens(&long, Kind::Document, t, false);
    let lines = LineIndex::new(&long);
    let times = timed(&reps, |_| {
        black_box(encode(&long, &lines, &toks, Encoding::Utf16, u32::MAX, None));
    });
    row("of which encoding the tokens", &times, 0);
    // A delta as the server computes it: from the tokens kept with the last result.
    let kept = Encoded::new(&long, &LineIndex::new(&long), t, setup);
    assert_eq!(kept.data, before);
    let delta_to = |text: &str| kept.update(&long, text, &LineIndex::new(text), t, setup);
    // The edit gives what a full recompute gives.
    let check = |text: &str| {
        let (new, edit) = delta_to(text);
        assert_eq!(new.data, full(text));
        assert_eq!(edit.map_or(before.clone(), |e| apply(&before, &e)), new.data);
    };
    check(&edited);
    let times = timed(&reps, |_| {
        black_box(delta_to(&edited));
    });
    row("semantic tokens, delta after a one-character edit", &times, 0);
    // Typing a word (a term) into the middle of a paragraph.
    let at = long[long.len() / 3..].find(". ").map_or(long.len() / 3, |i| long.len() / 3 + i + 2);
    let mut typed = long.clone();
    typed.insert_str(at, &format!("{} ", graph.concept(picks[0]).name()));
    check(&typed);
    let times = timed(&reps, |_| {
        black_box(delta_to(&typed));
    });
    row("semantic tokens, delta after typing a term in a paragraph", &times, 0);
    let times = timed(&reps, |_| {
        black_box(delta(&before, &full(&edited)));
    });
    row("semantic tokens, delta by a full recompute and diff (the fallback)", &times, 0);

    // The neighbourhood of a concept at depth 2, as kg-ls/graph answers it: mentions from the
    // index.
    let count = |id| index.count(&concept_keys(&graph, id, &terms));
    let reps = &picks[..picks.len().min(500)];
    let mut nodes = 0usize;
    let times = timed(reps, |&id| {
        let n = neighbourhood(&graph, &[id], 2, &count, Limits::default());
        nodes += n.nodes.len();
        black_box(view(&graph, &n, &|p| p.display().to_string(), &|p| p.display().to_string()));
    });
    println!();
    row("kg-ls/graph depth 2 (neighbourhood and view; mean nodes in last column)", &times, nodes);
}

fn timed<T>(items: &[T], mut f: impl FnMut(&T)) -> Vec<Duration> {
    let mut times: Vec<Duration> = items
        .iter()
        .map(|x| {
            let start = Instant::now();
            f(x);
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn row(name: &str, times: &[Duration], found: usize) {
    println!(
        "| {name} | {} | {} | {} | {} | {:.0} |",
        times.len(),
        ms(pct(times, 0.5)),
        ms(pct(times, 0.99)),
        ms(times[times.len() - 1]),
        found as f64 / times.len() as f64
    );
}
