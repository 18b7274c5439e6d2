//! Tests of [`super`]: neighbourhoods, the concepts at a position or of a name, related
//! entries, and the DOT and JSON printing, each written as a fixture and the expected text.

use std::collections::HashMap;
use std::path::Path;

use expect_test::{Expect, expect};

use super::*;
use crate::analysis::fixture::{analysis, cursor};

/// A chain with a side branch and a cycle: a → b → c → d, b → e, e → b, and f → a.
const CHAIN: &str = "
//- kg/a.md
synonyms:: alpha, Ay
related:: b
//- kg/b.md
related:: c, e
//- kg/c.md
related:: d
//- kg/d.md
//- kg/e.md
related:: b
//- kg/f.md
related:: A
//- kg/g.md
";

/// `fixture`'s `counts:` line (`term=n, …`) as occurrences, and the rest as an analysis.
fn load(fixture: &str) -> (Analysis, HashMap<String, u64>) {
    let mut counts = HashMap::new();
    let mut rest = String::new();
    for line in fixture.lines() {
        match line.strip_prefix("counts:") {
            Some(list) => {
                for pair in list.split(',') {
                    let (term, n) = pair.split_once('=').expect("term=n");
                    counts.insert(fold(term), n.trim().parse().expect("a count"));
                }
            }
            None => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    (analysis(&rest), counts)
}

fn show(a: &Analysis, n: &Neighbourhood) -> String {
    let v = view(&a.graph, n, &|p| format!("file:///{}", p.display()), &|p| p.display().to_string());
    let mut out = format!("root {:?}, depth {}, truncated {}\n", v.root, n.depth, v.truncated);
    for node in &v.nodes {
        out += &format!("  {} {} ({}:{}) {} mentions\n", node.depth, node.id, node.path, node.line, node.mentions);
    }
    for e in &v.edges {
        out += &format!("  {} -> {}\n", e.from, e.to);
    }
    out
}

fn check(fixture: &str, name: &str, depth: u32, expect: Expect) {
    check_within(fixture, name, depth, Limits::default(), expect);
}

fn check_within(fixture: &str, name: &str, depth: u32, limits: Limits, expect: Expect) {
    let (a, counts) = load(fixture);
    let roots = concepts_named(&a, name);
    expect.assert_eq(&show(
        &a,
        &neighbourhood(&a.graph, &roots, depth, &|id| mentions(a.graph.concept(id), &counts), limits),
    ));
}

#[test]
fn depth_zero_is_the_root_alone() {
    check(
        CHAIN,
        "a",
        0,
        expect![[r#"
            root Some("a"), depth 0, truncated false
              0 a (kg/a.md:0) 0 mentions
        "#]],
    );
}

#[test]
fn depth_one_walks_both_directions_and_keeps_edges_as_written() {
    check(
        CHAIN,
        "B",
        1,
        expect![[r#"
            root Some("b"), depth 1, truncated false
              0 b (kg/b.md:0) 0 mentions
              1 c (kg/c.md:0) 0 mentions
              1 e (kg/e.md:0) 0 mentions
              1 a (kg/a.md:0) 0 mentions
              b -> c
              b -> e
              e -> b
              a -> b
        "#]],
    );
}

#[test]
fn depth_two_reaches_further_and_a_large_depth_is_clamped() {
    check(
        CHAIN,
        "alpha",
        2,
        expect![[r#"
            root Some("a"), depth 2, truncated false
              0 a (kg/a.md:0) 0 mentions
              1 b (kg/b.md:0) 0 mentions
              1 f (kg/f.md:0) 0 mentions
              2 c (kg/c.md:0) 0 mentions
              2 e (kg/e.md:0) 0 mentions
              a -> b
              b -> c
              b -> e
              f -> a
              e -> b
        "#]],
    );
    check(
        CHAIN,
        "f",
        99,
        expect![[r#"
            root Some("f"), depth 5, truncated false
              0 f (kg/f.md:0) 0 mentions
              1 a (kg/a.md:0) 0 mentions
              2 b (kg/b.md:0) 0 mentions
              3 c (kg/c.md:0) 0 mentions
              3 e (kg/e.md:0) 0 mentions
              4 d (kg/d.md:0) 0 mentions
              f -> a
              a -> b
              b -> c
              b -> e
              c -> d
              e -> b
        "#]],
    );
}

#[test]
fn the_node_cap_cuts_the_walk_and_says_so() {
    check_within(
        CHAIN,
        "b",
        3,
        Limits { nodes: 3, edges: 100 },
        expect![[r#"
            root Some("b"), depth 3, truncated true
              0 b (kg/b.md:0) 0 mentions
              1 c (kg/c.md:0) 0 mentions
              1 e (kg/e.md:0) 0 mentions
              b -> c
              b -> e
              e -> b
        "#]],
    );
    check_within(
        CHAIN,
        "b",
        1,
        Limits { nodes: 100, edges: 2 },
        expect![[r#"
            root Some("b"), depth 1, truncated true
              0 b (kg/b.md:0) 0 mentions
              1 c (kg/c.md:0) 0 mentions
              1 e (kg/e.md:0) 0 mentions
              1 a (kg/a.md:0) 0 mentions
              b -> c
              b -> e
        "#]],
    );
}

#[test]
fn an_unknown_name_has_no_root_and_a_concept_without_relations_is_alone() {
    check(
        CHAIN,
        "nowhere",
        2,
        expect![[r#"
        root None, depth 2, truncated false
    "#]],
    );
    check(
        CHAIN,
        "g",
        2,
        expect![[r#"
            root Some("g"), depth 2, truncated false
              0 g (kg/g.md:0) 0 mentions
        "#]],
    );
}

#[test]
fn mentions_sum_the_counts_of_every_term() {
    check(
        "
counts: a=2, ALPHA=3, ay=1, b=7, other=100
//- kg/a.md
# A
synonyms:: alpha, Ay
related:: b
//- kg/b.md
",
        "ay",
        1,
        expect![[r#"
            root Some("a"), depth 1, truncated false
              0 a (kg/a.md:0) 6 mentions
              1 b (kg/b.md:0) 7 mentions
              a -> b
        "#]],
    );
}

#[test]
fn a_term_two_concepts_claim_roots_both_the_named_one_first_and_same_names_get_unique_ids() {
    let fixture = "
//- kg/one/tokio.md
related:: rt
//- kg/two/tokio.md
//- kg/rt.md
synonyms:: tokio
";
    check(
        fixture,
        "Tokio",
        0,
        expect![[r#"
            root Some("tokio"), depth 0, truncated false
              0 tokio (kg/one/tokio.md:0) 0 mentions
              0 tokio (2) (kg/two/tokio.md:0) 0 mentions
              0 rt (kg/rt.md:0) 0 mentions
              tokio -> rt
        "#]],
    );
}

fn check_at(fixture: &str, doc: &str, path: Option<&str>, expect: Expect) {
    let (a, _) = load(fixture);
    let (text, offset) = cursor(doc);
    let ids = concepts_at(&a, &text, offset, path.map(Path::new));
    let names: Vec<String> = ids.iter().map(|&id| a.graph.concept(id).name().to_string()).collect();
    expect.assert_eq(&names.join(", "));
}

#[test]
fn the_concept_at_a_position_is_the_term_there_or_the_concept_file_own() {
    check_at(CHAIN, "we use AL$0PHA here", None, expect!["a"]);
    check_at(CHAIN, "we use $0 here", None, expect![""]);
    check_at(CHAIN, "# $0\nrelated:: c", Some("kg/b.md"), expect!["b"]);
    check_at(CHAIN, "\nrelated:: $0c, e", Some("kg/b.md"), expect!["c"]);
    check_at(CHAIN, "nothing$0 here", Some("docs/readme.md"), expect![""]);
}

fn check_entries(fixture: &str, file: &str, target: &str, expect: Expect) {
    let (a, _) = load(fixture);
    let text = fixture.split("//- ").find_map(|s| s.strip_prefix(file)).expect("the file").trim_start_matches('\n');
    let target = concepts_named(&a, target)[0];
    let found: Vec<String> = related_entries(text, a.graph.concept(target))
        .into_iter()
        .map(|r| format!("{}..{} {:?}", r.start, r.end, &text[r.clone()]))
        .collect();
    expect.assert_eq(&found.join("\n"));
}

#[test]
fn related_entries_are_found_by_any_term_outside_fences() {
    let fixture = "
//- kg/x.md
# x
related:: Ay ,  b
- Related:: zzz,a
```
related:: a
```
//- kg/a.md
synonyms:: ay
//- kg/b.md
";
    check_entries(
        fixture,
        "kg/x.md",
        "a",
        expect![[r#"
            14..16 "Ay"
            38..39 "a""#]],
    );
    check_entries(fixture, "kg/x.md", "b", expect![[r#"20..21 "b""#]]);
}

#[test]
fn outgoing_and_incoming_are_related_and_related_by() {
    let (a, _) = load(CHAIN);
    let names = |ids: &[ConceptId]| ids.iter().map(|&i| a.graph.concept(i).name()).collect::<Vec<_>>().join(", ");
    let b = concepts_named(&a, "b")[0];
    assert_eq!(names(outgoing(&a.graph, b)), "c, e");
    assert_eq!(names(incoming(&a.graph, b)), "a, e");
}

#[test]
fn dot_quotes_every_name_and_json_has_the_request_shape() {
    let (a, counts) = load(
        "
counts: say \"hi\"=1
//- kg/say \"hi\".md
related:: back\\slash, 概念 space
//- kg/back\\slash.md
//- kg/概念 space.md
",
    );
    let roots = concepts_named(&a, "say \"hi\"");
    let n = neighbourhood(&a.graph, &roots, 1, &|id| mentions(a.graph.concept(id), &counts), Limits::default());
    let v = view(&a.graph, &n, &|p| format!("file:///{}", p.display()), &|p| p.display().to_string());
    expect![[r#"
        digraph kg {
          node [shape=box];
          "say \"hi\"" [label="say \"hi\"\n1 mention", tooltip="kg/say \"hi\".md", style=bold];
          "back\\slash" [label="back\\slash\n0 mentions", tooltip="kg/back\\slash.md"];
          "概念 space" [label="概念 space\n0 mentions", tooltip="kg/概念 space.md"];
          "say \"hi\"" -> "back\\slash";
          "say \"hi\"" -> "概念 space";
        }
    "#]]
    .assert_eq(&to_dot(&v));
    let small = neighbourhood(
        &a.graph,
        &concepts_named(&a, "back\\slash"),
        0,
        &|id| mentions(a.graph.concept(id), &counts),
        Limits::default(),
    );
    let v = view(&a.graph, &small, &|p| format!("file:///{}", p.display()), &|p| p.display().to_string());
    expect![[r#"
        {
          "root": "back\\slash",
          "nodes": [
            {
              "id": "back\\slash",
              "name": "back\\slash",
              "uri": "file:///kg/back\\slash.md",
              "path": "kg/back\\slash.md",
              "line": 0,
              "mentions": 0,
              "depth": 0
            }
          ],
          "edges": [],
          "truncated": false
        }
    "#]]
    .assert_eq(&to_json(&v));
}
