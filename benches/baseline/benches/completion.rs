//! The completion engine beside `terraphim_automata` 2.1.0, on the same generated terms.
//!
//! ```sh
//! cargo bench -p kg-ls-baseline --bench completion                            # 10k, 150k and 1M terms
//! KG_LS_BENCH_QUICK=1 cargo bench -p kg-ls-baseline --bench completion        # 10k and 150k, fewer queries
//! KG_LS_BENCH_SIZES=10000,150000 cargo bench -p kg-ls-baseline --bench completion
//! ```
//!
//! For each size it generates one synthetic graph ([`kg_ls::synth`]), weights terms by the
//! generator's Zipf frequencies, and measures on that same data, for kg-ls and for
//! `terraphim_automata`: index build time, bytes per term, opening the persisted index,
//! per-query latency percentiles of prefix and fuzzy completion, typo recall and keystroke
//! savings. Every table is printed as markdown, ready for `docs/performance.md`. The real
//! server's start-up on the same kind of graph is kg-ls's own bench, `benches/startup.rs`.
//!
//! Latencies are wall-clock times of single calls measured with `Instant` (criterion's
//! sampling gives means, not the tail percentiles the targets are about). Terraphim's fuzzy
//! search scans every term, so it runs on fewer queries, within a time budget, and the output
//! says how many.

use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../../common/fmt.rs"]
mod fmt;

use fmt::{fmt_ms, human};
use kg_ls::analysis::{Analysis, build_completion_index};
use kg_ls::index::{CompletionIndex, LayeredIndex, persist};
use kg_ls::kg::Graph;
use kg_ls::synth::{GenConfig, GenGraph, Rng, generate};
use kg_ls::text::fold;
use terraphim_automata::{
    autocomplete_search, build_autocomplete_index, deserialize_autocomplete_index, fuzzy_autocomplete_search,
    load_thesaurus_from_json, serialize_autocomplete_index,
};

/// Results asked of every engine per query, as the server's default completion limit.
const LIMIT: usize = 50;
/// Timed passes over each query set (each query keeps its fastest); Terraphim's fuzzy scan
/// gets one.
const RUNS: usize = 3;
/// Terraphim's Jaro-Winkler threshold, as in its own benchmarks.
const TERRAPHIM_MIN_SIMILARITY: f64 = 0.6;

/// How much work one run does.
#[derive(Clone, Copy, Debug)]
struct Plan {
    prefix_queries: usize,
    /// Typos per class (one edit, two edits).
    typos: usize,
    savings_targets: usize,
    /// Most Terraphim fuzzy queries per size, and the seconds they may take together.
    terraphim_fuzzy_max: usize,
    terraphim_fuzzy_budget: Duration,
}

const FULL: Plan = Plan {
    prefix_queries: 5_000,
    typos: 1_000,
    savings_targets: 1_000,
    terraphim_fuzzy_max: 200,
    terraphim_fuzzy_budget: Duration::from_secs(40),
};
const QUICK: Plan = Plan {
    prefix_queries: 2_000,
    typos: 400,
    savings_targets: 400,
    terraphim_fuzzy_max: 100,
    terraphim_fuzzy_budget: Duration::from_secs(15),
};

fn main() {
    let quick = std::env::var_os("KG_LS_BENCH_QUICK").is_some_and(|v| v != "0");
    let plan = if quick { QUICK } else { FULL };
    let sizes: Vec<usize> = match std::env::var("KG_LS_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|p| p.trim().replace('_', "").parse().ok()).collect(),
        Err(_) if quick => vec![10_000, 150_000],
        Err(_) => vec![10_000, 150_000, 1_000_000],
    };
    println!("# kg-ls completion benchmark ({} mode, sizes {sizes:?})\n", if quick { "quick" } else { "full" });
    let mut quality = Vec::new();
    for &n in &sizes {
        quality.extend(bench_size(n, &plan));
    }
    print_quality(&quality);
}

// ---------------------------------------------------------------------------------------
// One size: build, bytes, open, latency, quality.

/// Quality figures of one size, for the final table.
struct Quality {
    size: usize,
    ours: QualityFigures,
    theirs: QualityFigures,
    /// Terraphim typo queries per class (fewer than ours: its fuzzy search is a full scan).
    theirs_typos: usize,
    typos: usize,
    savings_targets: usize,
}

