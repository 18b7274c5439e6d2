//! The renderer's caches: rendered blocks by content hash, and whole rendered hovers by concept
//! and content hash, both least-recently-used and bounded.
//!
//! Entries carry their dependencies and are reused only while those still resolve the same, so
//! a cache can outlive the graph snapshot that filled it. The caches are shared between request
//! threads behind a mutex held only for a lookup or an insert, never while rendering.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard};

use lru::LruCache;

use super::sanitize::Dep;
use super::writer::RenderedBlock;

/// How many rendered blocks are kept.
pub const BLOCK_CAPACITY: usize = 16_384;
/// How many rendered hovers are kept.
pub const HOVER_CAPACITY: usize = 1_024;

/// A rendered hover and the wiki links it resolved.
#[derive(Clone, Debug)]
pub(crate) struct CachedHover {
    pub text: Arc<str>,
    pub deps: Vec<Dep>,
}

/// Hit and miss counts, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub block_hits: u64,
    pub block_misses: u64,
    pub hover_hits: u64,
    pub hover_misses: u64,
}

#[derive(Debug)]
pub(crate) struct Caches {
    blocks: Mutex<LruCache<u64, Arc<RenderedBlock>>>,
    hovers: Mutex<LruCache<u64, CachedHover>>,
    block_hits: AtomicU64,
    block_misses: AtomicU64,
    hover_hits: AtomicU64,
    hover_misses: AtomicU64,
}

impl Default for Caches {
    fn default() -> Self {
        let cap = |n: usize| NonZeroUsize::new(n).expect("capacity is not zero");
        Caches {
            blocks: Mutex::new(LruCache::new(cap(BLOCK_CAPACITY))),
            hovers: Mutex::new(LruCache::new(cap(HOVER_CAPACITY))),
            block_hits: AtomicU64::new(0),
            block_misses: AtomicU64::new(0),
            hover_hits: AtomicU64::new(0),
            hover_misses: AtomicU64::new(0),
        }
    }
}

impl Caches {
    /// The cached block under `key` if `current` accepts it.
    pub fn block(&self, key: u64, current: impl FnOnce(&RenderedBlock) -> bool) -> Option<Arc<RenderedBlock>> {
        let hit = lock(&self.blocks).get(&key).cloned().filter(|b| current(b));
        let counter = if hit.is_some() { &self.block_hits } else { &self.block_misses };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    pub fn put_block(&self, key: u64, block: Arc<RenderedBlock>) {
        lock(&self.blocks).put(key, block);
    }

    pub fn hover(&self, key: u64, current: impl FnOnce(&CachedHover) -> bool) -> Option<Arc<str>> {
        let hit = lock(&self.hovers).get(&key).filter(|h| current(h)).map(|h| h.text.clone());
        let counter = if hit.is_some() { &self.hover_hits } else { &self.hover_misses };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    pub fn put_hover(&self, key: u64, hover: CachedHover) {
        lock(&self.hovers).put(key, hover);
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            block_hits: self.block_hits.load(Ordering::Relaxed),
            block_misses: self.block_misses.load(Ordering::Relaxed),
            hover_hits: self.hover_hits.load(Ordering::Relaxed),
            hover_misses: self.hover_misses.load(Ordering::Relaxed),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // parking_lot's locks are not poisoned: a panic elsewhere does not disable the cache.
    m.lock()
}
