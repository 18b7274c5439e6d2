//! Byte storage for the completion index, and the flat layout read from it in place.
//!
//! [`Bytes`] is owned memory or a slice of a memory-mapped file, so one `fst::Map<Bytes>` type
//! serves both a freshly built index and one opened from the cache without copying, and a
//! slice of it can be handed to each part. A payload of [`Sections`] is a section count, a
//! table of lengths, then the sections, each starting 8-byte aligned. Integer arrays inside
//! sections are little-endian and read in place: fixed-width `u16`/`u32`, or bit-packed to the
//! width their largest value needs ([`pack`], [`unpack`]). Nothing here knows what the
//! sections mean; [`super::completion`] does.

use std::ops::Range;
use std::sync::Arc;

use crate::vfs::Mapped;

/// Bytes an fst or a section can live in.
#[derive(Clone)]
pub struct Bytes {
    owner: Owner,
    start: usize,
    end: usize,
}

#[derive(Clone)]
enum Owner {
    Owned(Arc<[u8]>),
    Mapped(Mapped),
}

impl Bytes {
    /// `range` of a mapped file.
    pub fn mapped(map: Mapped, range: Range<usize>) -> Bytes {
        assert!(range.start <= range.end && range.end <= (*map).as_ref().len(), "range inside the map");
        Bytes { owner: Owner::Mapped(map), start: range.start, end: range.end }
    }

    /// A sub-slice sharing the same storage; `range` is relative to this slice.
    pub fn slice(&self, range: Range<usize>) -> Bytes {
        assert!(range.start <= range.end && range.end <= self.end - self.start, "range inside the slice");
        Bytes { owner: self.owner.clone(), start: self.start + range.start, end: self.start + range.end }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        let end = v.len();
        Bytes { owner: Owner::Owned(Arc::from(v)), start: 0, end }
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        let all: &[u8] = match &self.owner {
            Owner::Owned(b) => b,
            Owner::Mapped(m) => (**m).as_ref(),
        };
        &all[self.start..self.end]
    }
}

/// Concatenates sections: `count (u64) | length (u64) × count | sections`, each section
/// padded to a multiple of 8 bytes.
#[derive(Default)]
pub struct Sections(Vec<Vec<u8>>);

impl Sections {
    pub fn push(&mut self, section: Vec<u8>) {
        self.0.push(section);
    }

    pub fn finish(self) -> Vec<u8> {
        let body: usize = self.0.iter().map(|s| s.len().next_multiple_of(8)).sum();
        let mut out = Vec::with_capacity(8 + 8 * self.0.len() + body);
        out.extend_from_slice(&(self.0.len() as u64).to_le_bytes());
        for s in &self.0 {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        }
        for s in &self.0 {
            out.extend_from_slice(s);
            out.resize(out.len().next_multiple_of(8), 0);
        }
        out
    }

    /// The byte ranges of the sections in `data`, or `None` when the table does not fit.
    pub fn parse(data: &[u8]) -> Option<Vec<Range<usize>>> {
        let count = usize::try_from(read_u64(data, 0)?).ok()?;
        let mut at = 8usize.checked_add(count.checked_mul(8)?)?;
        let mut ranges = Vec::with_capacity(count.min(64));
        for i in 0..count {
            let len = usize::try_from(read_u64(data, 8 + 8 * i)?).ok()?;
            let end = at.checked_add(len)?;
            if end > data.len() {
                return None;
            }
            ranges.push(at..end);
            at = end.checked_next_multiple_of(8)?;
        }
        Some(ranges)
    }
}

fn read_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(data.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// The `i`th `u32` of a little-endian array.
pub fn u32_at(data: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(data[4 * i..4 * i + 4].try_into().expect("4 bytes"))
}

/// The `i`th `u16` of a little-endian array.
pub fn u16_at(data: &[u8], i: usize) -> u16 {
    u16::from_le_bytes(data[2 * i..2 * i + 2].try_into().expect("2 bytes"))
}

/// Bits needed to store every value up to `max`.
pub fn bits_for(max: u32) -> u32 {
    32 - max.leading_zeros()
}

/// Bytes of `n` values packed at `width` bits, including the tail [`unpack`] may read.
pub fn packed_len(n: usize, width: u32) -> usize {
    (n * width as usize).div_ceil(8) + 8
}

/// Packs `values` at `width` bits each (least significant bits first).
pub fn pack(values: impl IntoIterator<Item = u32>, n: usize, width: u32) -> Vec<u8> {
    let mut out = vec![0u8; packed_len(n, width)];
    for (i, v) in values.into_iter().enumerate() {
        debug_assert!(width == 32 || v >> width == 0, "{v} fits in {width} bits");
        let bit = i * width as usize;
        let word = u64::from(v) << (bit % 8);
        for (j, b) in word.to_le_bytes().iter().enumerate().take(5) {
            out[bit / 8 + j] |= b;
        }
    }
    out
}

/// The `i`th value of an array packed at `width` bits.
pub fn unpack(data: &[u8], width: u32, i: usize) -> u32 {
    let bit = i * width as usize;
    let word = u64::from_le_bytes(data[bit / 8..bit / 8 + 8].try_into().expect("8 bytes"));
    ((word >> (bit % 8)) & ((1u64 << width) - 1)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_values_and_sections_read_back() {
        for width in [0, 1, 7, 17, 32] {
            let max = if width == 0 { 0 } else { u32::MAX >> (32 - width) };
            let values: Vec<u32> = (0..100u32).map(|i| i.wrapping_mul(2_654_435_761) & max).collect();
            let packed = pack(values.iter().copied(), values.len(), width);
            let back: Vec<u32> = (0..values.len()).map(|i| unpack(&packed, width, i)).collect();
            assert_eq!(back, values, "width {width}");
        }
        let mut s = Sections::default();
        s.push(b"abc".to_vec());
        s.push(Vec::new());
        s.push(b"0123456789".to_vec());
        let data = s.finish();
        let ranges = Sections::parse(&data).unwrap();
        let got: Vec<&[u8]> = ranges.into_iter().map(|r| &data[r]).collect();
        assert_eq!(got, [&b"abc"[..], b"", b"0123456789"]);
        assert!(Sections::parse(&data[..data.len() - 9]).is_none());
    }
}
