//! `--format json`: the stable output contract of ARCHITECTURE.md.
//!
//! ```json
//! {"version": 1,
//!  "findings": [{"code", "name", "severity", "path", "line", "column",
//!                "end_line", "end_column", "message", "help", "stage",
//!                "fingerprint", "labels": [{"line", "column", "end_line",
//!                "end_column", "message"}],
//!                "fix": {"applicability", "message", "edits": [{"start",
//!                "end", "line", "column", "end_line", "end_column",
//!                "content"}], "build_note"}}],
//!  "errors": [{"path", "message"}],
//!  "summary": {"files", "findings", "errors"}}
//! ```
//!
//! Lines and columns are 1-based; the end column is exclusive (the
//! position of the span's end). `labels` is an addition to the contract, and
//! so is `fix`, present when the rule has one (an edit of another file,
//! a `.dockerignore`, names it in `path`).
//! An error with a place has its message prefixed by `line N: `. Every
//! text goes through the file's redactor ([`FileReport::mask`]), and no
//! source text is printed.

use super::{error_message, safe_help, safe_message, safe_stage, Region, ReportOptions, Summary};
use crate::finding::{FileReport, Finding, Severity};
use crate::source::Span;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// The version of this JSON shape; bumped only on a breaking change.
pub const JSON_VERSION: u32 = 1;

/// The document. Its findings and errors are serialized as they are
/// made, one by one, from the reports: memory does not grow with the
/// number of findings (a file at the size limit can have tens of thousands).
#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    findings: Findings<'a>,
    errors: Errors<'a>,
    summary: SummaryOutput,
}

/// Every finding of the run, in report order, serialized one at a time.
struct Findings<'a>(&'a [FileReport]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().flat_map(|report| {
            report
                .findings
                .iter()
                .map(move |finding| finding_output(report, finding))
        }))
    }
}

/// Every file error of the run, in report order.
struct Errors<'a>(&'a [FileReport]);

impl Serialize for Errors<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().flat_map(|report| {
            report.errors.iter().map(move |error| ErrorOutput {
                path: &report.path,
                message: error_message(report, error),
            })
        }))
    }
}

#[derive(Serialize)]
struct FindingOutput<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: Cow<'a, str>,
    help: Cow<'a, str>,
    stage: Option<Cow<'a, str>>,
    fingerprint: &'a str,
    labels: Vec<LabelOutput<'a>>,
    /// Present when the rule has a fix for it ([`crate::fix`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<super::FixView<'a>>,
}

#[derive(Serialize)]
struct LabelOutput<'a> {
    /// Another file (a related location across files), else the finding's.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<Cow<'a, str>>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: Cow<'a, str>,
}

#[derive(Serialize)]
struct ErrorOutput<'a> {
    path: &'a str,
    message: String,
}

#[derive(Serialize)]
struct SummaryOutput {
    files: usize,
    findings: usize,
    errors: usize,
}

fn region(report: &FileReport, span: Span) -> Region {
    Region::of(report, span)
}

fn finding_output<'a>(report: &'a FileReport, finding: &'a Finding) -> FindingOutput<'a> {
    let place = region(report, finding.span);
    FindingOutput {
        code: finding.code,
        name: finding.name,
        severity: finding.severity,
        path: &report.path,
        line: place.line,
        column: place.column,
        end_line: place.end_line,
        end_column: place.end_column,
        message: safe_message(report, finding),
        help: safe_help(report, finding),
        stage: safe_stage(report, finding),
        fingerprint: &finding.fingerprint,
        labels: finding
            .labels
            .iter()
            .map(|label| match &label.file {
                Some(file) => LabelOutput {
                    path: Some(report.mask(&file.path)),
                    line: file.line,
                    column: file.column,
                    end_line: file.end_line,
                    end_column: file.end_column,
                    message: report.mask(&label.message),
                },
                None => {
                    let place = region(report, label.span);
                    LabelOutput {
                        path: None,
                        line: place.line,
                        column: place.column,
                        end_line: place.end_line,
                        end_column: place.end_column,
                        message: report.mask(&label.message),
                    }
                }
            })
            .collect(),
        fix: super::safe_fix(report, finding),
    }
}

/// Writes the JSON document (pretty-printed, with a final newline).
pub fn write(
    reports: &[FileReport],
    _options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let summary = Summary::of(reports);
    let document = Output {
        version: JSON_VERSION,
        findings: Findings(reports),
        errors: Errors(reports),
        summary: SummaryOutput {
            files: summary.files,
            findings: summary.findings,
            errors: summary.file_errors,
        },
    };
    serde_json::to_writer_pretty(&mut *output, &document).map_err(io::Error::from)?;
    output.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FileError, Label};
    use crate::source::LineIndex;
    use serde_json::Value;

    fn report_with_finding() -> FileReport {
        let text = "FROM alpine\nCOPY .netrc /root/.netrc\nRUN rm /root/.netrc\n";
        let netrc = text.find(".netrc").expect("fixture holds .netrc");
        let removal = text.find("rm /root").expect("fixture holds rm");
        FileReport {
            path: "app/Dockerfile".into(),
            text: text.into(),
            line_index: LineIndex::new(text),
            findings: vec![Finding {
                code: "DLK001",
                name: "secret-file-copied",
                severity: Severity::Error,
                message: "credential file .netrc is copied into the image".into(),
                help: "mount it with RUN --mount=type=secret".into(),
                span: Span::new(netrc, netrc + ".netrc".len()),
                label: "copied here".into(),
                labels: vec![Label {
                    span: Span::new(removal, removal + "rm /root/.netrc".len()),
                    message: "deleting it later does not remove it from the layer".into(),
                    file: None,
                }],
                stage: Some("0".into()),
                secrets: Vec::new(),
                fingerprint: "DLK001:abc".into(),
                fix: None,
            }],
            errors: vec![FileError {
                message: "unknown flag".into(),
                span: Some(Span::new(removal, removal + 2)),
            }],
            redactor: Default::default(),
        }
    }

    #[test]
    fn findings_follow_the_output_contract() {
        let mut output = Vec::new();
        write(
            &[report_with_finding()],
            &ReportOptions::default(),
            &mut output,
        )
        .expect("writing to a Vec cannot fail");
        let document: Value = serde_json::from_slice(&output).expect("output is JSON");
        assert_eq!(document["version"], 1);
        let finding = &document["findings"][0];
        assert_eq!(finding["code"], "DLK001");
        assert_eq!(finding["name"], "secret-file-copied");
        assert_eq!(finding["severity"], "error");
        assert_eq!(finding["path"], "app/Dockerfile");
        assert_eq!(
            (finding["line"].as_u64(), finding["column"].as_u64()),
            (Some(2), Some(6))
        );
        assert_eq!(
            (finding["end_line"].as_u64(), finding["end_column"].as_u64()),
            (Some(2), Some(12))
        );
        assert_eq!(finding["stage"], "0");
        assert_eq!(finding["fingerprint"], "DLK001:abc");
        assert_eq!(finding["help"], "mount it with RUN --mount=type=secret");
        assert_eq!(finding["labels"][0]["line"], 3);
        assert_eq!(finding["labels"][0]["column"], 5);
        assert_eq!(document["errors"][0]["path"], "app/Dockerfile");
        assert_eq!(document["errors"][0]["message"], "line 3: unknown flag");
        assert_eq!(document["summary"]["files"], 1);
        assert_eq!(document["summary"]["findings"], 1);
        assert_eq!(document["summary"]["errors"], 1);
        assert!(output.ends_with(b"}\n"));
    }
}
