//! Counters for one cache level: hits, misses, bytes held, entries held, evictions.
//!
//! Plain atomics, updated by the cache and read by whoever reports them; no locking, no I/O,
//! and no knowledge of what is cached.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// Live counters of one level.
#[derive(Debug, Default)]
pub struct LevelMetrics {
    hits: AtomicU64,
    misses: AtomicU64,
    bytes: AtomicU64,
    entries: AtomicU64,
    evictions: AtomicU64,
}

/// A copy of a level's counters at one moment. Serialized with its `hitRate` too, so that a
/// report of the level needs no arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LevelSnapshot {
    pub hits: u64,
    pub misses: u64,
    pub bytes: u64,
    pub entries: u64,
    pub evictions: u64,
}

impl Serialize for LevelSnapshot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut level = s.serialize_struct("LevelSnapshot", 6)?;
        level.serialize_field("hits", &self.hits)?;
        level.serialize_field("misses", &self.misses)?;
        level.serialize_field("hitRate", &self.hit_rate())?;
        level.serialize_field("bytes", &self.bytes)?;
        level.serialize_field("entries", &self.entries)?;
        level.serialize_field("evictions", &self.evictions)?;
        level.end()
    }
}

impl LevelSnapshot {
    /// Hits over lookups; 0 before the first lookup.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }
}

impl LevelMetrics {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Relaxed);
    }

    pub fn miss(&self) {
        self.misses.fetch_add(1, Relaxed);
    }

    pub fn evicted(&self, n: u64) {
        self.evictions.fetch_add(n, Relaxed);
    }

    /// Records what the level holds now.
    pub fn set_size(&self, entries: u64, bytes: u64) {
        self.entries.store(entries, Relaxed);
        self.bytes.store(bytes, Relaxed);
    }

    pub fn snapshot(&self) -> LevelSnapshot {
        LevelSnapshot {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            entries: self.entries.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
        }
    }
}

/// All levels of a [`super::TieredCache`], plus lookups answered by any level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CacheSnapshot {
    pub l1: LevelSnapshot,
    pub l2: LevelSnapshot,
    pub l3: LevelSnapshot,
    /// Lookups answered by some level.
    pub hits: u64,
    /// Lookups that no level could answer.
    pub misses: u64,
    /// Entries dropped because the index generation changed.
    pub invalidations: u64,
}

impl CacheSnapshot {
    /// The share of lookups answered from any level.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_rate_counts_hits_over_lookups() {
        let m = LevelMetrics::default();
        assert_eq!(m.snapshot().hit_rate(), 0.0);
        m.hit();
        m.hit();
        m.hit();
        m.miss();
        m.evicted(2);
        m.set_size(5, 100);
        let s = m.snapshot();
        assert_eq!((s.hits, s.misses, s.evictions, s.entries, s.bytes), (3, 1, 2, 5, 100));
        assert_eq!(s.hit_rate(), 0.75);
    }
}