#[derive(Default)]
struct QualityFigures {
    one_at1: f64,
    one_at5: f64,
    two_at1: f64,
    two_at5: f64,
    savings: f64,
}

fn bench_size(n: usize, plan: &Plan) -> Option<Quality> {
    println!("## {} terms\n", human(n));
    // A million terms: fewer queries and one timed pass, to keep the run within minutes.
    let (plan, runs) = if n >= 1_000_000 {
        let p = Plan {
            prefix_queries: plan.prefix_queries.min(2_000),
            typos: plan.typos.min(300),
            savings_targets: plan.savings_targets.min(300),
            ..*plan
        };
        (p, 1)
    } else {
        (*plan, RUNS)
    };
    let plan = &plan;
    let t = Instant::now();
    let g = generate(&GenConfig::new(n));
    let occurrences: HashMap<String, u64> = g.terms.iter().map(|t| (fold(&t.text), t.frequency)).collect();
    let graph = Graph::from_files(&g.to_kg_files());
    eprintln!("[{}] generated graph in {:.1} s", human(n), t.elapsed().as_secs_f64());

    // Build, bytes, persist and open.
    let t = Instant::now();
    let index = build_completion_index(&graph, &occurrences);
    let build = t.elapsed();
    drop(graph);
    let fst_bytes = index.fst_bytes();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("completion.idx");
    persist::save(&kg_ls::vfs::RealFs, &index, &path).expect("save the index");
    let file_bytes = std::fs::metadata(&path).expect("saved index").len() as usize;
    let open =
        median_time(5, || drop(black_box(persist::open(&kg_ls::vfs::RealFs, &path).expect("open the saved index"))));
    let a = Analysis { completion: Arc::new(LayeredIndex::from(index)), ..Analysis::default() };
    let idx: &CompletionIndex = &a.completion.main;

    // Queries, all from one seed per size.
    let mut rng = Rng::new(0xBE7C + n as u64);
    let mut sample = g.frequency_sampler();
    let prefixes: Vec<String> = (0..plan.prefix_queries)
        .map(|_| {
            let text = &g.terms[sample(&mut rng)].text;
            let len = 1 + rng.below(6);
            text.chars().take(len).collect::<String>().trim_end().to_string()
        })
        .collect();
    let keys: HashSet<String> = g.terms.iter().map(|t| fold(&t.text)).collect();
    let long: Vec<usize> = (0..g.terms.len()).filter(|&i| g.terms[i].text.chars().count() >= 5).collect();
    let one = typos(&g, &long, &keys, 1, plan.typos, &mut rng);
    let two = typos(&g, &long, &keys, 2, plan.typos, &mut rng);
    let fuzzy_queries: Vec<&Typo> = one.iter().zip(&two).flat_map(|(a, b)| [a, b]).collect();
    let savings_targets: Vec<usize> = (0..plan.savings_targets).map(|_| sample(&mut rng)).collect();

    // kg-ls latency: the engine's calls, and the whole path the server runs per request.
    let none = |_: u32| 0.0;
    let prefix_index = latencies(&prefixes, runs, |q| idx.prefix(&fold(q), LIMIT, &none).len());
    let prefix_full = latencies(&prefixes, runs, |q| a.completions(q, q.len(), LIMIT).items.len());
    let fuzzy_index = latencies(&fuzzy_queries, runs, |t| idx.fuzzy(&fold(&t.typo), LIMIT, &none).len());
    let fuzzy_full = latencies(&fuzzy_queries, runs, |t| a.completions(&t.typo, t.typo.len(), LIMIT).items.len());

    for (name, d, show) in [
        ("prefix, whole request", &prefix_full, &|i: usize| prefixes[i].clone() as String),
        ("fuzzy, whole request", &fuzzy_full, &|i: usize| fuzzy_queries[i].typo.clone()),
    ] as [(&str, &Dist, &dyn Fn(usize) -> String); 2]
    {
        let slow: Vec<String> = d
            .slowest(5)
            .map(|(t, i)| {
                let q = show(i);
                let matches = idx.prefix(&fold(&q), usize::MAX, &none).len();
                format!("{q:?} {:.2} ms ({matches} prefix matches)", t.as_secs_f64() * 1e3)
            })
            .collect();
        eprintln!("[{}] slowest {name}: {}", human(n), slow.join(", "));
    }

    // kg-ls quality.
    let ours_rank = |t: &Typo| {
        let c = a.completions(&t.typo, t.typo.len(), LIMIT);
        c.items.iter().position(|i| *i.term == *g.terms[t.term].text)
    };
    let mut ours = QualityFigures::default();
    (ours.one_at1, ours.one_at5) = recall(one.iter().map(ours_rank));
    (ours.two_at1, ours.two_at5) = recall(two.iter().map(ours_rank));
    ours.savings = savings(&g, &savings_targets, |typed, target| {
        a.completions(typed, typed.len(), LIMIT).items.iter().take(5).any(|i| *i.term == *target)
    });
    drop(a);

    // terraphim_automata on the same terms, read from their thesaurus JSON.
    let json_path = dir.path().join("kg.json");
    g.write_thesaurus(&json_path).expect("write the thesaurus");
    let json = std::fs::read_to_string(&json_path).expect("read the thesaurus");
    let thesaurus = load_thesaurus_from_json(&json).expect("terraphim reads the thesaurus");
    drop(json);
    let t = Instant::now();
    let theirs_index = build_autocomplete_index(thesaurus, None).expect("terraphim builds its index");
    let theirs_build = t.elapsed();
    let serialized = serialize_autocomplete_index(&theirs_index).expect("terraphim serializes its index");
    let theirs_open = median_time(3, || drop(black_box(deserialize_autocomplete_index(&serialized).unwrap())));
    let theirs_bytes = serialized.len();
    drop(serialized);
    let theirs_prefix =
        latencies(&prefixes, RUNS, |q| autocomplete_search(&theirs_index, q, Some(LIMIT)).unwrap().len());

    // Terraphim's fuzzy search: as many typo queries as the budget allows, both classes alike.
    let theirs_fuzzy_search =
        |q: &str| fuzzy_autocomplete_search(&theirs_index, q, TERRAPHIM_MIN_SIMILARITY, Some(LIMIT)).unwrap();
    let probe = Instant::now();
    for t in fuzzy_queries.iter().take(4) {
        black_box(theirs_fuzzy_search(&t.typo));
    }
    let per_query = probe.elapsed() / 4;
    let affordable = (plan.terraphim_fuzzy_budget.as_secs_f64() / per_query.as_secs_f64()) as usize;
    let theirs_n = affordable.min(plan.terraphim_fuzzy_max).min(fuzzy_queries.len()) & !1;
    let (theirs_fuzzy, theirs_quality) = if theirs_n >= 20 {
        eprintln!(
            "[{}] terraphim fuzzy: {:.0} ms per query, running {theirs_n} of {} typo queries",
            human(n),
            per_query.as_secs_f64() * 1e3,
            fuzzy_queries.len()
        );
        let mut ranks = Vec::with_capacity(theirs_n);
        let dist = latencies(&fuzzy_queries[..theirs_n], 1, |t| {
            let r = theirs_fuzzy_search(&t.typo);
            let target = g.terms[t.term].text.to_lowercase();
            ranks.push((t.edits, r.iter().position(|x| x.term == target)));
            r.len()
        });
        let mut q = QualityFigures::default();
        (q.one_at1, q.one_at5) = recall(ranks.iter().filter(|r| r.0 == 1).map(|r| r.1));
        (q.two_at1, q.two_at5) = recall(ranks.iter().filter(|r| r.0 == 2).map(|r| r.1));
        (Some(dist), Some(q))
    } else {
        eprintln!(
            "[{}] terraphim fuzzy skipped: {:.0} ms per query, fewer than 20 queries fit in {} s",
            human(n),
            per_query.as_secs_f64() * 1e3,
            plan.terraphim_fuzzy_budget.as_secs()
        );
        (None, None)
    };
    let theirs_savings = savings(&g, &savings_targets, |typed, target| {
        let target = target.to_lowercase();
        autocomplete_search(&theirs_index, typed, Some(5)).unwrap().iter().any(|r| r.term == target)
    });
    drop(theirs_index);

    // The table.
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut rows: Vec<Row> = Vec::new();
    rows.push(Row::new("index build", fmt_ms(ms(build)), fmt_ms(ms(theirs_build))).ratio(ms(build), ms(theirs_build)));
    rows.push(Row::new("fst bytes per term", format!("{:.1}", fst_bytes as f64 / n as f64), "–".into()));
    rows.push(
        Row::new(
            "persisted bytes per term (fst + metadata)",
            format!("{:.1}", file_bytes as f64 / n as f64),
            format!("{:.1}", theirs_bytes as f64 / n as f64),
        )
        .ratio(file_bytes as f64, theirs_bytes as f64)
        .target("≤ 40", file_bytes as f64 / n as f64 <= 40.0),
    );
    rows.push(
        Row::new("open the persisted index (in-process)", fmt_ms(ms(open)), fmt_ms(ms(theirs_open)))
            .ratio(ms(open), ms(theirs_open)),
    );
    let prefix_target = (n >= 1_000_000).then_some(200.0);
    for (name, d, target) in [
        ("prefix, engine `prefix()`", &prefix_index, None),
        ("prefix, whole request `Analysis::completions`", &prefix_full, prefix_target),
    ] {
        for (p, label) in [(0.5, "p50"), (0.99, "p99")] {
            let mut row =
                Row::new(&format!("{name} {label} (µs)"), fmt_us(us(d.pct(p))), fmt_us(us(theirs_prefix.pct(p))))
                    .ratio(us(d.pct(p)), us(theirs_prefix.pct(p)));
            if label == "p99"
                && let Some(t) = target
            {
                row = row.target("≤ 200 µs", us(d.pct(p)) <= t);
            }
            rows.push(row);
        }
    }
    rows.push(Row::new(
        "prefix, whole request p95 / max (µs)",
        format!("{} / {}", fmt_us(us(prefix_full.pct(0.95))), fmt_us(us(prefix_full.max()))),
        format!("{} / {}", fmt_us(us(theirs_prefix.pct(0.95))), fmt_us(us(theirs_prefix.max()))),
    ));
    let fuzzy_target = match n {
        n if n >= 1_000_000 => Some(5.0),
        n if n >= 150_000 => Some(2.0),
        _ => None,
    };
    for (name, d, whole) in [
        ("fuzzy, engine `fuzzy()`", &fuzzy_index, false),
        ("fuzzy, whole request `Analysis::completions`", &fuzzy_full, true),
    ] {
        for (p, label) in [(0.5, "p50"), (0.99, "p99")] {
            let theirs = theirs_fuzzy.as_ref().map(|t| ms(t.pct(p)));
            let mut row = Row::new(
                &format!("{name} {label} (ms)"),
                format!("{:.3}", ms(d.pct(p))),
                theirs.map_or("skipped".into(), |t| format!("{t:.1}")),
            );
            if let Some(t) = theirs {
                row = row.ratio(ms(d.pct(p)), t);
            }
            if whole && label == "p99" {
                let mut goals = Vec::new();
                let mut met = true;
                if let Some(t) = fuzzy_target {
                    goals.push(format!("≤ {t} ms"));
                    met &= ms(d.pct(p)) <= t;
                }
                if let Some(t) = theirs {
                    goals.push("≤ 1/50 of Terraphim".to_string());
                    met &= ms(d.pct(p)) <= t / 50.0;
                }
                if !goals.is_empty() {
                    row = row.target(&goals.join(", "), met);
                }
            }
            rows.push(row);
        }
    }
    rows.push(Row::new(
        "fuzzy, whole request p95 / max (ms)",
        format!("{:.3} / {:.3}", ms(fuzzy_full.pct(0.95)), ms(fuzzy_full.max())),
        theirs_fuzzy.as_ref().map_or("skipped".into(), |t| format!("{:.1} / {:.1}", ms(t.pct(0.95)), ms(t.max()))),
    ));
    print_table(&rows);
    println!(
        "\n{} prefix queries (1–6 characters of frequency-sampled terms), {} typo queries for kg-ls, {} for \
         Terraphim's fuzzy search (a full scan, Jaro-Winkler ≥ {TERRAPHIM_MIN_SIMILARITY}, one timed pass); the other \
         latencies are each query's fastest of {runs} timed passes; every engine asked for \
         {LIMIT} results. Ratio = kg-ls / terraphim_automata.\n",
        prefixes.len(),
        fuzzy_queries.len(),
        if theirs_n >= 20 { theirs_n.to_string() } else { "none".into() },
    );
    let theirs_quality = theirs_quality.map(|mut q| {
        q.savings = theirs_savings;
        q
    });
    Some(Quality {
        size: n,
        ours,
        theirs: theirs_quality.unwrap_or(QualityFigures {
            one_at1: f64::NAN,
            one_at5: f64::NAN,
            two_at1: f64::NAN,
            two_at5: f64::NAN,
            savings: theirs_savings,
        }),
        theirs_typos: if theirs_n >= 20 { theirs_n / 2 } else { 0 },
        typos: plan.typos,
        savings_targets: plan.savings_targets,
    })
}

