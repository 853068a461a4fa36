//! What a lint run produces: findings (with spans, labels, help and a
//! stable fingerprint), per-file errors, and the per-file report that the
//! reporters turn into text.

use crate::source::{LineIndex, Position, Span};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "note" | "info" => Some(Severity::Note),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A secondary location of a finding ("deleted here", "declared here").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found by one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line naming what was found. Never contains a secret value.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The exact piece of source the finding is about.
    pub span: Span,
    /// What the primary label says at `span`.
    pub label: String,
    pub labels: Vec<Label>,
    /// The stage the instruction belongs to (its name, or its index).
    pub stage: Option<String>,
    /// Spans of secret values this finding saw: every reporter that shows
    /// source text masks them.
    pub secrets: Vec<Span>,
    /// Stable identity: rule code + path + the normalized instruction text
    /// (secrets masked) + an occurrence counter. Set by the linter.
    pub fingerprint: String,
}

/// A file that could not be read or parsed (fully).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub message: String,
    /// Where in the file, when the problem has a place.
    pub span: Option<Span>,
}

/// Everything the linter has to say about one file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// The path as the user gave it (or `--stdin-filename`).
    pub path: String,
    pub text: String,
    pub line_index: LineIndex,
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
}

impl FileReport {
    /// A report for a file that could not be read at all.
    pub fn unreadable(path: impl Into<String>, message: impl Into<String>) -> FileReport {
        FileReport {
            path: path.into(),
            errors: vec![FileError {
                message: message.into(),
                span: None,
            }],
            ..FileReport::default()
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        self.line_index.position(&self.text, offset)
    }

    /// Frees the source text and its line index when nothing will be
    /// shown from them (no finding, no file error). A run holds every
    /// report until the end, to print them in path order; most files are
    /// clean, so this keeps memory to the files that have something to say.
    pub fn release_source_if_clean(&mut self) {
        if self.findings.is_empty() && self.errors.is_empty() {
            self.text = String::new();
            self.line_index = LineIndex::default();
        }
    }

    /// Every secret span of every finding, sorted and merged.
    pub fn secret_spans(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = self
            .findings
            .iter()
            .flat_map(|finding| finding.secrets.iter().copied())
            .filter(|span| !span.is_empty())
            .collect();
        spans.sort();
        let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
        for span in spans {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => merged.push(span),
            }
        }
        merged
    }

    /// The source with every secret replaced by its redaction, and a map
    /// from original offsets to offsets in the redacted text (for reporters
    /// that show source lines).
    pub fn redacted_text(&self) -> RedactedText {
        RedactedText::new(&self.text, &self.secret_spans())
    }
}

/// Source text with secrets masked, plus offset translation.
#[derive(Clone, Debug)]
pub struct RedactedText {
    pub text: String,
    /// `(original start, original end, redacted start, redacted end)` per secret.
    replacements: Vec<(usize, usize, usize, usize)>,
}

impl RedactedText {
    fn new(original: &str, secrets: &[Span]) -> RedactedText {
        let mut text = String::with_capacity(original.len());
        let mut replacements = Vec::with_capacity(secrets.len());
        let mut copied = 0;
        for span in secrets {
            let (Some(before), Some(secret)) = (
                original.get(copied..span.start),
                original.get(span.start..span.end),
            ) else {
                continue;
            };
            text.push_str(before);
            let redacted_start = text.len();
            text.push_str(&crate::secrets::redact(secret));
            replacements.push((span.start, span.end, redacted_start, text.len()));
            copied = span.end;
        }
        text.push_str(original.get(copied..).unwrap_or(""));
        RedactedText { text, replacements }
    }

    /// Where original offset `offset` lands in the redacted text.
    pub fn map(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for &(start, end, redacted_start, redacted_end) in &self.replacements {
            if offset < start {
                break;
            }
            if offset < end {
                return redacted_start + (offset - start).min(redacted_end - redacted_start);
            }
            shift = redacted_end as isize - end as isize;
        }
        (offset as isize + shift).max(0) as usize
    }

    pub fn map_span(&self, span: Span) -> Span {
        Span::new(
            self.map(span.start),
            self.map(span.end).max(self.map(span.start)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_text_masks_secrets_and_maps_offsets() {
        let text = "ENV TOKEN=ghp_abcdefghijklmnop X=1";
        let start = text.find("ghp_").unwrap();
        let end = start + "ghp_abcdefghijklmnop".len();
        let redacted = RedactedText::new(text, &[Span::new(start, end)]);
        assert!(!redacted.text.contains("abcdefghijklmnop"));
        assert!(redacted.text.starts_with("ENV TOKEN="));
        let x = text.find("X=1").unwrap();
        assert_eq!(&redacted.text[redacted.map(x)..], "X=1");
        assert_eq!(redacted.map(4), 4);
    }

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
        assert_eq!(Severity::parse("WARNING"), Some(Severity::Warning));
    }
}
