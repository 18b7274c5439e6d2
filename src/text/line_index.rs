//! Conversion between byte offsets and (line, column) pairs in UTF-8 or UTF-16 code units.
//!
//! Owns line splitting (`\n`, `\r\n` and a lone `\r`, as the LSP specification says) and column
//! arithmetic. It knows nothing of protocol types: the LSP layer maps its `Position` onto
//! [`LineCol`] and picks the [`Encoding`] that the client negotiated.

/// The unit a column counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units: the LSP default.
    #[default]
    Utf16,
}

/// A zero-based line and a column in the units of an [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Line starts of one text, built once per document version.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the first character of each line; always starts with 0.
    starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, len: text.len() as u32 }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte range of line `line` without its terminator; `None` past the last line.
    pub fn line_range(&self, text: &str, line: u32) -> Option<std::ops::Range<usize>> {
        let start = *self.starts.get(line as usize)? as usize;
        let mut end = self.starts.get(line as usize + 1).map_or(self.len as usize, |&e| e as usize);
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        Some(start..end)
    }

    /// The line and column of byte `offset` (clamped to the text, and moved back to a
    /// character boundary if it falls inside one).
    pub fn line_col(&self, text: &str, offset: usize, enc: Encoding) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&(offset as u32)) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let range = self.line_range(text, line as u32).expect("line exists");
        let upto = offset.min(range.end);
        let col = col_units(&text[range.start..upto], enc);
        LineCol { line: line as u32, col: col as u32 }
    }

    /// The byte offset of `pos`. A column past the end of its line clamps to the line end, a
    /// column inside a UTF-16 surrogate pair moves back to the character's start, and a line
    /// past the end clamps to the end of the text.
    pub fn offset(&self, text: &str, pos: LineCol, enc: Encoding) -> usize {
        let Some(range) = self.line_range(text, pos.line) else {
            return text.len();
        };
        let line = &text[range.clone()];
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            let w = match enc {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units + w > pos.col as usize {
                return range.start + i;
            }
            units += w;
        }
        range.end
    }
}

fn col_units(s: &str, enc: Encoding) -> usize {
    match enc {
        Encoding::Utf8 => s.len(),
        Encoding::Utf16 => s.chars().map(char::len_utf16).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str, enc: Encoding) {
        let idx = LineIndex::new(text);
        for (off, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            if text[..off].ends_with('\r') && text[off..].starts_with('\n') {
                continue; // Inside a line terminator: no position names it.
            }
            let lc = idx.line_col(text, off, enc);
            assert_eq!(idx.offset(text, lc, enc), off, "offset {off} via {lc:?} in {text:?}");
        }
    }

    #[test]
    fn utf16_columns_count_surrogate_pairs_twice() {
        let text = "a😀b\n漢字 tokio\r\nx";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap();
        assert_eq!(idx.line_col(text, b, Encoding::Utf16), LineCol { line: 0, col: 3 });
        assert_eq!(idx.line_col(text, b, Encoding::Utf8), LineCol { line: 0, col: 5 });
        let t = text.find("tokio").unwrap();
        assert_eq!(idx.line_col(text, t, Encoding::Utf16), LineCol { line: 1, col: 3 });
        assert_eq!(idx.offset(text, LineCol { line: 1, col: 3 }, Encoding::Utf16), t);
        assert_eq!(idx.line_col(text, text.len(), Encoding::Utf16), LineCol { line: 2, col: 1 });
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            roundtrip(text, enc);
            roundtrip("e\u{301}t\u{e9}\r\r\n\n👍🏽 done", enc);
        }
    }

    #[test]
    fn positions_past_the_end_clamp() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16), 2);
        assert_eq!(idx.offset(text, LineCol { line: 7, col: 0 }, Encoding::Utf16), 6);
        // Inside a surrogate pair: back to the start of the emoji.
        let text = "😀x";
        let idx = LineIndex::new(text);
        assert_eq!(idx.offset(text, LineCol { line: 0, col: 1 }, Encoding::Utf16), 0);
    }

    #[test]
    fn lone_carriage_return_ends_a_line() {
        let text = "a\rb\r\nc\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_col(text, 2, Encoding::Utf8), LineCol { line: 1, col: 0 });
        assert_eq!(idx.line_col(text, 5, Encoding::Utf8), LineCol { line: 2, col: 0 });
    }
}
