//! `--fix`, `--unsafe-fixes`, `--diff` and `--fix-only`: the command
//! line's side of [`crate::fix`]. The library decides what changes; this
//! module reads and writes files (atomically, keeping their permissions,
//! never one with a parse error), prints diffs (secrets masked) and says
//! what was fixed and how the build command must change.

use super::{
    lint_names, lint_text, print_error, read_input, replace_atomically, FileIdentities, Input,
};
use crate::config::Config;
use crate::finding::FileReport;
use crate::fix::{self, AppliedFix, Edit, FixOutcome};
use crate::input;
use crate::redact::Redactor;
use crate::report::PathContext;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What a run does with fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    /// `--fix`: apply, then report what is left.
    Fix,
    /// `--fix-only`: apply, report nothing left.
    FixOnly,
    /// `--diff`: print what would change.
    Diff,
}

/// One file that fixes changed (or would change).
struct Changed {
    path: String,
    applied: Vec<AppliedFix>,
    /// The unified diff (masked), for `--diff`.
    diff: String,
}

/// The state of a fixing run across configuration groups.
pub struct Fixing {
    unsafe_fixes: bool,
    changed: Vec<Changed>,
    /// Fixed standard input, printed at the end.
    stdin_text: Option<String>,
    failed: bool,
    /// Other files that fixes wrote (a Dockerfile that a DLK011 fix
    /// rewrote with its definition), canonical: their reports, if made
    /// before, are of the old text.
    written: Vec<PathBuf>,
}

impl Fixing {
    pub fn new(unsafe_fixes: bool) -> Fixing {
        Fixing {
            unsafe_fixes,
            changed: Vec::new(),
            stdin_text: None,
            failed: false,
            written: Vec::new(),
        }
    }

    /// Whether standard output holds the fixed text of `-` (the reports
    /// then go to standard error).
    pub fn printed_stdin(&self) -> bool {
        self.stdin_text.is_some()
    }

    /// Lints `inputs` and fixes each file (`mode`), returning the reports
    /// of what is left (for `--diff`, of the files as they are).
    pub fn run(
        &mut self,
        mode: FixMode,
        inputs: &[Input],
        config: &Config,
        max_file_size: u64,
        paths: &PathContext,
    ) -> Vec<FileReport> {
        let identities = FileIdentities::new(paths);
        let mut reports = Vec::with_capacity(inputs.len());
        for input in inputs {
            let source = match read_input(input, max_file_size) {
                Ok(source) => source,
                Err(error) => {
                    reports.push(FileReport::unreadable(error.path, error.kind.to_string()));
                    continue;
                }
            };
            let stdin = matches!(input, Input::Stdin { .. });
            let report = lint_text(input, &source, config, &identities);
            let fixable = report.errors.is_empty()
                && report.findings.iter().any(|finding| {
                    finding
                        .fix
                        .as_ref()
                        .is_some_and(|fix| fix.applies(self.unsafe_fixes))
                });
            if !fixable {
                if stdin && mode != FixMode::Diff {
                    self.stdin_text = Some(source.text.clone());
                }
                reports.push(report);
                continue;
            }
            let (normal, identity) = lint_names(input, &identities);
            let outcome =
                fix::fix_source(&normal, &identity, &source.text, config, self.unsafe_fixes);
            if !outcome.changed() {
                if stdin && mode != FixMode::Diff {
                    self.stdin_text = Some(source.text.clone());
                }
                reports.push(report);
                continue;
            }
            let other_files = other_file_texts(&outcome);
            match mode {
                FixMode::Diff => {
                    let mut diff = masked_diff(
                        input.display(),
                        &source.text,
                        &outcome.text,
                        &report.redactor,
                        config,
                    );
                    // Another file (a `.dockerignore`, the Dockerfile side
                    // of a DLK011 fix) is masked with its own secrets, as
                    // its own diff would be, and with this file's (its new
                    // lines name this file's paths and names).
                    for (path, old, new) in &other_files {
                        let old = old.as_deref().unwrap_or("");
                        let own = crate::lint::detect_secrets(old, config);
                        let other = masked_diff(path, old, new, &own, config);
                        diff.push_str(&report.redactor.mask(&other));
                    }
                    self.changed.push(Changed {
                        path: input.display().to_string(),
                        applied: outcome.applied,
                        diff,
                    });
                    reports.push(report);
                }
                FixMode::Fix | FixMode::FixOnly => {
                    let written = match input {
                        Input::File { path, .. } => write_fixed(path, &outcome.text),
                        Input::Stdin { .. } => {
                            self.stdin_text = Some(outcome.text.clone());
                            Ok(())
                        }
                    };
                    if let Err(error) = written {
                        print_error(
                            input.display(),
                            &format!(
                                "cannot write the fixed file: {}",
                                input::describe_io_error(&error)
                            ),
                        );
                        self.failed = true;
                        reports.push(report);
                        continue;
                    }
                    for (path, _, new) in &other_files {
                        let written = write_fixed(Path::new(path), new);
                        if let Ok(canonical) = std::fs::canonicalize(path) {
                            self.written.push(canonical);
                        }
                        if let Err(error) = written {
                            print_error(
                                path,
                                &format!(
                                    "cannot write the fixed file: {}",
                                    input::describe_io_error(&error)
                                ),
                            );
                            self.failed = true;
                        }
                    }
                    let left =
                        lint_fixed(input.display(), &normal, &identity, &outcome.text, config);
                    self.changed.push(Changed {
                        path: input.display().to_string(),
                        applied: outcome.applied,
                        diff: String::new(),
                    });
                    reports.push(left);
                }
            }
        }
        reports
    }

