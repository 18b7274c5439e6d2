//! Conversions between protocol types and the core's plain data: positions, ranges, URIs.
//!
//! The one place where LSP positions (UTF-16 or UTF-8 columns, as negotiated) become byte
//! offsets and back. It holds no state and makes no decisions about features.

use std::path::{Path, PathBuf};

use ls_types::{Location, Position, Range, Uri};

use crate::text::{Encoding, LineCol, LineIndex};

pub fn offset(text: &str, index: &LineIndex, pos: Position, enc: Encoding) -> usize {
    index.offset(text, LineCol { line: pos.line, col: pos.character }, enc)
}

pub fn position(text: &str, index: &LineIndex, offset: usize, enc: Encoding) -> Position {
    let lc = index.line_col(text, offset, enc);
    Position { line: lc.line, character: lc.col }
}

pub fn range(text: &str, index: &LineIndex, r: std::ops::Range<usize>, enc: Encoding) -> Range {
    Range { start: position(text, index, r.start, enc), end: position(text, index, r.end, enc) }
}

/// The file path of a `file:` URI; `None` for other schemes (`untitled:` buffers).
pub fn path(uri: &Uri) -> Option<PathBuf> {
    let scheme = uri.scheme().as_str();
    if !scheme.eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// A location at the start of `line` in `path`.
pub fn location(path: &Path, line: u32) -> Option<Location> {
    let start = Position { line, character: 0 };
    Some(Location { uri: uri(path)?, range: Range { start, end: start } })
}
