//! The completion index's codecs for text: every entry's text front-coded in blocks of
//! [`TEXT_BLOCK`] entries that each decode on their own ([`encode_texts`], [`Text`]), the check
//! that a stored block table and its heads are consistent ([`check_texts`]), and the small table
//! of concept names that no entry spells ([`encode_strings`], [`decode_strings`]).
//!
//! Decoding is total: a damaged block gives some other text, never a panic or a read out of
//! bounds. It must not know where the sections lie in the payload (that is [`super::format`]'s).

use std::borrow::Cow;
use std::ops::Range;

use super::TEXT_BLOCK;
use super::format::FormatError;
use crate::index::bytes::u32_at;

/// Every entry's text, in blocks of [`TEXT_BLOCK`] entries: `starts (u32 × (blocks + 1)) |
/// blocks`, where block `b` is `blocks[starts[b]..starts[b + 1]]`. Inside a block each text is
/// front-coded against the one before it (the block's first against nothing). A block of `n`
/// texts is `shared (u8 × n) | lengths (u8 × n) | rests`: per text, the bytes it shares with
/// the previous text (on a character boundary), the length of the rest that follows them (255:
/// the length is a `u32` just before the rest), and the rests back to back. Fixed-width heads
/// locate any text of a block with a few additions. Texts arrive sorted by key, so neighbours
/// share long prefixes.
pub(super) fn encode_texts<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut starts = Vec::new();
    let mut blocks = Vec::new();
    let (mut lengths, mut rests) = (Vec::with_capacity(TEXT_BLOCK), Vec::new());
    let mut prev = "";
    for (i, t) in texts.enumerate() {
        if i % TEXT_BLOCK == 0 {
            // The previous block's shared bytes are in; its lengths and rests follow them.
            blocks.append(&mut lengths);
            blocks.append(&mut rests);
            starts.extend_from_slice(&u32::try_from(blocks.len()).expect("texts under 4 GiB").to_le_bytes());
            prev = "";
        }
        let mut shared = prev.bytes().zip(t.bytes()).take(255).take_while(|(a, b)| a == b).count();
        while !t.is_char_boundary(shared) {
            shared -= 1;
        }
        blocks.push(shared as u8);
        let rest = &t.as_bytes()[shared..];
        lengths.push(rest.len().min(255) as u8);
        if rest.len() >= 255 {
            rests.extend_from_slice(&u32::try_from(rest.len()).expect("texts under 4 GiB").to_le_bytes());
        }
        rests.extend_from_slice(rest);
        prev = t;
    }
    blocks.append(&mut lengths);
    blocks.append(&mut rests);
    starts.extend_from_slice(&u32::try_from(blocks.len()).expect("texts under 4 GiB").to_le_bytes());
    starts.append(&mut blocks);
    starts
}

/// The texts of a block up to some text: where each one's rest lies in the block. The bytes
/// each shares with the previous text are the block's first bytes.
pub(super) struct TextHeads {
    starts: [u32; TEXT_BLOCK],
    ends: [u32; TEXT_BLOCK],
    /// How many texts were found: those asked for, or fewer when the block is corrupt.
    found: usize,
}

impl TextHeads {
    /// Reads the heads of the first `count` texts of a block of `n` texts.
    fn read(block: &[u8], n: usize, count: usize) -> TextHeads {
        let mut heads = TextHeads { starts: [0; TEXT_BLOCK], ends: [0; TEXT_BLOCK], found: 0 };
        let Some(lengths) = block.get(n..2 * n) else { return heads };
        let mut at = 2 * n;
        for (k, &len) in lengths.iter().enumerate().take(count.min(TEXT_BLOCK)) {
            let mut len = usize::from(len);
            if len == 255 {
                let Some(long) = block.get(at..at + 4) else { break };
                len = u32::from_le_bytes(long.try_into().expect("4 bytes")) as usize;
                at += 4;
            }
            let Some(end) = at.checked_add(len).filter(|&end| end <= block.len()) else { break };
            (heads.starts[k], heads.ends[k]) = (at as u32, end as u32);
            at = end;
            heads.found = k + 1;
        }
        heads
    }

    fn rest(&self, k: usize) -> Range<usize> {
        self.starts[k] as usize..self.ends[k] as usize
    }
}

