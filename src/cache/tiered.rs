//! A generic three-level cache: L1 an in-memory LRU of live values bounded by entries, L2 an
//! LRU of compressed values (postcard + lz4) bounded by bytes, L3 sealed files on disk bounded
//! by bytes, surviving restarts.
//!
//! Every entry carries the index generation it was computed for; a lookup for another
//! generation is a miss, and [`TieredCache::set_generation`] drops L1 and L2 whole, so a stale
//! value is never served. A hit in a lower level is promoted to the levels above it.
//!
//! This file owns the levels' policy and the two in-memory levels; L3, its files and its
//! writer thread are [`super::disk`]'s, and nothing here touches the file system. It knows
//! nothing about what it caches or about the protocol.

use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use lru::LruCache;
use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::disk::Disk;
use super::metrics::{CacheSnapshot, LevelMetrics};
use crate::vfs::Vfs;

/// Sizes and place of a [`TieredCache`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieredConfig {
    /// Most live values in L1.
    pub l1_entries: usize,
    /// Most compressed bytes in L2.
    pub l2_bytes: usize,
    /// The folder of L3 files; `None` turns L3 off.
    pub l3_dir: Option<PathBuf>,
    /// Most bytes of L3 files; the oldest are removed first.
    pub l3_bytes: u64,
}

impl Default for TieredConfig {
    fn default() -> Self {
        TieredConfig { l1_entries: 1024, l2_bytes: 32 << 20, l3_dir: None, l3_bytes: 256 << 20 }
    }
}

/// The most entries L1 holds, whatever the configuration says.
pub const MAX_L1_ENTRIES: usize = 1 << 20;

/// An empty L1 that holds up to `entries` values (clamped to 1..=[`MAX_L1_ENTRIES`]). Nothing is
/// allocated for them up front: `LruCache::new` would reserve a table for every entry at once,
/// which for a huge configured size aborts the process or overflows the table's capacity.
fn l1_with_room_for<V>(entries: usize) -> LruCache<String, V> {
    let mut l1 = LruCache::unbounded();
    l1.resize(NonZeroUsize::new(entries.clamp(1, MAX_L1_ENTRIES)).expect("at least one"));
    l1
}

/// The cache. `V` is stored live in L1 and serialized in L2 and L3.
pub struct TieredCache<V> {
    l1: Mutex<LruCache<String, (u64, Arc<V>)>>,
    l2: Mutex<Compressed>,
    l3: Option<Disk>,
    generation: AtomicU64,
    metrics: Arc<Metrics>,
    _value: PhantomData<fn() -> V>,
}

#[derive(Debug, Default)]
struct Metrics {
    l1: LevelMetrics,
    l2: LevelMetrics,
    /// Shared with the disk level's writer thread.
    l3: Arc<LevelMetrics>,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
}

struct Compressed {
    map: LruCache<String, (u64, Arc<[u8]>)>,
    bytes: usize,
    cap: usize,
}

impl<V: Serialize + DeserializeOwned> TieredCache<V> {
    /// A cache of `config`'s sizes; L3, when it has a folder, keeps its files in `fs`.
    pub fn new(config: &TieredConfig, fs: Arc<dyn Vfs>) -> TieredCache<V> {
        let metrics = Arc::new(Metrics::default());
        let l3 = config.l3_dir.as_ref().map(|dir| Disk::open(fs, dir.clone(), config.l3_bytes, metrics.l3.clone()));
        TieredCache {
            l1: Mutex::new(l1_with_room_for(config.l1_entries)),
            l2: Mutex::new(Compressed { map: LruCache::unbounded(), bytes: 0, cap: config.l2_bytes }),
            l3,
            generation: AtomicU64::new(0),
            metrics,
            _value: PhantomData,
        }
    }

    /// The generation values are stored for.
    pub fn generation(&self) -> u64 {
        self.generation.load(Relaxed)
    }

    /// Moves to generation `g`: L1 and L2 are emptied when it differs; L3 entries of other
    /// generations become misses and are removed when found.
    pub fn set_generation(&self, g: u64) {
        if self.generation.swap(g, Relaxed) == g {
            return;
        }
        let mut l1 = self.l1.lock();
        let mut l2 = self.l2.lock();
        let dropped = (l1.len() + l2.map.len()) as u64;
        l1.clear();
        l2.map.clear();
        l2.bytes = 0;
        self.metrics.l1.set_size(0, 0);
        self.metrics.l2.set_size(0, 0);
        self.metrics.invalidations.fetch_add(dropped, Relaxed);
    }

