//! Finding the Dockerfiles under the paths a user gives.
//!
//! - A file named on the command line is always linted, whatever its name
//!   and whatever the ignore files say.
//! - `-` is standard input.
//! - A directory is walked with the `ignore` crate: `.gitignore`, `.ignore`,
//!   `.git/info/exclude` and the global git excludes are honoured (also
//!   outside a git repository), unless `no_ignore` is set. Hidden files and
//!   directories are walked (credential files are often hidden); `.git`,
//!   `.hg` and `.svn` directories are not. Symbolic links are followed, and
//!   a link that loops back to one of its ancestors is reported as an error
//!   for that path, then the walk goes on.
//! - In a walk, a file is linted when its name matches [`NameMatcher`], or
//!   when its path is a build definition's conventional one
//!   ([`crate::builddefs::Kind::by_path`]).
//! - The result is sorted by path and each file appears once, even when it
//!   is reached twice (given twice, or through a symbolic link), under the
//!   name it was first reached by.
//!
//! Reading the files is [`crate::input`]'s job.

mod ignore_files;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The built-in Dockerfile name patterns, matched case-insensitively
/// against a file's name (not its path). The pre-commit hook's `files:`
/// regex (`.pre-commit-hooks.yaml`) selects the same names; a test holds
/// the two together.
pub const DOCKERFILE_NAME_PATTERNS: &[&str] = &[
    "Dockerfile",
    "Containerfile",
    "*.Dockerfile",
    "*.Containerfile",
    "Dockerfile.*",
    "Containerfile.*",
    "Dockerfile-*",
    "Containerfile-*",
    "Dockerfile_*",
    "Containerfile_*",
];

/// The built-in names in words, for messages.
pub const DOCKERFILE_NAMES_HELP: &str =
    "Dockerfile, Containerfile, *.Dockerfile, *.Containerfile, and Dockerfile or Containerfile followed by `.`, `-` or `_` and more (Dockerfile.dev, Dockerfile-dev, Dockerfile_prod), in any case";

/// Names that match the patterns above but are not Dockerfiles:
/// BuildKit's per-Dockerfile ignore files (`Dockerfile.dockerignore`,
/// `app.Dockerfile.dockerignore`).
const NOT_DOCKERFILE_PATTERNS: &[&str] = &["*.dockerignore"];

/// Directories a walk never enters: version control metadata.
const SKIPPED_DIRECTORIES: &[&str] = &[".git", ".hg", ".svn"];

/// Decides which file names are Dockerfiles.
#[derive(Clone, Debug)]
pub struct NameMatcher {
    include: GlobSet,
}

/// Whether `lowered` (a lower-cased file name) matches one of `patterns`,
/// each a literal name, `*` and a suffix, or a prefix and `*` (what the
/// built-in lists hold; a unit test checks both the shapes and that this
/// agrees with globset). No automaton to build: a one-file run used to
/// spend 0.3 M instructions compiling these globs.
fn matches_simple_patterns(patterns: &[&str], lowered: &str) -> bool {
    // ASCII patterns compared without case, in place (lower-casing a copy
    // of each pattern was ten allocations per file name of a walk).
    let name = lowered.as_bytes();
    let same = |part: &[u8], literal: &str| {
        literal.is_ascii() && part.eq_ignore_ascii_case(literal.as_bytes())
    };
    patterns.iter().any(|pattern| {
        if let Some(suffix) = pattern.strip_prefix('*') {
            name.len() >= suffix.len() && same(&name[name.len() - suffix.len()..], suffix)
        } else if let Some(prefix) = pattern.strip_suffix('*') {
            name.get(..prefix.len())
                .is_some_and(|part| same(part, prefix))
        } else {
            same(name, pattern)
        }
    })
}

impl NameMatcher {
    /// The built-in patterns plus `include` (extra file-name globs,
    /// matched as written: case-sensitive).
    pub fn new(include: &[String]) -> Result<NameMatcher, globset::Error> {
        let mut include_builder = GlobSetBuilder::new();
        for pattern in include {
            include_builder.add(Glob::new(pattern)?);
        }
        Ok(NameMatcher {
            include: include_builder.build()?,
        })
    }