/// Checks the texts of `entries` entries as [`CompletionIndex::text`] reads them: the block
/// table ascends inside the section, and each block holds exactly its texts, each sharing no
/// more than the previous text's length. This reads only the heads of the texts; a text whose
/// bytes are corrupt still decodes, to other text (see [`Text`]).
pub(super) fn check_texts(starts: &[u8], blocks: &[u8], entries: usize) -> Result<(), FormatError> {
    let bad = || FormatError::Texts;
    let count = entries.div_ceil(TEXT_BLOCK);
    if u32_at(starts, 0) != 0 || u32_at(starts, count) as usize != blocks.len() {
        return Err(bad());
    }
    for b in 0..count {
        let (start, end) = (u32_at(starts, b) as usize, u32_at(starts, b + 1) as usize);
        let block = blocks.get(start..end).ok_or_else(bad)?;
        let n = TEXT_BLOCK.min(entries - b * TEXT_BLOCK);
        let heads = TextHeads::read(block, n, n);
        if heads.found != n || heads.ends[n - 1] as usize != block.len() {
            return Err(bad());
        }
        let mut prev_len = 0;
        for (k, &shared) in block[..n].iter().enumerate() {
            if usize::from(shared) > prev_len {
                return Err(bad());
            }
            prev_len = usize::from(shared) + heads.rest(k).len();
        }
    }
    Ok(())
}

/// One text of a block of [`encode_texts`], located. Total: a block that [`check_texts`] would
/// refuse, or bytes that are not UTF-8, give some other text, never a panic.
pub(super) struct Text<'a> {
    block: &'a [u8],
    heads: TextHeads,
    /// The text's place in the block; `None` when the block is too corrupt to hold it.
    i: Option<usize>,
}

/// Texts up to this many bytes are decoded on the stack by [`CompletionIndex::with_text`].
const INLINE_TEXT: usize = 64;

impl<'a> Text<'a> {
    /// The `i`th text of a block of `n` texts.
    pub(super) fn locate(block: &'a [u8], n: usize, i: usize) -> Text<'a> {
        let heads = TextHeads::read(block, n, i + 1);
        let i = heads.found.checked_sub(1);
        Text { block, heads, i }
    }

    /// The bytes shared with the previous text, and where the rest lies.
    fn head(&self) -> (usize, Range<usize>) {
        self.i.map_or((0, 0..0), |i| (usize::from(self.block[i]), self.heads.rest(i)))
    }

    /// Writes the text into `out`, which is as long as the text. The rest follows the shared
    /// bytes, which the texts before it spell: walking back, each earlier text supplies what
    /// lies between its own shared bytes and what is still missing.
    fn write(&self, shared: usize, rest: Range<usize>, out: &mut [u8]) {
        out[shared..].copy_from_slice(&self.block[rest]);
        let mut missing = shared;
        for k in (0..self.i.unwrap_or(0)).rev() {
            if missing == 0 {
                break;
            }
            let shared = usize::from(self.block[k]);
            if shared < missing {
                let rest = self.heads.rest(k);
                let n = (missing - shared).min(rest.len());
                out[shared..shared + n].copy_from_slice(&self.block[rest.start..rest.start + n]);
                missing = shared;
            }
        }
    }

    pub(super) fn to_cow(&self) -> Cow<'a, str> {
        let (shared, rest) = self.head();
        if shared == 0 {
            return String::from_utf8_lossy(&self.block[rest]);
        }
        let mut text = vec![0; shared + rest.len()];
        self.write(shared, rest, &mut text);
        match String::from_utf8(text) {
            Ok(text) => Cow::Owned(text),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }

    pub(super) fn with<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let (shared, rest) = self.head();
        let len = shared + rest.len();
        let mut buf = [0; INLINE_TEXT];
        let bytes = if shared == 0 {
            &self.block[rest]
        } else if len <= INLINE_TEXT {
            self.write(shared, rest, &mut buf[..len]);
            &buf[..len]
        } else {
            return f(&self.to_cow());
        };
        match std::str::from_utf8(bytes) {
            Ok(text) => f(text),
            Err(_) => f(&String::from_utf8_lossy(bytes)),
        }
    }
}

/// `len (u32) | ids (u32 × len) | ends (u32 × len) | text`, ids ascending.
pub(super) fn encode_strings(items: &[(u32, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for (id, _) in items {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let mut end = 0u32;
    for (_, s) in items {
        end += s.len() as u32;
        out.extend_from_slice(&end.to_le_bytes());
    }
    for (_, s) in items {
        out.extend_from_slice(s.as_bytes());
    }
    out
}

/// Reads [`encode_strings`], checking that ids ascend below `bound` and texts are UTF-8.
pub(super) fn decode_strings(data: &[u8], bound: usize) -> Result<Vec<(u32, String)>, FormatError> {
    let bad = || FormatError::Names;
    let n = u32_at(data.get(..4).ok_or_else(bad)?, 0) as usize;
    let text_at = 4 + n.checked_mul(8).ok_or_else(bad)?;
    let text = data.get(text_at..).ok_or_else(bad)?;
    let mut out = Vec::with_capacity(n);
    let mut start = 0usize;
    for i in 0..n {
        let id = u32_at(&data[4..], i);
        let end = u32_at(&data[4 + 4 * n..], i) as usize;
        if id as usize >= bound || out.last().is_some_and(|(last, _)| *last >= id) || end < start || end > text.len() {
            return Err(bad());
        }
        out.push((id, String::from_utf8(text[start..end].to_vec()).map_err(|_| bad())?));
        start = end;
    }
    Ok(out)
}
