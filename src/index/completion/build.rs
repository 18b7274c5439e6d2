//! Building a completion index: sorting the terms by folded key, quantizing weights,
//! precomputing the best entries of heavy prefixes and the lists of initials, and writing the
//! payload in the sections [`super::format`] reads (then reading it back, so a fresh index
//! passes the same checks as an opened one).
//!
//! It must not answer queries, and it writes no file (saving is [`crate::index::persist`]'s).

use std::collections::HashMap;

use super::codec::{encode_strings, encode_texts};
use super::{CompletionIndex, HEAVY_PREFIX_KEYS, PRECOMPUTED_K, TRACKED_PREFIX_CHARS, TermInput, TopK};
use crate::index::bytes::{Bytes, Sections, bits_for, pack};
use crate::index::matching::initials_of;
use crate::text::fold;

impl CompletionIndex {
    /// Builds the index. `concept_names[c]` names concept `c`; every term's `concept` must be
    /// an index into it.
    pub fn build(mut terms: Vec<TermInput>, concept_names: &[String]) -> CompletionIndex {
        // Sort by folded key, then by weight (best first) inside a key.
        let mut keyed: Vec<(String, TermInput)> =
            terms.drain(..).map(|t| (fold(&t.text), t)).filter(|(k, _)| !k.is_empty()).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.weight.total_cmp(&a.1.weight)));
        let n = keyed.len();
        let finite = |w: f32| if w.is_finite() { w } else { 0.0 };
        let weight_min = keyed.iter().map(|(_, t)| finite(t.weight)).fold(f32::INFINITY, f32::min);
        let weight_max = keyed.iter().map(|(_, t)| finite(t.weight)).fold(f32::NEG_INFINITY, f32::max);
        let (weight_min, weight_step) = if n > 0 && weight_max > weight_min {
            (weight_min, (weight_max - weight_min) / f32::from(u16::MAX))
        } else {
            (if n > 0 { weight_min } else { 0.0 }, 1.0)
        };
        let quantized: Vec<u16> =
            keyed.iter().map(|(_, t)| ((finite(t.weight) - weight_min) / weight_step).round() as u16).collect();
        let weight = |e: u32| quantized[e as usize];

        let mut keys = fst::MapBuilder::memory();
        let mut key_starts = vec![0u64; n.div_ceil(64)];
        let mut name_entry: Vec<u32> = vec![u32::MAX; concept_names.len()];
        let mut initials: HashMap<String, Vec<u32>> = HashMap::new();
        let mut prefix_lists: Vec<(String, Vec<u32>)> = Vec::new();
        // Per tracked prefix length: the current prefix, its first entry and its key count.
        let mut open: [Option<(String, u32, u32)>; TRACKED_PREFIX_CHARS] = Default::default();
        let mut i = 0;
        while i < n {
            let key = keyed[i].0.as_str();
            keys.insert(key.as_bytes(), i as u64).expect("keys are sorted and unique");
            key_starts[i / 64] |= 1 << (i % 64);
            let first = i as u32;
            while i < n && keyed[i].0 == key {
                let t = &keyed[i].1;
                if let Some(slot) = name_entry.get_mut(t.concept as usize)
                    && *slot == u32::MAX
                    && concept_names[t.concept as usize] == t.text
                {
                    *slot = i as u32;
                }
                i += 1;
            }
            let entries = first..i as u32;
            // Keys arrive sorted, so each prefix's entries are one contiguous range.
            for (len, slot) in open.iter_mut().enumerate() {
                let prefix = char_prefix(key, len + 1);
                if slot.as_ref().is_some_and(|(p, _, _)| Some(p.as_str()) != prefix)
                    && let Some(done) = slot.take()
                {
                    close_prefix(&mut prefix_lists, done, entries.start, &weight);
                }
                if let Some(prefix) = prefix {
                    slot.get_or_insert_with(|| (prefix.to_string(), entries.start, 0)).2 += 1;
                }
            }
            if let Some(ini) = initials_of(key) {
                initials.entry(ini).or_default().extend(entries);
            }
        }
        for slot in open.into_iter().flatten() {
            close_prefix(&mut prefix_lists, slot, n as u32, &weight);
        }
        // The empty prefix too: the best terms of all, for a query with nothing typed yet (a
        // bare `[[`), which would otherwise stream every key.
        let distinct = keyed.chunk_by(|a, b| a.0 == b.0).count() as u32;
        close_prefix(&mut prefix_lists, (String::new(), 0, distinct), n as u32, &weight);
        prefix_lists.sort_by(|a, b| a.0.cmp(&b.0));
        let mut initials: Vec<(String, Vec<u32>)> = initials.into_iter().collect();
        initials.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, list) in &mut initials {
            list.sort_by_key(|&e| std::cmp::Reverse(weight(e)));
            list.truncate(PRECOMPUTED_K);
        }

        // The payload.
        let concept_bits = bits_for(concept_names.len().saturating_sub(1) as u32);
        let entry_bits = bits_for(n as u32); // `n` itself marks "no entry".
        let initials_total: usize = initials.iter().map(|(_, l)| l.len()).sum();
        let mut s = Sections::default();
        let header = [
            n as u32,
            concept_names.len() as u32,
            concept_bits,
            entry_bits,
            weight_min.to_bits(),
            weight_step.to_bits(),
            initials_total as u32,
            PRECOMPUTED_K as u32,
        ];
        s.push(header.iter().flat_map(|v| v.to_le_bytes()).collect());
        s.push(keys.into_inner().expect("in-memory fst"));
        s.push(key_starts.iter().flat_map(|w| w.to_le_bytes()).collect());
        s.push(pack(keyed.iter().map(|(_, t)| t.concept), n, concept_bits));
        s.push(quantized.iter().flat_map(|w| w.to_le_bytes()).collect());
        s.push(encode_texts(keyed.iter().map(|(_, t)| t.text.as_str())));
        let names = name_entry.iter().map(|&e| if e == u32::MAX { n as u32 } else { e });
        s.push(pack(names, concept_names.len(), entry_bits));
        let other_names: Vec<(u32, &str)> = (0..concept_names.len())
            .filter(|&c| name_entry[c] == u32::MAX)
            .map(|c| (c as u32, concept_names[c].as_str()))
            .collect();
        s.push(encode_strings(&other_names));
        let mut fst = fst::MapBuilder::memory();
        for (i, (prefix, _)) in prefix_lists.iter().enumerate() {
            fst.insert(prefix, i as u64).expect("sorted prefixes");
        }
        s.push(fst.into_inner().expect("in-memory fst"));
        let all = prefix_lists.iter().flat_map(|(_, l)| l.iter().copied());
        s.push(pack(all, prefix_lists.len() * PRECOMPUTED_K, entry_bits));
        let mut fst = fst::MapBuilder::memory();
        let mut offset = 0u64;
        for (ini, list) in &initials {
            fst.insert(ini, offset << 7 | list.len() as u64).expect("sorted initials");
            offset += list.len() as u64;
        }
        s.push(fst.into_inner().expect("in-memory fst"));
        s.push(pack(initials.iter().flat_map(|(_, l)| l.iter().copied()), initials_total, entry_bits));
        CompletionIndex::from_built(Bytes::from(s.finish())).expect("a fresh index reads back")
    }
}

/// Keeps the best entries of a finished prefix when it is heavy.
fn close_prefix(
    lists: &mut Vec<(String, Vec<u32>)>,
    (prefix, start, keys): (String, u32, u32),
    end: u32,
    weight: &dyn Fn(u32) -> u16,
) {
    if (keys as usize) < HEAVY_PREFIX_KEYS {
        return;
    }
    let mut top = TopK::new(PRECOMPUTED_K);
    for e in start..end {
        top.push(f32::from(weight(e)), e);
    }
    lists.push((prefix, top.into_sorted_scored().into_iter().map(|(_, e)| e).collect()));
}

/// The first `n` characters of `s`, if it has that many.
fn char_prefix(s: &str, n: usize) -> Option<&str> {
    let mut it = s.char_indices();
    let end = it.nth(n).map_or(if s.chars().count() >= n { s.len() } else { return None }, |(i, _)| i);
    Some(&s[..end])
}