    /// Lints again, from disk, the reports of files that a fix of another
    /// file rewrote after they were linted (the Dockerfile of a DLK011
    /// fix), each with the configuration it was linted with.
    pub fn refresh(
        &self,
        reports: &mut [FileReport],
        config_of: &dyn Fn(&str) -> Option<std::sync::Arc<Config>>,
        paths: &PathContext,
    ) {
        if self.written.is_empty() {
            return;
        }
        let identities = FileIdentities::new(paths);
        for report in reports.iter_mut() {
            let absolute = paths.absolute(&report.path);
            let Ok(canonical) = std::fs::canonicalize(&absolute) else {
                continue;
            };
            if !self.written.contains(&canonical) {
                continue;
            }
            let (Some(config), Ok(text)) =
                (config_of(&report.path), std::fs::read_to_string(&absolute))
            else {
                continue;
            };
            let normal = super::normal_path(&report.path);
            let identity = identities
                .of(&report.path)
                .unwrap_or_else(|| normal.clone());
            *report = lint_fixed(&report.path, &normal, &identity, &text, &config);
        }
    }

    /// Prints the diffs (`--diff`) or the fixed standard input, and says on
    /// standard error what was fixed and how to build now. False when a
    /// file could not be written.
    pub fn finish(&mut self, mode: FixMode, quiet: bool) -> bool {
        self.changed
            .sort_by(|a, b| super::compare_paths(&a.path, &b.path));
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        if mode == FixMode::Diff {
            for changed in &self.changed {
                let _ = stdout.write_all(changed.diff.as_bytes());
            }
        }
        if let Some(text) = &self.stdin_text {
            let _ = stdout.write_all(text.as_bytes());
        }
        let _ = stdout.flush();
        if !quiet {
            let stderr = io::stderr();
            let mut stderr = stderr.lock();
            let verb = if mode == FixMode::Diff {
                "would fix"
            } else {
                "fixed"
            };
            for changed in &self.changed {
                let count = changed.applied.len();
                let _ = writeln!(
                    stderr,
                    "dockerleak: {verb} {count} finding{} in {}:",
                    if count == 1 { "" } else { "s" },
                    changed.path
                );
                for applied in &changed.applied {
                    let _ = writeln!(stderr, "  {}: {}", applied.code, applied.message);
                }
                let mut notes: Vec<&str> = changed
                    .applied
                    .iter()
                    .filter_map(|applied| applied.build_note.as_deref())
                    .collect();
                notes.sort_unstable();
                notes.dedup();
                for note in merge_build_notes(&notes) {
                    let _ = writeln!(stderr, "  build with: {note}");
                }
            }
        }
        !self.failed
    }

