//! Reporters: turn the sorted file reports of a run into text.
//!
//! One module per output format, each with a
//! `write(reports, options, output) -> io::Result<()>` function, and one
//! entry point, [`write_report`], that picks the module for a [`Format`].
//! Adding a format means: a module here, a variant of [`Format`], and an
//! arm in [`write_report`] (the CLI tests then run it through the
//! no-secret-in-any-format test by themselves: they ask clap for the list).
//!
//! Reporters only read [`FileReport`]s: they never look at the syntax tree
//! (the `parse` command's printer, [`ast`], is the one exception, being
//! what shows the tree). Nothing reaches the output without redaction
//! ([`crate::redact`]): reporters that show source text use
//! [`FileReport::redacted_text`], never the raw text, and every other text
//! (message, help, labels, stage, errors) goes through
//! [`FileReport::mask`] (directly or through [`safe_message`],
//! [`safe_help`], [`safe_label`], [`safe_stage`], [`error_message`]). A
//! new reporter does the same. Reports arrive sorted (path, then line, column, code); a
//! reporter keeps that order.

pub mod ast;
pub mod checkstyle;
pub mod github;
pub mod gitlab;
pub mod gnu;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod pretty;
pub mod sarif;
pub mod sonarqube;

use crate::finding::{FileError, FileReport, Finding, Severity};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// An output format of `dockerleak check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Human-readable diagnostics with the source line (miette).
    Pretty,
    /// Machine-readable JSON, a stable contract (docs/usage.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// `path:line:col: severity: message [CODE]`, for editors and compilation modes.
    Gnu,
    /// GitHub Actions workflow commands (`::error file=…::…`): annotations.
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// Checkstyle XML, for Jenkins and other CI servers.
    Checkstyle,
    /// JUnit XML, for CI test views (GitLab, Jenkins, GitHub test reporters).
    Junit,
    /// SonarQube generic issue import JSON (`sonar.externalIssuesReportPaths`).
    Sonarqube,
    /// A Markdown summary table, e.g. for `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

impl Format {
    /// The name on the command line (`pretty`, `sarif`, …).
    pub fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }

    /// Whether the format is meant to be read where it is printed (a
    /// terminal, a CI log), so that it shows file errors to the person who
    /// would otherwise read them on stderr.
    pub fn is_for_the_log(self) -> bool {
        matches!(self, Format::Pretty | Format::Gnu | Format::Github)
    }
}

/// One report a run writes: a format, and the file it goes to (`None`:
/// standard output, or `--output`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatRequest {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Parses `FORMAT` or `FORMAT=PATH` (the value of `--format`).
pub fn parse_format_request(value: &str) -> Result<FormatRequest, String> {
    use clap::ValueEnum;
    let (name, path) = match value.split_once('=') {
        Some((name, path)) => (name, Some(path)),
        None => (value, None),
    };
    let format = Format::from_str(name.trim(), true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .map(|format| format.name())
            .collect();
        format!(
            "unknown format `{name}` (possible formats: {}; `FORMAT=PATH` writes it to PATH)",
            names.join(", ")
        )
    })?;
    let path = match path {
        Some("") => return Err(format!("`{name}=` names no file: write `{name}=PATH`")),
        Some(path) => Some(PathBuf::from(path)),
        None => None,
    };
    Ok(FormatRequest { format, path })
}

/// How to render, independent of what is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// Use ANSI colours (formats that have them).
    pub color: bool,
    /// Line width for formats that wrap text.
    pub width: usize,
    /// Where report paths are, for formats that want them relative to the
    /// repository root (sarif, github, gitlab).
    pub paths: PathContext,
    /// Findings and errors only: no summary line (`--quiet`).
    pub quiet: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            color: false,
            width: 100,
            paths: PathContext::default(),
            quiet: false,
        }
    }
}