fn print_quality(q: &[Quality]) {
    println!("## Quality\n");
    println!("| terms | measure | kg-ls | terraphim_automata | target | met? |");
    println!("|---|---|---|---|---|---|");
    for q in q {
        let s = human(q.size);
        let pct = |x: f64| if x.is_nan() { "skipped".to_string() } else { format!("{:.1}%", x * 100.0) };
        let at_least = |ours: f64, theirs: f64, min: f64| ours >= min && (theirs.is_nan() || ours >= theirs);
        let yes = |b: bool| if b { "yes" } else { "**no**" };
        let (o, t) = (&q.ours, &q.theirs);
        println!(
            "| {s} | one-edit typos, recall@1 | {} | {} | ≥ 92% and ≥ Terraphim | {} |",
            pct(o.one_at1),
            pct(t.one_at1),
            yes(at_least(o.one_at1, t.one_at1, 0.92))
        );
        println!(
            "| {s} | one-edit typos, recall@5 | {} | {} | ≥ 98% and ≥ Terraphim | {} |",
            pct(o.one_at5),
            pct(t.one_at5),
            yes(at_least(o.one_at5, t.one_at5, 0.98))
        );
        println!("| {s} | two-edit typos, recall@1 | {} | {} | – | – |", pct(o.two_at1), pct(t.two_at1));
        println!(
            "| {s} | two-edit typos, recall@5 | {} | {} | ≥ 94% and ≥ Terraphim | {} |",
            pct(o.two_at5),
            pct(t.two_at5),
            yes(at_least(o.two_at5, t.two_at5, 0.94))
        );
        println!(
            "| {s} | keystroke savings (frequency-weighted) | {} | {} | ≥ 45% | {} |",
            pct(o.savings),
            pct(t.savings),
            yes(o.savings >= 0.45)
        );
    }
    if let Some(q) = q.first() {
        println!(
            "\nTypos: {} per class for kg-ls ({} for Terraphim at {}; see each size's note), one or two random \
             inserts, deletions, substitutions or transpositions of a term of 5+ characters drawn uniformly; a typo \
             that is itself a term is redrawn. A hit is the original term among the first 1 or 5 results. kg-ls \
             answers through `Analysis::completions` (what the server runs), Terraphim through \
             `fuzzy_autocomplete_search`. Keystroke savings: {} targets drawn by frequency, typed one character \
             at a time until the target is among the first 5 (kg-ls: `Analysis::completions`, Terraphim: \
             `autocomplete_search` with limit 5); savings = 1 − typed / length, 0 when never.\n",
            q.typos,
            q.theirs_typos,
            human(q.size),
            q.savings_targets
        );
    }
}

