use super::{code, declare_rule, Rule, RuleContext, RuleMeta};
use crate::build_context::BuildContext;
use crate::dockerignore::{DockerIgnore, PathState, DEFAULT_FILE_NAME};
use crate::finding::Finding;
use crate::secrets::files::{CredentialFilePattern, CredentialFiles};
use crate::syntax::{Arguments, Keyword, Word};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

declare_rule! {
    /// ## What it finds
    /// A broad `COPY` or `ADD` from the build context (`COPY . /app`,
    /// `COPY ./ .`, `COPY * /app/`, or a directory such as
    /// `COPY config/ /app/config/`) while that part of the context holds a
    /// credential file (the `DLK001` list: `.env`, `.npmrc`, `id_rsa`, `*.pem`,
    /// `.aws/credentials`, …) that `.dockerignore` does not exclude. The
    /// build context is the Dockerfile's directory, or `--context DIR`;
    /// `<Dockerfile>.dockerignore` next to the Dockerfile wins over
    /// `.dockerignore`, read with BuildKit's pattern rules (`**`, `!`
    /// exceptions, a leading or trailing `/`). Files under `.git/` and
    /// symbolic links are not looked at, and `COPY --exclude=` is honoured.
    /// For a Dockerfile read from stdin, the context is `--context DIR`, or
    /// else the directory of `--stdin-filename` when that names an existing
    /// file (the editor case); otherwise the rule is off.
    ///
    /// ## Why it leaks
    /// A broad copy takes whatever sits in the directory on the machine that
    /// runs the build, including the `.env` or key that a developer or a CI
    /// step put there. The file ends up in a layer that everyone who can pull
    /// the image can read. Only `.dockerignore` keeps it out of the context
    /// that BuildKit sends, and so out of the image. In a stage that the final
    /// image does not use the file still lands in the build cache.
    ///
    /// ## Example
    /// ```dockerfile
    /// # the build context holds .env and config/.npmrc
    /// FROM node:22
    /// WORKDIR /app
    /// COPY . .
    /// RUN npm ci
    /// ```
    ///
    /// ## Fix
    /// Exclude the files from the context (the last matching line of
    /// `.dockerignore` wins, so put them after any `!` exception):
    /// ```text
    /// # .dockerignore
    /// **/.env
    /// **/.npmrc
    /// ```
    /// or copy only what the image needs (`COPY package*.json src/ ./`). A file
    /// that a build step needs goes in with
    /// `RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci`.
    /// `dockerleak --fix` (a safe fix: the image builds the same, without the
    /// credential files) appends the files it found, one path a line, to the
    /// ignore file in force, creating `.dockerignore` in the context when
    /// there is none; existing lines and line ends stay.
    pub struct ContextSecretNotIgnored;
    code: "DLK010",
    name: "context-secret-not-ignored",
    severity: Warning,
    summary: "A broad `COPY`/`ADD` sends a credential file of the build context that `.dockerignore` does not exclude.",
}

/// The most directory entries one context walk looks at; a context larger
/// than this is reported on what was seen, and the message says so.
const WALK_LIMIT: usize = 100_000;

/// How many credential files a message names before "and N more".
const NAMED_FILES: usize = 5;

