//! Reporters: turn the sorted file reports of a run into text.
//!
//! One module per output format, each with a
//! `write(reports, options, output) -> io::Result<()>` function, and one
//! entry point, [`write_report`], that picks the module for a [`Format`].
//! Adding a format (sarif, gnu, github, gitlab, checkstyle) means: a module
//! here, a variant of [`Format`], and an arm in [`write_report`].
//!
//! Reporters only read [`FileReport`]s: they never look at the syntax tree
//! (the `parse` command's printer, [`ast`], is the one exception, being
//! what shows the tree). Reporters that show source text use
//! [`FileReport::redacted_text`], never the raw text, so no secret reaches
//! the output. Reports arrive sorted (path, then line, column, code); a
//! reporter keeps that order.

pub mod ast;
pub mod json;
pub mod pretty;

use crate::finding::{FileError, FileReport, Severity};
use std::io::{self, Write};

/// An output format of `dockerleak check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Human-readable diagnostics with the source line (miette).
    Pretty,
    /// Machine-readable JSON, a stable contract (docs/usage.md).
    Json,
}

/// How to render, independent of what is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// Use ANSI colours (formats that have them).
    pub color: bool,
    /// Line width for formats that wrap text.
    pub width: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            color: false,
            width: 100,
        }
    }
}

/// Writes `reports` in `format` to `output`.
pub fn write_report(
    format: Format,
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Pretty => pretty::write(reports, options, output),
        Format::Json => json::write(reports, options, output),
    }
}

/// Counts over a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every file the run tried to check, including those it could not read.
    pub files: usize,
    pub findings: usize,
    pub errors_found: usize,
    pub warnings_found: usize,
    pub notes_found: usize,
    /// File errors: problems reading or parsing a file.
    pub file_errors: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut summary = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        for report in reports {
            summary.file_errors += report.errors.len();
            for finding in &report.findings {
                summary.findings += 1;
                match finding.severity {
                    Severity::Error => summary.errors_found += 1,
                    Severity::Warning => summary.warnings_found += 1,
                    Severity::Note => summary.notes_found += 1,
                }
            }
        }
        summary
    }

    /// `2 files checked, 3 findings (1 error, 2 warnings, 0 notes), 1 file error`
    /// (the parenthesis only when there are findings).
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} checked, {}",
            plural(self.files, "file", "files"),
            plural(self.findings, "finding", "findings")
        );
        if self.findings > 0 {
            line.push_str(&format!(
                " ({}, {}, {})",
                plural(self.errors_found, "error", "errors"),
                plural(self.warnings_found, "warning", "warnings"),
                plural(self.notes_found, "note", "notes")
            ));
        }
        line.push_str(&format!(
            ", {}",
            plural(self.file_errors, "file error", "file errors")
        ));
        line
    }
}

fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// A file error as one line without the path: `line N: message` when the
/// problem has a place, else the message.
pub fn error_message(report: &FileReport, error: &FileError) -> String {
    match error.span {
        Some(span) => format!(
            "line {}: {}",
            report.position(span.start).line,
            error.message
        ),
        None => error.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_counts_and_pluralizes() {
        let summary = Summary {
            files: 1,
            ..Summary::default()
        };
        assert_eq!(summary.line(), "1 file checked, 0 findings, 0 file errors");
        let summary = Summary {
            files: 2,
            findings: 3,
            errors_found: 1,
            warnings_found: 2,
            notes_found: 0,
            file_errors: 1,
        };
        assert_eq!(
            summary.line(),
            "2 files checked, 3 findings (1 error, 2 warnings, 0 notes), 1 file error"
        );
    }
}