// ---------------------------------------------------------------------------------------
// Queries.

struct Typo {
    term: usize,
    typo: String,
    edits: u8,
}

/// `count` typos of exactly `edits` edits (Damerau-Levenshtein) of terms drawn from `pool`.
fn typos(g: &GenGraph, pool: &[usize], keys: &HashSet<String>, edits: u8, count: usize, rng: &mut Rng) -> Vec<Typo> {
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let term = pool[rng.below(pool.len())];
        let text = &g.terms[term].text;
        let mut c: Vec<char> = text.chars().collect();
        for _ in 0..edits {
            let letter = (b'a' + rng.below(26) as u8) as char;
            match rng.below(4) {
                0 => c.insert(rng.below(c.len() + 1), letter),
                1 => {
                    c.remove(rng.below(c.len()));
                }
                2 => {
                    let i = rng.below(c.len());
                    c[i] = letter;
                }
                _ => {
                    let i = rng.below(c.len() - 1);
                    c.swap(i, i + 1);
                }
            }
        }
        let typo: String = c.into_iter().collect();
        if strsim::damerau_levenshtein(text, &typo) == edits as usize
            && !typo.starts_with(' ')
            && !typo.ends_with(' ')
            && !typo.contains("  ")
            && !keys.contains(&fold(&typo))
        {
            out.push(Typo { term, typo, edits });
        }
    }
    out
}

