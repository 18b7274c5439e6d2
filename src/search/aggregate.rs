//! Merging the batches of several services: one hit per location, ranked, capped.
//!
//! Ranking, best first: match quality ([`super::Quality`]: exact, prefix, word prefix, typo,
//! initials, subsequence, full text), then diversity (within a quality tier, documents take
//! turns: the second hit from a file comes after the first hit of every other file), then
//! service weight (concepts, headings, lines), then term weight (a shorter matched key covers
//! more of it), then name and location so that the order is total. Concepts are exempt from
//! diversity: a thesaurus holds many concepts in one file. Pure functions on plain data.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Hit, HitKind};

/// Sorts `hits` best first (see the module comment).
pub fn rank(hits: &mut Vec<Hit>) {
    hits.sort_by(|a, b| base_key(a).cmp(&base_key(b)));
    // Diversity: the n-th hit of a document within a tier ranks after every (n-1)-th.
    let mut seen: HashMap<(u8, &PathBuf), u32> = HashMap::new();
    let turns: Vec<u32> = hits
        .iter()
        .map(|h| {
            if h.kind == HitKind::Concept {
                return 0;
            }
            let n = seen.entry((h.quality.tier(), &h.path)).or_insert(0);
            *n += 1;
            *n - 1
        })
        .collect();
    let mut keyed: Vec<(u8, u32, Hit)> =
        hits.drain(..).zip(turns).map(|(h, turn)| (h.quality.tier(), turn, h)).collect();
    // Stable: within a tier and turn, the base order stays.
    keyed.sort_by_key(|(tier, turn, _)| (*tier, *turn));
    hits.extend(keyed.into_iter().map(|(_, _, h)| h));
}

fn base_key(h: &Hit) -> impl Ord + '_ {
    (h.quality, h.kind, h.key_len, &h.name, &h.path, h.line)
}

/// Collects batches as they arrive, keeping one hit per location.
#[derive(Debug)]
pub struct Aggregator {
    limit: usize,
    hits: Vec<Hit>,
    at: HashMap<(PathBuf, u32), usize>,
    sent: usize,
}

impl Aggregator {
    pub fn new(limit: usize) -> Aggregator {
        Aggregator { limit: limit.max(1), hits: Vec::new(), at: HashMap::new(), sent: 0 }
    }

    /// Adds a batch; returns the hits to stream (at new locations, or better than what was
    /// sent for a location), ranked, within what the cap still allows. A better hit at a known
    /// location replaces the old one for [`Aggregator::finish`].
    pub fn add(&mut self, batch: Vec<Hit>) -> Vec<Hit> {
        let mut fresh = Vec::new();
        for hit in batch {
            let loc = (hit.path.clone(), hit.line);
            match self.at.get(&loc) {
                Some(&i) => {
                    if base_key(&hit) < base_key(&self.hits[i]) {
                        // Streamed results cannot be taken back: a better hit at a location
                        // already sent (a concept after its file's full-text line) goes out too.
                        self.hits[i] = hit.clone();
                        fresh.push(hit);
                    }
                }
                None => {
                    self.at.insert(loc, self.hits.len());
                    self.hits.push(hit.clone());
                    fresh.push(hit);
                }
            }
        }
        rank(&mut fresh);
        fresh.truncate(self.limit - self.sent);
        self.sent += fresh.len();
        fresh
    }

    /// How many hits were streamed so far.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// All hits, ranked and capped.
    pub fn finish(mut self) -> Vec<Hit> {
        rank(&mut self.hits);
        self.hits.truncate(self.limit);
        self.hits
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::search::Quality;

    /// Batches are `;`-separated lists of `kind quality path:line name` hits.
    fn check(limit: usize, batches: &str, expect: Expect) {
        let mut agg = Aggregator::new(limit);
        let mut out = String::new();
        for batch in batches.split(';') {
            let hits = batch
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let w: Vec<&str> = l.splitn(4, ' ').collect();
                    let (path, line) = w[2].split_once(':').unwrap();
                    Hit {
                        name: w[3].to_string(),
                        kind: match w[0] {
                            "concept" => HitKind::Concept,
                            "heading" => HitKind::Heading,
                            _ => HitKind::Line,
                        },
                        container: None,
                        path: path.into(),
                        line: line.parse().unwrap(),
                        quality: match w[1] {
                            "exact" => Quality::Exact,
                            "prefix" => Quality::Prefix,
                            "typo" => Quality::Typo(1),
                            "text" => Quality::Text,
                            s => Quality::Subsequence(s.parse().unwrap()),
                        },
                        key_len: w[3].len() as u32,
                    }
                })
                .collect();
            let fresh = agg.add(hits);
            out += &format!("streamed: {}\n", fresh.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", "));
        }
        for h in agg.finish() {
            out += &format!("{:?} {:?} {}:{} {}\n", h.kind, h.quality, h.path.display(), h.line, h.name);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn quality_first_then_documents_take_turns() {
        check(
            10,
            "
            heading prefix a.md:1 tokio one
            heading prefix a.md:2 tokio two
            heading prefix a.md:3 tokio three
            heading prefix b.md:1 tokio b
            heading 3 c.md:1 take one kit
            concept exact kg/tokio.md:0 tokio
            ;
            line text a.md:2 we use tokio here
            line text d.md:7 tokio again
            concept typo kg/toki.md:0 toki
            ",
            expect![[r#"
                streamed: tokio, tokio b, tokio one, tokio two, tokio three, take one kit
                streamed: toki, tokio again
                Concept Exact kg/tokio.md:0 tokio
                Heading Prefix b.md:1 tokio b
                Heading Prefix a.md:1 tokio one
                Heading Prefix a.md:2 tokio two
                Heading Prefix a.md:3 tokio three
                Concept Typo(1) kg/toki.md:0 toki
                Heading Subsequence(3) c.md:1 take one kit
                Line Text d.md:7 tokio again
            "#]],
        );
    }

    #[test]
    fn one_hit_per_location_and_the_cap_holds_across_batches() {
        check(
            2,
            "
            heading prefix kg/tokio.md:0 Tokio
            ;
            concept exact kg/tokio.md:0 tokio
            line text x.md:1 tokio
            line text y.md:1 tokio
            ",
            expect![[r#"
                streamed: Tokio
                streamed: tokio
                Concept Exact kg/tokio.md:0 tokio
                Line Text x.md:1 tokio
            "#]],
        );
    }
}
