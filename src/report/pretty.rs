//! `--format pretty`: diagnostics for people, rendered by miette.
//!
//! Each finding is one diagnostic headed `error[DLK001 secret-file-copied]:
//! message`, showing the source line(s) with a primary label on the
//! finding's span, its secondary labels and a `help:` line. Then the file
//! errors (with their source line when they have a place), then one summary
//! line. Source text always comes from [`FileReport::redacted_text`] (every
//! secret of the file masked, spans mapped into the masked text), and every
//! other text (message, help, labels, errors) through [`FileReport::mask`].
//!
//! miette finds lines by scanning its source from the start, so each
//! diagnostic is given a [`Window`]: only the lines around its spans, with
//! offsets and line numbers translated. Handing it the whole file made
//! pretty output quadratic (1 MB of findings took 65 s).

use super::{safe_help, safe_label, safe_message, ReportOptions, Summary};
use crate::finding::{FileReport, Finding, Severity};
use crate::source::{LineIndex, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

/// Writes every finding and file error as a diagnostic, then the summary.
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .without_syntax_highlighting();
    for report in reports {
        if report.findings.is_empty() && report.errors.is_empty() {
            continue;
        }
        let redacted = report.redacted_text();
        let lines = LineIndex::new(&redacted.text);
        let map_span = |span: Span| snap_to_text(&redacted.text, redacted.map_span(span));
        let mut previous: Option<Span> = None;
        for finding in &report.findings {
            // Two findings on one span (DLK004 and DLK005 on one ENV) show
            // the snippet once: the second names the place instead.
            let repeated = previous == Some(finding.span) && finding.labels.is_empty();
            previous = Some(finding.span);
            let primary = map_span(finding.span);
            let secondary: Vec<(Span, Cow<str>)> = finding
                .labels
                .iter()
                .filter(|label| label.file.is_none())
                .map(|label| (map_span(label.span), report.mask(&label.message)))
                .collect();
            let covered = secondary
                .iter()
                .fold(primary, |covered, (span, _)| covered.cover(*span));
            let diagnostic = FindingDiagnostic {
                finding,
                message: safe_message(report, finding),
                label: safe_label(report, finding),
                source: (!repeated)
                    .then(|| Window::around(&report.path, &redacted.text, &lines, covered)),
                primary,
                secondary,
            };
            let mut after = String::new();
            if repeated {
                let start = report.position(finding.span.start);
                after.push_str(&format!(
                    "  at {}:{}:{}, the place shown above\n",
                    report.path, start.line, start.column
                ));
            }
            // A label in another file is named, not shown.
            for label in &finding.labels {
                if let Some(file) = &label.file {
                    after.push_str(&format!(
                        "  related: {}:{}:{}: {}\n",
                        report.mask(&file.path),
                        file.line,
                        file.column,
                        report.mask(&label.message)
                    ));
                }
            }
            let help = safe_help(report, finding);
            after.push_str(&help_lines(&help, options.width, options.color));
            after.push_str(&fix_lines(report, finding, &redacted));
            render(&handler, &diagnostic, &after, output)?;
        }
        for error in &report.errors {
            // An empty file has nothing to show: name the file instead.
            let place = error
                .span
                .filter(|_| !redacted.text.is_empty())
                .map(map_span);
            let diagnostic = ErrorDiagnostic {
                path: &report.path,
                message: report.mask(&error.message),
                source: Window::around(
                    &report.path,
                    &redacted.text,
                    &lines,
                    place.unwrap_or_default(),
                ),
                place,
            };
            render(&handler, &diagnostic, "", output)?;
        }
    }
    if options.quiet {
        return Ok(());
    }
    let summary = Summary::of(reports);
    writeln!(output, "{}", summary.line())
}

/// The most changed lines a fix shows.
const FIX_LINES: usize = 12;

