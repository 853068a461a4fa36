//! `--format gitlab`: a GitLab Code Quality report (the `codequality`
//! artifact of a CI job), which merge requests show as new and fixed
//! issues:
//!
//! ```json
//! [{"description": "COPY puts `.netrc` into the image.",
//!   "check_name": "DLK001 secret-file-copied",
//!   "fingerprint": "bd2a0d97e3b4e51f:1",
//!   "severity": "critical",
//!   "location": {"path": "app/Dockerfile", "lines": {"begin": 3, "end": 3}}}]
//! ```
//!
//! Severities: error → `critical`, warning → `major`, note → `minor`. A
//! file error is an issue too (`check_name` `dockerleak/file-error`,
//! severity `major`), so a merge request shows a Dockerfile that was not
//! checked. `fingerprint` is the finding's stable fingerprint, so GitLab
//! can tell a new issue from one it has seen; paths are relative to the
//! repository root, as GitLab requires.

use super::{error_message, safe_message, sentence, Region, ReportOptions};
use crate::finding::{FileReport, Severity};
use serde::ser::SerializeSeq;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: String,
    fingerprint: Cow<'a, str>,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// Every issue of the run, serialized as it is made (memory does not grow
/// with the number of findings).
struct Issues<'a> {
    reports: &'a [FileReport],
    options: &'a ReportOptions,
}

impl Serialize for Issues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = self
            .reports
            .iter()
            .map(|report| report.findings.len() + report.errors.len())
            .sum();
        let mut issues = serializer.serialize_seq(Some(count))?;
        for report in self.reports {
            let path = self.options.paths.display_path(&report.path);
            for finding in &report.findings {
                let region = Region::of(report, finding.span);
                issues.serialize_element(&Issue {
                    description: sentence(&safe_message(report, finding)),
                    check_name: format!("{} {}", finding.code, finding.name),
                    fingerprint: Cow::Borrowed(&finding.fingerprint),
                    severity: severity(finding.severity),
                    location: Location {
                        path: &path,
                        lines: Lines {
                            begin: region.line,
                            end: region.end_line,
                        },
                    },
                })?;
            }
            for error in &report.errors {
                let line = error
                    .span
                    .map_or(1, |span| report.position(span.start).line);
                let message = error_message(report, error);
                issues.serialize_element(&Issue {
                    fingerprint: Cow::Owned(format!(
                        "{:016x}",
                        crate::lint::stable_hash(&[&path, &message])
                    )),
                    description: sentence(&message),
                    check_name: "dockerleak/file-error".into(),
                    severity: "major",
                    location: Location {
                        path: &path,
                        lines: Lines {
                            begin: line,
                            end: line,
                        },
                    },
                })?;
            }
        }
        issues.end()
    }
}

/// Writes the JSON array (pretty-printed, with a final newline).
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *output, &Issues { reports, options })
        .map_err(io::Error::from)?;
    output.write_all(b"\n")
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "minor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_are_issues_with_stable_fingerprints() {
        let mut output = Vec::new();
        let reports = [FileReport::unreadable("x/Dockerfile", "permission denied")];
        write(&reports, &ReportOptions::default(), &mut output).expect("write to a Vec");
        let issues: serde_json::Value = serde_json::from_slice(&output).expect("JSON");
        assert_eq!(issues[0]["check_name"], "dockerleak/file-error");
        assert_eq!(issues[0]["location"]["path"], "x/Dockerfile");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 1);
        let mut again = Vec::new();
        write(&reports, &ReportOptions::default(), &mut again).expect("write to a Vec");
        assert_eq!(output, again);
    }
}
