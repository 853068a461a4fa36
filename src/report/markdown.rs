//! `--format markdown`: a summary for people, as GitHub renders it (a
//! job's `$GITHUB_STEP_SUMMARY`, a pull request comment):
//!
//! ```markdown
//! ### dockerleak: 3 findings
//!
//! 2 files checked, 3 findings (1 error, 2 warnings, 0 notes), 0 file errors
//!
//! | Severity | Findings |
//! |---|---:|
//! | error | 1 |
//!
//! | Rule | Findings |
//! |---|---:|
//! | DLK001 secret-file-copied | 1 |
//!
//! | Severity | Rule | Location | Message |
//! |---|---|---|---|
//! | error | DLK001 secret-file-copied | `app/Dockerfile:3:6` | COPY puts … |
//! ```
//!
//! Counts by severity and by rule, then one row per finding (masked
//! message, then the fix), then the file errors. Paths are relative to the
//! repository root. Cell text is escaped: `|` and line breaks cannot break
//! the table, and `<`, `>` and `&` are entities, so no message becomes HTML.

use super::{error_message, safe_help, safe_message, sentence, Region, ReportOptions, Summary};
use crate::finding::{FileReport, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Writes the Markdown document.
pub fn write(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let summary = Summary::of(reports);
    let headline = match (summary.findings, summary.file_errors) {
        (0, 0) => "no leaks found".to_string(),
        (findings, 0) => plural(findings, "finding"),
        (0, errors) => plural(errors, "file error"),
        (findings, errors) => format!(
            "{}, {}",
            plural(findings, "finding"),
            plural(errors, "file error")
        ),
    };
    writeln!(output, "### dockerleak: {headline}\n")?;
    writeln!(output, "{}\n", summary.line())?;
    if summary.findings > 0 {
        writeln!(output, "| Severity | Findings |\n|---|---:|")?;
        for (severity, count) in [
            (Severity::Error, summary.errors_found),
            (Severity::Warning, summary.warnings_found),
            (Severity::Note, summary.notes_found),
        ] {
            if count > 0 {
                writeln!(output, "| {severity} | {count} |")?;
            }
        }
        let mut by_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for finding in reports.iter().flat_map(|report| &report.findings) {
            *by_rule.entry((finding.code, finding.name)).or_default() += 1;
        }
        writeln!(output, "\n| Rule | Findings |\n|---|---:|")?;
        for ((code, name), count) in by_rule {
            writeln!(output, "| {code} {name} | {count} |")?;
        }
        writeln!(
            output,
            "\n| Severity | Rule | Location | Message |\n|---|---|---|---|"
        )?;
        for report in reports {
            let path = options.paths.display_path(&report.path);
            for finding in &report.findings {
                let region = Region::of(report, finding.span);
                let mut message = sentence(&safe_message(report, finding));
                let help = safe_help(report, finding);
                if !help.is_empty() {
                    message.push(' ');
                    message.push_str(&sentence(&help));
                }
                writeln!(
                    output,
                    "| {} | {} {} | {} | {} |",
                    finding.severity,
                    finding.code,
                    finding.name,
                    code_span(&format!("{path}:{}:{}", region.line, region.column)),
                    escape_cell(&message)
                )?;
            }
        }
    }
    if summary.file_errors > 0 {
        writeln!(output, "\n| File | Error |\n|---|---|")?;
        for report in reports {
            let path = options.paths.display_path(&report.path);
            for error in &report.errors {
                writeln!(
                    output,
                    "| {} | {} |",
                    code_span(&path),
                    escape_cell(&error_message(report, error))
                )?;
            }
        }
    }
    Ok(())
}

fn plural(count: usize, singular: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {singular}s")
    }
}

/// Escapes text for a table cell: no line break, no unescaped `|`, no
/// HTML. Inside `code spans` `<`, `>` and `&` stay as they are (a code
/// span shows entities literally, and cannot hold HTML anyway).
fn escape_cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut in_code = false;
    for character in text.chars() {
        match character {
            '`' => {
                in_code = !in_code;
                escaped.push('`');
            }
            '|' => escaped.push_str("\\|"),
            '<' if !in_code => escaped.push_str("&lt;"),
            '>' if !in_code => escaped.push_str("&gt;"),
            '&' if !in_code => escaped.push_str("&amp;"),
            '\r' => {}
            '\n' => escaped.push_str("<br>"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `text` as inline code in a table cell (a path with `|` or a backtick
/// falls back to escaped plain text).
fn code_span(text: &str) -> String {
    if text.contains(['`', '|', '\n', '\r']) {
        escape_cell(text)
    } else {
        format!("`{text}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_become_html() {
        assert_eq!(escape_cell("a|b\n<c>&"), "a\\|b<br>&lt;c&gt;&amp;");
        assert_eq!(escape_cell("run `a <b> && c|d`"), "run `a <b> && c\\|d`");
        assert_eq!(code_span("a/Dockerfile:1:2"), "`a/Dockerfile:1:2`");
        assert_eq!(code_span("a|`b"), "a\\|`b");
    }
}