/// `fix available (unsafe): …`, the lines it rewrites (`-` before, `+`
/// after, from the redacted text: an edit never inserts a secret) and the
/// build command change.
fn fix_lines(
    report: &FileReport,
    finding: &crate::finding::Finding,
    redacted: &crate::finding::RedactedText,
) -> String {
    let Some(fix) = super::safe_fix(report, finding) else {
        return String::new();
    };
    let heading = match fix.applicability {
        "safe" => "fix available",
        "unsafe" => "fix available (unsafe)",
        _ => "fix (do it by hand)",
    };
    let mut text = format!("  {heading}: {}\n", fix.message);
    let own: Vec<crate::fix::Edit> = finding
        .fix
        .iter()
        .flat_map(|fix| fix.own_edits())
        .map(|edit| crate::fix::Edit {
            span: redacted.map_span(edit.span),
            content: report.mask(&edit.content).into_owned(),
            file: None,
        })
        .collect();
    if !own.is_empty() {
        let after = crate::fix::apply_edits(&redacted.text, &own);
        let diff = similar::TextDiff::from_lines(redacted.text.as_str(), after.as_str());
        let mut shown = 0;
        for change in diff.iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => continue,
            };
            if shown == FIX_LINES {
                text.push_str("    …\n");
                break;
            }
            shown += 1;
            text.push_str(&format!(
                "    {sign} {}\n",
                change.value().trim_end_matches(['\n', '\r'])
            ));
        }
    }
    for edit in fix.edits.iter().filter(|edit| edit.path.is_some()) {
        for line in edit.content.lines().filter(|line| !line.trim().is_empty()) {
            text.push_str(&format!(
                "    + {line}   ({})\n",
                edit.path.unwrap_or_default()
            ));
        }
    }
    if let Some(note) = &fix.build_note {
        text.push_str(&format!("  build with: {note}\n"));
    }
    text
}

/// Renders `diagnostic`, then `after` (lines that miette must not wrap).
fn render(
    handler: &GraphicalReportHandler,
    diagnostic: &dyn Diagnostic,
    after: &str,
    output: &mut dyn Write,
) -> io::Result<()> {
    let mut rendered = String::new();
    handler
        .render_report(&mut rendered, diagnostic)
        .map_err(|_| io::Error::other("could not render a diagnostic"))?;
    output.write_all(rendered.as_bytes())?;
    output.write_all(after.as_bytes())?;
    // A blank line between diagnostics.
    output.write_all(b"\n")
}

/// A finding's help as lines under its diagnostic: the prose wrapped to
/// `width`, and each code span that holds a space (a command, a flag with
/// its value) on a line of its own, never broken, so that it can be copied
/// whole. Short code spans (`.netrc`) stay in the prose.
fn help_lines(help: &str, width: usize, color: bool) -> String {
    const FIRST: &str = "  help: ";
    const NEXT: &str = "        ";
    if help.trim().is_empty() {
        return String::new();
    }
    let mut lines: Vec<String> = Vec::new();
    let mut prose = String::new();
    let flush = |prose: &mut String, lines: &mut Vec<String>| {
        // After a command, the sentence goes on without the punctuation
        // that followed it (`, build with`, `; nothing reaches …`).
        let text = prose.trim().trim_start_matches([',', ';']).trim_start();
        // What is left between two commands may be only punctuation.
        if !text
            .chars()
            .all(|character| character.is_ascii_punctuation())
        {
            let options = textwrap::Options::new(width.saturating_sub(NEXT.len()).max(20))
                .break_words(false)
                .word_separator(textwrap::WordSeparator::AsciiSpace)
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            lines.extend(textwrap::wrap(text, options).into_iter().map(String::from));
        }
        prose.clear();
    };
    let mut commands = Vec::new();
    for (index, piece) in help.split('`').enumerate() {
        let is_code = index % 2 == 1;
        if is_code && piece.contains(char::is_whitespace) {
            flush(&mut prose, &mut lines);
            commands.push(lines.len());
            lines.push(format!("  {piece}"));
        } else if is_code {
            prose.push('`');
            prose.push_str(piece);
            prose.push('`');
        } else {
            prose.push_str(piece);
        }
    }
    flush(&mut prose, &mut lines);
    let label = if color {
        "\u{1b}[36mhelp:\u{1b}[0m "
    } else {
        "help: "
    };
    let mut text = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index == 0 {
            text.push_str(&FIRST.replace("help: ", label));
        } else {
            text.push_str(NEXT);
        }
        text.push_str(line);
        text.push('\n');
    }
    if commands.first() == Some(&0) {
        // The help starts with a command: keep `help:` on a line of its own.
        text = format!(
            "{}\n{NEXT}{}",
            FIRST.replace("help: ", label).trim_end(),
            &text[FIRST.len()..]
        );
    }
    text
}

