//! Property tests of the parser and the whole pipeline over generated
//! Dockerfile-like text: keywords in any case, flags, quotes, escapes and
//! backticks, continuations, heredoc markers and terminators, comments and
//! directives, CRLF and lone CR line ends, a byte order mark, and random
//! characters and bytes mixed in.
//!
//! - The parser is lossless: its instructions and top-level comments cover
//!   the input with only trivia between them (whitespace, a leading byte
//!   order mark, lines holding only the escape character), without
//!   overlap, and slicing the source by them gives it back
//!   (`fuzz/src/invariants.rs` defines it; `docs/fuzzing.md` explains it).
//! - No input panics the pipeline: `lint_source`, then `write_report` in
//!   every format.
//!
//! 256 cases per property by default; `PROPTEST_CASES=100000 cargo test
//! --release --test parser_properties` for a long run. A failing input is
//! printed shrunk: save it under `tests/fixtures/fuzz/<target>/` so that
//! `tests/fuzz_regressions.rs` keeps checking it.

#[path = "../fuzz/src/invariants.rs"]
#[allow(dead_code)]
mod invariants;

use dockerleak::Config;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

const KEYWORDS: &[&str] = &[
    "FROM",
    "RUN",
    "COPY",
    "ADD",
    "ARG",
    "ENV",
    "LABEL",
    "CMD",
    "ENTRYPOINT",
    "SHELL",
    "ONBUILD",
    "ONBUILD RUN",
    "ONBUILD COPY",
    "HEALTHCHECK",
    "HEALTHCHECK CMD",
    "USER",
    "WORKDIR",
    "VOLUME",
    "EXPOSE",
    "STOPSIGNAL",
    "MAINTAINER",
];

/// A keyword in random case, or an unknown word.
fn keyword() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(KEYWORDS), any::<u32>()).prop_map(|(keyword, case)| {
            keyword
                .chars()
                .enumerate()
                .map(|(index, character)| {
                    if case & (1 << (index % 32)) != 0 {
                        character.to_ascii_lowercase()
                    } else {
                        character
                    }
                })
                .collect()
        }),
        1 => "[a-zA-Z]{1,8}",
    ]
}

fn flag() -> impl Strategy<Value = String> {
    prop_oneof![
        "--mount=type=(secret|ssh|bind|cache),(id|target|from|env)=[a-z/.]{0,6}(,required)?",
        "--mount=\"type=secret,id=[a-z]{1,4}\"",
        "--from=[a-z0-9]{0,4}",
        "--(chown|chmod|link|network|platform)(=[a-z0-9:]{0,5})?",
        "--[a-z]{0,4}(=['\"]?[a-z ]{0,4}['\"]?)?",
        Just("--".to_string()),
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9_./:@-]{1,10}",
        2 => "\"[^\"\n\r]{0,8}\"",
        2 => "'[^'\n\r]{0,8}'",
        2 => "[A-Z_]{1,6}=[a-z0-9\"' ]{0,8}",
        2 => "\\$[A-Z_]{1,4}",
        1 => "\\$\\{[A-Z]{1,4}(:-|:\\+|-|\\+)?[a-z$]{0,4}\\}",
        1 => "\\$\\([a-z ]{0,6}\\)",
        2 => "(0|3)?<<-?['\"]?(EOF|END|X)['\"]?",
        2 => r#"\[("[a-z -]{0,5}"(, )?){0,3}\]"#,
        1 => "\\[[0-9, ]{0,4}\\]",
        1 => "(ghp_|glpat-|AKIA|sk_live_)[A-Za-z0-9]{16,36}",
        1 => "https://[a-z]{1,4}:[a-zA-Z0-9]{4,14}@[a-z.]{1,6}",
        1 => "[.](netrc|env|npmrc|ssh/id_rsa|aws/credentials)",
        1 => "[\\\\`]{1,2}",
        1 => "(&&|\\|\\||;|\\||>|2>&1|<)",
        1 => "\\PC{1,6}",
    ]
}

