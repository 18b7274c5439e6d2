//! Full-text search in the manner of ripgrep: walk the workspace folders with `ignore`
//! (honouring `.gitignore` and hidden files), skip binary and oversized files, find the query
//! with `aho-corasick` (ASCII case-insensitive, memchr-accelerated), and report each matching
//! line as a hit.
//!
//! It is slow by nature, so it streams: hits go out in small batches as they are found, the
//! walk stops when the limit is reached, and the control is checked for every file and every
//! match, so it stops as soon as it is cancelled or out of time. Open documents are searched
//! in their unsaved state. Lists and reads files only through the [`Vfs`] it is given; knows
//! no protocol types.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aho_corasick::AhoCorasick;

use super::{Control, Hit, HitKind, Quality, Query, SearchService, Stop};
use crate::vfs::Vfs;

/// Files larger than this are not scanned.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Queries shorter than this (in bytes) would match nearly every line.
const MIN_QUERY_BYTES: usize = 3;
/// Queries up to this long are searched with a DFA, longer ones with an NFA.
const DFA_QUERY_BYTES: usize = 64;
/// Batches go out at this many hits, or after this long.
const BATCH_HITS: usize = 32;
const BATCH_TIME: Duration = Duration::from_millis(20);
/// Lines are shown up to this many characters.
const MAX_LINE_CHARS: usize = 120;

/// Lines of the text files under some roots.
pub struct FullTextService {
    roots: Vec<PathBuf>,
    /// The files as the host has them: open documents win over the disk there.
    files: Arc<dyn Vfs>,
}

impl FullTextService {
    pub fn new(roots: Vec<PathBuf>, files: Arc<dyn Vfs>) -> FullTextService {
        FullTextService { roots, files }
    }
}

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB, as ripgrep decides.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

impl SearchService for FullTextService {
    fn name(&self) -> &'static str {
        "full text"
    }

    /// Text hits are the slow extra below names and headings: an answer without the rest of
    /// them, at the end of the budget, is final.
    fn best_effort(&self) -> bool {
        true
    }

    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
        if query.text.len() < MIN_QUERY_BYTES {
            return Ok(());
        }
        // The default for one pattern, a DFA, is the fastest to search with, but its build grows
        // to seconds for a query of thousands of bytes and cannot be cancelled; the contiguous
        // NFA builds in time linear in the query.
        let kind = (query.text.len() > DFA_QUERY_BYTES).then_some(aho_corasick::AhoCorasickKind::ContiguousNFA);
        let Ok(matcher) = AhoCorasick::builder().ascii_case_insensitive(true).kind(kind).build([query.text.as_str()])
        else {
            return Ok(());
        };
        let mut batch = Vec::new();
        let mut last_emit = Instant::now();
        let mut found = 0;
        let mut stopped = Ok(());
        for root in &self.roots {
            self.files.walk_files(root, &mut |path| {
                if let Err(stop) = ctl.check() {
                    stopped = Err(stop);
                    return ControlFlow::Break(());
                }
                let Ok(bytes) = self.files.read(path, MAX_FILE_BYTES) else { return ControlFlow::Continue(()) };
                if is_binary(&bytes) {
                    return ControlFlow::Continue(());
                }
                let scanned = scan(&bytes, path, &matcher, ctl, &mut |hit| {
                    batch.push(hit);
                    found += 1;
                    found < query.limit
                });
                if let Err(stop) = scanned {
                    stopped = Err(stop);
                    return ControlFlow::Break(());
                }
                if batch.len() >= BATCH_HITS || (!batch.is_empty() && last_emit.elapsed() >= BATCH_TIME) {
                    ctl.emit(std::mem::take(&mut batch));
                    last_emit = Instant::now();
                }
                if found >= query.limit { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            });
            stopped?;
            if found >= query.limit {
                break;
            }
        }
        ctl.emit(batch);
        Ok(())
    }
}

/// Reports one hit per matching line of `bytes` until `hit` returns false.
fn scan(
    bytes: &[u8],
    path: &Path,
    matcher: &AhoCorasick,
    ctl: &mut Control<'_>,
    hit: &mut dyn FnMut(Hit) -> bool,
) -> Result<(), Stop> {
    let container = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let (mut line, mut counted_to, mut next_line_start) = (0u32, 0usize, 0usize);
    for m in matcher.find_iter(bytes) {
        ctl.step()?;
        if m.start() < next_line_start {
            continue; // One hit per line.
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..m.start()]).count() as u32;
        let start = memchr::memrchr(b'\n', &bytes[..m.start()]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[m.start()..]).map_or(bytes.len(), |i| m.start() + i);
        counted_to = m.start();
        next_line_start = end + 1;
        let text = String::from_utf8_lossy(&bytes[start..end]);
        let text = text.trim();
        let name: String = if text.chars().count() > MAX_LINE_CHARS {
            text.chars().take(MAX_LINE_CHARS).chain(['…']).collect()
        } else {
            text.to_string()
        };
        let more = hit(Hit {
            name,
            kind: HitKind::Line,
            container: container.clone(),
            path: path.to_path_buf(),
            line,
            quality: Quality::Text,
            key_len: (end - start) as u32,
        });
        if !more {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;
    use crate::search::{Cancel, MAX_QUERY_BYTES};

    /// Text files in memory under `/ws`: `files` files of `lines` lines that each hold `line`.
    fn workspace(files: usize, lines: usize, line: &str) -> Arc<dyn Vfs> {
        let text = format!("{line}\n").repeat(lines);
        Arc::new(crate::vfs::MemFs::with((0..files).map(|f| (format!("/ws/notes {f}.md"), text.clone()))))
    }

    /// What a search finds: its result, hits, batches and work.
    fn run(service: &FullTextService, query: &Query, cancel: &Cancel, cancel_at_first_batch: bool) -> String {
        let (mut hits, mut batches) = (0, 0);
        let mut emit = |b: Vec<Hit>| {
            hits += b.len();
            batches += 1;
            if cancel_at_first_batch {
                cancel.cancel();
            }
        };
        let mut ctl = Control::new(cancel, None, &mut emit);
        let result = service.search(query, &mut ctl);
        let work = ctl.work();
        format!("{result:?}: {hits} hits in {batches} batches after {work} items of work")
    }

    /// The longest query (past the size where the matcher is an NFA) still finds its lines, and
    /// a cancelled search stops at its next check.
    #[test]
    fn a_long_query_finds_its_lines_and_a_cancel_stops_the_walk() {
        let line = "tokio ".repeat(MAX_QUERY_BYTES / 6 + 10);
        let service = FullTextService::new(vec![PathBuf::from("/ws")], workspace(20, 50, &line));
        let query = Query::new(&"tokio ".repeat(5_000), 10_000);
        assert!(query.cut && query.text.len() > DFA_QUERY_BYTES);
        let cancelled = Cancel::new();
        cancelled.cancel();
        let out = [
            format!("whole: {}", run(&service, &query, &Cancel::new(), false)),
            format!("cancelled before: {}", run(&service, &query, &cancelled, false)),
            format!("cancelled at the first batch: {}", run(&service, &query, &Cancel::new(), true)),
        ];
        expect![[r#"
            [
                "whole: Ok(()): 1000 hits in 20 batches after 1000 items of work",
                "cancelled before: Err(Cancelled): 0 hits in 0 batches after 0 items of work",
                "cancelled at the first batch: Err(Cancelled): 50 hits in 1 batches after 50 items of work",
            ]
        "#]]
        .assert_debug_eq(&out);
    }
}
