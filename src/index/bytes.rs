//! Byte storage for fst maps: owned in memory, or a slice of a memory-mapped file.
//!
//! Lets one `fst::Map<Bytes>` type serve both a freshly built index and one opened from the
//! cache without copying. It owns no logic beyond slicing.

use std::sync::Arc;

/// Bytes an fst can live in.
#[derive(Clone)]
pub enum Bytes {
    Owned(Arc<[u8]>),
    Mapped { map: Arc<memmap2::Mmap>, start: usize, end: usize },
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes::Owned(Arc::from(v))
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            Bytes::Owned(b) => b,
            Bytes::Mapped { map, start, end } => &map[*start..*end],
        }
    }
}