/// Where the paths of a run are: the directory they are relative to, and
/// the repository root that CI systems want paths relative to.
///
/// The default (both empty) treats relative paths as already relative to
/// the repository root, which keeps output independent of the machine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathContext {
    /// The directory relative report paths are relative to (the current
    /// directory of the run).
    pub working_directory: PathBuf,
    /// The nearest ancestor of the working directory that holds `.git` (a
    /// directory, or a file in a worktree or submodule); else the working
    /// directory itself.
    pub repository_root: PathBuf,
}

impl PathContext {
    /// The context of this process: its current directory and the
    /// repository around it, found by looking for `.git` upward (no `git`
    /// command needed).
    pub fn discover() -> io::Result<PathContext> {
        let working_directory = std::env::current_dir()?;
        Ok(PathContext::for_directory(working_directory))
    }

    /// The context of a run in `working_directory`.
    pub fn for_directory(working_directory: PathBuf) -> PathContext {
        let repository_root =
            repository_root_of(&working_directory).unwrap_or_else(|| working_directory.clone());
        PathContext {
            working_directory,
            repository_root,
        }
    }

    /// `path` (as reported) relative to the repository root, with `/`
    /// separators; `None` when it is outside the repository.
    pub fn repository_relative(&self, path: &str) -> Option<String> {
        let full = normalize_lexically(&self.working_directory.join(path));
        relative_to(&full, &normalize_lexically(&self.repository_root))
    }

    /// `path` relative to the repository root when it is inside it, else
    /// as reported: what CI annotations and code quality reports show.
    pub fn display_path<'a>(&self, path: &'a str) -> Cow<'a, str> {
        match self.repository_relative(path) {
            Some(relative) => Cow::Owned(relative),
            None => Cow::Borrowed(path),
        }
    }

    /// The absolute form of `path`, lexically normalized.
    pub fn absolute(&self, path: &str) -> PathBuf {
        self.absolute_path(Path::new(path))
    }

    /// The absolute form of `path`, lexically normalized.
    pub fn absolute_path(&self, path: &Path) -> PathBuf {
        normalize_lexically(&self.working_directory.join(path))
    }
}

pub use crate::config::normalize_lexically;

/// The nearest of `directory` and its ancestors that holds `.git` (a
/// directory, or a file in a worktree or submodule).
pub fn repository_root_of(directory: &Path) -> Option<PathBuf> {
    directory
        .ancestors()
        .find(|ancestor| ancestor.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `full` relative to `root` with `/` separators; `None` when it is not
/// strictly below `root` (both normalised lexically).
pub fn relative_to(full: &Path, root: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in full.strip_prefix(root).ok()?.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy()),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A finding's message, masked by the file's redactor
/// ([`FileReport::mask`]). The linter already masked it; reporters mask
/// again so that a finding built or changed after linting (a test, a
/// future fix) cannot leak through a report.
pub fn safe_message<'a>(report: &FileReport, finding: &'a Finding) -> Cow<'a, str> {
    report.mask(&finding.message)
}

/// A finding's help text, masked as [`safe_message`] does.
pub fn safe_help<'a>(report: &FileReport, finding: &'a Finding) -> Cow<'a, str> {
    report.mask(&finding.help)
}

/// A finding's fix as reporters show it: every text masked, each edit with
/// its place (in the linted file, or in the other file it names).
#[derive(Clone, Debug, Serialize)]
pub struct FixView<'a> {
    pub applicability: &'static str,
    pub message: Cow<'a, str>,
    pub edits: Vec<EditView<'a>>,
    pub build_note: Option<Cow<'a, str>>,
}

/// One edit of a [`FixView`]: byte offsets and 1-based positions of the
/// replaced range, and the new text.
#[derive(Clone, Debug, Serialize)]
pub struct EditView<'a> {
    /// The file the edit is in, when it is not the linted file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub content: Cow<'a, str>,
}