/// Recall@1 and recall@5 from the rank of the wanted term in each answer.
fn recall(ranks: impl Iterator<Item = Option<usize>>) -> (f64, f64) {
    let (mut n, mut at1, mut at5) = (0, 0, 0);
    for r in ranks {
        n += 1;
        at1 += usize::from(r == Some(0));
        at5 += usize::from(r.is_some_and(|r| r < 5));
    }
    (at1 as f64 / n.max(1) as f64, at5 as f64 / n.max(1) as f64)
}

/// Mean keystroke savings: each target typed one character at a time until `shown(typed,
/// target)` says it is among the first five.
fn savings(g: &GenGraph, targets: &[usize], shown: impl Fn(&str, &str) -> bool) -> f64 {
    let mut total = 0.0;
    for &t in targets {
        let text = &g.terms[t].text;
        let len = text.chars().count();
        for (typed, (i, c)) in text.char_indices().enumerate() {
            if shown(&text[..i + c.len_utf8()], text) {
                total += 1.0 - (typed + 1) as f64 / len as f64;
                break;
            }
        }
    }
    total / targets.len().max(1) as f64
}

// ---------------------------------------------------------------------------------------
// Timing.

/// Per-query latencies, sorted, with the query each came from.
struct Dist(Vec<(Duration, usize)>);