impl Rule for ContextSecretNotIgnored {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// It looks at the build context's files, never at a value: walking
    /// the context of a run that did not select it would only cost time.
    fn finds_secret_values(&self) -> bool {
        false
    }

    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>) {
        let copies = broad_copies(context);
        if copies.is_empty() {
            return;
        }
        let Some(build_context) = BuildContext::locate(context.path, context.config) else {
            return;
        };
        // An ignore file that exists but cannot be read leaves the rule
        // unable to tell what is sent: say nothing rather than guess (the
        // CLI reports the ignore file as an error of its own).
        let dockerfile = build_context.dockerfile.as_deref();
        let loaded = match &context.config.context_scans {
            Some(scans) => DockerIgnore::load_probed(
                &build_context.root,
                dockerfile,
                |path| scans.listings().may_exist(path),
                |path, text| scans.ignore_file(path, text),
            ),
            None => DockerIgnore::load(&build_context.root, dockerfile)
                .map(|loaded| loaded.map(|(path, ignore)| (path, Arc::new(ignore)))),
        };
        let ignore = match loaded {
            Ok(ignore) => ignore,
            Err(error) => {
                if let Some(scans) = &context.config.context_scans {
                    scans.record_ignore_file_error(&error);
                }
                return;
            }
        };
        let ignore_name = ignore.as_ref().map(|(path, _)| {
            path.file_name().map_or_else(
                || DEFAULT_FILE_NAME.to_string(),
                |name| name.to_string_lossy().into_owned(),
            )
        });
        let ignore_file = ignore.as_ref().map(|(path, _)| path.clone());
        let ignore = ignore.as_ref().map(|(_, ignore)| ignore.as_ref());
        let files = &context.catalog.files;
        for copy in copies {
            if !build_context.holds_directory(&copy.scope, files, context.config) {
                continue;
            }
            let walk = || {
                scan_context(
                    &build_context.root,
                    &copy.scope,
                    ignore,
                    copy.excludes.as_deref(),
                    files,
                    WALK_LIMIT,
                )
            };
            let scan = match &context.config.context_scans {
                Some(scans) => scans.get_or_walk(
                    ScanKey {
                        root: build_context.root.clone(),
                        scope: copy.scope.clone(),
                        ignore_file: ignore_file.clone(),
                        exclude_patterns: copy.exclude_patterns.clone(),
                        catalog: Arc::as_ptr(files) as usize,
                    },
                    walk,
                ),
                None => Arc::new(walk()),
            };
            if !scan.files.is_empty() {
                let fix = crate::fix::rewrites::ignore_context_files(
                    ignore_file.as_deref(),
                    &build_context.root,
                    scan.files.iter().map(|file| file.path.as_str()),
                );
                let finding = self.report(context, &copy, &scan, ignore_name.as_deref());
                findings.push(Finding {
                    fix: fix.map(Box::new),
                    ..finding
                });
            }
        }
    }
}

impl ContextSecretNotIgnored {
    fn report(
        &self,
        context: &RuleContext<'_>,
        copy: &BroadCopy<'_>,
        scan: &Scan,
        ignore_name: Option<&str>,
    ) -> Finding {
        let instruction = context.dockerfile.instructions[copy.index].effective();
        let verb = instruction.keyword_word.text.to_ascii_uppercase();
        let copied = code(&format!("{verb} {}", copy.source.text));
        let destination = if context.analysis.in_final_image(copy.index) {
            "into the image".to_string()
        } else {
            format!(
                "into stage {}, which is not part of the final image (the build cache keeps it)",
                code(&context.stage_label(copy.index).unwrap_or_default())
            )
        };
        let ignore_shown = code(ignore_name.unwrap_or(DEFAULT_FILE_NAME));
        let (sent, verdict) = match scan.files.as_slice() {
            [file] => (
                format!("{} ({})", code(&file.path), file.pattern.description),
                match (&file.reincluded_by, ignore_name) {
                    (Some(exception), _) => {
                        format!("{ignore_shown} re-includes it with {}", code(exception))
                    }
                    (None, Some(_)) => format!("{ignore_shown} does not exclude it"),
                    (None, None) => format!("there is no {ignore_shown} to exclude it"),
                },
            ),
            files => (
                format!("{} credential files ({})", files.len(), name_list(files)),
                match ignore_name {
                    Some(_) => format!("{ignore_shown} does not exclude them"),
                    None => format!("there is no {ignore_shown} to exclude them"),
                },
            ),
        };
        let truncated = if scan.truncated {
            format!("; the context walk stopped after {WALK_LIMIT} entries, so there may be more")
        } else {
            String::new()
        };
        let label = if copy.scope.is_empty() {
            "copies the whole build context".to_string()
        } else {
            format!(
                "copies {} from the build context",
                code(&format!("{}/", copy.scope))
            )
        };
        context
            .finding(&Self::META, copy.index, copy.source.span)
            .message(format!(
                "{copied} sends {sent} from the build context {destination}: {verdict}{truncated}"
            ))
            .label(label)
            .help(help(scan, ignore_name))
            .build()
    }
}

/// What to do: add the files to the ignore file (or drop the exception that
/// lets them back in), or copy less.
fn help(scan: &Scan, ignore_name: Option<&str>) -> String {
    let ignore_shown = code(ignore_name.unwrap_or(DEFAULT_FILE_NAME));
    let to_add: Vec<&SentFile> = scan
        .files
        .iter()
        .filter(|file| file.reincluded_by.is_none())
        .collect();
    let mut exceptions: Vec<&str> = scan
        .files
        .iter()
        .filter_map(|file| file.reincluded_by.as_deref())
        .collect();
    exceptions.sort_unstable();
    exceptions.dedup();
    let mut steps = Vec::new();
    if !to_add.is_empty() {
        let names = name_list(&to_add);
        steps.push(match ignore_name {
            Some(_) => format!("add {names} to {ignore_shown}"),
            None => format!("create {ignore_shown} in the build context with {names}"),
        });
    }
    if !exceptions.is_empty() {
        let listed: Vec<String> = exceptions.iter().map(|exception| code(exception)).collect();
        steps.push(format!(
            "remove {} from {ignore_shown}",
            listed.join(" and ")
        ));
    }
    format!(
        "{} (or copy only what the image needs)",
        steps.join(", and ")
    )
}