/// One physical line, without its line ending.
fn line() -> impl Strategy<Value = String> {
    let instruction = (
        keyword(),
        prop::collection::vec(flag(), 0..2),
        prop::collection::vec(word(), 0..5),
        prop_oneof![
            6 => Just(""),
            2 => Just(" \\"),
            1 => Just(" `"),
            1 => Just("\\  "),
            1 => Just(" \\\\"),
        ],
    )
        .prop_map(|(keyword, flags, words, end)| {
            let mut line = keyword;
            for piece in flags.iter().chain(words.iter()) {
                line.push(' ');
                line.push_str(piece);
            }
            line.push_str(end);
            line
        });
    prop_oneof![
        10 => instruction,
        2 => "[ \t]{0,2}#[^\n\r]{0,16}",
        1 => "# ?(escape|syntax|check|dockerleak: ignore) ?= ?([\\\\`]|[a-zA-Z0-9/:=,-]{0,10})",
        2 => "[ \t]{0,3}",
        2 => "\t{0,1}(EOF|END|X)",
        1 => "[ \t]{0,2}[\\\\`][ \t]{0,2}",
        2 => prop::collection::vec(word(), 1..4).prop_map(|words| words.join(" ")),
        1 => "\\PC{0,12}",
        1 => prop::collection::vec(any::<u8>(), 0..24)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

/// A whole file: an optional byte order mark, then lines with mixed endings.
fn dockerfile() -> impl Strategy<Value = String> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(
            (
                line(),
                prop_oneof![8 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r"), 1 => Just("")],
            ),
            0..24,
        ),
    )
        .prop_map(|(byte_order_mark, lines)| {
            let mut text = String::new();
            if byte_order_mark {
                text.push('\u{feff}');
            }
            for (line, ending) in lines {
                text.push_str(&line);
                text.push_str(ending);
            }
            text
        })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // Failing inputs are saved by hand as fixtures under
        // tests/fixtures/fuzz/, where fuzz_regressions.rs checks them.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parser_covers_the_input_losslessly(text in dockerfile()) {
        let parsed = dockerleak::syntax::parse(&text);
        if let Err(problem) = invariants::check_parse(&text, &parsed) {
            return Err(TestCaseError::fail(problem));
        }
    }

    #[test]
    fn parser_covers_arbitrary_text_losslessly(text in "\\PC{0,64}|(\\PC|\n|\r|\t){0,64}") {
        let parsed = dockerleak::syntax::parse(&text);
        if let Err(problem) = invariants::check_parse(&text, &parsed) {
            return Err(TestCaseError::fail(problem));
        }
    }

    #[test]
    fn no_input_panics_the_pipeline_in_any_format(text in dockerfile()) {
        if let Err(problem) = invariants::check_pipeline(&text, &Config::default()) {
            return Err(TestCaseError::fail(problem));
        }
    }
}

#[test]
fn trivia_is_whitespace_a_leading_bom_and_continuation_only_lines() {
    let text = "\u{feff}\n  \\\nRUN a \\\n# inside\n  b\n\n# after\n\t\r\nFROM x\n";
    let parsed = dockerleak::syntax::parse(text);
    let pieces = invariants::pieces(text, &parsed).expect("nodes are ordered");
    let kinds: Vec<&str> = pieces
        .iter()
        .map(|(piece, span)| match piece {
            invariants::Piece::Instruction(_) => "instruction",
            invariants::Piece::Comment(_) => "comment",
            invariants::Piece::Trivia => {
                invariants::check_trivia(text, *span, '\\').expect("trivia");
                "trivia"
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "trivia",
            "instruction",
            "trivia",
            "comment",
            "trivia",
            "instruction",
            "trivia"
        ]
    );
    invariants::check_parse(text, &parsed).expect("lossless");
    // A comment between continuation lines belongs to its instruction.
    assert_eq!(parsed.comments.len(), 2);
    assert!(invariants::check_trivia("RUN", dockerleak::source::Span::new(0, 3), '\\').is_err());
}
