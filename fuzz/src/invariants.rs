//! What must hold for any input, however malformed: the checks that the
//! fuzz targets (`fuzz/fuzz_targets/`) run on every input and that the
//! property and regression tests (`tests/parser_properties.rs`,
//! `tests/fuzz_regressions.rs`) include with `#[path]`, so a failure found
//! by one is checked the same way by the others.
//!
//! Each check returns `Err` with a description instead of panicking, so a
//! property test can show the input next to the broken rule.
//!
//! ## Lossless coverage (see `docs/fuzzing.md`)
//! The top-level nodes of a [`Dockerfile`] are its instructions and the
//! comments that are not inside an instruction (a comment between the
//! continuation lines of an instruction is inside that instruction's span).
//! Their spans must be in bounds, on character boundaries, ordered and
//! non-overlapping. The text between two of them, before the first and
//! after the last (a *gap*) may only hold trivia: whitespace, a byte order
//! mark at offset 0, and lines that hold nothing but the escape character
//! (a continuation of nothing). Slicing the source by the nodes and the
//! gaps, in order, gives the input back.

use dockerleak::config::Config;
use dockerleak::finding::FileReport;
use dockerleak::report::{write_report, Format, ReportOptions};
use dockerleak::source::Span;
use dockerleak::syntax::{Arguments, Dockerfile, Instruction};
use std::sync::OnceLock;

/// A piece of the source: a node of the syntax tree or trivia between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    Instruction(usize),
    Comment(usize),
    Trivia,
}

/// The source cut into top-level nodes and the trivia between them, in order.
pub fn pieces(text: &str, dockerfile: &Dockerfile) -> Result<Vec<(Piece, Span)>, String> {
    let mut nodes: Vec<(Piece, Span)> = Vec::new();
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        nodes.push((Piece::Instruction(index), instruction.span));
    }
    for (index, comment) in dockerfile.comments.iter().enumerate() {
        // Instructions are ordered (checked by `check_parse`): the only
        // one that can hold the comment is the last one starting before it.
        let before = dockerfile
            .instructions
            .partition_point(|instruction| instruction.span.start <= comment.span.start);
        let inside = before
            .checked_sub(1)
            .is_some_and(|index| dockerfile.instructions[index].span.contains(comment.span));
        if !inside {
            nodes.push((Piece::Comment(index), comment.span));
        }
    }
    nodes.sort_by_key(|(_, span)| (span.start, span.end));
    let mut pieces = Vec::with_capacity(nodes.len() * 2 + 1);
    let mut position = 0;
    for (piece, span) in nodes {
        check_span(text, span).map_err(|error| format!("{piece:?}: {error}"))?;
        if span.start < position {
            return Err(format!(
                "{piece:?} {span:?} overlaps the node before it (which ends at {position})"
            ));
        }
        if span.start > position {
            pieces.push((Piece::Trivia, Span::new(position, span.start)));
        }
        pieces.push((piece, span));
        position = span.end;
    }
    if position < text.len() {
        pieces.push((Piece::Trivia, Span::new(position, text.len())));
    }
    Ok(pieces)
}

/// In bounds and on character boundaries.
pub fn check_span(text: &str, span: Span) -> Result<(), String> {
    if span.start > span.end || span.end > text.len() {
        return Err(format!(
            "span {span:?} is out of bounds (len {})",
            text.len()
        ));
    }
    if !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
        return Err(format!("span {span:?} is not on character boundaries"));
    }
    Ok(())
}

/// Only whitespace, a leading byte order mark, and lines that hold only the
/// escape character.
pub fn check_trivia(text: &str, span: Span, escape: char) -> Result<(), String> {
    let trivia = span.slice(text);
    let trivia = if span.start == 0 {
        trivia.strip_prefix('\u{feff}').unwrap_or(trivia)
    } else {
        trivia
    };
    for line in trivia.split('\n') {
        let content = line.trim_matches(char::is_whitespace);
        if !(content.is_empty() || content.chars().eq(std::iter::once(escape))) {
            return Err(format!(
                "text between nodes at {span:?} is not trivia: {content:?}"
            ));
        }
    }
    Ok(())
}

