//! Fixes: what a finding says to change, as data (an applicability, byte
//! edits, a note for the build command), and the one applier that serves
//! `--fix`, `--diff`, standard input and, later, the language server.
//!
//! The model is ruff's: a fix is `safe` (the image builds the same and the
//! leak is gone), `unsafe` (the build command changes too) or
//! `display-only` (shown, never applied). [`fix_source`] applies the fixes
//! a run allows in passes: within a pass, fixes are taken in source order
//! and one that overlaps a fix already taken waits for the next pass; a fix
//! whose result no longer parses is dropped; after each pass the file is
//! linted again, until nothing changes or [`MAX_PASSES`] is reached.
//!
//! The rewrites themselves live in [`rewrites`], one function per rule,
//! over the shared helpers of [`edits`]. A rule declares its fix through
//! [`crate::rules::Rule::fix`].

pub mod edits;
pub mod rewrites;

use crate::config::Config;
use crate::finding::{FileReport, Text};
use crate::redact::Redactor;
use crate::source::{LineIndex, Span};
use serde::Serialize;
use std::fmt;

/// The most passes [`fix_source`] makes over one file.
pub const MAX_PASSES: usize = 10;

/// Whether a fix may be applied, and with which flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown, never applied: a person must act (rotate a credential).
    DisplayOnly,
    /// Applied with `--unsafe-fixes`: the build command changes too.
    Unsafe,
    /// Applied with `--fix`: the image builds the same, the leak is gone.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

impl fmt::Display for Applicability {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One replacement of a byte range. `file` is `None` for the linted file
/// itself; `Some(path)` names another file (a `.dockerignore`), whose
/// range is taken in that file's text as read when the fix was built
/// (`0..0` when the file does not exist yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub span: Span,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<OtherFile>,
}

