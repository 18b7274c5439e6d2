//! Full-text search in the manner of ripgrep: walk the workspace folders with `ignore`
//! (honouring `.gitignore` and hidden files), skip binary and oversized files, find the query
//! with `aho-corasick` (ASCII case-insensitive, memchr-accelerated), and report each matching
//! line as a hit.
//!
//! It is slow by nature, so it streams: hits go out in small batches as they are found, the
//! walk stops when the limit is reached, and the control is checked for every file and every
//! match, so it stops as soon as it is cancelled or out of time. Open documents are searched
//! in their unsaved state. Reads the disk; knows no protocol types.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aho_corasick::AhoCorasick;

use super::{Control, Hit, HitKind, Quality, Query, SearchService, Stop};

/// Files larger than this are not scanned.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Queries shorter than this (in bytes) would match nearly every line.
const MIN_QUERY_BYTES: usize = 3;
/// Batches go out at this many hits, or after this long.
const BATCH_HITS: usize = 32;
const BATCH_TIME: Duration = Duration::from_millis(20);
/// Lines are shown up to this many characters.
const MAX_LINE_CHARS: usize = 120;

/// Lines of the text files under some roots.
pub struct FullTextService {
    roots: Vec<PathBuf>,
    /// Unsaved text of open documents, which wins over the disk.
    overlays: HashMap<PathBuf, Arc<String>>,
}

impl FullTextService {
    pub fn new(roots: Vec<PathBuf>, overlays: HashMap<PathBuf, Arc<String>>) -> FullTextService {
        FullTextService { roots, overlays }
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

    fn search(&self, query: &Query, ctl: &mut Control<'_>) -> Result<(), Stop> {
        if query.text.len() < MIN_QUERY_BYTES {
            return Ok(());
        }
        let Ok(matcher) = AhoCorasick::builder().ascii_case_insensitive(true).build([query.text.as_str()]) else {
            return Ok(());
        };
        let mut batch = Vec::new();
        let mut last_emit = Instant::now();
        let mut found = 0;
        for root in &self.roots {
            for entry in ignore::WalkBuilder::new(root).build() {
                ctl.check()?;
                let Ok(entry) = entry else { continue };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let path = entry.path();
                let owned;
                let bytes: &[u8] = match self.overlays.get(path) {
                    Some(text) => text.as_bytes(),
                    None => {
                        if entry.metadata().map_or(true, |m| m.len() > MAX_FILE_BYTES) {
                            continue;
                        }
                        match std::fs::read(path) {
                            Ok(b) => {
                                owned = b;
                                &owned
                            }
                            Err(_) => continue,
                        }
                    }
                };
                if is_binary(bytes) {
                    continue;
                }
                scan(bytes, path, &matcher, ctl, &mut |hit| {
                    batch.push(hit);
                    found += 1;
                    found < query.limit
                })?;
                if batch.len() >= BATCH_HITS || (!batch.is_empty() && last_emit.elapsed() >= BATCH_TIME) {
                    ctl.emit(std::mem::take(&mut batch));
                    last_emit = Instant::now();
                }
                if found >= query.limit {
                    ctl.emit(batch);
                    return Ok(());
                }
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