/// `` `a`, `b` and `c` ``, with "and N more" past [`NAMED_FILES`].
fn name_list<F: std::borrow::Borrow<SentFile>>(files: &[F]) -> String {
    let mut names: Vec<String> = files
        .iter()
        .take(NAMED_FILES)
        .map(|file| code(&file.borrow().path))
        .collect();
    if files.len() > NAMED_FILES {
        names.push(format!("{} more", files.len() - NAMED_FILES));
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// A COPY/ADD whose source may take a whole directory of the context.
struct BroadCopy<'a> {
    index: usize,
    source: &'a Word,
    /// The directory it copies, relative to the context root (`""` for the
    /// root itself); whether it is a directory is known only on disk.
    scope: String,
    /// `COPY --exclude=…` patterns, relative to the copied source (boxed:
    /// a file may have 100,000s of copies, and few have any).
    excludes: Option<Box<DockerIgnore>>,
    /// The same patterns as written (after expansion), for [`ScanKey`].
    exclude_patterns: Vec<String>,
}

/// Every COPY/ADD source that may copy a directory of the build context.
/// The `ONBUILD` triggers of a base image run with another build's context
/// and are left out (a trigger that a stage of this file runs copies from
/// this build's context and is in), as are `--from` copies, heredocs, URLs
/// and sources whose value is only known at build time.
fn broad_copies<'a>(context: &RuleContext<'a>) -> Vec<BroadCopy<'a>> {
    let mut copies = Vec::new();
    for (index, instruction) in context.instructions() {
        if !matches!(instruction.keyword, Keyword::Copy | Keyword::Add)
            || instruction.flag("from").is_some()
            || context.runs_downstream(index)
        {
            continue;
        }
        let words = match &instruction.arguments {
            Arguments::Json(words) | Arguments::Words(words) => words,
            _ => continue,
        };
        let Some((_, sources)) = words.split_last() else {
            continue;
        };
        let exclude_patterns: Vec<String> = instruction
            .flags_named("exclude")
            .filter_map(|flag| flag.value.as_ref())
            .map(|value| context.analysis.expand_word(value, index).value)
            .collect();
        for source in sources {
            if source.text.starts_with("<<") {
                continue;
            }
            let expansion = context.analysis.expand_word(source, index);
            if expansion.has_unknown || is_remote(&expansion.value) {
                continue;
            }
            if let Some(scope) = copied_scope(&expansion.value) {
                copies.push(BroadCopy {
                    index,
                    source,
                    scope,
                    excludes: (!exclude_patterns.is_empty())
                        .then(|| Box::new(DockerIgnore::from_patterns(&exclude_patterns))),
                    exclude_patterns: exclude_patterns.clone(),
                });
            }
        }
    }
    copies
}

/// `ADD https://…`, `ADD git@host:repo.git`: not from the context.
fn is_remote(source: &str) -> bool {
    source.contains("://") || source.starts_with("git@")
}

/// The context directory a source copies, if it may copy one: `""` for `.`,
/// `./`, `/`, `*`, `./*`; `dir` for `dir`, `dir/`, `./dir/*`. Paths are
/// cleaned as BuildKit does (relative to the context root, `..` stops at the
/// root). Any other glob is left to `DLK001`, which checks names.
fn copied_scope(source: &str) -> Option<String> {
    let mut components: Vec<&str> = Vec::new();
    for component in source.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            other => components.push(other),
        }
    }
    if components.last() == Some(&"*") {
        components.pop();
    }
    let is_glob = |component: &&str| component.contains(['*', '?', '[', '\\']);
    if components.iter().any(is_glob) {
        return None;
    }
    Some(components.join("/"))
}

/// Where the build context is on disk, and the Dockerfile if it is a file.
impl BuildContext {
    /// Whether `scope` is the root or a real directory of the context (no
    /// symbolic link on the way) that is not itself a credential directory
    /// (`COPY .ssh/ …` is `DLK001`'s).
    /// In a run, the directories are looked up in its listings
    /// ([`ContextScans::listings`]) rather than one `stat` per Dockerfile.
    fn holds_directory(
        &self,
        scope: &str,
        files: &CredentialFiles,
        config: &crate::Config,
    ) -> bool {
        if scope.is_empty() {
            return true;
        }
        if files.match_path(scope).is_some() {
            return false;
        }
        let listings = config.context_scans.as_ref().map(|scans| scans.listings());
        let mut path = self.root.clone();
        scope.split('/').all(|component| {
            path.push(component);
            match listings.and_then(|listings| listings.kind_of(&path)) {
                Some(kind) => kind == Some(crate::build_context::EntryKind::Directory),
                None => std::fs::symlink_metadata(&path).is_ok_and(|metadata| metadata.is_dir()),
            }
        })
    }
}

