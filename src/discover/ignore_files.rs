//! The ignore files a walk honours (`.ignore`, `.gitignore`, git's
//! `info/exclude`, in this directory and every directory above it, and the
//! global git excludes file), read safely.
//!
//! The `ignore` crate reads these files itself with a plain open and an
//! unbounded read: a `.gitignore` that is a FIFO hangs the walk and one
//! that links to `/dev/zero` exhausts memory. So its own ignore-file
//! reading is switched off and the walk's entry filter asks [`IgnoreFiles`]
//! instead, which reads each file through [`crate::input::read_regular_file`]
//! (a regular file under [`crate::input::MAX_SIDE_FILE_SIZE`]) and compiles
//! its lines with the crate's `GitignoreBuilder`, so patterns mean what
//! they meant before. A file that is not a regular file or is too large is
//! an error naming it; the walk goes on without it. Precedence is the
//! crate's: a match in `.ignore` (nearest directory first) wins over one in
//! `.gitignore`, then `info/exclude`, then the global file.
//!
//! The global excludes file lives in the user's home, not in the tree being
//! checked, and is still read by the crate.

use crate::input::{self, InputErrorKind};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The per-directory ignore file names, in order of precedence.
const DIRECTORY_FILES: [&str; 2] = [".ignore", ".gitignore"];

/// The compiled ignore files of one directory.
#[derive(Default)]
struct DirectoryRules {
    /// `.ignore`, `.gitignore`, `info/exclude`; empty matchers for files
    /// that do not exist.
    matchers: [Option<Gitignore>; 3],
}

/// A problem with one ignore file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file cannot be used at all (a FIFO, a device, over the cap): an
    /// error for its path.
    Unusable { path: PathBuf, message: String },
    /// An unreadable file or a bad pattern: a warning.
    Warning(String),
}

/// The ignore files of one walk, read the first time a directory's entries
/// are filtered.
pub struct IgnoreFiles {
    /// The walk's root as given, and its canonical form (for the
    /// directories above it).
    root: PathBuf,
    canonical_root: PathBuf,
    /// The directories above the root, nearest first.
    parents: Vec<PathBuf>,
    global: Gitignore,
    directories: Mutex<HashMap<PathBuf, Arc<DirectoryRules>>>,
    problems: Mutex<Vec<Problem>>,
}

impl IgnoreFiles {
    /// The ignore files of a walk from `root`.
    pub fn new(root: &Path) -> IgnoreFiles {
        let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let parents = canonical_root
            .ancestors()
            .skip(1)
            .map(Path::to_path_buf)
            .collect();
        let (global, error) = Gitignore::global();
        let files = IgnoreFiles {
            root: root.to_path_buf(),
            canonical_root,
            parents,
            global,
            directories: Mutex::new(HashMap::new()),
            problems: Mutex::new(Vec::new()),
        };
        if let Some(error) = error {
            files.problem(Problem::Warning(error.to_string()));
        }
        files
    }

    /// Whether the walked entry at `path` (under the root, as the walk
    /// spells it) is ignored.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return false;
        };
        let absolute = self.canonical_root.join(relative);
        // The walked directories are read as the walk spells them (so that
        // errors name them that way), the ones above the root canonically.
        let walked = path
            .ancestors()
            .skip(1)
            .take(relative.components().count())
            .map(|directory| (self.rules(directory), path));
        let above = self
            .parents
            .iter()
            .map(|directory| (self.rules(directory), absolute.as_path()));
        let rules: Vec<(Arc<DirectoryRules>, &Path)> = walked.chain(above).collect();
        for kind in 0..3 {
            for (directory_rules, candidate) in &rules {
                if let Some(matcher) = &directory_rules.matchers[kind] {
                    match matcher.matched(candidate, is_dir) {
                        Match::None => {}
                        found => return found.is_ignore(),
                    }
                }
            }
        }
        self.global.matched(&absolute, is_dir).is_ignore()
    }

    /// The problems met so far, in the order met; clears them.
    pub fn take_problems(&self) -> Vec<Problem> {
        std::mem::take(&mut *self.problems.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn problem(&self, problem: Problem) {
        let mut problems = self.problems.lock().unwrap_or_else(PoisonError::into_inner);
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }

    fn rules(&self, directory: &Path) -> Arc<DirectoryRules> {
        if let Some(rules) = self
            .directories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(directory)
        {
            return Arc::clone(rules);
        }
        let rules = Arc::new(self.read_directory(directory));
        Arc::clone(
            self.directories
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(directory.to_path_buf())
                .or_insert(rules),
        )
    }

    fn read_directory(&self, directory: &Path) -> DirectoryRules {
        let mut rules = DirectoryRules::default();
        for (index, name) in DIRECTORY_FILES.iter().enumerate() {
            rules.matchers[index] = self.compile(directory, &directory.join(name));
        }
        if let Some(exclude) = self.exclude_file(directory) {
            rules.matchers[2] = self.compile(directory, &exclude);
        }
        rules
    }

    /// Git's `info/exclude` for a repository whose work tree is `directory`:
    /// in `.git/`, or for a linked work tree (`.git` is a file naming the
    /// git directory), in the common directory it names.
    fn exclude_file(&self, directory: &Path) -> Option<PathBuf> {
        let dot_git = directory.join(".git");
        let metadata = std::fs::metadata(&dot_git).ok()?;
        if metadata.is_dir() {
            return Some(dot_git.join("info/exclude"));
        }
        let first_line = |path: &Path| -> Option<String> {
            match input::read_regular_text(path, input::MAX_SIDE_FILE_SIZE) {
                Ok(text) => text.lines().next().map(str::to_string),
                Err(InputErrorKind::NotFound) => None,
                Err(error) => {
                    self.problem(unusable_or_warning(path, error));
                    None
                }
            }
        };
        let git_directory = PathBuf::from(first_line(&dot_git)?.strip_prefix("gitdir: ")?);
        let common = first_line(&git_directory.join("commondir"))?;
        let common = if common.starts_with('.') {
            git_directory.join(common)
        } else {
            PathBuf::from(common)
        };
        Some(common.join("info/exclude"))
    }

    /// The matcher of the ignore file at `path` (patterns relative to
    /// `directory`), or `None` when there is no usable file.
    fn compile(&self, directory: &Path, path: &Path) -> Option<Gitignore> {
        let text = match input::read_regular_text(path, input::MAX_SIDE_FILE_SIZE) {
            Ok(text) => text,
            Err(InputErrorKind::NotFound) => return None,
            Err(error) => {
                self.problem(unusable_or_warning(path, error));
                return None;
            }
        };
        let mut builder = GitignoreBuilder::new(directory);
        for line in text.lines() {
            if let Err(error) = builder.add_line(Some(path.to_path_buf()), line) {
                self.problem(Problem::Warning(format!("{}: {error}", path.display())));
            }
        }
        match builder.build() {
            Ok(matcher) => (!matcher.is_empty()).then_some(matcher),
            Err(error) => {
                self.problem(Problem::Warning(format!("{}: {error}", path.display())));
                None
            }
        }
    }
}

/// A FIFO, a device or an oversized file is an error; other read failures
/// (permission denied) stay warnings, as they were.
fn unusable_or_warning(path: &Path, error: InputErrorKind) -> Problem {
    match error {
        InputErrorKind::NotRegularFile
        | InputErrorKind::TooLarge { .. }
        | InputErrorKind::StreamTooLarge { .. } => Problem::Unusable {
            path: path.to_path_buf(),
            message: format!("{error}; the ignore file is not used"),
        },
        other => Problem::Warning(format!("{}: {other}", path.display())),
    }
}
