//! L3 of [`TieredCache`](super::TieredCache): sealed files in one folder, bounded by bytes,
//! surviving restarts.
//!
//! Files are read on the caller's thread and written and removed by one writer thread that
//! [`Disk`] owns and joins when dropped; the writer keeps the folder under its byte cap,
//! oldest first. A corrupt, truncated, foreign or unreadable file is a miss, never an error,
//! and is removed when it can never be a hit. This file knows the file format and the folder,
//! not what the values mean or which level asks; it reaches the folder only through the
//! [`Vfs`] it is given.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::metrics::LevelMetrics;
use super::{seal, unseal};
use crate::vfs::Vfs;

const MAGIC: &[u8; 8] = b"KGLSTIER";
/// Bump when what a cached value means changes (2: queries and text fold with full Unicode case
/// folding, so an older answer may miss matches).
const VERSION: u32 = 2;
const EXTENSION: &str = "kgc";

/// What an L3 file holds, inside its sealed envelope.
#[derive(Serialize, Deserialize)]
struct DiskEntry {
    key: String,
    generation: u64,
    /// The value as L2 holds it: postcard, then lz4.
    data: Vec<u8>,
}

enum Job {
    Write(PathBuf, Vec<u8>),
    Remove(PathBuf),
    Flush(mpsc::Sender<()>),
}

pub(super) struct Disk {
    fs: Arc<dyn Vfs>,
    dir: PathBuf,
    /// No entry is larger than the whole level.
    cap: u64,
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// A stable 64-bit FNV-1a hash, so file names do not change between builds.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Disk {
    /// Opens the folder `dir`, holding at most `cap` bytes of files, counting in `metrics`.
    pub(super) fn open(fs: Arc<dyn Vfs>, dir: PathBuf, cap: u64, metrics: Arc<LevelMetrics>) -> Disk {
        let (tx, rx) = mpsc::channel();
        let (worker_fs, worker_dir) = (fs.clone(), dir.clone());
        let writer = std::thread::Builder::new()
            .name("kg-ls cache writer".into())
            .spawn(move || write_loop(&*worker_fs, &worker_dir, cap, &metrics, rx))
            .map_err(|e| tracing::warn!("no cache writer thread, L3 is read-only: {e}"))
            .ok();
        Disk { fs, dir, cap, tx: Mutex::new(Some(tx)), writer: Mutex::new(writer) }
    }

    /// The file that holds `key`.
    pub(super) fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{:016x}.{EXTENSION}", stable_hash(key.as_bytes())))
    }

    fn send(&self, job: Job) {
        if let Some(tx) = self.tx.lock().as_ref() {
            let _ = tx.send(job);
        }
    }

    /// Queues `data` (the value as L2 holds it) to be written for `key` at generation `g`.
    pub(super) fn write(&self, key: &str, g: u64, data: &[u8]) {
        let entry = DiskEntry { key: key.to_string(), generation: g, data: data.to_vec() };
        let payload = postcard::to_stdvec(&entry).expect("serializing to a Vec cannot fail");
        self.send(Job::Write(self.path(key), seal(MAGIC, VERSION, &payload)));
    }

    /// Waits until every write queued so far is on disk.
    pub(super) fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        self.send(Job::Flush(tx));
        let _ = rx.recv();
    }

    /// The stored data of `key` at generation `g`; anything else is a miss.
    pub(super) fn read(&self, key: &str, g: u64) -> Option<Vec<u8>> {
        let path = self.path(key);
        let bytes = self.fs.read(&path, self.cap).ok()?;
        let entry = match unseal(MAGIC, VERSION, &bytes) {
            Ok(payload) => postcard::from_bytes::<DiskEntry>(payload).ok(),
            Err(e) => {
                tracing::debug!("ignoring cache file {}: {e}", path.display());
                None
            }
        };
        match entry {
            Some(e) if e.key == key && e.generation == g => Some(e.data),
            Some(e) if e.key != key => None,
            _ => {
                // Stale or damaged: it will never be a hit, so it goes.
                self.send(Job::Remove(path));
                None
            }
        }
    }
}

impl Drop for Disk {
    /// Ends the writer thread once it has done what was queued.
    fn drop(&mut self) {
        self.tx.lock().take();
        if let Some(h) = self.writer.lock().take() {
            let _ = h.join();
        }
    }
}

/// The L3 files the writer knows, oldest first.
#[derive(Default)]
struct DiskIndex {
    files: HashMap<PathBuf, (u64, u64)>,
    order: BTreeMap<u64, PathBuf>,
    seq: u64,
    total: u64,
}

impl DiskIndex {
    fn track(&mut self, path: PathBuf, len: u64) {
        self.forget(&path);
        self.seq += 1;
        self.files.insert(path.clone(), (self.seq, len));
        self.order.insert(self.seq, path);
        self.total += len;
    }

    fn forget(&mut self, path: &Path) {
        if let Some((s, len)) = self.files.remove(path) {
            self.order.remove(&s);
            self.total -= len;
        }
    }

    /// Removes the oldest files until the total fits `cap`; returns how many went.
    fn evict(&mut self, fs: &dyn Vfs, cap: u64) -> u64 {
        let mut n = 0;
        while self.total > cap {
            let Some((_, path)) = self.order.pop_first() else { break };
            if let Some((_, len)) = self.files.remove(&path) {
                self.total -= len;
            }
            let _ = fs.remove_file(&path);
            n += 1;
        }
        n
    }
}

/// The writer thread: writes and removes L3 files and keeps their total under `cap` bytes,
/// removing the oldest first. Ends when the cache drops its sender.
fn write_loop(fs: &dyn Vfs, dir: &Path, cap: u64, metrics: &LevelMetrics, rx: mpsc::Receiver<Job>) {
    let mut index = DiskIndex::default();
    let mut found: Vec<(std::time::SystemTime, PathBuf, u64)> = fs
        .list_dir(dir)
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == EXTENSION))
        .filter_map(|(p, stamp)| Some((stamp.modified?, p, stamp.len)))
        .collect();
    found.sort();
    for (_, path, len) in found {
        index.track(path, len);
    }
    metrics.evicted(index.evict(fs, cap));
    metrics.set_size(index.files.len() as u64, index.total);
    for job in rx {
        match job {
            Job::Write(path, bytes) => match fs.write_atomic(&path, &bytes) {
                Ok(()) => index.track(path, bytes.len() as u64),
                Err(e) => tracing::debug!("cannot write cache file {}: {e}", path.display()),
            },
            Job::Remove(path) => {
                let _ = fs.remove_file(&path);
                index.forget(&path);
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
        metrics.evicted(index.evict(fs, cap));
        metrics.set_size(index.files.len() as u64, index.total);
    }
}
