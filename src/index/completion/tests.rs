//! Tests of the completion index: its lookups and their classes, the text codec, and the
//! refusal of damaged payloads. Snapshots are expect-test's (`UPDATE_EXPECT=1`).

use expect_test::{Expect, expect};

use super::codec::Text;
use super::format::section;
use super::*;
use crate::index::bytes::{Bytes, Sections};
use crate::text::fold;

/// `text:weight:concept` per line.
fn index(spec: &str) -> CompletionIndex {
    let mut names = Vec::new();
    let terms = spec
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.rsplitn(3, ':');
            let concept: u32 = parts.next().unwrap().parse().unwrap();
            let weight: f32 = parts.next().unwrap().parse().unwrap();
            let text = parts.next().unwrap().to_string();
            while names.len() <= concept as usize {
                names.push(String::new());
            }
            if names[concept as usize].is_empty() {
                names[concept as usize] = text.clone();
            }
            TermInput { text, concept, weight }
        })
        .collect();
    CompletionIndex::build(terms, &names)
}

const TERMS: &str = "
    photosynthesis:5:0
    photosensitise:1:1
    photo:3:2
    Photon:4:3
    photograph:2:4
    tokio runtime:3:5
    tokio:6:6
    async pipeline:1:7
    straße:1:8
    café:1:9
";

fn show(idx: &CompletionIndex, hits: &[Hit]) -> String {
    let whole = |h: &Hit| h.whole.map_or(String::new(), |d| format!(", whole term {d} edits"));
    hits.iter().map(|h| format!("{} {:?}{}\n", idx.text(h.entry), h.kind, whole(h))).collect()
}

fn check(f: impl Fn(&CompletionIndex, &str) -> Vec<Hit>, query: &str, expect: Expect) {
    let idx = index(TERMS);
    expect.assert_eq(&show(&idx, &f(&idx, &fold(query))));
}

fn none(_: u32) -> f32 {
    0.0
}

