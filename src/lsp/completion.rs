//! `textDocument/completion`: the list's shape, serialized once from borrowed data.
//!
//! The reply carries `itemDefaults.editRange` (LSP 3.17, which `ls_types::CompletionList`
//! cannot express) when the client supports it: items that replace the common span then need
//! no text edit of their own. In the middle of a word, clients with `insertReplaceSupport` get an
//! insert range (up to the cursor) and a replace range (through the word) on every item.
//! `labelDetails` go only to clients that declare `labelDetailsSupport`.
//!
//! Owns the shape of completion items; must not compute completions (one call to
//! [`Analysis::completions`](crate::analysis::Analysis::completions)).

use std::borrow::Cow;
use std::ops::Range as Span;

use ls_types::{CompletionItemKind, CompletionParams, Range};
use serde::Serialize;

use super::caps::ACCEPT_COMMAND;
use super::convert;
use super::handlers::{Answer, Snapshot, json};
use crate::index::Quality;
use crate::search::Cancel;

/// The JSON text of the completion list for `params`.
pub fn reply(snap: &Snapshot, params: CompletionParams, _: &Cancel) -> Answer {
    let tdp = params.text_document_position;
    let Some(doc) = &snap.doc else { return json(&None::<()>) };
    let a = &snap.analysis;
    let client = &snap.client;
    let enc = client.encoding;
    let offset = convert::offset(&doc.text, &doc.line_index, tdp.position, enc);
    let result = a.completions(&doc.text, offset, snap.completion_limit);

    // In the middle of a word (`tok|io`), clients that take them get insert-or-replace edits:
    // the editor's setting decides whether the rest of the word goes.
    let word_tail = (client.completion_insert_replace && result.word_end > offset).then_some(result.word_end);
    // The span most items replace becomes the list's default, when the client takes one.
    let common = (client.completion_edit_range_default && word_tail.is_none())
        .then(|| most_common(result.items.iter().map(|i| &i.replace)));
    let common = common.flatten();
    let range = |span: &Span<usize>| convert::range(&doc.text, &doc.line_index, span.clone(), enc);

    let paths: Vec<Option<Cow<'_, str>>> =
        result.items.iter().map(|item| item.concept.as_ref().map(|c| c.path.to_string_lossy())).collect();
    // A term several concepts claim is one item that names them all.
    let details: Vec<String> = result.items.iter().map(|item| item.canonicals.join(", ")).collect();
    let items: Vec<Item<'_>> = result
        .items
        .iter()
        .zip(&paths)
        .zip(&details)
        .enumerate()
        .map(|(i, ((item, path), detail))| {
            let (term, canonical) = (&*item.term, &*item.canonical);
            let detail = if detail.is_empty() { canonical } else { detail.as_str() };
            Item {
                // The label is what is inserted, in the case the user typed: clients that
                // filter by the label case-sensitively (Emacs) keep `Middleware` for `Midd`.
                label: &item.insert,
                label_details: (client.completion_label_details && (term != canonical || item.canonicals.len() > 1))
                    .then_some(LabelDetails { description: detail }),
                kind: CompletionItemKind::TEXT,
                detail,
                sort_text: SortText(i),
                // A typo or an abbreviation does not match the typed text the way clients
                // filter (VS Code drops "photosynthesis" for "photosinthesis"): filter it by
                // the typed text itself, so the server's ranking is what the user sees.
                filter_text: (!matches!(item.kind, Quality::Exact | Quality::Prefix))
                    .then(|| &doc.text[item.replace.clone()]),
                text_edit: match word_tail {
                    Some(end) => Some(Edit::InsertReplace {
                        new_text: &item.insert,
                        insert: range(&item.replace),
                        replace: range(&(item.replace.start..end)),
                    }),
                    None => (common.as_ref() != Some(&item.replace))
                        .then(|| Edit::Text { range: range(&item.replace), new_text: &item.insert }),
                },
                command: Command { title: "", command: ACCEPT_COMMAND, arguments: [term, canonical] },
                // Documentation is rendered on `completionItem/resolve`, for the item shown.
                data: Data {
                    concept: canonical,
                    path: path.as_deref(),
                    id: item.concept.as_ref().map(|c| c.id.0),
                    graph: item.concept.as_ref().map(|c| c.graph.0),
                },
            }
        })
        .collect();
    let list = List {
        is_incomplete: result.incomplete,
        item_defaults: common.map(|span| ItemDefaults { edit_range: range(&span) }),
        items,
    };
    json(&list)
}

/// The span that occurs most often (the first of equals), if any.
fn most_common<'a>(spans: impl Iterator<Item = &'a Span<usize>>) -> Option<Span<usize>> {
    let mut counts: Vec<(&Span<usize>, usize)> = Vec::new();
    for span in spans {
        match counts.iter_mut().find(|(s, _)| *s == span) {
            Some((_, n)) => *n += 1,
            None => counts.push((span, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(s, _)| s.clone())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List<'a> {
    is_incomplete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_defaults: Option<ItemDefaults>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemDefaults {
    edit_range: Range,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label_details: Option<LabelDetails<'a>>,
    kind: CompletionItemKind,
    detail: &'a str,
    sort_text: SortText,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text_edit: Option<Edit<'a>>,
    command: Command<'a>,
    data: Data<'a>,
}

#[derive(Serialize)]
struct LabelDetails<'a> {
    description: &'a str,
}

#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Edit<'a> {
    Text { range: Range, new_text: &'a str },
    InsertReplace { new_text: &'a str, insert: Range, replace: Range },
}

#[derive(Serialize)]
struct Command<'a> {
    title: &'static str,
    command: &'static str,
    arguments: [&'a str; 2],
}

/// What `completionItem/resolve` needs to find the concept again: its id in the graph of
/// this answer (stamped), and its name and file for a graph rebuilt since.
#[derive(Serialize)]
struct Data<'a> {
    concept: &'a str,
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    graph: Option<u64>,
}

/// The item's rank as a fixed-width string, so clients keep the server's order.
struct SortText(usize);

impl Serialize for SortText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:05}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_common_span_wins_and_ties_go_to_the_first() {
        let spans = [3..5, 0..5, 0..5, 3..5, 3..5];
        assert_eq!(most_common(spans.iter()), Some(3..5));
        let spans = [0..5, 3..5];
        assert_eq!(most_common(spans.iter()), Some(0..5));
        assert_eq!(most_common([].iter()), None);
    }
}