/// The [`FixView`] of `finding`, if it has a fix.
pub fn safe_fix<'a>(report: &FileReport, finding: &'a Finding) -> Option<FixView<'a>> {
    let fix = finding.fix.as_ref()?;
    Some(FixView {
        applicability: fix.applicability.as_str(),
        message: report.mask(&fix.message),
        edits: fix
            .edits
            .iter()
            .map(|edit| {
                let (line, column, end_line, end_column) = match &edit.file {
                    Some(file) => (file.line, file.column, file.end_line, file.end_column),
                    None => {
                        let place = Region::of(report, edit.span);
                        (place.line, place.column, place.end_line, place.end_column)
                    }
                };
                EditView {
                    path: edit.file.as_ref().map(|file| file.path.as_str()),
                    start: edit.span.start,
                    end: edit.span.end,
                    line,
                    column,
                    end_line,
                    end_column,
                    content: report.mask(&edit.content),
                }
            })
            .collect(),
        build_note: fix.build_note.as_deref().map(|note| report.mask(note)),
    })
}

/// A finding's primary label, masked as [`safe_message`] does.
pub fn safe_label<'a>(report: &FileReport, finding: &'a Finding) -> Cow<'a, str> {
    report.mask(&finding.label)
}

/// A finding's stage name, masked as [`safe_message`] does (a stage may be
/// named by a token; it is shown lower-cased, which the redactor masks too).
pub fn safe_stage<'a>(report: &FileReport, finding: &'a Finding) -> Option<Cow<'a, str>> {
    finding.stage.as_deref().map(|stage| report.mask(stage))
}

/// `text` as one sentence: with a final full stop unless it already ends
/// with punctuation.
pub fn sentence(text: &str) -> String {
    let trimmed = text.trim_end();
    match trimmed.chars().last() {
        None => String::new(),
        Some('.' | '!' | '?' | '…' | ':') => trimmed.to_string(),
        Some(_) => format!("{trimmed}."),
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
        Format::Sarif => sarif::write(reports, options, output),
        Format::Gnu => gnu::write(reports, options, output),
        Format::Github => github::write(reports, options, output),
        Format::Gitlab => gitlab::write(reports, options, output),
        Format::Checkstyle => checkstyle::write(reports, options, output),
        Format::Junit => junit::write(reports, options, output),
        Format::Sonarqube => sonarqube::write(reports, options, output),
        Format::Markdown => markdown::write(reports, options, output),
    }
}

/// `--statistics`: how many findings each rule has, most first, then the
/// summary line (unless quiet):
///
/// ```text
///     2  DLK001  secret-file-copied
///     1  DLK003  secret-in-arg
/// 2 files checked, 3 findings (3 errors, 0 warnings, 0 notes), 0 file errors
/// ```
pub fn write_statistics(
    reports: &[FileReport],
    options: &ReportOptions,
    output: &mut dyn Write,
) -> io::Result<()> {
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for finding in reports.iter().flat_map(|report| &report.findings) {
        *counts.entry((finding.code, finding.name)).or_default() += 1;
    }
    let mut rows: Vec<((&str, &str), usize)> = counts.into_iter().collect();
    rows.sort_by(|left, right| right.1.cmp(&left.1).then(left.0.cmp(&right.0)));
    let width = rows
        .iter()
        .map(|(_, count)| count.to_string().len())
        .max()
        .unwrap_or(1)
        .max(5);
    for ((code, name), count) in rows {
        writeln!(output, "{count:>width$}  {code}  {name}")?;
    }
    if !options.quiet {
        writeln!(output, "{}", Summary::of(reports).line())?;
    }
    Ok(())
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

/// Where a span starts and ends: 1-based lines and columns (columns count
/// Unicode scalar values), the end exclusive (the position just after the
/// span).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Region {
    pub fn of(report: &FileReport, span: crate::source::Span) -> Region {
        let start = report.position(span.start);
        let end = report.position(span.end.max(span.start));
        Region {
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

/// A file error as one line without the path: `line N: message` when the
/// problem has a place, else the message.
pub fn error_message(report: &FileReport, error: &FileError) -> String {
    let message = report.mask(&error.message);
    match error.span {
        Some(span) => format!("line {}: {message}", report.position(span.start).line),
        None => message.into_owned(),
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