/// Clamps a span to `text` and widens it to character boundaries, so that
/// the renderer never slices inside a character.
fn snap_to_text(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn source_span(span: Span) -> miette::SourceSpan {
    (span.start, span.len()).into()
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// Lines of the (redacted) source around one diagnostic's spans, shown to
/// miette in the whole file's offsets and line numbers.
struct Window<'a> {
    name: &'a str,
    /// The whole text; only `start..end` is ever scanned.
    text: &'a str,
    start: usize,
    end: usize,
    /// The 0-based line number of `start`.
    first_line: usize,
}

/// Lines kept on each side of the spans: more than the handler's context
/// (one line), so that the window never cuts what miette shows.
const WINDOW_CONTEXT_LINES: usize = 2;

impl<'a> Window<'a> {
    fn around(name: &'a str, text: &'a str, lines: &LineIndex, spans: Span) -> Window<'a> {
        let first = lines
            .line_of(spans.start)
            .saturating_sub(WINDOW_CONTEXT_LINES)
            .max(1);
        let last = lines.line_of(spans.end) + WINDOW_CONTEXT_LINES;
        let end = if last >= lines.line_count() {
            text.len()
        } else {
            lines.line_start(last + 1)
        };
        Window {
            name,
            text,
            start: lines.line_start(first).min(text.len()),
            end: end.min(text.len()),
            first_line: first - 1,
        }
    }
}

impl SourceCode for Window<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let offset = span
            .offset()
            .checked_sub(self.start)
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new(offset.into(), span.len());
        let window = &self.text[self.start..self.end];
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            contents.data(),
            SourceSpan::new(
                (contents.span().offset() + self.start).into(),
                contents.span().len(),
            ),
            contents.line() + self.first_line,
            contents.column(),
            contents.line_count(),
        )))
    }
}

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    /// The finding's texts, masked by the file's redactor (the help is
    /// masked by `safe_help` where it is written).
    message: Cow<'a, str>,
    label: Cow<'a, str>,
    /// `None`: the snippet was shown for the finding before.
    source: Option<Window<'a>>,
    primary: Span,
    secondary: Vec<(Span, Cow<'a, str>)>,
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}[{} {}]: {}",
            self.finding.severity, self.finding.code, self.finding.name, self.message
        )
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, formatter)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette_severity(self.finding.severity))
    }

    // The help is written after the diagnostic (`help_lines`), so that
    // miette does not wrap its commands.

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let label = (!self.label.is_empty()).then(|| self.label.to_string());
        let primary = LabeledSpan::new_primary_with_span(label, source_span(self.primary));
        let secondary = self.secondary.iter().map(|(span, message)| {
            LabeledSpan::new_with_span(Some(message.to_string()), source_span(*span))
        });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

struct ErrorDiagnostic<'a> {
    path: &'a str,
    /// The error's message, masked by the file's redactor.
    message: Cow<'a, str>,
    source: Window<'a>,
    /// Where in the (redacted) source; `None` when there is nothing to show.
    place: Option<Span>,
}

