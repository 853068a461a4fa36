//! `--format gnu`: one line per finding in the GNU diagnostic format that
//! editors and compilation modes understand (Emacs `compile`, Vim's
//! `errorformat`, VS Code problem matchers):
//!
//! ```text
//! app/Dockerfile:3:6: error: COPY puts `.netrc` into the image [DLK001]
//! app/Dockerfile:7:1: error: unterminated heredoc
//! web/Dockerfile: error: permission denied
//! ```
//!
//! Lines and columns are 1-based (columns count characters). A file error
//! with a place has `path:line:column:` before it, one without a place
//! only `path:`. Paths are shown as given, so that an editor finds them
//! relative to where it ran dockerleak. No summary line, no source text:
//! every line is one diagnostic. Newlines inside a message would break the
//! one-line contract, so they become spaces.

use super::{safe_message, ReportOptions};
use crate::finding::FileReport;
use std::io::{self, Write};

/// Writes one line per finding, then one per file error, file by file.
pub fn write(
    reports: &[FileReport],
    _options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    for report in reports {
        for finding in &report.findings {
            let start = report.position(finding.span.start);
            writeln!(
                output,
                "{}:{}:{}: {}: {} [{}]",
                report.path,
                start.line,
                start.column,
                finding.severity,
                one_line(&safe_message(report, finding)),
                finding.code
            )?;
        }
        for error in &report.errors {
            match error.span {
                Some(span) => {
                    let start = report.position(span.start);
                    writeln!(
                        output,
                        "{}:{}:{}: error: {}",
                        report.path,
                        start.line,
                        start.column,
                        one_line(&report.mask(&error.message))
                    )?;
                }
                None => writeln!(
                    output,
                    "{}: error: {}",
                    report.path,
                    one_line(&report.mask(&error.message))
                )?,
            }
        }
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{FileError, Finding, Severity};
    use crate::source::{LineIndex, Span};

    #[test]
    fn one_line_per_finding_and_per_error() {
        let text = "FROM alpine\nCOPY .netrc /root/\n";
        let start = text.find(".netrc").expect("fixture holds .netrc");
        let report = FileReport {
            path: "app/Dockerfile".into(),
            line_index: LineIndex::new(text),
            text: text.into(),
            findings: vec![Finding {
                code: "DLK001",
                name: "secret-file-copied",
                severity: Severity::Error,
                message: "COPY puts `.netrc`\ninto the image".into(),
                help: Default::default(),
                span: Span::new(start, start + 6),
                label: Default::default(),
                labels: Vec::new(),
                stage: None,
                secrets: Vec::new(),
                fingerprint: String::new(),
                fix: None,
            }],
            errors: vec![FileError {
                message: "odd".into(),
                span: Some(Span::new(0, 4)),
            }],
            redactor: Default::default(),
        };
        let mut output = Vec::new();
        write(
            &[
                report,
                FileReport::unreadable("x/Dockerfile", "permission denied"),
            ],
            &ReportOptions::default(),
            &mut output,
        )
        .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(output).expect("UTF-8"),
            "app/Dockerfile:2:6: error: COPY puts `.netrc` into the image [DLK001]\n\
             app/Dockerfile:1:1: error: odd\n\
             x/Dockerfile: error: permission denied\n"
        );
    }
}
