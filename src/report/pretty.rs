//! `--format pretty`: diagnostics for people, rendered by miette.
//!
//! Each finding is one diagnostic headed `error[DLK001 secret-file-copied]:
//! message`, showing the source line(s) with a primary label on the
//! finding's span, its secondary labels and a `help:` line. Then the file
//! errors (with their source line when they have a place), then one summary
//! line. Source text always comes from [`FileReport::redacted_text`] (every
//! secret of the file masked, spans mapped into the masked text), and every
//! other text (message, help, labels, errors) through [`FileReport::mask`].

use super::{safe_help, safe_label, safe_message, ReportOptions, Summary};
use crate::finding::{FileReport, Finding, Severity};
use crate::source::Span;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
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
        let source = NamedSource::new(&report.path, redacted.text.clone());
        let map_span = |span: Span| snap_to_text(&redacted.text, redacted.map_span(span));
        for finding in &report.findings {
            let diagnostic = FindingDiagnostic {
                finding,
                message: safe_message(report, finding),
                help: safe_help(report, finding),
                label: safe_label(report, finding),
                source: &source,
                primary: map_span(finding.span),
                secondary: finding
                    .labels
                    .iter()
                    .map(|label| (map_span(label.span), report.mask(&label.message)))
                    .collect(),
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
                message: report.mask(&error.message),
                source: &source,
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

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    /// The finding's texts, masked by the file's redactor.
    message: Cow<'a, str>,
    help: Cow<'a, str>,
    label: Cow<'a, str>,
    source: &'a NamedSource<String>,
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

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
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
    source: &'a NamedSource<String>,
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
        self.place.map(|_| self.source as &dyn SourceCode)
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
                }],
                stage: None,
                secrets: vec![secret],
                fingerprint: "x".into(),
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
