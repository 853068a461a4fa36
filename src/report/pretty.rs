//! `--format pretty`: diagnostics for people, rendered by miette.
//!
//! Each finding is one diagnostic headed `error[DLK001 secret-file-copied]:
//! message`, showing the source line(s) with a primary label on the
//! finding's span, its secondary labels and a `help:` line. Then the file
//! errors (with their source line when they have a place), then one summary
//! line. Source text always comes from [`FileReport::redacted_text`]: the
//! secrets a finding saw are masked, and spans are mapped into the masked
//! text.
//!
//! miette finds lines by scanning its source from the start, so each
//! diagnostic is given a [`Window`]: only the lines around its spans, with
//! offsets and line numbers translated. Handing it the whole file made
//! pretty output quadratic (1 MB of findings took 65 s).

use super::{ReportOptions, Summary};
use crate::finding::{FileError, FileReport, Finding, Severity};
use crate::source::{LineIndex, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
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
        for finding in &report.findings {
            let primary = map_span(finding.span);
            let secondary: Vec<(Span, &str)> = finding
                .labels
                .iter()
                .map(|label| (map_span(label.span), label.message.as_str()))
                .collect();
            let covered = secondary
                .iter()
                .fold(primary, |covered, (span, _)| covered.cover(*span));
            let diagnostic = FindingDiagnostic {
                finding,
                source: Window::around(&report.path, &redacted.text, &lines, covered),
                primary,
                secondary,
            };
            render(&handler, &diagnostic, output)?;
        }
        for error in &report.errors {
            // An empty file has nothing to show: name the file instead.
            let place = error
                .span
                .filter(|_| !redacted.text.is_empty())
                .map(map_span);
            let diagnostic = ErrorDiagnostic {
                path: &report.path,
                error,
                source: Window::around(
                    &report.path,
                    &redacted.text,
                    &lines,
                    place.unwrap_or_default(),
                ),
                place,
            };
            render(&handler, &diagnostic, output)?;
        }
    }
    let summary = Summary::of(reports);
    writeln!(output, "{}", summary.line())
}

fn render(
    handler: &GraphicalReportHandler,
    diagnostic: &dyn Diagnostic,
    output: &mut dyn Write,
) -> io::Result<()> {
    let mut rendered = String::new();
    handler
        .render_report(&mut rendered, diagnostic)
        .map_err(|_| io::Error::other("could not render a diagnostic"))?;
    output.write_all(rendered.as_bytes())?;
    // A blank line between diagnostics.
    output.write_all(b"\n")
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
    source: Window<'a>,
    primary: Span,
    secondary: Vec<(Span, &'a str)>,
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}[{} {}]: {}",
            self.finding.severity, self.finding.code, self.finding.name, self.finding.message
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

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.finding.help.is_empty())
            .then(|| Box::new(&self.finding.help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = (!self.finding.label.is_empty()).then(|| self.finding.label.clone());
        let primary = LabeledSpan::new_primary_with_span(label, source_span(self.primary));
        let secondary = self.secondary.iter().map(|(span, message)| {
            LabeledSpan::new_with_span(Some(message.to_string()), source_span(*span))
        });
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

struct ErrorDiagnostic<'a> {
    path: &'a str,
    error: &'a FileError,
    source: Window<'a>,
    /// Where in the (redacted) source; `None` when there is nothing to show.
    place: Option<Span>,
}

impl fmt::Display for ErrorDiagnostic<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            // The snippet header names the file.
            Some(_) => write!(formatter, "error: {}", self.error.message),
            None => write!(formatter, "error: {}: {}", self.path, self.error.message),
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
    use crate::finding::Label;
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
                }],
                stage: None,
                secrets: vec![secret],
                fingerprint: "x".into(),
            }],
            errors: vec![FileError {
                message: "something odd".into(),
                span: Some(Span::new(key_start, key_start + 3)),
            }],
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