    /// Whether a file with this name is linted when a walk meets it.
    pub fn is_dockerfile_name(&self, name: &OsStr) -> bool {
        if !self.include.is_empty() && self.include.is_match(Path::new(name)) {
            return true;
        }
        // Case-insensitive by lower-casing the name (the patterns are
        // ASCII).
        let lowered = name.to_string_lossy().to_lowercase();
        matches_simple_patterns(DOCKERFILE_NAME_PATTERNS, &lowered)
            && !matches_simple_patterns(NOT_DOCKERFILE_PATTERNS, &lowered)
    }
}

/// Checks one `--include` pattern (for the command line parser).
pub fn validate_glob(pattern: &str) -> Result<String, String> {
    Glob::new(pattern)
        .map(|_| pattern.to_string())
        .map_err(|error| error.to_string())
}

/// Where a file to lint comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file on disk; `display` is the path as the user gave it (or as the
    /// walk joined it to a directory the user gave).
    File { path: PathBuf, display: String },
    /// Standard input, named `display` (`--stdin-filename`, or `<stdin>`).
    Stdin { display: String },
}

impl Input {
    /// The name the reports use.
    pub fn display(&self) -> &str {
        match self {
            Input::File { display, .. } | Input::Stdin { display } => display,
        }
    }
}

/// A path that could not be looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

/// What a discovery found: files to lint (sorted, unique), paths that
/// failed, and warnings that do not stop anything (an unreadable or
/// malformed ignore file).
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub errors: Vec<PathError>,
    pub warnings: Vec<String>,
}

/// How to walk.
#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    /// Do not honour `.gitignore`, `.ignore` and git's exclude files.
    pub no_ignore: bool,
    /// What `-` is called in reports.
    pub stdin_name: String,
    pub names: NameMatcher,
}

/// The name stdin has in reports when `--stdin-filename` is not given.
pub const DEFAULT_STDIN_NAME: &str = "<stdin>";

/// Turns the paths of the command line into the inputs to lint.
/// With no path at all, the current directory is walked and its files are
/// shown without a leading `./`.
pub fn discover(paths: &[PathBuf], options: &DiscoverOptions) -> Discovery {
    if paths.is_empty() {
        let mut discovery = discover(&[PathBuf::from(".")], options);
        let strip = |display: &mut String| {
            if let Some(relative) = display.strip_prefix("./") {
                *display = relative.to_string();
            }
        };
        for input in &mut discovery.inputs {
            if let Input::File { display, .. } = input {
                strip(display);
            }
        }
        for error in &mut discovery.errors {
            strip(&mut error.path);
        }
        return discovery;
    }
    let mut discovery = Discovery::default();
    // Keyed by the file's identity, so that a file reached twice is linted
    // once, under the name it was first reached by (command line order,
    // then walk order, which is sorted).
    let mut found: BTreeMap<Identity, Input> = BTreeMap::new();
    let mut add = |key: Identity, input: Input| {
        found.entry(key).or_insert(input);
    };
    for path in paths {
        if path.as_os_str() == "-" {
            add(
                Identity::Stdin,
                Input::Stdin {
                    display: options.stdin_name.clone(),
                },
            );
            continue;
        }
        let display = path.display().to_string();
        match std::fs::metadata(path) {
            Err(error) => discovery.errors.push(PathError {
                path: display,
                message: crate::input::InputErrorKind::from_io(error).to_string(),
            }),
            Ok(metadata) if metadata.is_dir() => {
                walk(path, options, &mut discovery, &mut add);
            }
            Ok(metadata) => add(
                identity(path, Some(&metadata)),
                Input::File {
                    path: path.clone(),
                    display,
                },
            ),
        }
    }
    discovery.inputs = found.into_values().collect();
    discovery
        .inputs
        .sort_by(|left, right| compare_paths(left.display(), right.display()));
    discovery
        .errors
        .sort_by(|left, right| compare_paths(&left.path, &right.path));
    discovery.errors.dedup();
    discovery
}

