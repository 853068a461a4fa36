//! `--format junit`: JUnit XML, for the test views of CI servers (GitLab's
//! `artifacts:reports:junit`, Jenkins' JUnit plugin, GitHub test-report
//! actions such as dorny/test-reporter and mikepenz/action-junit-report):
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <testsuites name="dockerleak" tests="2" failures="1" errors="0">
//!   <testsuite name="app/Dockerfile" tests="1" failures="1" errors="0">
//!     <testcase name="DLK001 secret-file-copied at 3:6" classname="app/Dockerfile" file="app/Dockerfile" line="3">
//!       <failure message="COPY puts `.netrc` into the image" type="DLK001">error[DLK001 secret-file-copied] app/Dockerfile:3:6 …</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//!
//! One `<testsuite>` per checked file (named by its path relative to the
//! repository root, as the test views link files). A finding is a
//! `<testcase>` with a `<failure>` (its type the rule code); a file error
//! is a `<testcase>` named `file error` with an `<error>`; a clean file has
//! one passing `<testcase>` named `no leaks`, so the view shows it as
//! checked. These elements and attributes are the common subset that the
//! readers above accept. Messages are masked like every other format's.

use super::checkstyle::escape;
use super::{error_message, safe_help, safe_message, sentence, Region, ReportOptions};
use crate::finding::FileReport;
use std::io::{self, Write};

/// Writes the XML document (with a final newline).
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let cases = |report: &FileReport| (report.findings.len() + report.errors.len()).max(1);
    let tests: usize = reports.iter().map(cases).sum();
    let failures: usize = reports.iter().map(|report| report.findings.len()).sum();
    let errors: usize = reports.iter().map(|report| report.errors.len()).sum();
    writeln!(output, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        output,
        r#"<testsuites name="dockerleak" tests="{tests}" failures="{failures}" errors="{errors}">"#
    )?;
    for report in reports {
        let path = escape(&options.paths.display_path(&report.path));
        writeln!(
            output,
            r#"  <testsuite name="{path}" tests="{}" failures="{}" errors="{}">"#,
            cases(report),
            report.findings.len(),
            report.errors.len()
        )?;
        if report.findings.is_empty() && report.errors.is_empty() {
            writeln!(
                output,
                r#"    <testcase name="no leaks" classname="{path}" file="{path}"/>"#
            )?;
        }
        for finding in &report.findings {
            let region = Region::of(report, finding.span);
            let message = sentence(&safe_message(report, finding));
            let mut body = format!(
                "{}[{} {}] {}:{}:{}\n{message}",
                finding.severity,
                finding.code,
                finding.name,
                options.paths.display_path(&report.path),
                region.line,
                region.column
            );
            let help = safe_help(report, finding);
            if !help.is_empty() {
                body.push_str(&format!("\nhelp: {}", sentence(&help)));
            }
            writeln!(
                output,
                r#"    <testcase name="{} {} at {}:{}" classname="{path}" file="{path}" line="{}">"#,
                finding.code, finding.name, region.line, region.column, region.line
            )?;
            writeln!(
                output,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&message),
                finding.code,
                escape_text(&body)
            )?;
            writeln!(output, "    </testcase>")?;
        }
        for error in &report.errors {
            let line = error
                .span
                .map(|span| format!(r#" line="{}""#, report.position(span.start).line))
                .unwrap_or_default();
            let message = escape(&error_message(report, error));
            writeln!(
                output,
                r#"    <testcase name="file error" classname="{path}" file="{path}"{line}>"#
            )?;
            writeln!(
                output,
                r#"      <error message="{message}" type="file-error">{message}</error>"#
            )?;
            writeln!(output, "    </testcase>")?;
        }
        writeln!(output, "  </testsuite>")?;
    }
    writeln!(output, "</testsuites>")
}

/// Escapes element text: as for attributes, but line breaks stay line
/// breaks (element text keeps them).
fn escape_text(text: &str) -> String {
    escape(text).replace("&#10;", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_files_pass_and_errors_are_errors() {
        let mut output = Vec::new();
        let clean = FileReport {
            path: "a&b/Dockerfile".into(),
            ..FileReport::default()
        };
        write(
            &[clean, FileReport::unreadable("x/Dockerfile", "bad <input>")],
            &ReportOptions::default(),
            &mut output,
        )
        .expect("write to a Vec");
        let text = String::from_utf8(output).expect("UTF-8");
        assert!(
            text.contains(r#"<testsuites name="dockerleak" tests="2" failures="0" errors="1">"#),
            "{text}"
        );
        assert!(
            text.contains(r#"<testcase name="no leaks" classname="a&amp;b/Dockerfile""#),
            "{text}"
        );
        assert!(
            text.contains(r#"<error message="bad &lt;input&gt;" type="file-error">"#),
            "{text}"
        );
        assert!(text.ends_with("</testsuites>\n"));
    }
}
