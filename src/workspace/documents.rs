//! Documents open in the editor: their text, version and line index, edited in place.
//!
//! Keys are opaque strings chosen by the caller (the LSP layer uses URIs). Text is shared
//! behind `Arc`, so a snapshot taken for a request costs no copy; an edit copies only when a
//! snapshot still holds the old text.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::text::LineIndex;

/// One open document.
#[derive(Clone, Debug)]
pub struct Document {
    pub text: Arc<String>,
    pub version: i32,
    pub line_index: Arc<LineIndex>,
    /// The file behind the document, when it has one.
    pub path: Option<PathBuf>,
}

impl Document {
    pub fn new(text: String, version: i32, path: Option<PathBuf>) -> Document {
        let line_index = Arc::new(LineIndex::new(&text));
        Document { text: Arc::new(text), version, line_index, path }
    }

    /// Replaces `range` (byte offsets, clamped and moved to character boundaries) with `new`,
    /// or the whole text when `range` is `None`.
    pub fn edit(&mut self, range: Option<Range<usize>>, new: &str) {
        let text = Arc::make_mut(&mut self.text);
        match range {
            None => {
                text.clear();
                text.push_str(new);
            }
            Some(r) => {
                let mut start = r.start.min(text.len());
                let mut end = r.end.clamp(start, text.len());
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(start..end, new);
            }
        }
        self.line_index = Arc::new(LineIndex::new(text));
    }
}

/// All open documents.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    docs: HashMap<String, Document>,
}

impl Documents {
    pub fn open(&mut self, key: String, doc: Document) {
        self.docs.insert(key, doc);
    }

    pub fn close(&mut self, key: &str) -> Option<Document> {
        self.docs.remove(key)
    }

    pub fn get(&self, key: &str) -> Option<&Document> {
        self.docs.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Document> {
        self.docs.get_mut(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Document)> {
        self.docs.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_replace_ranges_and_keep_snapshots_intact() {
        let mut d = Document::new("hello 😀 world".into(), 1, None);
        let snapshot = d.text.clone();
        let w = d.text.find("world").unwrap();
        d.edit(Some(w..w + 5), "tokio\nruntime");
        assert_eq!(d.text.as_str(), "hello 😀 tokio\nruntime");
        assert_eq!(snapshot.as_str(), "hello 😀 world");
        assert_eq!(d.line_index.line_count(), 2);
        // A range inside the emoji widens to whole characters.
        d.edit(Some(7..8), "");
        assert_eq!(d.text.as_str(), "hello  tokio\nruntime");
        d.edit(None, "new");
        assert_eq!(d.text.as_str(), "new");
        d.edit(Some(10..20), "!");
        assert_eq!(d.text.as_str(), "new!");
    }
}