/// Walks of build contexts shared by the files of one check run: the
/// Dockerfiles of one directory (`Dockerfile`, `Dockerfile.dev`, …) send
/// the same context, and walking it once per file made a directory of N
/// Dockerfiles cost N walks of it. The CLI sets one for a run
/// ([`crate::Config::context_scans`]); without it (the default, for a
/// long-lived library caller that must see files change between lints)
/// every file walks.
#[derive(Debug, Default)]
pub struct ContextScans {
    scans: Mutex<HashMap<ScanKey, Arc<Scan>>>,
    /// Ignore files by path, parsed (patterns compiled) once per run.
    ignore_files: Mutex<HashMap<PathBuf, Arc<DockerIgnore>>>,
    /// Ignore files that exist but could not be used, with why: the CLI
    /// reports each once as an error of its own.
    ignore_file_errors: Mutex<std::collections::BTreeMap<PathBuf, String>>,
    /// Directory listings, so that looking for ignore files and build
    /// contexts does not probe the disk once per Dockerfile.
    listings: crate::build_context::Listings,
}

/// What decides a walk's result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ScanKey {
    root: PathBuf,
    scope: String,
    ignore_file: Option<PathBuf>,
    exclude_patterns: Vec<String>,
    /// The credential file list (configuration may extend it).
    catalog: usize,
}

impl ContextScans {
    /// The walk for `key`, done now by `walk` if no file of the run did it.
    /// Two threads may walk the same context at once; both get the same
    /// result and one is kept.
    fn get_or_walk(&self, key: ScanKey, walk: impl FnOnce() -> Scan) -> Arc<Scan> {
        if let Some(scan) = self.lock().get(&key) {
            return Arc::clone(scan);
        }
        let scan = Arc::new(walk());
        Arc::clone(self.lock().entry(key).or_insert(scan))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ScanKey, Arc<Scan>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.scans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The run's directory listings.
    pub fn listings(&self) -> &crate::build_context::Listings {
        &self.listings
    }

    /// The ignore files that could not be used in this run (a FIFO, a
    /// device, over the size cap, unreadable), sorted by path, with the
    /// reason.
    pub fn ignore_file_errors(&self) -> Vec<(PathBuf, String)> {
        self.ignore_file_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(path, message)| (path.clone(), message.clone()))
            .collect()
    }

    fn record_ignore_file_error(&self, error: &crate::dockerignore::LoadError) {
        self.ignore_file_errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(error.path.clone())
            .or_insert_with(|| format!("{}; the ignore file is not used", error.kind));
    }

    /// The ignore file at `path` (read as `text`), parsed the first time a
    /// file of the run uses it: every Dockerfile of a context reads the
    /// same `.dockerignore`, and parsing compiles a regex per pattern.
    fn ignore_file(&self, path: &Path, text: &str) -> Arc<DockerIgnore> {
        let mut files = self
            .ignore_files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            files
                .entry(path.to_path_buf())
                .or_insert_with(|| Arc::new(DockerIgnore::parse(text))),
        )
    }
}

/// A credential file that a copy sends.
#[derive(Debug)]
struct SentFile {
    /// Relative to the context root.
    path: String,
    pattern: CredentialFilePattern,
    /// The `!exception` of the ignore file that lets it back in.
    reincluded_by: Option<String>,
}

/// What a walk of part of the context found.
#[derive(Debug)]
struct Scan {
    /// Sorted by path.
    files: Vec<SentFile>,
    /// The walk stopped at the entry limit.
    truncated: bool,
}

/// A directory still to read, with how the ignore file and the copy's
/// `--exclude` patterns decided it.
struct PendingDirectory {
    /// Relative to the context root.
    path: String,
    /// Relative to the copied directory.
    copy_path: String,
    ignore_state: Option<PathState>,
    exclude_state: Option<PathState>,
}