impl fmt::Display for ErrorDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            // The snippet header names the file.
            Some(_) => write!(formatter, "error: {}", self.message),
            None => write!(formatter, "error: {}: {}", self.path, self.message),
        }
    }
}

impl fmt::Debug for ErrorDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, formatter)
    }
}

impl std::error::Error for ErrorDiagnostic<'_> {}

impl Diagnostic for ErrorDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Error)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.place.map(|_| &self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let place = self.place?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, source_span(place)),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FileError, Label};
    use crate::source::LineIndex;

    const FAKE_SECRET: &str = "FAKEFAKEFAKEFAKEFAKE1234";

    fn report() -> FileReport {
        let text = format!(
            "FROM alpine\nENV AWS_SECRET_ACCESS_KEY={FAKE_SECRET}\nRUN echo é && rm -f /x\n"
        );
        let secret_start = text.find(FAKE_SECRET).expect("fixture holds the secret");
        let secret = Span::new(secret_start, secret_start + FAKE_SECRET.len());
        let key_start = text.find("AWS_").expect("fixture holds the key");
        let removal = text.find("rm -f").expect("fixture holds rm");
        FileReport {
            path: "app/Dockerfile".into(),
            line_index: LineIndex::new(&text),
            findings: vec![Finding {
                code: "DLK005",
                name: "hardcoded-secret",
                severity: Severity::Warning,
                message: "an AWS secret access key is written into the image".into(),
                help: "pass it with RUN --mount=type=secret,id=aws".into(),
                span: secret,
                label: "secret value".into(),
                labels: vec![Label {
                    span: Span::new(removal, removal + 5),
                    message: "removed here, too late".into(),
                    file: None,
                }],
                stage: None,
                secrets: vec![secret],
                fingerprint: "x".into(),
                fix: None,
            }],
            errors: vec![FileError {
                message: "something odd".into(),
                span: Some(Span::new(key_start, key_start + 3)),
            }],
            redactor: crate::redact::Redactor::new(&text, [secret]),
            text,
        }
    }

    fn render_to_string(reports: &[FileReport]) -> String {
        let mut output = Vec::new();
        write(reports, &ReportOptions::default(), &mut output)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(output).expect("the pretty output is UTF-8")
    }

    #[test]
    fn findings_show_code_name_labels_help_and_never_the_secret() {
        let rendered = render_to_string(&[report()]);
        assert!(!rendered.contains(FAKE_SECRET), "{rendered}");
        assert!(!rendered.contains("FAKEFAKE"), "{rendered}");
        assert!(
            rendered.contains("warning[DLK005 hardcoded-secret]: an AWS secret access key"),
            "{rendered}"
        );
        assert!(rendered.contains("app/Dockerfile:2:"), "{rendered}");
        assert!(rendered.contains("secret value"), "{rendered}");
        assert!(rendered.contains("removed here, too late"), "{rendered}");
        assert!(
            rendered.contains("help: pass it with RUN --mount=type=secret,id=aws"),
            "{rendered}"
        );
        assert!(rendered.contains("error: something odd"), "{rendered}");
        assert!(rendered
            .ends_with("1 file checked, 1 finding (0 errors, 1 warning, 0 notes), 1 file error\n"));
        assert!(!rendered.contains('\u{1b}'), "no colour unless asked");
    }

    #[test]
    fn errors_without_a_place_name_the_file() {
        let rendered =
            render_to_string(&[FileReport::unreadable("x/Dockerfile", "permission denied")]);
        assert!(
            rendered.contains("error: x/Dockerfile: permission denied"),
            "{rendered}"
        );
    }

    #[test]
    fn spans_are_snapped_to_character_boundaries() {
        let text = "aé b";
        assert_eq!(snap_to_text(text, Span::new(2, 2)), Span::new(1, 3));
        assert_eq!(snap_to_text(text, Span::new(9, 12)), Span::new(5, 5));
    }
}
