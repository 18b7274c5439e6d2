//! Snapshot tests of rendered hovers: concept files in, the text a client would show out.

use expect_test::{Expect, expect};

use super::*;
use crate::kg::{Graph, parse_concept_file};

fn check(files: &[(&str, &str)], format: Format, expect: Expect) {
    let files: Vec<_> = files.iter().map(|(p, t)| parse_concept_file(Path::new(p), t)).collect();
    let g = Graph::build(&files);
    let r = Renderer::default().render_concepts(&g, &[ConceptId(0)], format, &NoLinks, Budget::unlimited());
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
