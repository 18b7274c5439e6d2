//! End-to-end benchmark of workspace search, printed against the targets of issue 4:
//! uncached concept + heading search and full text at 100k concepts and 20k markdown files,
//! a cached lookup, cancellation latency (cancel to all threads joined), and the cache hit
//! rate of a replayed Zipf query log (users typing terms) with the warmer on and off.
//!
//! `cargo bench --bench search` (release). Set `KG_LS_BENCH_SMALL=1` for a quick run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kg_ls::analysis::Analysis;
use kg_ls::cache::{TieredCache, TieredConfig};
use kg_ls::index::{DocHeadings, HeadingIndex, extract_headings};
use kg_ls::kg::Graph;
use kg_ls::search::warmer::{QueryLog, warm};
use kg_ls::search::{
    Cancel, Coordinator, DocFilter, Hit, Query, SearchIndex, SearchService, Slot, TextCorpus, TextService,
};
use kg_ls::synth::{GenConfig, GenGraph, Rng, Zipf, generate, generate_documents, write_documents};
use kg_ls::textindex::TextIndex;

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

struct Setup {
    g: GenGraph,
    index: SearchIndex,
    text: TextCorpus,
    _root: tempfile::TempDir,
}

fn setup(terms: usize, files: usize) -> Setup {
    let t = Instant::now();
    let g = generate(&GenConfig::new(terms));
    let graph = Graph::from_files(&g.to_kg_files());
    let docs = generate_documents(&g, files, 1);
    let root = tempfile::tempdir().unwrap();
    write_documents(root.path(), &docs).unwrap();
    let heads: Vec<DocHeadings> = docs
        .iter()
        .map(|(rel, text)| DocHeadings { path: root.path().join(rel), headings: extract_headings(text) })
        .collect();
    let a = Analysis::new(Arc::new(graph), Arc::new(HeadingIndex::build(&heads)));
    let concepts = a.graph.len();
    let t_index = Instant::now();
    let index = SearchIndex::new(a.graph.clone(), a.terms.clone(), a.headings.clone());
    let dictionaries = t_index.elapsed();
    // The full-text index of the documents, in memory, as the server builds it on disk.
    let t_text = Instant::now();
    let fs: Arc<dyn kg_ls::vfs::Vfs> = Arc::new(kg_ls::vfs::RealFs);
    let roots = vec![root.path().to_path_buf()];
    let text_index = Arc::new(TextIndex::in_memory());
    let cancel = Cancel::new();
    let wanted = kg_ls::search::wanted(&*fs, &roots, &[], &a.graph, &DocFilter::default(), &cancel).unwrap();
    let plan = kg_ls::search::plan(&wanted, &text_index.stamps().unwrap());
    kg_ls::search::apply(&text_index, &*fs, &a.graph, plan, &cancel, &mut |_, _| {}).unwrap();
    eprintln!(
        "setup: {concepts} concepts, {} terms, {files} markdown files in {:.1} s (search dictionaries {}, full-text index {})",
        g.terms.len(),
        t.elapsed().as_secs_f64(),
        ms(dictionaries),
        ms(t_text.elapsed())
    );
    let text = TextCorpus { index: text_index, files: fs, graph: a.graph.clone(), terms: a.terms.clone(), roots };
    Setup { g, index, text, _root: root }
}

/// Typing sessions: a Zipf-chosen term typed from its third character to its end.
fn query_log(g: &GenGraph, sessions: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let zipf = Zipf::new(g.terms.len().min(5_000), 1.1);
    let mut log = Vec::new();
    for _ in 0..sessions {
        let term = &g.terms[zipf.sample(&mut rng)].text;
        let chars: Vec<char> = term.chars().collect();
        for n in 3.min(chars.len())..=chars.len() {
            log.push(chars[..n].iter().collect());
        }
    }
    log
}

fn coordinator(s: &Setup, full_text: bool) -> Coordinator {
    let budget = Duration::from_millis(200);
    let mut slots = vec![
        Slot { service: s.index.concepts.clone() as Arc<dyn SearchService>, budget },
        Slot { service: s.index.headings.clone(), budget },
    ];
    if full_text {
        slots.push(Slot { service: Arc::new(TextService::new(s.text.clone())), budget });
    }
    Coordinator::new(slots)
}

