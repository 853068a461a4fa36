//! `--format checkstyle`: Checkstyle XML, which Jenkins (warnings-ng),
//! reviewdog, SonarQube and many CI servers read:
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <checkstyle version="4.3">
//!   <file name="app/Dockerfile">
//!     <error line="3" column="6" severity="error" message="COPY puts `.netrc` into the image" source="dockerleak.DLK001.secret-file-copied"/>
//!   </file>
//! </checkstyle>
//! ```
//!
//! Every checked file has a `<file>` element (an empty one when it is
//! clean). Severities: error → `error`, warning → `warning`, note →
//! `info`. A file error is an `error` with source `dockerleak.file-error`.
//! Paths are shown as given. Text is escaped for XML attributes; characters
//! XML 1.0 cannot hold become U+FFFD.

use super::{error_message, safe_message, ReportOptions};
use crate::finding::{FileReport, Severity};
use std::io::{self, Write};

/// Writes the XML document (with a final newline).
pub fn write(
    reports: &[FileReport],
    _options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    writeln!(output, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(output, r#"<checkstyle version="4.3">"#)?;
    for report in reports {
        if report.findings.is_empty() && report.errors.is_empty() {
            writeln!(output, r#"  <file name="{}"/>"#, escape(&report.path))?;
            continue;
        }
        writeln!(output, r#"  <file name="{}">"#, escape(&report.path))?;
        for finding in &report.findings {
            let start = report.position(finding.span.start);
            writeln!(
                output,
                r#"    <error line="{}" column="{}" severity="{}" message="{}" source="dockerleak.{}.{}"/>"#,
                start.line,
                start.column,
                severity(finding.severity),
                escape(&safe_message(report, finding)),
                finding.code,
                finding.name
            )?;
        }
        for error in &report.errors {
            let (line, column) = error.span.map_or((1, 1), |span| {
                let start = report.position(span.start);
                (start.line, start.column)
            });
            writeln!(
                output,
                r#"    <error line="{line}" column="{column}" severity="error" message="{}" source="dockerleak.file-error"/>"#,
                escape(&error_message(report, error))
            )?;
        }
        writeln!(output, "  </file>")?;
    }
    writeln!(output, "</checkstyle>")
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "info",
    }
}

/// Escapes text for a double-quoted XML attribute. Tabs and line breaks are
/// written as character references so that attribute normalization keeps
/// them; characters XML 1.0 forbids become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' => escaped.push_str("&#9;"),
            '\n' => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\u{fffd}"
        );
    }

    #[test]
    fn clean_files_are_listed_and_errors_reported() {
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
            text.contains(r#"<file name="a&amp;b/Dockerfile"/>"#),
            "{text}"
        );
        assert!(
            text.contains(r#"message="bad &lt;input&gt;" source="dockerleak.file-error""#),
            "{text}"
        );
        assert!(text.ends_with("</checkstyle>\n"));
    }
}