/// Where an edit of another file goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherFile {
    /// The path as the linter found it (relative when the Dockerfile's is).
    pub path: String,
    /// 1-based line and column of the edit's start and end in that file.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl OtherFile {
    /// Where `span` of `text` (another file's, shown as `path`; `lines`
    /// its line index) is.
    pub fn new(path: impl Into<String>, text: &str, lines: &LineIndex, span: Span) -> OtherFile {
        let start = lines.position(text, span.start);
        let end = lines.position(text, span.end);
        OtherFile {
            path: path.into(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

impl Edit {
    pub fn replace(span: Span, content: impl Into<String>) -> Edit {
        Edit {
            span,
            content: content.into(),
            file: None,
        }
    }

    pub fn insert(at: usize, content: impl Into<String>) -> Edit {
        Edit::replace(Span::empty(at), content)
    }

    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

/// What a finding says to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// One line: what the fix does. Never holds a secret value.
    pub message: Text,
    pub applicability: Applicability,
    /// Sorted by start, non-overlapping. Empty for most display-only fixes.
    pub edits: Vec<Edit>,
    /// How the build command must change (`docker build --secret
    /// id=NPM_TOKEN,env=NPM_TOKEN`).
    pub build_note: Option<Text>,
}

impl Fix {
    pub fn new(applicability: Applicability, message: impl Into<Text>, edits: Vec<Edit>) -> Fix {
        let mut fix = Fix {
            message: message.into(),
            applicability,
            edits,
            build_note: None,
        };
        fix.edits
            .sort_by_key(|edit| (edit.file.is_some(), edit.span));
        fix.edits.dedup();
        fix
    }

    pub fn display_only(message: impl Into<Text>) -> Fix {
        Fix::new(Applicability::DisplayOnly, message, Vec::new())
    }

    pub fn with_build_note(mut self, note: impl Into<Text>) -> Fix {
        self.build_note = Some(note.into());
        self
    }

    /// Edits of the linted file itself.
    pub fn own_edits(&self) -> impl Iterator<Item = &Edit> {
        self.edits.iter().filter(|edit| edit.file.is_none())
    }

    /// Whether a run that allows `unsafe_fixes` applies it.
    pub fn applies(&self, unsafe_fixes: bool) -> bool {
        !self.edits.is_empty()
            && match self.applicability {
                Applicability::Safe => true,
                Applicability::Unsafe => unsafe_fixes,
                Applicability::DisplayOnly => false,
            }
    }

    /// Whether the edits move a secret of the file to a new place (an
    /// inserted text that holds a secret value). Such a fix is never
    /// offered: [`crate::lint`] drops it.
    pub fn would_copy_a_secret(&self, source: &str, redactor: &Redactor) -> bool {
        self.edits.iter().any(|edit| {
            !edit.content.is_empty()
                && (redactor.mask(&edit.content) != edit.content
                    || redactor.ranges().iter().any(|range| {
                        let value = range.slice(source).trim();
                        !value.is_empty() && edit.content.contains(value)
                    }))
        })
    }
}

/// `text` with `edits` (of this file, sorted, non-overlapping) applied.
pub fn apply_edits<'a>(text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> String {
    let mut output = String::with_capacity(text.len());
    let mut position = 0;
    for edit in edits {
        let start = edit.span.start.clamp(position, text.len());
        let end = edit.span.end.clamp(start, text.len());
        output.push_str(&text[position..start]);
        output.push_str(&edit.content);
        position = end;
    }
    output.push_str(&text[position..]);
    output
}

/// Whether two edits of one file touch: overlapping ranges, or two
/// insertions at one place (their order would be a guess).
fn overlaps(left: &Edit, right: &Edit) -> bool {
    if left.file.as_ref().map(|file| &file.path) != right.file.as_ref().map(|file| &file.path) {
        return false;
    }
    let (a, b) = (left.span, right.span);
    if left.file.is_some() {
        // Lines added to another file are merged (see `apply_other_file`).
        return a.start < b.end && b.start < a.end;
    }
    a.start < b.end && b.start < a.end
        || (a.is_empty() || b.is_empty()) && a.start <= b.end && b.start <= a.end
}

/// The new text of another file: `existing` (`None` when it does not exist)
/// with `edits` (all of that file) applied; a line that an insertion at
/// the end adds (a `.dockerignore` pattern) and the file (or an earlier
/// insertion) already has is not added again. Edits elsewhere (the
/// Dockerfile side of a DLK011 fix) apply as they are.
pub fn apply_other_file(existing: Option<&str>, edits: &[&Edit]) -> String {
    let existing = existing.unwrap_or("");
    let mut seen: Vec<String> = existing
        .lines()
        .map(|line| line.trim().to_string())
        .collect();
    let mut kept: Vec<Edit> = Vec::new();
    for edit in edits {
        if !(edit.span.is_empty() && edit.span.start >= existing.len()) {
            kept.push((*edit).clone());
            continue;
        }
        let mut content = String::new();
        for line in edit.content.split_inclusive('\n') {
            let bare = line.trim();
            if !bare.is_empty() && seen.iter().any(|seen| seen == bare) {
                continue;
            }
            seen.push(bare.to_string());
            content.push_str(line);
        }
        kept.push(Edit {
            content,
            ..(*edit).clone()
        });
    }
    kept.sort_by_key(|edit| edit.span.start);
    apply_edits(existing, &kept)
}

/// A fix that [`fix_source`] applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedFix {
    pub code: &'static str,
    pub message: String,
    pub build_note: Option<String>,
}

/// What [`fix_source`] did to one file.
#[derive(Clone, Debug, Default)]
pub struct FixOutcome {
    /// The fixed text (the input when nothing applied).
    pub text: String,
    pub applied: Vec<AppliedFix>,
    /// Edits of other files (`.dockerignore`), in order, each file at most
    /// once per run: the caller applies them to the file as it is on disk.
    pub other_edits: Vec<Edit>,
    pub passes: usize,
    /// For each pass, the edits of this file it applied: sorted by start,
    /// ranges on that pass's input (the previous pass's output). Applying
    /// them in turn to the input gives `text`, and nothing else changes.
    pub pass_edits: Vec<Vec<Edit>>,
    /// Fixes left out because their result did not parse.
    pub dropped: usize,
}

impl FixOutcome {
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// Applies to `text` the fixes that `unsafe_fixes` allows, in passes (see
/// the module docs). A file with a syntax error is never changed. `path`
/// and `identity` are as for [`crate::lint::lint_source_as`].
pub fn fix_source(
    path: &str,
    identity: &str,
    text: &str,
    config: &Config,
    unsafe_fixes: bool,
) -> FixOutcome {
    let mut outcome = FixOutcome {
        text: text.to_string(),
        ..FixOutcome::default()
    };
    let mut edited_files: Vec<String> = Vec::new();
    // A build definition is fixed as one (DLK011's fixes), a Dockerfile as
    // a Dockerfile.
    let kind = crate::builddefs::lint::file_kind(path, text, config);
    for _ in 0..MAX_PASSES {
        let report =
            crate::builddefs::lint::lint_as_kind(path, identity, &outcome.text, kind, config);
        if !report.errors.is_empty() {
            break;
        }
        let pass = plan_pass(&report, unsafe_fixes, &edited_files, kind);
        outcome.dropped += pass.dropped;
        if pass.fixes.is_empty() {
            break;
        }
        outcome.passes += 1;
        let mut edits: Vec<&Edit> = Vec::new();
        for (code, fix) in &pass.fixes {
            for edit in &fix.edits {
                match edit.file {
                    None => edits.push(edit),
                    Some(_) if outcome.other_edits.contains(edit) => {}
                    Some(_) => outcome.other_edits.push(edit.clone()),
                }
            }
            outcome.applied.push(AppliedFix {
                code,
                message: fix.message.to_string(),
                build_note: fix.build_note.as_ref().map(Text::to_string),
            });
        }
        for edit in &outcome.other_edits {
            if let Some(file) = &edit.file {
                if !edited_files.contains(&file.path) {
                    edited_files.push(file.path.clone());
                }
            }
        }
        edits.sort_by_key(|edit| edit.span);
        let fixed = apply_edits(&outcome.text, edits.iter().copied());
        outcome
            .pass_edits
            .push(edits.into_iter().cloned().collect());
        if fixed == outcome.text {
            break;
        }
        outcome.text = fixed;
    }
    outcome
}

struct Pass {
    fixes: Vec<(&'static str, crate::fix::Fix)>,
    dropped: usize,
}

/// The fixes of one pass: applicable, in source order, none overlapping
/// another, each parsing once applied alone.
fn plan_pass(
    report: &FileReport,
    unsafe_fixes: bool,
    edited_files: &[String],
    kind: crate::builddefs::kind::FileKind,
) -> Pass {
    let mut candidates: Vec<(&'static str, &Fix)> = report
        .findings
        .iter()
        .filter_map(|finding| Some((finding.code, finding.fix.as_deref()?)))
        .filter(|(_, fix)| fix.applies(unsafe_fixes))
        // Another file is edited once per run: the linter reads it from
        // disk, so a second pass would add the same lines again.
        .filter(|(_, fix)| {
            fix.edits.iter().all(|edit| {
                edit.file
                    .as_ref()
                    .is_none_or(|file| !edited_files.contains(&file.path))
            })
        })
        .collect();
    candidates.sort_by_key(|(code, fix)| (fix.edits.first().map(|edit| edit.span), *code));
    let errors_before = crate::builddefs::lint::syntax_errors(&report.text, kind);
    let mut taken: Vec<(&'static str, Fix)> = Vec::new();
    let mut dropped = 0;
    for (code, fix) in candidates {
        let clashes = taken.iter().any(|(_, other)| {
            fix.edits
                .iter()
                .any(|edit| other.edits.iter().any(|other| overlaps(edit, other)))
        });
        if clashes || taken.iter().any(|(_, other)| other == fix) {
            continue;
        }
        let alone = apply_edits(&report.text, fix.own_edits());
        if crate::builddefs::lint::syntax_errors(&alone, kind) > errors_before {
            dropped += 1;
            continue;
        }
        taken.push((code, fix.clone()));
    }
    Pass {
        fixes: taken,
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_keep_other_bytes() {
        let text = "ab\r\ncd\r\n";
        let edits = [Edit::insert(0, "X"), Edit::delete(Span::new(4, 8))];
        assert_eq!(apply_edits(text, &edits), "Xab\r\n");
    }

    #[test]
    fn insertions_at_one_place_overlap() {
        assert!(overlaps(&Edit::insert(3, "a"), &Edit::insert(3, "b")));
        assert!(overlaps(
            &Edit::insert(3, "a"),
            &Edit::delete(Span::new(1, 3))
        ));
        assert!(!overlaps(
            &Edit::delete(Span::new(0, 2)),
            &Edit::delete(Span::new(2, 4))
        ));
    }

    #[test]
    fn display_only_and_unsafe_fixes_need_their_flag() {
        let edit = vec![Edit::insert(0, "x")];
        assert!(Fix::new(Applicability::Safe, "", edit.clone()).applies(false));
        assert!(!Fix::new(Applicability::Unsafe, "", edit.clone()).applies(false));
        assert!(Fix::new(Applicability::Unsafe, "", edit.clone()).applies(true));
        assert!(!Fix::new(Applicability::DisplayOnly, "", edit).applies(true));
    }
}
