//! On-disk cache primitives shared by every persisted structure: where the cache lives and how
//! its bytes are sealed with a checksum (files are written and read through the
//! [`Vfs`](crate::vfs::Vfs) the host hands over).
//!
//! A sealed file is `magic (8 bytes) | format version (u32 LE) | payload length (u64 LE) |
//! CRC-32 of the payload (u32 LE) | payload`. [`unseal`] refuses anything that does not match to
//! the byte, so a torn, truncated, stale or foreign file is a miss, never trusted. These
//! primitives know nothing about what the payload means.
//!
//! On top of them, [`TieredCache`] (in `tiered.rs`, its disk level in `disk.rs`) is a generic
//! three-level cache (LRU, compressed, on disk) with per-level [`CacheSnapshot`] metrics (in
//! `metrics.rs`).

mod disk;
mod metrics;
mod tiered;

pub use disk::stable_hash;
pub use metrics::{CacheSnapshot, LevelMetrics, LevelSnapshot};
pub use tiered::{TieredCache, TieredConfig};

use std::path::PathBuf;

/// A 64-bit hash of `value` with std's `DefaultHasher` and its fixed keys: the same within a
/// build, for in-memory keys and for fingerprints that a format version guards (not for names
/// that must outlive a compiler upgrade: see [`stable_hash`]).
pub fn hash_of(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Bytes before the payload.
pub const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// The cache directory: `$KG_LS_CACHE_DIR`, else `$XDG_CACHE_HOME/kg-ls`, else
/// `~/.cache/kg-ls`. `None` when none of them can be named.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("KG_LS_CACHE_DIR") {
        return Some(dir);
    }
    if let Some(xdg) = var("XDG_CACHE_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("kg-ls"));
    }
    var("HOME").map(|h| h.join(".cache").join("kg-ls"))
}

/// Prepends the header to `payload`.
pub fn seal(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Why a sealed file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsealed {
    TooShort,
    WrongMagic,
    WrongVersion(u32),
    WrongLength,
    BadChecksum,
}

impl std::fmt::Display for Unsealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsealed::TooShort => f.write_str("file too short"),
            Unsealed::WrongMagic => f.write_str("not a kg-ls cache file of this kind"),
            Unsealed::WrongVersion(v) => write!(f, "format version {v} is not this build's"),
            Unsealed::WrongLength => f.write_str("length does not match (truncated?)"),
            Unsealed::BadChecksum => f.write_str("checksum mismatch (corrupt)"),
        }
    }
}

/// The payload of a sealed file, if its header matches and its checksum holds.
pub fn unseal<'a>(magic: &[u8; 8], version: u32, bytes: &'a [u8]) -> Result<&'a [u8], Unsealed> {
    if bytes.len() < HEADER_LEN {
        return Err(Unsealed::TooShort);
    }
    if &bytes[..8] != magic {
        return Err(Unsealed::WrongMagic);
    }
    let v = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if v != version {
        return Err(Unsealed::WrongVersion(v));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != len {
        return Err(Unsealed::WrongLength);
    }
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    if crc32fast::hash(payload) != crc {
        return Err(Unsealed::BadChecksum);
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"KGLSTEST";

    #[test]
    fn sealed_bytes_round_trip_and_damage_is_refused() {
        let sealed = seal(MAGIC, 3, b"payload");
        assert_eq!(unseal(MAGIC, 3, &sealed), Ok(&b"payload"[..]));
        assert_eq!(unseal(MAGIC, 4, &sealed), Err(Unsealed::WrongVersion(3)));
        assert_eq!(unseal(b"KGLSOTHR", 3, &sealed), Err(Unsealed::WrongMagic));
        assert_eq!(unseal(MAGIC, 3, &sealed[..sealed.len() - 1]), Err(Unsealed::WrongLength));
        assert_eq!(unseal(MAGIC, 3, &sealed[..10]), Err(Unsealed::TooShort));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(unseal(MAGIC, 3, &flipped), Err(Unsealed::BadChecksum));
    }
}