/// Walks `directory` (relative to `root`; `""` for all of it) the way
/// BuildKit sends it, and lists the credential files that are sent. Does
/// not follow symbolic links, does not look inside `.git`, skips what the
/// ignore file prunes, and stops after `limit` entries.
fn scan_context(
    root: &Path,
    directory: &str,
    ignore: Option<&DockerIgnore>,
    excludes: Option<&DockerIgnore>,
    files: &CredentialFiles,
    limit: usize,
) -> Scan {
    let mut scan = Scan {
        files: Vec::new(),
        truncated: false,
    };
    let start_state = (!directory.is_empty())
        .then(|| ignore.map(|ignore| ignore.state_of(directory)))
        .flatten();
    if start_state.as_ref().is_some_and(PathState::is_pruned) {
        return scan;
    }
    let mut pending = vec![PendingDirectory {
        path: directory.to_string(),
        copy_path: String::new(),
        ignore_state: start_state,
        exclude_state: None,
    }];
    let mut visited = 0usize;
    'walk: while let Some(current) = pending.pop() {
        let Ok(reader) = std::fs::read_dir(root.join(&current.path)) else {
            continue;
        };
        let mut entries: Vec<(String, std::fs::FileType)> = reader
            .flatten()
            .filter_map(|entry| {
                Some((
                    entry.file_name().to_str()?.to_string(),
                    entry.file_type().ok()?,
                ))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, file_type) in entries {
            visited += 1;
            if visited > limit {
                scan.truncated = true;
                break 'walk;
            }
            if file_type.is_symlink() || (file_type.is_dir() && name == ".git") {
                continue;
            }
            let path = join(&current.path, &name);
            let copy_path = join(&current.copy_path, &name);
            let ignore_state =
                ignore.map(|ignore| ignore.state_below(&path, current.ignore_state.as_ref()));
            let exclude_state = excludes
                .map(|excludes| excludes.state_below(&copy_path, current.exclude_state.as_ref()));
            if file_type.is_dir() {
                if !ignore_state
                    .iter()
                    .chain(&exclude_state)
                    .any(PathState::is_pruned)
                {
                    pending.push(PendingDirectory {
                        path,
                        copy_path,
                        ignore_state,
                        exclude_state,
                    });
                }
                continue;
            }
            if !file_type.is_file()
                || ignore_state
                    .iter()
                    .chain(&exclude_state)
                    .any(PathState::is_excluded)
            {
                continue;
            }
            if let Some(pattern) = files.match_path(&path) {
                scan.files.push(SentFile {
                    reincluded_by: ignore.and_then(|ignore| ignore.reincluding_exception(&path)),
                    path,
                    pattern: pattern.clone(),
                });
            }
        }
    }
    scan.files.sort_by(|a, b| a.path.cmp(&b.path));
    scan
}

fn join(directory: &str, name: &str) -> String {
    if directory.is_empty() {
        name.to_string()
    } else {
        format!("{directory}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broad_sources_copy_the_root_or_a_directory() {
        for source in [".", "./", "/", "*", "./*", "./.", "..", "/*"] {
            assert_eq!(copied_scope(source).as_deref(), Some(""), "{source}");
        }
        for (source, scope) in [
            ("config", "config"),
            ("config/", "config"),
            ("./config/*", "config"),
            ("/app/config/", "app/config"),
            ("../config", "config"),
        ] {
            assert_eq!(copied_scope(source).as_deref(), Some(scope), "{source}");
        }
        for source in ["*.py", "src/*.py", "conf?", "[ab]"] {
            assert_eq!(copied_scope(source), None, "{source}");
        }
    }

    #[test]
    fn remote_sources_are_not_the_context() {
        assert!(is_remote("https://example.com/app.tar.gz"));
        assert!(is_remote("git@github.com:org/repo.git"));
        assert!(!is_remote("."));
    }

    #[test]
    fn the_walk_stops_at_the_limit_and_says_so() {
        let context = tempfile::tempdir().expect("a temp dir");
        for name in ["a.txt", "b.txt", "c.txt", "d.txt", "z.env"] {
            std::fs::write(context.path().join(name), "x").unwrap();
        }
        std::fs::write(context.path().join(".env"), "TOKEN=x").unwrap();
        let files = CredentialFiles::builtin();
        let full = scan_context(context.path(), "", None, None, files, 100);
        assert!(!full.truncated);
        assert_eq!(full.files.len(), 1);
        let cut = scan_context(context.path(), "", None, None, files, 3);
        assert!(cut.truncated);
        assert_eq!(
            cut.files.len(),
            1,
            "`.env` sorts first and is seen before the cut"
        );
        let cut_early = scan_context(context.path(), "", None, None, files, 0);
        assert!(cut_early.truncated);
        assert!(cut_early.files.is_empty());
    }
}