fn main() {
    let small = std::env::var_os("KG_LS_BENCH_SMALL").is_some();
    let (terms, files) = if small { (16_000, 2_000) } else { (160_000, 20_000) };
    let s = setup(terms, files);
    let queries: Vec<String> = query_log(&s.g, 400, 9).into_iter().step_by(3).take(300).collect();
    let deadline = Duration::from_millis(200);

    // Each dictionary service alone, on this thread.
    for (name, service) in
        [("concepts", s.index.concepts.clone() as Arc<dyn SearchService>), ("headings", s.index.headings.clone())]
    {
        let mut lat = Vec::new();
        for q in &queries {
            let cancel = Cancel::new();
            let mut emit = |h: Vec<Hit>| {
                std::hint::black_box(h);
            };
            let mut ctl = kg_ls::search::Control::new(&cancel, None, &mut emit);
            let t = Instant::now();
            let _ = service.search(&Query::new(q, 128), &mut ctl);
            lat.push(t.elapsed());
        }
        println!("  {name:<9} alone            p50 {}  p99 {}", ms(pct(&mut lat, 0.5)), ms(pct(&mut lat, 0.99)));
    }

    // Uncached: concepts and headings.
    let dict = coordinator(&s, false);
    let mut lat = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let out = dict.run(&Query::new(q, 128), &Cancel::new(), deadline, &mut |_| {}).unwrap();
        lat.push(t.elapsed());
        std::hint::black_box(out);
    }
    let p50 = pct(&mut lat, 0.5);
    let p99 = pct(&mut lat, 0.99);
    println!("uncached concepts+headings  p50 {}  p99 {}  (target p99 <= 20 ms)", ms(p50), ms(p99));

    // Uncached with full text, and when its first hits stream out.
    let all = coordinator(&s, true);
    let (mut total, mut first_text) = (Vec::new(), Vec::new());
    let mut expired = 0;
    for q in queries.iter().take(60) {
        let t = Instant::now();
        let mut first = None;
        let out = all
            .run(&Query::new(q, 128), &Cancel::new(), deadline, &mut |b: Vec<Hit>| {
                if first.is_none() && b.iter().any(|h| h.kind == kg_ls::search::HitKind::Line) {
                    first = Some(t.elapsed());
                }
            })
            .unwrap();
        total.push(t.elapsed());
        first_text.extend(first);
        expired += usize::from(!out.expired.is_empty());
    }
    println!(
        "uncached with full text     p50 {}  p99 {}  first text batch p50 {}  ({expired}/60 hit the 200 ms budget)",
        ms(pct(&mut total, 0.5)),
        ms(pct(&mut total, 0.99)),
        if first_text.is_empty() { "-".into() } else { ms(pct(&mut first_text, 0.5)) }
    );

    // Cached: a lookup that hits L1 (what a repeated request costs besides the protocol).
    let cache: TieredCache<Vec<Hit>> =
        TieredCache::new(&TieredConfig::default(), std::sync::Arc::new(kg_ls::vfs::RealFs));
    for q in queries.iter().take(200) {
        let out = dict.run(&Query::new(q, 128), &Cancel::new(), deadline, &mut |_| {}).unwrap();
        cache.insert(q, 0, out.hits);
    }
    let mut lat = Vec::new();
    for _ in 0..20 {
        for q in queries.iter().take(200) {
            let t = Instant::now();
            let hit = cache.get(q, 0);
            lat.push(t.elapsed());
            assert!(hit.is_some());
        }
    }
    println!(
        "cached (L1)                 p50 {}  p99 {}  (target p99 <= 1 ms)",
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );

    // Cancellation: a full-text scan for a missing word, cancelled 3 ms in.
    let mut lat = Vec::new();
    for _ in 0..20 {
        let cancel = Cancel::new();
        let c2 = cancel.clone();
        let stopped = std::thread::scope(|sc| {
            let h = sc.spawn(|| {
                std::thread::sleep(Duration::from_millis(3));
                let t = Instant::now();
                c2.cancel();
                t
            });
            let r = all.run(&Query::new("qqqzzzxxx", 128), &cancel, Duration::from_secs(60), &mut |_| {});
            let end = Instant::now();
            (r, end, h.join().unwrap())
        });
        // A scan that ended before the cancel measures nothing.
        if stopped.0.is_err() {
            lat.push(stopped.1 - stopped.2);
        }
    }
    if lat.is_empty() {
        lat.push(Duration::ZERO);
    }
    println!(
        "cancel -> all threads joined p50 {}  p99 {}  (target <= 10 ms)",
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );

    // Hit rate of a replayed Zipf query log, warmer off and on.
    let log = query_log(&s.g, if small { 300 } else { 1_000 }, 11);
    for warmer in [false, true] {
        let cache: TieredCache<Vec<Hit>> =
            TieredCache::new(&TieredConfig::default(), std::sync::Arc::new(kg_ls::vfs::RealFs));
        let qlog = QueryLog::new();
        for q in &log {
            let query = Query::new(q, 128);
            qlog.record(q);
            let hits = match cache.get(&query.folded, 0) {
                Some(h) => h,
                None => cache.insert(&query.folded, 0, s.index.search_now(&query)),
            };
            if warmer {
                let names: Vec<&str> = hits.iter().take(8).map(|h| h.name.as_str()).collect();
                let next = qlog.predict(4, &names);
                let _ = warm(&next, &Cancel::new(), &|p| cache.contains(p, 0), &mut |p| {
                    cache.insert(p, 0, s.index.search_now(&Query::new(p, 128)));
                    Ok(())
                });
            }
        }
        let m = cache.metrics();
        println!(
            "hit rate, {} queries, warmer {:<3}  {:.1}%  (target with warmer >= 90%)",
            log.len(),
            if warmer { "on" } else { "off" },
            m.hit_rate() * 100.0
        );
    }
}
