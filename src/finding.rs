//! What a lint run produces: findings (with spans, labels, help and a
//! stable fingerprint), per-file errors, and the per-file report that the
//! reporters turn into text.

pub use crate::redact::RedactedText;
use crate::redact::Redactor;
use crate::source::{LineIndex, Position, Span};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

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

/// A text a finding shows (its message, help, labels, stage, a fix's
/// message): shared, not copied. A file with a hundred thousand findings
/// of one rule says the same few sentences a hundred thousand times;
/// [`Texts`] hands every finding of a file the same allocation for the
/// same text. Reads as a `&str` (it derefs to one), serializes as a string.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address of the shared allocation: equal for clones of one
    /// text (a cheap key for work done once per shared text).
    pub fn address(&self) -> usize {
        Arc::as_ptr(&self.0) as *const u8 as usize
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, formatter)
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(Arc::from(text))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(Arc::from(text))
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text(Arc::from(text.as_str()))
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(text: Cow<'_, str>) -> Text {
        Text(Arc::from(text))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == &*other.0
    }
}

/// The texts of one lint run's findings, each kept once: [`Texts::text`]
/// returns the same [`Text`] (one allocation) for equal strings. Not
/// shared between threads; a run lints each file with one of its own.
#[derive(Debug, Default)]
pub struct Texts {
    known: RefCell<HashSet<Text>>,
}

impl Texts {
    /// The shared [`Text`] equal to `text`.
    pub fn text(&self, text: impl AsRef<str> + Into<Text>) -> Text {
        let mut known = self.known.borrow_mut();
        if let Some(shared) = known.get(text.as_ref()) {
            return shared.clone();
        }
        let shared: Text = text.into();
        known.insert(shared.clone());
        shared
    }

    /// `text` replaced by its shared copy.
    pub fn share(&self, text: &mut Text) {
        let mut known = self.known.borrow_mut();
        match known.get(text.as_str()) {
            Some(shared) => *text = shared.clone(),
            None => {
                known.insert(text.clone());
            }
        }
    }
}

/// A secondary location of a finding ("deleted here", "declared here").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// In the finding's file, unless `file` says another one.
    pub span: Span,
    pub message: Text,
    /// Another file the label is in (the Dockerfile `ARG` a build
    /// definition's build arg feeds), with the label's place in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<crate::fix::OtherFile>,
}

/// One problem found by one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line naming what was found. Never contains a secret value.
    pub message: Text,
    /// How to fix it.
    pub help: Text,
    /// The exact piece of source the finding is about.
    pub span: Span,
    /// What the primary label says at `span`.
    pub label: Text,
    pub labels: Vec<Label>,
    /// The stage the instruction belongs to (its name, or its index).
    pub stage: Option<Text>,
    /// Spans of secret values this finding saw. Detection collects them
    /// from every rule into the file's [`Redactor`], which masks them (and
    /// every other occurrence of their values) in all output.
    pub secrets: Vec<Span>,
    /// Stable identity: rule code + path + the normalized instruction text
    /// (secrets masked) + an occurrence counter. Set by the linter.
    pub fingerprint: String,
    /// What to change to fix it, when the rule knows ([`crate::fix`]).
    /// (Boxed: most findings have none, and a file may have 100,000s.)
    pub fix: Option<Box<crate::fix::Fix>>,
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
    /// The file's secrets, found whatever the configuration: everything
    /// printed about the file goes through it ([`FileReport::mask`],
    /// [`FileReport::redacted_text`]).
    pub redactor: Redactor,
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
            self.redactor = Redactor::none();
        }
    }

    /// The source ranges that hold a secret (sorted, merged): every span
    /// detection found, and every other occurrence of a secret value.
    pub fn secret_spans(&self) -> Vec<Span> {
        self.redactor.ranges().to_vec()
    }

    /// The source with every secret masked, and a map from original
    /// offsets to offsets in the redacted text (for reporters that show
    /// source lines). See [`crate::redact`].
    pub fn redacted_text(&self) -> RedactedText {
        self.redactor.redacted_source(&self.text)
    }

    /// `text` with every secret value of this file masked: what every
    /// reporter (and anything else that prints) passes a message, help,
    /// label, stage name or error through. See [`crate::redact`].
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redactor.mask(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
        assert_eq!(Severity::parse("WARNING"), Some(Severity::Warning));
    }
}