/// Every check of the syntax tree of `text`.
pub fn check_parse(text: &str, dockerfile: &Dockerfile) -> Result<(), String> {
    let pieces = pieces(text, dockerfile)?;
    let mut rebuilt = String::with_capacity(text.len());
    for (piece, span) in &pieces {
        if *piece == Piece::Trivia {
            check_trivia(text, *span, dockerfile.escape)?;
        }
        rebuilt.push_str(span.slice(text));
    }
    if rebuilt != text {
        return Err("slicing the source by its pieces does not give it back".into());
    }
    let mut previous_end = 0;
    let mut previous_line = 0;
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        let context = |error: String| format!("instruction {index}: {error}");
        if instruction.span.start < previous_end {
            return Err(context("starts before the previous one ends".into()));
        }
        previous_end = instruction.span.end;
        if instruction.start_line == 0 || instruction.start_line > instruction.end_line {
            return Err(context(format!(
                "lines {}..={} are not 1-based and ordered",
                instruction.start_line, instruction.end_line
            )));
        }
        if instruction.start_line < previous_line {
            return Err(context("starts on a line before the previous one".into()));
        }
        previous_line = instruction.end_line;
        check_instruction(text, instruction, instruction.span).map_err(context)?;
    }
    for comment in &dockerfile.comments {
        check_span(text, comment.span)?;
        if !comment.span.slice(text).starts_with('#') {
            return Err(format!("comment {:?} does not start with #", comment.span));
        }
    }
    for directive in &dockerfile.directives {
        check_span(text, directive.span)?;
        check_span(text, directive.value_span)?;
        if !directive.span.contains(directive.value_span) {
            return Err(format!(
                "directive value {directive:?} outside the directive"
            ));
        }
    }
    for error in &dockerfile.errors {
        check_span(text, error.span).map_err(|problem| format!("error {error:?}: {problem}"))?;
    }
    if !matches!(dockerfile.escape, '\\' | '`') {
        return Err(format!("escape {:?}", dockerfile.escape));
    }
    Ok(())
}

/// The spans inside an instruction stay inside `outer` and in bounds.
fn check_instruction(text: &str, instruction: &Instruction, outer: Span) -> Result<(), String> {
    check_span(text, instruction.span)?;
    // The linear offset map agrees with the per-range one.
    for (offset, start) in instruction.rest_offsets().enumerate() {
        let expected = instruction.rest_span(offset..offset + 1).start;
        if start != expected {
            return Err(format!(
                "rest_offsets()[{offset}] = {start}, rest_span gives {expected}"
            ));
        }
    }
    let mut spans: Vec<(&str, Span)> = vec![
        ("keyword", instruction.keyword_word.span),
        ("rest", instruction.rest.span),
    ];
    for flag in &instruction.flags {
        spans.push(("flag", flag.span));
        spans.push(("flag name", flag.name.span));
        if let Some(value) = &flag.value {
            spans.push(("flag value", value.span));
        }
        if let Some(mount) = &flag.mount {
            spans.push(("mount", mount.span));
            for field in &mount.fields {
                spans.push(("mount field", field.span));
                spans.push(("mount key", field.key.span));
                if let Some(value) = &field.value {
                    spans.push(("mount value", value.span));
                }
            }
        }
    }
    match &instruction.arguments {
        Arguments::Pairs(pairs) | Arguments::Args(pairs) => {
            for pair in pairs {
                spans.push(("pair", pair.span));
            }
        }
        _ => {}
    }
    for word in instruction.arguments.words() {
        spans.push(("word", word.span));
    }
    for heredoc in &instruction.heredocs {
        spans.push(("heredoc marker", heredoc.marker_span));
        spans.push(("heredoc content", heredoc.content_span));
        if heredoc.content != heredoc.content_span.slice(text) {
            return Err(format!(
                "heredoc {:?}: content differs from its span's text",
                heredoc.name
            ));
        }
    }
    if let Some(error) = &instruction.error {
        spans.push(("error", error.span));
    }
    for (what, span) in spans {
        if span.start > span.end || span.end > text.len() {
            return Err(format!("{what} span {span:?} is out of bounds"));
        }
        if !outer.contains(span) {
            return Err(format!(
                "{what} span {span:?} is outside the instruction {outer:?}"
            ));
        }
    }
    if let Some(inner) = &instruction.onbuild {
        // The trigger is analysed as an instruction of its own (in the
        // stages built on this one): its span holds all of its parts,
        // heredoc bodies included, and lies inside the ONBUILD.
        if !outer.contains(inner.span) {
            return Err(format!(
                "ONBUILD: the trigger {:?} is outside the instruction {outer:?}",
                inner.span
            ));
        }
        if inner.start_line != instruction.start_line || inner.end_line != instruction.end_line {
            return Err(format!(
                "ONBUILD: the trigger's lines {}..={} are not the instruction's {}..={}",
                inner.start_line, inner.end_line, instruction.start_line, instruction.end_line
            ));
        }
        check_instruction(text, inner, inner.span).map_err(|error| format!("ONBUILD: {error}"))?;
    }
    Ok(())
}

/// The path every pipeline check lints its text under.
pub const PATH: &str = "Dockerfile";

