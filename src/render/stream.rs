//! Streaming rendering: text arrives in chunks and the rendering keeps up.
//!
//! [`Stream`] keeps the text, a stable boundary before which every top-level block is final
//! and rendered once, and the rendering of the unstable tail. Each [`Stream::render`] parses
//! only from the stable boundary, so an append costs in proportion to the chunk and the open
//! last block (an unterminated code fence or list stays open until text closes it), not to
//! the whole text. A [`Budget`] bounds the work of one call: past it, `render` returns what is
//! ready and the next call goes on. The final output equals rendering the whole text at once.
//! No I/O, no threads: the caller decides when to call again.

use std::collections::VecDeque;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::blocks::{Block, BlockKind, Split, split};
use super::cache::Caches;
use super::sanitize::{Dep, is_comment_block};
use super::writer::{BlockEnv, RefMap, RenderedBlock, render_block};
use super::{Format, Links};
use crate::cache::hash_of;

/// A limit on the work of one render call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    deadline: Option<Instant>,
}

impl Budget {
    /// No limit.
    pub fn unlimited() -> Budget {
        Budget { deadline: None }
    }

    /// Stop after `d` from now (checked between blocks).
    pub fn within(d: Duration) -> Budget {
        Budget { deadline: Some(Instant::now() + d) }
    }

    /// Already spent: render the least that makes progress.
    pub fn spent() -> Budget {
        Budget { deadline: Some(Instant::now()) }
    }

    pub fn is_spent(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Whether a render call finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The output reflects all the text pushed so far.
    Ready,
    /// The budget ran out; the output holds the final blocks rendered so far. Call again.
    Pending,
}

/// What rendering needs from outside: wiki-link resolution, and optionally a shared cache.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub links: &'a dyn Links,
    pub(crate) cache: Option<&'a Caches>,
}

impl<'a> Env<'a> {
    /// An environment without a shared cache.
    pub fn new(links: &'a dyn Links) -> Env<'a> {
        Env { links, cache: None }
    }
}

/// A rendered final block.
#[derive(Clone, Debug)]
pub(crate) struct DoneBlock {
    pub src: Range<usize>,
    pub kind: BlockKind,
    pub alternate: bool,
    /// Its text in the stable output (without the separator before it).
    pub out: Range<usize>,
    pub rendered: Arc<RenderedBlock>,
}

/// Incremental rendering of one growing markdown text.
#[derive(Debug)]
pub struct Stream {
    file: PathBuf,
    format: Format,
    text: String,
    /// `text[..scanned]` is split into final blocks (rendered or pending).
    scanned: usize,
    pending: VecDeque<Block>,
    done: Vec<DoneBlock>,
    out: String,
    /// Reference definitions in `text[..scanned]`, first definition of a label wins.
    refs: RefMap,
    tail: String,
    tail_fresh: bool,
    finished: bool,
}

impl Stream {
    /// A stream for a definition in `file` (relative links resolve against it).
    pub fn new(file: &Path, format: Format) -> Stream {
        Stream {
            file: file.to_path_buf(),
            format,
            text: String::new(),
            scanned: 0,
            pending: VecDeque::new(),
            done: Vec::new(),
            out: String::new(),
            refs: RefMap::new(),
            tail: String::new(),
            tail_fresh: true,
            finished: false,
        }
    }

    /// Appends a chunk; nothing is parsed until [`Stream::render`].
    pub fn push(&mut self, chunk: &str) {
        debug_assert!(!self.finished, "push after finish");
        self.text.push_str(chunk);
        self.tail_fresh = chunk.is_empty() && self.tail_fresh;
    }

    /// Appends a chunk and renders within `budget`.
    pub fn append(&mut self, chunk: &str, env: Env<'_>, budget: Budget) -> Progress {
        self.push(chunk);
        self.render(env, budget)
    }

    /// Declares the end of the text: the last block is final too.
    pub fn finish(&mut self, env: Env<'_>, budget: Budget) -> Progress {
        if !self.finished {
            self.finished = true;
            self.tail_fresh = false;
        }
        self.render(env, budget)
    }

    /// The text pushed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The rendering of the final blocks: it only ever grows (except when a reference
    /// definition arrives late and an earlier block is rendered again).
    pub fn stable(&self) -> &str {
        &self.out
    }

    /// The rendering of the open tail, when the last render call was [`Progress::Ready`].
    pub fn tail(&self) -> &str {
        if self.tail_fresh { &self.tail } else { "" }
    }

    /// The whole output: stable blocks then the tail.
    pub fn output(&self) -> String {
        join(&self.out, self.tail())
    }

    pub(crate) fn done(&self) -> &[DoneBlock] {
        &self.done
    }

    /// Whether text pushed after the final blocks is not rendered as final yet.
    pub(crate) fn has_more(&self) -> bool {
        !self.pending.is_empty() || self.scanned < self.text.len()
    }

    /// Wiki links resolved by everything rendered.
    pub(crate) fn deps(&self) -> impl Iterator<Item = &Dep> {
        self.done.iter().flat_map(|d| d.rendered.deps.iter())
    }