impl Dist {
    fn pct(&self, p: f64) -> Duration {
        let i = ((p * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len()) - 1;
        self.0[i].0
    }

    fn max(&self) -> Duration {
        self.0.last().expect("samples").0
    }

    /// The indexes of the `k` slowest queries, slowest first.
    fn slowest(&self, k: usize) -> impl Iterator<Item = (Duration, usize)> + '_ {
        self.0.iter().rev().take(k).copied()
    }
}

/// Times `f` once per query in each of `runs` passes (after an untimed pass over the first
/// queries when `runs > 1`) and keeps each query's fastest time: on a shared machine this removes the
/// scheduler's pauses but keeps every query's own cost, tail included.
fn latencies<Q>(queries: &[Q], runs: usize, mut f: impl FnMut(&Q) -> usize) -> Dist {
    for q in queries.iter().take(if runs > 1 { 200 } else { 0 }) {
        black_box(f(q));
    }
    let mut best = vec![Duration::MAX; queries.len()];
    for _ in 0..runs {
        for (q, b) in queries.iter().zip(&mut best) {
            let t = Instant::now();
            black_box(f(black_box(q)));
            *b = (*b).min(t.elapsed());
        }
    }
    let mut samples: Vec<(Duration, usize)> = best.into_iter().zip(0..).collect();
    samples.sort();
    Dist(samples)
}

fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

// ---------------------------------------------------------------------------------------
// Tables.

struct Row {
    measure: String,
    ours: String,
    theirs: String,
    ratio: String,
    target: String,
    met: String,
}

impl Row {
    fn new(measure: &str, ours: String, theirs: String) -> Row {
        Row { measure: measure.into(), ours, theirs, ratio: "–".into(), target: "–".into(), met: "–".into() }
    }

    fn ratio(mut self, ours: f64, theirs: f64) -> Row {
        self.ratio = if theirs > 0.0 {
            let r = ours / theirs;
            if r < 0.01 { format!("1/{:.0}", 1.0 / r) } else { format!("{r:.2}") }
        } else {
            "–".into()
        };
        self
    }

    fn target(mut self, target: &str, met: bool) -> Row {
        self.target = target.into();
        self.met = if met { "yes".into() } else { "**no**".into() };
        self
    }
}

fn print_table(rows: &[Row]) {
    println!("| measure | kg-ls | terraphim_automata | ratio | target | met? |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("| {} | {} | {} | {} | {} | {} |", r.measure, r.ours, r.theirs, r.ratio, r.target, r.met);
    }
}

fn fmt_us(us: f64) -> String {
    if us >= 100.0 { format!("{us:.0}") } else { format!("{us:.1}") }
}
