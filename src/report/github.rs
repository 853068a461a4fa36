//! `--format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the pull request's changed lines:
//!
//! ```text
//! ::error file=app/Dockerfile,line=3,col=6,endLine=3,endColumn=12,title=DLK001 secret-file-copied::COPY puts `.netrc` into the image.%0AMount it …
//! ```
//!
//! Severities map to commands: error → `::error`, warning → `::warning`,
//! note → `::notice`. A file error is an `::error` titled `dockerleak`.
//! Paths are relative to the repository root (the runner's checkout), the
//! way annotations must name files. Escaping follows the runner: in the
//! message `%`, `\r` and `\n` become `%25`, `%0D` and `%0A`; in property
//! values `:` and `,` also become `%3A` and `%2C`. The message is the
//! finding's title sentence, then its help on the next line.

use super::{error_message, safe_help, safe_message, sentence, Region, ReportOptions};
use crate::finding::{FileReport, Severity};
use std::io::{self, Write};

/// Writes one workflow command per finding and per file error.
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    for report in reports {
        let path = options.paths.display_path(&report.path);
        for finding in &report.findings {
            let region = Region::of(report, finding.span);
            let mut message = sentence(&safe_message(report, finding));
            let help = safe_help(report, finding);
            if !help.is_empty() {
                message.push('\n');
                message.push_str(&sentence(&help));
            }
            writeln!(
                output,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                command(finding.severity),
                escape_property(&path),
                region.line,
                region.column,
                region.end_line,
                region.end_column,
                escape_property(&format!("{} {}", finding.code, finding.name)),
                escape_data(&message)
            )?;
        }
        for error in &report.errors {
            let place = match error.span {
                Some(span) => {
                    let region = Region::of(report, span);
                    format!(",line={},col={}", region.line, region.column)
                }
                None => String::new(),
            };
            writeln!(
                output,
                "::error file={}{place},title=dockerleak::{}",
                escape_property(&path),
                escape_data(&error_message(report, error))
            )?;
        }
    }
    Ok(())
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Escapes a command's data (the message), as the runner expects.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (`file`, `title`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(escape_data("100%\r\nnext: a,b"), "100%25%0D%0Anext: a,b");
        assert_eq!(escape_property("C:\\a,b%\n"), "C%3A\\a%2Cb%25%0A");
    }
}