/// Lints `text`, writes the report in every format, and checks the outputs:
/// nothing fails, machine-readable outputs are valid UTF-8 (and JSON where
/// they are JSON), and no secret value that the linter's detection found
/// (see [`oracle_secrets`]) is printed by any format, pretty included:
/// - under `config` as given;
/// - with a subset of the rules disabled (chosen from the input's hash)
///   and every other finding removed by a baseline, so that what is
///   reported never decides what is masked.
///
/// Detection masks every occurrence of a value, so the repeated value (a
/// token echoed in a later RUN) is checked as well.
pub fn check_pipeline(text: &str, config: &Config) -> Result<(), String> {
    let report = dockerleak::lint_source(PATH, text, config);
    check_report(text, &report)?;
    let secrets = oracle_secrets(&report);
    check_outputs(&[report], &secrets, "as configured")?;
    let hash = input_hash(text);
    let mut restricted = config.clone();
    restricted.ignore = dockerleak::rules::registry()
        .iter()
        .enumerate()
        .filter(|(index, _)| hash & (1 << (index % 64)) != 0)
        .map(|(_, rule)| rule.meta().code.to_string())
        .collect();
    let mut report = dockerleak::lint_source(PATH, text, &restricted);
    check_report(text, &report)?;
    let mut index = 0;
    report.findings.retain(|_| {
        index += 1;
        index % 2 == 0
    });
    check_outputs(
        &[report],
        &secrets,
        &format!("ignoring {:?}, half baselined", restricted.ignore),
    )
}

/// Writes `reports` in every format (pretty with and without colour) and
/// checks the outputs (see [`check_pipeline`]).
fn check_outputs(reports: &[FileReport], secrets: &[String], run: &str) -> Result<(), String> {
    for format in <Format as clap::ValueEnum>::value_variants() {
        for color in [false, true] {
            if color && *format != Format::Pretty {
                continue;
            }
            let options = ReportOptions {
                color,
                ..ReportOptions::default()
            };
            let mut output = Vec::new();
            write_report(*format, reports, &options, &mut output)
                .map_err(|error| format!("{format:?}: write failed: {error}"))?;
            let output = String::from_utf8(output)
                .map_err(|error| format!("{format:?}: output is not UTF-8: {error}"))?;
            if matches!(format, Format::Json | Format::Sarif | Format::Gitlab) {
                serde_json::from_str::<serde_json::Value>(&output)
                    .map_err(|error| format!("{format:?}: output is not JSON: {error}"))?;
            }
            for secret in secrets {
                if !is_fixed_text(*format, secret) && output.contains(secret.as_str()) {
                    return Err(format!(
                        "{format:?} (colour {color}, {run}) prints the secret {secret:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// FNV-1a of the input: picks the rules a restricted run disables.
fn input_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Findings and errors point into the text.
pub fn check_report(text: &str, report: &FileReport) -> Result<(), String> {
    for finding in &report.findings {
        let mut spans = vec![finding.span];
        spans.extend(finding.labels.iter().map(|label| label.span));
        spans.extend(finding.secrets.iter().copied());
        for span in spans {
            if span.start > span.end || span.end > text.len() {
                return Err(format!(
                    "{} finding has span {span:?} out of bounds (len {})",
                    finding.code,
                    text.len()
                ));
            }
        }
    }
    for error in &report.errors {
        if let Some(span) = error.span {
            if span.start > span.end || span.end > text.len() {
                return Err(format!("error {error:?} has a span out of bounds"));
            }
        }
    }
    Ok(())
}

/// Characters that no output format escapes: a secret made only of them
/// cannot appear in an output by escaping something else.
fn is_plain(character: char) -> bool {
    character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '+' | '/' | '=' | '.')
}

/// The secret values the oracle checks, kept sound: the values the
/// report's redactor masks everywhere ([`dockerleak::redact::Redactor::values`])
/// that are at least 12 plain characters long and hold a letter and a
/// digit (so that no message template or documentation can spell one by
/// chance; what a format prints for any input is excluded by
/// [`is_fixed_text`] too).
pub fn oracle_secrets(report: &FileReport) -> Vec<String> {
    report
        .redactor
        .values()
        .iter()
        .filter(|secret| {
            secret.len() >= 12
                && secret.chars().all(is_plain)
                && secret.chars().any(|character| character.is_ascii_digit())
                && secret
                    .chars()
                    .any(|character| character.is_ascii_alphabetic())
        })
        .cloned()
        .collect()
}

/// Whether `secret` occurs in text a format prints whatever the input.
fn is_fixed_text(format: Format, secret: &str) -> bool {
    static FIXED_TEXT: OnceLock<Vec<(Format, String)>> = OnceLock::new();
    let fixed = FIXED_TEXT.get_or_init(|| {
        let mut documentation = format!("{PATH}\n{}\n", dockerleak::REPOSITORY);
        for rule in dockerleak::rules::registry() {
            let meta = rule.meta();
            documentation.push_str(&meta.markdown());
            documentation.push('\n');
            documentation.push_str(meta.summary);
            documentation.push('\n');
            documentation.push_str(meta.name);
            documentation.push('\n');
        }
        <Format as clap::ValueEnum>::value_variants()
            .iter()
            .map(|format| {
                let empty_report = FileReport {
                    path: PATH.to_string(),
                    ..FileReport::default()
                };
                let mut empty = Vec::new();
                let _ = write_report(
                    *format,
                    &[empty_report],
                    &ReportOptions::default(),
                    &mut empty,
                );
                (
                    *format,
                    format!("{documentation}{}", String::from_utf8_lossy(&empty)),
                )
            })
            .collect()
    });
    fixed
        .iter()
        .any(|(fixed_format, text)| *fixed_format == format && text.contains(secret))
}