    /// `--diff`: 1 when a fix would apply, 2 on a file error, else 0.
    pub fn diff_exit_code(&self, reports: &[FileReport]) -> i32 {
        if reports.iter().any(|report| !report.errors.is_empty()) {
            super::EXIT_ERROR
        } else if self.changed.is_empty() {
            super::EXIT_CLEAN
        } else {
            super::EXIT_FINDINGS
        }
    }
}

/// The report of a file's `text` as a fix left it (`shown` is its path in
/// the report, `normal` and `identity` as [`lint_names`] gives them): a
/// build definition is linted again as one, and the context scans of this
/// run, which saw the ignore files as they were, are done afresh.
fn lint_fixed(
    shown: &str,
    normal: &str,
    identity: &str,
    text: &str,
    config: &Config,
) -> FileReport {
    let fresh = Config {
        context_scans: None,
        ..config.clone()
    };
    let kind = crate::builddefs::lint::file_kind(shown, text, &fresh);
    let mut left = crate::builddefs::lint::lint_as_kind(normal, identity, text, kind, &fresh);
    left.path = shown.to_string();
    left.release_source_if_clean();
    left
}

/// Each other file the fixes edit: its path, its text now (`None`: it does
/// not exist) and its text fixed.
fn other_file_texts(outcome: &FixOutcome) -> Vec<(String, Option<String>, String)> {
    let mut paths: Vec<&str> = outcome
        .other_edits
        .iter()
        .filter_map(|edit| edit.file.as_ref().map(|file| file.path.as_str()))
        .collect();
    // Once each, in the order the fixes name them (two Dockerfiles of one
    // workflow may alternate).
    let mut seen = std::collections::HashSet::new();
    paths.retain(|path| seen.insert(*path));
    paths
        .into_iter()
        .map(|path| {
            let edits: Vec<&Edit> = outcome
                .other_edits
                .iter()
                .filter(|edit| edit.file.as_ref().is_some_and(|file| file.path == path))
                .collect();
            let old = std::fs::read_to_string(path).ok();
            let new = fix::apply_other_file(old.as_deref(), &edits);
            (path.to_string(), old, new)
        })
        .collect()
}

/// Replaces `path` with `text`, keeping the file's permissions (a new file
/// gets the usual 0o666 less the umask).
fn write_fixed(path: &Path, text: &str) -> io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    let permissions = match std::fs::metadata(&target) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                Some(std::fs::Permissions::from_mode(0o666))
            }
            #[cfg(not(unix))]
            None
        }
    };
    replace_atomically(&target, permissions, |output| {
        output.write_all(text.as_bytes())
    })
}

/// The unified diff of a Dockerfile's fix, every secret of the file (as
/// detected before and after) masked on both sides.
fn masked_diff(path: &str, old: &str, new: &str, redactor: &Redactor, config: &Config) -> String {
    let old_shown = redactor.redacted_source(old).text;
    let after = crate::lint::detect_secrets(new, config);
    let new_shown = after.redacted_source(new).text;
    let new_shown = redactor.mask(&new_shown).into_owned();
    plain_diff(path, &old_shown, &new_shown)
}

fn plain_diff(path: &str, old: &str, new: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path);
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// `docker build --secret A .` and `docker build --secret B .` as one
/// `docker build --secret A --secret B .`; other notes as they are.
fn merge_build_notes(notes: &[&str]) -> Vec<String> {
    let mut flags = Vec::new();
    let mut others = Vec::new();
    for note in notes {
        match note
            .strip_prefix("docker build ")
            .and_then(|rest| rest.strip_suffix(" ."))
        {
            Some(middle) => flags.push(middle),
            None => others.push(note.to_string()),
        }
    }
    let mut merged = Vec::new();
    if !flags.is_empty() {
        merged.push(format!("docker build {} .", flags.join(" ")));
    }
    merged.extend(others);
    merged
}