/// Path order: component by component (`a/b` before `a.b`), so a
/// directory's files stay together.
pub fn compare_paths(left: &str, right: &str) -> std::cmp::Ordering {
    Path::new(left)
        .cmp(Path::new(right))
        .then_with(|| left.cmp(right))
}

/// What makes two paths the same file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    Stdin,
    /// Device and inode (Unix).
    Inode(u64, u64),
    /// The canonical path, where there are no inodes.
    Path(PathBuf),
}

/// Whether `left` and `right` name the same existing file (through symbolic
/// links, hard links and relative paths alike).
pub fn is_same_file(left: &Path, right: &Path) -> bool {
    match (std::fs::metadata(left), std::fs::metadata(right)) {
        (Ok(left_metadata), Ok(right_metadata)) => {
            identity(left, Some(&left_metadata)) == identity(right, Some(&right_metadata))
        }
        _ => false,
    }
}

/// The identity of the file at `path`: its device and inode on Unix (one
/// stat; `canonicalize` asked `readlink` of every path component, six
/// system calls per file of a corpus run), else its canonical path.
fn identity(path: &Path, metadata: Option<&std::fs::Metadata>) -> Identity {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let owned;
        let metadata = match metadata {
            Some(metadata) => Some(metadata),
            None => {
                owned = std::fs::metadata(path).ok();
                owned.as_ref()
            }
        };
        if let Some(metadata) = metadata {
            return Identity::Inode(metadata.dev(), metadata.ino());
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    Identity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The identities of walked files without a `stat` per file: the inode
/// number comes with the directory entry (`d_ino`) and the device is the
/// directory's (one `stat` per directory). Used only where `d_ino` is the
/// inode `stat` gives: Linux, on a file system other than overlayfs
/// (whose directory listings may number files differently); elsewhere,
/// and for a symbolic link, the file is `stat`ed as before.
struct WalkedInodes {
    /// Whether `d_ino` can be trusted for this walk.
    trusted: bool,
    /// The device of each walked directory.
    devices: std::collections::HashMap<PathBuf, u64>,
}

impl WalkedInodes {
    fn new(root: &Path) -> WalkedInodes {
        WalkedInodes {
            trusted: directory_inodes_are_stat_inodes(root),
            devices: std::collections::HashMap::new(),
        }
    }

    fn enter_directory(&mut self, entry: &ignore::DirEntry) {
        #[cfg(unix)]
        if self.trusted {
            use std::os::unix::fs::MetadataExt;
            if let Ok(metadata) = entry.metadata() {
                self.devices
                    .insert(entry.path().to_path_buf(), metadata.dev());
            }
        }
        #[cfg(not(unix))]
        let _ = entry;
    }

    fn identity(&self, entry: &ignore::DirEntry) -> Identity {
        #[cfg(unix)]
        if self.trusted && !entry.path_is_symlink() {
            let device = entry
                .path()
                .parent()
                .and_then(|parent| self.devices.get(parent));
            if let (Some(device), Some(inode)) = (device, entry.ino()) {
                return Identity::Inode(*device, inode);
            }
        }
        identity(entry.path(), None)
    }
}

/// Whether the inode numbers of directory entries under `root` are those
/// `stat` reports (see [`WalkedInodes`]).
#[cfg(target_os = "linux")]
fn directory_inodes_are_stat_inodes(root: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    let Ok(path) = std::ffi::CString::new(root.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is a NUL-terminated string and `stats` a properly
    // sized, writable struct that `statfs` fills.
    let mut stats: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(path.as_ptr(), &mut stats) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)]
    let kind = stats.f_type as i64;
    kind != OVERLAYFS_SUPER_MAGIC
}

#[cfg(not(target_os = "linux"))]
fn directory_inodes_are_stat_inodes(_root: &Path) -> bool {
    false
}

fn walk(
    root: &Path,
    options: &DiscoverOptions,
    discovery: &mut Discovery,
    add: &mut impl FnMut(Identity, Input),
) {
    // The crate's own reading of ignore files is off: it would open a FIFO
    // `.gitignore` and read a `/dev/zero` one without end. `IgnoreFiles`
    // reads them safely and the entry filter applies them.
    let ignore_files = (!options.no_ignore).then(|| Arc::new(ignore_files::IgnoreFiles::new(root)));
    let filter_ignore_files = ignore_files.clone();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .parents(false)
        .require_git(false)
        .follow_links(true)
        // By file name, taken as the bytes after the last `/` (entries of
        // one directory share the rest): `Path::file_name` parses the
        // path's components on every comparison, 1% of a corpus run.
        .sort_by_file_path(|left, right| last_component(left).cmp(last_component(right)))
        .filter_entry(move |entry| {
            let is_directory = entry.file_type().is_some_and(|kind| kind.is_dir());
            if is_directory
                && entry.depth() > 0
                && SKIPPED_DIRECTORIES
                    .iter()
                    .any(|skipped| entry.file_name() == *skipped)
            {
                return false;
            }
            !filter_ignore_files
                .as_ref()
                .is_some_and(|files| files.is_ignored(entry.path(), is_directory))
        });
    let mut inodes = WalkedInodes::new(root);
    for result in builder.build() {
        match result {
            Ok(entry) => {
                let kind = entry.file_type();
                if kind.is_some_and(|kind| kind.is_dir()) {
                    inodes.enter_directory(&entry);
                    continue;
                }
                let is_file = kind.is_some_and(|kind| kind.is_file());
                let wanted = is_file
                    && (options.names.is_dockerfile_name(entry.file_name())
                        || crate::builddefs::Kind::by_path(entry.path()).is_some());
                if wanted {
                    let key = inodes.identity(&entry);
                    let path = entry.into_path();
                    let display = path.display().to_string();
                    add(key, Input::File { path, display });
                }
            }
            Err(error) => classify_walk_error(&error, &options.names, discovery),
        }
    }
    for problem in ignore_files
        .map(|files| files.take_problems())
        .unwrap_or_default()
    {
        match problem {
            ignore_files::Problem::Unusable { path, message } => discovery.errors.push(PathError {
                path: path.display().to_string(),
                message,
            }),
            ignore_files::Problem::Warning(warning) => discovery.warnings.push(warning),
        }
    }
}

/// A walk error becomes an error for its path when it may hide a
/// Dockerfile (a symbolic link loop, a directory that cannot be read, a
/// Dockerfile-named entry that cannot be looked at), and a warning when it
/// concerns an ignore file. Other unreadable entries (a dangling link named
/// `notes.txt`) are not the linter's business.
fn classify_walk_error(error: &ignore::Error, names: &NameMatcher, discovery: &mut Discovery) {
    let mut path: Option<&Path> = None;
    let mut current = error;
    loop {
        match current {
            ignore::Error::WithPath { path: inner, err } => {
                path = Some(inner);
                current = err;
            }
            ignore::Error::WithDepth { err, .. } => current = err,
            ignore::Error::Loop { ancestor, child } => {
                discovery.errors.push(PathError {
                    path: child.display().to_string(),
                    message: format!(
                        "symbolic link loop: it leads back to {}; not followed",
                        ancestor.display()
                    ),
                });
                return;
            }
            ignore::Error::Io(io_error) => {
                let Some(path) = path else {
                    discovery.warnings.push(error.to_string());
                    return;
                };
                let is_directory = std::fs::metadata(path).is_ok_and(|metadata| metadata.is_dir());
                let named_like_dockerfile = path
                    .file_name()
                    .is_some_and(|name| names.is_dockerfile_name(name));
                if is_directory || named_like_dockerfile {
                    discovery.errors.push(PathError {
                        path: path.display().to_string(),
                        message: crate::input::InputErrorKind::from_io(clone_io_error(io_error))
                            .to_string(),
                    });
                }
                return;
            }
            // Partial, WithLineNumber, Glob, …: problems with ignore files.
            _ => {
                discovery.warnings.push(error.to_string());
                return;
            }
        }
    }
}

fn clone_io_error(error: &std::io::Error) -> std::io::Error {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(error.kind(), error.to_string()),
    }
}