    /// Parses from the stable boundary, renders newly final blocks and the tail.
    pub fn render(&mut self, env: Env<'_>, budget: Budget) -> Progress {
        // Only whole lines decide which blocks are final: a line still being typed can join the
        // block before it once complete (`|` ends a table, `| a |` is its next row).
        let end = if self.finished { self.text.len() } else { self.text.rfind('\n').map_or(0, |i| i + 1) };
        if (self.finished || !self.tail_fresh) && self.scanned < end {
            let Split { mut blocks, refs } = split(&self.text[..end], self.scanned);
            let boundary =
                if self.finished { end } else { blocks.last().map_or(self.scanned, |last| last.range.start) };
            blocks.truncate(blocks.partition_point(|b| b.range.start < boundary));
            let mut new_labels = Vec::new();
            for r in refs.into_iter().filter(|r| r.start < boundary) {
                if let std::collections::hash_map::Entry::Vacant(e) = self.refs.entry(r.label) {
                    new_labels.push(e.key().clone());
                    e.insert((r.dest, r.title));
                }
            }
            self.pending.extend(blocks);
            self.scanned = boundary;
            if !new_labels.is_empty() {
                self.rerender_missing(&new_labels, env);
            }
        }
        let mut rendered_any = false;
        while let Some(block) = self.pending.front().cloned() {
            if rendered_any && budget.is_spent() {
                self.tail_fresh = false;
                return Progress::Pending;
            }
            rendered_any = true;
            self.pending.pop_front();
            self.render_final(block, env);
        }
        if self.finished {
            self.tail.clear();
            self.tail_fresh = true;
            return Progress::Ready;
        }
        if self.tail_fresh {
            return Progress::Ready;
        }
        if rendered_any && budget.is_spent() {
            return Progress::Pending;
        }
        self.render_tail(split(&self.text, self.scanned), env);
        Progress::Ready
    }

    fn render_final(&mut self, block: Block, env: Env<'_>) {
        let src = &self.text[block.range.clone()];
        let (kind, alternate) = self.next_kind(src, block.kind);
        let rendered = render_cached(
            src,
            kind,
            alternate,
            &BlockEnv { file: &self.file, format: self.format, links: env.links, refs: &self.refs },
            env.cache,
        );
        if !rendered.text.is_empty() && !self.out.is_empty() {
            self.out += "\n\n";
        }
        let start = self.out.len();
        self.out += &rendered.text;
        self.done.push(DoneBlock { src: block.range, kind, alternate, out: start..self.out.len(), rendered });
    }

    /// Renders the unstable tail with the definitions known so far plus its own.
    fn render_tail(&mut self, split: Split, env: Env<'_>) {
        // Copy the known definitions only when the tail adds some.
        let mut own = None;
        if !split.refs.is_empty() {
            let mut refs = self.refs.clone();
            for r in split.refs {
                refs.entry(r.label).or_insert((r.dest, r.title));
            }
            own = Some(refs);
        }
        let refs = own.as_ref().unwrap_or(&self.refs);
        let mut last = self.last_kind();
        let mut tail = String::new();
        for block in split.blocks {
            let src = &self.text[block.range.clone()];
            let (kind, alternate) = match is_skipped(src) {
                true => continue,
                false => (block.kind, alternates(last, block.kind)),
            };
            last = Some((kind, alternate));
            let env2 = BlockEnv { file: &self.file, format: self.format, links: env.links, refs };
            let r = render_block(src, kind, alternate, &env2);
            if !r.text.is_empty() {
                if !tail.is_empty() {
                    tail += "\n\n";
                }
                tail += &r.text;
            }
        }
        self.tail = tail;
        self.tail_fresh = true;
    }

    /// Renders again the final blocks that looked up one of `labels` in vain.
    fn rerender_missing(&mut self, labels: &[String], env: Env<'_>) {
        let stale =
            |d: &DoneBlock| d.rendered.deps.iter().any(|dep| matches!(dep, Dep::Ref(l, None) if labels.contains(l)));
        if !self.done.iter().any(stale) {
            return;
        }
        let mut out = String::new();
        for i in 0..self.done.len() {
            if stale(&self.done[i]) {
                let d = &self.done[i];
                let env2 = BlockEnv { file: &self.file, format: self.format, links: env.links, refs: &self.refs };
                let rendered = render_cached(&self.text[d.src.clone()], d.kind, d.alternate, &env2, env.cache);
                self.done[i].rendered = rendered;
            }
            let d = &mut self.done[i];
            if !d.rendered.text.is_empty() && !out.is_empty() {
                out += "\n\n";
            }
            let start = out.len();
            out += &d.rendered.text;
            d.out = start..out.len();
        }
        self.out = out;
    }

    fn last_kind(&self) -> Option<(BlockKind, bool)> {
        self.done.iter().rev().find(|d| !d.rendered.text.is_empty()).map(|d| (d.kind, d.alternate))
    }

    fn next_kind(&self, src: &str, kind: BlockKind) -> (BlockKind, bool) {
        if is_skipped(src) {
            return (kind, false);
        }
        (kind, alternates(self.last_kind(), kind))
    }
}

/// Whether a list must use the other markers: the previous shown block is a list of the same
/// kind with the usual ones.
fn alternates(last: Option<(BlockKind, bool)>, kind: BlockKind) -> bool {
    kind != BlockKind::Other && last == Some((kind, false))
}

fn is_skipped(src: &str) -> bool {
    src.trim_start().starts_with("<!--") && is_comment_block(src)
}

pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        (false, false) => format!("{a}\n\n{b}"),
    }
}

fn render_cached(
    src: &str,
    kind: BlockKind,
    alternate: bool,
    env: &BlockEnv<'_>,
    cache: Option<&Caches>,
) -> Arc<RenderedBlock> {
    let Some(cache) = cache else { return Arc::new(render_block(src, kind, alternate, env)) };
    let key = hash_of(&(src, env.file, env.format, kind, alternate));
    if let Some(hit) = cache.block(key, |b| b.is_current(env.links, env.refs)) {
        return hit;
    }
    let rendered = Arc::new(render_block(src, kind, alternate, env));
    cache.put_block(key, rendered.clone());
    rendered
}
