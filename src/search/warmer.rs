//! The cache warmer's brain: a log of queries (how often, how recently, what followed what)
//! and a prediction of the queries most likely to come next, plus [`warm`], which computes
//! the predicted queries that are not cached yet, stopping as soon as it is cancelled.
//!
//! Predictions come from three signals: queries that followed the last one before (typing
//! `tok` is usually followed by `toki`), frequency with recency decay, and the one-character
//! extensions of the last query towards its best hits (how a user goes on typing). What is
//! computed and where it is stored is the caller's business; nothing here does I/O.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use dashmap::DashMap;
use parking_lot::Mutex;

use super::{Cancel, Cancelled};
use crate::text::fold;

/// How many recorded queries halve a query's recency weight.
const HALF_LIFE: f64 = 200.0;

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    count: u64,
    last: u64,
}

/// Every query recorded so far (folded), with frequency, recency and successors.
#[derive(Debug, Default)]
pub struct QueryLog {
    entries: DashMap<String, Entry>,
    follows: DashMap<String, HashMap<String, u32>>,
    last: Mutex<Option<String>>,
    clock: AtomicU64,
}

impl QueryLog {
    pub fn new() -> QueryLog {
        QueryLog::default()
    }

    /// Records that `query` was asked.
    pub fn record(&self, query: &str) {
        let q = fold(query.trim());
        let now = self.clock.fetch_add(1, Relaxed) + 1;
        let mut e = self.entries.entry(q.clone()).or_default();
        e.count += 1;
        e.last = now;
        drop(e);
        let prev = self.last.lock().replace(q.clone());
        if let Some(prev) = prev.filter(|p| *p != q) {
            *self.follows.entry(prev).or_default().entry(q).or_default() += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last query recorded.
    pub fn last(&self) -> Option<String> {
        self.last.lock().clone()
    }

    /// The `n` queries most likely to come next, best first. `names` are the names of the
    /// last query's best hits, which suggest how it will be typed on.
    pub fn predict(&self, n: usize, names: &[&str]) -> Vec<String> {
        let now = self.clock.load(Relaxed) as f64;
        let mut score: HashMap<String, f64> = HashMap::new();
        let last = self.last();
        if let Some(last) = &last {
            if let Some(next) = self.follows.get(last) {
                let total: u32 = next.values().sum();
                for (q, c) in next.iter() {
                    *score.entry(q.clone()).or_default() += 1000.0 * f64::from(*c) / f64::from(total.max(1));
                }
            }
            for (i, ext) in extensions(last, names).into_iter().enumerate() {
                *score.entry(ext).or_default() += 500.0 / (i as f64 + 1.0);
            }
        }
        for e in self.entries.iter() {
            let age = now - e.last as f64;
            *score.entry(e.key().clone()).or_default() += e.count as f64 * 0.5f64.powf(age / HALF_LIFE);
        }
        if let Some(last) = &last {
            score.remove(last);
        }
        let mut v: Vec<(String, f64)> = score.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter().take(n).map(|(q, _)| q).collect()
    }
}

/// `query` extended by the next character of each name that starts with it (folded), in the
/// order of `names`, without repeats.
pub fn extensions(query: &str, names: &[&str]) -> Vec<String> {
    let q = fold(query);
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let f = fold(name);
        if let Some(next) = f.strip_prefix(q.as_str()).and_then(|rest| rest.chars().next()) {
            let ext = format!("{q}{next}");
            if !out.contains(&ext) {
                out.push(ext);
            }
        }
    }
    out
}

/// Computes each of `queries` for which `cached` says no, until `cancel` is set. Returns how
/// many were computed.
pub fn warm(
    queries: &[String],
    cancel: &Cancel,
    cached: &dyn Fn(&str) -> bool,
    compute: &mut dyn FnMut(&str) -> Result<(), Cancelled>,
) -> Result<usize, Cancelled> {
    let mut n = 0;
    for q in queries {
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        if !cached(q) {
            compute(q)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Records the `|`-separated queries, then prints the top five predictions given `names`.
    fn check(log: &str, names: &[&str], expect: Expect) {
        let l = QueryLog::new();
        for q in log.split('|') {
            l.record(q);
        }
        expect.assert_eq(&l.predict(5, names).join(", "));
    }

    #[test]
    fn successors_then_extensions_then_frequency() {
        check("tok|toki|tokio|rust|tok", &["tokio", "token ring", "Tokyo"], expect!["toki, toke, toky, rust, tokio"]);
        check("a|b|a|b|a|b|c", &[], expect!["b, a"]);
    }

    #[test]
    fn warm_skips_cached_queries_and_stops_when_cancelled() {
        let cancel = Cancel::new();
        let queries: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let mut done = Vec::new();
        let n = warm(&queries, &cancel, &|q| q == "b", &mut |q| {
            done.push(q.to_string());
            if q == "c" {
                cancel.cancel();
            }
            Ok(())
        });
        assert_eq!(n, Err(Cancelled));
        assert_eq!(done, ["a", "c"]);
    }
}