/// The bytes of `path` after its last separator (what the walk sorts a
/// directory's entries by; the same order as by file name).
fn last_component(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    let separator = if cfg!(windows) {
        memchr::memrchr2(b'/', b'\\', bytes)
    } else {
        memchr::memrchr(b'/', bytes)
    };
    match separator {
        Some(slash) => &bytes[slash + 1..],
        None => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(include: &[&str]) -> NameMatcher {
        let include: Vec<String> = include.iter().map(|pattern| pattern.to_string()).collect();
        NameMatcher::new(&include).expect("test patterns are valid globs")
    }

    #[test]
    fn dockerfile_names_match_case_insensitively() {
        let names = matcher(&[]);
        for name in [
            "Dockerfile",
            "dockerfile",
            "DOCKERFILE",
            "Containerfile",
            "api.Dockerfile",
            "api.dockerfile",
            "Dockerfile.dev",
            "dockerfile.prod",
            "Containerfile.test",
            "web.containerfile",
        ] {
            assert!(names.is_dockerfile_name(OsStr::new(name)), "{name}");
        }
        for name in [
            "Dockerfile.dockerignore",
            "api.Dockerfile.dockerignore",
            ".dockerignore",
            "Dockerfiles",
            "MyDockerfile",
            "docker-compose.yml",
            "README.md",
        ] {
            assert!(!names.is_dockerfile_name(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn builtin_names_match_as_their_globs_would() {
        for pattern in DOCKERFILE_NAME_PATTERNS
            .iter()
            .chain(NOT_DOCKERFILE_PATTERNS)
        {
            let body = pattern.trim_start_matches('*').trim_end_matches('*');
            assert!(
                !body.contains(['*', '?', '[', ']', '{', '}', '\\', '/']) && body.is_ascii(),
                "{pattern} is not a literal with one leading or trailing `*`"
            );
            assert!(
                !(pattern.starts_with('*') && pattern.ends_with('*')),
                "{pattern}"
            );
        }
        let globs = |patterns: &[&str]| {
            let mut builder = GlobSetBuilder::new();
            for pattern in patterns {
                builder.add(
                    globset::GlobBuilder::new(pattern)
                        .case_insensitive(true)
                        .build()
                        .expect("valid glob"),
                );
            }
            builder.build().expect("globs build")
        };
        let (builtin, not_dockerfiles) = (
            globs(DOCKERFILE_NAME_PATTERNS),
            globs(NOT_DOCKERFILE_PATTERNS),
        );
        let names = matcher(&[]);
        let stems = [
            "",
            ".",
            "-",
            "_",
            "dockerfile",
            "containerfile",
            "Dockerfile",
            "DOCKERFILE",
            "Containerfile",
            "api",
            "x.",
            ".dockerignore",
            ".Dockerignore",
            "é",
            "file",
        ];
        for first in stems {
            for second in stems {
                for third in ["", ".", "-", "_", "dockerfile", "x"] {
                    let name = format!("{first}{second}{third}");
                    if name.is_empty() {
                        continue;
                    }
                    let expected = builtin.is_match(&name) && !not_dockerfiles.is_match(&name);
                    assert_eq!(
                        names.is_dockerfile_name(OsStr::new(&name)),
                        expected,
                        "{name:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn include_patterns_add_names_as_written() {
        let names = matcher(&["*.docker", "Buildfile"]);
        assert!(names.is_dockerfile_name(OsStr::new("web.docker")));
        assert!(names.is_dockerfile_name(OsStr::new("Buildfile")));
        assert!(!names.is_dockerfile_name(OsStr::new("buildfile")));
        assert!(validate_glob("a[").is_err());
    }

    #[test]
    fn paths_sort_component_by_component() {
        let mut paths = vec!["a.Dockerfile", "a/b/Dockerfile", "a/Dockerfile"];
        paths.sort_by(|left, right| compare_paths(left, right));
        assert_eq!(paths, ["a/Dockerfile", "a/b/Dockerfile", "a.Dockerfile"]);
    }
}