    /// The value of `key` computed for generation `g`, from the first level that has it.
    /// Asking for another generation than the current one is a miss.
    pub fn get(&self, key: &str, g: u64) -> Option<Arc<V>> {
        let m = &self.metrics;
        if g != self.generation() {
            m.misses.fetch_add(1, Relaxed);
            return None;
        }
        if let Some((eg, v)) = self.l1.lock().get(key)
            && *eg == g
        {
            m.l1.hit();
            m.hits.fetch_add(1, Relaxed);
            return Some(v.clone());
        }
        m.l1.miss();
        let l2 = self.l2.lock().map.get(key).filter(|(eg, _)| *eg == g).map(|(_, b)| b.clone());
        if let Some(bytes) = l2
            && let Some(v) = decode::<V>(&bytes)
        {
            m.l2.hit();
            m.hits.fetch_add(1, Relaxed);
            return Some(self.put_l1(key, g, v));
        }
        m.l2.miss();
        if let Some(disk) = &self.l3 {
            if let Some(data) = disk.read(key, g)
                && let Some(v) = decode::<V>(&data)
            {
                m.l3.hit();
                m.hits.fetch_add(1, Relaxed);
                self.put_l2(key, g, data.into());
                return Some(self.put_l1(key, g, v));
            }
            m.l3.miss();
        }
        m.misses.fetch_add(1, Relaxed);
        None
    }

    /// Whether L1 or L2 holds `key` at generation `g`, without counting a lookup.
    pub fn contains(&self, key: &str, g: u64) -> bool {
        g == self.generation()
            && (self.l1.lock().peek(key).is_some_and(|(eg, _)| *eg == g)
                || self.l2.lock().map.peek(key).is_some_and(|(eg, _)| *eg == g))
    }

    /// Stores `value` for `key` at generation `g` in every level; values of an older
    /// generation than the current one are not stored (they were computed on stale data).
    pub fn insert(&self, key: &str, g: u64, value: V) -> Arc<V> {
        let data: Arc<[u8]> = encode(&value).into();
        if g != self.generation() {
            return Arc::new(value);
        }
        if let Some(disk) = &self.l3 {
            disk.write(key, g, &data);
        }
        self.put_l2(key, g, data);
        self.put_l1(key, g, value)
    }

    /// Waits until every L3 write queued so far is on disk.
    pub fn flush(&self) {
        if let Some(disk) = &self.l3 {
            disk.flush();
        }
    }

    /// The L3 file that holds `key`, when L3 is on.
    pub fn file_of(&self, key: &str) -> Option<PathBuf> {
        self.l3.as_ref().map(|d| d.path(key))
    }

    pub fn metrics(&self) -> CacheSnapshot {
        let m = &self.metrics;
        CacheSnapshot {
            l1: m.l1.snapshot(),
            l2: m.l2.snapshot(),
            l3: m.l3.snapshot(),
            hits: m.hits.load(Relaxed),
            misses: m.misses.load(Relaxed),
            invalidations: m.invalidations.load(Relaxed),
        }
    }

    fn put_l1(&self, key: &str, g: u64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut l1 = self.l1.lock();
        if let Some((k, _)) = l1.push(key.to_string(), (g, value.clone()))
            && k != key
        {
            self.metrics.l1.evicted(1);
        }
        self.metrics.l1.set_size(l1.len() as u64, 0);
        value
    }

    fn put_l2(&self, key: &str, g: u64, data: Arc<[u8]>) {
        let mut l2 = self.l2.lock();
        if data.len() > l2.cap {
            return;
        }
        l2.bytes += data.len();
        if let Some((_, (_, old))) = l2.map.push(key.to_string(), (g, data)) {
            // Either the replaced value of the same key or an evicted one: its bytes go.
            l2.bytes -= old.len();
        }
        let mut evicted = 0;
        while l2.bytes > l2.cap {
            let Some((_, (_, old))) = l2.map.pop_lru() else { break };
            l2.bytes -= old.len();
            evicted += 1;
        }
        self.metrics.l2.evicted(evicted);
        self.metrics.l2.set_size(l2.map.len() as u64, l2.bytes as u64);
    }
}

fn encode<V: Serialize>(value: &V) -> Vec<u8> {
    let bytes = postcard::to_stdvec(value).expect("serializing to a Vec cannot fail");
    lz4_flex::compress_prepend_size(&bytes)
}