#[test]
fn prefix_is_exact_first_then_by_weight_for_short_and_long_prefixes() {
    check(
        |i, q| i.prefix(q, 10, &none),
        "photo",
        expect![[r#"
        photo Exact
        photosynthesis Prefix
        Photon Prefix
        photograph Prefix
        photosensitise Prefix
    "#]],
    );
    check(
        |i, q| i.prefix(q, 3, &none),
        "ph",
        expect![[r#"
        photosynthesis Prefix
        Photon Prefix
        photo Prefix
    "#]],
    );
    check(|i, q| i.prefix(q, 10, &none), "x", expect![[""]]);
}

/// Nothing typed (a bare `[[`): the best terms of all, from the empty prefix's precomputed list
/// once there are enough keys for one, the same as streaming every key.
#[test]
fn the_empty_prefix_gives_the_best_terms_of_all() {
    let spec: String = (0..200).map(|i| format!("term{i:03}:{}:{i}\n", (i * 37) % 200)).collect();
    let idx = index(&spec);
    assert!(idx.prefix_lists.get("").is_some(), "the empty prefix has its list");
    check(
        |i, q| i.prefix(q, 3, &none),
        "",
        expect![[r#"
        tokio Prefix
        photosynthesis Prefix
        Photon Prefix
    "#]],
    );
    let best: Vec<String> = idx.prefix("", 4, &none).iter().map(|h| idx.text(h.entry).to_string()).collect();
    let mut streamed: Vec<(u16, String)> = (0..200).map(|i| (((i * 37) % 200) as u16, format!("term{i:03}"))).collect();
    streamed.sort_by(|a, b| b.cmp(a));
    let streamed: Vec<String> = streamed.into_iter().take(4).map(|(_, t)| t).collect();
    assert_eq!(best, streamed);
}

#[test]
fn boosts_reorder_and_lift_entries() {
    let idx = index(TERMS);
    let boost = |e: u32| if idx.text(e) == "photosensitise" { 10.0 } else { 0.0 };
    let hits = idx.prefix("ph", 2, &boost);
    assert_eq!(show(&idx, &hits), "photosensitise Prefix\nphotosynthesis Prefix\n");
}

#[test]
fn fuzzy_prefers_the_whole_term_with_fewer_edits() {
    check(
        |i, q| i.fuzzy(q, 3, &none),
        "photosinthesis",
        expect![[r#"
            photosynthesis Typo(1), whole term 1 edits
        "#]],
    );
    check(
        |i, q| i.fuzzy(q, 5, &none),
        "tokoi",
        expect![[r#"
            tokio Typo(1), whole term 1 edits
            tokio runtime Typo(1)
        "#]],
    );
    check(|i, q| i.fuzzy(q, 5, &none), "tok", expect![[""]]);
}

#[test]
fn entries_with_a_prefix_are_one_range_and_fuzzy_leaves_them_to_prefix() {
    let idx = index(TERMS);
    for q in ["", "p", "photo", "photos", "photosz", "tokio ", "straß", "café", "a", "zz", "\u{10ffff}"] {
        let want: Vec<u32> = (0..idx.entry_count() as u32).filter(|&e| fold(&idx.text(e)).starts_with(q)).collect();
        assert_eq!(idx.entries_with_prefix(q).collect::<Vec<_>>(), want, "{q:?}");
    }
    for q in ["photo", "photon", "tokio", "phot"] {
        let hits = idx.fuzzy(q, 10, &none);
        assert!(hits.iter().all(|h| !fold(&idx.text(h.entry)).starts_with(q)), "{q}: {}", show(&idx, &hits));
    }
}

#[test]
fn fuzzy_finds_two_edit_typos_of_whole_terms_and_prefixes() {
    // Two edits in a short query match whole terms only; from 8 characters, prefixes too.
    check(
        |i, q| i.fuzzy(q, 5, &none),
        "potoh",
        expect![[r#"
            photo Typo(2), whole term 2 edits
            Photon Typo(2), whole term 2 edits
        "#]],
    );
    check(
        |i, q| i.fuzzy(q, 5, &none),
        "phtosynthsis",
        expect![[r#"
            photosynthesis Typo(2), whole term 2 edits
        "#]],
    );
    check(
        |i, q| i.fuzzy(q, 5, &none),
        "fotosynth",
        expect![[r#"
            photosynthesis Typo(2)
        "#]],
    );
}

/// Terms that share prefixes across and inside blocks: multi-byte characters where the
/// shared bytes end, a prefix longer than the 255 bytes a text can share, a rest longer than
/// a one-byte length.
fn block_terms() -> Vec<TermInput> {
    let long = "ß".repeat(150);
    let mut texts: Vec<String> = (0..40).map(|i| format!("term {i:02}")).collect();
    texts.extend(["café", "cafés", "cafe\u{301}s", "Café au lait", "x"].map(String::from));
    texts.extend((0..20).map(|i| format!("{long}{}", "é".repeat(i))));
    texts.push("y".repeat(300));
    texts.into_iter().enumerate().map(|(i, text)| TermInput { text, concept: i as u32, weight: 1.0 }).collect()
}

fn build_blocks() -> (CompletionIndex, Vec<TermInput>) {
    let terms = block_terms();
    let names: Vec<String> = terms.iter().map(|t| t.text.clone()).collect();
    (CompletionIndex::build(terms.clone(), &names), terms)
}

#[test]
fn every_text_decodes_from_its_block() {
    let (idx, terms) = build_blocks();
    assert!(idx.entry_count() > 4 * TEXT_BLOCK);
    let mut decoded: Vec<String> = (0..idx.entry_count() as u32).map(|e| idx.text(e).into_owned()).collect();
    for (e, text) in decoded.iter().enumerate() {
        let e = e as u32;
        assert_eq!(terms[idx.concept(e) as usize].text, *text, "entry {e}");
        assert!(idx.with_text(e, |t| t == text), "entry {e}");
        assert_eq!(idx.concept_name(idx.concept(e)), *text);
        assert!(idx.names_its_concept(e));
    }
    let mut want: Vec<String> = terms.into_iter().map(|t| t.text).collect();
    decoded.sort();
    want.sort();
    assert_eq!(decoded, want);
}

#[test]
fn corrupt_texts_are_refused_or_decode_to_other_text() {
    let (idx, _) = build_blocks();
    let good = idx.bytes().to_vec();
    let texts = Sections::parse(&good).unwrap()[section::TEXTS].clone();
    let table = 4 * (idx.entry_count().div_ceil(TEXT_BLOCK) + 1);
    let mut refused = 0;
    for at in texts.clone() {
        for flip in [0x01, 0x80, 0xff] {
            let mut bad = good.clone();
            bad[at] ^= flip;
            let Ok(opened) = CompletionIndex::from_bytes(Bytes::from(bad)) else {
                refused += 1;
                continue;
            };
            assert!(at >= texts.start + table, "a changed block table at {at} is refused");
            for e in 0..opened.entry_count() as u32 {
                assert!(opened.with_text(e, |t| t == opened.text(e)));
            }
            for c in 0..opened.concept_count() as u32 {
                opened.concept_name(c);
            }
        }
    }
    assert!(refused > 3 * table, "heads of texts are checked too: {refused} refused");
    // Decoding is total even for blocks that would not pass the check: random bytes, and
    // heads that fit but share more than the texts before them hold.
    let mut rng = crate::synth::Rng::new(7);
    for len in 0..400 {
        let n = 1 + len % TEXT_BLOCK;
        let mut block: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
        if len % 2 == 1 {
            block.truncate(n);
            block.extend((0..n).map(|_| rng.below(8) as u8));
            block.extend((0..n * 8).map(|_| rng.below(256) as u8));
        }
        for i in 0..n {
            let text = Text::locate(&block, n, i);
            assert!(text.with(|t| t == text.to_cow()));
        }
    }
}

#[test]
fn initials_subsequence_and_unicode_folding() {
    check(
        |i, q| i.initials(q, 5, &none),
        "ap",
        expect![[r#"
        async pipeline Initials
    "#]],
    );
    check(
        |i, q| i.subsequence(q, 5, &none),
        "tkrt",
        expect![[r#"
            tokio runtime Subsequence(9)
        "#]],
    );
    check(
        |i, q| i.prefix(q, 5, &none),
        "STRASS",
        expect![[r#"
        straße Prefix
    "#]],
    );
    check(
        |i, q| i.prefix(q, 5, &none),
        "cafe\u{301}",
        expect![[r#"
        café Exact
    "#]],
    );
}

/// The payload of `idx` with its key fst replaced by one of `keys` (sorted byte strings).
pub(in crate::index) fn with_keys(idx: &CompletionIndex, keys: &[&[u8]]) -> Vec<u8> {
    let raw = idx.bytes();
    let mut s = Sections::default();
    for (i, range) in Sections::parse(raw).unwrap().into_iter().enumerate() {
        if i == section::KEYS {
            let mut fst = fst::MapBuilder::memory();
            for (v, k) in keys.iter().enumerate() {
                fst.insert(k, v as u64).unwrap();
            }
            s.push(fst.into_inner().unwrap());
        } else {
            s.push(raw[range].to_vec());
        }
    }
    s.finish()
}

#[test]
fn a_key_that_is_not_utf8_is_refused_when_opened() {
    let idx = index("tokio:1:0\nstraße:1:1");
    let mut out = String::new();
    for keys in [
        &[b"stra\xc3\x9fe".as_slice(), b"tokio"][..],
        &[b"stra\xc3e", b"tokio"],
        &[b"stra\xc3\x9fe", b"tok\xffo"],
        &[b"stra\xc3\x9f", b"tokio\xe2\x82"],
        &[b"stra\xed\xa0\x80", b"tokio"],
    ] {
        let opened = CompletionIndex::from_bytes(Bytes::from(with_keys(&idx, keys)));
        let shown: Vec<String> = keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
        out += &format!("{shown:?}: {:?}\n", opened.map(|_| ()));
    }
    expect![[r#"
        ["straße", "tokio"]: Ok(())
        ["stra�e", "tokio"]: Err(KeyNotUtf8)
        ["straße", "tok�o"]: Err(KeyNotUtf8)
        ["straß", "tokio�"]: Err(KeyNotUtf8)
        ["stra���", "tokio"]: Err(KeyNotUtf8)
    "#]]
    .assert_eq(&out);
}
