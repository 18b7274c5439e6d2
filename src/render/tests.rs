//! Snapshot tests of rendered hovers: concept files in, the text a client would show out.

use std::sync::Arc;

use expect_test::{Expect, expect};

use super::*;
use crate::kg::{Graph, parse_concept_file};
use crate::vfs::{MemFs, Overlay, Vfs};

fn check(files: &[(&str, &str)], format: Format, expect: Expect) {
    let files: Vec<_> = files.iter().map(|(p, t)| parse_concept_file(Path::new(p), t)).collect();
    let g = Graph::from_files(&files);
    let r = Renderer::default().render_concepts(
        &g,
        &[ConceptId(0)],
        format,
        &NoLinks,
        &MemFs::default(),
        Budget::unlimited(),
    );
    assert!(r.complete);
    expect.assert_eq(&r.text);
}

const TOKIO: &str = "# tokio\n\nAn *async* runtime. <script>alert(1)</script>\n\n[run](command:workbench.action.terminal.new) and [docs](https://tokio.rs).\n\nsynonyms:: tokio rt, tokio_rt\nrelated:: future, missing thing\ncategory:: runtime\n";

#[test]
fn markdown_hover_is_linked_and_safe() {
    check(
        &[("/kg/tokio.md", TOKIO), ("/kg/my future.md", "# my future\nsynonyms:: future\n")],
        Format::Markdown,
        expect![[r#"
            ### tokio

            **Synonyms:** tokio rt, tokio\_rt

            **Related:** [my future](file:///kg/my%20future.md#L1), missing thing

            | property | value |
            |---|---|
            | category | runtime |

            An *async* runtime. alert(1)

            run and [docs](https://tokio.rs).
        "#]],
    );
}

#[test]
fn plain_text_hover() {
    check(
        &[("/kg/tokio.md", TOKIO)],
        Format::PlainText,
        expect![[r#"
        tokio

        Synonyms: tokio rt, tokio_rt

        Related: future, missing thing

        category: runtime

        An async runtime. alert(1)

        run and docs.
    "#]],
    );
}

/// Wiki links resolve to these concepts only.
struct Kg;

impl Links for Kg {
    fn concept_uri(&self, name: &str) -> Option<String> {
        (name.eq_ignore_ascii_case("tokio runtime")).then(|| "file:///kg/tokio%20runtime.md#L1".to_string())
    }
}

/// Renders a definition written in `/kg/sub/concept.md`.
fn check_md(definition: &str, expect: Expect) {
    expect.assert_eq(&render_markdown(definition, Path::new("/kg/sub/concept.md"), Format::Markdown, &Kg));
}

#[test]
fn links_relative_wiki_and_broken() {
    check_md(
        "See [the guide](../guide.md#setup), [[Tokio Runtime]], [[tokio runtime|the runtime]], [[nowhere]],\n[a ref][r], [missing][nope], [section](#usage) and ![logo](img/logo%20big.png \"Logo\").\n\n[r]: ./other.md",
        expect![[r#"
            See [the guide](file:///kg/guide.md#setup), [Tokio Runtime](file:///kg/tokio%20runtime.md#L1), [the runtime](file:///kg/tokio%20runtime.md#L1), nowhere,
            [a ref](file:///kg/sub/other.md), \[missing\]\[nope\], [section](file:///kg/sub/concept.md#usage) and ![logo](file:///kg/sub/img/logo%20big.png "Logo")."#]],
    );
}

#[test]
fn unsafe_links_and_html_never_pass() {
    check_md(
        "[run](command:workbench.action.terminal.new?%5B%22rm%22%5D) [js](javascript:alert(1)) <command:x> ![i](vscode://x) [ok](https://x.org)\n\nInline <b>bold</b> <img src=x onerror=alert(1)> tag, <!-- hidden -->.\n\n<div onclick=\"x()\">\n<script>alert(1)</script>\n</div>\n\n<!-- a comment block -->\n\n&lt;kept&gt; as text",
        expect![[r#"
            run js command:x i [ok](https://x.org)

            Inline bold  tag, .

            ```html
            <div onclick="x()">
            <script>alert(1)</script>
            </div>
            ```

            \<kept> as text"#]],
    );
}

#[test]
fn code_fences_closed_and_unclosed() {
    check_md(
        "Before.\n\n```rust\nfn main() {\n    println!(\"```\");\n}\n```\n\n~~~\nplain\n~~~\n\n```sh\nrm -rf /\n<script>\n\nstill code",
        expect![[r#"
            Before.

            ````rust
            fn main() {
                println!("```");
            }
            ````

            ```
            plain
            ```

            ```sh
            rm -rf /
            <script>

            still code
            ```"#]],
    );
}

#[test]
fn tables_lists_headings_and_adjacent_lists() {
    check_md(
        "# Title\n\n## Part\n\n| a | b |\n|:-|-:|\n| 1 | `x\\|y` |\n\n- one\n  - nested *a*\n    1. deep\n- [x] done\n\n+ another list\n\n1. first\n2) second list\n\n> quote\n> - in quote\n\n---\n####### not a heading",
        expect![[r#"
            #### Title

            ##### Part

            |a|b|
            |:-|-:|
            |1|`x\|y`|

            * one
              * nested *a*
                1. deep
            * [x] done

            - another list

            1. first

            2) second list

             > quote
             > 
             > * in quote

            ---

            \####### not a heading"#]],
    );
}

#[test]
fn cjk_and_emoji() {
    check_md(
        "概念は**重要**です 😀👩‍💻。[リンク](概念.md) and [[概念]].\n\n- 漢字\n- é",
        expect![[r#"
            概念は**重要**です 😀👩‍💻。[リンク](file:///kg/sub/%E6%A6%82%E5%BF%B5.md) and 概念.

            * 漢字
            * é"#]],
    );
}

#[test]
fn plain_text_definitions() {
    let text = "# Head\n\nA [link](command:x) and `code`.\n\n- [ ] task\n- item\n\n| a | b |\n|-|-|\n| 1 | 2 |\n\n```\ncode\n```";
    expect![[r#"
        Head
        A link and code.
        - [ ] task
        - item
        a | b
        1 | 2
        code"#]]
    .assert_eq(&render_markdown(text, Path::new("/kg/c.md"), Format::PlainText, &Kg).replace("\n\n", "\n"));
}

#[test]
fn a_one_megabyte_definition_is_cut_at_a_block_boundary() {
    let para = "A paragraph of text that goes on about the runtime, with *emphasis* and `code`.\n\n";
    let big = para.repeat((1 << 20) / para.len() + 1);
    let file = format!("# big\n\n{big}");
    let g = Graph::from_files(&[parse_concept_file(Path::new("/kg/big.md"), &file)]);
    let r = Renderer::new(RenderConfig { max_length: 300 });
    let out =
        r.render_concepts(&g, &[ConceptId(0)], Format::Markdown, &NoLinks, &MemFs::default(), Budget::unlimited()).text;
    expect![[r#"
        ### big

        A paragraph of text that goes on about the runtime, with *emphasis* and `code`.

        A paragraph of text that goes on about the runtime, with *emphasis* and `code`.

        A paragraph of text that goes on about the runtime, with *emphasis* and `code`.

        [… the rest is in big.md](file:///kg/big.md#L1)
    "#]]
    .assert_eq(&out);

    // One block of a megabyte (an unclosed fence) is cut inside, and the fence is closed.
    let file = format!("# fence\n\n```\n{}", "let x = 1;\n".repeat((1 << 20) / 11));
    let g = Graph::from_files(&[parse_concept_file(Path::new("/kg/fence.md"), &file)]);
    let out =
        r.render_concepts(&g, &[ConceptId(0)], Format::Markdown, &NoLinks, &MemFs::default(), Budget::unlimited()).text;
    assert!(out.len() < 600, "{}", out.len());
    assert!(out.ends_with("let x = 1;\n```\n\n[… the rest is in fence.md](file:///kg/fence.md#L1)\n"), "{out}");
}

#[test]
fn a_changed_block_is_the_only_one_rendered_again() {
    let r = Renderer::default();
    let def = |middle: &str| format!("# c\n\nFirst block.\n\n{middle}\n\nThird *block*.\n\n- a list\n");
    let render = |text: &str| {
        let g = Graph::from_files(&[parse_concept_file(Path::new("/kg/c.md"), text)]);
        r.render_concepts(&g, &[ConceptId(0)], Format::Markdown, &NoLinks, &MemFs::default(), Budget::unlimited()).text
    };
    let first = render(&def("Second."));
    assert_eq!((r.stats().block_misses, r.stats().block_hits, r.stats().hover_misses), (4, 0, 1));
    assert_eq!(render(&def("Second.")), first);
    assert_eq!((r.stats().block_misses, r.stats().hover_hits), (4, 1), "the whole hover comes from the cache");
    let edited = render(&def("Second, edited."));
    assert!(edited.contains("Second, edited."));
    assert_eq!((r.stats().block_misses, r.stats().block_hits), (5, 3), "only the edited block is rendered");
}

#[test]
fn a_stream_parses_only_from_the_last_stable_boundary() {
    let mut s = Stream::new(Path::new("/kg/c.md"), Format::Markdown);
    let env = Env::new(&NoLinks);
    s.append("Intro.\n\n```rust\nfn a() {}\n", env, Budget::unlimited());
    // The fence is open: it is the tail, shown closed, and nothing after the intro is final.
    assert_eq!(s.stable(), "Intro.");
    assert_eq!(s.tail(), "```rust\nfn a() {}\n```");
    s.append("\n- item one\n", env, Budget::unlimited());
    assert_eq!(s.tail(), "```rust\nfn a() {}\n\n- item one\n```", "still inside the fence");
    s.append("```\n\n- item one\n- item", env, Budget::unlimited());
    assert_eq!(s.stable(), "Intro.\n\n```rust\nfn a() {}\n\n- item one\n```");
    assert_eq!(s.tail(), "* item one\n* item");
    s.append(" two\n\nEnd [x].\n\n[x]: https://x.org\n", env, Budget::unlimited());
    assert_eq!(s.finish(env, Budget::unlimited()), Progress::Ready);
    expect![[r#"
        Intro.

        ```rust
        fn a() {}

        - item one
        ```

        * item one
        * item two

        End [x](https://x.org)."#]]
    .assert_eq(&s.output());
}

#[test]
fn an_over_budget_render_returns_what_is_ready_and_finishes_later() {
    let text = "Para.\n\n".repeat(50);
    let mut s = Stream::new(Path::new("/kg/c.md"), Format::Markdown);
    s.push(&text);
    let mut calls = 1;
    let mut progress = s.finish(Env::new(&NoLinks), Budget::spent());
    assert_eq!(progress, Progress::Pending);
    assert_eq!(s.stable(), "Para.", "one block per call when the budget is spent");
    while progress == Progress::Pending {
        progress = s.render(Env::new(&NoLinks), Budget::spent());
        calls += 1;
    }
    assert_eq!(calls, 50);
    assert_eq!(s.output(), render_markdown(&text, Path::new("/kg/c.md"), Format::Markdown, &NoLinks));
}

mod streaming {
    use proptest::prelude::*;

    use super::*;

    /// Lines that open, continue and close every kind of block, so random sequences of them
    /// cover unclosed fences, lazy continuations, setext headings, tables and late references.
    const LINES: &[&str] = &[
        "",
        "",
        "A paragraph with *emphasis*, `code` and [a link](../x.md).",
        "continued [ref] and [[tokio runtime]] and [[nowhere]]",
        "# Heading",
        "Setext",
        "---",
        "===",
        "- item",
        "  - nested item",
        "1. first",
        "2) other",
        "+ plus item",
        "    indented code",
        "```rust",
        "```",
        "~~~",
        "> quote",
        "| a | b |",
        "|---|---|",
        "| 1 | 2 |",
        "[ref]: https://example.org/ref \"Title\"",
        "[other]: command:evil",
        "<div>html</div>",
        "<!-- comment -->",
        "[run](command:x) <b>bold</b> 概念😀 é",
        "- [ ] task",
    ];

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(LINES), 0..40).prop_map(|lines| lines.join("\n"))
    }

    /// Cuts `text` at the given fractions, on character boundaries.
    fn chunks(text: &str, cuts: &[f64]) -> Vec<String> {
        let mut at: Vec<usize> = cuts
            .iter()
            .map(|f| {
                let mut i = (text.len() as f64 * f) as usize;
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            })
            .collect();
        at.push(0);
        at.push(text.len());
        at.sort_unstable();
        at.windows(2).map(|w| text[w[0]..w[1]].to_string()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn streaming_in_random_chunks_ends_as_rendering_whole(
            text in text(),
            cuts in prop::collection::vec(0.0..1.0f64, 0..30),
            spent in any::<bool>(),
            plain in any::<bool>(),
        ) {
            let format = if plain { Format::PlainText } else { Format::Markdown };
            let file = Path::new("/kg/sub/concept.md");
            let whole = render_markdown(&text, file, format, &Kg);
            let mut s = Stream::new(file, format);
            let budget = || if spent { Budget::spent() } else { Budget::unlimited() };
            for chunk in chunks(&text, &cuts) {
                s.append(&chunk, Env::new(&Kg), budget());
            }
            while s.finish(Env::new(&Kg), budget()) == Progress::Pending {}
            prop_assert_eq!(s.output(), whole);
        }
    }
}

#[test]
fn a_definition_on_disk_is_read_at_hover_and_a_missing_file_says_so() {
    let path = Path::new("/kg/tokio.md");
    let fs = MemFs::with([(path, "# tokio\nsynonyms:: tokio rt\n\nAn *async* runtime.\n")]);
    let g = Graph::from_files(&[crate::kg::load_file(&fs, path)]);
    let r = Renderer::default();
    let hover_in = |r: &Renderer, files: &dyn Vfs| {
        r.render_concepts(&g, &[ConceptId(0)], Format::Markdown, &NoLinks, files, Budget::unlimited())
    };
    let hover = |r: &Renderer| hover_in(r, &fs);
    expect![[r#"
        ### tokio

        **Synonyms:** tokio rt

        An *async* runtime.
    "#]]
    .assert_eq(&hover(&r).text);
    assert_eq!(hover(&r).text, hover(&Renderer::default()).text, "the second hover comes from the cache");
    assert_eq!(r.stats().hover_hits, 1);
    // Rewritten behind the graph's back: the cached hover is passed over, the new text is
    // shown and cached in turn (under the file's new stamp).
    fs.write(path, "# tokio\nsynonyms:: tokio rt\n\nA rewritten runtime.\n");
    let rewritten = hover(&r).text;
    assert!(rewritten.ends_with("\n\nA rewritten runtime.\n"), "{rewritten}");
    assert_eq!((hover(&r).text, r.stats().hover_hits), (rewritten.clone(), 2), "the rewritten hover was cached");
    // The file open in the editor and edited there: its buffer wins, and a further edit to
    // the buffer is not answered from the cache.
    let base: Arc<dyn Vfs> = Arc::new(MemFs::with([(path, "# tokio\nsynonyms:: tokio rt\n\nA rewritten runtime.\n")]));
    let open = |text: &str| Overlay::new(base.clone(), [(path.to_path_buf(), Arc::new(text.to_string()))]);
    let edited = hover_in(&r, &open("# tokio\nsynonyms:: tokio rt\n\nTyped in the buffer.\n")).text;
    assert!(edited.ends_with("\n\nTyped in the buffer.\n"), "{edited}");
    let again = hover_in(&r, &open("# tokio\nsynonyms:: tokio rt\n\nTyped in the buffer!\n")).text;
    assert!(again.ends_with("\n\nTyped in the buffer!\n"), "{again}");
    assert_eq!(hover(&r).text, rewritten, "the disk's text is still cached under its own stamp");
    fs.remove(path);
    let text = hover(&r).text;
    assert!(text.starts_with("### tokio\n\n**Synonyms:** tokio rt\n\n*The definition could not be read: "), "{text}");
    assert!(text.trim_end().ends_with("tokio.md: path does not exist*"), "{text}");
}

/// A concept file with a synonym line of two megabytes made a hover of megabytes whatever
/// `hover.max_length` said. Every part of a rendering now keeps to it: the header's lists, the
/// properties, the definition, and the concepts that share a term.
#[test]
fn a_rendering_keeps_to_max_length_whatever_the_concept_holds() {
    let synonyms: Vec<String> = (0..200_000).map(|i| format!("synonym {i}")).collect();
    let related: Vec<String> = (0..2_000).map(|i| format!("related {i}")).collect();
    let props: String = (0..300).map(|i| format!("key{i}:: {}\n", "v".repeat(4000))).collect();
    let para = "A paragraph about the runtime, with *emphasis*, `code` and a [link](other.md).\n\n";
    let huge = format!(
        "# huge\nsynonyms:: {}\nrelated:: {}\n{props}\n{}",
        synonyms.join(", "),
        related.join(", "),
        para.repeat(20_000)
    );
    let one_block = format!("# block\n\n```\n{}", "let x = [link](a.md);\n".repeat(50_000));
    let files =
        [("/kg/huge.md", huge.as_str()), ("/kg/block.md", one_block.as_str()), ("/kg/small.md", "# small\n\nSmall.\n")];
    let files: Vec<_> = files.iter().map(|(p, t)| parse_concept_file(Path::new(p), t)).collect();
    let g = Graph::from_files(&files);
    let ids = [ConceptId(0), ConceptId(1), ConceptId(2)];
    let mut lengths = String::new();
    for max_length in [200, 1000, 4000, 100_000] {
        let r = Renderer::new(RenderConfig { max_length });
        for format in [Format::Markdown, Format::PlainText] {
            for ids in [&ids[..1], &ids[1..2], &ids[..]] {
                let text = r.render_concepts(&g, ids, format, &NoLinks, &MemFs::default(), Budget::unlimited()).text;
                // The links to the rest of cut definitions are the only other overrun.
                let links: usize = text.lines().filter(|l| l.contains("the rest is in")).map(str::len).sum();
                assert!(text.len() <= max_length + MAX_OVERRUN + links, "{max_length} {format:?}: {}", text.len());
                if format == Format::Markdown {
                    let names: Vec<&str> = ids.iter().map(|&id| g.concept(id).name()).collect();
                    lengths += &format!("{max_length}, {}: {} bytes\n", names.join(" + "), text.len());
                }
            }
        }
    }
    expect![[r#"
        200, huge: 274 bytes
        200, block: 250 bytes
        200, huge + block + small: 322 bytes
        1000, huge: 1032 bytes
        1000, block: 1042 bytes
        1000, huge + block + small: 1080 bytes
        4000, huge: 3989 bytes
        4000, block: 4056 bytes
        4000, huge + block + small: 4037 bytes
        100000, huge: 100043 bytes
        100000, block: 100042 bytes
        100000, huge + block + small: 100091 bytes
    "#]]
    .assert_eq(&lengths);
    let text = Renderer::new(RenderConfig { max_length: 200 })
        .render_concepts(&g, &ids, Format::Markdown, &NoLinks, &MemFs::default(), Budget::unlimited())
        .text;
    expect![[r#"
        ### huge

        **Synonyms:** synonym 0, synonym 1, synonym 2, synonym 3, synonym 4, synonym 5, synonym 6, synonym 7, *… and 4087 more*

        **Related:** *… and 1024 more*

        | property | value |
        |---|---|
        | … and 256 more | |

        [… the rest is in huge.md](file:///kg/huge.md#L1)

        ---

        *… and 2 more concepts with this term.*
    "#]]
    .assert_eq(&text);
}