fn decode<V: DeserializeOwned>(data: &[u8]) -> Option<V> {
    let bytes = lz4_flex::decompress_size_prepended(data).ok()?;
    postcard::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Runs a script of cache operations, one a line, and prints what each lookup found and
    /// where: `put KEY GEN`, `get KEY GEN`, `gen G`, `restart`, `corrupt KEY`, `stats`.
    fn check(config: TieredConfig, script: &str, expect: Expect) {
        let fs: Arc<dyn Vfs> = Arc::new(crate::vfs::MemFs::default());
        let config = TieredConfig { l3_dir: config.l3_dir.map(|_| PathBuf::from("/cache/l3")), ..config };
        let mut cache = TieredCache::<Vec<String>>::new(&config, fs.clone());
        let mut out = String::new();
        for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let words: Vec<&str> = line.split(' ').collect();
            let g = |i: usize| words[i].parse::<u64>().unwrap();
            match words[0] {
                "put" => {
                    cache.insert(words[1], g(2), vec![format!("{}@{}", words[1], g(2)); 20]);
                }
                "get" => {
                    // Disk writes are asynchronous; let them land so the script is deterministic.
                    cache.flush();
                    let before = cache.metrics();
                    let found = cache.get(words[1], g(2));
                    let after = cache.metrics();
                    let level = if after.l1.hits > before.l1.hits {
                        "L1"
                    } else if after.l2.hits > before.l2.hits {
                        "L2"
                    } else if after.l3.hits > before.l3.hits {
                        "L3"
                    } else {
                        "miss"
                    };
                    out += &format!("{line}: {level} {:?}\n", found.map(|v| v[0].clone()));
                }
                "gen" => cache.set_generation(g(1)),
                "restart" => {
                    cache.flush();
                    drop(cache);
                    cache = TieredCache::new(&config, fs.clone());
                    cache.set_generation(g(1));
                }
                "corrupt" => {
                    cache.flush();
                    let path = cache.file_of(words[1]).unwrap();
                    let mut bytes = fs.read(&path, u64::MAX).unwrap();
                    let last = bytes.len() - 1;
                    bytes[last] ^= 0xff;
                    fs.write_atomic(&path, &bytes).unwrap();
                }
                "stats" => {
                    cache.flush();
                    let m = cache.metrics();
                    let level = |l: crate::cache::LevelSnapshot| {
                        format!("{}h {}m {}e {}ev", l.hits, l.misses, l.entries, l.evictions)
                    };
                    out += &format!(
                        "L1 {} | L2 {} | L3 {} | hit rate {:.2}, {} invalidated\n",
                        level(m.l1),
                        level(m.l2),
                        level(m.l3),
                        m.hit_rate(),
                        m.invalidations
                    );
                }
                other => panic!("unknown command {other}"),
            }
        }
        expect.assert_eq(&out);
    }

    fn with_disk() -> TieredConfig {
        TieredConfig { l3_dir: Some(PathBuf::new()), ..TieredConfig::default() }
    }

    #[test]
    fn hits_come_from_the_highest_level_and_are_promoted() {
        check(
            TieredConfig { l1_entries: 1, ..with_disk() },
            "
            put a 0
            put b 0
            get b 0
            get a 0
            get a 0
            restart 0
            get b 0
            get b 0
            stats
            ",
            expect![[r#"
                get b 0: L1 Some("b@0")
                get a 0: L2 Some("a@0")
                get a 0: L1 Some("a@0")
                get b 0: L3 Some("b@0")
                get b 0: L1 Some("b@0")
                L1 1h 1m 1e 0ev | L2 0h 1m 1e 0ev | L3 1h 0m 2e 0ev | hit rate 1.00, 0 invalidated
            "#]],
        );
    }

    #[test]
    fn a_new_generation_never_serves_stale_values() {
        check(
            with_disk(),
            "
            gen 1
            put a 1
            gen 2
            get a 2
            get a 1
            put b 1
            get b 2
            put a 2
            restart 2
            get a 2
            restart 3
            get a 3
            stats
            ",
            expect![[r#"
                get a 2: miss None
                get a 1: miss None
                get b 2: miss None
                get a 2: L3 Some("a@2")
                get a 3: miss None
                L1 0h 1m 0e 0ev | L2 0h 1m 0e 0ev | L3 0h 1m 0e 0ev | hit rate 0.00, 0 invalidated
            "#]],
        );
    }

    #[test]
    fn corrupt_files_are_misses() {
        check(
            with_disk(),
            "
            put a 0
            restart 0
            corrupt a
            get a 0
            put a 0
            get a 0
            stats
            ",
            expect![[r#"
                get a 0: miss None
                get a 0: L1 Some("a@0")
                L1 1h 1m 1e 0ev | L2 0h 1m 1e 0ev | L3 0h 1m 1e 0ev | hit rate 0.50, 0 invalidated
            "#]],
        );
    }

    #[test]
    fn levels_are_bounded() {
        let script: String =
            (0..40).map(|i| format!("put k{i} 0\n")).collect::<String>() + "get k0 0\nget k39 0\nstats";
        check(
            TieredConfig { l1_entries: 4, l2_bytes: 300, l3_dir: Some(PathBuf::new()), l3_bytes: 1000 },
            &script,
            expect![[r#"
                get k0 0: miss None
                get k39 0: L1 Some("k39@0")
                L1 1h 1m 4e 36ev | L2 0h 1m 13e 27ev | L3 0h 1m 19e 21ev | hit rate 0.50, 0 invalidated
            "#]],
        );
    }

    /// Sizes a fuzzer sent through client settings: 2^53 entries aborted the process on the
    /// allocation, 2^63 made every insert fail with a capacity overflow.
    #[test]
    fn huge_configured_sizes_allocate_nothing_up_front() {
        for entries in [1usize << 53, 1 << 63, usize::MAX] {
            check(
                TieredConfig { l1_entries: entries, l2_bytes: usize::MAX, l3_dir: None, l3_bytes: u64::MAX },
                "put a 0\nput b 0\nget a 0\nget b 0\nstats",
                expect![[r#"
                    get a 0: L1 Some("a@0")
                    get b 0: L1 Some("b@0")
                    L1 2h 0m 2e 0ev | L2 0h 0m 2e 0ev | L3 0h 0m 0e 0ev | hit rate 1.00, 0 invalidated
                "#]],
            );
        }
    }
}
